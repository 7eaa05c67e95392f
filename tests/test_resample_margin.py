"""Integer weights for tables that are not dyadic but keep a margin from every rounding tie.

Bicubic x3 has the weights ``(-2, 21, 9, -1) / 27`` (and mirrored), bilinear at an odd
factor ``f`` multiples of ``1 / f``: rationals with an odd denominator ``D``, so the true sum
of integer pixels is a multiple of ``1 / D`` and never closer than ``1 / (2 D)`` to a
rounding tie ``m + 1/2``.  ``_margin_weights`` rounds the weights to ``W = rint(w 2**15)``
when it can prove (per distinct row, in integer arithmetic) that the integer sum's error and
MATLAB's own float64 error both stay inside that margin; the fixed-point formula
``clamp(((bias + sum W x) >> q) - off, 0, top)`` is then MATLAB's rounded result and the
table runs on the integer-lane kernels.  These tests check the claim independently: every
pixel pair of the two-tap rows and millions of four-tap pixel vectors (with the extremes and
the sums nearest a tie) against MATLAB's float64 arithmetic done here in numpy, whole resizes
against the slow reference in ``tests/naive_resize.py`` and, bit for bit, against the checked
float32 path the plan replaces (``_MARGIN`` off); and that the fast kernels really ran.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R
from classicsr.resize import _tables

from .naive_resize import reference_resize
from .test_resample_fast import _FIXED_KERNELS, _check_switched_cases, _spy_kernels

F64 = np.dtype(np.float64)


def _table(n_in, scale, method="bicubic", boundary="symmetric", antialias=True):
    n_out = int(np.ceil(n_in * scale))
    idx, w = _tables(n_in, n_out, scale, method, antialias, boundary, -0.5, F64)
    return np.ascontiguousarray(idx, dtype=np.intp), np.ascontiguousarray(w, dtype=np.float64)


def _matlab_rows(w, x):
    """MATLAB's rounded value of ``sum_k w[k] x[..., k]`` for 8-bit pixels: a float64 sum from
    zero in tap order, rounded half away from zero, saturated to [0, 255]."""
    d = np.zeros(x.shape[:-1], dtype=np.float64)
    for k in range(w.shape[0]):
        d = d + w[k] * x[..., k].astype(np.float64)
    f = np.floor(d)
    r = f + (d - f >= 0.5)  # d - f is exact for |d| < 2**52
    return np.clip(r, 0, 255).astype(np.int64)


def _fixed_rows(wi_row, fc, x):
    """The fixed-point formula of ``_fixed_plan`` in int64: ``clamp(((bias + sum W x) >> q)
    - off, 0, top)``."""
    bias, q, off, top = (int(v) for v in fc[:4])
    s = bias + (x.astype(np.int64) * wi_row.astype(np.int64)).sum(axis=-1)
    assert (s >= 0).all() and (s < 2 ** 31).all()
    return np.clip((s >> q) - off, 0, top)


_ACCEPTED = [(64, 3.0, "bicubic", "symmetric"), (64, 3.0, "bicubic", "replicate"),
             (50, 3.0, "bicubic", "reflect"), (40, 3.0, "bicubic", "wrap"),
             (9, 3.0, "bicubic", "constant"), (7, 3.0, "bicubic", "symmetric"),
             (64, 3.0, "bilinear", "symmetric"), (30, 5.0, "bilinear", "replicate"),
             (20, 7.0, "bilinear", "symmetric"), (20, 9.0, "bilinear", "reflect")]


@pytest.mark.parametrize("n_in,scale,method,boundary", _ACCEPTED)
def test_margin_plan_accepts_odd_denominators(n_in, scale, method, boundary):
    """Bicubic x3 and bilinear at odd factors get int16 weights ``rint(w 2**15)`` (``w = 1``
    saturated to ``2**15 - 1``) and a fixed-point plan with ``q = 15``; two-tap tables once
    widened to four (as ``_pad_taps`` does)."""
    idx, w = _table(n_in, scale, method, boundary)
    if idx.shape[1] < 4:
        idx, w = R._TablePlan(idx, w).padded(4)
    assert R._row_q(w).max() > 30  # not an exact table
    wi = R._margin_weights(w, 255)
    assert wi is not None
    want = np.clip(np.rint(w * 2.0 ** 15), -(2 ** 15), 2 ** 15 - 1)
    np.testing.assert_array_equal(wi, want)
    wi2, fc = R._fixed_plan(w, 255, 255)
    np.testing.assert_array_equal(wi2, wi)
    assert int(fc[1]) == 15 and int(fc[4]) == 32
    assert R._pmadd_ok(wi2, fc, 255, 255)


def test_margin_plan_refuses_what_it_cannot_prove():
    """Even denominators (x1.5, x2.5: exact ties of the true sum), irrational weights
    (Lanczos), denominators whose margin is below the error of 15-bit weights (bicubic x5:
    ``1/250``), 16-bit pixels (the error grows 257-fold), weights that are no small-denominator
    rational, and tables with too many distinct rows are refused."""
    for scale, method in ((1.5, "bicubic"), (2.5, "bicubic"), (1.5, "bilinear"),
                          (3.0, "lanczos2"), (5.0, "bicubic"), (7.0, "bicubic"),
                          (2.2, "bicubic")):
        idx, w = _table(40, scale, method)
        if idx.shape[1] < 4:
            idx, w = R._TablePlan(idx, w).padded(4)
        assert R._margin_weights(w, 255) is None, (scale, method)
    idx, w = _table(64, 3.0)
    assert R._margin_weights(w, 65535) is None
    assert R._margin_weights(w + 1e-4, 255) is None  # no odd denominator up to 255 fits
    many = np.tile(w[10:11], (R._MARGIN_ROWS + 1, 1))
    many[:, 0] += np.arange(many.shape[0]) * 2.0 ** -40  # distinct rows, each with its margin
    assert R._margin_weights(many[: R._MARGIN_ROWS], 255) is not None
    assert R._margin_weights(many, 255) is None


def test_margin_plan_bound_is_computed_exactly():
    """The bound is checked, not assumed, and to the last bit: the row ``(128, 127) / 255``
    (margin ``1/510``, integer-weight error ``255 * 0.25 / 2**15``, just below) passes, and
    its fixed-point formula equals MATLAB on every pixel pair; ``(100, 99) / 199`` (margin
    ``1/398``, error ``255 * (1/3) / 2**15``, just above) fails."""
    tight = np.array([[128.0 / 255.0, 127.0 / 255.0, 0.0, 0.0]] * 4)
    assert R._margin_weights(tight, 255) is not None
    wi, fc = R._fixed_plan(tight, 255, 255)
    a, b = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    x = np.stack([a.ravel(), b.ravel(), 0 * a.ravel(), 0 * a.ravel()], axis=-1)
    np.testing.assert_array_equal(_fixed_rows(wi[0], fc, x), _matlab_rows(tight[0], x))
    over = np.array([[100.0 / 199.0, 99.0 / 199.0, 0.0, 0.0]] * 4)
    assert R._margin_weights(over, 255) is None
    assert R._margin_weights(np.array([[2.0 / 3.0, 1.0 / 3.0, 0.0, 0.0]] * 4), 255) is not None


@pytest.mark.parametrize("scale", [3.0, 5.0, 7.0, 9.0])
def test_two_tap_rows_exhaustively(scale):
    """Every distinct row of the bilinear tables (borders included), every pair of 8-bit
    pixels: the fixed-point formula with the margin weights equals MATLAB's float64 result."""
    idx, w = _table(24, scale, "bilinear", "symmetric")
    idx4, w4 = R._TablePlan(idx, w).padded(4)
    wi, fc = R._fixed_plan(w4, 255, 255)
    a, b = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    pairs = np.stack([a.ravel(), b.ravel()], axis=-1)
    x4 = np.concatenate([pairs, np.zeros_like(pairs)], axis=-1)  # the padded taps add +0
    _, first = np.unique(w4, axis=0, return_index=True)
    for r in first:
        np.testing.assert_array_equal(_fixed_rows(wi[r], fc, x4), _matlab_rows(w4[r], x4))


