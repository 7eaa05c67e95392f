"""Rows pass of checked four-tap tables of 8-bit images on split weights (thirty-sixth session).

Tables whose weights are not multiples of a power of two (bicubic x1.1, x1.37, x2.2, lanczos2)
and the even-denominator ones (bicubic x1.5, x2.5: exact ties of the true sum) ran their rows
pass in float32 with a near-tie test or as tie-checked numerators.  ``split_rows`` gives each
row the integer weights ``W = rint(w 2**q)`` (``q <= 22``) split as ``Wh 2**11 + Wl`` (two
int16 parts on the same widened pixels, ``vpmaddwd`` twice) and a band: ``S = 2**(q - 1) +
sum W x`` is exact in int32, ``S >> q`` is MATLAB's rounded float64 sum unless ``S`` lies
within the band of a rounding tie, and those outputs are recomputed in float64 in tap order.

The plan claims this is MATLAB's value for every pixel vector.  These tests check the claim
independently: the kernel on vectors steered into the bands (where MATLAB and ``S >> q``
disagree about half the time) and on random and extreme ones, against MATLAB's float64
arithmetic done here in numpy; a band that flags nothing gives wrong bytes there and one that
flags everything right ones (the recomputation is what makes them right); the plan's
constants against exact rational arithmetic; whole resizes against the slow reference in
``tests/naive_resize.py`` and, bit for bit, against the paths the plan replaces
(``_SPLIT_ROWS`` off); and that the new kernels really ran.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R
from classicsr.resize import _tables

from .naive_resize import reference_resize
from .test_resample_fast import _check_switched_cases, _spy_kernels
from .test_resample_numer import _matlab, _table

pytestmark = pytest.mark.skipif(not R._MADD_OK,
                                reason="the split rows block needs a JIT target with AVX2")

_SPLIT_KERNELS = ("_rows_chunk_split", "_fused_chunk_split")
#: (input length, scale, method): inexact weights (x1.1: rows within 1e-16 of sixteenths,
#: whose exact ties only MATLAB's float64 rounding decides), even denominators with exact
#: half-pixel rows (x1.5, x2.5), irrational weights (lanczos2), a table without a period.
_TABLES = [(1024, 1.1, "bicubic"), (64, 1.1, "bicubic"), (64, 1.5, "bicubic"),
           (64, 2.5, "bicubic"), (64, 1.37, "bicubic"), (70, 2.2, "bicubic"),
           (64, 2.0, "lanczos2"), (90, 1.1, "lanczos2"), (64, 1.25, "lanczos2")]


def _split(n_in, scale, method, boundary="symmetric"):
    idx, w = _table(n_in, scale, method, boundary)
    plan = R._TablePlan(idx, w).split_rows()
    assert plan is not None, (n_in, scale, method, boundary)
    return idx, w, plan


def _weights(ws):
    """The rows' integer weights ``W = Wh 2**11 + Wl`` (int64)."""
    return (ws[:, :4] << R._SPLIT_BITS) + ws[:, 4:8]


def _kernel(ws_row, w_row, half, q, x, band=None):
    """:func:`R._rows_row_split` of the pixel vectors ``x`` (n, 4): a one-row table over a
    four-row image whose row ``k`` holds tap ``k`` of every vector."""
    src = np.ascontiguousarray(x.T, dtype=np.uint8)
    idx = np.arange(4, dtype=np.intp)[None]
    ws = np.array(ws_row, dtype=np.int64)[None].copy()
    if band is not None:
        ws[0, 8] = band
    out = np.zeros(x.shape[0], dtype=np.uint8)
    R._rows_row_split(src, out, 0, idx, ws, np.ascontiguousarray(w_row[None]), half, q)
    return out.astype(np.int64)


def _near(ws_row, half, q, pool):
    """The vectors of ``pool`` whose sum lies in the row's band (the near ties)."""
    s = half + pool @ _weights(ws_row[None])[0]
    b = int(ws_row[8])
    return pool[((s + b) & ((1 << q) - 1)) <= 2 * b]


