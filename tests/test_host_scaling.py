"""``benchmarks/host_scaling.py`` and its write twins (``benchmarks/_twin.py``): the twin writes
every line of its output on one and two threads, its calibration finds the work that matches
a target time, and both parts of the script run and print their tables.  Timing itself is
not asserted (speed lives in the benchmarks)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(stem):
    name = f"_classicsr_bench_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(BENCH))
    env = os.environ.get("NUMBA_NUM_THREADS")  # host_scaling sets a default for its own runs
    try:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
        if env is None:
            os.environ.pop("NUMBA_NUM_THREADS", None)
        else:
            os.environ["NUMBA_NUM_THREADS"] = env
    return module


@pytest.fixture
def threads():
    before = numba.get_num_threads()
    yield min(2, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(before)


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("nbytes", [64, 1000, 3 * 1024 * 1024 + 40])
def test_write_twin_writes_every_line(streamed, nbytes, threads):
    twin_mod = _load("_twin")
    twin = twin_mod.WriteTwin(nbytes, streamed)
    assert twin.buf.ctypes.data % 64 == 0 and twin.buf.nbytes >= nbytes
    assert twin.buf.nbytes % 64 == 0 and twin.buf.nbytes - nbytes < 64
    for nt in sorted({1, threads}):
        numba.set_num_threads(nt)
        twin.buf[:] = np.nan
        twin.fi, twin.frac = 2, 0.5
        twin()
        assert np.isfinite(twin.buf).all()


def test_write_twin_calibration_bisects_a_growing_time():
    twin_mod = _load("_twin")
    twin = twin_mod.WriteTwin(1024, False)
    seen = []

    def fake_time(f, repeat):  # a time that grows with F: 1 ms + 0.25 ms per multiply-add
        seen.append(f)
        twin.fi, twin.frac = int(f), float(f - int(f))
        return 1.0 + 0.25 * f

    twin._time = fake_time
    got = twin.calibrate(6.0, steps=12)
    assert abs(got - 6.0) < 0.01
    assert abs(twin.fi + twin.frac - 20.0) < 0.05
    assert seen[0] == 0.0 and max(seen) == 32.0  # F = 0, then 4, 8, 16, 32 bracket F = 20
    seen.clear()
    assert twin.calibrate(0.5) == 1.0 and seen == [0.0]  # stores alone already too slow
    assert twin.fi == 0 and twin.frac == 0.0


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_host_scaling_prints_both_tables(capsys, threads):
    hs = _load("host_scaling")
    assert hs.main(["--part", "resources", "--repeat", "1", "--scale", "0.01"]) == 0
    assert hs.main(["--part", "resize", "--cases", "up2_gray_u8", "--rounds", "1",
                    "--per-round", "1"]) == 0
    out = capsys.readouterr().out
    for loop in hs._resources(1.0):
        assert f"| {loop} |" in out
    label = "| bicubic up x2, 1024x1024 gray uint8 |"
    row = [line for line in out.splitlines() if line.startswith(label)]
    assert len(row) == 1 and row[0].count("x |") == 2
