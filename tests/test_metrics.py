"""Metrics against independent code: scikit-image, direct formulas and slow references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage
from skimage import color as skcolor
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from classicsr.metrics import MS_SSIM_WEIGHTS, gmsd, ms_ssim, mse, psnr, ssim


def sk_ssim(a, b, data_range, channel_axis=None):
    """skimage configured as the paper: Gaussian 11x11 sigma 1.5, population covariance."""
    return structural_similarity(
        a.astype(np.float64), b.astype(np.float64), gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, data_range=data_range, channel_axis=channel_axis,
    )


def noisy_pair(shape, dtype=np.uint8, seed=0, amp=25):
    rng = np.random.default_rng(seed)
    # smooth-ish content + noise, so SSIM is neither ~0 nor ~1
    base = ndimage.gaussian_filter(rng.uniform(0, 255, shape), 2.0 if len(shape) == 2 else (2, 2, 0))
    base = (base - base.min()) / (np.ptp(base) + 1e-9) * 255
    test = base + rng.normal(0, amp, shape)
    if dtype == np.uint8:
        return (np.clip(np.round(base), 0, 255).astype(np.uint8),
                np.clip(np.round(test), 0, 255).astype(np.uint8))
    return (base / 255).astype(dtype), np.clip(test / 255, 0, 1).astype(dtype)


# ---------------------------------------------------------------- PSNR / MSE

def test_psnr_direct_formula():
    a, b = noisy_pair((37, 41))
    expected = 10 * np.log10(255.0**2 / np.mean((a.astype(float) - b.astype(float)) ** 2))
    assert psnr(a, b) == pytest.approx(expected, abs=1e-12)
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255), abs=1e-10)
    assert mse(a, b) == pytest.approx(mean_squared_error(a, b), rel=1e-14)


def test_psnr_colour_pools_channels_and_crop():
    a, b = noisy_pair((30, 32, 3))
    expected = peak_signal_noise_ratio(a[4:-4, 4:-4], b[4:-4, 4:-4], data_range=255)
    assert psnr(a, b, crop_border=4) == pytest.approx(expected, abs=1e-10)


def test_psnr_y_channel_matlab_uint8_path():
    a, b = noisy_pair((30, 32, 3))
    ya = np.floor(skcolor.rgb2ycbcr(a)[..., 0] + 0.5)
    yb = np.floor(skcolor.rgb2ycbcr(b)[..., 0] + 0.5)
    s = 3
    expected = 10 * np.log10(255.0**2 / np.mean((ya[s:-s, s:-s] - yb[s:-s, s:-s]) ** 2))
    assert psnr(a, b, crop_border=s, y_channel=True) == pytest.approx(expected, abs=1e-10)


def test_psnr_float_and_uint16():
    a, b = noisy_pair((20, 20), dtype=np.float32)
    d = a.astype(np.float64) - b.astype(np.float64)
    assert psnr(a, b, data_range=1.0) == pytest.approx(10 * np.log10(1.0 / np.mean(d * d)), abs=1e-10)
    a16 = np.array([[0, 65535]], dtype=np.uint16)
    b16 = np.array([[0, 65535 - 655]], dtype=np.uint16)
    assert psnr(a16, b16) == pytest.approx(10 * np.log10(65535.0**2 / (655.0**2 / 2)), abs=1e-10)


def test_identical_images_give_inf_and_one():
    a, _ = noisy_pair((40, 40, 3))
    assert psnr(a, a) == math.inf
    assert mse(a, a) == 0.0
    assert ssim(a, a) == 1.0
    assert gmsd(a, a) == 0.0


# ---------------------------------------------------------------- SSIM

@pytest.mark.parametrize("shape", [(11, 11), (12, 40), (64, 33), (97, 101)])
def test_ssim_matches_skimage_gray(shape):
    a, b = noisy_pair(shape, seed=sum(shape))
    assert ssim(a, b) == pytest.approx(sk_ssim(a, b, 255), abs=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ssim_matches_skimage_float(dtype):
    a, b = noisy_pair((50, 60), dtype=dtype)
    assert ssim(a, b, data_range=1.0) == pytest.approx(sk_ssim(a, b, 1.0), abs=1e-6)


def test_ssim_colour_is_channel_mean_like_skimage():
    a, b = noisy_pair((40, 45, 3), seed=3)
    expected = sk_ssim(a, b, 255, channel_axis=-1)
    assert ssim(a, b) == pytest.approx(expected, abs=1e-6)
    per_channel = np.mean([sk_ssim(a[..., c], b[..., c], 255) for c in range(3)])
    assert ssim(a, b) == pytest.approx(per_channel, abs=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_ssim_channel_axis(axis):
    a, b = noisy_pair((30, 31, 3), seed=5)
    expected = ssim(a, b, y_channel=True, crop_border=2)
    moved = [np.moveaxis(x, -1, axis) for x in (a, b)]
    assert ssim(*moved, channel_axis=axis, y_channel=True, crop_border=2) == expected
    assert psnr(*moved, channel_axis=axis) == psnr(a, b)


def test_ssim_y_channel_and_crop():
    a, b = noisy_pair((50, 52, 3), seed=7)
    ya = np.floor(skcolor.rgb2ycbcr(a)[..., 0] + 0.5)
    yb = np.floor(skcolor.rgb2ycbcr(b)[..., 0] + 0.5)
    s = 4
    expected = sk_ssim(ya[s:-s, s:-s], yb[s:-s, s:-s], 255)
    assert ssim(a, b, y_channel=True, crop_border=s) == pytest.approx(expected, abs=1e-6)


def test_ssim_y_channel_float_uses_01_scale():
    a, b = noisy_pair((30, 30, 3), dtype=np.float64, seed=2)
    ya = skcolor.rgb2ycbcr(a)[..., 0] / 255.0
    yb = skcolor.rgb2ycbcr(b)[..., 0] / 255.0
    assert ssim(a, b, data_range=1.0, y_channel=True) == pytest.approx(sk_ssim(ya, yb, 1.0), abs=1e-6)


@given(st.integers(11, 40), st.integers(11, 40), st.integers(0, 2**31 - 1))
def test_ssim_property_vs_skimage(h, w, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w), dtype=np.uint8)
    b = rng.integers(0, 256, (h, w), dtype=np.uint8)
    ours = ssim(a, b)
    assert ours == pytest.approx(sk_ssim(a, b, 255), abs=1e-6)
    assert ours == pytest.approx(ssim(b, a), abs=1e-12)  # symmetric
    assert -1.0 <= ours <= 1.0


@pytest.mark.nojit_subset
def test_kernels_small_inputs():
    # Also run with NUMBA_DISABLE_JIT=1 (tests/test_nojit.py): the kernels' Python path.
    a, b = noisy_pair((13, 17), seed=21)
    assert ssim(a, b) == pytest.approx(sk_ssim(a, b, 255), abs=1e-6)
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255), abs=1e-10)
    assert ms_ssim(a, b, weights=(1.0,)) == pytest.approx(ssim(a, b), abs=1e-12)


def test_ssim_threads_do_not_change_result():
    import numba

    a, b = noisy_pair((70, 64), seed=11)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = ssim(a, b)
    finally:
        numba.set_num_threads(before)
    assert ssim(a, b) == one


# ---------------------------------------------------------------- MS-SSIM (slow reference)

def _ref_stats(a, b, rng):
    g = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 1.5**2))
    win = np.outer(g, g) / np.outer(g, g).sum()
    h, w = a.shape
    c1, c2 = (0.01 * rng) ** 2, (0.03 * rng) ** 2
    ss, cs = [], []
    for i in range(h - 10):
        for j in range(w - 10):
            pa, pb = a[i:i + 11, j:j + 11], b[i:i + 11, j:j + 11]
            mx, my = (win * pa).sum(), (win * pb).sum()
            vx = (win * (pa - mx) ** 2).sum()
            vy = (win * (pb - my) ** 2).sum()
            cxy = (win * (pa - mx) * (pb - my)).sum()
            c = (2 * cxy + c2) / (vx + vy + c2)
            cs.append(c)
            ss.append((2 * mx * my + c1) / (mx * mx + my * my + c1) * c)
    return np.mean(ss), np.mean(cs)


def _ref_halve(x):
    h, w = x.shape
    out = np.empty(((h + 1) // 2, (w + 1) // 2))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            rows = [min(2 * i, h - 1), min(2 * i + 1, h - 1)]
            cols = [min(2 * j, w - 1), min(2 * j + 1, w - 1)]
            out[i, j] = np.mean([x[r, c] for r in rows for c in cols])
    return out


def test_ms_ssim_matches_slow_reference():
    a, b = noisy_pair((45, 47), seed=4)  # 3 scales need 44 pixels; odd sizes exercise the edge
    weights = (0.2, 0.3, 0.5)
    x, y = a.astype(float), b.astype(float)
    expected = 1.0
    for j, beta in enumerate(weights):
        s, c = _ref_stats(x, y, 255.0)
        expected *= (s if j == len(weights) - 1 else c) ** beta
        x, y = _ref_halve(x), _ref_halve(y)
    assert ms_ssim(a, b, weights=weights) == pytest.approx(expected, abs=1e-9)


def test_ms_ssim_single_scale_is_ssim_and_defaults():
    a, b = noisy_pair((180, 190), seed=9)
    assert ms_ssim(a, b, weights=(1.0,)) == pytest.approx(ssim(a, b), abs=1e-12)
    assert ms_ssim(a, a) == pytest.approx(1.0, abs=1e-12)
    assert 0 < ms_ssim(a, b) < 1
    assert len(MS_SSIM_WEIGHTS) == 5
    with pytest.raises(ValueError, match="176x176"):
        ms_ssim(a[:100], b[:100])


# ---------------------------------------------------------------- GMSD (slow reference)

def _ref_gmsd(a, b, t=170.0):
    def down(x):
        h, w = x.shape
        p = np.zeros((h + 1, w + 1))
        p[:h, :w] = x
        full = np.array([[p[i:i + 2, j:j + 2].mean() for j in range(w)] for i in range(h)])
        return full[0::2, 0::2]

    def grad(x):
        h, w = x.shape
        p = np.zeros((h + 2, w + 2))
        p[1:-1, 1:-1] = x
        gx = np.zeros((h, w))
        gy = np.zeros((h, w))
        for i in range(h):
            for j in range(w):
                win = p[i:i + 3, j:j + 3]
                gx[i, j] = (win[:, 0].sum() - win[:, 2].sum()) / 3
                gy[i, j] = (win[0, :].sum() - win[2, :].sum()) / 3
        return np.hypot(gx, gy)

    g1, g2 = grad(down(a.astype(float))), grad(down(b.astype(float)))
    q = (2 * g1 * g2 + t) / (g1**2 + g2**2 + t)
    return q.std(ddof=1)


def test_gmsd_matches_slow_reference():
    a, b = noisy_pair((21, 26), seed=6)
    assert gmsd(a, b) == pytest.approx(_ref_gmsd(a, b), abs=1e-12)
    assert gmsd(a, b) == pytest.approx(gmsd(b, a), abs=1e-15)
    af, bf = a / 255.0, b / 255.0
    assert gmsd(af, bf, data_range=1.0) == pytest.approx(gmsd(a, b), abs=1e-12)


# ---------------------------------------------------------------- bad input / purity

def test_bad_input_messages():
    a = np.zeros((20, 20), np.uint8)
    with pytest.raises(ValueError, match=r"same shape.*\(20, 20\).*\(20, 21\)"):
        psnr(a, np.zeros((20, 21), np.uint8))
    with pytest.raises(TypeError, match="same dtype.*uint8.*float64"):
        ssim(a, a.astype(np.float64))
    f = np.zeros((20, 20))
    with pytest.raises(ValueError, match="data_range is required"):
        psnr(f, f)
    nan = f.copy()
    nan[3, 3] = np.nan
    with pytest.raises(ValueError, match="test contains 1 NaN"):
        ssim(f, nan, data_range=1.0)
    inf = f.copy()
    inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="reference contains 1 infinite"):
        psnr(inf, f, data_range=1.0)
    with pytest.raises(ValueError, match="crop_border=10"):
        psnr(a, a, crop_border=10)
    with pytest.raises(ValueError, match="crop_border must be >= 0"):
        psnr(a, a, crop_border=-1)
    with pytest.raises(ValueError, match="ssim needs at least 11x11"):
        ssim(a[:10], a[:10])
    with pytest.raises(ValueError, match="data_range must be a finite number > 0"):
        psnr(a, a, data_range=0)
    rgba = np.zeros((20, 20, 4), np.uint8)
    with pytest.raises(ValueError, match="alpha"):
        psnr(rgba, rgba, y_channel=True)
    rgbf = np.zeros((20, 20, 3))
    with pytest.raises(ValueError, match="data_range must be 1.0"):
        psnr(rgbf, rgbf, data_range=255, y_channel=True)
    with pytest.raises(TypeError, match="y_channel"):
        psnr(a, a, y_channel="yes")
    with pytest.raises(TypeError, match="reference must be a numpy array"):
        psnr(None, a)


def test_inputs_not_mutated():
    a, b = noisy_pair((30, 30, 3))
    ac, bc = a.copy(), b.copy()
    for f in (psnr, ssim, gmsd, mse):
        f(a, b, y_channel=True, crop_border=2)
    np.testing.assert_array_equal(a, ac)
    np.testing.assert_array_equal(b, bc)


def test_non_contiguous_and_big_endian():
    a, b = noisy_pair((40, 40, 3))
    af = np.asfortranarray(a)
    assert ssim(af, b) == ssim(a, b)
    a64, b64 = (a / 255).astype(">f8"), (b / 255).astype(">f8")
    assert a64.dtype.byteorder == ">"
    assert ssim(a64, b64, data_range=1.0) == pytest.approx(ssim(a / 255, b / 255, data_range=1.0), abs=1e-15)
    assert psnr(a64, b64, data_range=1.0) == pytest.approx(psnr(a / 255, b / 255, data_range=1.0), abs=1e-12)
    assert psnr(af[2:-3, 1:], b[2:-3, 1:]) == pytest.approx(psnr(a[2:-3, 1:], b[2:-3, 1:]), abs=1e-12)
    f16a, f16b = (a / 255).astype(np.float16), (b / 255).astype(np.float16)
    d = f16a.astype(np.float64) - f16b.astype(np.float64)
    assert mse(f16a, f16b) == pytest.approx(np.mean(d * d), rel=1e-12)


def test_gmsd_refuses_images_without_a_deviation():
    a = np.zeros((2, 2), np.uint8)
    b = np.array([[0, 255], [255, 0]], np.uint8)
    with pytest.raises(ValueError, match="gmsd needs"):
        gmsd(a, b)
    assert gmsd(np.zeros((3, 3), np.uint8), np.full((3, 3), 255, np.uint8)) >= 0.0  # 2x2 map


def test_ms_ssim_weights_must_be_one_dimensional():
    a = np.zeros((200, 200), np.uint8)
    with pytest.raises(TypeError, match="weights"):
        ms_ssim(a, a, weights=np.array(1.0))