@pytest.mark.parametrize("n_in,scale,method", _TABLES)
def test_split_rows_kernel_equals_matlab(n_in, scale, method):
    """Every distinct row: the kernel equals MATLAB's float64 arithmetic on vectors in the
    band, random ones and the sixteen extremes.  Over the table MATLAB and ``S >> q``
    disagree on many of the vectors in the bands (tables with such ties), so a kernel that
    skipped the recomputation would fail here."""
    idx, w, (ws, w64, half, q) = _split(n_in, scale, method)
    rng = np.random.default_rng(int(scale * 100) + n_in)
    pool = rng.integers(0, 256, size=(200_000, 4))
    corners = np.array([[a, b, c, d] for a in (0, 255) for b in (0, 255) for c in (0, 255)
                        for d in (0, 255)])
    disagree = 0
    for r in np.unique(w, axis=0, return_index=True)[1]:
        near = _near(ws[r], half, q, pool)[:3000]
        x = np.concatenate([corners, near, pool[:2000]])
        ref = _matlab(w[r], x, 255)
        np.testing.assert_array_equal(_kernel(ws[r], w64[r], half, q, x), ref)
        s = half + near @ _weights(ws[r][None])[0]
        disagree += int((np.clip(s >> q, 0, 255) != ref[16:16 + len(near)]).sum())
    if (n_in, scale) in ((1024, 1.1), (64, 1.1), (64, 1.5), (64, 2.5)):
        assert disagree > 100, disagree


@pytest.mark.parametrize("n_in,scale,method", [(64, 1.1, "bicubic"), (64, 1.5, "bicubic")])
def test_split_rows_band_decides(n_in, scale, method):
    """The row with the most disagreements in its band: with its band the kernel is right;
    with a band that flags nothing (-1) it is wrong on those vectors; with one that flags
    every output (recomputed in float64) it is right again."""
    idx, w, (ws, w64, half, q) = _split(n_in, scale, method)
    pool = np.random.default_rng(7).integers(0, 256, size=(200_000, 4))
    best = max(range(len(ws)), key=lambda r: len(_near(ws[r], half, q, pool)) * (ws[r, 8] >= 0))
    x = _near(ws[best], half, q, pool)[:2000]
    ref = _matlab(w[best], x, 255)
    assert np.array_equal(_kernel(ws[best], w64[best], half, q, x), ref)
    assert not np.array_equal(_kernel(ws[best], w64[best], half, q, x, band=-1), ref)
    assert np.array_equal(_kernel(ws[best], w64[best], half, q, x, band=1 << (q - 1)), ref)


@pytest.mark.parametrize("n", [1, 5, 31, 32, 33, 47, 63, 64, 65, 96, 130])
def test_split_rows_block_edges(n):
    """Rows around the 32-pixel block (the last block overlapping the one before, rows below
    one block wholly in float64), every output in the band of a row with inexact weights."""
    idx, w, (ws, w64, half, q) = _split(1024, 1.1, "bicubic")
    pool = np.random.default_rng(n).integers(0, 256, size=(200_000, 4))
    rows = [r for r in range(len(ws)) if ws[r, 8] >= 0]
    r = max(rows, key=lambda r: len(_near(ws[r], half, q, pool)))
    x = _near(ws[r], half, q, pool)[:n]
    assert len(x) == n
    ref = _matlab(w[r], x, 255)
    src = np.full((4, n + 9), 7, dtype=np.uint8)
    src[:, 5:5 + n] = x.T
    out = np.full(n + 9, 11, dtype=np.uint8)
    R._rows_row_split(src[:, 5:5 + n].copy(), out[5:5 + n], 0, np.arange(4)[None],
                      ws[r][None].copy(), np.ascontiguousarray(w64[r][None]), half, q)
    np.testing.assert_array_equal(out[5:5 + n].astype(np.int64), ref)
    assert (out[:5] == 11).all() and (out[5 + n:] == 11).all()


