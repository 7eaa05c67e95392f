"""classicsr.dask.deconvolve: chunked equals in-memory away from the outer border.

The tolerance is derived independently of the chunked code: for Wiener / Tikhonov it is the
l1 tail mass of the filter's impulse response beyond the halo times the image's value range
(cross-checked here against a direct numpy computation of that impulse response); for
Richardson-Lucy the halo is the exact dependence cone, so only rounding remains.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from classicsr import deconvolution as D, fft, psf

da = pytest.importorskip("dask.array")
cdask = pytest.importorskip("classicsr.dask")

FUNCS = {"wiener": D.wiener, "tikhonov": D.tikhonov, "richardson_lucy": D.richardson_lucy}


@pytest.fixture(scope="module")
def blurred():
    from skimage import data

    x = data.camera()[100:260, 120:300].astype(np.float64) / 255
    h = psf.gaussian(1.5)
    y = ndimage.convolve(x, h, mode="reflect") + np.random.default_rng(0).normal(0, 0.01, x.shape)
    return y, h


@pytest.fixture(autouse=True)
def _cheap_plans():
    with fft.backend(planner="FFTW_ESTIMATE"):  # many block shapes: skip FFTW_MEASURE planning
        yield


@pytest.mark.parametrize("method,kw", [("wiener", dict(nsr=1e-2)), ("tikhonov", dict(lam=1e-3)),
                                       ("richardson_lucy", dict(iterations=4))])
@pytest.mark.parametrize("chunks", [(80, 90), (41, 180), (160, 47)])
def test_chunked_equals_in_memory_inside(blurred, method, kw, chunks):
    y, h = blurred
    halo, bound = cdask.deconvolution_halo(h, method=method, **kw)
    out = cdask.deconvolve(da.from_array(y, chunks=chunks), h, method=method, **kw)
    got = out.compute(scheduler="sync")
    ref = FUNCS[method](y, h, **kw)
    assert got.dtype == ref.dtype == np.float64 and got.shape == y.shape
    tol = bound * (y.max() - y.min()) + 1e-9
    err = np.abs(got - ref)[halo:-halo, halo:-halo]
    assert err.max() <= tol
    if method != "richardson_lucy":
        # the halo is not gratuitous: with no halo the seams are visibly wrong
        bad = cdask.deconvolve(da.from_array(y, chunks=chunks), h, method=method, halo=0, **kw)
        assert np.abs(bad.compute(scheduler="sync") - ref)[halo:-halo, halo:-halo].max() > 100 * tol


def test_tail_bound_matches_direct_impulse_response():
    """The halo's tail mass equals |g| summed outside the box, g computed here with numpy.fft
    from an explicitly zero-padded, centred PSF (not classicsr.fft.psf2otf)."""
    h = psf.gaussian(2.0)
    nsr, n = 1e-2, 512
    pad = np.zeros((n, n))
    k = h.shape[0]
    pad[:k, :k] = h
    pad = np.roll(pad, (-(k // 2), -(k // 2)), axis=(0, 1))
    H = np.fft.fft2(pad)
    g = np.fft.fftshift(np.real(np.fft.ifft2(np.conj(H) / (np.abs(H) ** 2 + nsr))))
    halo, bound = cdask.deconvolution_halo(h, method="wiener", nsr=nsr)
    c = n // 2
    inside = np.abs(g[c - halo: c + halo + 1, c - halo: c + halo + 1]).sum()
    assert bound == pytest.approx(np.abs(g).sum() - inside, rel=1e-6, abs=1e-12)
    assert bound <= 1e-4 < np.abs(g).sum() - np.abs(g[c - halo + 1: c + halo, c - halo + 1: c + halo]).sum()


def test_rl_halo_is_the_dependence_cone():
    assert cdask.deconvolution_halo(np.ones((5, 5)), method="richardson_lucy", iterations=7) == (28, 0.0)


def test_color_channel_axis_float32(blurred):
    y, h = blurred
    rgb = np.stack([y, y[::-1], y[:, ::-1]], axis=0).astype(np.float32)
    out = cdask.deconvolve(da.from_array(rgb, chunks=(3, 80, 90)), h, method="wiener", nsr=1e-2, channel_axis=0)
    ref = D.wiener(rgb, h, nsr=1e-2, channel_axis=0)
    halo, bound = cdask.deconvolution_halo(h, method="wiener", nsr=1e-2)
    got = out.compute(scheduler="sync")
    assert got.dtype == np.float32
    err = np.abs(got - ref)[:, halo:-halo, halo:-halo].max()
    assert err <= bound * float(rgb.max() - rgb.min()) + 1e-5


@pytest.mark.parametrize("method,kw,word", [("wiener", {}, "nsr"), ("tikhonov", {}, "lam"),
                                            ("wiener", dict(nsr=np.ones((4, 4))), "nsr"),
                                            ("blind", {}, "method")])
def test_refuses_per_chunk_estimates(method, kw, word):
    with pytest.raises(ValueError, match=word):
        cdask.deconvolve(da.zeros((32, 32), chunks=16), psf.gaussian(1.0), method=method, **kw)


def test_unknown_keyword():
    with pytest.raises(TypeError, match="iterations"):
        cdask.deconvolve(da.zeros((32, 32), chunks=16), psf.gaussian(1.0), method="wiener", nsr=0.1,
                         iterations=3)