@pytest.mark.parametrize("boundary", ["symmetric", "replicate", "reflect", "constant"])
def test_four_tap_rows_on_extremes_and_near_ties(boundary):
    """Every distinct row of the bicubic x3 table: the fixed-point formula equals MATLAB's
    float64 result on all 16 vectors of 0 and 255 (the largest errors of the integer
    weights), on all (x1, x2) with x0, x3 in {0, 255} (262,144 vectors), on a million random
    vectors, and on the vectors whose true sum is nearest a tie (27 S in {13, 14} mod 27,
    found by solving for the last tap)."""
    idx, w = _table(30, 3.0, "bicubic", boundary)
    wi, fc = R._fixed_plan(w, 255, 255)
    rng = np.random.default_rng(3)
    corners = ((np.arange(16)[:, None] >> np.arange(4)) & 1) * 255
    mid = np.arange(256)
    g1, g2 = np.meshgrid(mid, mid, indexing="ij")
    grid = [np.stack([np.full(g1.size, e0), g1.ravel(), g2.ravel(), np.full(g1.size, e3)], -1)
            for e0 in (0, 255) for e3 in (0, 255)]
    randoms = rng.integers(0, 256, size=(1_000_000, 4))
    _, first = np.unique(w, axis=0, return_index=True)
    for r in first:
        row = w[r]
        n = np.rint(row * 27).astype(np.int64)
        near = []
        if math.gcd(int(n[3]), 27) == 1:  # choose x3 so that sum n x = 13 or 14 (mod 27)
            head = randoms[:200_000, :3] @ n[:3]
            inv = pow(int(n[3]) % 27, -1, 27)
            for target in (13, 14):
                x3 = ((target - head) * inv) % 27 + 27 * rng.integers(0, 9, size=head.size)
                keep = x3 <= 255
                near.append(np.column_stack([randoms[:200_000, :3][keep], x3[keep]]))
        for x in [corners] + grid + [randoms] + near:
            np.testing.assert_array_equal(_fixed_rows(wi[r], fc, x), _matlab_rows(row, x))


