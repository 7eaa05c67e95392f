"""The fast paths of classicsr/_kernels/resample.py, on images large enough to use them.

The lead's tests (test_resize*.py) check ``resize`` on small images; here the images are wide
enough that the columns pass uses its polyphase interior and the integer passes use float32
accumulation (exact tables) or float32 with a near-tie check (other tables).  Everything is
compared with the slow, independent reference in ``tests/naive_resize.py``; the plan
selection is checked too, so these tests cannot pass by silently falling back to the scalar
path, and the near-tie error bound is checked against exact rational arithmetic.
"""

from __future__ import annotations

import itertools
import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R
from classicsr.resize import _tables

from .naive_resize import reference_resize


def _img(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, np.iinfo(dtype).max, size=shape, endpoint=True).astype(dtype)
    return rng.uniform(-1.0, 2.0, size=shape).astype(dtype)


def _check(out, ref, dtype):
    assert out.shape == ref.shape and out.dtype == np.dtype(dtype)
    if np.dtype(dtype).kind == "u":
        np.testing.assert_array_equal(out, ref)
    else:
        tol = 1e-5 if np.dtype(dtype) == np.float32 else 1e-12
        np.testing.assert_allclose(out, ref, rtol=0, atol=tol * max(1.0, float(np.nanmax(np.abs(ref)))))


# --- plan selection: the fast paths are really taken ------------------------------------------

@pytest.mark.parametrize("n_in,scale,p,q", [(64, 2.0, 2, 1), (64, 4.0, 4, 1), (64, 0.25, 1, 4),
                                            (64, 0.5, 1, 2), (64, 1.5, 3, 2), (300, 2.0, 2, 1),
                                            # outputs on input pixels: trimmed, non-consecutive rows
                                            (64, 3.0, 3, 1), (512, 3.0, 3, 1), (64, 5.0, 5, 1)])
