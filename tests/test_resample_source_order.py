"""The rows pass of float images at integer-factor downscales, in source order (``_so_row``).

Away from the borders an antialiased downscale by an integer factor ``f`` reads, for output
row ``i``, the ``K`` consecutive source rows from ``f i + c`` on.  The source-ordered pass
goes through the source rows in groups of ``f`` and adds each group into every output that
holds it.  It must give the bits of the row-by-row pass (``_SOURCE_ORDER`` off, each output's
taps summed in tap order), for every chunking and call order, including NaN, infinities and
signed zeros, and stay within tolerance of the independent reference in
``tests/naive_resize.py``; and the tests check that the path is really taken.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from classicsr import resize, set_num_threads, get_num_threads
from classicsr._kernels import resample as R
from classicsr.resize import contributions

from .naive_resize import reference_resize


def _img(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    img = rng.uniform(-1.0, 2.0, size=shape).astype(dtype)
    flat = img.reshape(-1)
    # values whose propagation a reordered sum could change: NaN, +-inf, -0.0
    for v in (np.nan, np.inf, -np.inf, -0.0, -0.0):
        flat[rng.integers(0, flat.size)] = v
    img[min(5, shape[0] - 1)] = -0.0  # a whole row of negative zeros
    return img


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


def _plans_used(monkeypatch):
    """The ``so`` argument of every chunk kernel that takes one, as each call runs."""
    seen = []
    run = R._run_chunks
    takes_so = {R._rows_chunk, R._fused_chunk_il, R._fused_chunk, R._fused_chunk_lanes}

    def spy(kernel, nchunks, args):
        if kernel in takes_so:
            seen.append(args[-1])
        return run(kernel, nchunks, args)

    monkeypatch.setattr(R, "_run_chunks", spy)
    return seen


def _both(monkeypatch, img, scale, method):
    monkeypatch.setattr(R, "_SOURCE_ORDER", True)
    new = resize(img, scale, method=method)
    monkeypatch.setattr(R, "_SOURCE_ORDER", False)
    old = resize(img, scale, method=method)
    monkeypatch.setattr(R, "_SOURCE_ORDER", True)
    return new, old


# --- the plan ------------------------------------------------------------------------------

@pytest.mark.parametrize("n_in", [64, 97, 301, 2048])
@pytest.mark.parametrize("f,method,ntaps", [(2, "bicubic", 8), (3, "bicubic", 11),
                                            (4, "bicubic", 16), (2, "lanczos2", 8),
                                            (3, "lanczos2", 11), (4, "lanczos2", 16),
                                            (2, "bilinear", 4), (3, "bilinear", 5),
                                            (4, "bilinear", 8)])
@pytest.mark.parametrize("boundary", ["symmetric", "replicate", "constant"])
def test_plan_covers_exactly_the_consecutive_rows(n_in, f, method, ntaps, boundary):
    """MATLAB's antialiased tables at x1/2, x1/3, x1/4 have 8, 11, 16 taps (bicubic,
    Lanczos-2) or 4, 5, 8 (bilinear); the plan's rows ``lo <= i < hi`` are exactly the
    maximal run around the middle whose taps are ``f i + c + k``."""
    n_out = -(-n_in // f)
    idx, _ = contributions(n_in, n_out, 1 / f, method, boundary=boundary)[:2]
    assert idx.shape[1] == ntaps
    so = R._so_plan(idx)
    assert so is not None
    f_, c, g_n, k_n, lo, hi = (int(v) for v in so)
    assert (f_, g_n, k_n) == (f, -(-ntaps // f), ntaps)

    def consecutive(i):
        return np.array_equal(idx[i], f * i + c + np.arange(ntaps))

    assert all(consecutive(i) for i in range(lo, hi))
    assert lo == 0 or not consecutive(lo - 1)
    assert hi == n_out or not consecutive(hi)
    assert lo <= 3 and hi >= n_out - 3  # only the border rows are left to the other path


@pytest.mark.parametrize("n_in,n_out,method", [
    (100, 20, "bicubic"),    # x1/5: groups of five rows, no whole-group loop
    (100, 30, "bicubic"),    # x0.3: no integer factor
    (64, 128, "bicubic"),    # upscale
    (64, 16, "lanczos3"),    # six groups
    (64, 16, "box"),         # one group: already source-ordered
    (12, 3, "bicubic"),      # fewer interior rows than _SO_MIN_ROWS
])
def test_plan_refuses_other_tables(n_in, n_out, method):
    idx, _ = contributions(n_in, n_out, n_out / n_in, method)[:2]
    assert R._so_plan(idx) is None


def test_plan_only_for_float_sums(monkeypatch):
    """Integer images (uint8, uint16, and ``round_each_pass=False``) keep their own rows
    passes: the plan is handed to no kernel for them."""
    seen = _plans_used(monkeypatch)
    for dtype in (np.uint8, np.uint16):
        img = (np.arange(96 * 40 * 3) % 251).astype(dtype).reshape(96, 40, 3)
        resize(img, 0.25)
        resize(img, 0.25, round_each_pass=False)
    assert all(so is None for so in seen)


def test_plan_only_where_the_types_agree():
    """A partial sum kept in a wider destination row (float64 row, float32 sums) would skip
    the float32 rounding of the row-by-row pass: the plan needs source, sums and destination
    rows of one type."""
    idx, w = contributions(64, 16, 0.25)[:2]
    w32 = np.asarray(w, dtype=np.float32)
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert R._so_rows(idx, w, R.MODE_FLOAT, f32, w32, f32) is not None
    assert R._so_rows(idx, w, R.MODE_FLOAT, f32, w32, f64) is None
    assert R._so_rows(idx, w, R.MODE_FLOAT, f64, w32, f32) is None
    assert R._so_rows(idx, w, R.MODE_ROUND, f32, w32, f32) is None


# --- same bits as the row-by-row pass ------------------------------------------------------

_SCALES = {
    "both": lambda f: (1 / f, 1 / f),        # fused, columns pass on the interleaved row
    "rows only": lambda f: (1 / f, 1),       # rows pass alone (_rows_chunk)
    "columns up": lambda f: (1 / f, 1.5),    # fused with a fractional columns table
    "columns other": lambda f: (1 / f, 0.7),  # fused, columns pass of no period
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f", [2, 3, 4])
@pytest.mark.parametrize("method", ["bicubic", "bilinear", "lanczos2"])
@pytest.mark.parametrize("nch", [1, 3, 5])
@pytest.mark.parametrize("kind", sorted(_SCALES))
def test_same_bits_as_row_order(monkeypatch, dtype, f, method, nch, kind):
    """Every kernel that takes the plan (rows pass alone, fused with the interleaved row, the
    lane columns pass of 5 channels or the planes/gather columns pass), one and two threads
    with many chunks (each chunk starts a new run): the same bits as the row-by-row pass,
    NaN, infinities and signed zeros included, and within tolerance of the reference."""
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    seen = _plans_used(monkeypatch)
    scale = _SCALES[kind](f)
    img = _img((12 * f + 7, 23, nch), dtype, seed=f * 10 + nch)
    threads = get_num_threads()
    try:
        for nt in (1, 2):
            set_num_threads(nt)
            n = len(seen)
            new, old = _both(monkeypatch, img, scale, method)
            assert any(so is not None for so in seen[n:])  # the path was really taken
            np.testing.assert_array_equal(_bits(new), _bits(old))
    finally:
        set_num_threads(threads)
    clean = _img((12 * f + 7, 23, nch), dtype, seed=f)
    clean[~np.isfinite(clean)] = 0.5
    ref = reference_resize(clean, scale, method=method)
    out = resize(clean, scale, method=method)
    tol = 1e-5 if np.dtype(dtype) == np.float32 else 1e-12
    np.testing.assert_allclose(out, ref, rtol=0, atol=tol * 2.0)


def test_without_fused_passes(monkeypatch):
    """Separate passes (``_FUSED_PASSES`` off) take the plan in the rows pass too."""
    monkeypatch.setattr(R, "_FUSED_PASSES", False)
    seen = _plans_used(monkeypatch)
    img = _img((130, 70, 3), np.float32, seed=3)
    new, old = _both(monkeypatch, img, 0.25, "bicubic")
    assert any(so is not None for so in seen)
    np.testing.assert_array_equal(_bits(new), _bits(old))


@settings(max_examples=25, deadline=None)
@given(f=st.sampled_from([2, 3, 4]), method=st.sampled_from(["bicubic", "bilinear"]),
       h=st.integers(10, 90), w=st.integers(1, 40), nch=st.integers(1, 4),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2 ** 16),
       columns=st.sampled_from([1.0, 0.5, 1.0 / 3, 2.0]))
def test_same_bits_property(f, method, h, w, nch, dtype, seed, columns):
    """Any height (interiors of every length, or none), width, channel count and columns
    scale: the source-ordered and the row-by-row rows pass give the same bits."""
    img = _img((h, w, nch), dtype, seed)
    scale = (1 / f, columns)
    R._SOURCE_ORDER = True
    try:
        new = resize(img, scale, method=method)
        R._SOURCE_ORDER = False
        old = resize(img, scale, method=method)
    finally:
        R._SOURCE_ORDER = True
    np.testing.assert_array_equal(_bits(new), _bits(old))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f,method", [(2, "bicubic"), (3, "bicubic"), (4, "bicubic"),
                                      (3, "bilinear"), (4, "bilinear")])
def test_any_call_order(dtype, f, method):
    """``_rows_row_so`` called for the rows in any order (runs restarted, rows repeated,
    skipped and taken backwards) with one ring and state gives each row the bits of
    ``_rows_row``."""
    h_in, length = 40 * f + 3, 37
    src = _img((h_in, length), dtype, seed=f).reshape(h_in, length)
    h_out = -(-h_in // f)
    idx, w64 = contributions(h_in, h_out, 1 / f, method)[:2]
    w = np.ascontiguousarray(w64, dtype=dtype)
    so = R._so_plan(idx)
    assert so is not None
    consts = np.zeros(6, dtype=dtype)
    acc = np.empty(length, dtype=dtype)
    want = np.empty((h_out, length), dtype=dtype)
    for i in range(h_out):
        R._rows_row(src, want[i], i, idx, w, w64, R.MODE_FLOAT, consts, 0.0, False, acc)
    rng = np.random.default_rng(f)
    orders = [np.arange(h_out), np.arange(h_out)[::-1], rng.permutation(h_out),
              np.repeat(np.arange(h_out), 2), np.arange(0, h_out, 3),
              np.concatenate([np.arange(5, 20), np.arange(3, 30), np.arange(h_out)])]
    for order in orders:
        ring, stt = R._so_scratch(so, length, w)
        got = np.full((h_out, length), 7.0, dtype=dtype)
        for i in order:
            R._rows_row_so(src, got[i], int(i), idx, w, w64, R.MODE_FLOAT, consts, 0.0, False,
                           acc, so, ring, stt)
        np.testing.assert_array_equal(_bits(got[order]), _bits(want[order]))


@pytest.mark.nojit_subset
def test_source_order_small_nojit_subset(monkeypatch):
    """The source-ordered pass's Python path (run without JIT by tests/test_nojit.py)."""
    seen = _plans_used(monkeypatch)
    for f in (2, 3, 4):
        img = _img((14 * f, 6, 2), np.float32, seed=f)
        new, old = _both(monkeypatch, img, (1 / f, 1), "bicubic")
        np.testing.assert_array_equal(_bits(new), _bits(old))
    assert sum(so is not None for so in seen) == 3
