"""MATLAB's rounding of float results into integer pixels (half away from zero), exactly.

``floor(v + 0.5)`` is not it: for ``v = 0.5 - 2**-54`` the float64 sum ``v + 0.5`` rounds to
1.0, while MATLAB's ``round`` (and the exact value ``v + 1/2 < 1``) give 0.  The reference here
is exact rational arithmetic on the float's value (``fractions.Fraction``)."""

from __future__ import annotations

import importlib
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classicsr import _validate as V
from classicsr import degrade
from classicsr._kernels import resample as R


def _matlab_round(v) -> float:
    """round(v), halves away from zero, in exact arithmetic."""
    f = Fraction(float(v))
    n = math.floor(abs(f) + Fraction(1, 2))
    return float(n if f >= 0 else -n)


def _hard_values(dtype):
    """Halves, their float neighbours, and the largest float below 0.5, both signs."""
    dtype = np.dtype(dtype)
    halves = np.arange(0, 300, dtype=dtype) + dtype.type(0.5)
    near = [np.nextafter(halves, dtype.type(0)), halves, np.nextafter(halves, dtype.type(1e9))]
    ints = np.arange(0, 300, dtype=dtype)
    vals = np.concatenate(near + [ints, np.nextafter(ints, dtype.type(-1)),
                                  np.nextafter(ints, dtype.type(1e9))])
    return np.concatenate([vals, -vals]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_half_away_matches_exact_rounding_on_hard_values(dtype):
    vals = _hard_values(dtype)
    got = V.round_half_away(vals)
    assert got.dtype == np.dtype(dtype)
    want = np.array([_matlab_round(v) for v in vals])
    np.testing.assert_array_equal(got.astype(np.float64), want)
    # the value floor(v + 0.5) gets wrong is among them, and rounds to 0 here
    below = np.nextafter(np.dtype(dtype).type(0.5), np.dtype(dtype).type(0))
    assert np.floor(below + np.dtype(dtype).type(0.5)) == 1.0
    assert V.round_half_away(np.array([below], dtype=dtype))[0] == 0.0


@given(st.floats(-2.0 ** 40, 2.0 ** 40, allow_nan=False))
def test_round_half_away_matches_exact_rounding_float64(v):
    assert V.round_half_away(np.array([v]))[0] == _matlab_round(v)


@given(st.floats(-2.0 ** 20, 2.0 ** 20, allow_nan=False, width=32))
def test_round_half_away_matches_exact_rounding_float32(v):
    got = V.round_half_away(np.array([v], dtype=np.float32))[0]
    assert float(got) == _matlab_round(v)


def test_half_below_is_the_largest_float_below_a_half():
    assert V.half_below(np.float64) == 0.5 - 2.0 ** -54
    assert V.half_below(np.float32) == 0.5 - 2.0 ** -25


def test_quantisers_round_the_largest_double_below_half_to_zero():
    vals = np.array([0.5 - 2.0 ** -54, 0.5, 1.5, 2.5 - 2.0 ** -51, 254.5, 300.0, -3.0])
    want = np.array([0, 1, 2, 2, 255, 255, 0], dtype=np.uint8)
    np.testing.assert_array_equal(degrade._to_dtype(vals, np.uint8), want)
    evaluate = importlib.import_module("classicsr.evaluate")  # (the package exports a function)
    np.testing.assert_array_equal(evaluate._quantise(vals, np.dtype(np.uint8)), want)


def _tie_heavy_table(n_out, special):
    """A two-tap table that accumulates in float64 (pairs in six hit exact ties of (5a + b) / 6,
    too many for the float32 check), with output 7 reading pixels 3 and 4 with weights
    ``special``."""
    idx = np.zeros((n_out, 2), np.intp)
    w = np.zeros((n_out, 2))
    for j in range(n_out):
        idx[j] = (j % 15, j % 15 + 1)
        w[j] = (1 / 6, 5 / 6) if j % 2 else (5 / 6, 1 / 6)
    idx[7] = (3, 4)
    w[7] = special
    return idx, w


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("nch", [1, 3])
@pytest.mark.parametrize("axis", [0, 1])
def test_float64_resampling_rounds_the_largest_double_below_half_to_zero(axis, nch, dtype):
    """A float64 sum of exactly ``0.5 - 2**-54`` (pixel 1 times that weight, plus 0 times
    0.5) is 0 in MATLAB; ``trunc(v + 0.5)`` made it 1."""
    below = 0.5 - 2.0 ** -54
    n_out = 64
    idx, w = _tie_heavy_table(n_out, (below, 0.5))
    assert R._plan(idx, w).int_plan(int(np.iinfo(dtype).max)) is None  # the float64 path
    data = np.zeros((16, 16, nch), dtype)
    if axis == 0:
        data[3] = 1
        out_shape = (n_out, 16)
    else:
        data[:, 3] = 1
        out_shape = (16, n_out)
    out = R.run_passes(data, [(axis, idx, w)], out_shape, dtype, dtype, np.iinfo(dtype).max)
    got = out[7] if axis == 0 else out[:, 7]
    assert (got == 0).all()
    # and every other output is MATLAB's rounding of its float64 sum (tap order)
    src = data.astype(np.float64)
    for j in (0, 1, 6, 8):
        a, b = (src[idx[j, 0]], src[idx[j, 1]]) if axis == 0 else (src[:, idx[j, 0]],
                                                                     src[:, idx[j, 1]])
        ref = np.vectorize(_matlab_round)(w[j, 0] * a + w[j, 1] * b)
        np.testing.assert_array_equal((out[j] if axis == 0 else out[:, j]), ref)
