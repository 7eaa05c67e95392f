"""Tie-checked numerator plans: 8- and 16-bit bicubic x1.5, x2.5, x1.25, x5, x6 in integer lanes.

These tables have rational weights ``N / D`` whose true sums can fall exactly on a rounding
tie (an even ``D``), or a denominator too large for the margin plans (x5: ``D = 125``).
``_tie_weights`` takes the numerators; the pmaddwd block computes ``X = 2 S + D + 2 off D``
exactly and ``floor(X / (2 D))`` by a float32 candidate corrected in int32, and returns the
mask of its exact ties (``X`` a multiple of ``2 D``).  A tie in a row whose float64 weights
are not ``N / D`` exactly is MATLAB's own float64 rounding (which goes either way), so the
kernel recomputes it in float64 in tap order; ties in exact rows (the half-pixel phase) round
up as MATLAB does.  The plan claims this is MATLAB's result for every pixel vector.  These
tests check the claim independently: the kernel on pixel vectors steered onto exact ties
(where MATLAB and round-half-up disagree about half the time) and on random and extreme ones,
against MATLAB's float64 arithmetic done here in numpy; whole resizes against the slow
reference in ``tests/naive_resize.py`` and, bit for bit, against the paths the plans replace
(``_TIE_PLANS`` off); the plan constants against exact rational arithmetic; and that the tie
kernels really ran.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R

from .naive_resize import reference_resize
from .test_resample_fast import _spy_kernels
from .test_resample_numer import _matlab, _table

pytestmark = pytest.mark.skipif(not R._MADD_OK,
                                reason="tie-checked plans need the pmaddwd blocks (AVX2)")

_TOPS = {np.uint8: 255, np.uint16: 65535}
# (scale, D): bicubic, a = -0.5; every row of x5 has an odd denominator (no ties possible)
_SCALES = [(1.5, 432), (2.5, 2000), (1.25, 2000), (5.0, 125), (6.0, 3456)]
_TIE_KERNELS = ("_rows_chunk_fixed", "_cols_chunk_fixed", "_fused_chunk_fixed",
                "_fused_chunk_fixed_chk")


def _plan(w, top):
    wi, fc = R._tie_weights(w, top, top)
    return wi, fc


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("scale,den", _SCALES)
@pytest.mark.parametrize("boundary", ["symmetric", "replicate", "constant"])
def test_tie_plan_constants(dtype, scale, den, boundary):
    """The numerators, denominator, offset and flags of the plan, recomputed in exact rational
    arithmetic: ``w_k`` within ``1e-12`` of ``N_k / D``; ``bias = 2 off D + D`` with ``off =
    ceil(maxval M / D)``; a row is flagged exactly when a tie of ``S / D`` is possible and its
    float64 weights are not the rationals ``N_k / D`` themselves; the last four columns are
    the row's own float64 weights."""
    top = _TOPS[dtype]
    idx, w = _table(64, scale, boundary=boundary)
    wi, fc = _plan(w, top)
    assert int(fc[1]) == 2 * den
    assert int(fc[3]) == top and int(fc[4]) == (R._TIES if top == 255 else R._TIES16)
    num = wi[:, :4] // 2
    np.testing.assert_array_equal(wi[:, :4], 2 * num)
    assert np.abs(num / den - w).max() < 1e-12
    neg = max(-sum(int(v) for v in row if v < 0) for row in num)
    off = -(-top * neg // den)
    assert int(fc[2]) == off and int(fc[0]) == 2 * off * den + den
    np.testing.assert_array_equal(wi[:, 5:].view(np.float64), w)
    for row, n, flag in zip(w, num, wi[:, 4]):
        exact = all(Fraction(float(v)) * den == int(k) for v, k in zip(row, n))
        g = math.gcd(math.gcd(*(int(k) for k in n)), den)
        ties = den % 2 == 0 and (den // 2) % g == 0
        assert bool(flag) == (ties and not exact), (row, n)
    if den % 2:
        assert not wi[:, 4].any()
    else:
        assert wi[:, 4].any() and not wi[:, 4].all()  # the half-pixel phase is exact


def test_tie_plan_refusals(monkeypatch):
    """Frequent ties (bilinear x1.5: ``D = 6``), irrational weights (Lanczos), too many
    distinct rows, sums beyond int32 (a 16-bit table with ``M / D`` near 1), numerators
    beyond int16 (``2 N >= 2**15``), other output types, other tap counts and the pmaddwd blocks switched off refuse
    the plan; exact tables never reach it (they have fixed-point plans)."""
    assert R._tie_weights(_table(40, 1.5, "bilinear")[1], 255, 255) is None
    assert R._tie_weights(_table(40, 3.0, "lanczos2")[1], 255, 255) is None
    w = _table(64, 1.5)[1]
    many = np.tile(w[10:11], (R._MARGIN_ROWS + 1, 1))
    many[:, 0] += np.arange(many.shape[0]) * 2.0 ** -45
    assert R._tie_weights(many, 255, 255) is None
    big = np.array([[16000.0, -7809.0, 0.0, 0.0]] * 4) / 8191  # X up to 3.1e9 for 16 bits
    assert R._tie_weights(big, 65535, 65535) is None
    assert R._tie_weights(big, 255, 255) is not None
    assert R._tie_weights(np.array([[20000.0, -11809.0, 0, 0]] * 4) / 8191, 255, 255) is None
    assert R._tie_weights(w, 255, 65535) is None and R._tie_weights(w, 4095, 4095) is None
    assert R._tie_weights(_table(40, 1 / 3, "bilinear")[1], 255, 255) is None  # six taps
    monkeypatch.setattr(R, "_MADD", False)
    assert R._tie_weights(w, 255, 255) is None
    monkeypatch.setattr(R, "_MADD", True)
    monkeypatch.setattr(R, "_TIE_PLANS", False)
    assert R._tie_weights(w, 255, 255) is None


def _vectors(num, den, top, rng, n_tie=30_000, n_rand=30_000):
    """Pixel vectors for one row of numerators ``num``: the extremes, random ones, and random
    ones steered onto exact ties of ``S / den`` (a filtered pool)."""
    pool = rng.integers(0, top + 1, size=(40 * n_tie, 4))
    s = pool @ num
    ties = pool[(2 * s + den) % (2 * den) == 0][:n_tie]
    corners = np.array([[a, b, c, d] for a in (0, top) for b in (0, top) for c in (0, top)
                        for d in (0, top)])
    x = np.concatenate([corners, ties, rng.integers(0, top + 1, size=(n_rand, 4))])
    return x[rng.permutation(len(x))]


def _kernel(wi_row, fc, x, dtype):
    a = [np.ascontiguousarray(x[:, k], dtype=dtype) for k in range(4)]
    out = np.zeros(x.shape[0], dtype=dtype)
    R._fir4_fixed(out, 0, a[0], 0, a[1], 0, a[2], 0, a[3], 0,
                  np.ascontiguousarray(wi_row), fc, x.shape[0])
    return out.astype(np.int64)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("scale,den", _SCALES)
def test_tie_kernel_equals_matlab(dtype, scale, den):
    """Every distinct row of the table: the kernel equals MATLAB's float64 arithmetic on
    vectors steered onto ties, random ones and the extremes; for flagged rows MATLAB really
    does round some ties down and others up (so a kernel that rounded every tie one way, or
    skipped the recomputation, would fail here)."""
    top = _TOPS[dtype]
    idx, w = _table(64, scale)
    wi, fc = _plan(w, top)
    rng = np.random.default_rng(int(scale * 10) + top)
    rows = np.unique(w, axis=0, return_index=True)[1]
    disagree = 0
    for r in rows:
        num = wi[r, :4] // 2
        x = _vectors(num, den, top, rng, n_tie=3000, n_rand=3000)
        ref = _matlab(w[r], x, top)
        np.testing.assert_array_equal(_kernel(wi[r], fc, x, dtype), ref)
        s = x @ num
        half_up = np.clip((2 * s + den) // (2 * den), 0, top)
        if wi[r, 4]:
            disagree += int((ref != half_up).sum())
        else:
            np.testing.assert_array_equal(ref, half_up)
    if den % 2 == 0:
        assert disagree > 100


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("n", [1, 5, 31, 32, 33, 47, 63, 64, 65, 96, 130])
def test_tie_kernel_block_edges(dtype, n):
    """Lengths around the 32-pixel block (the last block overlapping the one before, the
    scalar loop below one block) at nonzero offsets, every output on a tie of a flagged row."""
    top = _TOPS[dtype]
    idx, w = _table(64, 1.5)
    wi, fc = _plan(w, top)
    r = int(np.flatnonzero(wi[:, 4])[0])
    num = wi[r, :4] // 2
    rng = np.random.default_rng(n)
    pool = rng.integers(0, top + 1, size=(400_000, 4))
    x = pool[(2 * (pool @ num) + 432) % 864 == 0][:n]
    assert len(x) == n
    ref = _matlab(w[r], x, top)
    shift = (3, 4, 5, 6)
    a = [np.concatenate([np.full(shift[k], 7), x[:, k]]).astype(dtype) for k in range(4)]
    out = np.full(n + 9, 11, dtype=dtype)
    R._fir4_fixed(out, 5, a[0], 3, a[1], 4, a[2], 5, a[3], 6, np.ascontiguousarray(wi[r]),
                  fc, n)
    np.testing.assert_array_equal(out[5:5 + n].astype(np.int64), ref)
    assert (out[:5] == 11).all() and (out[5 + n:] == 11).all()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_tie_fixups_use_each_outputs_own_row(dtype):
    """:func:`_fir4_fixed_at` recomputes the tie of output ``u`` with row ``fj0 + fstep (u //
    fnch)`` of the table (a columns-pass phase covers rows of several periods, whose float64
    weights may differ in the last bits): with rows that differ there (here by ``1e-9``, so
    that ties round both ways), every output equals MATLAB's arithmetic with its own row and
    not with the call's row for all."""
    top = _TOPS[dtype]
    idx, w = _table(64, 1.5)
    wi, fc = _plan(w, top)
    r = int(np.flatnonzero(wi[:, 4])[0])
    num = wi[r, :4] // 2
    nch, fstep, fj0, n = 2, 2, 1, 64  # output u: row 1 + 2 (u // 2)
    rows = np.repeat(w[r:r + 1], fj0 + fstep * (n // nch), axis=0)
    rows[:, 0] += (np.arange(rows.shape[0]) % 3 - 1) * 1e-9
    wt = np.zeros((rows.shape[0], R._TIE_COLS), dtype=np.int64)
    wt[:, :5] = wi[r, :5]
    wt[:, 5:] = rows.view(np.int64)
    rng = np.random.default_rng(5)
    pool = rng.integers(0, top + 1, size=(400_000, 4))
    x = pool[(2 * (pool @ num) + 432) % 864 == 0][:n]
    a = [np.ascontiguousarray(x[:, k], dtype=dtype) for k in range(4)]
    out = np.zeros(n, dtype=dtype)
    R._fir4_fixed_at(out, 0, a[0], 0, a[1], 0, a[2], 0, a[3], 0, np.ascontiguousarray(wt[0]),
                     fc, n, wt, fj0, fstep, nch)
    ref = np.array([_matlab(rows[fj0 + fstep * (u // nch)], x[u:u + 1], top)[0]
                    for u in range(n)])
    np.testing.assert_array_equal(out.astype(np.int64), ref)
    assert (_matlab(rows[0], x, top) != ref).any()


_CASES = [((37, 41, 3), 1.5), ((40, 33), 2.5), ((23, 45, 3), 1.25), ((19, 22, 3), 5.0),
          ((15, 17), 6.0), ((30, 20, 3), (1.5, 5.0)), ((33, 28), (2.5, 1.0)),
          ((21, 35, 3), (1.0, 1.5)), ((12, 70, 4), 1.5), ((64, 80, 3), 4 / 3)]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("boundary", ["symmetric", "replicate", "reflect", "constant"])
def test_tie_plans_whole_resizes(monkeypatch, dtype, boundary):
    """Whole resizes, fused and as separate passes, on random images and on images of 0 and
    the largest value: equal to the independent reference, a tie kernel ran (8-bit rows
    passes with the split weights off), and with ``_TIE_PLANS`` off (none of them for these
    tables) the same bits."""
    seen = _spy_kernels(monkeypatch)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    # 8-bit rows passes take the split weights (test_resample_split_rows.py) before these
    monkeypatch.setattr(R, "_SPLIT_ROWS", False)
    top = _TOPS[dtype]
    rng = np.random.default_rng(7)
    for shape, scale in _CASES:
        for kind in ("random", "extreme"):
            img = (rng.integers(0, top + 1, size=shape) if kind == "random"
                   else (rng.random(shape) < 0.5) * top).astype(dtype)
            ref = reference_resize(img, scale, boundary=boundary)
            for fused in (True, False):
                monkeypatch.setattr(R, "_FUSED_PASSES", fused)
                seen.clear()
                np.testing.assert_array_equal(resize(img, scale, boundary=boundary), ref)
                ran = any(name in _TIE_KERNELS for name in seen)
                # x4/3 is exact (no tie plan); 8-bit columns passes keep the checked
                # output-order blocks (faster), so a columns pass alone takes no tie kernel;
                # 16-bit x6 (six phases) fused keeps the lanes, whose rows pass is float64
                cols_only = np.ndim(scale) and scale[0] == 1.0
                assert (ran or scale == 4 / 3 or (top == 255 and cols_only)
                        or (top == 65535 and scale == 6.0 and fused)), (scale, seen)
                monkeypatch.setattr(R, "_TIE_PLANS", False)
                np.testing.assert_array_equal(resize(img, scale, boundary=boundary), ref)
                monkeypatch.setattr(R, "_TIE_PLANS", True)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_tie_plans_on_tie_heavy_images(monkeypatch, dtype):
    """Images built so that most outputs of the flagged rows sit on exact ties (a pattern
    repeating the steered vectors of one row along both axes): the resize equals the
    reference and the path the plan replaces, on one and two threads."""
    from classicsr import get_num_threads, set_num_threads

    top = _TOPS[dtype]
    idx, w = _table(64, 1.5)
    wi, fc = _plan(w, top)
    r = int(np.flatnonzero(wi[:, 4])[0])
    num = wi[r, :4] // 2
    rng = np.random.default_rng(11)
    pool = rng.integers(0, top + 1, size=(200_000, 4))
    tie = pool[(2 * (pool @ num) + 432) % 864 == 0]
    line = tie[:, :2].reshape(-1)[:96]  # pixel pairs of tie vectors along a row
    img = np.stack([np.roll(line, k) for k in range(64)]).astype(dtype)
    img = np.stack([img, img[::-1], img[:, ::-1]], axis=-1)
    ref = reference_resize(img, 1.5)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    old = get_num_threads()
    try:
        for nt in (1, 2):
            set_num_threads(nt)
            np.testing.assert_array_equal(resize(img, 1.5), ref)
    finally:
        set_num_threads(old)
    monkeypatch.setattr(R, "_TIE_PLANS", False)
    np.testing.assert_array_equal(resize(img, 1.5), ref)


@given(h=st.integers(1, 40), w=st.integers(1, 40), nch=st.sampled_from([0, 1, 3, 4]),
       sr=st.sampled_from([1.0, 1.5, 2.5, 1.25, 5.0]),
       sc=st.sampled_from([1.0, 1.5, 2.5, 1.25, 5.0]),
       boundary=st.sampled_from(["symmetric", "replicate", "reflect", "constant"]),
       wide=st.booleans(), seed=st.integers(0, 2 ** 16), extreme=st.booleans())
def test_tie_plans_property(h, w, nch, sr, sc, boundary, wide, seed, extreme):
    """Any shape (down to one pixel), 0-4 channels, the tie scales per axis, every boundary,
    8- and 16-bit: the resize equals the independent reference with the tie plans on and off."""
    dtype = np.uint16 if wide else np.uint8
    top = _TOPS[dtype]
    rng = np.random.default_rng(seed)
    shape = (h, w) if nch == 0 else (h, w, nch)
    img = ((rng.random(shape) < 0.5) * top if extreme
           else rng.integers(0, top + 1, size=shape)).astype(dtype)
    ref = reference_resize(img, (sr, sc), boundary=boundary)
    np.testing.assert_array_equal(resize(img, (sr, sc), boundary=boundary), ref)
    try:
        R._TIE_PLANS = False
        np.testing.assert_array_equal(resize(img, (sr, sc), boundary=boundary), ref)
    finally:
        R._TIE_PLANS = True


def test_fixed_planes_take_exact_fractional_tables(monkeypatch):
    """Exact fractional tables (bicubic x4/3: ``D = 1024``, a shift plan) of 16-bit images, and
    of 8-bit ones without the output-order blocks, run their columns pass in fixed point over
    the pixel-phase planes (``_FIXED_PLANES``): the kernels ran, the result equals the
    independent reference and, with the switch off, the same bits from the float paths."""
    from .test_resample_fast import _check_switched_cases

    cases = [((33, 50, 3), 4 / 3, "bicubic", "symmetric"),
             ((30, 41), (1.0, 4 / 3), "bicubic", "replicate"),
             ((21, 64, 4), (2.0, 4 / 3), "bicubic", "constant"),
             ((18, 40, 3), (4 / 3, 1.5), "bicubic", "reflect")]
    kernels = ("_cols_chunk_fixed", "_fused_chunk_fixed")
    _check_switched_cases(monkeypatch, "_FIXED_PLANES", kernels, cases, seed=29,
                          dtype=np.uint16)
    monkeypatch.setattr(R, "_DIRECT", False)
    _check_switched_cases(monkeypatch, "_FIXED_PLANES", kernels, cases[:3], seed=30)
