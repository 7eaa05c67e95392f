"""classicsr.psf against independent constructions (scipy windows, moments, supersampling)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import windows

from classicsr import psf


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0, 3.3])
def test_gaussian_isotropic_matches_scipy_window(sigma):
    h = psf.gaussian(sigma)
    half = math.ceil(3 * sigma)
    assert h.shape == (2 * half + 1, 2 * half + 1)
    g = windows.gaussian(2 * half + 1, sigma)
    ref = np.outer(g, g)
    np.testing.assert_allclose(h, ref / ref.sum(), rtol=1e-12)
    assert h.dtype == np.float64


def test_gaussian_size_and_even_size():
    assert psf.gaussian(1.0, size=(5, 8)).shape == (5, 8)
    h = psf.gaussian(1.0, size=4)
    assert np.unravel_index(h.argmax(), h.shape) == (2, 2)  # centre at (kh // 2, kw // 2)


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 135.0])
def test_gaussian_rotated_second_moments(angle):
    sx, sy = 2.0, 0.8
    h = psf.gaussian(sx, sigma_y=sy, angle=angle, size=41)
    r = np.arange(41) - 20
    x = np.broadcast_to(r[None, :], h.shape)
    y = np.broadcast_to(-r[:, None], h.shape)
    cov = np.array([[np.sum(h * x * x), np.sum(h * x * y)], [np.sum(h * x * y), np.sum(h * y * y)]])
    t = math.radians(angle)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    expected = rot @ np.diag([sx**2, sy**2]) @ rot.T
    # pixel sampling of a Gaussian adds nothing to the second moment beyond ~1e-6 at these sigmas
    np.testing.assert_allclose(cov, expected, atol=2e-3)


def test_gaussian_symmetries():
    a = psf.gaussian(2.0, sigma_y=1.0, angle=25)
    np.testing.assert_allclose(a, psf.gaussian(2.0, sigma_y=1.0, angle=205), atol=1e-15)
    np.testing.assert_allclose(psf.gaussian(2.0, sigma_y=1.0, angle=90),
                               psf.gaussian(1.0, sigma_y=2.0, angle=0), atol=1e-15)
    np.testing.assert_allclose(a, a[::-1, ::-1], atol=1e-15)


def supersampled_disk(r, size, k=401):
    offs = (np.arange(k) + 0.5) / k - 0.5
    out = np.zeros((size, size))
    c = size // 2
    for i in range(size):
        for j in range(size):
            yy = (i - c) + offs[:, None]
            xx = (j - c) + offs[None, :]
            out[i, j] = np.mean(xx * xx + yy * yy <= r * r)
    return out


@pytest.mark.parametrize("r", [0.7, 1.5, 2.3, 4.0])
def test_disk_matches_supersampling(r):
    h = psf.disk(r)
    size = 2 * math.ceil(r - 0.5) + 1
    assert h.shape == (size, size)
    ref = supersampled_disk(r, size)
    np.testing.assert_allclose(h, ref / ref.sum(), atol=2e-4)
    assert abs(h.sum() - 1) < 1e-12
    np.testing.assert_array_equal(h, h.T)
    np.testing.assert_allclose(h, h[::-1], atol=1e-15)


def test_disk_area_is_pi_r_squared():
    from classicsr.psf import _disk_coverage

    for r in (1.0, 2.5, 6.2):
        size = 2 * math.ceil(r) + 3
        assert abs(_disk_coverage(r, size).sum() - math.pi * r * r) < 1e-3 * r * r


def test_motion_horizontal_and_vertical():
    np.testing.assert_allclose(psf.motion(5, 0), np.full((1, 5), 0.2), atol=1e-15)
    np.testing.assert_allclose(psf.motion(4, 0), [[0.125, 0.25, 0.25, 0.25, 0.125]], atol=1e-15)
    np.testing.assert_allclose(psf.motion(7, 90), psf.motion(7, 0).T, atol=1e-15)
    np.testing.assert_allclose(psf.motion(1, 33), [[1.0]], atol=1e-15)


@pytest.mark.parametrize("length, angle", [(9, 45), (15, 30), (10, 110), (21, -20)])
def test_motion_geometry(length, angle):
    h = psf.motion(length, angle)
    assert h.shape[0] % 2 == 1 and h.shape[1] % 2 == 1
    assert abs(h.sum() - 1) < 1e-12 and (h >= 0).all()
    np.testing.assert_allclose(h, h[::-1, ::-1], atol=1e-14)            # point symmetric
    np.testing.assert_allclose(h, psf.motion(length, angle + 180), atol=1e-14)
    cy, cx = h.shape[0] // 2, h.shape[1] // 2
    x = np.arange(h.shape[1]) - cx
    y = -(np.arange(h.shape[0]) - cy)
    X, Y = np.meshgrid(x, y)
    t = math.radians(angle)
    along = X * math.cos(t) + Y * math.sin(t)
    across = -X * math.sin(t) + Y * math.cos(t)
    # mass concentrated on the line; spread along it between a uniform on [-(L-1)/2, (L-1)/2]
    # and one on [-(L+1)/2, (L+1)/2] (the anti-aliased caps reach at most one pixel further)
    assert np.sum(h * across**2) < 0.25
    assert abs(np.sum(h * along)) < 1e-12
    assert (length - 1) ** 2 / 12 <= np.sum(h * along**2) <= (length + 1) ** 2 / 12


def test_box():
    np.testing.assert_array_equal(psf.box((2, 3)), np.full((2, 3), 1 / 6))


def test_validate_psf():
    raw = np.array([[1, 2], [3, 4]], dtype=np.int64)
    out = psf.validate_psf(raw)
    np.testing.assert_allclose(out, raw / 10)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(raw, [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="psf must be non-negative"):
        psf.validate_psf([[1, -1, 1]])
    with pytest.raises(ValueError, match="positive sum"):
        psf.validate_psf(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="finite"):
        psf.validate_psf([[1, np.nan]])
    with pytest.raises(ValueError, match="must be 2-D"):
        psf.validate_psf(np.ones((3, 3, 3)))
    with pytest.raises(TypeError, match="kernel must be a real numeric array"):
        psf.validate_psf(np.ones((2, 2), complex), name="kernel")
    with pytest.raises(ValueError, match="larger than the image"):
        psf.validate_psf(np.ones((5, 5)), image_shape=(4, 8))


def test_bad_parameters():
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        psf.gaussian(0)
    with pytest.raises(TypeError, match="sigma must be a real number"):
        psf.gaussian("2")
    with pytest.raises(ValueError, match="length must be >= 1"):
        psf.motion(0.5)
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        psf.disk(-1)
    with pytest.raises(ValueError, match="size must be >= 1"):
        psf.box(0)
    with pytest.raises(ValueError, match="angle must be finite"):
        psf.motion(3, float("inf"))


def test_validate_psf_image_shape_is_checked():
    with pytest.raises(TypeError, match="image_shape"):
        psf.validate_psf(np.ones((3, 3)), image_shape=5)