@pytest.mark.parametrize("n_in,scale,method", _TABLES)
@pytest.mark.parametrize("boundary", ["symmetric", "replicate", "constant"])
def test_split_rows_plan_constants(n_in, scale, method, boundary):
    """The plan recomputed in exact rational arithmetic: ``W = Wh 2**11 + Wl`` is ``w 2**q``
    rounded to nearest (``Wh`` int16, ``0 <= Wl < 2**11``); a row has no band (-1) exactly
    when ``W = w 2**q``, else its band exceeds ``255 sum_k |W_k - w_k 2**q|`` plus MATLAB's
    own float64 error (at most ``5 * 2**-53 * 255 sum_k |w_k|`` in pixel units, a bound
    for four rounded products and three rounded sums, shifted by ``q``); the sums of every
    extreme pixel vector, a band away, stay in int32; the float64 weights are the table's."""
    try:
        idx, w, (ws, w64, half, q) = _split(n_in, scale, method, boundary)
    except AssertionError:
        if boundary == "constant":  # borders with dropped weights can raise the tie rate
            pytest.skip("no split plan for this table")
        raise
    assert half == 1 << (q - 1) and 16 <= q <= 22
    np.testing.assert_array_equal(w64, w)
    assert ws.shape == (w.shape[0], 9) and ws.dtype == np.int64
    assert (np.abs(ws[:, :4]) < 2 ** 15).all() and (ws[:, 4:8] >= 0).all()
    assert (ws[:, 4:8] < 2 ** R._SPLIT_BITS).all()
    big = _weights(ws)
    for r in np.unique(w, axis=0, return_index=True)[1]:
        exact = [Fraction(float(v)) * 2 ** q for v in w[r]]
        for k in range(4):
            assert abs(big[r, k] - exact[k]) <= Fraction(1, 2)
        err = sum(abs(big[r, k] - exact[k]) for k in range(4))
        if err == 0:
            assert ws[r, 8] == -1
        else:
            matlab = Fraction(5 * 255, 2 ** 53) * sum(abs(Fraction(float(v))) for v in w[r])
            assert ws[r, 8] > 255 * err + matlab * 2 ** q
    pos = (np.maximum(big, 0) * 255).sum(axis=1) + half + np.maximum(ws[:, 8], 0)
    neg = (np.minimum(big, 0) * 255).sum(axis=1) + half - np.maximum(ws[:, 8], 0)
    assert pos.max() < 2 ** 31 and neg.min() > -(2 ** 31)


def test_split_rows_plan_refuses_what_it_cannot_do(monkeypatch):
    """No plan for tables other than four taps, with non-finite weights or with near ties
    above ``_SPLIT_ROWS_TIE_MAX``; no setup for exact and margin tables (bicubic x2, x4, x3:
    their integer lanes are faster), for other dtypes or with the switch off; the
    tie-checked numerators of 8-bit images (bicubic x1.5) give way to it."""
    idx, w = _table(64, 0.75)
    assert w.shape[1] != 4 and R._TablePlan(idx, w).split_rows() is None
    idx, w = _table(64, 1.1)
    bad = w.copy()
    bad[3, 1] = np.inf
    assert R._TablePlan(idx, bad).split_rows() is None
    monkeypatch.setattr(R, "_SPLIT_ROWS_TIE_MAX", 0.0001)
    assert R._TablePlan(idx, w).split_rows() is None
    monkeypatch.undo()
    u8, u16 = np.dtype(np.uint8), np.dtype(np.uint16)
    for scale in (2.0, 4.0, 3.0):
        plan = R._TablePlan(*_table(64, scale))
        assert plan.fixed(255, 255) is not None
        assert R._split_rows_setup(plan, u8, u8, 255) is None, scale
    ties = R._TablePlan(*_table(64, 1.5))
    assert int(ties.fixed(255, 255)[1][4]) == R._TIES
    assert R._split_rows_setup(ties, u8, u8, 255) is not None
    plan = R._TablePlan(*_table(64, 1.1))
    assert R._split_rows_setup(plan, u8, u8, 255) is not None
    assert R._split_rows_setup(plan, u16, u16, 65535) is None
    assert R._split_rows_setup(plan, u8, np.dtype(np.float32), 255) is None
    monkeypatch.setattr(R, "_SPLIT_ROWS", False)
    assert R._split_rows_setup(plan, u8, u8, 255) is None


def test_split_rows_resizes_take_the_kernels_and_equal_the_reference(monkeypatch):
    """Whole resizes, random images and images of only 0 and 255, fused and as separate
    passes: the new kernels ran, the result equals the independent reference and, bit for
    bit, the paths they replace (switch off).  Rows shorter than a block (the float64 loop),
    1-4 channels, every boundary, the columns table checked (split or float64 blocks) or
    exact (x(1.1, 2)), a rows-only resize."""
    cases = [((40, 70, 3), 1.1, "bicubic", "symmetric"), ((33, 41), 1.5, "bicubic", "replicate"),
             ((20, 37, 2), 2.5, "bicubic", "reflect"), ((17, 130, 4), 1.37, "bicubic", "wrap"),
             ((30, 50, 3), (1.1, 2.0), "bicubic", "constant"),
             ((25, 90, 1), (2.2, 1.0), "bicubic", "symmetric"),
             ((24, 9), (1.1, 1.0), "bicubic", "symmetric"),
             ((30, 40, 3), 2.0, "lanczos2", "symmetric"),
             ((30, 44), (1.25, 1.75), "lanczos2", "replicate")]
    _check_switched_cases(monkeypatch, "_SPLIT_ROWS", _SPLIT_KERNELS, cases, seed=36)


