"""classicsr.deconvolution against closed forms (numpy.fft), scikit-image, slow references and
the blur/noise experiment of issue 4."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage import data, restoration

from classicsr import deconvolution as D
from classicsr import psf as P


# ---------------------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------------------
def ref_otf(h, shape):
    """MATLAB psf2otf built by hand: pad, roll the centre to the origin, fft2."""
    pad = np.zeros(shape)
    pad[: h.shape[0], : h.shape[1]] = h
    return np.fft.fft2(np.roll(pad, (-(h.shape[0] // 2), -(h.shape[1] // 2)), axis=(0, 1)))


def ref_filter(y, h, reg2, lam):
    H = ref_otf(h / h.sum(), y.shape)
    return np.fft.ifft2(np.conj(H) * np.fft.fft2(y) / (np.abs(H) ** 2 + lam * reg2)).real


def ref_richardson_lucy(y, h, iterations, damping=0.0):
    """Periodic RL with spatial convolutions (scipy.ndimage, mode='wrap'), odd PSFs."""
    h = h / h.sum()
    y = np.clip(y, 0, None)
    x = y.copy()
    for _ in range(iterations):
        b = ndimage.convolve(x, h, mode="wrap")
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(b > 1e-300, y / b, 0.0)
            if damping > 0:
                u = np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / b) + b - y, b) / (damping**2 / 2)
                u = np.clip(u, 0, 1)
                ratio = np.where(b > 1e-300, 1 + u**9 * (10 - 9 * u) * (ratio - 1), 0.0)
        x = np.maximum(x * ndimage.correlate(ratio, h, mode="wrap"), 0)
    return x


def psnr(estimate, truth):
    err = np.clip(estimate, 0, 1) - truth
    return 10 * np.log10(1.0 / np.mean(err**2))


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    x = ndimage.gaussian_filter(rng.random((48, 40)), 1.0)
    return x


# ---------------------------------------------------------------------------------------
# closed forms and peers
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("nsr", [1e-3, 0.05])
def test_wiener_scalar_matches_closed_form(small, nsr):
    h = P.gaussian(1.2, sigma_y=0.7, angle=20)
    y = ndimage.convolve(small, h, mode="wrap")
    out = D.wiener(y, h, nsr=nsr, boundary="wrap")
    np.testing.assert_allclose(out, ref_filter(y, h, 1.0, nsr), atol=1e-10)


def test_wiener_per_frequency_nsr(small):
    h = P.disk(2.0)
    y = ndimage.convolve(small, h, mode="wrap")
    m, n = y.shape
    fy = np.fft.fftfreq(m)[:, None]
    fx = np.fft.fftfreq(n)[None, :]
    full = 1e-3 * (1 + 50 * (fy**2 + fx**2))
    expected = ref_filter(y, h, full, 1.0)
    out_callable = D.wiener(y, h, nsr=lambda a, b: 1e-3 * (1 + 50 * (a**2 + b**2)), boundary="wrap")
    np.testing.assert_allclose(out_callable, expected, atol=1e-10)
    out_array = D.wiener(y, h, nsr=full[:, : n // 2 + 1], boundary="wrap")
    np.testing.assert_allclose(out_array, expected, atol=1e-10)
    with pytest.raises(ValueError, match="working half spectrum"):
        D.wiener(y, h, nsr=np.ones((3, 3)), boundary="wrap")


def test_tikhonov_equals_skimage_wiener_with_laplacian(small):
    # skimage's `wiener` is Tikhonov with a Laplacian regulariser and the same PSF centring.
    h = P.gaussian(1.5)
    y = ndimage.convolve(small, h, mode="wrap")
    for balance in (1e-3, 0.1):
        ours = D.tikhonov(y, h, lam=balance, boundary="wrap")
        theirs = restoration.wiener(y, h, balance, clip=False)
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_tikhonov_regularizers(small):
    h = P.motion(7, 30)
    y = ndimage.convolve(small, h, mode="wrap")
    np.testing.assert_allclose(D.tikhonov(y, h, lam=0.02, regularizer="identity", boundary="wrap"),
                               D.wiener(y, h, nsr=0.02, boundary="wrap"), atol=1e-12)
    m, n = y.shape
    fy = np.fft.fftfreq(m)[:, None]
    fx = np.fft.fftfreq(n)[None, :]
    grad2 = 4 * np.sin(np.pi * fy) ** 2 + 4 * np.sin(np.pi * fx) ** 2
    np.testing.assert_allclose(D.tikhonov(y, h, lam=0.02, regularizer="gradient", boundary="wrap"),
                               ref_filter(y, h, grad2, 0.02), atol=1e-10)
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float)
    np.testing.assert_allclose(D.tikhonov(y, h, lam=0.02, regularizer=lap, boundary="wrap"),
                               ref_filter(y, h, np.abs(ref_otf(lap, y.shape)) ** 2, 0.02), atol=1e-10)


def test_inverse_filter_exact_without_noise(small):
    h = np.array([[0.1, 0.8, 0.1]])  # |H| >= 0.6: invertible
    y = ndimage.convolve(small, h, mode="wrap")
    np.testing.assert_allclose(D.inverse_filter(y, h, boundary="wrap"), small, atol=1e-12)


def test_inverse_filter_threshold_and_no_nan():
    h = P.box((1, 4))  # the OTF has exact zeros
    x = np.random.default_rng(1).random((16, 16))
    y = ndimage.convolve(x, h, mode="wrap")
    out = D.inverse_filter(y, h, boundary="wrap")
    assert np.all(np.isfinite(out))
    H = ref_otf(h, y.shape)
    keep = np.abs(H) > 0.3
    Y = np.fft.fft2(y)
    expected = np.fft.ifft2(np.where(keep, Y / np.where(keep, H, 1), 0)).real
    np.testing.assert_allclose(D.inverse_filter(y, h, threshold=0.3, boundary="wrap"), expected, atol=1e-10)


@pytest.mark.parametrize("damping", [0.0, 0.05])
def test_richardson_lucy_matches_reference(small, damping):
    h = P.gaussian(1.0)
    y = ndimage.convolve(small, h, mode="wrap")
    y = y + np.random.default_rng(2).normal(0, 0.01, y.shape)
    out = D.richardson_lucy(y, h, iterations=8, damping=damping, boundary="wrap")
    np.testing.assert_allclose(out, ref_richardson_lucy(y, h, 8, damping), atol=1e-9)


def test_richardson_lucy_zeros_flux_and_callback():
    x = np.zeros((32, 32))
    x[8:12, 8:20] = 1.0
    h = P.gaussian(1.0)
    y = ndimage.convolve(x, h, mode="wrap")
    seen = []
    out = D.richardson_lucy(y, h, iterations=5, boundary="wrap", callback=lambda i, e: seen.append((i, e.shape)))
    assert seen == [(i, (32, 32)) for i in range(1, 6)]
    assert np.all(np.isfinite(out)) and out.min() >= 0
    assert abs(out.sum() - y.sum()) < 1e-9 * y.sum()  # RL preserves flux for a normalised PSF
    assert np.all(D.richardson_lucy(np.zeros((16, 16)), h) == 0)
    stops = []
    D.richardson_lucy(y, h, iterations=10, callback=lambda i, e: stops.append(i) or i == 3)
    assert stops == [1, 2, 3]


def test_edgetaper_matlab_semantics():
    rng = np.random.default_rng(3)
    x = rng.random((40, 30))
    h = P.gaussian(1.5)
    out = D.edgetaper(x, h)
    alphas = []
    for proj, n in ((h.sum(axis=1), 40), (h.sum(axis=0), 30)):
        z = np.real(np.fft.ifft(np.abs(np.fft.fft(proj, n - 1)) ** 2))
        z = np.concatenate([z, z[:1]]) / z.max()
        alphas.append(1 - z)
    alpha = np.outer(*alphas)
    blurred = ndimage.convolve(x, h, mode="wrap")
    np.testing.assert_allclose(out, alpha * x + (1 - alpha) * blurred, atol=1e-12)
    np.testing.assert_allclose(out[0], blurred[0], atol=1e-12)           # alpha = 0 at the border
    np.testing.assert_array_equal(out[15:25, 15:16], x[15:25, 15:16])     # untouched inside


def test_symmetric_padding_taper_is_exact_and_leaves_image(small):
    from classicsr.deconvolution import _edgetaper_2d, _Geometry

    h = P.motion(9, 30)
    g = _Geometry(small.shape, h, "symmetric", None)
    padded = g.pad(small, np.float64)
    b0, b1 = g.before
    raw = np.pad(small, ((b0, g.work[0] - small.shape[0] - b0), (b1, g.work[1] - small.shape[1] - b1)),
                 mode="symmetric")
    np.testing.assert_allclose(padded, _edgetaper_2d(raw, h, np.float64), atol=1e-12)
    np.testing.assert_array_equal(g.crop(padded), small)


def test_estimate_noise_sigma():
    rng = np.random.default_rng(4)
    for sigma in (0.01, 0.1):
        img = ndimage.gaussian_filter(rng.random((256, 256)), 3) + rng.normal(0, sigma, (256, 256))
        assert abs(D.estimate_noise_sigma(img) - sigma) < 0.05 * sigma
    colour = rng.normal(0, 1, (64, 64, 3)) * np.array([0.01, 0.02, 0.04])
    np.testing.assert_allclose(D.estimate_noise_sigma(colour), [0.01, 0.02, 0.04], rtol=0.15)


# ---------------------------------------------------------------------------------------
# boundaries, colour, dtypes, caching
# ---------------------------------------------------------------------------------------
def test_padding_removes_edge_ringing():
    x = data.camera()[::2, ::2] / 255.0
    h = P.gaussian(2.0)
    y = ndimage.convolve(x, h, mode="reflect")
    border = np.ones(x.shape, bool)
    border[12:-12, 12:-12] = False
    for method in (lambda b: D.wiener(y, h, nsr=1e-3, boundary=b),
                   lambda b: D.richardson_lucy(y, h, iterations=20, boundary=b)):
        err_wrap = np.abs(method("wrap") - x)[border].mean()
        err_sym = np.abs(method("symmetric") - x)[border].mean()
        assert err_sym < 0.5 * err_wrap
    for b in ("reflect", "replicate"):
        assert np.abs(D.wiener(y, h, nsr=1e-3, boundary=b) - x)[border].mean() < 0.05


@pytest.mark.parametrize("channel_axis", [0, 1, -1])
@pytest.mark.parametrize("func", [lambda im, h, ax: D.wiener(im, h, nsr=0.01, channel_axis=ax),
                                  lambda im, h, ax: D.tikhonov(im, h, channel_axis=ax),
                                  lambda im, h, ax: D.richardson_lucy(im, h, iterations=3, channel_axis=ax),
                                  lambda im, h, ax: D.edgetaper(im, h, channel_axis=ax)])
def test_colour_is_channelwise(channel_axis, func):
    rng = np.random.default_rng(5)
    img = rng.random((24, 20, 3))
    h = P.gaussian(1.0)
    moved = np.moveaxis(img, -1, channel_axis).copy()
    before = moved.copy()
    out = func(moved, h, channel_axis)
    np.testing.assert_array_equal(moved, before)
    assert out.shape == moved.shape
    out_last = np.moveaxis(out, channel_axis, -1)
    for c in range(3):
        np.testing.assert_allclose(out_last[..., c], func(img[..., c], h, -1), atol=1e-12)


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float16, np.float32),
                                             (np.float64, np.float64), (np.uint8, np.float64),
                                             (np.uint16, np.float64)])
def test_dtype_rule(dtype, expected, small):
    img = (small * 200).astype(dtype)
    h = P.gaussian(1.0)
    ref = D.wiener(img.astype(np.float64), h, nsr=0.01)
    for out in (D.wiener(img, h, nsr=0.01), D.tikhonov(img, h, lam=0.01),
                D.richardson_lucy(img, h, iterations=2), D.inverse_filter(img, h, threshold=0.1),
                D.edgetaper(img, h)):
        assert out.dtype == expected
    tol = 2e-3 * 200 if expected == np.float32 else 1e-9
    np.testing.assert_allclose(D.wiener(img, h, nsr=0.01), ref, atol=tol)


def test_deconvolver_caches_and_matches_functions(small):
    h = P.gaussian(1.3)
    y = ndimage.convolve(small, h, mode="reflect")
    dec = D.Deconvolver(h, method="wiener", nsr=0.01)
    a = dec(y)
    b = dec(y * 2)
    assert len(dec._cache) == 1
    np.testing.assert_allclose(a, D.wiener(y, h, nsr=0.01), atol=1e-12)
    np.testing.assert_allclose(b, 2 * a, atol=1e-12)
    tik = D.Deconvolver(h, method="tikhonov", lam=0.01)
    np.testing.assert_allclose(tik(y), D.tikhonov(y, h, lam=0.01), atol=1e-12)
    dec32 = D.Deconvolver(h, nsr=0.01, boundary="wrap")
    assert dec32(y.astype(np.float32)).dtype == np.float32


def test_return_info_reports_estimates(small):
    h = P.gaussian(1.3)
    y = ndimage.convolve(small, h, mode="reflect") + np.random.default_rng(6).normal(0, 0.02, small.shape)
    _, info = D.wiener(y, h, return_info=True)
    assert info["nsr_method"] == "power-law" and info["nsr"] == "per-frequency"
    assert abs(info["noise_sigma"] - 0.02) < 0.003
    assert -4 <= info["spectrum"][1] <= 0
    _, info = D.wiener(y, h, noise_sigma=0.02, return_info=True)
    assert "noise_sigma" not in info
    # with too little usable spectrum (a huge noise level) it falls back to a scalar NSR
    _, info = D.wiener(y, h, noise_sigma=10.0, return_info=True)
    assert info["nsr_method"] == "discrepancy" and info["nsr"] > 0
    _, info = D.tikhonov(y, h, return_info=True)
    assert info["lam_method"] == "power-law" and info["lam"] > 0 and "noise_sigma" in info
    _, info = D.tikhonov(y, h, lam_method="gcv", return_info=True)
    assert info["lam_method"] == "gcv" and info["lam"] > 0 and "noise_sigma" not in info
    _, info = D.tikhonov(np.dstack([y, y]), h, lam_method="discrepancy", return_info=True)
    assert len(info["lam"]) == 2 and len(info["noise_sigma"]) == 2


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------
def test_errors(small):
    h = P.gaussian(1.0)
    with pytest.raises(ValueError, match="larger than the image"):
        D.wiener(small[:4, :4], h, nsr=0.1)
    with pytest.raises(ValueError, match="image must be 2-D or 3-D"):
        D.wiener(small[0], h, nsr=0.1)
    with pytest.raises(ValueError, match="psf must be 2-D"):
        D.tikhonov(small, np.ones((3, 3, 1)))
    with pytest.raises(ValueError, match="psf must be non-negative"):
        D.richardson_lucy(small, [[0.5, -0.1, 0.5]])
    with pytest.raises(ValueError, match="positive sum"):
        D.wiener(small, np.zeros((3, 3)), nsr=0.1)
    bad = small.copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        D.wiener(bad, h, nsr=0.1)
    with pytest.raises(ValueError, match="nsr must be a finite number >= 0"):
        D.wiener(small, h, nsr=-1e-3)
    with pytest.raises(ValueError, match="nsr must be finite and >= 0"):
        D.wiener(small, h, nsr=-np.ones((48, 21)), boundary="wrap")
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        D.tikhonov(small, h, lam=-1)
    with pytest.raises(ValueError, match="boundary must be one of"):
        D.wiener(small, h, nsr=0.1, boundary="zero")
    with pytest.raises(ValueError, match="iterations must be >= 0"):
        D.richardson_lucy(small, h, iterations=-1)
    with pytest.raises(TypeError, match="iterations must be an integer"):
        D.richardson_lucy(small, h, iterations=2.5)
    with pytest.raises(ValueError, match="regularizer must be one of"):
        D.tikhonov(small, h, regularizer="tv")
    with pytest.raises(ValueError, match="lam_method must be one of"):
        D.tikhonov(small, h, lam_method="lcurve")
    with pytest.raises(TypeError, match="callback must be callable"):
        D.richardson_lucy(small, h, callback=3)
    with pytest.raises(ValueError, match="must be smaller than the image"):
        D.edgetaper(small[:5, :5], P.gaussian(1.0, size=5))
    with pytest.raises(TypeError, match="image has dtype"):
        D.wiener(small.astype(np.int8), h, nsr=0.1)


# ---------------------------------------------------------------------------------------
# the experiment (issue 4): sigma 2, noise 0.01, camera and astronaut
# ---------------------------------------------------------------------------------------
GRID = [10.0**e for e in np.arange(-4.0, 0.01, 0.5)]


@pytest.fixture(scope="module", params=["camera", "astronaut"])
def experiment(request):
    if request.param == "camera":
        x = data.camera() / 255.0
    else:
        x = data.astronaut() / 255.0
    h = P.gaussian(2.0)
    rng = np.random.default_rng(2024)
    if x.ndim == 2:
        y = ndimage.convolve(x, h, mode="reflect")
    else:
        y = np.stack([ndimage.convolve(x[..., c], h, mode="reflect") for c in range(3)], axis=-1)
    y = y + rng.normal(0, 0.01, y.shape)
    return x, y, h


def _peer_channelwise(func, y):
    if y.ndim == 2:
        return func(y)
    return np.stack([func(y[..., c]) for c in range(y.shape[-1])], axis=-1)


def test_experiment_sigma2_noise001(experiment):
    x, y, h = experiment
    blurred = psnr(y, x)
    assert psnr(D.inverse_filter(y, h), x) < blurred

    wiener_grid = [psnr(D.wiener(y, h, nsr=g), x) for g in GRID]
    tik_grid = [psnr(D.tikhonov(y, h, lam=g), x) for g in GRID]
    sk_grid = [psnr(_peer_channelwise(lambda c: restoration.wiener(c, h, g, clip=False), y), x) for g in GRID]
    best_w, best_t, best_sk = max(wiener_grid), max(tik_grid), max(sk_grid)
    assert best_w > blurred and best_t > blurred
    assert best_w >= best_sk and best_t >= best_sk

    rl = psnr(D.richardson_lucy(y, h, iterations=30), x)
    sk_rl = psnr(_peer_channelwise(lambda c: restoration.richardson_lucy(c, h, 30, clip=False), y), x)
    assert rl > blurred
    assert rl >= sk_rl

    # the automatic choices land within 0.5 dB of the best grid value
    assert psnr(D.wiener(y, h), x) >= best_w - 0.5
    assert psnr(D.tikhonov(y, h), x) >= best_t - 0.5
    assert psnr(D.tikhonov(y, h, lam_method="gcv"), x) >= best_t - 0.5
    assert psnr(D.tikhonov(y, h, lam_method="discrepancy"), x) >= best_t - 1.0


# ---------------------------------------------------------------------------------------
# the `classicsr deblur` command
# ---------------------------------------------------------------------------------------
def test_cli_deblur(tmp_path, capsys):
    from classicsr.cli import main
    from classicsr.io import read_image, write_image

    x = data.camera()[::2, ::2]
    h = P.gaussian(2.0)
    blurred = np.clip(np.round(ndimage.convolve(x / 255.0, h, mode="reflect") * 255), 0, 255).astype(np.uint8)
    src = tmp_path / "blurred.png"
    write_image(src, blurred)
    dst = tmp_path / "sharp.png"
    assert main(["deblur", str(src), str(dst), "--psf", "gaussian:2", "--method", "wiener", "-q"]) == 0
    out = read_image(dst)
    assert out.dtype == np.uint8 and out.shape == x.shape
    truth = x / 255.0
    assert psnr(out / 255.0, truth) > psnr(blurred / 255.0, truth) + 1.0
    # refuses to overwrite; --overwrite replaces
    assert main(["deblur", str(src), str(dst), "--psf", "gaussian:2", "-q"]) == 1
    for method in ("tikhonov", "richardson_lucy", "inverse"):
        assert main(["deblur", str(src), str(dst), "--psf", "gaussian:2", "--method", method,
                     "--threshold", "0.05", "--overwrite", "-q"]) == 0
    np.save(tmp_path / "k.npy", h)
    rgb = np.dstack([blurred] * 3 + [np.full_like(blurred, 200)])  # RGBA: alpha passes through
    write_image(tmp_path / "rgba.png", rgb)
    assert main(["deblur", str(tmp_path / "rgba.png"), str(tmp_path / "o.png"), "--psf", str(tmp_path / "k.npy"),
                 "--nsr", "0.01", "-q"]) == 0
    o = read_image(tmp_path / "o.png")
    assert o.shape == rgb.shape and (o[..., 3] == 200).all()
    # usage errors: exit 2 with a message naming the problem
    capsys.readouterr()
    assert main(["deblur", str(src), str(dst), "--psf", "blob:3"]) == 2
    assert "--psf" in capsys.readouterr().err
    assert main(["deblur", str(src), str(dst), "--psf", "gaussian:2", "--nsr", "-1"]) == 2
    assert "--nsr must be a finite number >= 0" in capsys.readouterr().err
    assert main(["deblur", str(src), str(dst), "--psf", "gaussian:-2"]) == 2
    assert main(["deblur", str(tmp_path / "missing.png"), str(tmp_path / "x.png"), "--psf", "box:3", "-q"]) == 1


def test_callback_numpy_true_stops_and_array_nsr_forms():
    img = np.random.default_rng(0).random((24, 24))
    calls = []

    def stop_at_two(it, estimate):
        calls.append(it)
        return np.bool_(it >= 2)

    D.richardson_lucy(img, P.gaussian(1.0), iterations=10, callback=stop_at_two)
    assert calls == [1, 2]
    h = P.gaussian(1.0)
    np.testing.assert_array_equal(D.wiener(img, h, nsr=np.array(0.1)), D.wiener(img, h, nsr=0.1))
    with pytest.raises(TypeError, match="regularizer"):
        D.tikhonov(img, h, lam=0.01, regularizer=np.ones((3, 3), complex))
