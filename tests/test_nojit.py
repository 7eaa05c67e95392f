"""Run the small ``nojit_subset`` tests again with ``NUMBA_DISABLE_JIT=1``, so the kernels'
Python code paths are exercised too, and check that a second process reuses Numba's cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="already running without JIT")
def test_nojit_subset_passes_without_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "nojit_subset", "-p", "no:cacheprovider",
         "-p", "no:xdist", str(REPO / "tests")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "no tests ran" not in proc.stdout, tail


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="needs the JIT")
def test_second_process_loads_kernels_from_cache():
    script = textwrap.dedent("""
        import numpy as np
        import numba.core.event as ev
        import classicsr
        # Every compilation (cached loads are not compilations) is recorded as an event.
        with ev.install_recorder("numba:compile") as rec:
            for dt in (np.uint8, np.float32, np.float64, np.uint16):
                classicsr.resize(np.ones((6, 5, 3), dt), 2)
                classicsr.resize(np.ones((6, 5), dt), 0.5)
                classicsr.resize(np.ones((6, 5), dt), 0.5, round_each_pass=False)
        names = sorted({str(e.data.get("dispatcher")) for _, e in rec.buffer})
        print("COMPILES", len(rec.buffer), names)
    """)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "COMPILES 0 " in second.stdout, second.stdout


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="needs the JIT")
def test_portable_cpu_target_compiles_and_is_exact(tmp_path):
    """``NUMBA_CPU_NAME=generic`` (portable caches): the kernels that contain the AVX2-only
    pmaddwd blocks still compile (those blocks become a never-taken error stub) and the
    uint8 paths that use them on AVX2 hosts give the independent reference's result."""
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import classicsr
        from classicsr._kernels import resample as R
        sys.path.insert(0, sys.argv[1])
        from naive_resize import reference_resize
        assert not R._MADD_OK
        img = np.random.default_rng(0).integers(0, 256, (40, 50, 3)).astype(np.uint8)
        for scale in (4, 0.25, 0.5, 3, 1.5, 1.2):  # 1.2: the eight-row lanes (_cols_group)
            assert np.array_equal(classicsr.resize(img, scale), reference_resize(img, scale))
        print("OK")
    """)
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_DISABLE_JIT", "NUMBA_CPU_FEATURES")}
    env.update(NUMBA_CPU_NAME="generic", NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-c", script, str(REPO / "tests")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]