@pytest.mark.parametrize("threads", [1, 2])
def test_split_rows_thread_counts(monkeypatch, threads):
    """Several chunks on one and two threads give the reference's bytes."""
    import classicsr

    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    old = classicsr.get_num_threads()
    classicsr.set_num_threads(threads)
    try:
        img = np.random.default_rng(threads).integers(0, 256, size=(61, 83, 3), dtype=np.uint8)
        seen = _spy_kernels(monkeypatch)
        for fused in (True, False):
            monkeypatch.setattr(R, "_FUSED_PASSES", fused)
            np.testing.assert_array_equal(resize(img, 1.37), reference_resize(img, 1.37))
        assert set(seen) & set(_SPLIT_KERNELS)
    finally:
        classicsr.set_num_threads(old)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 70), nch=st.integers(1, 4),
       sy=st.sampled_from([1.0, 1.1, 1.25, 1.37, 1.5, 1.75, 2.2, 2.5, 3.3]),
       sx=st.sampled_from([1.0, 1.1, 1.5, 2.0, 2.5]), method=st.sampled_from(
           ["bicubic", "lanczos2"]), boundary=st.sampled_from(
           ["symmetric", "replicate", "reflect", "constant"]), seed=st.integers(0, 2 ** 16))
def test_split_rows_random_resizes(h, w, nch, sy, sx, method, boundary, seed):
    """Random shapes, scales, methods and boundaries: the reference's bytes, and the split
    kernels ran whenever the plan exists for the rows table and the row is wide enough for
    the columns pass's output-order blocks (or there is no columns pass)."""
    img = np.random.default_rng(seed).integers(0, 256, size=(h, w, nch), dtype=np.uint8)
    seen = []
    run = R._run_chunks
    R._run_chunks = lambda k, n, a: (seen.append(k.__name__), run(k, n, a))[1]
    try:
        out = resize(img, (sy, sx), method=method, boundary=boundary)
    finally:
        R._run_chunks = run
    np.testing.assert_array_equal(out, reference_resize(img, (sy, sx), method=method,
                                                        boundary=boundary))
    # (fused with a columns pass that has no output-order blocks, such as rows of fewer than
    # 32 bytes, the rows keep the float32 checked path)
    if sy != 1.0 and (sx == 1.0 or w * nch >= 48):
        idx, wt = _tables(h, int(np.ceil(h * sy)), sy, method, True, boundary, -0.5,
                          np.dtype(np.float64))  # (not widened: resize's own table)
        plan = R._TablePlan(np.ascontiguousarray(idx, dtype=np.intp), np.ascontiguousarray(wt))
        if R._split_rows_setup(plan, np.dtype(np.uint8), np.dtype(np.uint8), 255) is not None:
            assert set(seen) & set(_SPLIT_KERNELS), seen


def test_matlab_byte_rounds_as_matlab():
    """The branch-free rounding of the float64 recomputations (``trunc(d + _HALF64)``
    clamped) against MATLAB's rule in numpy (round half away from zero, saturate to [0,
    255]) on every half-integer tie of the byte range and its two neighbouring doubles,
    negatives, values past 255 and random sums."""
    ties = np.arange(-3, 258) + 0.5
    edges = np.concatenate([ties, np.nextafter(ties, -np.inf), np.nextafter(ties, np.inf),
                            np.arange(-3.0, 259.0), [0.0, -0.0, 0.5 - 2 ** -54, 1e9, -1e9]])
    rand = np.random.default_rng(0).uniform(-20, 280, size=20_000)
    for d in np.concatenate([edges, rand]):
        f = np.floor(abs(d))
        expect = int(np.clip(np.copysign(f + (abs(d) - f >= 0.5), d), 0, 255))
        assert R._matlab_byte(float(d)) == expect, d
