"""Numerator plans: 16-bit images at bicubic x3 and bilinear odd factors in integer lanes.

For 16-bit pixels the margin weights of ``tests/test_resample_margin.py`` (``rint(w 2**15)``)
err by more than the margin, so ``_numer_weights`` takes the weights as exact numerators over
their odd denominator (bicubic x3: ``(-2, 21, 9, -1) / 27``): the sum ``S = sum N x`` is an
exact integer in 32-bit lanes, and the blocks round ``S / D`` by one float32 multiply by
``fl(1 / D)`` (on AVX2 targets the ``vpmaddwd`` block with pixels as ``x - 32768``,
``_NUMER16``, else ``vpmulld`` lanes).  The plan claims (and checks per row, in integer
arithmetic) that this is MATLAB's rounded float64 result.  These tests check the claim
independently: the kernel itself on millions of pixel vectors (extremes, random, the sums
nearest a tie, the largest values) against MATLAB's float64 arithmetic done here in numpy, on
a table at the edge of the bound; whole resizes against the slow reference in
``tests/naive_resize.py`` and, bit for bit, against the float64 path the plan replaces
(``_NUMER_PLANS`` off); and that the integer kernels really ran.
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
from .test_resample_fast import (_FIXED_KERNELS, _check_madd_on_off, _check_switched_cases,
                                 _spy_kernels)
from .test_resample_margin import _check_random_image, _check_thread_counts

F64 = np.dtype(np.float64)
TOP = 65535


def _table(n_in, scale, method="bicubic", boundary="symmetric"):
    n_out = int(np.ceil(n_in * scale))
    idx, w = _tables(n_in, n_out, scale, method, True, boundary, -0.5, F64)
    idx = np.ascontiguousarray(idx, dtype=np.intp)
    w = np.ascontiguousarray(w, dtype=np.float64)
    if idx.shape[1] < 4:
        idx, w = R._TablePlan(idx, w).padded(4)
    return idx, w


def _matlab(w, x, top=TOP):
    """MATLAB's rounded value of ``sum_k w[k] x[..., k]``: a float64 sum from zero in tap
    order, rounded half away from zero, saturated to ``[0, top]``."""
    d = np.zeros(x.shape[:-1], dtype=np.float64)
    for k in range(w.shape[0]):
        d = d + w[k] * x[..., k].astype(np.float64)
    f = np.floor(d)
    r = f + (d - f >= 0.5)  # d - f is exact for |d| < 2**52
    return np.clip(r, 0, top).astype(np.int64)


_VARIANTS = ["lanes32", pytest.param("pmaddwd", marks=pytest.mark.skipif(
    not R._MADD_OK, reason="the pmaddwd block needs a JIT target with AVX2"))]


def _variant(wi_row, fc, variant):
    """The numerator plan ``fc`` (``_NUMER``: 32-bit lanes) as the kernel ``variant`` runs
    it: ``"pmaddwd"`` is ``_NUMER16``."""
    assert int(fc[4]) == R._NUMER
    if variant == "lanes32":
        return fc
    return np.array(list(fc[:4]) + [R._NUMER16], dtype=np.int64)


def _kernel(wi_row, fc, x):
    """The fixed-point kernel ``_fir4_fixed`` on the pixel vectors ``x`` (``(n, 4)``): the
    blocks of 16 (32-bit lanes) or 32 outputs (pmaddwd) for ``n`` of at least one block (the
    last block overlapping), the scalar loop below."""
    a = [np.ascontiguousarray(x[:, k], dtype=np.uint16) for k in range(4)]
    out = np.zeros(x.shape[0], dtype=np.uint16)
    R._fir4_fixed(out, 0, a[0], 0, a[1], 0, a[2], 0, a[3], 0,
                  np.ascontiguousarray(wi_row, dtype=np.int64), fc, x.shape[0])
    return out.astype(np.int64)


_ACCEPTED = [(64, 3.0, "bicubic", "symmetric", 27), (64, 3.0, "bicubic", "replicate", 27),
             (50, 3.0, "bicubic", "reflect", 27), (9, 3.0, "bicubic", "constant", 27),
             (64, 3.0, "bilinear", "symmetric", 3), (30, 5.0, "bilinear", "replicate", 5),
             (20, 7.0, "bilinear", "symmetric", 7), (20, 9.0, "bilinear", "reflect", 9)]


@pytest.mark.parametrize("n_in,scale,method,boundary,den", _ACCEPTED)
def test_numer_plan_accepts_odd_denominators(n_in, scale, method, boundary, den):
    """16-bit bicubic x3 and bilinear at odd factors get the numerators ``rint(w D)`` over
    their denominator and the constants ``(0, D, 0, 65535, _NUMER)``; 8-bit images keep the
    margin weights."""
    idx, w = _table(n_in, scale, method, boundary)
    wi, fc = R._fixed_plan(w, TOP, TOP)
    assert fc.tolist() == [0, den, 0, TOP, R._NUMER]
    np.testing.assert_array_equal(wi, np.rint(w * den))
    assert np.abs(wi / den - w).max() < 1e-12
    assert R._numer_weights(w, TOP)[1] == den
    assert int(R._fixed_plan(w, 255, 255)[1][4]) != R._NUMER


def test_numer_plan_refuses_what_it_cannot_prove():
    """Even denominators (x1.5, x2.5: exact ties), irrational weights (Lanczos), bicubic x5
    (``D = 250``), weights off every small odd denominator, too many distinct rows, 8-bit
    pixels (the margin plans' case) and tables of other than four taps are refused."""
    for scale, method in ((1.5, "bicubic"), (2.5, "bicubic"), (1.5, "bilinear"),
                          (3.0, "lanczos2"), (5.0, "bicubic"), (7.0, "bicubic"),
                          (2.2, "bicubic")):
        idx, w = _table(40, scale, method)
        assert R._numer_weights(w, TOP) is None, (scale, method)
        assert R._fixed_plan(w, TOP, TOP) is None, (scale, method)
    idx, w = _table(64, 3.0)
    assert R._numer_weights(w + 1e-4, TOP) is None
    assert R._fixed_plan(w, 255, 255)[1][4] == 32  # 8-bit: the margin weights
    many = np.tile(w[10:11], (R._MARGIN_ROWS + 1, 1))
    many[:, 0] += np.arange(many.shape[0]) * 2.0 ** -45  # distinct rows
    assert R._numer_weights(many[: R._MARGIN_ROWS], TOP) is not None
    assert R._numer_weights(many, TOP) is None
    idx6, w6 = _table(40, 1 / 3, "bilinear")  # six taps
    assert w6.shape[1] != 4 and R._numer_weights(w6, TOP) is None


@pytest.mark.parametrize("variant", _VARIANTS)
def test_numer_plan_bound_is_computed_exactly(variant):
    """The float32 rounding bound ``2 maxval P + 2 D < 2**22`` decides at its edge: the row
    ``(16, 15) / 31`` (``4063232``) passes, and the kernel equals MATLAB on the vectors of
    largest sum nearest a tie and on random ones; ``(17, 16) / 33`` (``4325376``) fails;
    rows off their rational by more than the margin allows fail too."""
    tight = np.array([[16.0 / 31.0, 15.0 / 31.0, 0.0, 0.0]] * 4)
    wi, fc = R._fixed_plan(tight, TOP, TOP)
    assert fc.tolist() == [0, 31, 0, TOP, R._NUMER]
    rng = np.random.default_rng(1)
    x0 = np.arange(TOP + 1, dtype=np.int64)
    near = []
    for target in (15, 16):  # 16 x0 + 15 x1 = target (mod 31): S / 31 nearest a tie
        x1 = ((target - 16 * x0) * pow(15, -1, 31)) % 31
        x1 = x1 + 31 * ((TOP - x1) // 31 - rng.integers(0, 3, size=x1.size))  # the largest
        near.append(np.stack([x0, x1, 0 * x0, 0 * x0], axis=-1))
    randoms = np.concatenate([rng.integers(0, TOP + 1, size=(2_000_000, 2)),
                              np.zeros((2_000_000, 2), dtype=np.int64)], axis=-1)
    for x in near + [randoms]:
        np.testing.assert_array_equal(_kernel(wi[0], _variant(wi[0], fc, variant), x),
                                      _matlab(tight[0], x))
    assert R._numer_weights(np.array([[17.0 / 33.0, 16.0 / 33.0, 0.0, 0.0]] * 4), TOP) is None
    assert R._numer_weights(np.array([[17.0 / 33.0, 16.0 / 33.0, 0.0, 0.0]] * 4), 60000) \
        is not None  # 2 * 60000 * 33 + 66 < 2**22
    # rho, the distance of the float64 weights from N / D (times maxval), counts: (2/3, 1/3)
    # moved by 3.3e-7 still matches D = 3 (within 1e-6 / D) and passes the float32 bound
    # for pixels up to 300000 (2 * 300000 * 3 + 6), but rho = 0.198 > 1/6
    third = np.array([[2.0 / 3.0, 1.0 / 3.0, 0.0, 0.0]] * 4)
    assert R._numer_weights(third, 300_000) is not None
    moved = third + np.array([3.3e-7, -3.3e-7, 0.0, 0.0])
    assert R._numer_weights(moved, 300_000) is None
    assert R._numer_weights(moved, 200_000) is not None  # rho = 0.132 < 1/6


@pytest.mark.parametrize("variant", _VARIANTS)
@pytest.mark.parametrize("boundary", ["symmetric", "replicate", "reflect", "constant"])
def test_four_tap_rows_on_extremes_large_values_and_near_ties(boundary, variant):
    """Every distinct row of the 16-bit bicubic x3 table, through the kernel (float32 blocks
    and the scalar tail): MATLAB's result on all 16 vectors of 0 and 65535, on a million
    random vectors, on random vectors of values near 65535 (the largest float32 error), and
    on those whose true sum is nearest a tie (``27 S`` in ``{13, 14}`` mod 27, solved for the
    last tap, largest values)."""
    idx, w = _table(30, 3.0, "bicubic", boundary)
    wi, fc = R._fixed_plan(w, TOP, TOP)
    assert int(fc[4]) == R._NUMER
    rng = np.random.default_rng(3)
    corners = ((np.arange(16)[:, None] >> np.arange(4)) & 1) * TOP
    randoms = rng.integers(0, TOP + 1, size=(1_000_000, 4))
    high = rng.integers(TOP - 300, TOP + 1, size=(300_000, 4))
    _, first = np.unique(w, axis=0, return_index=True)
    for r in first:
        row = w[r]
        n = wi[r]
        near = []
        if math.gcd(int(n[3]), 27) == 1:
            head = randoms[:300_000, :3] @ n[:3]
            inv = pow(int(n[3]) % 27, -1, 27)
            for target in (13, 14):
                x3 = ((target - head) * inv) % 27
                x3 = x3 + 27 * ((TOP - x3) // 27 - rng.integers(0, 50, size=x3.size))
                near.append(np.column_stack([randoms[:300_000, :3], x3]))
        for x in [corners] + [randoms, high] + near + [randoms[:13]]:
            np.testing.assert_array_equal(_kernel(wi[r], _variant(wi[r], fc, variant), x),
                                          _matlab(row, x))


# bicubic x3 on one or both axes (bilinear tables stay at two taps on float64 sums: the
# resizes do not take their numerator plans, see test_bilinear_keeps_two_taps)
_CASES = [((40, 70, 3), 3, "bicubic", "symmetric"), ((33, 41), 3, "bicubic", "replicate"),
          ((30, 50, 4), 3, "bicubic", "reflect"), ((25, 37, 3), (3, 1), "bicubic", "symmetric"),
          ((25, 37), (1, 3), "bicubic", "symmetric"), ((9, 11, 2), 3, "bicubic", "constant"),
          ((6, 11, 3), 3, "bicubic", "symmetric"), ((20, 33), 3, "bicubic", "wrap")]


def test_numer_resizes_take_the_integer_kernels_and_match(monkeypatch):
    """Whole 16-bit resizes (fused and as separate passes, random images and images of only 0
    and 65535) run on the fixed-point kernels, equal the independent reference and, with
    ``_NUMER_PLANS`` off (float64 accumulation), the same bits."""
    monkeypatch.setattr(R, "_TIE_PLANS", False)  # (they take these tables too)
    _check_switched_cases(monkeypatch, "_NUMER_PLANS", _FIXED_KERNELS, _CASES, seed=27,
                          dtype=np.uint16)


@pytest.mark.skipif(not R._MADD_OK, reason="the pmaddwd block needs a JIT target with AVX2")
def test_numer_plans_on_the_pmaddwd_block(monkeypatch):
    """On AVX2 targets the table plan puts 16-bit x3 on the pmaddwd block (``_NUMER16``),
    the constant boundary too (its border rows have other weight sums: each row's block
    starts from its own ``32768 sum_k N_k``), but not with ``_MADD`` off; the 8- and 16-tap
    pmaddwd plans refuse numerators (they round by the shift only).  Whole resizes give the
    same bits with the block off (32-bit lanes) as on, and the reference's."""
    def fc_of(boundary):
        idx, w = _table(60, 3.0, "bicubic", boundary)
        return R._TablePlan(idx, w).fixed(TOP, TOP)[1]
    assert fc_of("symmetric").tolist() == [0, 27, 0, TOP, R._NUMER16]
    assert int(fc_of("constant")[4]) == R._NUMER16
    monkeypatch.setattr(R, "_MADD", False)
    assert int(fc_of("symmetric")[4]) == R._NUMER
    monkeypatch.setattr(R, "_MADD", True)
    # no 8-tap table has numerators today (_numer_weights takes four taps); were one to,
    # the 8- and 16-tap plans would refuse it
    eight = np.tile(np.array([[-2.0, 21.0, 9.0, -1.0, 0.0, 0.0, 0.0, 0.0]]) / 27, (6, 1))
    assert R._fixed_plan(eight, TOP, TOP, any_taps=True) is None
    numer = (np.tile(np.array([-2, 21, 9, -1, 0, 0, 0, 0]), (6, 1)),
             np.array([0, 27, 0, TOP, R._NUMER], dtype=np.int64))
    with monkeypatch.context() as m:
        m.setattr(R, "_fixed_plan", lambda *args, **kwargs: numer)
        assert R._madd_plan(eight, TOP, TOP) is None
    rng = np.random.default_rng(29)
    for shape, scale, _, boundary in _CASES:
        img = rng.integers(0, TOP + 1, size=shape).astype(np.uint16)
        img[::3, ::2] = TOP
        _check_madd_on_off(monkeypatch, img, scale, boundary)


def test_bilinear_keeps_two_taps(monkeypatch):
    """16-bit bilinear at odd factors (whose padded tables have numerator plans) runs no
    fixed-point kernel: two taps on float64 sums measured as fast as four in integer lanes."""
    seen = _spy_kernels(monkeypatch)
    img = np.random.default_rng(4).integers(0, TOP + 1, size=(20, 27, 3)).astype(np.uint16)
    for scale in (3, 5, (3, 1)):
        seen.clear()
        out = resize(img, scale, method="bilinear")
        assert not any(name in _FIXED_KERNELS for name in seen), seen
        np.testing.assert_array_equal(out, reference_resize(img, scale, method="bilinear"))


def test_numer_resizes_at_both_thread_counts(monkeypatch):
    """Two threads with many chunks give the one-thread bytes."""
    img = np.random.default_rng(5).integers(0, TOP + 1, size=(61, 47, 3)).astype(np.uint16)
    _check_thread_counts(monkeypatch, img)


@given(h=st.integers(1, 30), w=st.integers(1, 30), nch=st.sampled_from([0, 1, 3, 4]),
       sr=st.sampled_from([1, 2, 3, 5]), sc=st.sampled_from([1, 3, 4, 7]),
       method=st.sampled_from(["bicubic", "bilinear"]),
       boundary=st.sampled_from(["symmetric", "replicate", "reflect"]),
       seed=st.integers(0, 2 ** 16), extreme=st.booleans())
def test_numer_property_random_images(h, w, nch, sr, sc, method, boundary, seed, extreme):
    """Any shape (down to one pixel), channel count, odd and even factors per axis: 16-bit
    resizes equal the independent reference, with the numerator plans on and off."""
    _check_random_image(np.uint16, "_NUMER_PLANS", (h, w, nch), (sr, sc), method, boundary,
                        seed, extreme)


@pytest.mark.nojit_subset
def test_numer_small_nojit_subset(monkeypatch):
    """The Python paths (``NUMBA_DISABLE_JIT=1``): 16-bit x3 resizes of small images equal
    the reference, the rows pass alone on the fixed-point kernel (exact integer rounding)."""
    seen = _spy_kernels(monkeypatch)
    rng = np.random.default_rng(8)
    for shape, scale, method in (((7, 9, 3), (3, 1), "bicubic"), ((5, 6), (3, 1), "bicubic"),
                                 ((7, 9, 3), 3, "bicubic"), ((5, 6), 5, "bilinear")):
        img = rng.integers(0, TOP + 1, size=shape).astype(np.uint16)
        seen.clear()
        out = resize(img, scale, method=method)
        np.testing.assert_array_equal(out, reference_resize(img, scale, method=method))
        if scale == (3, 1):
            assert seen == ["_rows_chunk_fixed"], seen


def test_margin_tables_on_the_fixed_columns_pass(monkeypatch):
    """8-bit x3 tables with the output-order blocks off (targets without AVX2 have none):
    their margin weights repeat over the periods, so the columns pass runs on the
    interleaved fixed-point kernels, and equals the reference and the checked float32 path
    (``_MARGIN`` off) bit for bit."""
    monkeypatch.setattr(R, "_DIRECT", False)
    monkeypatch.setattr(R, "_DIRECT_CHECKED", False)
    cases = [((40, 70, 3), 3, "bicubic", "symmetric"), ((25, 37), (1, 3), "bicubic", "replicate"),
             ((30, 41, 4), 3, "bicubic", "reflect"), ((30, 50, 3), (2, 3), "bicubic", "wrap")]
    monkeypatch.setattr(R, "_TIE_PLANS", False)  # (they take these tables too)
    _check_switched_cases(monkeypatch, "_MARGIN", ("_cols_chunk_fixed", "_fused_chunk_fixed"),
                          cases, seed=28)


def test_fixed_columns_need_periodic_integers():
    """The interleaved fixed-point columns pass takes a table whose float64 weights are not
    uniform over the periods (bicubic x3: last-bit differences) when its integers are, and
    refuses integers that change between periods (each output must get its own row's)."""
    idx, w = _table(60, 3.0)
    plan = R._TablePlan(idx, w)
    j0, nphase, _, mper = plan.poly(F64)[:4]
    assert not plan.poly(F64)[9]  # the float weights are not periodic ...
    wi, fc = plan.fixed(TOP, TOP)
    got = R._fixed_cols(plan, 60, 3, wi, fc)
    assert got is not None  # ... their numerators are
    np.testing.assert_array_equal(got[4], wi[j0:j0 + nphase])
    bad = wi.copy()
    bad[j0 + nphase * (mper - 1)] += 1  # one row of the last period
    fresh = R._TablePlan(idx, w)
    assert R._fixed_cols(fresh, 60, 3, bad, fc) is None