# one axis x3 (or x5, x7) and the other x3 too or not resized: with the switch off no
# fixed-point kernel runs (mixes with an x2 or x4 axis, whose tables are exact anyway, are
# in the property test below)
_CASES = [((40, 70, 3), 3, "bicubic", "symmetric"), ((33, 41), 3, "bicubic", "replicate"),
          ((30, 50, 4), 3, "bicubic", "reflect"), ((25, 37, 3), (3, 1), "bicubic", "symmetric"),
          ((25, 37), (1, 3), "bicubic", "symmetric"), ((30, 41, 3), 3, "bilinear", "symmetric"),
          ((20, 27, 3), 5, "bilinear", "replicate"), ((15, 19), 7, "bilinear", "reflect"),
          ((6, 11, 3), 3, "bicubic", "symmetric"), ((12, 40, 2), (5, 3), "bilinear", "symmetric")]


def test_margin_resizes_take_the_integer_kernels_and_match(monkeypatch):
    """Whole resizes (fused and as separate passes, random images and images of only 0 and
    255) run on the fixed-point kernels, equal the independent reference and, with
    ``_MARGIN`` off (the checked float32 path), the same bits."""
    monkeypatch.setattr(R, "_TIE_PLANS", False)  # (they take these tables too)
    _check_switched_cases(monkeypatch, "_MARGIN", _FIXED_KERNELS, _CASES, seed=24)


def test_margin_resizes_at_both_thread_counts(monkeypatch):
    """Two threads with many chunks give the one-thread bytes."""
    img = np.random.default_rng(5).integers(0, 256, size=(61, 47, 3)).astype(np.uint8)
    _check_thread_counts(monkeypatch, img)


def _check_thread_counts(monkeypatch, img):
    """x3 of ``img`` on two threads with many chunks gives the one-thread bytes, and equals
    the independent reference."""
    from classicsr import get_num_threads, set_num_threads

    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    old = get_num_threads()
    try:
        set_num_threads(1)
        one = resize(img, 3)
        set_num_threads(2)
        two = resize(img, 3)
    finally:
        set_num_threads(old)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, reference_resize(img, 3))


@given(h=st.integers(1, 40), w=st.integers(1, 40), nch=st.sampled_from([0, 1, 3, 4]),
       sr=st.sampled_from([1, 2, 3, 5]), sc=st.sampled_from([1, 2, 3, 5]),
       method=st.sampled_from(["bicubic", "bilinear"]),
       boundary=st.sampled_from(["symmetric", "replicate", "reflect"]),
       seed=st.integers(0, 2 ** 16), extreme=st.booleans())
def test_margin_property_random_images(h, w, nch, sr, sc, method, boundary, seed, extreme):
    """Any shape (down to one pixel), channel count, odd and even factors per axis: uint8
    resizes equal the independent reference, with the margin plans on and off."""
    _check_random_image(np.uint8, "_MARGIN", (h, w, nch), (sr, sc), method, boundary, seed,
                        extreme)


