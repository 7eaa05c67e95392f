"""Degradations against independent code: Pillow's resampler, block means, direct slicing,
the benchmark LR files, OpenCV's JPEG codec, numpy's rotations, and noise statistics."""

from __future__ import annotations

import importlib.util

import imageio.v3 as iio
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from classicsr import degrade
from classicsr.degrade import (dihedral, dihedral_inverse, downsample, gaussian_noise, jpeg, make_lr,
                               modcrop, poisson_noise, self_ensemble)
from classicsr.metrics import psnr


@pytest.fixture(scope="module")
def img():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 255, (48, 60)).astype(np.float32)


# ---------------------------------------------------------------- modcrop / downsample

@pytest.mark.parametrize("shape,s", [((10, 7), 3), ((12, 12), 4), ((9, 5, 3), 2), ((13, 17, 1), 5)])
def test_modcrop_is_top_left_slice(shape, s):
    x = np.arange(np.prod(shape)).reshape(shape)
    h, w = shape[:2]
    np.testing.assert_array_equal(modcrop(x, s), x[: h - h % s, : w - w % s])


def test_modcrop_channel_first():
    x = np.zeros((3, 10, 7))
    assert modcrop(x, 3, channel_axis=0).shape == (3, 9, 6)


@pytest.mark.parametrize("kernel,pil", [("bicubic", Image.BICUBIC), ("bilinear", Image.BILINEAR),
                                        ("lanczos3", Image.LANCZOS), ("box", Image.BOX)])
