"""classicsr.operators: exact adjoints, identities, and agreement with explicit references and
peers (numpy slicing/np.roll/np.pad, scipy.ndimage.affine_transform, scipy.sparse)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st

from classicsr import operators as ops
from classicsr.operators import (Blur, Composite, Decimate, ObservationModel, Warp, euclidean_matrix,
                                 hr_motion_to_lr, lr_motion_to_hr, translation_matrix)

from . import naive_operators as naive

BOUNDS = ["zero", "replicate", "symmetric", "reflect", "wrap"]
shapes = st.tuples(st.integers(3, 14), st.integers(3, 14))
shifts = st.tuples(st.floats(-4, 4), st.floats(-4, 4))


def _dot_test(A, seed, rtol=1e-10, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(A.in_shape).astype(dtype)
    y = rng.standard_normal(A.out_shape).astype(dtype)
    ax = A.forward(x)
    aty = A.adjoint(y)
    assert ax.shape == tuple(A.out_shape) and aty.shape == tuple(A.in_shape)
    lhs = np.vdot(ax.astype(np.float64), y.astype(np.float64))
    rhs = np.vdot(x.astype(np.float64), aty.astype(np.float64))
    scale = np.linalg.norm(ax) * np.linalg.norm(y) + np.linalg.norm(x) * np.linalg.norm(aty)
    assert abs(lhs - rhs) <= rtol * scale, (lhs, rhs)


def _gauss(sigma, radius):
    t = np.arange(-radius, radius + 1)
    g = np.exp(-t**2 / (2 * sigma**2))
    g = np.outer(g, g)
    return g / g.sum()


# ------------------------------------------------------------------ adjoint identities
@given(shapes, shifts, st.sampled_from(["bilinear", "bicubic"]), st.sampled_from(BOUNDS), st.integers(0, 2**31))
def test_translation_adjoint(shape, shift, interp, boundary, seed):
    _dot_test(Warp.translation(shape, shift, interpolation=interp, boundary=boundary), seed)


@given(shapes, st.floats(-0.6, 0.6), shifts, st.floats(0.8, 1.25), st.floats(-0.2, 0.2),
       st.sampled_from(["bilinear", "bicubic"]), st.sampled_from(BOUNDS), st.integers(0, 2**31))
def test_affine_adjoint(shape, angle, shift, zoom, shear, interp, boundary, seed):
    m = euclidean_matrix(angle, shift, ((shape[0] - 1) / 2, (shape[1] - 1) / 2))
    m[:, :2] = m[:, :2] @ np.array([[zoom, shear], [0, 1 / zoom]])
    _dot_test(Warp(shape, m, interpolation=interp, boundary=boundary), seed)


psfs = st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(0, 2**31))


@given(shapes, psfs, st.sampled_from(BOUNDS), st.sampled_from(["spatial", "fft"]), st.booleans())
def test_blur_adjoint(shape, psf_spec, boundary, method, separable):
    kh, kw, seed = psf_spec
    rng = np.random.default_rng(seed)
    psf = np.outer(rng.random(kh), rng.random(kw)) if separable else rng.random((kh, kw))
    B = Blur(shape, psf, boundary=boundary, method=method)
    _dot_test(B, seed)


@given(st.tuples(st.integers(1, 20), st.integers(1, 20)), st.integers(1, 5), st.sampled_from(["sample", "area"]),
       st.integers(0, 4), st.integers(0, 2**31))
def test_decimate_adjoint_and_slicing(shape, factor, mode, offset, seed):
    offset = 0 if mode == "area" else min(offset, factor - 1)
    if mode == "area" and min(shape) < factor:
        with pytest.raises(ValueError, match="factor"):
            Decimate(shape, factor, mode=mode)
        return
    if mode == "sample" and min(shape) <= offset:  # an axis with no sample at that offset
        with pytest.raises(ValueError, match="no sample at offset"):
            Decimate(shape, factor, mode=mode, offset=offset)
        return
    D = Decimate(shape, factor, mode=mode, offset=offset)
    _dot_test(D, seed)
    x = np.random.default_rng(seed).standard_normal(shape)
    np.testing.assert_allclose(D.forward(x), naive.decimate(x, factor, mode, offset), rtol=1e-13, atol=1e-13)


@given(st.tuples(st.integers(4, 12), st.integers(4, 12)), st.integers(1, 3), st.integers(1, 4),
       st.lists(shifts, min_size=1, max_size=3), st.booleans(), st.integers(0, 2**31))
def test_observation_model_adjoint(shape, factor, n, shift_list, rotate, seed):
    shape = (shape[0] * factor, shape[1] * factor)
    ms = [translation_matrix(s) for s in shift_list]
    if rotate:
        ms.append(euclidean_matrix(0.1, (0.3, -0.2), (2.0, 3.0)))
    psf = _gauss(1.0, n)
    A = ObservationModel(shape, factor, ms, psf)
    _dot_test(A, seed)
    _dot_test(A, seed, rtol=1e-5, dtype=np.float32)


def test_as_linear_operator_matches_dense_transpose():
    A = Composite([Warp(( 6, 7), euclidean_matrix(0.2, (0.4, 0.1), (2.5, 3))), Blur((6, 7), _gauss(0.8, 2)),
                   Decimate((6, 7), 2)])
    L = A.as_linear_operator()
    dense = L.matmat(np.eye(42))
    dense_t = L.rmatmat(np.eye(L.shape[0]))
    np.testing.assert_allclose(dense_t, dense.T, atol=1e-14)
    assert L.shape == (3 * 4, 42)


# ------------------------------------------------------------------ identities vs numpy
@given(shapes, st.sampled_from(["bilinear", "bicubic"]), st.sampled_from(BOUNDS), st.integers(0, 2**31))
def test_zero_motion_is_identity(shape, interp, boundary, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    np.testing.assert_array_equal(Warp.translation(shape, (0, 0), interpolation=interp, boundary=boundary).forward(x), x)
    np.testing.assert_allclose(Warp(shape, np.eye(3), interpolation=interp, boundary=boundary).adjoint(x), x,
                               atol=1e-14)


@given(shapes, st.integers(-3, 3), st.integers(-3, 3), st.sampled_from(["bilinear", "bicubic"]),
       st.integers(0, 2**31))
def test_integer_translation_is_roll_in_interior(shape, dr, dc, interp, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    out = Warp.translation(shape, (dr, dc), interpolation=interp, boundary="zero").forward(x)
    ref = np.roll(x, (dr, dc), axis=(0, 1))
    H, W = shape
    r0, r1 = max(dr, 0), H + min(dr, 0)
    c0, c1 = max(dc, 0), W + min(dc, 0)
    np.testing.assert_allclose(out[r0:r1, c0:c1], ref[r0:r1, c0:c1], atol=1e-14)
    # periodic boundary: np.roll everywhere
    out = Warp.translation(shape, (dr, dc), interpolation=interp, boundary="wrap").forward(x)
    np.testing.assert_allclose(out, ref, atol=1e-14)


@given(shapes, shifts, st.integers(0, 2**31))
def test_linearity(shape, shift, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    a, b = rng.standard_normal(2)
    for A in (Warp.translation(shape, shift), Warp.euclidean(shape, 0.3, shift), Blur(shape, rng.random((3, 4)))):
        np.testing.assert_allclose(A.forward(a * x1 + b * x2), a * A.forward(x1) + b * A.forward(x2), atol=1e-12)


# ------------------------------------------------------------------ references and peers
SCIPY_MODE = {"zero": "grid-constant", "replicate": "nearest", "symmetric": "reflect", "reflect": "mirror",
              "wrap": "grid-wrap"}


@given(shapes, st.floats(-0.5, 0.5), shifts, st.sampled_from(BOUNDS), st.integers(0, 2**31))
def test_bilinear_warp_matches_scipy_affine_transform(shape, angle, shift, boundary, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    m = euclidean_matrix(angle, shift, (1.0, 2.0))
    W = Warp(shape, m, interpolation="bilinear", boundary=boundary)
    inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))
    ref = ndi.affine_transform(x, inv, order=1, mode=SCIPY_MODE[boundary])
    np.testing.assert_allclose(W.forward(x), ref, atol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDS)
@pytest.mark.parametrize("interp", ["bilinear", "bicubic"])
def test_warp_matches_naive_matrix(boundary, interp):
    shape = (7, 9)
    rng = np.random.default_rng(3)
    for m in (translation_matrix((0.37, -2.6)), euclidean_matrix(0.25, (0.5, -0.3), (3, 4)),
              np.array([[1.1, 0.2, -0.4], [-0.1, 0.9, 0.7]])):
        M = naive.warp_matrix(shape, m, interp, boundary)
        W = Warp(shape, m, interpolation=interp, boundary=boundary)
        x, y = rng.standard_normal(shape), rng.standard_normal(shape)
        np.testing.assert_allclose(W.forward(x).ravel(), M @ x.ravel(), atol=1e-12)
        np.testing.assert_allclose(W.adjoint(y).ravel(), M.T @ y.ravel(), atol=1e-12)


@given(shapes, psfs, st.sampled_from(BOUNDS), st.sampled_from(["auto", "spatial", "fft"]))
def test_blur_matches_naive_np_pad(shape, psf_spec, boundary, method):
    kh, kw, seed = psf_spec
    rng = np.random.default_rng(seed)
    psf = rng.random((kh, kw))
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(Blur(shape, psf, boundary=boundary, method=method).forward(x),
                               naive.blur(x, psf, boundary), atol=1e-12)


def test_separable_blur_matches_scipy_gaussian_filter():
    x = np.random.default_rng(0).random((30, 40))
    g1 = np.exp(-np.arange(-4, 5) ** 2 / 2.0)
    g1 /= g1.sum()
    out = Blur(x.shape, np.outer(g1, g1), boundary="symmetric").forward(x)
    ref = ndi.gaussian_filter(x, 1.0, mode="reflect", truncate=4.0)
    np.testing.assert_allclose(out, ref, atol=1e-12)
    assert Blur(x.shape, np.outer(g1, g1)).separable


def test_observation_model_matches_naive_pipeline():
    rng = np.random.default_rng(1)
    x = rng.random((12, 10))
    lr = [translation_matrix((0, 0)), translation_matrix((0.3, -0.45)), euclidean_matrix(0.05, (0.2, 0.1), (2, 2))]
    psf = _gauss(1.0, 2)
    A = ObservationModel(x.shape, 2, lr, psf)
    ref = naive.observe(x, 2, [lr_motion_to_hr(m, 2) for m in lr], psf)
    np.testing.assert_allclose(A.forward(x), ref, atol=1e-12)


# ------------------------------------------------------------------ dtype, channels, misc
def test_dtype_rule_and_channels():
    x = np.random.default_rng(0).random((8, 8, 3))
    B = Blur((8, 8), _gauss(1, 1))
    assert B.forward(x.astype(np.float32)).dtype == np.float32
    assert B.forward(x.astype(np.float16)).dtype == np.float32
    assert B.forward((x * 255).astype(np.uint8)).dtype == np.float64
    out = B.forward(x)
    for c in range(3):
        np.testing.assert_allclose(out[..., c], B.forward(x[..., c]))
    x_copy = x.copy()
    B.adjoint(x)
    np.testing.assert_array_equal(x, x_copy)


def test_motion_unit_conversion_roundtrip_and_translation():
    m = euclidean_matrix(0.1, (0.3, -0.2), (4, 5))
    np.testing.assert_allclose(hr_motion_to_lr(lr_motion_to_hr(m, 4, 1.5), 4, 1.5), m, atol=1e-14)
    # LR pixel shift of 0.25 is an HR shift of 1 at factor 4, whatever the origin
    np.testing.assert_allclose(lr_motion_to_hr(translation_matrix((0.25, 0.5)), 4, 1.5)[:, 2], [1, 2])


def test_subpixel_translation_commutes_with_decimation_grid():
    # Decimating a whole-HR-pixel shifted image equals sampling with the LR shift applied on
    # the LR grid: D M(s*d) x == M_lr(d) D x for integer d (checked with np.roll, wrap boundary)
    x = np.random.default_rng(0).random((16, 16))
    A = ObservationModel((16, 16), 4, [translation_matrix((1, -1))], boundary="wrap")
    np.testing.assert_allclose(A.forward(x)[0], np.roll(x, (4, -4), axis=(0, 1))[::4, ::4], atol=1e-14)


@pytest.mark.parametrize("bad, exc, match", [
    (dict(shape=(0, 4)), ValueError, "shape"),
    (dict(factor=0), ValueError, "factor"),
    (dict(factor=2.0), TypeError, "factor"),
    (dict(mode="nearest"), ValueError, "mode"),
    (dict(offset=3), ValueError, "offset"),
])
def test_decimate_errors(bad, exc, match):
    kw = dict(shape=(8, 8), factor=2)
    kw.update(bad)
    shape, factor = kw.pop("shape"), kw.pop("factor")
    with pytest.raises(exc, match=match):
        Decimate(shape, factor, **kw)


def test_other_errors():
    with pytest.raises(ValueError, match="boundary"):
        Blur((4, 4), np.ones((3, 3)), boundary="mirror")
    with pytest.raises(ValueError, match="psf"):
        Blur((4, 4), np.ones(3))
    with pytest.raises(ValueError, match="invertible"):
        Warp((4, 4), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="interpolation"):
        Warp.translation((4, 4), (0, 0), interpolation="lanczos3")
    with pytest.raises(ValueError, match=r"x must have shape \(4, 4\)"):
        Warp.translation((4, 4), (0, 0)).forward(np.zeros((5, 4)))
    with pytest.raises(TypeError, match="x must be"):
        Warp.translation((4, 4), (0, 0)).forward("image")
    with pytest.raises(ValueError, match="compose"):
        Composite([Decimate((8, 8), 2), Decimate((8, 8), 2)])
    with pytest.raises(ValueError, match="motions"):
        ObservationModel((8, 8), 2, np.zeros((2, 3)))
    assert ops.BOUNDARIES["periodic"] == ops.BOUNDARIES["wrap"]
