"""BT.601 conversions against scikit-image (an independent implementation) and known values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage import color as skcolor

from classicsr.color import rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb


def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


@pytest.fixture(scope="module")
def rgb8():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (23, 17, 3), dtype=np.uint8)
    img[0, 0] = (0, 0, 0)
    img[0, 1] = (255, 255, 255)
    return img


def test_known_values_uint8():
    # MATLAB: rgb2ycbcr(uint8([0 0 0; 255 255 255; 255 0 0]))  (documented studio-swing values)
    img = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0]]], dtype=np.uint8)
    out = rgb_to_ycbcr(img)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0], [16, 128, 128])
    np.testing.assert_array_equal(out[0, 1], [235, 128, 128])
    # red: Y = 16 + 65.481 = 81.481 -> 81; Cb = 128 - 37.797 -> 90; Cr = 128 + 112 = 240
    np.testing.assert_array_equal(out[0, 2], [81, 90, 240])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_matches_skimage(rgb8, dtype):
    rgb = (rgb8 / 255.0).astype(dtype)
    ours = rgb_to_ycbcr(rgb)
    assert ours.dtype == dtype
    ref = skcolor.rgb2ycbcr(rgb.astype(np.float64))  # skimage: Y on 16..235 for float input
    tol = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(ours.astype(np.float64) * 255.0, ref, atol=tol * 255)


def test_uint8_matches_skimage_rounded(rgb8):
    ours = rgb_to_ycbcr(rgb8)
    ref = skcolor.rgb2ycbcr(rgb8)  # float on the 0..255 scale
    np.testing.assert_array_equal(ours, _round_half_away(ref).astype(np.uint8))


def test_uint16_matches_skimage(rgb8):
    rgb16 = rgb8.astype(np.uint16) * 257
    ours = rgb_to_ycbcr(rgb16)
    assert ours.dtype == np.uint16
    ref = skcolor.rgb2ycbcr(rgb16.astype(np.float64) / 65535.0) * 257.0
    np.testing.assert_array_equal(ours, _round_half_away(ref).astype(np.uint16))


def test_float16_computes_in_float32(rgb8):
    out = rgb_to_ycbcr((rgb8 / 255.0).astype(np.float16))
    assert out.dtype == np.float32


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_channel_axis(rgb8, axis):
    moved = np.moveaxis(rgb8, -1, axis)
    out = rgb_to_ycbcr(moved, channel_axis=axis)
    np.testing.assert_array_equal(np.moveaxis(out, axis, -1), rgb_to_ycbcr(rgb8))
    np.testing.assert_array_equal(rgb_to_y(moved, channel_axis=axis), rgb_to_ycbcr(rgb8)[..., 0])
    back = ycbcr_to_rgb(out, channel_axis=axis)
    np.testing.assert_array_equal(np.moveaxis(back, axis, -1), ycbcr_to_rgb(rgb_to_ycbcr(rgb8)))


def test_inverse_matches_skimage(rgb8):
    ycc = rgb_to_ycbcr(rgb8 / 255.0)
    ours = ycbcr_to_rgb(ycc)
    ref = skcolor.ycbcr2rgb(ycc * 255.0)
    np.testing.assert_allclose(ours, ref, atol=1e-10)


@given(arrays(np.float64, (4, 5, 3), elements=st.floats(0, 1)))
def test_float_round_trip(rgb):
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), rgb, atol=1e-12)


def test_uint8_round_trip_close(rgb8):
    back = ycbcr_to_rgb(rgb_to_ycbcr(rgb8))
    assert back.dtype == np.uint8
    # uint8 YCbCr has fewer levels than RGB: the round trip is within a couple of grey levels.
    assert np.abs(back.astype(int) - rgb8.astype(int)).max() <= 2


def test_y_of_gray_is_identity():
    g = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert rgb_to_y(g) is g or np.array_equal(rgb_to_y(g), g)


def test_inputs_not_mutated(rgb8):
    copy = rgb8.copy()
    rgb_to_ycbcr(rgb8)
    ycbcr_to_rgb(rgb8)
    rgb_to_y(rgb8)
    np.testing.assert_array_equal(rgb8, copy)


def test_bad_input():
    with pytest.raises(ValueError, match="3 channels"):
        rgb_to_ycbcr(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="alpha"):
        rgb_to_y(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="3-D"):
        rgb_to_ycbcr(np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match="int32"):
        rgb_to_ycbcr(np.zeros((4, 4, 3), np.int32))
    with pytest.raises(ValueError, match="channel_axis"):
        rgb_to_ycbcr(np.zeros((4, 4, 3), np.uint8), channel_axis=3)
    with pytest.raises(TypeError, match="numpy array"):
        rgb_to_ycbcr("image.png")