@given(h=st.integers(1, 80), w=st.integers(1, 80), nch=st.sampled_from([0, 1, 2, 3, 4]),
       sr=st.sampled_from([1, 0.5, 0.25]), sc=st.sampled_from([1, 0.5, 0.25]),
       method=st.sampled_from(["bicubic", "bilinear"]),
       boundary=st.sampled_from(["symmetric", "replicate", "reflect", "wrap", "constant"]),
       seed=st.integers(0, 2 ** 16), extreme=st.booleans())
def test_madd16_property_random_images(h, w, nch, sr, sc, method, boundary, seed, extreme):
    """Any shape, channel count and antialiased x1/2 or x1/4 per axis (8- and 16-tap tables):
    uint16 resizes equal the independent reference with the pmaddwd blocks (16-bit pixels as
    ``x - 32768``) on and off."""
    _check_random_image(np.uint16, "_MADD", (h, w, nch), (sr, sc), method, boundary, seed,
                        extreme)


def _check_random_image(dtype, switch, hwc, scale, method, boundary, seed, extreme):
    """A random ``dtype`` image of shape ``(h, w)`` (``nch == 0``) or ``(h, w, nch)``, of
    full-range values or only 0 and the largest: the resize equals the independent
    reference with the module switch ``switch`` on and off."""
    h, w, nch = hwc
    top = int(np.iinfo(dtype).max)
    rng = np.random.default_rng(seed)
    shape = (h, w) if nch == 0 else (h, w, nch)
    img = (rng.random(shape) < 0.5).astype(dtype) * top if extreme else \
        rng.integers(0, top + 1, size=shape).astype(dtype)
    ref = reference_resize(img, scale, method=method, boundary=boundary)
    np.testing.assert_array_equal(resize(img, scale, method=method, boundary=boundary), ref)
    setattr(R, switch, False)
    try:
        other = resize(img, scale, method=method, boundary=boundary)
    finally:
        setattr(R, switch, True)
    np.testing.assert_array_equal(other, ref)


@pytest.mark.nojit_subset
def test_margin_small_nojit_subset(monkeypatch):
    """The Python paths (``NUMBA_DISABLE_JIT=1``): x3 resizes of small images equal the
    reference; the rows pass alone runs the fixed-point kernel on the margin weights (the
    columns pass of the fixed-point path is the AVX2 output-order one)."""
    seen = _spy_kernels(monkeypatch)
    rng = np.random.default_rng(8)
    for shape, scale, method in (((7, 9, 3), (3, 1), "bicubic"), ((5, 6), (3, 1), "bilinear"),
                                 ((7, 9, 3), 3, "bicubic"), ((5, 6), 5, "bilinear")):
        img = rng.integers(0, 256, size=shape).astype(np.uint8)
        seen.clear()
        out = resize(img, scale, method=method)
        np.testing.assert_array_equal(out, reference_resize(img, scale, method=method))
        if scale == (3, 1):
            assert seen == ["_rows_chunk_fixed"], seen


def test_interleaved_fixed_weights_are_the_plans_integers():
    """The interleaved fixed-point columns pass takes its per-phase weights from the plan's
    own integer table (for margin weights ``rint`` and the int16 saturation, not a
    truncation of ``w 2**q``), and refuses phases whose float weights are not the plan's
    rows ``j0 .. j0 + P - 1``."""
    for scale, method in ((3.0, "bicubic"), (2.0, "bicubic"), (4.0, "bicubic")):
        idx, w = _table(60, scale, method)
        plan = R._TablePlan(idx, w)
        wi, fc = plan.fixed(255, 255)
        offs, wui = plan.fixed_il(3, wi, fc)
        j0 = plan.poly(np.float64)[0]
        np.testing.assert_array_equal(wui, wi[j0:j0 + wui.shape[0]])
    assert wui.dtype == np.int64
    idx, w = _table(60, 3.0)
    plan = R._TablePlan(idx, w)
    wi, fc = plan.fixed(255, 255)
    assert plan.fixed_il(3, wi, fc)[1][0].tolist() == [2 ** 15 - 1, 0, 0, 0]
    shifted = R._TablePlan(idx, w)
    shifted._cache[("il", F64, 3)] = (plan.interleaved(np.float64, 3)[0],
                                      plan.interleaved(np.float64, 3)[1] * 0.5)
    assert shifted.fixed_il(3, wi, fc) is None