@pytest.mark.parametrize("s", [2, 3, 4])
def test_downsample_matches_pillow_in_the_interior(img, kernel, pil, s):
    # Pillow computes the same antialiased kernels (a = -0.5) but clips them at the image
    # edge, so only pixels whose support stays inside the image are comparable.
    ours = downsample(img.astype(np.float64), s, kernel=kernel)
    theirs = np.asarray(Image.fromarray(img, mode="F").resize((60 // s, 48 // s), pil), dtype=np.float64)
    b = 4
    np.testing.assert_allclose(ours[b:-b, b:-b], theirs[b:-b, b:-b], atol=5e-5)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_area_is_block_mean(img, s):
    x = img.astype(np.float64)
    expected = x.reshape(48 // s, s, 60 // s, s).mean(axis=(1, 3))
    np.testing.assert_allclose(downsample(x, s, kernel="area"), expected, atol=1e-12)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_nearest_picks_block_centres(img, s):
    # MATLAB's nearest at scale 1/s samples input pixel s*i + s//2 (0-based).
    np.testing.assert_array_equal(downsample(img, s, kernel="nearest"), img[s // 2::s, s // 2::s])


def test_downsample_dtypes_and_channels():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (24, 36, 3), dtype=np.uint8)
    out = downsample(rgb, 3)
    assert out.dtype == np.uint8 and out.shape == (8, 12, 3)
    moved = downsample(np.moveaxis(rgb, -1, 0), 3, channel_axis=0)
    np.testing.assert_array_equal(np.moveaxis(moved, 0, -1), out)
    assert downsample(rgb.astype(np.float16), 2).dtype == np.float32
    assert downsample(rgb.astype(np.uint16), 2).dtype == np.uint16


def test_downsample_reproduces_benchmark_lr_files(shared_data):
    # The given LR files were made with replicate boundary and per-pass uint8 rounding.
    for name in ("baby", "bird", "woman"):
        hr_full = iio.imread(shared_data / "Set5" / "HR" / f"{name}.png")
        for s in (2, 3, 4):
            hr, lr = make_lr(hr_full, s)
            given = iio.imread(shared_data / "Set5" / "LR_bicubic" / f"X{s}" / f"{name}.png")
            assert hr.shape == (given.shape[0] * s, given.shape[1] * s, 3)
            np.testing.assert_array_equal(lr, given)


def test_downsample_bad_input(img):
    with pytest.raises(ValueError, match="not a multiple of scale=5.*modcrop"):
        downsample(img, 5)
    with pytest.raises(ValueError, match="kernel must be one of"):
        downsample(img, 2, kernel="spline")
    with pytest.raises(ValueError, match="needs sigma"):
        downsample(img, 2, kernel="gaussian")
    with pytest.raises(ValueError, match="only used with kernel='gaussian'"):
        downsample(img, 2, sigma=1.0)
    with pytest.raises(TypeError, match="scale must be an integer"):
        downsample(img, 2.5)
    with pytest.raises(ValueError, match="smaller than scale"):
        modcrop(np.zeros((3, 3)), 4)


@pytest.mark.skipif(importlib.util.find_spec("classicsr.psf") is None,
                    reason="classicsr.psf (deconvolution issue) has not landed yet")
@pytest.mark.parametrize("boundary,mode", [("replicate", "nearest"), ("symmetric", "reflect")])
def test_gaussian_blur_decimate_matches_scipy(img, boundary, mode):
    from scipy import ndimage

    from classicsr.psf import gaussian

    x = img.astype(np.float64)
    psf = np.asarray(gaussian(1.6), dtype=np.float64)
    blurred = ndimage.convolve(x, psf, mode=mode)  # symmetric PSF: convolution == correlation
    for s in (2, 3):
        ours = downsample(x, s, kernel="gaussian", sigma=1.6, boundary=boundary)
        np.testing.assert_allclose(ours, blurred[::s, ::s], atol=1e-10)
    u8 = downsample(img.astype(np.uint8), 2, kernel="gaussian", sigma=1.0)
    assert u8.dtype == np.uint8


# ---------------------------------------------------------------- noise / JPEG

def test_gaussian_noise_seeded_and_statistics():
    x = np.zeros((256, 256))
    a = gaussian_noise(x, 0.1, seed=3)
    np.testing.assert_array_equal(a, gaussian_noise(x, 0.1, seed=3))
    assert not np.array_equal(a, gaussian_noise(x, 0.1, seed=4))
    assert abs(a.mean()) < 0.002 and abs(a.std() - 0.1) < 0.002
    assert gaussian_noise(x.astype(np.float32), 0.1, seed=0).dtype == np.float32
    u = gaussian_noise(np.full((64, 64), 250, np.uint8), 20, seed=0)
    assert u.dtype == np.uint8 and u.max() == 255  # saturated, not wrapped
    np.testing.assert_array_equal(gaussian_noise(x, 0, seed=1), x)


def test_poisson_noise_mean_and_variance():
    x = np.full((300, 300), 0.5)
    y = poisson_noise(x, peak=40.0, data_range=1.0, seed=0)
    # E[y] = x, Var[y] = L x / peak = 0.5 / 40
    assert abs(y.mean() - 0.5) < 0.003
    assert abs(y.var() - 0.5 / 40) < 0.0006
    np.testing.assert_array_equal(y, poisson_noise(x, 40.0, data_range=1.0, seed=0))
    with pytest.raises(ValueError, match="data_range is required"):
        poisson_noise(x, 10)
    with pytest.raises(ValueError, match="non-negative"):
        poisson_noise(-x, 10, data_range=1.0)


def test_jpeg_close_to_opencv_codec():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(2)
    base = np.clip(rng.normal(128, 40, (8, 8, 3)), 0, 255)
    rgb = np.kron(base, np.ones((8, 8, 1))).astype(np.uint8)  # blocky, JPEG-friendly content
    rgb = np.clip(rgb.astype(int) + rng.integers(-10, 11, rgb.shape), 0, 255).astype(np.uint8)
    for q in (30, 75, 95):
        ours = jpeg(rgb, q)
        ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        theirs = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
        assert ours.shape == rgb.shape and ours.dtype == np.uint8
        assert psnr(theirs, ours) > 40  # same standard codec, up to rounding in the IDCT
    assert psnr(rgb, jpeg(rgb, 95)) > psnr(rgb, jpeg(rgb, 30))
    gray = rgb[..., 0].copy()
    assert jpeg(gray, 50).shape == gray.shape
    with pytest.raises(TypeError, match="uint8"):
        jpeg(rgb.astype(np.float32), 50)
    with pytest.raises(ValueError, match="quality must be <= 100"):
        jpeg(rgb, 101)


# ---------------------------------------------------------------- dihedral / self-ensemble

def test_dihedral_named_elements():
    x = np.arange(12).reshape(3, 4)
    expected = [x, np.rot90(x), x[::-1, ::-1], np.rot90(x, 3), x[:, ::-1], x.T, x[::-1, :], x[::-1, ::-1].T]
    for k, e in enumerate(expected):
        np.testing.assert_array_equal(dihedral(x, k), e)


@given(arrays(np.int16, st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 3))),
       st.integers(0, 7), st.sampled_from([0, 1, 2, -1]))
def test_dihedral_inverse_exact(x, k, axis):
    moved = np.moveaxis(x, -1, axis)
    np.testing.assert_array_equal(dihedral_inverse(dihedral(moved, k, channel_axis=axis), k, channel_axis=axis),
                                  moved)
    np.testing.assert_array_equal(
        np.moveaxis(dihedral(moved, k, channel_axis=axis), axis, -1), dihedral(x, k))


def test_dihedral_group_has_eight_distinct_elements():
    x = np.arange(9).reshape(3, 3)
    assert len({dihedral(x, k).tobytes() for k in range(8)}) == 8


def test_self_ensemble_equivariant_upscaler_is_unchanged():
    def up(v):
        return np.repeat(np.repeat(v, 3, axis=0), 3, axis=1)

    x = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    out = self_ensemble(up, x)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, up(x))


def test_self_ensemble_bicubic_float_is_equivariant():
    from classicsr.resize import resize

    x = np.random.default_rng(0).uniform(0, 1, (9, 12))
    np.testing.assert_allclose(self_ensemble(lambda v: resize(v, 2), x), resize(x, 2), atol=1e-12)


def test_self_ensemble_averages_in_the_original_frame():
    calls = []

    def fn(v):
        calls.append(v.shape)
        return v + float(len(calls))  # output depends on the call, so the mean is checkable

    x = np.zeros((2, 3))
    out = self_ensemble(fn, x)
    np.testing.assert_allclose(out, np.full((2, 3), np.mean(range(1, 9))))
    assert calls == [(2, 3), (3, 2)] * 4


def test_self_ensemble_bad_input():
    with pytest.raises(TypeError, match="callable"):
        self_ensemble(None, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="scale both axes alike"):
        self_ensemble(lambda v: np.zeros((v.shape[0] * 2, v.shape[1])), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="k must be <= 7"):
        dihedral(np.zeros((2, 2)), 8)


def test_inputs_not_mutated():
    x = np.random.default_rng(0).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    c = x.copy()
    downsample(x, 2)
    gaussian_noise(x, 3, seed=0)
    poisson_noise(x, 10, seed=0)
    jpeg(x, 50)
    self_ensemble(lambda v: v * 1, x)
    np.testing.assert_array_equal(x, c)
    assert degrade.DOWNSAMPLE_KERNELS[0] == "bicubic"


@given(arrays(np.uint8, st.tuples(st.integers(1, 6), st.integers(1, 6))
              .map(lambda t: (t[0] * 4, t[1] * 4))), st.sampled_from([2, 4]))
def test_area_on_uint8_is_the_rounded_block_mean(img, s):
    h, w = img.shape
    mean = img.astype(np.float64).reshape(h // s, s, w // s, s).mean(axis=(1, 3))
    expected = np.floor(mean + 0.5).astype(np.uint8)  # means >= 0: half away from zero = half up
    np.testing.assert_array_equal(downsample(img, s, kernel="area"), expected)
    # the MATLAB box kernel keeps imresize's rounding after each 1-D pass
    np.testing.assert_array_equal(downsample(img, s, kernel="box"),
                                  downsample(img, s, kernel="box", round_each_pass=True))


def test_downsample_options_that_a_kernel_does_not_use_are_refused():
    x = np.zeros((8, 8))
    with pytest.raises(ValueError, match="round_each_pass"):
        downsample(x, 2, kernel="gaussian", sigma=1.0, round_each_pass=False)
    with pytest.raises(ValueError, match="antialias"):
        downsample(x, 2, kernel="gaussian", sigma=1.0, antialias=False)
    with pytest.raises(TypeError, match="antialias"):
        downsample(x, 2, antialias="yes")
    with pytest.raises(ValueError, match="boundary"):
        downsample(x, 2, boundary="zero")  # a blur alias, not a resampler boundary
    assert downsample(x, 2, kernel="gaussian", sigma=1.0, boundary="zero").shape == (4, 4)


def test_seeds_and_poisson_limits():
    x = np.full((4, 4), 100, np.uint8)
    with pytest.raises(ValueError, match="non-negative"):
        gaussian_noise(x, 5, seed=-1)
    a = gaussian_noise(x, 5, seed=np.random.SeedSequence(3))
    np.testing.assert_array_equal(a, gaussian_noise(x, 5, seed=np.random.SeedSequence(3)))
    with pytest.raises(TypeError, match="seed"):
        gaussian_noise(x, 5, seed="3")
    with pytest.raises(ValueError, match="peak"):
        poisson_noise(np.full((4, 4), 65535, np.uint16), 1e20)


def test_jpeg_dtype_error_suggests_uint8():
    with pytest.raises(TypeError, match="img_as_ubyte"):
        jpeg(np.zeros((8, 8), np.uint16), 75)


def test_self_ensemble_protects_the_caller_and_checks_outputs():
    lr = np.arange(12.0).reshape(3, 4)
    before = lr.copy()

    def vandal(z):
        out = np.repeat(np.repeat(z, 2, 0), 2, 1)
        z[...] = -1
        return out

    degrade.self_ensemble(vandal, lr)
    np.testing.assert_array_equal(lr, before)
    with pytest.raises(TypeError, match="transforms"):
        degrade.self_ensemble(vandal, lr, transforms=3)
    with pytest.raises(TypeError, match="dtype bool"):
        degrade.self_ensemble(lambda z: z > 3, lr)
    calls = iter([np.float32, np.float64] * 4)
    with pytest.raises(ValueError, match="one dtype"):
        degrade.self_ensemble(lambda z: z.astype(next(calls)), lr, transforms=[0, 2])
