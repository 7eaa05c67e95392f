"""Issue #9, numerical health: deconvolution of constant and black images stays finite and
exact, uint16 data near 65535 never overflows a float32 or integer path, and iterative MISR
solvers stop on divergence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import classicsr
from classicsr import color, deconvolution, degrade, metrics, misr, psf

DECONV = [
    ("inverse_filter", {"threshold": 0.1}),
    ("wiener", {}),
    ("wiener", {"noise_sigma": 0.0}),
    ("tikhonov", {}),
    ("tikhonov", {"lam_method": "gcv"}),
    ("tikhonov", {"lam_method": "discrepancy"}),
    ("richardson_lucy", {"iterations": 25}),
]


def _flat(kind, dtype, channels):
    shape = (33, 28) if channels is None else (33, 28, channels)
    if kind == "black":
        return np.zeros(shape, dtype)
    top = {np.uint8: 255, np.uint16: 65535}.get(dtype, 1.0)
    return np.full(shape, 0.7 * top if kind == "grey" else top, dtype=dtype)


@pytest.mark.parametrize("kind", ["black", "grey", "white"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("func,kwargs", DECONV)
@pytest.mark.parametrize("boundary", ["symmetric", "wrap"])
def test_deconvolution_of_flat_images_is_finite_and_exact(kind, dtype, func, kwargs, boundary):
    image = _flat(kind, dtype, 3 if dtype == np.uint16 else None)
    k = psf.gaussian(1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0, overflow or invalid value on the way
        out = getattr(deconvolution, func)(image, k, boundary=boundary, **kwargs)
    assert out.dtype == (np.float32 if dtype == np.float32 else np.float64)
    assert np.all(np.isfinite(out))
    # A flat image is its own blur (the PSF sums to 1), so every method must return it:
    # inverse, auto-tuned Wiener/Tikhonov (the DC gain is 1 / (1 + lambda * R(0)) with R(0) = 0
    # for the Laplacian / 1 at DC for Wiener's fitted noise floor), and RL (fixed point).
    ref = image.astype(np.float64)
    tol = 1e-3 * max(1.0, float(ref.max())) if dtype != np.float32 else 2e-3 * max(1.0, float(ref.max()))
    if func == "wiener" and kind != "black":
        # Wiener's filter at DC is 1 / (1 + nsr): within nsr of the level, never above it
        assert np.all(out <= ref + tol) and np.all(out >= 0.5 * ref - tol)
    else:
        np.testing.assert_allclose(out, ref, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_edgetaper_and_noise_estimate_of_black_image(dtype):
    black = np.zeros((40, 40), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        tapered = deconvolution.edgetaper(black, psf.gaussian(2.0))
        sigma = deconvolution.estimate_noise_sigma(black)
    assert np.all(tapered == 0) and tapered.dtype == dtype
    assert sigma == 0.0


def _u16_pair():
    rng = np.random.default_rng(0)
    a = rng.integers(65500, 65536, size=(48, 40, 3), dtype=np.uint16)
    b = a.copy()
    b[::3, ::2] -= np.uint16(17)
    return a, b


def test_metrics_on_uint16_near_max_match_float64_reference():
    a, b = _u16_pair()
    d = a.astype(np.float64) - b.astype(np.float64)
    mse_ref = float(np.mean(d * d))
    assert metrics.mse(a, b) == pytest.approx(mse_ref, rel=1e-12)
    assert metrics.psnr(a, b) == pytest.approx(10 * np.log10(65535.0 ** 2 / mse_ref), rel=1e-12)
    # differences computed in a wrapping unsigned type would give ~65519 instead of 17
    assert metrics.mse(b, a) == metrics.mse(a, b)
    s = metrics.ssim(a, b)
    g = metrics.gmsd(a, b)
    assert 0.9 < s < 1 and np.isfinite(g) and g >= 0
    # the same images scaled to float32 [0, 1] give the same scores (no float32 overflow path)
    af, bf = a.astype(np.float32) / 65535, b.astype(np.float32) / 65535
    assert metrics.ssim(af, bf, data_range=1.0) == pytest.approx(s, abs=1e-4)
    assert metrics.psnr(af, bf, data_range=1.0) == pytest.approx(metrics.psnr(a, b), abs=1e-3)
    big = np.zeros((200, 200), np.uint16) + 65535
    big2 = big.copy()
    big2[50:60] = 0
    assert np.isfinite(metrics.ms_ssim(big, big2))


def test_resize_uint16_saturates_never_wraps():
    x = np.zeros((16, 16), np.uint16)
    x[:, 8:] = 65535  # a step: bicubic/lanczos overshoot above 65535 and below 0
    for method in ("bicubic", "lanczos3"):
        for scale in (2, 0.5, 1.7):
            out = classicsr.resize(x, scale, method=method)
            ref = classicsr.resize(x.astype(np.float64), scale, method=method)
            assert out.dtype == np.uint16
            # saturated where the float result overshoots, rounded elsewhere
            np.testing.assert_array_equal(out, np.clip(np.floor(np.clip(ref, 0, 65535) + 0.5), 0, 65535)
                                          .astype(np.uint16))
    full = np.full((7, 9, 3), 65535, np.uint16)
    assert np.all(classicsr.resize(full, 3.3) == 65535)
    # float32 arithmetic on uint16-range values stays finite and close to float64
    f32 = classicsr.resize(x.astype(np.float32), 2)
    f64 = classicsr.resize(x.astype(np.float64), 2)
    assert np.all(np.isfinite(f32))
    np.testing.assert_allclose(f32, f64, rtol=0, atol=65535 * 1e-6)


def test_uint16_color_and_degrade_near_max():
    full = np.full((12, 12, 3), 65535, np.uint16)
    assert np.all(color.rgb_to_y(full) == 235 * 257)
    ycc = color.rgb_to_ycbcr(full)
    assert np.all(ycc[..., 0] == 235 * 257) and ycc.dtype == np.uint16
    back = color.ycbcr_to_rgb(np.full((4, 4, 3), 65535, np.uint16))  # out-of-gamut input
    assert back.dtype == np.uint16 and back.max() == 65535
    assert np.all(degrade.downsample(full, 2) == 65535)
    noisy = degrade.gaussian_noise(full, 300.0, seed=0)  # grey levels
    assert noisy.dtype == np.uint16 and noisy.max() == 65535 and noisy.min() < 65535


def _sim():
    rng = np.random.default_rng(0)
    hr = rng.random((24, 24))
    return misr.simulate_frames(hr, 4, 2, seed=0, noise_sigma=0.01)


def test_descent_with_a_sane_step_does_not_warn():
    sim = _sim()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = misr.regularized_sr(sim.frames, 2, motions=sim.motions, n_iter=20, solver="descent",
                                  lam=0.01, step=0.5)
    assert np.all(np.isfinite(out)) and np.abs(out).max() < 2


def test_descent_stops_on_divergence_with_warning_and_best_iterate():
    sim = _sim()
    with pytest.warns(RuntimeWarning, match="diverg"):
        out = misr.regularized_sr(sim.frames, 2, motions=sim.motions, n_iter=30, solver="descent",
                                  lam=0.01, step=50.0)
    assert np.all(np.isfinite(out))
    assert np.abs(out).max() < 2  # the best iterate, not the blown-up last one


def test_upscalers_on_white_uint16_saturate_not_wrap():
    from classicsr import example_based

    white = np.full((20, 20, 3), 65535, np.uint16)
    white[5:9, 5:9] = 0  # an edge, so the predictors overshoot above 65535 next to it
    out = example_based.upscale(white, 2)
    assert out.dtype == np.uint16
    assert out[24:, 24:].min() > 60000  # a wrapped overshoot would show up as a small value
    torch = pytest.importorskip("torch")
    from classicsr import nn as cnn

    torch.manual_seed(0)
    up = cnn.TorchUpscaler(cnn.ESPCN(2, 1, n1=4, n2=4, residual=True).eval())
    out = up(white)
    ref = up(white.astype(np.float64) / 65535)  # the same network on the float image
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, np.clip(np.floor(np.clip(ref, 0, 1) * 65535 + 0.5), 0, 65535))


@pytest.mark.parametrize("solver", ["ibp", "descent"])
@pytest.mark.parametrize("shape", [(6, 6), (6, 6, 3)])
def test_misr_solvers_on_non_finite_frames(solver, shape):
    frame = np.random.default_rng(0).random(shape)
    frame[0, 0] = np.nan
    frames = np.stack([frame] * 3)
    motions = np.tile(np.eye(2, 3), (3, 1, 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if solver == "ibp":
                out = misr.iterative_back_projection(frames, 2, motions=motions, n_iter=3)
            else:
                out = misr.regularized_sr(frames, 2, motions=motions, n_iter=3, solver="descent", lam=0.01)
    except ValueError as exc:  # refusing non-finite frames by name is fine too
        assert "frames" in str(exc)
        return
    assert isinstance(out, np.ndarray) and out.shape == (12, 12) + shape[2:]
