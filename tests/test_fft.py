"""classicsr.fft against numpy.fft, an explicit periodic-convolution loop and scipy.ndimage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

from classicsr import fft

BACKENDS = ["pyfftw", "scipy", "numpy"]


def naive_periodic_convolve(x, h):
    """y[r, c] = sum_ij h[i, j] x[(r - i + kh//2) % M, (c - j + kw//2) % N], by loops over taps."""
    kh, kw = h.shape
    y = np.zeros(x.shape, dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            y += h[i, j] * np.roll(x.astype(np.float64), (i - kh // 2, j - kw // 2), axis=(0, 1))
    return y


@pytest.fixture(params=BACKENDS)
def each_backend(request):
    with fft.backend(request.param, threads=1):
        yield request.param


@pytest.mark.parametrize("dtype, cdtype, tol", [(np.float32, np.complex64, 2e-4), (np.float64, np.complex128, 1e-10),
                                                (np.float16, np.complex64, 2e-2), (np.uint8, np.complex128, 1e-8)])
def test_rfft2_matches_numpy_and_dtype(each_backend, dtype, cdtype, tol):
    rng = np.random.default_rng(0)
    x = (rng.random((3, 10, 13)) * 100).astype(dtype)
    before = x.copy()
    X = fft.rfft2(x)
    assert X.dtype == cdtype and X.shape == (3, 10, 7)
    ref = np.fft.rfft2(x.astype(np.float64))
    np.testing.assert_allclose(X, ref, atol=tol * np.abs(ref).max())
    np.testing.assert_array_equal(x, before)
    back = fft.irfft2(X, (10, 13))
    assert back.dtype == (np.float32 if cdtype == np.complex64 else np.float64)
    np.testing.assert_allclose(back, x.astype(np.float64), atol=tol * 100)


def test_rfft2_padding_and_cropping(each_backend):
    x = np.random.default_rng(1).random((5, 7))
    np.testing.assert_allclose(fft.rfft2(x, s=(8, 9)), np.fft.rfft2(x, s=(8, 9)), atol=1e-12)
    np.testing.assert_allclose(fft.rfft2(x, s=(4, 6)), np.fft.rfft2(x, s=(4, 6)), atol=1e-12)


def test_irfft2_leaves_input_alone_and_checks_shape(each_backend):
    X = np.fft.rfft2(np.random.default_rng(2).random((6, 8)))
    before = X.copy()
    fft.irfft2(X, (6, 8))
    np.testing.assert_array_equal(X, before)
    with pytest.raises(ValueError, match="half spectrum"):
        fft.irfft2(X, (6, 12))


def test_next_fast_len():
    assert fft.next_fast_len(1024) == 1024
    for n in (1, 7, 1031, 2049):
        m = fft.next_fast_len(n)
        assert m >= n
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        assert k == 1
    with pytest.raises(ValueError, match="n must be >= 1"):
        fft.next_fast_len(0)


shapes = st.tuples(st.integers(2, 9), st.integers(2, 9), st.integers(0, 8), st.integers(0, 8))


@given(shapes, st.booleans(), st.integers(0, 2**31 - 1))
def test_psf2otf_is_periodic_convolution(dims, low_rank, seed):
    kh, kw, pm, pn = dims
    m, n = kh + pm, kw + pn
    rng = np.random.default_rng(seed)
    h = np.outer(rng.random(kh), rng.random(kw)) if low_rank else rng.random((kh, kw))
    x = rng.standard_normal((m, n))
    otf = fft.psf2otf(h, (m, n))
    y = np.fft.ifft2(np.fft.fft2(x) * otf).real
    np.testing.assert_allclose(y, naive_periodic_convolve(x, h), atol=1e-10)
    half = fft.psf2otf(h, (m, n), onesided=True)
    np.testing.assert_allclose(half, otf[:, : n // 2 + 1], atol=1e-12)
    np.testing.assert_allclose(fft.otf2psf(otf, (kh, kw)), h, atol=1e-12)
    np.testing.assert_allclose(fft.otf2psf(half, (kh, kw), shape=(m, n)), h, atol=1e-12)


@pytest.mark.parametrize("ksize", [(3, 3), (4, 4), (2, 5), (1, 1), (6, 3)])
def test_psf2otf_low_rank_and_fft_paths_agree(ksize):
    rng = np.random.default_rng(3)
    sep = np.outer(rng.random(ksize[0]), rng.random(ksize[1]))   # rank 1: DFT path
    for h in (sep, rng.random(ksize)):
        pad = np.zeros((16, 11))
        pad[: h.shape[0], : h.shape[1]] = h
        ref = np.fft.fft2(np.roll(pad, (-(h.shape[0] // 2), -(h.shape[1] // 2)), axis=(0, 1)))
        np.testing.assert_allclose(fft.psf2otf(h, (16, 11)), ref, atol=1e-12)


def test_psf2otf_float32_and_sum():
    from classicsr import psf as psfs
    h = psfs.gaussian(2.0).astype(np.float32)
    otf = fft.psf2otf(h, (64, 64), onesided=True)
    assert otf.dtype == np.complex64
    assert abs(otf[0, 0] - 1) < 1e-6
    assert fft.psf2otf(psfs.gaussian(2.0), (64, 64)).dtype == np.complex128


@pytest.mark.parametrize("ksize", [(3, 3), (5, 7), (1, 9)])
def test_fftconvolve_periodic_matches_ndimage_wrap(each_backend, ksize):
    rng = np.random.default_rng(4)
    x = rng.random((20, 23))
    h = rng.random(ksize)
    np.testing.assert_allclose(fft.fftconvolve_periodic(x, h), ndimage.convolve(x, h, mode="wrap"), atol=1e-12)
    np.testing.assert_allclose(fft.fftconvolve_periodic(x, h, adjoint=True),
                               ndimage.correlate(x, h, mode="wrap"), atol=1e-12)


@pytest.mark.parametrize("channel_axis", [0, 1, -1])
def test_fftconvolve_periodic_colour_and_float32(channel_axis):
    rng = np.random.default_rng(5)
    x = rng.random((12, 14, 3)).astype(np.float32)
    h = rng.random((3, 4))
    xm = np.moveaxis(x, -1, channel_axis).copy()
    before = xm.copy()
    y = fft.fftconvolve_periodic(xm, h, channel_axis=channel_axis)
    assert y.dtype == np.float32 and y.shape == xm.shape
    np.testing.assert_array_equal(xm, before)
    ym = np.moveaxis(y, channel_axis, -1)
    for c in range(3):
        np.testing.assert_allclose(ym[..., c], naive_periodic_convolve(x[..., c], h), atol=1e-5)


@given(st.integers(2, 12), st.integers(2, 12), st.integers(0, 2**31 - 1))
def test_adjoint_identity(m, n, seed):
    rng = np.random.default_rng(seed)
    h = rng.random((rng.integers(1, m + 1), rng.integers(1, n + 1)))
    x, y = rng.standard_normal((2, m, n))
    lhs = np.vdot(fft.fftconvolve_periodic(x, h), y)
    rhs = np.vdot(x, fft.fftconvolve_periodic(y, h, adjoint=True))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


def test_errors():
    x = np.zeros((8, 8))
    with pytest.raises(ValueError, match="larger than the target shape"):
        fft.psf2otf(np.ones((9, 3)), (8, 8))
    with pytest.raises(ValueError, match="larger than the target shape"):
        fft.fftconvolve_periodic(x, np.ones((3, 9)))
    with pytest.raises(ValueError, match="psf must be 2-D"):
        fft.psf2otf(np.ones(3), (8, 8))
    with pytest.raises(ValueError, match="finite"):
        fft.psf2otf(np.array([[np.nan]]), (8, 8))
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        fft.rfft2(np.zeros((4, 4), complex))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fft.rfft2(np.zeros(4))
    with pytest.raises(ValueError, match="name must be one of"):
        fft.set_backend("mkl")
    with pytest.raises(ValueError, match="threads must be >= 1"):
        fft.set_backend(threads=0)
    with pytest.raises(ValueError, match="a 3-D image needs channel_axis"):
        fft.fftconvolve_periodic(np.zeros((4, 4, 2)), np.ones((1, 1)), channel_axis=None)


def test_backend_context_restores():
    before = fft.get_backend()
    with fft.backend("numpy", threads=2):
        assert fft.get_backend()["backend"] == "numpy"
    assert fft.get_backend() == before


def test_wisdom_roundtrip(tmp_path):
    pytest.importorskip("pyfftw")
    with fft.backend("pyfftw", planner="FFTW_ESTIMATE"):
        fft.rfft2(np.zeros((6, 10)))
    path = tmp_path / "wisdom.bin"
    fft.export_wisdom(path)
    assert all(fft.import_wisdom(path))
    path.write_bytes(b"\x01")
    with pytest.raises(ValueError, match="not a classicsr FFTW wisdom file"):
        fft.import_wisdom(path)


def test_plans_are_thread_safe():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(6)
    xs = rng.random((8, 32, 32))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda a: fft.irfft2(fft.rfft2(a) * 2, a.shape), xs))
    for a, r in zip(xs, results):
        np.testing.assert_allclose(r, 2 * a, atol=1e-12)


def test_fftconvolve_periodic_takes_integer_psfs():
    img = np.random.default_rng(0).random((9, 11))
    box = np.ones((3, 3), np.int64)
    np.testing.assert_allclose(fft.fftconvolve_periodic(img, box),
                               fft.fftconvolve_periodic(img, box.astype(np.float64)), atol=0)
    expected = ndimage.convolve(img, np.ones((3, 3)), mode="wrap")
    np.testing.assert_allclose(fft.fftconvolve_periodic(img, box), expected, atol=1e-12)
