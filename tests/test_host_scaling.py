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


def test_compute_only_run_computes_the_call_rows(threads):
    """The compute-only run of a float32 x4 upscale leaves in each chunk's ring slot exactly the
    output row that the real call wrote last there (same kernel, same arguments); an integer
    image runs other kernels and gets none."""
    import classicsr

    twin_mod = _load("_twin")
    img = np.random.default_rng(3).random((160, 150, 3)).astype(np.float32)
    co = twin_mod.ComputeOnly.of(lambda: classicsr.resize(img, 4))
    assert co is not None
    ref = classicsr.resize(img, 4).reshape(640, -1)
    K = twin_mod.K
    for nt in sorted({1, threads}):
        numba.set_num_threads(nt)
        nchunks = K._nchunks(nt, 640, 640 * (450 * 4 + 1800 * 4))
        assert nt == 1 or nchunks > 1  # the chunks of a two-thread call
        co.ring[:] = np.nan
        co()
        for ch in range(nchunks):
            lo, hi = ch * 640 // nchunks, (ch + 1) * 640 // nchunks
            for slot in range(twin_mod.RING):
                last = max((i for i in range(lo, hi) if i % twin_mod.RING == slot), default=None)
                if last is not None:
                    np.testing.assert_array_equal(co.ring[ch, slot], ref[last])
    u8 = (img * 255).astype(np.uint8)
    assert twin_mod.ComputeOnly.of(lambda: classicsr.resize(u8, 4)) is None


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_host_scaling_prints_both_tables(capsys, threads):
    hs = _load("host_scaling")
    assert hs.main(["--part", "resources", "--repeat", "1", "--scale", "0.01"]) == 0
    assert hs.main(["--part", "resize", "--cases", "up2_gray_u8", "up2_rgb_f32", "--rounds", "1",
                    "--per-round", "1"]) == 0
    out = capsys.readouterr().out
    for loop in hs._resources(1.0):
        assert f"| {loop} |" in out
    # classicsr, two calls at once, the twin; compute-only for the float upscale only
    for label, ratios in (("| bicubic up x2, 1024x1024 gray uint8 |", 3),
                          ("| bicubic up x2, 512x512x3 float32 |", 4)):
        row = [line for line in out.splitlines() if line.startswith(label)]
        assert len(row) == 1 and row[0].count("x |") in (ratios, 2 * ratios)
        # 0 or 1 dedicated rounds (the host decides): the all-rounds ratios are always there
        assert " 0 of 1 |" in row[0] or " 1 of 1 |" in row[0]


def test_host_scaling_stack_part_prints_every_depth(capsys):
    hs = _load("host_scaling")
    before = numba.get_num_threads()
    assert hs.main(["--part", "stack", "--cases", "up2_gray_u8", "--depths", "3",
                    "--repeat", "1"]) == 0
    assert numba.get_num_threads() == before  # the fresh threads set their own count
    out = capsys.readouterr().out
    row = [line for line in out.splitlines()
           if line.startswith("| bicubic up x2, 1024x1024 gray uint8 |")]
    assert len(row) == 1
    cells = [c.strip() for c in row[0].strip("|").split("|")]
    lo, med, hi, ratio = (float(c) for c in cells[1:5])
    depths = [float(v) for v in cells[5].split()]
    assert len(depths) == 3 and lo == min(depths) and hi == max(depths) and lo <= med <= hi
    assert abs(ratio - hi / lo) < 0.01 + 0.01 * ratio


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs the JIT")
def test_nested_calls_go_deeper_on_the_c_stack():
    """Each level of ``_nested`` adds C frames: a compiled function called through it sees
    a lower stack pointer."""
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def stack_pointer(typingctx):
        def codegen(context, builder, signature, args):
            fn = builder.module.declare_intrinsic("llvm.stacksave", fnty=ir.FunctionType(
                ir.PointerType(ir.IntType(8)), []))
            return builder.ptrtoint(builder.call(fn, []), ir.IntType(64))

        return types.uint64(), codegen

    sp = numba.njit(cache=False)(lambda: stack_pointer())
    hs = _load("host_scaling")
    depths = [hs._nested(d, sp) for d in range(4)]
    assert all(a > b for a, b in zip(depths, depths[1:])), depths
    assert hs._nested(3, lambda: 7) == 7