def test_polyphase_structure_found(n_in, scale, p, q):
    n_out = int(np.ceil(n_in * scale))
    idx, w = _tables(n_in, n_out, scale, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    poly = R._polyphase(idx, w)
    assert poly is not None
    j0, pp, qq, m, s0, tq, ta, wp, plen, uniform = poly
    assert (pp, qq) == (p, q)
    assert pp * m >= n_out // 2
    # the structure reproduces the table on the interior
    wp = wp.reshape(pp, idx.shape[1], m)
    for j in range(j0, j0 + pp * m):
        mm, ph = divmod(j - j0, pp)
        expect = s0 + qq * (ta[ph] + mm) + tq[ph]
        np.testing.assert_array_equal(idx[j], expect)
        np.testing.assert_array_equal(w[j], wp[ph, :, mm])


@pytest.mark.parametrize("scale,method,mode", [(2.0, "bicubic", R.MODE_ROUND), (4.0, "bicubic", R.MODE_ROUND),
                                               (0.25, "bicubic", R.MODE_ROUND), (2.0, "bilinear", R.MODE_ROUND),
                                               (3.0, "bicubic", R.MODE_CHECK), (1 / 3, "bicubic", R.MODE_CHECK),
                                               (2.0, "lanczos3", R.MODE_CHECK)])
def test_uint8_plan(scale, method, mode):
    n_out = int(np.ceil(60 * scale))
    idx, w = _tables(60, n_out, scale, method, True, "replicate", -0.5, np.dtype(np.float64))
    assert R._int_plan(w, 255.0)[0] == mode


def test_uint16_plan_falls_back_to_float64_when_not_exact():
    idx, w = _tables(60, 180, 3.0, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert R._int_plan(w, 65535.0) is None
    idx, w = _tables(60, 120, 2.0, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert R._int_plan(w, 65535.0) == (R.MODE_ROUND, 0.0)


@pytest.mark.parametrize("scale,method", [(3.0, "bicubic"), (1 / 3, "bicubic"), (2.0, "lanczos3"), (0.3, "lanczos2")])
def test_near_tie_bound_holds(scale, method):
    """|float32 sum - MATLAB float64 sum| <= bound / 2 for worst-case-ish integer data, with
    the float32 sum computed as the kernels do (fl32 weights, products and sums rounded to
    float32 in tap order); exact values from rational arithmetic."""
    n_in = 40
    idx, w = _tables(n_in, int(np.ceil(n_in * scale)), scale, method, True, "symmetric", -0.5,
                     np.dtype(np.float64))
    mode, bound = R._int_plan(w, 255.0)
    assert mode == R.MODE_CHECK
    rng = np.random.default_rng(7)
    w32 = w.astype(np.float32)
    worst = 0.0
    for trial in range(40):
        # alternate 0/255 by the sign of the weight maximises sum |w| x (the error scale)
        x = np.where(w > 0, 255, 0) if trial == 0 else rng.integers(0, 256, size=w.shape)
        s32 = np.zeros(w.shape[0], np.float32)
        d64 = np.zeros(w.shape[0], np.float64)
        for k in range(w.shape[1]):
            s32 = (s32 + (w32[:, k] * x[:, k].astype(np.float32)).astype(np.float32)).astype(np.float32)
            d64 = d64 + w[:, k] * x[:, k]
        worst = max(worst, float(np.max(np.abs(s32.astype(np.float64) - d64))))
        for i in range(0, w.shape[0], 7):  # exact check on a subset
            exact = sum(Fraction(float(w[i, k])) * int(x[i, k]) for k in range(w.shape[1]))
            assert abs(Fraction(float(s32[i])) - exact) <= Fraction(bound) / 2
    assert worst <= bound / 2


# --- results against the reference -----------------------------------------------------------

CASES = [
    ((48, 70, 3), 2.0, "bicubic", "symmetric"),
    ((48, 70, 3), 4.0, "bicubic", "replicate"),
    ((48, 70, 3), 3.0, "bicubic", "symmetric"),       # non-dyadic: near-tie check
    ((96, 120, 3), 0.25, "bicubic", "symmetric"),      # antialiased, Q = 4
    ((90, 99, 3), 1 / 3, "bicubic", "replicate"),      # the benchmark LR degradation
    ((40, 64, 3), 1.5, "bicubic", "reflect"),          # P = 3, Q = 2
    ((40, 64), 2.0, "lanczos3", "wrap"),
    ((40, 64, 2), 2.0, "bilinear", "constant"),        # generic channel factor 2
    ((40, 64, 4), 0.5, "box", "symmetric"),            # generic channel factor 4
    ((40, 64, 5), 2.0, "bicubic", "symmetric"),        # generic (non-specialised) factor
    ((33, 50, 3), (2.0, 0.5), "lanczos2", "symmetric"),
    # the integer-upscale columns pass on the interleaved row (cols_pass_il): P = 2, 4 with
    # 1 and 3 channels (constant-stride interleaves), 2 and 4 channels (generic interleave),
    # 2 / 6 taps (accumulator path), uint8 lanczos (near-tie check inside that path)
    ((30, 70), 4.0, "bicubic", "symmetric"),
    ((30, 70), 2.0, "bicubic", "replicate"),
    ((30, 70, 3), 2.0, "lanczos3", "symmetric"),
    ((30, 70, 2), 4.0, "bilinear", "symmetric"),
    ((30, 70, 4), 2.0, "bicubic", "symmetric"),
    ((30, 70, 3), (3.0, 4.0), "lanczos2", "reflect"),
    # two-tap tables (bilinear): one-sweep rows pass, register blocks / two-tap sweeps in the
    # columns pass, integer tables widened to four taps or accumulated in float64
    ((30, 70, 3), 2.0, "bilinear", "symmetric"),
    ((30, 70), 4.0, "bilinear", "replicate"),
    ((31, 70, 3), 1.5, "bilinear", "symmetric"),
    ((30, 71), 3.0, "bilinear", "reflect"),
    ((30, 70, 3), (1.2, 2.5), "bilinear", "symmetric"),
]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("shape,scale,method,boundary", CASES)
def test_matches_reference(shape, scale, method, boundary, dtype):
    img = _img(shape, dtype, seed=hash((shape, method)) % 1000)
    out = resize(img, scale, method=method, boundary=boundary)
    ref = reference_resize(img, scale, method=method, boundary=boundary)
    _check(out, ref, dtype)


@pytest.mark.parametrize("scale", [2.0, 1 / 3])
def test_round_each_pass_false(scale):
    img = _img((45, 66, 3), np.uint8, seed=3)
    out = resize(img, scale, round_each_pass=False)
    _check(out, reference_resize(img, scale, round_each_pass=False), np.uint8)


def test_ties_in_exact_tables_are_exact():
    """x2 bicubic weights are multiples of 2**-7: many outputs are exact ties k + 0.5, which
    must round up (away from zero) exactly as the reference does."""
    # weights are (-3, 29, 111, -9) / 128: about 1 in 128 sums of random pixels is a tie
    img = _img((40, 64), np.uint8, seed=5)
    out = resize(img, 2)
    ref = reference_resize(img, 2)
    np.testing.assert_array_equal(out, ref)
    # and the first (rows) pass really produced exact ties (so the test can fail)
    rows_only = reference_resize(img.astype(np.float64), output_shape=(80, 64))
    assert np.any(rows_only - np.floor(rows_only) == 0.5)


def test_threads_give_identical_results(monkeypatch):
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)  # split even these small passes
    img = _img((64, 80, 3), np.uint8, seed=9)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = [resize(img, s) for s in (2, 1 / 3)]
        numba.set_num_threads(2)
        two = [resize(img, s) for s in (2, 1 / 3)]
    finally:
        numba.set_num_threads(old)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_nan_propagates_in_polyphase_interior():
    img = np.zeros((40, 64), np.float32)
    img[20, 30] = np.nan
    out = resize(img, 2)
    assert np.isnan(out[40, 60]) and np.isnan(out).sum() <= 64
    assert np.isfinite(out[:, :50]).all()


def test_input_not_modified_and_scratch_not_returned():
    img = _img((50, 70, 3), np.uint8, seed=11)
    keep = img.copy()
    a = resize(img, 2)
    b = resize(img, 2)
    np.testing.assert_array_equal(img, keep)
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(a, b)


def test_fast_paths_are_taken_and_agree_with_the_general_ones(monkeypatch):
    """Integer upscales take the fused four-tap rows pass and the interleaved columns pass;
    switching them off (general whole-row rows pass, plane-based columns pass, no FMA twins)
    gives bit-identical images, float32 included, and so does running both passes in one
    kernel (the default)."""
    calls = {"il": 0, "rows4": 0}
    il, rows4 = R.cols_pass_il, R._rows_chunk4

    def spy_il(*a):
        calls["il"] += 1
        return il(*a)

    monkeypatch.setattr(R, "cols_pass_il", spy_il)
    real_run = R._run_chunks

    def spy_run(kernel, nchunks, args):
        if kernel is rows4:
            calls["rows4"] += 1
        return real_run(kernel, nchunks, args)

    monkeypatch.setattr(R, "_run_chunks", spy_run)
    for dtype in (np.uint8, np.uint16, np.float32):
        for shape, scale, method in [((40, 70, 3), 2, "bicubic"), ((40, 70), 4, "bicubic"),
                                     ((40, 70, 3), 4, "lanczos3"), ((40, 70, 4), (2, 3), "bicubic")]:
            img = _img(shape, dtype, seed=7)
            for kw in ({}, {"round_each_pass": False}):
                fused = resize(img, scale, method=method, **kw)  # both passes in one kernel
                monkeypatch.setattr(R, "_FUSED_PASSES", False)
                fast = resize(img, scale, method=method, **kw)  # the separate fast passes
                monkeypatch.setattr(R, "_INTERLEAVED_COLS", False)
                monkeypatch.setattr(R, "_FUSED_ROWS", False)
                monkeypatch.setattr(R, "_FMA", False)
                slow = resize(img, scale, method=method, **kw)
                monkeypatch.setattr(R, "_INTERLEAVED_COLS", True)
                monkeypatch.setattr(R, "_FUSED_ROWS", True)
                monkeypatch.setattr(R, "_FMA", True)
                monkeypatch.setattr(R, "_FUSED_PASSES", True)
                np.testing.assert_array_equal(fused, fast)
                # bit-identical for every dtype: float outputs are plain float32 multiply-adds in
                # tap order on every path (what lets dask blocks equal the whole image)
                np.testing.assert_array_equal(fast, slow)
    assert calls["il"] > 0 and calls["rows4"] > 0



def test_small_passes_stay_on_the_calling_thread(monkeypatch):
    """Handing a chunk to a pool thread costs more than a small pass: below
    ``_MIN_CHUNK_WORK`` multiply-adds per chunk a pass runs in one chunk, larger ones split."""
    seen = []
    real = R._run_chunks
    monkeypatch.setattr(R, "_run_chunks", lambda kernel, n, args: (seen.append(n), real(kernel, n, args))[1])
    small = _img((32, 32, 3), np.uint8, seed=1)
    ref = resize(small, 2)  # whatever thread count is configured
    per = R._PIECES_PER_THREAD
    assert R._nchunks(2, 10_000, 10 * R._MIN_CHUNK_WORK) == 2 * per
    assert R._nchunks(4, 10_000, 2 * R._MIN_CHUNK_WORK) == 2 * per  # work for two threads
    assert R._nchunks(2, 10_000, R._MIN_CHUNK_WORK - 1) == 1
    assert R._nchunks(8, 3, 100 * R._MIN_CHUNK_WORK) == 3 * per  # three threads, one row each
    seen.clear()
    np.testing.assert_array_equal(resize(small, 2), ref)
    assert seen and all(n == 1 for n in seen)


def test_chunks_taken_dynamically(monkeypatch):
    """Every chunk runs once, on at most ``ceil(nchunks / _PIECES_PER_THREAD)`` threads; a pool
    thread held up on its first chunk leaves the rest to the calling thread; an exception in
    any chunk reaches the caller."""
    import threading
    import time

    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    main = threading.get_ident()
    runs = []

    def kernel(tag, ch, n):
        runs.append((tag, ch, n, threading.get_ident()))
        if threading.get_ident() != main:
            time.sleep(0.3)

    nchunks = 2 * R._PIECES_PER_THREAD
    R._run_chunks(kernel, nchunks, ("a",))
    assert sorted(r[1] for r in runs) == list(range(nchunks))
    assert {r[2] for r in runs} == {nchunks}
    assert len({r[3] for r in runs}) <= 2
    assert sum(r[3] == main for r in runs) >= nchunks - 1
    # fewer chunks than one thread's share: the calling thread alone
    runs.clear()
    R._run_chunks(kernel, R._PIECES_PER_THREAD, ("b",))
    assert [r[1] for r in runs] == list(range(R._PIECES_PER_THREAD))
    assert all(r[3] == main for r in runs)

    def failing(ch, n):
        if ch == n - 1:
            raise RuntimeError("chunk failed")

    with pytest.raises(RuntimeError, match="chunk failed"):
        R._run_chunks(failing, nchunks, ())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_two_thread_resize_in_a_forked_child():
    """A forked child (a ``multiprocessing`` worker with the ``fork`` start method) runs
    two-thread resizes after the parent has: the parent's pool threads do not exist there,
    and the pool the parent built used to queue the chunks for them forever.  The child
    starts without a pool, builds its own, and gets the parent's bits; the parent waits at
    most a minute for it."""
    import time
    import warnings

    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    img = np.random.default_rng(5).random((256, 256, 3), dtype=np.float32)
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        expected = resize(img, 2)  # a split pass: the parent's pool exists, its thread idle
        assert R._POOL is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, 3.12+
            pid = os.fork()
        if pid == 0:  # the child: report through the exit status only
            code = 3
            try:
                fresh = R._POOL is None
                got = resize(img, 2)
                code = 0 if fresh and R._POOL is not None and np.array_equal(got, expected) else 1
            finally:
                os._exit(code)
    finally:
        numba.set_num_threads(before)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the two-thread resize in the forked child did not finish in 60 s")
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status


@pytest.mark.parametrize("lanes", [True, False])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_fused_passes_equal_the_separate_passes(monkeypatch, dtype, lanes):
    """Rows pass then columns pass one output row at a time (no intermediate image) gives the
    same bits as the two separate passes, on every columns-pass kind: interleaved (x2, x4),
    polyphase planes (x1.5, antialiased /4, the checked x3 table), scalar gather (width < 8),
    and with a float64 intermediate (``round_each_pass=False``); and columns pass first (the
    smaller scale on the columns), where a ring of intermediate rows replaces the image, with
    wrapped borders whose source rows are not monotonic (forced on here for every size and
    dtype; by default only float intermediates above 2 MiB take it).  With the lane columns
    pass (``lanes``) the rows-first tables without the interleaved path fuse through it, and
    columns-first ones without it run as separate passes (the ring only pays on the
    interleaved path); without it (the planes path) every case fuses."""
    seen = []
    real = R.fused_passes

    def spy(*a):
        seen.append(a[1].shape)
        return real(*a)

    monkeypatch.setattr(R, "fused_passes", spy)
    monkeypatch.setattr(R, "_LANE_COLS", lanes)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)  # several chunks where threads allow
    monkeypatch.setattr(R, "_COLS_FIRST_MIN_MID", 0)  # fuse however small the intermediate
    monkeypatch.setattr(R, "_COLS_FIRST_MIN_ITEMSIZE", 1)  # and integer intermediates too
    # columns first without an interleaved columns path (narrower than 8 pixels)
    separately = [((12, 6, 2), (3, 2))] if lanes else []
    cases = [((40, 70, 3), 2, "bicubic"), ((33, 41), 4, "bicubic"), ((40, 70, 3), 3, "bicubic"),
             ((40, 64, 3), 1.5, "bicubic"), ((96, 120, 3), 0.25, "bicubic"),
             ((30, 70, 3), 2, "lanczos3"), ((12, 6, 2), 2, "bicubic"), ((30, 50, 4), 0.5, "box"),
             # columns first
             ((40, 70, 3), (3, 2), "bicubic"), ((33, 41), (0.7, 0.5), "lanczos3"),
             ((36, 64, 3), (2, 1 / 3), "bicubic"), ((12, 6, 2), (3, 2), "bicubic"),
             ((9, 40, 3), (2.5, 2), "wrap")]
    kws = [{}, {"round_each_pass": False}] if np.dtype(dtype).kind == "u" else [{}]
    for shape, scale, method in cases:
        img = _img(shape, dtype, seed=len(shape) + shape[0])
        opts = {"method": method}
        if method == "wrap":
            opts = {"method": "lanczos3", "boundary": "wrap"}
        for kw in kws:
            n = len(seen)
            fused = resize(img, scale, **opts, **kw)
            if (shape, scale) in separately:
                n -= 1
            assert len(seen) == n + 1  # the fused kernel really ran (or not, as expected)
            monkeypatch.setattr(R, "_FUSED_PASSES", False)
            separate = resize(img, scale, **opts, **kw)
            monkeypatch.setattr(R, "_FUSED_PASSES", True)
            assert len(seen) == n + 1
            np.testing.assert_array_equal(fused, separate)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_table_plans_are_reused_across_calls(monkeypatch, dtype):
    """The per-table plan (polyphase analysis, converted weights) is computed once per cached
    table, not once per call: a regression once made every float32 call redo it (a new view
    of the cached weights per call defeated the identity-keyed plan cache).  The plan cache
    starts empty: an earlier call on the same tables (another dtype) may have filled it."""
    monkeypatch.setattr(R, "_PLANS", type(R._PLANS)())
    calls = []
    real = R._polyphase
    monkeypatch.setattr(R, "_polyphase", lambda idx, w: (calls.append(1), real(idx, w))[1])
    img = _img((41, 67, 3), dtype, seed=2)
    first = resize(img, (2, 3))
    n = len(calls)
    assert n >= 1
    for _ in range(3):
        np.testing.assert_array_equal(resize(img, (2, 3)), first)
    assert len(calls) == n


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("nch", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("nphase", [2, 3, 4, 5])
@pytest.mark.parametrize("mper", [1, 7, 8, 13, 16, 37, 67])
def test_phase_interleave_matches_numpy(dtype, nch, nphase, mper):
    """The phase interleave (LLVM shuffle blocks for 1 to 4 channels with 2-5 phases, a
    scalar loop for the rest and the last pixels) against numpy's transpose:
    ``o[(P m + p) C + c] = r[p, m C + c]``."""
    rng = np.random.default_rng(mper)
    r = (rng.random((nphase, nch * mper)) * 250).astype(dtype)
    o = np.full(nphase * nch * mper + 5, 7, dtype=dtype)  # 5 guard elements past the end
    R._interleave_phases(r, nphase, nch, mper, o[:nphase * nch * mper])
    expect = r.reshape(nphase, mper, nch).transpose(1, 0, 2).reshape(-1)
    np.testing.assert_array_equal(o[:-5], expect)
    assert np.all(o[-5:] == 7)  # nothing written past the block


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("nch", [2, 4, 5])
def test_any_channel_count_equals_its_channels_resized_alone(dtype, nch):
    """2-, 4- and 5-channel images (gray + alpha, RGBA, multispectral), on the paths their
    interleave and deinterleave blocks serve (integer factors, fractional upscales, downscales,
    bilinear), equal the independent reference and, bit for bit, each channel resized alone
    as a gray image (every path gives a pixel the same value)."""
    cases = [((23, 41), 2, "bicubic"), ((23, 41), 3, "bicubic"), ((23, 41), 4, "bicubic"),
             ((23, 41), 1.5, "bicubic"), ((23, 41), 2.5, "bicubic"), ((33, 50), 4 / 3, "bicubic"),
             ((64, 70), 0.5, "bicubic"), ((60, 70), 0.3, "bicubic"), ((23, 41), 2, "bilinear"),
             ((23, 41), (2, 3), "bicubic")]
    for (h, w), scale, method in cases:
        img = _img((h, w, nch), dtype, seed=h * nch)
        if np.dtype(dtype).kind == "f":
            img[3, 7, 1] = np.nan
            img[-5, -9, -1] = np.inf
        out = resize(img, scale, method=method)
        alone = np.stack([resize(np.ascontiguousarray(img[..., c]), scale, method=method)
                          for c in range(nch)], axis=-1)
        np.testing.assert_array_equal(out, alone)
        ref = reference_resize(np.where(np.isfinite(img), img, 0).astype(dtype), scale,
                               method=method)
        fin = np.isfinite(out)
        _check(np.where(fin, out, 0), np.where(fin, ref, 0), dtype)


def test_five_or_more_channels_take_the_lane_columns_pass(monkeypatch):
    """Rows of 5+ channels have no interleave blocks: their columns pass runs in lanes
    (:func:`_poly_ok`), and 1-4 channels keep the interleaved row for integer factors."""
    seen = _spy_kernels(monkeypatch)
    for nch, dtype in ((5, np.float32), (6, np.uint8), (8, np.uint16)):
        seen.clear()
        resize(_img((20, 30, nch), dtype), 2)
        assert seen == ["_fused_chunk_lanes"], (nch, seen)
    for nch in (2, 4):
        seen.clear()
        resize(_img((20, 30, nch), np.float32), 2)
        assert seen == ["_fused_chunk_il"], (nch, seen)


def test_columns_first_fusion_only_where_it_pays(monkeypatch):
    """Columns-first fusion (the row ring) is used for float intermediates above
    ``_COLS_FIRST_MIN_MID`` only; rows-first fusion always."""
    used = []
    real = R.fused_passes
    monkeypatch.setattr(R, "fused_passes", lambda *a: (used.append(a[-1]), real(*a))[1])
    big_f32 = np.zeros((1100, 700), np.float32)  # (3, 2): columns first, 1100*1400*4 B > 2 MiB
    resize(big_f32, (3, 2))
    assert used == [True]
    resize(big_f32.astype(np.uint8), (3, 2))  # uint8 intermediate: separate passes
    assert used == [True]
    resize(big_f32[:100, :100], (3, 2))  # 0.1 MiB float intermediate: separate passes
    assert used == [True]
    resize(big_f32[:100, :100].astype(np.uint8), (2, 3))  # rows first: always fused
    assert used == [True, False]


# --- the fixed-point path: four-tap exact tables on unsigned images ---------------------------

_FIXED_KERNELS = ("_fused_chunk_fixed", "_rows_chunk_fixed", "_cols_chunk_fixed",
                  "_fused_chunk_direct", "_cols_chunk_direct")


@pytest.mark.parametrize("dtype,scale,bits", [(np.uint8, 2.0, 16), (np.uint8, 4.0, 32),
                                              (np.uint16, 2.0, 32), (np.uint16, 4.0, 32)])
def test_fixed_plan_constants(dtype, scale, bits):
    """The plan's constants put every possible sum in range: brute force over the extreme
    pixel values of each table row (a sum of ``W_k x_k`` is largest with ``x_k = maxval``
    where ``W_k > 0`` and smallest with ``x_k = maxval`` where ``W_k < 0``), and the integer
    formula gives the exactly rounded ``S / 2**q`` (``Fraction``) on those extremes."""
    maxval = int(np.iinfo(dtype).max)
    idx, w = _tables(64, int(64 * scale), scale, "bicubic", True, "symmetric", -0.5,
                     np.dtype(np.float64))
    wi, fc = R._fixed_plan(w, maxval, maxval)
    bias, q, off, top, got_bits = (int(v) for v in fc)
    assert got_bits == bits and top == maxval
    np.testing.assert_array_equal(wi, np.ldexp(w, q))  # the weights, exactly
    for row in wi:
        for x in (maxval * (row > 0), maxval * (row < 0), np.full(4, maxval), np.zeros(4)):
            s = int(np.dot(row.astype(object), x.astype(object)))
            assert 0 <= s + bias < 2 ** bits and ((s + bias) >> q) < 2 ** (bits - 1)
            got = min(max(((s + bias) >> q) - off, 0), top)
            exact = Fraction(s, 2 ** q)
            want = min(max(int(exact + Fraction(1, 2)) if exact >= 0 else 0, 0), top)
            assert got == want


def test_fixed_plan_refuses_what_it_cannot_do(monkeypatch):
    idx, w = _tables(64, 96, 1.5, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert R._fixed_plan(w, 255, 255) is None  # x1.5: not dyadic, exact ties (even denominators)
    idx, w = _tables(64, 192, 3.0, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert int(R._fixed_plan(w, 65535, 65535)[1][4]) == R._NUMER  # x3 of 16-bit pixels ...
    monkeypatch.setattr(R, "_NUMER_PLANS", False)
    assert R._fixed_plan(w, 65535, 65535) is None  # ... no margin for 15-bit weights
    monkeypatch.setattr(R, "_MARGIN", False)
    assert R._fixed_plan(w, 255, 255) is None  # x3 weights are not dyadic
    monkeypatch.undo()
    idx, w = _tables(64, 128, 2.0, "lanczos3", True, "symmetric", -0.5, np.dtype(np.float64))
    assert R._fixed_plan(w, 255, 255) is None  # six taps
    w4 = np.array([[0.5, 0.5, 2.0 ** -30, -(2.0 ** -30)]] * 8)
    assert R._fixed_plan(w4, 65535, 65535) is None  # q = 30: beyond 32-bit lanes


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_fixed_point_path_is_taken_and_exact(monkeypatch, dtype):
    """uint8/uint16 bicubic x2 and x4 (and anisotropic mixes, where the columns pass runs
    first as a separate pass) run in integer lanes: the fixed-point kernels really ran, the
    result equals the independent reference and, bit for bit, the float32/float64 path it
    replaces.  Images of only 0 and maxval reach the extreme sums; widths from 9 (fewer
    outputs than a vector block) up, odd widths (overlapping last block), 1-4 channels."""
    seen = _spy_kernels(monkeypatch)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)  # several chunks where threads allow
    maxval = np.iinfo(dtype).max
    cases = [((40, 70, 3), 2.0, "symmetric"), ((33, 41), 4.0, "replicate"),
             ((9, 9, 3), 2.0, "symmetric"), ((20, 37, 2), 4.0, "reflect"),
             ((17, 130, 4), 2.0, "symmetric"), ((25, 19, 1), 2.0, "wrap"),
             ((30, 50, 3), (2.0, 4.0), "symmetric"), ((30, 50, 3), (4.0, 2.0), "replicate")]
    rng = np.random.default_rng(21)
    for shape, scale, boundary in cases:
        for kind in ("random", "extreme"):
            if kind == "random":
                img = _img(shape, dtype, seed=shape[1])
            else:
                img = (rng.random(shape) < 0.5).astype(dtype) * maxval
            seen.clear()
            out = resize(img, scale, boundary=boundary)
            assert any(name in _FIXED_KERNELS for name in seen), (shape, scale, seen)
            np.testing.assert_array_equal(out, reference_resize(img, scale, boundary=boundary))
            monkeypatch.setattr(R, "_FIXED_POINT", False)
            seen.clear()
            other = resize(img, scale, boundary=boundary)
            monkeypatch.setattr(R, "_FIXED_POINT", True)
            assert not any(name in _FIXED_KERNELS for name in seen)
            np.testing.assert_array_equal(out, other)


@pytest.mark.nojit_subset
def test_fixed_point_small_nojit_subset():
    """The fixed-point kernels' Python path (no vector blocks under ``NUMBA_DISABLE_JIT``)."""
    img = _img((10, 12, 3), np.uint8, seed=4)
    np.testing.assert_array_equal(resize(img, 2), reference_resize(img, 2))
    img16 = _img((10, 12), np.uint16, seed=5)
    np.testing.assert_array_equal(resize(img16, (4, 2)), reference_resize(img16, (4, 2)))


@pytest.mark.parametrize("n", [1, 15, 16, 17, 31, 32, 33, 63, 64, 100])
@pytest.mark.parametrize("bits", [16, 32, pytest.param(R._PMADD, marks=pytest.mark.skipif(
    not R._MADD_OK, reason="the pmaddwd block needs a JIT target with AVX2"))])
def test_fir4_fixed_block_edges(n, bits):
    """Every output of :func:`_fir4_fixed` for lengths around the block size (the last block
    overlaps the one before), at offsets into the source and output rows, against the
    scalar formula in Python integers; nothing is written outside ``[oo, oo + n)``."""
    rng = np.random.default_rng(n + bits)
    x = rng.integers(0, 256, size=n + 40).astype(np.uint8)
    wi = np.array([-3, 29, 111, -9], dtype=np.int64)
    fc = np.array([3136, 7, 24, 255, bits], dtype=np.int64)
    out = np.full(n + 10, 77, dtype=np.uint8)
    R._fir4_fixed(out, 5, x, 3, x, 4, x, 5, x, 6, wi, fc, n)
    for t in range(n):
        s = 3136 + sum(int(wi[k]) * int(x[3 + k + t]) for k in range(4))
        assert out[5 + t] == min(max((s >> 7) - 24, 0), 255)
    assert np.all(out[:5] == 77) and np.all(out[5 + n:] == 77)


@pytest.mark.parametrize("n", [1, 31, 32, 33, 64, 100])
@pytest.mark.parametrize("bits", [32, pytest.param(R._PMADD16, marks=pytest.mark.skipif(
    not R._MADD_OK, reason="the pmaddwd block needs a JIT target with AVX2"))])
def test_fir4_fixed_block_edges_16_bit(n, bits):
    """:func:`test_fir4_fixed_block_edges` for 16-bit pixels: the 32-bit lanes and the
    pmaddwd block (pixels as ``x - 32768``, its sums started from ``bias + 32768 sum_k
    w_k``), with the extremes 0 and 65535 among random pixels."""
    rng = np.random.default_rng(n + bits)
    x = rng.integers(0, 65536, size=n + 40).astype(np.uint16)
    x[::4] = 65535
    x[1::7] = 0
    wi = np.array([-3, 29, 111, -9], dtype=np.int64)
    off = -((-65535 * 12) >> 7)
    bias = 64 + (off << 7)
    fc = np.array([bias, 7, off, 65535, bits], dtype=np.int64)
    out = np.full(n + 10, 77, dtype=np.uint16)
    R._fir4_fixed(out, 5, x, 3, x, 4, x, 5, x, 6, wi, fc, n)
    for t in range(n):
        s = bias + sum(int(wi[k]) * int(x[3 + k + t]) for k in range(4))
        assert out[5 + t] == min(max((s >> 7) - off, 0), 65535)
    assert np.all(out[:5] == 77) and np.all(out[5 + n:] == 77)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nch", [1, 3])
@pytest.mark.parametrize("nphase", [2, 3, 4, 5])
@pytest.mark.parametrize("mper", [7, 8, 9, 16, 17, 40])
@pytest.mark.parametrize("ntaps", [4, 2])
@pytest.mark.parametrize("stream", ["plain", "streamed", "streamed-misaligned"])
@pytest.mark.parametrize("taps", ["own", "shared"])
def test_fir_interleave_row_matches_numpy(dtype, nch, nphase, mper, ntaps, stream, taps):
    """The float columns pass filtered and interleaved in registers (:func:`_fir_interleave`
    blocks, the last one overlapping) equals numpy's ``((0 + w0 a0) + w1 a1) + ...`` in the
    same dtype, bit for bit, put in pixel order; too few pixels for a block: nothing written
    and False (the caller then takes the per-phase rows).  ``streamed``: the row starts on a
    32-byte boundary and its blocks are written with streaming stores (the ``_fis`` blocks,
    their own vector code); ``streamed-misaligned``: a row that cannot stream (4 bytes past a
    boundary) takes the plain blocks.  ``shared``: every phase reads the same taps (equal
    rows of ``offs``, one load per tap: the ``_fh`` blocks for 2 and 4 phases, gray rows
    and streamed 3-channel ones), with other weights per phase."""
    rng = np.random.default_rng(nch * 100 + nphase * 10 + mper)
    length = (mper + 6) * nch
    x = rng.uniform(-2, 3, size=length).astype(dtype)
    offs = rng.integers(0, 6, size=(nphase, ntaps))
    if taps == "shared":
        offs[:] = offs[0]
    offs = np.ascontiguousarray(offs * nch, dtype=np.intp)
    w = rng.uniform(-0.3, 1.0, size=(nphase, ntaps)).astype(dtype)
    n_o = nphase * nch * mper + 4  # 4 guard elements past the end
    raw = np.empty((n_o + 64) * np.dtype(dtype).itemsize, dtype=np.uint8)
    start = -raw.ctypes.data % 32 + (4 if stream == "streamed-misaligned" else 0)
    o = raw[start:start + n_o * np.dtype(dtype).itemsize].view(dtype)
    o[:] = -7
    done = R._fir_interleave_row(o[:nphase * nch * mper], x, nch, nphase, mper, offs, w,
                                 stream != "plain", taps == "shared")
    g = R._FI_G1 if nch == 1 else R._FI_G3
    if mper < g:
        assert not done and np.all(o == -7)
        return
    assert done
    n = mper * nch
    phases = []
    for p in range(nphase):
        acc = np.zeros(n, dtype=dtype)
        for k in range(ntaps):
            acc = acc + w[p, k] * x[offs[p, k]:offs[p, k] + n]
        phases.append(acc)
    expect = np.stack(phases).reshape(nphase, mper, nch).transpose(1, 0, 2).reshape(-1)
    np.testing.assert_array_equal(o[:-4], expect)
    assert np.all(o[-4:] == -7)


def test_fir_interleave_block_refuses_integer_output():
    """The float block types with an integer output (a branch only reached at run time for
    float images) but raises if it is ever reached instead of writing garbage."""
    x = np.ones(64, np.float32)
    offs = np.zeros((2, 4), np.intp)
    w = np.ones((2, 4), np.float32)
    raw = np.zeros(128, np.uint8)
    o = raw[-raw.ctypes.data % 32:][:64]  # aligned: the streamed blocks are reached too
    for streamed in (False, True):
        for shared in (False, True):
            with pytest.raises(TypeError, match="integer output"):
                R._fir_interleave_row(o, x, 1, 2, 32, offs, w, streamed, shared)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("nch,nphase", [(3, 2), (3, 3), (3, 4), (3, 5), (1, 5), (1, 2), (2, 3)])
@pytest.mark.parametrize("mper", [5, 8, 9, 16, 17, 41])
def test_planes_interleave_matches_numpy(dtype, nch, nphase, mper):
    """The polyphase-planes output put in pixel order by :func:`_shuffle_planes` blocks (3
    channels with 2-5 phases, gray with 5; the last block overlapping) against numpy's
    transpose, ``o[(P m + p) C + c] = rp[(c P + p) M + m]``; other layouts and fewer pixels
    than a block return False and write nothing."""
    rng = np.random.default_rng(nch * 100 + nphase * 10 + mper)
    rp = (rng.random(nch * nphase * mper) * 250).astype(dtype)
    o = np.full(nch * nphase * mper + 3, 7, dtype=dtype)  # 3 guard elements past the end
    done = R._interleave_planes(rp, nphase, nch, mper, o[:-3])
    block = (nch == 3 and 2 <= nphase <= 5) or (nch == 1 and nphase == 5)
    if not block or mper < (16 if np.dtype(dtype).itemsize == 1 else 8):
        assert not done and np.all(o == 7)
        return
    assert done
    expect = rp.reshape(nch, nphase, mper).transpose(2, 1, 0).reshape(-1)
    np.testing.assert_array_equal(o[:-3], expect)
    assert np.all(o[-3:] == 7)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_fractional_scales_on_pixel_phase_planes(monkeypatch, dtype):
    """Fractional upscales with 2-5 output phases (x1.5: P = 3, Q = 2; x2.5; x4/3; x0.75) run on the
    interleaved-row path over pixel-phase planes when their weights are exactly periodic
    (float32 accumulation; the float64 weights of x1.5 differ in the last bits between
    periods, so uint16 and float64 keep the planes path): the kernels really ran, the result equals
    the independent reference and, bit for bit, the channel-planes path it replaces, fused
    and as separate passes (rows first and columns first)."""
    cases = [((40, 64, 3), 1.5, "symmetric"), ((33, 50), 4 / 3, "replicate"),
             ((30, 64, 3), 2.5, "symmetric"), ((30, 40), 2.5, "reflect"),
             ((30, 60, 3), 0.75, "symmetric"), ((20, 37, 2), 1.5, "wrap"),
             ((30, 50, 3), (2.0, 1.5), "symmetric"), ((30, 50, 3), (1.5, 3.0), "symmetric")]
    # float32 weights: exactly periodic
    _check_pixel_planes(monkeypatch, dtype, cases, dtype in (np.uint8, np.float32))


def _check_pixel_planes(monkeypatch, dtype, cases, expect_il):
    """Each case fused and as separate passes: the interleaved-row kernels ran (when
    ``expect_il``), the result equals the reference and, bit for bit, the channel-planes
    path (``_IL_PIXEL_PLANES`` off).  The output-order paths of 8-bit images, which take
    exact fractional tables such as x4/3 and checked ones such as x3 first, are off (tested
    on their own), and so are the margin weights (x3 then goes to the fixed-point columns
    pass, tested in ``test_resample_numer.py``), the pmaddwd blocks (which take the 8-
    and 16-tap downscales of integer images) and the fixed-point columns pass over the
    pixel-phase planes (exact x4/3: tested in ``test_resample_ties.py``)."""
    seen = _spy_kernels(monkeypatch)
    monkeypatch.setattr(R, "_FIXED_PLANES", False)
    monkeypatch.setattr(R, "_DIRECT", False)
    monkeypatch.setattr(R, "_DIRECT_CHECKED", False)
    monkeypatch.setattr(R, "_MARGIN", False)
    monkeypatch.setattr(R, "_MADD", False)
    for shape, scale, boundary in cases:
        img = _img(shape, dtype, seed=shape[1])
        for fused in (True, False):
            monkeypatch.setattr(R, "_FUSED_PASSES", fused)
            seen.clear()
            out = resize(img, scale, boundary=boundary)
            if expect_il:
                assert any(name in ("_fused_chunk_il", "_cols_chunk_il") for name in seen), seen
            _check(out, reference_resize(img, scale, boundary=boundary), dtype)
            monkeypatch.setattr(R, "_IL_PIXEL_PLANES", False)
            other = resize(img, scale, boundary=boundary)
            monkeypatch.setattr(R, "_IL_PIXEL_PLANES", True)
            np.testing.assert_array_equal(out, other)


def _spy_kernels(monkeypatch):
    """The list that collects the name of every chunk kernel :func:`_run_chunks` runs."""
    seen = []
    real = R._run_chunks
    monkeypatch.setattr(R, "_run_chunks", lambda kernel, n, args: (
        seen.append(kernel.__name__), real(kernel, n, args))[1])
    return seen


# --- downscales: pixel-phase planes with one output phase, and the pmaddwd path --------------

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("q", [2, 3, 4, 5])
@pytest.mark.parametrize("nch", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("w_in", [9, 40, 61, 130])
def test_pixel_deinterleave_matches_numpy(dtype, q, nch, w_in):
    """:func:`_deinterleave_pixels` (shuffle blocks for 1 to 4 channels with Q = 2-4, loops
    otherwise) against numpy slicing, into float32 planes and into planes of the row's own
    dtype; plane entries past the source pixels are never written."""
    row = _img((w_in * nch,), dtype, seed=w_in + q)
    for s0 in (0, 1, 3):
        plen = (w_in - s0) // q + 2
        for xdt in (np.float32, dtype):
            x = np.full(q * plen * nch, 7, dtype=xdt)
            R._deinterleave_pixels(row, x, nch, q, s0, plen)
            pix = row.reshape(w_in, nch)
            for r in range(q):
                want = pix[s0 + r::q][:plen].astype(xdt)
                got = x[r * plen * nch:(r + 1) * plen * nch].reshape(plen, nch)
                np.testing.assert_array_equal(got[:len(want)], want)
                assert np.all(got[len(want):] == 7)


@pytest.mark.parametrize("scale,ntaps", [(0.5, 8), (0.25, 16)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_madd_plan_constants(scale, ntaps, dtype):
    """The pmaddwd plan (antialiased bicubic x0.5 / x0.25: 8 / 16 taps) holds the exact
    weights as int16, packs the pairs as documented, and its constants put every sum in
    32-bit range with the exactly rounded result (brute force over each row's extreme pixel
    values, as for the four-tap plan).  16-bit pixels enter the lanes as ``x - 32768``: each
    ``vpmaddwd`` pair sum of those fits int32 and ``fc[5]`` plus their sum is ``S + bias``."""
    idx, w = _tables(64, int(64 * scale), scale, "bicubic", True, "symmetric", -0.5,
                     np.dtype(np.float64))
    maxval = int(np.iinfo(dtype).max)
    wi, wp, fc = R._madd_plan(w, maxval, maxval)
    bias, q, off, top, bits, bias16 = (int(v) for v in fc)
    assert w.shape[1] == ntaps and bits == R._PMADD and top == maxval
    np.testing.assert_array_equal(wi, np.ldexp(w, q))
    assert np.abs(wi).max() < 2 ** 15
    lo = (wp & 0xFFFF).astype(np.int64)
    hi = wp >> 16
    np.testing.assert_array_equal(np.where(lo >= 2 ** 15, lo - 2 ** 16, lo), wi[:, 0::2])
    np.testing.assert_array_equal(hi, wi[:, 1::2])
    shift = 32768 if dtype == np.uint16 else 0
    assert bias16 == bias + shift * int(wi[0].sum())
    for row in wi:
        for x in (maxval * (row > 0), maxval * (row < 0), np.full(ntaps, maxval),
                  np.zeros(ntaps, dtype=np.int64)):
            s = int(np.dot(row.astype(object), x.astype(object)))
            assert 0 <= s + bias < 2 ** 31  # the arithmetic shift of the pmaddwd store
            lanes = [int(row[k]) * (int(x[k]) - shift) for k in range(ntaps)]
            assert all(abs(a + b) < 2 ** 31 for a, b in zip(lanes[0::2], lanes[1::2]))
            assert bias16 + sum(lanes) == s + bias
            exact = Fraction(s, 2 ** q)
            want = min(max(int(exact + Fraction(1, 2)) if exact >= 0 else 0, 0), top)
            assert min(max(((s + bias) >> q) - off, 0), top) == want


def test_madd_plan_refuses_what_it_cannot_do():
    idx, w = _tables(96, 32, 1 / 3, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert R._madd_plan(w, 255, 255) is None  # 12 taps, not dyadic
    idx, w = _tables(64, 128, 2.0, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert R._madd_plan(w, 255, 255) is None  # four taps: the fixed-point path's
    small = np.array([[8.0, -7.0] + [0.0] * 6] * 8)  # q = 0: W = w fits int16
    assert R._madd_plan(small, 255, 255) is not None
    huge = np.array([[0.5 + 2.0 ** -16, 0.5 - 2.0 ** -16] + [0.0] * 6] * 8)  # q = 16: W > int16
    assert R._madd_plan(huge, 255, 255) is None
    # 16-bit pixels: every row's weights must have one sum (the constant boundary drops the
    # outside taps' weights at the borders), the output must be 16-bit
    idx, w = _tables(64, 32, 0.5, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert R._madd_plan(w, 65535, 65535) is not None
    assert R._madd_plan(w, 65535, 255) is None
    idx, w = _tables(64, 32, 0.5, "bicubic", True, "constant", -0.5, np.dtype(np.float64))
    assert R._madd_plan(w, 255, 255) is not None and R._madd_plan(w, 65535, 65535) is None
    assert R._madd_plan(small, 65535, 65535) is not None
    assert R._madd_plan(small * np.array([[1.0]] * 7 + [[0.5]]), 65535, 65535) is None
    # S + bias of 16-bit pixels past 2**31 (q = 14: W = (32767, -16383))
    big = np.array([[2.0 - 2.0 ** -14, -1.0 + 2.0 ** -14] + [0.0] * 6] * 8)
    assert R._madd_plan(big, 255, 255) is not None and R._madd_plan(big, 65535, 65535) is None


def _check_switched_cases(monkeypatch, switch, kernels, cases, seed, dtype=np.uint8):
    """Each ``(shape, scale, method, boundary)`` case of ``dtype`` pixels, on a random image
    and on one of only 0 and the largest value (the extreme sums), fused and as separate
    passes: the resize takes one of ``kernels`` (chunk kernel names) and equals the
    independent reference; with the module switch ``switch`` off it takes none of them and
    gives the same bits."""
    seen = _spy_kernels(monkeypatch)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)  # several chunks where threads allow
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    for shape, scale, method, boundary in cases:
        for kind in ("random", "extreme"):
            img = (_img(shape, dtype, seed=shape[1]) if kind == "random"
                   else (rng.random(shape) < 0.5).astype(dtype) * top)
            ref = reference_resize(img, scale, method=method, boundary=boundary)
            for fused in (True, False):
                monkeypatch.setattr(R, "_FUSED_PASSES", fused)
                seen.clear()
                out = resize(img, scale, method=method, boundary=boundary)
                assert any(name in kernels for name in seen), (shape, scale, seen)
                np.testing.assert_array_equal(out, ref)
                monkeypatch.setattr(R, switch, False)
                seen.clear()
                other = resize(img, scale, method=method, boundary=boundary)
                monkeypatch.setattr(R, switch, True)
                assert not any(name in kernels for name in seen), (shape, scale, seen)
                np.testing.assert_array_equal(out, other)


# --- the output-order columns pass of 8-bit images (pshufb + pmaddwd) -------------------------

def _direct_table(w_in, scale, method="bicubic", boundary="symmetric", antialias=True):
    """A four-tap table (two-tap ones widened as :func:`R._pad_taps` does) and its plan."""
    n_out = int(np.ceil(w_in * scale))
    idx, w = _tables(w_in, n_out, scale, method, antialias, boundary, -0.5, np.dtype(np.float64))
    idx, w = np.ascontiguousarray(idx, dtype=np.intp), np.ascontiguousarray(w)
    if idx.shape[1] < 4:
        idx, w = R._TablePlan(idx, w).padded(4)
    return idx, w, R._TablePlan(idx, w)


_DIRECT_ROWS = [(512, 4.0, 3, "bicubic", "symmetric"), (512, 2.0, 3, "bicubic", "replicate"),
                (256, 2.0, 1, "bicubic", "symmetric"), (256, 4.0, 1, "bicubic", "reflect"),
                (64, 8.0, 3, "bicubic", "symmetric"), (41, 4.0, 2, "bicubic", "wrap"),
                (70, 2.0, 4, "bilinear", "symmetric"), (37, 2.0, 3, "bicubic", "constant"),
                (6, 2.0, 3, "bicubic", "symmetric"), (16, 2.0, 1, "bicubic", "symmetric"),
                (9, 4.0, 2, "bilinear", "replicate"), (100, 0.5, 3, "bicubic", "symmetric"),
                (200, 0.25, 1, "bicubic", "replicate"), (90, 4 / 3, 3, "bicubic", "symmetric"),
                (90, 4 / 3, 1, "bicubic", "reflect")]


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb/pmaddwd block needs a JIT target with AVX2")
@pytest.mark.parametrize("w_in,scale,nch,method,boundary", _DIRECT_ROWS)
def test_direct_row_matches_integer_formula(w_in, scale, nch, method, boundary):
    """Every byte of :func:`_direct_row` equals the fixed-point formula of
    :func:`_fixed_plan` (``clamp(((bias + sum W x) >> q) - off, 0, 255)``, Python
    integers, the plan's own constants rather than the folded ``half``) on random rows and
    rows of only 0 and 255, every byte written (two fill values), with the periodic run's
    shortcut for taps (2, 3) on and off; plans with a periodic run and without one."""
    idx, w, plan = _direct_table(w_in, scale, method, boundary, antialias=False)
    wi, fc = plan.fixed(255, 255)
    direct = plan.direct(nch, w_in, 255, 255)
    assert direct is not None
    ctrl, wts, base, sched, half, q = direct[:6]
    assert direct[6] == nch and direct[7] is idx and direct[8] is wi and direct[9] is fc
    bias, q0, off = (int(v) for v in fc[:3])
    assert q == q0
    n_out = idx.shape[0] * nch
    if n_out >= 8 * R._DIRECT_PX and scale >= 1:
        assert sched[2] - sched[1] > sched[0]  # a periodic run
        # consecutive taps: the controls of taps (2, 3) are derived (bilinear repeats a tap)
        assert sched[4] == (2 * nch if method == "bicubic" else 0)
    rng = np.random.default_rng(w_in + nch)
    rows = [rng.integers(0, 256, size=w_in * nch).astype(np.uint8),
            ((rng.random(w_in * nch) < 0.5) * 255).astype(np.uint8)]
    e = np.arange(n_out)
    src_byte = idx[e // nch] * nch + (e % nch)[:, None]
    for row in rows:
        s = bias + (wi[e // nch].astype(object) * row[src_byte].astype(object)).sum(axis=1)
        expect = np.array([min(max((int(v) >> q) - off, 0), 255) for v in s], dtype=np.uint8)
        for dc in (int(sched[4]), 0):
            sch = sched.copy()
            sch[4] = dc
            for fill in (0, 255):
                out = np.full(n_out, fill, dtype=np.uint8)
                R._direct_row(row, out, ctrl, wts, base, sch, half, q, nch, idx, wi, fc, None)
                np.testing.assert_array_equal(out, expect)


def test_direct_plan_refuses_what_it_cannot_do(monkeypatch):
    """No plan where the taps of most blocks spread over more than 16 bytes (bicubic x0.25
    without antialiasing: four source pixels per output, up to 23 bytes for three channels;
    gray fits), rows under 16 bytes, outputs under one block, other than 8-bit pixels, and
    with the switch off.  Blocks that do not fit are gathered (wrap boundary)."""
    idx, w, plan = _direct_table(200, 0.25, antialias=False)
    assert plan.fixed(255, 255) is not None
    assert plan.direct(3, 200, 255, 255) is None
    assert plan.direct(1, 200, 255, 255) is not None
    idx, w, plan = _direct_table(64, 2.0, boundary="wrap")
    sched = plan.direct(3, 64, 255, 255)[3]
    alone = sched[7:].reshape(-1, 2)
    assert alone[0, 0] == -1 and alone[-1, 0] == -1  # both borders gathered
    assert sched[2] - sched[1] > sched[0]
    idx, w, plan = _direct_table(5, 4.0)
    assert plan.direct(4, 5, 255, 255) is not None  # 20-byte rows: windows clamped
    assert plan.direct(3, 5, 255, 255) is None  # 15-byte rows
    idx, w, plan = _direct_table(8, 2.0)
    assert plan.direct(2, 8, 255, 255) is not None and plan.direct(1, 8, 255, 255) is None
    assert plan.direct(1, 8, 65535, 65535) is None
    u8 = np.dtype(np.uint8)
    assert R._direct_setup(plan, 8, 2, np.dtype(np.uint16), np.dtype(np.uint16)) is None
    assert R._direct_setup(plan, 8, 2, u8, np.dtype(np.float32)) is None
    if R._MADD_OK:
        assert R._direct_setup(plan, 8, 2, u8, u8) is not None
    monkeypatch.setattr(R, "_DIRECT", False)
    assert R._direct_setup(plan, 8, 2, u8, u8) is None


_DIRECT_KERNELS = ("_fused_chunk_direct", "_cols_chunk_direct")


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb/pmaddwd path needs a JIT target with AVX2")
def test_direct_path_is_taken_and_exact(monkeypatch):
    """uint8 bicubic and bilinear integer upscales (x2, x4, x8, anisotropic mixes) and exact
    fractional ones (x4/3: weights in quarters) take the output-order columns pass, fused and as a separate pass: the kernels really ran, the
    result equals the independent reference and, bit for bit, the phase-row path it
    replaces (switch off).  Random images and images of only 0 and 255; widths down to one
    block of output; 1-4 channels; several chunks."""
    cases = [((40, 70, 3), 2.0, "bicubic", "symmetric"), ((33, 41), 4.0, "bicubic", "replicate"),
             ((9, 9, 3), 2.0, "bicubic", "symmetric"), ((20, 37, 2), 4.0, "bilinear", "reflect"),
             ((17, 130, 4), 2.0, "bicubic", "symmetric"), ((25, 90, 1), 2.0, "bicubic", "wrap"),
             ((30, 50, 3), (2.0, 4.0), "bicubic", "symmetric"),
             ((30, 50, 3), (4.0, 2.0), "bicubic", "replicate"),
             ((12, 24, 3), 8.0, "bicubic", "constant"), ((8, 16), 2.0, "bilinear", "symmetric"),
             ((33, 50), 4 / 3, "bicubic", "replicate"), ((20, 48, 3), 4 / 3, "bicubic", "symmetric")]
    _check_switched_cases(monkeypatch, "_DIRECT", _DIRECT_KERNELS, cases, seed=8)


# --- checked four-tap tables of 8-bit images in output order (split weights) -----------------

def _matlab_bytes(row, idx, w, nch):
    """MATLAB's columns pass of one flattened 8-bit row: float64 products summed in tap
    order, rounded half away from zero, saturated (numpy, independent of the kernels)."""
    e = np.arange(idx.shape[0] * nch)
    src = row[idx[e // nch] * nch + (e % nch)[:, None]].astype(np.float64)
    wt = w[e // nch]
    d = wt[:, 0] * src[:, 0]
    for k in range(1, w.shape[1]):
        d = d + wt[:, k] * src[:, k]
    f = np.floor(d)
    return np.clip(f + (d - f >= 0.5), 0, 255).astype(np.uint8)  # d - f is exact


def _test_rows(w_in, nch):
    """A random flattened 8-bit row of ``w_in`` pixels and one of only 0 and 255."""
    rng = np.random.default_rng(w_in + nch)
    return [rng.integers(0, 256, size=w_in * nch).astype(np.uint8),
            ((rng.random(w_in * nch) < 0.5) * 255).astype(np.uint8)]


_CHK_ROWS = [(512, 3.0, 3, "bicubic", "symmetric"), (256, 3.0, 1, "bicubic", "replicate"),
             (300, 5 / 3, 1, "bicubic", "symmetric"), (100, 3.0, 4, "lanczos2", "reflect"),
             (64, 2.2, 2, "bicubic", "wrap"), (40, 7.0, 3, "bicubic", "constant"),
             (90, 1.37, 1, "bicubic", "symmetric"), (37, 3.0, 3, "lanczos2", "symmetric"),
             (512, 2.2, 3, "bicubic", "symmetric"), (300, 1.37, 3, "bicubic", "replicate")]
#: Tables with an exact half-pixel phase (weights in sixteenths: no band there).
_CHK_TIE_ROWS = [(400, 1.5, 3, "bicubic", "symmetric"), (200, 2.5, 1, "bicubic", "replicate"),
                 (160, 1.25, 3, "bicubic", "reflect")]


@pytest.mark.parametrize("w_in,scale,nch,method,boundary", _CHK_ROWS + _CHK_TIE_ROWS)
def test_split_plan_covers_its_error(w_in, scale, nch, method, boundary):
    """The split weights rebuild ``W = rint(w 2**q)`` (``Wl`` in ``[0, 2**11)``, both parts
    int16), each row's band ``tb[j]`` exceeds ``255 sum_k |W_k - w_k 2**q|`` (the fixed
    sum's distance from the float64 one, in units of ``2**-q``, computed in Fractions) and is
    -1 (no band) only where that distance is 0, and every sum (plus ``half`` and ``tb``)
    stays in int32 for each row's extreme pixels (brute force, Python integers)."""
    idx, w, plan = _direct_table(w_in, scale, method, boundary)
    assert R._int_plan(w, 255)[0] == R.MODE_CHECK  # a checked table, not an exact one
    parts, half, q, tb = R._split_plan(w)
    wh, wl = (p.astype(np.int64) for p in parts[:2])
    big = wh * 2 ** R._SPLIT_BITS + wl
    np.testing.assert_array_equal(big, np.rint(np.ldexp(w, q)))
    assert 0 <= wl.min() and wl.max() < 2 ** R._SPLIT_BITS and np.abs(wh).max() < 2 ** 15
    assert half == 2 ** (q - 1)
    assert parts.shape == (2,) + w.shape
    lanes = isinstance(tb, np.ndarray)
    assert lanes == (scale in (1.5, 2.5, 1.25))  # exact half-pixel phases: own bands pay
    tb = tb if lanes else np.full(w.shape[0], tb)
    err = [sum(abs(Fraction(int(b)) - Fraction(float(v)) * 2 ** q) for b, v in zip(br, wr))
           for br, wr in zip(big, w)]
    for e, t in zip(err, tb.tolist()):
        if lanes:
            assert (t == -1) if e == 0 else (255 * e + 1 <= t < 2 ** (q - 8))
        else:
            assert 255 * e + 1 <= t < 2 ** (q - 8)
    for r in range(big.shape[0]):
        for x in (255 * (wh[r] > 0), 255 * (wh[r] < 0), np.full(4, 255)):
            hi = int(np.dot(wh[r].astype(object), x.astype(object)))
            lo = int(np.dot(wl[r].astype(object), x.astype(object)))
            s = half + (hi << R._SPLIT_BITS) + lo
            assert -2 ** 31 <= hi << R._SPLIT_BITS and s + tb[r] < 2 ** 31


def _walk_direct(plan, n, visit):
    """Follow :func:`R._direct_row`'s schedule of a direct plan over ``n`` output bytes:
    ``visit(e, d, v, hi, out, so)`` for each byte ``e`` of each block in order (later blocks
    overwrite earlier ones), ``d`` its descriptor, ``(v, hi)`` its vector and 128-bit lane
    (quad ``v + 4 hi``), ``out`` its place in the quad, ``so`` the source advance.  Returns
    the mask of gathered bytes."""
    ctrl, base, sched = plan[0].reshape(-1, 4, 2, 32), plan[2].reshape(-1, 8), plan[3]
    nt, a, b, adv, _, nabs = (int(v) for v in sched[:6])
    alone = sched[7:].reshape(-1, 2)
    assert alone.shape[0] == nabs
    gathered = np.zeros(n, dtype=bool)

    def put(d, t, so):
        gathered[t:t + R._DIRECT_PX] = d < 0
        if d < 0:
            return
        for v in range(4):
            for hi in range(2):
                for out in range(4):
                    visit(t + 4 * (v + 4 * hi) + out, d, v, hi, out, so)

    for d, t in alone:
        put(int(d), int(t), 0)
    for i in range(a, b):
        put((i - a) % nt, R._DIRECT_PX * i, (i - a) // nt * adv)
    return gathered


def _tap_byte(plan, d, v, hi, out, pair, k, so):
    """The source byte of tap ``2 pair + k`` of an output of a direct plan's descriptor ``d``
    (its control byte within the 16-byte window, then a zeroing one)."""
    ctrl, base = plan[0].reshape(-1, 4, 2, 32), plan[2].reshape(-1, 8)
    c = int(ctrl[d, v, pair, 16 * hi + 4 * out + 2 * k])
    assert c < 16 and ctrl[d, v, pair, 16 * hi + 4 * out + 2 * k + 1] >= 128
    return int(base[d, v + 4 * hi]) + so + c


def _decode_direct(plan, n):
    """What a checked direct plan computes, read back from its descriptors (:func:`_walk_direct`):
    for each of the ``n`` output bytes, ``{source byte: integer weight}``, its band and
    whether it was gathered.  Decoded from the layout :func:`R._direct_block` documents."""
    lanes = int(plan[3][6])
    wts = plan[1].reshape(plan[0].size // 256, -1).astype(np.int64)
    assert wts.shape[1] == 2 * 128 + 32 * lanes
    parts = wts[:, :2 * 128].reshape(-1, 2, 4, 2, 16)
    big = (parts[:, 0] << R._SPLIT_BITS) + parts[:, 1]
    bands = wts[:, 2 * 128:].reshape(-1, 4, 8) + plan[6] if lanes else None
    taps = [None] * n
    band = np.zeros(n, dtype=np.int64)

    def visit(e, d, v, hi, out, so):
        sums = {}
        for pair in range(2):
            for k in range(2):
                b = _tap_byte(plan, d, v, hi, out, pair, k, so)
                sums[b] = sums.get(b, 0) + int(big[d, v, pair, 8 * hi + 2 * out + k])
        taps[e] = sums
        band[e] = bands[d, v, 4 * hi + out] if lanes else plan[6]

    gathered = _walk_direct(plan, n, visit)
    assert all(tp is not None for tp, g in zip(taps, gathered) if not g)  # every byte written
    return taps, band, gathered


#: Tables without a period (float64 coordinates that do not repeat exactly) and with one.
_BAND_ROWS = [(512, 2.2, 3), (512, 3.7, 3), (512, 3.7, 1), (300, 5 / 3, 3), (512, 700 / 512, 3),
              (1024, 1.37, 1), (512, 1.9, 3), (512, 3.0, 3), (400, 1.5, 3), (333, 1000 / 333, 3)]


@pytest.mark.parametrize("w_in,scale,nch", _BAND_ROWS)
def test_direct_checked_plan_bands_cover_every_output(w_in, scale, nch):
    """Read back from the descriptors, every output byte of a checked plan sums its own
    source pixels (the table's, by source byte) with integer weights ``W`` whose distance
    from the float64 weights times ``2**q`` is covered by its band: ``band >= 255 sum_p
    |W_p - w_p 2**q| + 1`` (Fractions), and ``band == -1`` only where the two are equal."""
    n_out = int(np.ceil(w_in * scale))
    idx, w = _tables(w_in, n_out, scale, "bicubic", True, "symmetric", -0.5,
                     np.dtype(np.float64))
    idx, w = np.ascontiguousarray(idx, dtype=np.intp), np.ascontiguousarray(w)
    plan = R._TablePlan(idx, w).direct_checked(nch, w_in)
    assert plan is not None
    q = int(plan[5])
    n = n_out * nch
    taps, band, gathered = _decode_direct(plan, n)
    for e in np.flatnonzero(~gathered):
        j, c = divmod(int(e), nch)
        want = {}
        for k in range(4):
            b = int(idx[j, k]) * nch + c
            want[b] = want.get(b, 0) + Fraction(float(w[j, k])) * 2 ** q
        err = sum(abs(Fraction(taps[e].get(b, 0)) - want.get(b, 0))
                  for b in set(taps[e]) | set(want))
        if band[e] == -1:
            assert err == 0
        else:
            assert 255 * err + 1 <= int(band[e]) <= 512


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb/pmaddwd block needs a JIT target with AVX2")
@pytest.mark.parametrize("w_in,scale,nch,method,boundary", _CHK_ROWS + _CHK_TIE_ROWS)
def test_direct_checked_row_matches_float64(w_in, scale, nch, method, boundary):
    """Every byte of :func:`_direct_row` equals MATLAB's float64 sum in tap order,
    rounded (numpy), on random rows and rows of only 0 and 255, every byte written (two fill
    values), with the derived controls of taps (2, 3) on and off, and with the band widened
    so that nearly every byte is flagged and recomputed by the float64 fallback."""
    idx, w, plan = _direct_table(w_in, scale, method, boundary)
    chk = plan.direct_checked(nch, w_in)
    assert chk is not None
    sched, half, q, tb = chk[3:7]
    assert chk[7] == nch and chk[8] is idx
    np.testing.assert_array_equal(chk[9], w)
    n_out = idx.shape[0] * nch
    for row in _test_rows(w_in, nch):
        expect = _matlab_bytes(row, idx, w, nch)
        wide = 2 ** (q - 1) - 1 - 512 * int(sched[6])  # (lanes: own bands up to 512 added)
        for dc, band in ((int(sched[4]), tb), (0, tb), (int(sched[4]), wide)):
            sch = sched.copy()
            sch[4] = dc
            for fill in (0, 255):
                out = np.full(n_out, fill, dtype=np.uint8)
                R._direct_row(row, out, *chk[:3], sch, half, q, nch, idx, chk[9], None, band)
                np.testing.assert_array_equal(out, expect)


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb/pmaddwd block needs a JIT target with AVX2")
def test_direct_checked_bands_decide_exact_ties():
    """bicubic x1.5: the half-pixel phase has weights in sixteenths, so a sixteenth of its
    true sums are exact ties n + 1/2, which the fixed-point rounding decides as MATLAB does
    (no band there: -1); the other phases' weights have denominators 432, and their rarer
    exact ties only MATLAB's own float64 rounding decides (the band's fallback).  The
    checked row equals MATLAB's bytes; with every band narrowed below 0 (no fallback) it
    does not, and widened by one (the exact phase's ties sent through the fallback too) it
    still does: the test can fail, and the exact phase needs no band."""
    idx, w, plan = _direct_table(400, 1.5)
    parts, half, q, tb = R._split_plan(w)
    assert 0.3 < np.mean(tb == -1) < 0.35
    ctrl, wts, base, sched, half, q, tb0, nch, _, w64 = plan.direct_checked(3, 400)
    assert sched[6] == 1 and tb0 == 0  # each output's own band
    row = np.random.default_rng(5).integers(0, 256, size=400 * 3).astype(np.uint8)
    expect = _matlab_bytes(row, idx, w, 3)
    out = np.empty(idx.shape[0] * 3, dtype=np.uint8)
    for band, same in ((0, True), (-2000, False), (1, True)):  # added to each output's own
        R._direct_row(row, out, ctrl, wts, base, sched, half, q, 3, idx, w64, None, band)
        assert np.array_equal(out, expect) == same


def test_direct_checked_plan_refuses_what_it_cannot_do(monkeypatch):
    """No split plan for tables with frequent exact ties in rows of inexact weights
    (lanczos2 x1.5: about 2% of the outputs, bilinear x3.7: 1.4-2% against the lower limit of
    two-tap tables; lanczos2 x2.5 at about 1.25% and bicubic x1.5 at about 0.15% only with
    lower limits), other than four taps, or non-finite weights; no checked plan with more blocks described one by one than
    ``_DIRECT_CHK_MAX_ABS``; no checked setup for exact tables' modes, other than 8-bit
    pixels, or with the switch off."""
    for scale, method in ((3.7, "bilinear"), (1.5, "lanczos2")):
        assert R._split_plan(_direct_table(200, scale, method)[1]) is None
    assert R._split_plan(_direct_table(200, 1.5)[1]) is not None
    assert R._split_plan(_direct_table(200, 2.5, "lanczos2")[1]) is not None
    monkeypatch.setattr(R, "_DIRECT_TIE_MAX", 0.01)
    assert R._split_plan(_direct_table(200, 2.5, "lanczos2")[1]) is None
    monkeypatch.setattr(R, "_DIRECT_TIE_MAX_2TAP", 0.02)
    assert R._split_plan(_direct_table(200, 3.7, "bilinear")[1]) is not None
    monkeypatch.setattr(R, "_DIRECT_TIE_MAX", 0.0005)
    assert R._split_plan(_direct_table(200, 1.5)[1]) is None
    monkeypatch.undo()
    idx, w = _tables(64, 48, 0.75, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    assert w.shape[1] != 4 and R._split_plan(w) is None
    bad = _direct_table(64, 3.0)[1].copy()
    bad[3, 1] = np.nan
    assert R._split_plan(bad) is None
    sched = _direct_table(512, 2.2)[2].direct_checked(3, 512)[3]
    nabs = int(sched[5])
    monkeypatch.setattr(R, "_DIRECT_CHK_MAX_ABS", nabs)
    assert _direct_table(512, 2.2)[2].direct_checked(3, 512) is not None
    monkeypatch.setattr(R, "_DIRECT_CHK_MAX_ABS", nabs - 1)
    assert _direct_table(512, 2.2)[2].direct_checked(3, 512) is None
    idx, w, plan = _direct_table(64, 3.0)
    u8, u16 = np.dtype(np.uint8), np.dtype(np.uint16)
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert R._direct_chk_setup(plan, 64, 3, u16, u16, R.MODE_CHECK, f32) is None
    assert R._direct_chk_setup(plan, 64, 3, u8, f32, R.MODE_CHECK, f32) is None
    assert R._direct_chk_setup(plan, 64, 3, u8, u8, R.MODE_ROUND, f32) is None
    assert R._direct_chk_setup(plan, 64, 3, u8, f64, R.MODE_FLOAT, f64) is None
    if R._MADD_OK:
        assert R._direct_chk_setup(plan, 64, 3, u8, u8, R.MODE_CHECK, f32) is not None
        f64_plan = R._direct_chk_setup(plan, 64, 3, u8, u8, R.MODE_ROUND, f64)
        assert f64_plan is not None and f64_plan[1].dtype == np.float64
    monkeypatch.setattr(R, "_DIRECT_CHECKED", False)
    assert R._direct_chk_setup(plan, 64, 3, u8, u8, R.MODE_CHECK, f32) is None
    assert R._direct_chk_setup(plan, 64, 3, u8, u8, R.MODE_ROUND, f64) is None


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb/pmaddwd path needs a JIT target with AVX2")
def test_direct_checked_path_is_taken_and_exact(monkeypatch):
    """uint8 upscales with checked four-tap columns tables and rare ties (bicubic x3, x7,
    x5/3, x2.2, x700/512 (tables without a period, blocks described one by one); lanczos2
    x3) take the split-weight output-order columns pass, fused (rows pass checked, exact or on
    split weights) and as a separate pass: the kernels really ran, the result equals the
    independent reference and, bit for bit, the path it replaces (switch off).  Random
    images and images of only 0 and 255; 1-4 channels; every boundary; several chunks.  The
    margin plans are off here: with them bicubic x3 runs on integer weights instead
    (tests/test_resample_margin.py)."""
    monkeypatch.setattr(R, "_MARGIN", False)
    cases = [((40, 70, 3), 3.0, "bicubic", "symmetric"), ((33, 41), 3.0, "bicubic", "replicate"),
             ((30, 60), 5 / 3, "bicubic", "symmetric"), ((20, 37, 2), 3.0, "lanczos2", "reflect"),
             ((17, 130, 4), 3.0, "bicubic", "symmetric"), ((25, 90, 1), 3.0, "bicubic", "wrap"),
             ((30, 50, 3), (2.0, 3.0), "bicubic", "symmetric"),
             ((30, 50, 3), (3.0, 2.2), "bicubic", "replicate"),
             ((12, 24, 3), 7.0, "bicubic", "constant"), ((20, 300, 3), 2.2, "bicubic", "symmetric"),
             ((16, 512, 3), 700 / 512, "bicubic", "reflect")]
    _check_switched_cases(monkeypatch, "_DIRECT_CHECKED",
                          ("_fused_chunk_direct_chk", "_cols_chunk_direct_chk",
                           "_fused_chunk_fixed_chk", "_fused_chunk_split"), cases, seed=9)


# --- 8-bit tables with frequent exact ties, in float64 blocks (MATLAB's arithmetic) ---------

def _raw_table(w_in, scale, method, boundary="symmetric", antialias=True):
    n_out = int(np.ceil(w_in * scale))
    idx, w = _tables(w_in, n_out, scale, method, antialias, boundary, -0.5, np.dtype(np.float64))
    return np.ascontiguousarray(idx, dtype=np.intp), np.ascontiguousarray(w)


def _decode_direct_f64(plan, n):
    """What a float64 direct plan computes, read back from its descriptors
    (:func:`_walk_direct`): for each of the ``n`` output bytes the list of its ``(source
    byte, float64 weight)`` in tap order, and whether it was gathered.  Decoded from the
    layout :func:`R._direct_f64_codegen` documents."""
    ntw = 2 if int(plan[3][6]) else 4
    wts = plan[1].reshape(plan[0].size // 256, 4, ntw, 8)
    taps = [None] * n

    def visit(e, d, v, hi, out, so):
        taps[e] = [(_tap_byte(plan, d, v, hi, out, *divmod(tap, 2), so),
                    float(wts[d, v, tap, 4 * hi + out])) for tap in range(ntw)]

    gathered = _walk_direct(plan, n, visit)
    assert all(tp is not None for tp, g in zip(taps, gathered) if not g)  # every byte written
    return taps, gathered


#: Tables whose exact ties are frequent (bilinear x3.7, x1.3, lanczos2 x1.5 and, below the
#: split weights' limit, x2.5), or that sum in float64 (bilinear x1.5, x2.5, x1.25: ties in a sixth or a
#: tenth of the pairs), two-tap (stored as two) and four-tap, with and without a period.
_F64_ROWS = [(512, 3.7, 3, "bilinear", "symmetric"), (300, 3.7, 1, "bilinear", "replicate"),
             (400, 1.5, 3, "bilinear", "symmetric"), (200, 2.5, 4, "bilinear", "reflect"),
             (333, 1.3, 3, "bilinear", "symmetric"), (160, 1.25, 2, "bilinear", "wrap"),
             (200, 2.5, 3, "lanczos2", "symmetric"), (90, 2.5, 1, "lanczos2", "constant"),
             (512, 2.2, 3, "bicubic", "symmetric"), (64, 1.5, 3, "lanczos2", "replicate")]


@pytest.mark.parametrize("w_in,scale,nch,method,boundary", _F64_ROWS)
def test_direct_f64_plan_reads_the_table(w_in, scale, nch, method, boundary):
    """Read back from the descriptors, every output byte of a float64 plan has the table's
    taps in tap order: source byte ``idx[j, k] nch + c`` with the float64 weight ``w[j, k]``
    itself (two-tap tables: those two; tables of 2 or 3 taps are widened to four with zero
    weights, stored only where a tap of (2, 3) is non-zero)."""
    idx, w = _raw_table(w_in, scale, method, boundary)
    plan = R._TablePlan(idx, w).direct_f64(nch, w_in)
    assert plan is not None
    assert plan[1].dtype == np.float64 and plan[7] == nch
    idx4, w4 = plan[8], plan[9]
    assert idx4.shape[1] == 4
    np.testing.assert_array_equal(w4[:, :w.shape[1]], w)
    assert not w4[:, w.shape[1]:].any()
    two = not w4[:, 2:].any()
    assert int(plan[3][6]) == int(two)
    n = idx.shape[0] * nch
    taps, gathered = _decode_direct_f64(plan, n)
    for e in np.flatnonzero(~gathered):
        j, c = divmod(int(e), nch)
        want = [(int(idx4[j, k]) * nch + c, float(w4[j, k])) for k in range(2 if two else 4)]
        assert taps[e] == want, (e, taps[e], want)


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb block needs a JIT target with AVX2")
@pytest.mark.parametrize("w_in,scale,nch,method,boundary", _F64_ROWS)
def test_direct_f64_row_matches_float64(w_in, scale, nch, method, boundary):
    """Every byte of :func:`_direct_row` with a float64 plan equals MATLAB's float64 sum in
    tap order, rounded (numpy), on random rows and rows of only 0 and 255, every byte written
    (two fill values), with the derived controls of taps (2, 3) on and off."""
    idx, w = _raw_table(w_in, scale, method, boundary)
    plan = R._TablePlan(idx, w).direct_f64(nch, w_in)
    ctrl, wts, base, sched = plan[:4]
    n_out = idx.shape[0] * nch
    for row in _test_rows(w_in, nch):
        expect = _matlab_bytes(row, idx, w, nch)
        for dc in sorted({int(sched[4]), 0}):
            sch = sched.copy()
            sch[4] = dc
            for fill in (0, 255):
                out = np.full(n_out, fill, dtype=np.uint8)
                R._direct_row(row, out, ctrl, wts, base, sch, 0, 0, nch, plan[8], plan[9], None,
                              0)
                np.testing.assert_array_equal(out, expect)


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb block needs a JIT target with AVX2")
def test_direct_f64_rounds_as_matlab_at_the_edges():
    """Sums of exactly ``0.5 - 2**-54`` (MATLAB: 0; ``trunc(v + 0.5)`` would say 1), exact
    ties ``n + 1/2`` (up), and sums past 255 or below 0 (saturated), through the float64
    block."""
    below = 0.5 - 2.0 ** -54
    n_out, w_in = 64, 40
    idx = np.zeros((n_out, 2), np.intp)
    w = np.zeros((n_out, 2))
    for j in range(n_out):
        idx[j] = (j % 30, j % 30 + 1)
    w[:] = (below, 0.5)
    w[1::4] = (0.5, 0.5)  # ties when the two pixels differ by an odd number
    w[2::4] = (1.25, -0.25)  # past 255 and below 0
    plan = R._TablePlan(idx, w).direct_f64(1, w_in)
    row = np.random.default_rng(3).integers(0, 256, size=w_in).astype(np.uint8)
    row[::3] = 1
    row[1::3] = 0
    out = np.empty(n_out, dtype=np.uint8)
    R._direct_row(row, out, *plan[:4], 0, 0, 1, plan[8], plan[9], None, 0)
    np.testing.assert_array_equal(out, _matlab_bytes(row, idx, w, 1))
    a, b = row[idx[:, 0]].astype(np.float64), row[idx[:, 1]].astype(np.float64)
    assert ((a == 1) & (b == 0) & (w[:, 0] == below)).any()  # the edge case occurs
    assert (out[(a == 1) & (b == 0) & (w[:, 0] == below)] == 0).all()


def test_direct_f64_plan_refuses_what_it_cannot_do():
    """No float64 plan for tables of more than four taps or one tap, for rows shorter than a
    window, or with more blocks described one by one than ``_DIRECT_CHK_MAX_ABS``."""
    idx, w = _raw_table(64, 0.75, "bicubic")
    assert w.shape[1] > 4 and R._TablePlan(idx, w).direct_f64(3, 64) is None
    one = R._TablePlan(np.arange(40, dtype=np.intp)[:, None], np.ones((40, 1)))
    assert one.direct_f64(1, 40) is None
    idx, w = _raw_table(5, 3.7, "bilinear")
    assert R._TablePlan(idx, w).direct_f64(1, 5) is None  # 5 bytes: no 16-byte window
    assert R._TablePlan(idx, w).direct_f64(4, 5) is not None


@pytest.mark.skipif(not R._MADD_OK, reason="the pshufb block needs a JIT target with AVX2")
def test_direct_f64_path_is_taken_and_exact(monkeypatch):
    """uint8 resizes whose columns table has frequent exact ties (checked: bilinear x3.7,
    x1.3, lanczos2 x1.5) or sums in float64 (bilinear x1.5, x2.5) take the float64 blocks,
    fused and as a separate pass: the kernels really ran with float64 descriptors, the result
    equals the independent reference and, bit for bit, the path it replaces (switch off).
    Random images and images of only 0 and 255; 1-4 channels; every boundary."""
    wdt = []
    run = R._run_chunks

    def spy(kernel, nchunks, args):
        if getattr(kernel, "__name__", "") in ("_fused_chunk_direct_chk", "_cols_chunk_direct_chk",
                                                "_fused_chunk_fixed_chk"):
            wdt.append(args[-9].dtype)  # wts, in both argument lists
        return run(kernel, nchunks, args)

    cases = [((40, 70, 3), 3.7, "bilinear", "symmetric"), ((33, 41), 1.5, "bilinear", "replicate"),
             ((20, 37, 2), 1.5, "lanczos2", "reflect"), ((17, 130, 4), 1.3, "bilinear", "wrap"),
             ((30, 50, 3), (2.0, 2.5), "bilinear", "constant"),
             ((25, 90, 1), (1.0, 1.3), "bilinear", "symmetric")]
    _check_switched_cases(monkeypatch, "_DIRECT_F64",
                          ("_fused_chunk_direct_chk", "_cols_chunk_direct_chk",
                           "_fused_chunk_fixed_chk"), cases, seed=11)
    monkeypatch.setattr(R, "_run_chunks", spy)
    img = _img((40, 70, 3), np.uint8, seed=2)
    for fused in (True, False):
        monkeypatch.setattr(R, "_FUSED_PASSES", fused)
        wdt.clear()
        resize(img, 3.7, method="bilinear")
        assert wdt == [np.dtype(np.float64)] * len(wdt) and wdt


@pytest.mark.skipif(not R._MADD_OK, reason="the pmaddwd block needs a JIT target with AVX2")
def test_four_tap_plans_take_the_pmaddwd_block_where_they_can(monkeypatch):
    """uint8 x4 (32-bit sums) moves to the pmaddwd block; uint8 x2 keeps 16-bit lanes; uint16
    x2 and x4 move to the block with pixels as ``x - 32768`` (every extreme sum of each row,
    brute-forced through the offset lanes started from ``bias + 32768 sum_k W_k``, gives
    ``S + bias`` in range), with every boundary (constant: other weight sums at the borders,
    each row gets its own start); the switch turns it off."""
    def plan(n_out, scale, maxval, boundary="symmetric"):
        idx, w = _tables(64, n_out, scale, "bicubic", True, boundary, -0.5,
                         np.dtype(np.float64))
        return R._TablePlan(idx, w).fixed(maxval, maxval)

    assert int(plan(256, 4.0, 255)[1][4]) == R._PMADD
    assert int(plan(128, 2.0, 255)[1][4]) == 16
    for (n_out, scale), boundary in itertools.product(((256, 4.0), (128, 2.0)),
                                                      ("symmetric", "constant")):
        wi, fc = plan(n_out, scale, 65535, boundary)
        bias, q, off, top, bits = (int(v) for v in fc)
        assert bits == R._PMADD16 and top == 65535 and np.abs(wi).max() < 2 ** 15
        assert (wi.sum(1) == 2 ** q).all() == (boundary == "symmetric")
        for row in wi:
            start = bias + 32768 * int(row.sum())
            for x in (65535 * (row > 0), 65535 * (row < 0), np.full(4, 65535), np.zeros(4)):
                s = int(np.dot(row.astype(object), x.astype(object)))
                lanes = [int(row[k]) * (int(x[k]) - 32768) for k in range(4)]
                assert abs(lanes[0] + lanes[1]) < 2 ** 31 and abs(lanes[2] + lanes[3]) < 2 ** 31
                assert start + sum(lanes) == s + bias and 0 <= s + bias < 2 ** 31
    monkeypatch.setattr(R, "_MADD", False)
    assert int(plan(256, 4.0, 255)[1][4]) == 32
    assert int(plan(256, 4.0, 65535)[1][4]) == 32


@pytest.mark.skipif(not R._MADD_OK, reason="the pmaddwd block needs a JIT target with AVX2")
def test_16_bit_four_tap_plans_on_the_pmaddwd_block(monkeypatch):
    """uint16 bicubic x2 and x4 (the ``_PMADD16`` plans), fused and as separate passes, on
    random images and on images of only 0 and 65535, widths below one block and odd ones,
    1-4 channels, five boundaries (constant: other weight sums in the border rows): equal to
    the independent reference and, bit for bit, to the 32-bit lanes (``_MADD`` off)."""
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    rng = np.random.default_rng(28)
    cases = [((40, 50, 3), 2.0, "symmetric"), ((33, 70), 4.0, "replicate"),
             ((20, 45, 4), (2.0, 4.0), "reflect"), ((9, 7, 2), 4.0, "wrap"),
             ((30, 41, 3), (4.0, 1.0), "symmetric"), ((30, 41, 1), (1.0, 2.0), "constant")]
    for shape, scale, boundary in cases:
        for kind in ("random", "extreme"):
            img = (_img(shape, np.uint16, seed=shape[1]) if kind == "random"
                   else (rng.random(shape) < 0.5).astype(np.uint16) * 65535)
            _check_madd_on_off(monkeypatch, img, scale, boundary)


def _check_madd_on_off(monkeypatch, img, scale, boundary):
    """The resize of ``img``, fused and as separate passes, with the pmaddwd blocks on and off
    (``_MADD``): every result equals the independent reference."""
    ref = reference_resize(img, scale, boundary=boundary)
    for fused in (True, False):
        monkeypatch.setattr(R, "_FUSED_PASSES", fused)
        np.testing.assert_array_equal(resize(img, scale, boundary=boundary), ref)
        monkeypatch.setattr(R, "_MADD", False)
        np.testing.assert_array_equal(resize(img, scale, boundary=boundary), ref)
        monkeypatch.setattr(R, "_MADD", True)


def test_target_feature_query_respects_numba_config(monkeypatch):
    monkeypatch.setattr(R.numba.config, "CPU_FEATURES", "+sse2,+avx2")
    assert R._target_has_avx2()
    monkeypatch.setattr(R.numba.config, "CPU_FEATURES", "+sse2,-avx2")
    assert not R._target_has_avx2()
    monkeypatch.setattr(R.numba.config, "CPU_FEATURES", None)
    monkeypatch.setattr(R.numba.config, "CPU_NAME", "generic")
    assert not R._target_has_avx2()


_MADD_KERNELS = ("_fused_chunk_madd", "_fused_chunk_il_madd", "_rows_chunk_madd",
                 "_cols_chunk_madd")


@pytest.mark.skipif(not R._MADD_OK, reason="the pmaddwd path needs a JIT target with AVX2")
def test_madd_path_is_taken_and_exact(monkeypatch):
    """uint8 antialiased x0.5 / x0.25 (bicubic, bilinear) run on the pmaddwd kernels, fused
    and as separate passes, mixed with other scales (rows-only or columns-only pmaddwd): the
    kernels really ran, the result equals the independent reference and, bit for bit, the
    float32 path it replaces.  Images of only 0 and 255 reach the extreme sums; widths below
    one block (scalar loops), odd widths (overlapping last block), 1-4 channels."""
    cases = [((96, 120, 3), 0.25, "bicubic", "symmetric"), ((64, 90), 0.5, "bicubic", "replicate"),
             ((80, 72, 2), 0.25, "bilinear", "reflect"), ((40, 40, 3), 0.25, "bicubic", "wrap"),
             ((37, 150, 4), 0.5, "bicubic", "symmetric"), ((64, 70, 3), (0.25, 1.0), "bicubic",
                                                          "symmetric"),
             ((64, 70, 3), (1.0, 0.5), "bicubic", "replicate"),
             ((64, 70, 3), (0.5, 2.0), "bicubic", "symmetric"),
             ((64, 70, 1), (0.25, 0.5), "bicubic", "constant"), ((16, 200), 0.25, "bicubic",
                                                                 "symmetric")]
    _check_switched_cases(monkeypatch, "_MADD", _MADD_KERNELS, cases, seed=5)


@pytest.mark.skipif(not R._MADD_OK, reason="the pmaddwd path needs a JIT target with AVX2")
def test_madd_path_of_16_bit_pixels(monkeypatch):
    """uint16 antialiased x0.5 / x0.25 on the pmaddwd kernels (pixels as ``x - 32768``):
    as :func:`test_madd_path_is_taken_and_exact` (the reference, the float64 path it
    replaces bit for bit, images of only 0 and 65535 for the extreme sums), every boundary
    whose tables keep one weight sum per row."""
    cases = [((96, 120, 3), 0.25, "bicubic", "symmetric"), ((64, 90), 0.5, "bicubic", "replicate"),
             ((80, 72, 2), 0.25, "bilinear", "reflect"), ((40, 40, 3), 0.25, "bicubic", "wrap"),
             ((37, 150, 4), 0.5, "bicubic", "symmetric"),
             ((64, 70, 3), (0.25, 1.0), "bicubic", "symmetric"),
             ((64, 70, 3), (1.0, 0.5), "bicubic", "replicate"),
             ((64, 70, 3), (0.5, 2.0), "bicubic", "symmetric"),
             ((64, 70, 1), (0.25, 0.5), "bicubic", "reflect"), ((16, 200), 0.25, "bicubic",
                                                                "symmetric")]
    _check_switched_cases(monkeypatch, "_MADD", _MADD_KERNELS, cases, seed=6, dtype=np.uint16)


@pytest.mark.skipif(not R._MADD_OK, reason="the pmaddwd path needs a JIT target with AVX2")
@pytest.mark.parametrize("n", [16, 17, 31, 32, 33, 100])
@pytest.mark.parametrize("ntaps", [8, 16])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_madd_rows_block_edges(n, ntaps, dtype):
    """Every output of :func:`_rows_row_madd` for lengths around the block size, into a row
    of the source dtype and a float32 row, against the scalar formula in Python integers
    (16-bit pixels: the block starts from ``fc[5]``, the scalar loop from ``fc[0]``)."""
    rng = np.random.default_rng(n + ntaps)
    top = int(np.iinfo(dtype).max)
    src = rng.integers(0, top + 1, size=(ntaps + 3, n)).astype(dtype)
    src[0, ::3] = top  # extremes
    src[1, ::5] = 0
    wi = rng.integers(-300, 1200, size=(2, ntaps)).astype(np.int64)
    idx = np.array([rng.permutation(ntaps + 3)[:ntaps], np.arange(ntaps)], dtype=np.intp)
    wp = np.ascontiguousarray((wi[:, 1::2] << 16) | (wi[:, 0::2] & 0xFFFF))
    q = 9 if dtype == np.uint8 else 12 + ntaps // 16  # 16-bit outputs mostly not saturated
    off = int(-((-top * int(np.maximum(-wi, 0).sum(1).max())) >> q))
    bias = (1 << (q - 1)) + (off << q)
    assert top * int(np.maximum(wi, 0).sum(1).max()) + bias < 2 ** 31
    for i in range(2):
        shift = 32768 * int(wi[i].sum()) if dtype == np.uint16 else 0
        fc = np.array([bias, q, off, top, R._PMADD, bias + shift], dtype=np.int64)
        for odt in (dtype, np.float32):
            out = np.full(n, 77, dtype=odt)
            R._rows_row_madd(src, out, i, idx, wi, wp, fc, np.empty(ntaps, dtype=np.intp))
            for t in range(n):
                s = bias + sum(int(wi[i, k]) * int(src[idx[i, k], t]) for k in range(ntaps))
                assert out[t] == min(max((s >> q) - off, 0), top)


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.float64])
def test_downscales_on_pixel_phase_planes(monkeypatch, dtype):
    """One-phase tables (downscales: x0.5, x0.25) with periodic weights run on the
    interleaved-row path over pixel-phase planes, filtered straight into the output row: the
    kernels really ran, the result equals the reference and, bit for bit, the
    channel-planes path."""
    cases = [((64, 96, 3), 0.25, "symmetric"), ((40, 70), 0.5, "replicate"),
             ((30, 64, 2), 0.5, "reflect"), ((48, 96, 3), (1.0, 0.25), "symmetric")]
    _check_pixel_planes(monkeypatch, dtype, cases, True)


# --- checked tables (uint8 at x3, x1.5, x2.5, x1/3, lanczos): one register sweep -------------

@pytest.mark.skipif(not R._JIT, reason="the register blocks exist only in compiled code")
@pytest.mark.parametrize("src_dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("out_dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("ntaps", [4, 6, 8, 12])
def test_check_block_against_numpy(src_dtype, out_dtype, ntaps):
    """:func:`_check_block` on dyadic weights and integer pixels, where float32 is exact (so
    FMA contraction cannot change a bit): the stored outputs are the rounded, saturated sums
    and the returned mask marks exactly the outputs within ``bound`` of a tie, many of them
    exact ties here."""
    import numba

    @numba.njit
    def run(out, src, st, w, c):
        return R._chk(out, 3, src, st, 1, 5, w, (c[0], c[1], c[2]))

    rng = np.random.default_rng(7 + ntaps)
    half = [-0.0625, 0.5625, 0.5625, -0.0625]  # bicubic x2 half-phase: ties at multiples of 1/16
    w = np.array((half * 3)[:ntaps], dtype=np.float32) / {4: 1, 6: 2, 8: 2, 12: 4}[ntaps]
    consts = np.array([0.5, 255.0, 1e-3], dtype=np.float32)
    for trial in range(20):
        src = rng.integers(0, 256, size=40 * ntaps + 40).astype(src_dtype)
        if trial % 4 == 0:
            src[:] = 255 * (rng.random(src.size) < 0.5)  # extremes: saturation both ways
        st = tuple(40 * k for k in range(ntaps))
        out = np.full(30, 7, dtype=out_dtype)
        mask = run(out, src, st, tuple(w), consts)
        v = sum(float(w[k]) * src[st[k] + 5:st[k] + 5 + R._CHK_PX].astype(np.float64)
                for k in range(ntaps))
        want = np.clip(np.floor(v + 0.5), 0, 255)
        np.testing.assert_array_equal(out[3:3 + R._CHK_PX], want.astype(out_dtype))
        assert np.all(out[:3] == 7) and np.all(out[3 + R._CHK_PX:] == 7)
        ties = np.abs(v - np.floor(v) - 0.5) <= 1e-3
        assert mask == sum(1 << e for e in range(R._CHK_PX) if ties[e])


@pytest.mark.skipif(not R._JIT, reason="the register blocks exist only in compiled code")
def test_checked_tables_in_one_sweep_equal_the_reference(monkeypatch):
    """uint8 with checked tables of 4 taps (x3, x1.5 and x2.5, whose half-pixel phase gives
    exact ties, lanczos2 x2), 6 (lanczos3 x2, bicubic x0.75), 8 (lanczos2 x0.5) and 12
    (bicubic x1/3, lanczos3 x0.5), anisotropic mixes, fused and as separate passes, with
    images of random values and of only 0 and 255: the one-sweep blocks give the reference's
    result and the three-sweep path's, bit for bit."""
    cases = [((40, 70, 3), 3.0, "bicubic"), ((33, 64), 1.5, "bicubic"),
             ((30, 64, 3), 2.5, "bicubic"), ((30, 50, 2), 2.0, "lanczos2"),
             ((30, 50, 3), (3.0, 1.5), "bicubic"), ((30, 50, 3), (1.0, 3.0), "bicubic"),
             ((41, 37, 4), 4 / 3, "bicubic"), ((30, 50, 3), 2.0, "lanczos3"),
             ((64, 80, 3), 0.75, "bicubic"), ((64, 80), 0.5, "lanczos2"),
             ((96, 99, 3), 1 / 3, "bicubic"), ((64, 90, 3), 0.5, "lanczos3"),
             ((96, 60, 3), (1 / 3, 2.0), "bicubic")]
    rng = np.random.default_rng(3)
    for shape, scale, method in cases:
        for kind in ("random", "extreme"):
            img = (_img(shape, np.uint8, seed=shape[1]) if kind == "random"
                   else (rng.random(shape) < 0.5).astype(np.uint8) * 255)
            ref = reference_resize(img, scale, method=method)
            for fused in (True, False):
                monkeypatch.setattr(R, "_FUSED_PASSES", fused)
                out = resize(img, scale, method=method)
                np.testing.assert_array_equal(out, ref)
                monkeypatch.setattr(R, "_CHECK_BLOCKS", False)
                np.testing.assert_array_equal(resize(img, scale, method=method), out)
                monkeypatch.setattr(R, "_CHECK_BLOCKS", True)


def test_row_bounds_mark_exact_rows_and_share_a_phase_bound():
    """Rows of a checked table that are exact on their own get bound -1 (x1.5: the half-pixel
    phase, one row in three) and their float32 sums equal the float64 ones on extreme and
    random pixels; a phase whose float64 rows differ below float32 precision from one period
    to the next (same float32 weights, one row not dyadic) keeps the bound for every row."""
    idx, w = _tables(64, 96, 1.5, "bicubic", True, "symmetric", -0.5, np.dtype(np.float64))
    bound = R._int_plan(w, 255.0)[1]
    rb = R._TablePlan(idx, w).row_bounds(255.0, bound)
    exact = rb < 0
    assert 0 < exact.sum() < len(rb) and np.all(rb[~exact] == np.float32(bound))
    rng = np.random.default_rng(0)
    for i in np.nonzero(exact)[0]:
        row = w[i]
        for x in (255.0 * (row > 0), 255.0 * (row < 0), rng.integers(0, 256, row.size) * 1.0):
            s32 = np.float32(0)
            for k in range(row.size):
                s32 = np.float32(s32 + np.float32(row[k]) * np.float32(x[k]))
            assert Fraction(float(s32)) == sum(Fraction(float(row[k])) * int(x[k])
                                                for k in range(row.size))
    j0, nphase, _, mper = R._polyphase(idx, w.astype(np.float32))[:4]
    p = next(q for q in range(nphase) if exact[j0 + q])
    w2 = w.copy()
    w2[j0 + p + nphase * (mper // 2), 1] += 2.0 ** -40  # not dyadic; same float32 weight
    w2[j0 + p + nphase * (mper // 2), 2] -= 2.0 ** -40
    assert np.array_equal(w2.astype(np.float32), w.astype(np.float32))
    rb2 = R._TablePlan(idx, w2).row_bounds(255.0, bound)
    assert np.all(rb2[j0 + p:j0 + nphase * mper:nphase] == np.float32(bound))


def test_row_q_is_the_least_power_of_two_denominator():
    """:func:`_row_q` (read from the float64 representation) against exact rational
    arithmetic: real tables (dyadic and not), random dyadic weights with up to 44 fractional
    bits, zero rows, a subnormal and a huge weight."""
    rng = np.random.default_rng(0)
    tables = [_tables(n_in, n_out, s, m, True, "symmetric", -0.5, np.dtype(np.float64))[1]
              for n_in, n_out, s, m in ((64, 96, 1.5, "bicubic"), (64, 192, 3.0, "bicubic"),
                                        (192, 64, 1 / 3, "bicubic"), (64, 16, 0.25, "bicubic"),
                                        (64, 128, 2.0, "lanczos3"), (64, 96, 1.5, "bilinear"))]
    tables.append(np.ldexp(rng.integers(-1000, 1000, (50, 4)).astype(float),
                           -rng.integers(0, 45, (50, 4))))
    tables += [np.zeros((3, 4)), np.array([[2.0 ** -1074, 1e300, -3.0, 0.0]])]
    for w in tables:
        q = R._row_q(w)
        for i, row in enumerate(w):
            denominators = [Fraction(float(x)).denominator for x in row]
            assert 2 ** int(q[i]) == max(denominators)


# --- columns pass of eight rows in lanes (_cols_group): any table --------------------------

LANE_CASES = [((37, 53, 3), 1.2, "symmetric"),  # period 6: no interleaved path
              ((29, 44, 1), 1.237, "replicate"),  # no period at all
              ((19, 5, 2), 2.3, "symmetric"),  # narrower than the polyphase minimum
              ((26, 61, 4), (1.1, 0.7), "wrap"),
              ((41, 33, 3), (0.6, 1.4), "constant"),  # columns first
              ((9, 40, 3), (1.3, 1.3), "reflect")]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_lane_columns_pass(monkeypatch, dtype):
    """Tables without the interleaved path run their columns pass eight rows at a time, the
    rows in vector lanes: fused and as separate passes (heights and widths that leave partial
    groups and blocks), equal to the reference, and bit for bit to the polyphase-planes and
    gather path they replace (``_LANE_COLS`` off), ``round_each_pass=False`` included.  The
    checked output-order path of 8-bit images, which takes some of these tables first, is
    off (tested on its own)."""
    seen = _spy_kernels(monkeypatch)
    monkeypatch.setattr(R, "_DIRECT_CHECKED", False)
    for shape, scale, boundary in LANE_CASES:
        img = _img(shape, dtype, seed=shape[0])
        kws = [{}, {"round_each_pass": False}] if np.dtype(dtype).kind == "u" else [{}]
        for kw in kws:
            for fused in (True, False):
                monkeypatch.setattr(R, "_FUSED_PASSES", fused)
                seen.clear()
                out = resize(img, scale, boundary=boundary, **kw)
                assert {"_fused_chunk_lanes", "_cols_chunk_lanes"} & set(seen), seen
                _check(out, reference_resize(img, scale, boundary=boundary, **kw), dtype)
                monkeypatch.setattr(R, "_LANE_COLS", False)
                old = resize(img, scale, boundary=boundary, **kw)
                monkeypatch.setattr(R, "_LANE_COLS", True)
                np.testing.assert_array_equal(out, old)


# tables of 1 to 20 taps (x2.2 bilinear: 2, bicubic: 4, lanczos3 x1.37: 6, bilinear x0.7: 3,
# bicubic x0.3: 14, lanczos3 x0.3: 20, box x0.7: 2-3, box x0.45: 3-4), boundaries, heights
# leaving partial groups, widths whose rows have fewer than eight elements (the per-element
# path) and just eight
TAP_BLOCK_CASES = [((37, 53, 3), 2.2, "bilinear", "symmetric"),
                   ((29, 44, 1), 1.237, "bicubic", "replicate"),
                   ((21, 61, 2), 1.37, "lanczos3", "wrap"),
                   ((26, 61, 4), (1.1, 0.7), "bilinear", "reflect"),
                   ((19, 90, 5), 0.3, "bicubic", "constant"),
                   ((17, 130, 3), (1.2, 0.3), "lanczos3", "symmetric"),
                   ((23, 40, 7), (1.3, 0.7), "box", "symmetric"),
                   ((12, 33, 1), (1.5, 0.45), "box", "replicate"),
                   ((11, 3, 2), 1.2, "bicubic", "symmetric"),
                   ((9, 8, 1), 1.2, "bicubic", "symmetric"),
                   ((12, 2, 1), 1.2, "bicubic", "symmetric"),  # 3 elements: no tap block
                   ((10, 3, 1), (1.3, 2.2), "lanczos3", "symmetric")]  # 7 elements


def _lane_offsets_spy(monkeypatch):
    """The list that collects what :func:`_lane_offsets` hands the lane columns pass."""
    seen = []
    real = R._lane_offsets
    monkeypatch.setattr(R, "_lane_offsets", lambda *a: (seen.append(real(*a)), seen[-1])[1])
    return seen


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_lane_tap_blocks(monkeypatch, dtype):
    """The tap blocks of the lane columns pass (:func:`_lane_tap_block`: unrolled two and four
    taps, any count in a loop; filtered, transposed, rounded and stored in registers) give
    the bits of the per-element lane FIR they replace (``_LANE_BLOCKS`` off) and the
    reference's values, fused and as separate passes, for integer images rounded after each
    pass and once (float64 sums; 8-bit images' checked float32 tables keep the old path), and
    float images with NaN and infinities (propagated alike)."""
    seen = _lane_offsets_spy(monkeypatch)
    monkeypatch.setattr(R, "_DIRECT_CHECKED", False)
    taken = 0
    for shape, scale, method, boundary in TAP_BLOCK_CASES:
        img = _img(shape, dtype, seed=shape[0] + shape[1])
        kws = [{}, {"round_each_pass": False}] if np.dtype(dtype).kind == "u" else [{}]
        if np.dtype(dtype).kind == "f":
            bad = img.copy()
            bad[1, 1] = np.nan
            bad[-2, -1] = np.inf
            bad[len(img) // 2, 0] = -np.inf
        for kw in kws:
            kw = dict(kw, method=method, boundary=boundary)
            for fused in (True, False):
                monkeypatch.setattr(R, "_FUSED_PASSES", fused)
                seen.clear()
                out = resize(img, scale, **kw)
                taken += any(o is not None for o in seen)
                _check(out, reference_resize(img, scale, **kw), dtype)
                monkeypatch.setattr(R, "_LANE_BLOCKS", False)
                old = resize(img, scale, **kw)
                old_bad = resize(bad, scale, **kw) if np.dtype(dtype).kind == "f" else None
                monkeypatch.setattr(R, "_LANE_BLOCKS", True)
                np.testing.assert_array_equal(out, old)
                if old_bad is not None:
                    new_bad = resize(bad, scale, **kw)
                    assert np.isnan(new_bad).any()
                    np.testing.assert_array_equal(new_bad, old_bad)
    assert taken >= len(TAP_BLOCK_CASES)


@pytest.mark.parametrize("nch", [1, 3, 5])
def test_lane_offsets_read_back(monkeypatch, nch):
    """Every tap offset of :meth:`_TablePlan.lane_offsets` points at the lane vector of the
    table's tap (``(idx[j, k] nch + c)`` lanes), for float32 and float64 lanes; tables whose
    offsets would exceed the size limit get ``None`` and the per-element path (same bits)."""
    idx, w = _tables(61, 83, 83 / 61, "lanczos3", True, "symmetric", -0.5, np.float64)
    plan = R._TablePlan(idx, w)
    for dtype in (np.float32, np.float64):
        offs = plan.lane_offsets(nch, dtype)
        lane_bytes = 8 * np.dtype(dtype).itemsize
        assert offs.dtype == np.int32 and offs.shape == (83 * nch, idx.shape[1])
        assert not (offs % lane_bytes).any()
        for e in range(83 * nch):
            j, c = divmod(e, nch)
            assert (offs[e] // lane_bytes).tolist() == (idx[j] * nch + c).tolist()
    img = _img((30, 61, nch), np.float32, seed=nch)
    new = resize(img, (1.3, 83 / 61), method="lanczos3")
    monkeypatch.setattr(R, "_LANE_OFFSETS_MAX_BYTES", 100)
    monkeypatch.setattr(R, "_PLANS", type(R._PLANS)())  # plans under the small limit stay here
    seen = _lane_offsets_spy(monkeypatch)
    old = resize(img, (1.3, 83 / 61), method="lanczos3")
    assert seen and all(o is None for o in seen)
    np.testing.assert_array_equal(new, old)


def test_lane_columns_pass_near_ties_uint8():
    """uint8 at x1.2 (float32 lanes with near-tie checks) equals MATLAB's float64 arithmetic
    (the reference) over a quarter of a million outputs, and flat regions whose sums land
    exactly on ties."""
    img = _img((120, 170, 3), np.uint8, seed=12)
    img[:40, :60] = 7
    img[40:80, 60:] = np.arange(110, dtype=np.uint8)[None, :, None] * 2
    for scale in (1.2, (1.1, 1.4), 0.7):
        np.testing.assert_array_equal(resize(img, scale), reference_resize(img, scale))


@pytest.mark.nojit_subset
def test_lane_columns_pass_small():
    img = _img((11, 9, 2), np.uint8, seed=3)
    np.testing.assert_array_equal(resize(img, 1.2), reference_resize(img, 1.2))
    imf = _img((11, 9, 2), np.float32, seed=3)
    _check(resize(imf, 1.2), reference_resize(imf, 1.2), np.float32)


@pytest.mark.skipif(not R._JIT, reason="the lane blocks exist only in compiled code")
@pytest.mark.parametrize("src_dt,lane_dt", [(np.uint8, np.float32), (np.uint16, np.float32),
                                            (np.float32, np.float32), (np.uint16, np.float64),
                                            (np.float64, np.float64)])
def test_lane_transpose_blocks(src_dt, lane_dt):
    """``_lanes_in`` and ``_lanes_out`` against numpy: eight elements of ``g`` rows into the
    lanes (converted; lanes past ``g`` zero) and back (rounded half up, saturated and
    truncated for integer outputs, as :func:`_store`); rows past ``g`` untouched."""
    numba = pytest.importorskip("numba")
    lanes_in = numba.njit(lambda tin, x, rows, g: R._lanes_in(tin, x, rows, g))
    lanes_out = numba.njit(lambda out, e, tout, g, half, top, zero:
                           R._lanes_out(out, e, tout, g, half, top, zero))
    rng = np.random.default_rng(0)
    rows = _img((8, 21), src_dt, seed=4)
    for g in range(1, 9):
        tin = np.full((21, 8), np.nan, dtype=lane_dt)
        lanes_in(tin, 5, rows[:g], g)
        expect = np.zeros((8, 8), dtype=lane_dt)
        expect[:, :g] = rows[:g, 5:13].T.astype(lane_dt)
        np.testing.assert_array_equal(tin[5:13], expect)
        assert np.isnan(tin[:5]).all() and np.isnan(tin[13:]).all()
        out_dt = src_dt
        tout = (rng.uniform(-20, 300, (16, 8)) if np.dtype(out_dt).kind == "u"
                else rng.standard_normal((16, 8))).astype(lane_dt)
        tout[8, :3] = [254.5, 0.49, 255.7]  # rounding and saturation edges
        out = np.full((8, 16), 3, dtype=out_dt)
        top = float(np.iinfo(out_dt).max) if np.dtype(out_dt).kind == "u" else 0.0
        lanes_out(out[:g], 8, tout, g, lane_dt(0.5), lane_dt(top), lane_dt(0))
        if np.dtype(out_dt).kind == "u":
            want = np.minimum(np.maximum(tout[8:16].T.astype(np.float64) + 0.5, 0), top)
            want = np.floor(want).astype(out_dt)
        else:
            want = tout[8:16].T
        np.testing.assert_array_equal(out[:g, 8:16], want[:g])
        assert (out[:g, :8] == 3).all() and (out[g:] == 3).all()


# --- short integer tables: widened to four taps; tie-heavy checked tables in float64 --------

_CHECKED_KERNELS = ("_rows_chunk", "_fused_chunk_il", "_cols_chunk_il", "_fused_chunk_lanes",
                    "_cols_chunk_lanes")


def test_padded_table_repeats_the_last_index_with_zero_weight():
    idx, w = _tables(60, 90, 1.5, "bilinear", True, "symmetric", -0.5, np.dtype(np.float64))
    assert idx.shape[1] == 2
    idx4, w4 = R._plan(idx, w).padded(4)
    assert idx4.shape == (90, 4) and w4.shape == (90, 4)
    np.testing.assert_array_equal(idx4[:, :2], idx)
    np.testing.assert_array_equal(idx4[:, 2:], np.repeat(idx[:, -1:], 2, axis=1))
    np.testing.assert_array_equal(w4[:, :2], w)
    assert (w4[:, 2:] == 0).all() and not idx4.flags.writeable and not w4.flags.writeable
    assert R._plan(idx, w).padded(4)[0] is idx4  # cached: the plan cache can key on it


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_short_integer_tables_widened_to_four_taps(monkeypatch, dtype):
    """Two- and three-tap tables between integer images (bilinear) run on the four-tap
    paths, padded with zero weights: exact ones (x2, x4) in fixed point, checked ones (x3,
    x0.75, 8-bit only) on the register blocks.  Results equal the reference and, bit for bit,
    the unpadded paths; float images and tables the padding would not speed up keep their
    own width."""
    seen = _spy_kernels(monkeypatch)
    maxval = np.iinfo(dtype).max
    rng = np.random.default_rng(8)
    cases = [((40, 70, 3), 2.0, "symmetric", True), ((33, 41), 4.0, "replicate", True),
             ((30, 50, 3), (2.0, 4.0), "symmetric", True), ((9, 9, 2), 2.0, "reflect", True),
             ((36, 61, 3), 3.0, "symmetric", dtype == np.uint8),
             ((31, 45), 0.75, "replicate", dtype == np.uint8),
             ((40, 70, 3), (3.0, 2.0), "symmetric", True)]
    for shape, scale, boundary, padded in cases:
        for kind in ("random", "extreme"):
            img = (_img(shape, dtype, seed=shape[1]) if kind == "random"
                   else (rng.random(shape) < 0.5).astype(dtype) * maxval)
            seen.clear()
            out = resize(img, scale, method="bilinear", boundary=boundary)
            ref = reference_resize(img, scale, method="bilinear", boundary=boundary)
            np.testing.assert_array_equal(out, ref)
            if padded and np.all(np.asarray(scale) >= 2) and np.all(np.log2(scale) % 1 == 0):
                assert any(name in _FIXED_KERNELS for name in seen), (shape, scale, seen)
            monkeypatch.setattr(R, "_PAD_TAPS", False)
            seen.clear()
            other = resize(img, scale, method="bilinear", boundary=boundary)
            monkeypatch.setattr(R, "_PAD_TAPS", True)
            assert not any(name in _FIXED_KERNELS for name in seen)
            np.testing.assert_array_equal(out, other)


def test_padding_applies_only_where_a_four_tap_path_takes_it():
    f64 = np.dtype(np.float64)
    u8, u16, f32 = np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)

    def width(scale, src, dst, maxval):
        n_out = int(np.ceil(60 * scale))
        idx, w = _tables(60, n_out, scale, "bilinear", True, "symmetric", -0.5, f64)
        return R._pad_taps(idx, w, src, dst, maxval)[0].shape[1]

    assert width(2.0, u8, u8, 255.0) == 4  # exact: fixed point
    assert width(2.0, u16, u16, 65535.0) == 4
    assert width(3.0, u8, u8, 255.0) == 4  # checked, no ties: register block
    assert width(3.0, u16, u16, 65535.0) == 2  # float64 sums: padding costs, even where ...
    idx3, w3 = _tables(60, 180, 3.0, "bilinear", True, "symmetric", -0.5, f64)
    w3p = R._TablePlan(idx3, w3).padded(4)[1]
    assert R._fixed_plan(w3p, 65535, 65535)[1][4] == R._NUMER  # ... a numerator plan exists
    assert width(1.5, u8, u8, 255.0) == 2  # tie-heavy: float64 accumulation
    assert width(1.37, u8, u8, 255.0) == 2  # few ties, but more than a short table's share
    assert width(0.75, u8, u8, 255.0) == 4  # three taps, no ties
    assert width(2.0, u8, f64, 0.0) == 2  # float intermediate (round_each_pass=False)
    assert width(2.0, f32, f32, 0.0) == 2  # float images: 0 * inf would be NaN


def test_tie_heavy_checked_tables_accumulate_in_float64(monkeypatch):
    """Bilinear weights with small denominators (x1.5: 5/6 and 1/6) make one output in a
    few an exact tie of the true value, which the float32 check must send to float64 one
    by one; such tables accumulate in float64 instead.  Bicubic tables stay checked.  Both
    choices give the reference's values (forcing the checked path shows it)."""
    def plan(scale, method, maxval=255.0):
        idx, w = _tables(60, int(np.ceil(60 * scale)), scale, method, True, "symmetric", -0.5,
                         np.dtype(np.float64))
        return R._int_plan(w, maxval)

    for scale in (1.5, 1.2, 1.1, 2.5):
        assert plan(scale, "bilinear") is None, scale
    for scale in (1.5, 1.2, 3.0, 1 / 3):
        assert plan(scale, "bicubic")[0] == R.MODE_CHECK, scale
    assert plan(3.0, "bilinear")[0] == R.MODE_CHECK  # weights 1/3, 2/3: never a tie
    rng = np.random.default_rng(3)
    for shape, scale in [((41, 57, 3), 1.5), ((30, 44), 1.2), ((50, 47, 3), 0.7),
                         ((20, 33, 2), (2.5, 1.5))]:
        img = _img(shape, np.uint8, seed=shape[0])
        img[: shape[0] // 3] = rng.integers(100, 103, size=img[: shape[0] // 3].shape)
        ref = reference_resize(img, scale, method="bilinear")
        out = resize(img, scale, method="bilinear")
        np.testing.assert_array_equal(out, ref)
        monkeypatch.setattr(R, "_PLANS", type(R._PLANS)())
        monkeypatch.setattr(R, "_TIE_RATE_SHORT", 1.0)  # force the checked path
        monkeypatch.setattr(R, "_TIE_RATE_PER_TAP", 1.0)
        monkeypatch.setattr(R, "_DIRECT_CHECKED", False)  # (else the direct blocks take them)
        seen = _spy_kernels(monkeypatch)
        forced = resize(img, scale, method="bilinear")
        monkeypatch.undo()
        np.testing.assert_array_equal(forced, ref)
        assert any(name in _CHECKED_KERNELS for name in seen)


@pytest.mark.parametrize("scale,method", [(1.5, "bilinear"), (1.2, "bilinear"), (0.7, "bilinear"),
                                          (1.5, "bicubic"), (0.3, "bicubic")])
def test_near_tie_rate_estimate(scale, method):
    """The estimate against the near ties counted on a whole random image's rows pass
    (numpy, float64): the same fraction within sampling noise."""
    n_out = int(np.ceil(200 * scale))
    idx, w = _tables(200, n_out, scale, method, True, "symmetric", -0.5, np.dtype(np.float64))
    k = w.shape[1]
    bound = 2.0 * (k + 2) * R._U32 * (1 + 1e-3) * 255 * np.abs(w).sum(axis=1).max() \
        + 4.0 * R._U32 * 256
    est = R._near_tie_rate(w, 255.0, bound)
    assert est == R._near_tie_rate(w, 255.0, bound)  # deterministic
    img = _img((200, 300), np.uint8, seed=11).astype(np.float64)
    v = np.einsum("ok,okc->oc", w, img[idx])
    rb = R._row_bounds(w, 255.0, bound).astype(np.float64)[:, None]
    actual = np.mean(np.abs(v - np.floor(v) - 0.5) <= rb)
    assert abs(est - actual) <= 0.25 * actual + 0.005, (est, actual)


# --- passes that only select pixels: one gather ----------------------------------------------

def test_selection_tables_are_recognised():
    f64 = np.dtype(np.float64)
    for scale, method, expect in [(2.0, "nearest", True), (0.7, "nearest", True),
                                  (1.5, "box", True), (0.5, "box", False),
                                  (2.0, "bilinear", False)]:
        idx, w = _tables(50, int(np.ceil(50 * scale)), scale, method, True, "symmetric", -0.5,
                         f64)
        sel = R._plan(idx, w).selection()
        assert (sel is not None) == expect, (scale, method)
        if expect:  # the index of the one unit weight of each row
            pos = np.arange(w.shape[0])
            np.testing.assert_array_equal(sel, idx[pos, np.argmax(w, axis=1)])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_selection_passes_gather(monkeypatch, dtype):
    """nearest (any scale) and box upscales copy pixels in one gather kernel (gray images
    element by element, colour ones a pixel at a time, tests/test_resample_select.py): equal
    to the reference, bit for bit to the weighted paths, NaN and inf kept, the input
    untouched, the result written into ``out=`` too; a computing pass (bilinear rows) keeps
    the passes."""
    seen = _spy_kernels(monkeypatch)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    for shape, scale, method in [((23, 31, 3), 2.0, "nearest"), ((40, 37), 0.7, "nearest"),
                                 ((17, 29, 2), (3.0, 0.5), "nearest"), ((20, 21, 4), 1.5, "box"),
                                 ((30, 40, 3), (1.0, 2.5), "nearest"), ((9, 9), 4.0, "nearest")]:
        img = _img(shape, dtype, seed=shape[1])
        if np.dtype(dtype).kind == "f":
            img[3, 4] = np.nan
            img[5, 6] = -np.inf
        before = img.copy()
        seen.clear()
        out = resize(img, scale, method=method)
        gather = "_select_chunk" if len(shape) == 2 else "_select_px_chunk"
        assert seen == [gather], (shape, scale, seen)
        np.testing.assert_array_equal(img, before)
        ref = reference_resize(img, scale, method=method)
        np.testing.assert_array_equal(out, ref)
        dst = np.empty_like(out)
        assert resize(img, scale, method=method, out=dst) is dst
        np.testing.assert_array_equal(dst, out)
        monkeypatch.setattr(R, "_SELECT", False)
        seen.clear()
        other = resize(img, scale, method=method)
        monkeypatch.setattr(R, "_SELECT", True)
        assert not {"_select_chunk", "_select_px_chunk"} & set(seen)
        np.testing.assert_array_equal(out, other)
    seen.clear()
    resize(_img((20, 20), dtype), (2.0, 1.5), method="box")  # box x1.5 selects, x2 too
    assert seen == ["_select_chunk"]
    seen.clear()
    resize(_img((20, 20), dtype), (2.0, 0.5), method="box")  # box x0.5 averages
    assert "_select_chunk" not in seen


@pytest.mark.nojit_subset
def test_selection_keeps_negative_zero():
    img = np.array([[-0.0, 1.0], [2.0, -0.0]], dtype=np.float32)
    out = resize(img, 2, method="nearest")
    assert np.signbit(out[:2, :2]).all() and not np.signbit(out[:2, 2:]).any()
    img = _img((5, 7, 3), np.uint8)
    np.testing.assert_array_equal(resize(img, (3.0, 0.5), method="nearest"),
                                  reference_resize(img, (3.0, 0.5), method="nearest"))


# --- streaming stores for large float outputs ---------------------------------------------------

def _at(shape, dtype, byte_offset):
    """An uninitialised C-contiguous array whose first byte sits ``byte_offset`` bytes past a
    64-byte boundary (filled with NaN, so an element left unwritten shows)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(n + 128, dtype=np.uint8)
    start = -raw.ctypes.data % 64 + byte_offset
    out = raw[start:start + n].view(dtype).reshape(shape)
    out[...] = np.nan
    return out


def _streamed_equal_plain(monkeypatch, dtype, cases, step, chosen, check):
    """For each ``(shape, scale, method)`` of ``cases``: an image with a NaN and an inf,
    resized with streaming off (``plain``) and on into ``out=`` at every ``step``-byte offset
    from a 64-byte boundary, one and two threads; every result equals ``plain`` bit for bit
    and ``plain`` the independent reference.  ``chosen``: the list a spy on the streaming
    decision appends to, emptied before each call and passed to ``check`` after it.  Returns
    the cases for which a decision was recorded."""
    numba = pytest.importorskip("numba")
    recorded = set()
    old = numba.get_num_threads()
    try:
        for shape, scale, method in cases:
            img = _img(shape, dtype, seed=shape[0] + int(np.sum(scale)))
            img[3, 7] = np.nan
            img[-5, -9] = np.inf
            monkeypatch.setattr(R, "_STREAM", False)
            plain = resize(img, scale, method=method)
            monkeypatch.setattr(R, "_STREAM", True)
            ref = reference_resize(np.where(np.isfinite(img), img, 0), scale, method=method)
            for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
                numba.set_num_threads(threads)
                for offset in range(0, 64, step):
                    del chosen[:]
                    out = _at(plain.shape, dtype, offset)
                    resize(img, scale, method=method, out=out)
                    check(chosen, (shape, scale, method))
                    recorded.add((shape, scale, method)) if chosen else None
                    np.testing.assert_array_equal(out, plain)
            ok = np.isfinite(plain)
            _check(np.where(ok, plain, 0), np.where(ok, ref, 0), dtype)
    finally:
        numba.set_num_threads(old)
    return recorded


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fused", [True, False])
def test_streamed_outputs_equal_plain_ones(monkeypatch, dtype, fused):
    """Large float outputs (here every output: the size threshold set to 0) are written by the
    streamed fir-interleave blocks wherever their rows are 32-byte aligned: the results equal
    the plain stores' bit for bit (NaN and inf included) and the independent reference, for
    every block shape (1 and 3 channels, 2-5 phases, four and two taps, integer and
    fractional scales), every alignment of ``out=`` (only aligned rows stream, the others take
    the plain blocks), one or two threads, fused or separate passes; the streamed plan is
    really chosen."""
    pytest.importorskip("numba")
    monkeypatch.setattr(R, "_STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)  # several chunks, each fencing its own rows
    monkeypatch.setattr(R, "_FUSED_PASSES", fused)
    streamed = []
    real = R._streamed

    def spy(dst, mode):
        streamed.append(real(dst, mode))
        return streamed[-1]

    monkeypatch.setattr(R, "_streamed", spy)
    cases = [((37, 45), 4, "bicubic"), ((40, 53, 3), 4, "bicubic"), ((40, 53, 3), 2, "bicubic"),
             ((37, 45), 3, "bicubic"), ((40, 53, 3), 5, "bicubic"), ((40, 53, 3), 2.5, "bicubic"),
             ((37, 45), 2, "bilinear"), ((40, 53, 3), 3, "bilinear"), ((40, 53, 3), (3, 4), "bicubic")]
    def check(streamed, case):
        assert all(streamed), case

    cases_streamed = _streamed_equal_plain(monkeypatch, dtype, cases,
                                           2 * np.dtype(dtype).itemsize, streamed, check)
    # float64 tables of x3, x5, x2.5 and bilinear x3 are not exactly periodic in float64 (the
    # planes path, which has no fir-interleave blocks); every other case streams
    assert len(cases_streamed) == (9 if dtype == np.float32 else 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stream", [False, True])
def test_shared_taps_equal_own_taps(monkeypatch, dtype, stream):
    """Tables whose phases all read the same taps (even integer factors) are flagged so
    (``qs[4]``, checked against the equality of the rows of the tap offsets themselves) and
    take the shared-taps blocks (each tap loaded once; gray rows and streamed 3-channel rows):
    results equal the per-phase-taps blocks' bit for bit (NaN and inf included) and the
    independent reference, fused or separate passes, one or two threads; tables without
    shared taps (x3, x4/3) are not flagged."""
    numba = pytest.importorskip("numba")
    monkeypatch.setattr(R, "_STREAM", stream)
    monkeypatch.setattr(R, "_STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    cases = [((37, 45), 2, "bicubic"), ((37, 45), 4, "bicubic"), ((40, 53, 3), 2, "bicubic"),
             ((40, 53, 3), 4, "bicubic"), ((37, 45), 2, "bilinear"), ((40, 53, 3), 4, "bilinear"),
             ((37, 45), 3, "bicubic"), ((40, 53, 3), 4 / 3, "bicubic")]
    old = numba.get_num_threads()
    try:
        for shape, scale, method in cases:
            img = _img(shape, dtype, seed=shape[0] + int(4 * scale))
            img[3, 7] = np.nan
            img[-5, -9] = np.inf
            idx, w = _tables(shape[1], -(-shape[1] * 4 // 3) if scale == 4 / 3 else shape[1] * scale,
                             scale, method, True, "symmetric", -0.5, np.dtype(dtype))
            plan = R._plan(idx, w)
            offs, _ = plan.interleaved(dtype, 1)
            flagged = bool(plan.pixel_planes(dtype, stream)[4])
            assert flagged == bool((offs == offs[0]).all()) == (scale in (2, 4)), (shape, scale)
            ref = reference_resize(np.where(np.isfinite(img), img, 0), scale, method=method)
            outs = []
            for shared in (False, True):
                monkeypatch.setattr(R, "_SHARED_TAPS", shared)
                for fused in (True, False):
                    monkeypatch.setattr(R, "_FUSED_PASSES", fused)
                    for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
                        numba.set_num_threads(threads)
                        out = _at(ref.shape, dtype, 0)
                        resize(img, scale, method=method, out=out)
                        outs.append(out)
            for out in outs[1:]:
                np.testing.assert_array_equal(out, outs[0])
            ok = np.isfinite(outs[0])
            _check(np.where(ok, outs[0], 0), np.where(ok, ref, 0), dtype)
    finally:
        numba.set_num_threads(old)


def test_small_outputs_do_not_stream(monkeypatch):
    """Below ``_STREAM_MIN_BYTES`` (the last-level cache of the reference machine) a result
    may still be read from cache by the caller: plain stores.  Integer images never stream
    (their columns pass has no fir-interleave blocks)."""
    seen = []
    real = R._streamed
    monkeypatch.setattr(R, "_streamed", lambda dst, mode: seen.append(real(dst, mode)) or seen[-1])
    resize(_img((64, 64, 3), np.float32), 4)
    assert seen == [False]
    del seen[:]
    resize(_img((600, 600), np.uint8), 4)  # a 5.5 MiB uint8 result: fixed-point path
    assert not any(seen)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_streamed_rows_equal_plain_rows(monkeypatch, dtype):
    """Columns pass first (the columns scale is the smaller one, MATLAB's order), fused: the
    rows pass's output rows of a large float result (here every result: the threshold set to
    0) are written by streaming stores, whole 64-byte lines, the elements before the first and
    after the last by scalar code.  The results equal the plain rows' bit for bit (NaN and inf
    included) and the independent reference, for four- and two-tap rows tables, gray and
    colour, every element offset of ``out=`` (so every head length), one or two threads with
    several chunks (each fencing its own rows); the streamed rows are really chosen."""
    pytest.importorskip("numba")
    monkeypatch.setattr(R, "_STREAM_ROWS_MIN_BYTES", 0)
    monkeypatch.setattr(R, "_COLS_FIRST_MIN_MID", 0)  # the fused ring for these small images
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    chosen = []
    real = R._streamed_rows
    monkeypatch.setattr(R, "_streamed_rows",
                        lambda dst, mode, ridx: chosen.append(real(dst, mode, ridx)) or chosen[-1])
    cases = [((37, 45), (4, 3), "bicubic"), ((40, 53, 3), (4, 2), "bicubic"),
             ((40, 53, 3), (2, 1.5), "bicubic"), ((37, 45), (3, 2), "bilinear"),
             ((40, 53, 3), (2, 0.5), "bicubic"), ((37, 45), (4, 3), "lanczos2")]
    def check(chosen, case):
        assert chosen in ([True], []), case

    cases_streamed = _streamed_equal_plain(monkeypatch, dtype, cases, np.dtype(dtype).itemsize,
                                           chosen, check)
    # the fused ring needs the interleaved columns path: the float64 tables of the x3 and
    # x1.5 columns are not exactly periodic in float64 (separate passes, plain rows); the
    # rest stream
    assert len(cases_streamed) == (6 if dtype == np.float32 else 3), cases_streamed


def test_streamed_rows_only_for_large_float_results(monkeypatch):
    """Rows-pass rows stream only for float results of at least ``_STREAM_ROWS_MIN_BYTES``
    with two- or four-tap rows tables: smaller results, integer ones and six-tap tables keep
    plain stores (a 9 MiB float32 result of a columns-first resize does stream)."""
    taps = {k: np.zeros((8, k), np.intp) for k in (2, 4, 6)}
    big = np.empty(R._STREAM_ROWS_MIN_BYTES // 4, np.float32)
    assert R._streamed_rows(big, R.MODE_FLOAT, taps[4])
    assert R._streamed_rows(big, R.MODE_FLOAT, taps[2])
    assert not R._streamed_rows(big, R.MODE_FLOAT, taps[6])
    assert not R._streamed_rows(big[:-1], R.MODE_FLOAT, taps[4])
    assert not R._streamed_rows(big.view(np.uint8), R.MODE_ROUND, taps[4])
    chosen = []
    real = R._streamed_rows
    monkeypatch.setattr(R, "_streamed_rows",
                        lambda dst, mode, ridx: chosen.append(real(dst, mode, ridx)) or chosen[-1])
    out = resize(_img((256, 256, 3), np.float32), (4, 3))
    assert out.nbytes >= R._STREAM_ROWS_MIN_BYTES and chosen == [True]


@given(n=st.integers(0, 80), offset=st.integers(0, 15), ntaps=st.sampled_from([2, 4]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2 ** 16))
def test_stream_row_equals_numpy(n, offset, ntaps, dtype, seed):
    """``_stream_row`` (streamed whole lines, scalar head and tail) gives every element of the
    row ``((0 + w0 a0) + w1 a1) + ...``, evaluated here by numpy in the row's dtype, whatever
    the row's length and its offset from a 64-byte boundary; nothing outside the row is
    written."""
    if not R._JIT:
        pytest.skip("the streamed row is an LLVM intrinsic (NUMBA_DISABLE_JIT=1 here)")
    rng = np.random.default_rng(seed)
    rows = tuple(rng.standard_normal(n).astype(dtype) for _ in range(ntaps))
    if n:
        rows[0][rng.integers(n)] = np.nan
        rows[-1][rng.integers(n)] = -np.inf
    ws = tuple(dtype(v) for v in rng.standard_normal(ntaps))
    item = np.dtype(dtype).itemsize
    buf = _at((n + 64 // item + 16,), dtype, 0)
    out = buf[offset:offset + n]
    R._stream_row(out, rows, ws)  # (streaming stores are ordered for the storing thread)
    want = np.zeros(n, dtype)
    for a, w in zip(rows, ws):
        want = want + w * a
    np.testing.assert_array_equal(out, want)
    assert np.isnan(buf[:offset]).all() and np.isnan(buf[offset + n:]).all()


def test_large_pooled_outputs_are_placed_to_stream():
    """A pooled result of the streaming size is placed in its block so that the first
    fir-interleave block of each row is 64-byte aligned (rows of 24 KiB: every row streams)."""
    from classicsr import _memory as M

    img = _img((512, 512, 3), np.float32)
    out = resize(img, 4)
    assert out.nbytes >= R._STREAM_MIN_BYTES and not out.flags.owndata  # pooled
    idx, w = _tables(512, 2048, 4.0, "bicubic", True, "symmetric", -0.5, np.dtype(np.float32))
    at = R._stream_align(idx, w, out.dtype, 512, 3)
    assert at > 0 and at % (3 * 4) == 0
    assert (out.ctypes.data + at) % M.ALIGN == 0
