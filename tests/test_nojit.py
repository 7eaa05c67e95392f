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
