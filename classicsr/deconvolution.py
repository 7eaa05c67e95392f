"""Non-blind deconvolution: naive inverse, Wiener, Tikhonov (constrained least squares) and
Richardson-Lucy, with edge handling and automatic regularisation.

Model: the observed image is :math:`y = h * x + n`, the periodic convolution of the sharp
image :math:`x` with a PSF :math:`h`, plus white noise of standard deviation :math:`\\sigma`.
With :math:`Y, X, H` the 2-D DFTs (``H = psf2otf(h)``), :math:`Y = H X + N`.

* :func:`inverse_filter` divides :math:`Y / H`.  Where :math:`|H|` is tiny the noise is
  multiplied by :math:`1/|H|` without bound: the classic failure, kept to show it.
* :func:`wiener` uses :math:`\\hat X = \\bar H Y / (|H|^2 + \\mathrm{NSR})`.
* :func:`tikhonov` minimises :math:`\\|y - h * x\\|^2 + \\lambda \\|l * x\\|^2` (``l`` a
  Laplacian by default): :math:`\\hat X = \\bar H Y / (|H|^2 + \\lambda |L|^2)`, MATLAB
  ``deconvreg``'s constrained least squares.
* :func:`richardson_lucy` iterates the Poisson maximum-likelihood update
  :math:`x \\leftarrow x \\cdot h^T (y / (h * x))`.

Photos are not periodic: a Fourier-domain method sees a jump where the right edge wraps onto
the left one and rings there.  Every method therefore takes ``boundary``: the image is padded
(``"symmetric"`` mirror by default), deconvolved, and cropped back; ``"wrap"`` keeps the
periodic assumption (exact for periodically blurred images).  :func:`edgetaper` is MATLAB's
alternative for callers who want to keep the periodic model.

Colour images are processed channel-wise (keyword-only ``channel_axis``).  dtype rule:
float16/float32 input is computed and returned as float32, everything else as float64 (in the
input's own value scale; nothing is clipped unless asked).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import fft as _fft
from ._validate import (
    as_image,
    check_bool,
    check_channel_axis,
    check_choice,
    check_int,
    check_output_size,
    check_positive_number,
    supported_float_type,
)
from .psf import validate_psf

__all__ = [
    "inverse_filter",
    "wiener",
    "tikhonov",
    "richardson_lucy",
    "edgetaper",
    "estimate_noise_sigma",
    "Deconvolver",
]

_BOUNDARIES = ("symmetric", "reflect", "replicate", "wrap")
_NP_PAD = {"symmetric": "symmetric", "reflect": "reflect", "replicate": "edge"}
_METHODS = ("inverse", "wiener", "tikhonov", "richardson_lucy")
_REGULARIZERS = ("laplacian", "identity", "gradient")
_LAM_METHODS = ("power-law", "gcv", "discrepancy")
_LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])

_SHARED_DOC = """
    boundary : {"symmetric", "reflect", "replicate", "wrap"}, optional
        Edge handling.  ``"symmetric"`` (default) mirrors the image (``a b c | c b a``),
        ``"reflect"`` mirrors without repeating the edge (``a b c | b a``), ``"replicate"``
        repeats the edge pixel; the padded image is deconvolved and cropped back, so
        non-periodic photos restore without ringing at the borders.  ``"wrap"`` assumes the
        image is periodic (no padding; exact for periodically blurred images).
    pad_width : int, optional
        Pixels of padding on each side (default ``2 * max(psf.shape)``); the padded size is
        then rounded up to a fast FFT length.  Ignored for ``boundary="wrap"``.
    channel_axis : int, optional
        Channel axis of a 3-D image (keyword-only; default -1).  2-D images are grayscale.
"""


def _doc(func):
    func.__doc__ = func.__doc__.replace("{shared}", _SHARED_DOC.strip("\n"))
    return func


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def estimate_noise_sigma(image, *, channel_axis=-1):
    """Estimate the standard deviation of additive white Gaussian noise in an image.

    Parameters
    ----------
    image : (M, N[, C]) array_like
        Image (at least 2 x 2 pixels per channel).
    channel_axis : int, optional
        Channel axis of a 3-D image.

    Returns
    -------
    float or (C,) ndarray
        Estimated sigma in the image's value scale, one per channel for colour input.

    Notes
    -----
    Donoho's robust wavelet estimator: the finest diagonal Haar detail coefficients
    :math:`d = (a - b - c + e) / 2` over non-overlapping 2 x 2 blocks are, for white noise,
    :math:`N(0, \\sigma^2)`, and image structure (especially of a blurred image) hardly
    reaches them, so :math:`\\hat\\sigma = \\mathrm{median}(|d|) / 0.6745`.  When that median
    is exactly 0 (a quantised, nearly noise-free image) the RMS of :math:`d` is used instead.

    References
    ----------
    .. [1] D. L. Donoho and I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
       Biometrika 81(3), 425-455, 1994.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.deconvolution import estimate_noise_sigma
    >>> noise = np.random.default_rng(0).normal(0, 0.05, (256, 256))
    >>> round(float(estimate_noise_sigma(0.5 + noise)), 2)
    0.05
    """
    img = as_image(image, "image")
    axis = check_channel_axis(channel_axis, img.ndim)
    work = img[:, :, None] if axis is None else np.moveaxis(img, axis, -1)
    if work.shape[0] < 2 or work.shape[1] < 2:
        raise ValueError(f"image must be at least 2 x 2 pixels to estimate noise, got {img.shape}")
    m, n = work.shape[0] // 2 * 2, work.shape[1] // 2 * 2
    w = work[:m, :n].astype(np.float64)
    d = (w[0::2, 0::2] - w[0::2, 1::2] - w[1::2, 0::2] + w[1::2, 1::2]) / 2.0
    d = d.reshape(-1, d.shape[-1])
    sig = np.median(np.abs(d), axis=0) / 0.6744897501960817
    # Quantised, nearly noise-free images (8-bit photos) can have a zero median detail; fall
    # back to the RMS of the details, which then measures the quantisation noise.
    rms = np.sqrt(np.mean(d * d, axis=0))
    sig = np.where(sig > 0, sig, rms)
    return float(sig[0]) if axis is None else sig


def _prepare_image(image, channel_axis):
    img = as_image(image, "image")
    axis = check_channel_axis(channel_axis, img.ndim)
    dtype = supported_float_type(img.dtype)
    if img.dtype.kind == "f" and not np.all(np.isfinite(img)):
        raise ValueError("image contains NaN or inf; deconvolution needs finite values "
                         "(replace them first, e.g. np.nan_to_num)")
    work = img[:, :, None] if axis is None else np.moveaxis(img, axis, -1)
    return img, axis, dtype, work


def _finish(out, img, axis):
    if axis is None:
        return out[:, :, 0]
    return np.ascontiguousarray(np.moveaxis(out, -1, axis))


class _Geometry:
    """Working (padded, fast-length) shape and the crop back to the image."""

    def __init__(self, shape, psf, boundary, pad_width):
        m, n = shape
        kh, kw = psf.shape
        self.psf = psf
        if kh > m or kw > n:
            raise ValueError(f"psf of shape {psf.shape} is larger than the image ({m}, {n}); "
                             f"the PSF must fit inside the image")
        self.shape = (m, n)
        self.boundary = boundary
        if boundary == "wrap":
            self.work = (m, n)
            self.before = (0, 0)
        else:
            pw = 2 * max(kh, kw) if pad_width is None else pad_width
            p = _fft.next_fast_len(m + 2 * pw)
            q = _fft.next_fast_len(n + 2 * pw)
            self.work = (p, q)
            self.before = (pw, pw)
        # The padded image, its spectrum, the OTF and the filter: about three complex arrays.
        check_output_size((3,) + self.work, np.complex128,
                          f"the FFT work arrays for an image of shape {shape} "
                          f"(boundary={boundary!r}, pad_width={pad_width!r})")
        self.spec_shape = (self.work[0], self.work[1] // 2 + 1)

    def pad(self, channel, dtype):
        """The channel padded to the working shape, with the far edges of the padding
        edge-tapered (MATLAB ``edgetaper`` weights) so the padded image is smooth where it wraps
        around; the image itself is untouched (the taper reaches ``max(psf.shape)`` pixels in,
        less than the padding)."""
        if self.boundary == "wrap":
            return channel
        (p, q), (b0, b1) = self.work, self.before
        m, n = self.shape
        padded = np.pad(np.asarray(channel, dtype=dtype), ((b0, p - m - b0), (b1, q - n - b1)),
                        mode=_NP_PAD[self.boundary])
        if self.before[0] >= max(self.psf.shape):
            _taper_seams(padded, self.psf, self._alphas(dtype))
        else:  # thin padding: taper the whole padded image by FFT
            padded = _edgetaper_2d(padded, self.psf, dtype)
        return padded

    def _alphas(self, dtype):
        if getattr(self, "_alpha_cache", None) is None or self._alpha_cache[0].dtype != dtype:
            ar, ac = _taper_weights(self.psf, *self.work)
            self._alpha_cache = (ar.astype(dtype), ac.astype(dtype))
        return self._alpha_cache

    def crop(self, padded):
        b0, b1 = self.before
        return padded[b0: b0 + self.shape[0], b1: b1 + self.shape[1]]

    def weights(self):
        """How many times each half-spectrum column appears in the full spectrum."""
        q = self.work[1]
        w = np.full(q // 2 + 1, 2.0)
        w[0] = 1.0
        if q % 2 == 0:
            w[-1] = 1.0
        return w

    def frequencies(self):
        """(fy, fx) grids in cycles per pixel for the half spectrum."""
        p, q = self.work
        return np.fft.fftfreq(p)[:, None], np.fft.rfftfreq(q)[None, :]


def _reg_otf(regularizer, geom, dtype):
    """|L|^2 on the working half spectrum, float64."""
    if isinstance(regularizer, str):
        key = check_choice("regularizer", regularizer, _REGULARIZERS)
        if key == "identity":
            return np.ones(geom.spec_shape)
        if key == "laplacian":
            kernel = _LAPLACIAN
        else:
            fy, fx = geom.frequencies()
            return (4 * np.sin(np.pi * fy) ** 2 + 4 * np.sin(np.pi * fx) ** 2) * np.ones(geom.spec_shape)
    else:
        kernel = np.asarray(regularizer)
        if kernel.dtype.kind not in "biuf":
            raise TypeError(f"regularizer must be one of {list(_REGULARIZERS)} or a 2-D real "
                            f"kernel, got an array of dtype {kernel.dtype}")
        if kernel.ndim != 2 or kernel.size == 0:
            raise ValueError(f"regularizer must be one of {list(_REGULARIZERS)} or a non-empty 2-D real "
                             f"kernel, got shape {kernel.shape}")
        if not np.all(np.isfinite(kernel)):
            raise ValueError("regularizer kernel must be finite")
        if kernel.shape[0] > geom.work[0] or kernel.shape[1] > geom.work[1]:
            raise ValueError(f"regularizer kernel of shape {kernel.shape} is larger than the image")
    otf = _fft.psf2otf(kernel.astype(np.float64), geom.work, onesided=True)
    return otf.real ** 2 + otf.imag ** 2


def _choose_lambda(y2, h2, reg2, weights, n_total, *, method, sigma, signal=None, lo=-6.0, hi=3.0):
    """lambda minimising GCV, or matching the discrepancy principle, by a log-grid search
    refined with golden-section (GCV) or bisection (discrepancy), within [1e-6, 1e3].

    The lower end matters for (nearly) noise-free data, where both rules run towards 0: the
    filter gain is at most 1 / (2 sqrt(lambda)) = 500 there, and beyond that the amplified
    model errors (padding seam, rounding, quantisation) dominate."""
    from ._kernels.convolve import filter_stats

    n2 = float(n_total) ** 2

    def stats(log_lam):
        res, tr = filter_stats(y2, h2, reg2, weights, 10.0 ** log_lam)
        return res / n2, tr / n_total  # mean squared residual (Parseval), mean influence

    if method == "discrepancy":
        target = sigma * sigma
        a, b = lo, hi
        if stats(a)[0] >= target:
            return 10.0 ** a
        if stats(b)[0] <= target:
            return 10.0 ** b
        for _ in range(40):  # residual grows monotonically with lambda
            mid = 0.5 * (a + b)
            if stats(mid)[0] < target:
                a = mid
            else:
                b = mid
        return 10.0 ** (0.5 * (a + b))

    if method == "risk":
        from ._kernels.convolve import model_risk

        noise_power = float(n_total) * sigma * sigma

        def gcv(log_lam):  # the objective minimised below: expected error under the model
            return model_risk(h2, reg2, signal, weights, 10.0 ** log_lam, noise_power)
    else:
        def gcv(log_lam):
            res, tr = stats(log_lam)
            return res / max(1.0 - tr, 1e-12) ** 2

    grid = np.linspace(lo, hi, 27)
    values = [gcv(g) for g in grid]
    k = int(np.argmin(values))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    phi = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - phi * (b - a), a + phi * (b - a)
    fc, fd = gcv(c), gcv(d)
    for _ in range(20):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - phi * (b - a)
            fc = gcv(c)
        else:
            a, c, fc = c, d, fd
            d = a + phi * (b - a)
            fd = gcv(d)
    return 10.0 ** (0.5 * (a + b))


def _power_law_nsr(y2, h2, geom, sigma):
    """Per-frequency NSR ``n sigma^2 / S_x(f)`` with ``S_x(f) = A |f|^beta`` fitted to the
    observation where the blur is mild.  Returns (nsr, A, beta, S_x), or None when the fit
    fails."""
    n = geom.work[0] * geom.work[1]
    fy, fx = geom.frequencies()
    rho = np.sqrt(fy * fy + fx * fx)
    rho_min = 1.0 / max(geom.work)
    sel = (h2 > 0.3) & (rho > 2.0 * rho_min)
    if np.count_nonzero(sel) < 20:
        return None
    r = rho[sel]
    edges = np.geomspace(r.min(), r.max() * (1 + 1e-9), 21)
    idx = np.digitize(r, edges) - 1
    count = np.bincount(idx, minlength=20)[:20]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_y2 = np.bincount(idx, weights=y2[sel], minlength=20)[:20] / count
        mean_h2 = np.bincount(idx, weights=h2[sel], minlength=20)[:20] / count
        mean_r = np.bincount(idx, weights=r, minlength=20)[:20] / count
        sx = (mean_y2 - n * sigma * sigma) / mean_h2
    ok = (count >= 5) & (sx > 0)
    if np.count_nonzero(ok) < 3:
        return None
    beta, log_a = np.polyfit(np.log(mean_r[ok]), np.log(sx[ok]), 1)
    beta = float(np.clip(beta, -4.0, 0.0))
    log_a = float(np.mean(np.log(sx[ok]) - beta * np.log(mean_r[ok])))
    signal = np.exp(log_a) * np.maximum(rho, rho_min) ** beta
    signal = np.ascontiguousarray(np.broadcast_to(signal, geom.spec_shape))
    nsr = np.maximum(n * sigma * sigma / signal, 1e-6)
    return nsr, math.exp(log_a), beta, signal


def _check_nsr(nsr):
    if nsr is None:
        return None
    if callable(nsr):
        return nsr
    if isinstance(nsr, (list, tuple)):
        try:
            nsr = np.asarray(nsr, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"nsr must be a number, an array or a callable, got a "
                            f"{type(nsr).__name__} that is not an array of real numbers") from None
    if isinstance(nsr, np.ndarray) and nsr.ndim == 0:
        nsr = nsr.item()
    if isinstance(nsr, np.ndarray):
        if nsr.dtype.kind not in "biuf":
            raise TypeError(f"nsr must be real, got an array of dtype {nsr.dtype}")
        arr = np.asarray(nsr, dtype=np.float64)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError("nsr must be finite and >= 0 everywhere, got negative, NaN or inf entries")
        return arr
    return check_positive_number("nsr", nsr, allow_zero=True)


# --------------------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------------------
class Deconvolver:
    """A deconvolution set up once for one PSF and reused for many images.

    The OTF (and, for a fixed ``nsr``/``lam``, the whole filter) is computed on the first call
    for each image shape and dtype and cached, so repeated calls cost little more than one
    forward and one inverse real FFT.  The functions :func:`wiener`, :func:`tikhonov`,
    :func:`inverse_filter` and :func:`richardson_lucy` are thin wrappers that build one and call
    it once.

    Parameters
    ----------
    psf : (kh, kw) array_like
        Point-spread function: finite, non-negative, positive sum (normalised here).
    method : {"wiener", "tikhonov", "inverse", "richardson_lucy"}, optional
        Which deconvolution (default ``"wiener"``).
    nsr, noise_sigma : see :func:`wiener`.
    lam, regularizer, lam_method : see :func:`tikhonov`.
    threshold : see :func:`inverse_filter`.
    iterations, damping, callback : see :func:`richardson_lucy`.
    boundary, pad_width, channel_axis : see :func:`wiener`.

    Attributes
    ----------
    info : dict
        What the last call did: ``method``, ``working_shape`` and, per channel, the
        regularisation used (``nsr`` or ``lam``) and any estimated ``noise_sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr import psf
    >>> from classicsr.deconvolution import Deconvolver
    >>> deblur = Deconvolver(psf.gaussian(1.5), method="wiener", nsr=1e-3)
    >>> frames = np.random.default_rng(0).random((3, 64, 64)).astype(np.float32)
    >>> restored = [deblur(f) for f in frames]   # OTF and filter computed once
    >>> restored[0].dtype, restored[0].shape
    (dtype('float32'), (64, 64))
    """

    def __init__(self, psf, *, method="wiener", nsr=None, noise_sigma=None, lam=None,
                 regularizer="laplacian", lam_method="power-law", threshold=None, iterations=30,
                 damping=0.0, callback=None, boundary="symmetric", pad_width=None, channel_axis=-1):
        self.method = check_choice("method", method, _METHODS)
        self.psf = validate_psf(psf, "psf")
        self.boundary = check_choice("boundary", boundary, _BOUNDARIES)
        self.pad_width = None if pad_width is None else check_int("pad_width", pad_width, minimum=0)
        self.channel_axis = channel_axis
        self.nsr = _check_nsr(nsr)
        self.noise_sigma = None if noise_sigma is None else check_positive_number(
            "noise_sigma", noise_sigma, allow_zero=True)
        self.lam = None if lam is None else check_positive_number("lam", lam, allow_zero=True)
        if isinstance(regularizer, str):
            check_choice("regularizer", regularizer, _REGULARIZERS)
        self.regularizer = regularizer
        self.lam_method = check_choice("lam_method", lam_method, _LAM_METHODS)
        self.threshold = None if threshold is None else check_positive_number(
            "threshold", threshold, allow_zero=True)
        self.iterations = check_int("iterations", iterations, minimum=0)
        self.damping = check_positive_number("damping", damping, allow_zero=True)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
        self.callback = callback
        self._cache = {}
        self.info = {}

    # -- cached per (shape, dtype) ------------------------------------------------------
    def _setup(self, shape, dtype):
        key = (shape, np.dtype(dtype).str)
        entry = self._cache.get(key)
        if entry is not None:
            return entry
        geom = _Geometry(shape, self.psf, self.boundary, self.pad_width)
        otf = _fft.psf2otf(self.psf.astype(dtype), geom.work, onesided=True)
        entry = {"geom": geom, "otf": otf, "scale": 1.0 / (geom.work[0] * geom.work[1])}
        if self.method == "tikhonov":
            entry["reg2"] = _reg_otf(self.regularizer, geom, dtype)
        elif self.method == "wiener" and self.nsr is not None and not np.isscalar(self.nsr):
            nsr = self.nsr(*geom.frequencies()) if callable(self.nsr) else self.nsr
            nsr = np.asarray(nsr, dtype=np.float64)
            try:
                nsr = np.ascontiguousarray(np.broadcast_to(nsr, geom.spec_shape))
            except ValueError:
                raise ValueError(
                    f"an array nsr must broadcast to the working half spectrum {geom.spec_shape} "
                    f"(image {shape} padded to {geom.work}; use boundary='wrap' for no padding, "
                    f"or pass a callable nsr(fy, fx)), got shape {nsr.shape}") from None
            if not np.all(np.isfinite(nsr)) or np.any(nsr < 0):
                raise ValueError("nsr must be finite and >= 0 everywhere")
            entry["reg2"] = nsr
        elif self.method == "richardson_lucy":
            s = dtype.type(entry["scale"])
            entry["otf_s"] = otf * s
            entry["otf_adj_s"] = np.conj(otf) * s
        entry["fixed"] = ((self.method == "wiener" and self.nsr is not None)
                          or (self.method == "tikhonov" and self.lam is not None))
        entry["calls"] = 0
        if len(self._cache) > 8:
            self._cache.clear()
        self._cache[key] = entry
        return entry

    # -- call -------------------------------------------------------------------------
    def __call__(self, image):
        """Deconvolve ``image`` ((M, N[, C]) array); returns a new float array of its shape."""
        img, axis, dtype, work = _prepare_image(image, self.channel_axis)
        m, n, c = work.shape
        entry = self._setup((m, n), dtype)
        geom = entry["geom"]
        out = np.empty((m, n, c), dtype)
        info = {"method": self.method, "working_shape": geom.work, "boundary": self.boundary}
        if self.method == "richardson_lucy":
            self._richardson_lucy(work, entry, out, img, axis)
            info["iterations"] = self.iterations
        else:
            per_channel = []
            with _fft._plan(geom.work, dtype) as plan:
                for k in range(c):
                    plan.real[...] = geom.pad(work[:, :, k], dtype)
                    plan.forward()
                    per_channel.append(self._apply_filter(plan, entry, work[:, :, k], dtype))
                    plan.inverse()
                    out[:, :, k] = geom.crop(plan.real)
                    entry["calls"] += 1
            # Channels may report different keys (e.g. the power-law fit succeeds on one
            # channel and falls back on another): report each key for every channel.
            for key in dict.fromkeys(k for d in per_channel for k in d):
                values = [d.get(key) for d in per_channel]
                info[key] = values[0] if axis is None else values
        self.info = info
        return _finish(out, img, axis)

    def _apply_filter(self, plan, entry, channel, dtype):
        from ._kernels.convolve import (
            regularized_inverse_array,
            regularized_inverse_scalar,
            thresholded_inverse,
        )

        spec, otf, scale, geom = plan.spec, entry["otf"], entry["scale"], entry["geom"]
        if entry["fixed"]:
            # The whole filter is fixed.  First use: apply it fused (one pass, nothing stored);
            # from the second use on (a reused Deconvolver): precompute it once and multiply.
            fixed_info = {"nsr": self.nsr} if self.method == "wiener" else {"lam": self.lam}
            lam = 1.0 if self.method == "wiener" else self.lam
            if "filter" not in entry and entry["calls"] == 0:
                target = spec
            elif "filter" not in entry:
                target = entry["filter"] = np.ones(geom.spec_shape, otf.dtype)
            else:
                np.multiply(spec, entry["filter"], out=spec)
                return fixed_info
            if "reg2" in entry:
                regularized_inverse_array(target, otf, np.ascontiguousarray(entry["reg2"], dtype=dtype),
                                          lam, scale)
            else:
                regularized_inverse_scalar(target, otf, self.nsr, scale)
            if target is not spec:
                np.multiply(spec, target, out=spec)
            return fixed_info
        if self.method == "inverse":
            thresholded_inverse(spec, otf, 0.0 if self.threshold is None else self.threshold, scale)
            return {"threshold": self.threshold}
        # lambda chosen from the data
        h2 = otf.real.astype(np.float64) ** 2 + otf.imag.astype(np.float64) ** 2
        y2 = spec.real.astype(np.float64) ** 2 + spec.imag.astype(np.float64) ** 2
        reg2 = entry.get("reg2")
        if reg2 is None:
            reg2 = np.ones(geom.spec_shape)
        sigma = self.noise_sigma
        info = {}
        method = self.lam_method if self.method == "tikhonov" else "power-law"
        if method != "gcv" and sigma is None:
            sigma = estimate_noise_sigma(channel)
            info["noise_sigma"] = sigma
        if self.method == "wiener" and method == "power-law":
            fit = _power_law_nsr(y2, h2, geom, sigma)
            if fit is not None:
                nsr, amplitude, beta, _ = fit
                regularized_inverse_array(spec, otf, nsr.astype(dtype), 1.0, scale)
                info.update(nsr="per-frequency", spectrum=(amplitude, beta), nsr_method="power-law")
                return info
            method = "discrepancy"  # too little usable spectrum: fall back to a scalar NSR
        reg2 = np.ascontiguousarray(reg2, dtype=np.float64)
        if method == "power-law":  # Tikhonov: lambda minimising the model's expected error
            fit = _power_law_nsr(y2, h2, geom, sigma)
            if fit is None:
                method = "gcv"
            else:
                info["spectrum"] = fit[1:3]
                lam = _choose_lambda(y2, h2, reg2, geom.weights(), geom.work[0] * geom.work[1],
                                     method="risk", sigma=sigma, signal=fit[3])
        if method != "power-law":
            lam = _choose_lambda(y2, h2, reg2, geom.weights(), geom.work[0] * geom.work[1],
                                 method=method, sigma=sigma)
        if self.method == "wiener":
            regularized_inverse_scalar(spec, otf, lam, scale)
            info["nsr"] = lam
        else:
            regularized_inverse_array(spec, otf, np.ascontiguousarray(reg2, dtype=dtype), lam, scale)
            info["lam"] = lam
        info["nsr_method" if self.method == "wiener" else "lam_method"] = method
        return info

    def _richardson_lucy(self, work, entry, out, img, axis):
        from ._kernels.convolve import multiply_nonnegative, rl_ratio

        geom = entry["geom"]
        m, n, c = work.shape
        dtype = out.dtype
        observed = [np.ascontiguousarray(np.clip(geom.pad(work[:, :, k], dtype), 0, None), dtype=dtype)
                    for k in range(c)]
        estimate = [o.copy() for o in observed]
        tiny = float(np.finfo(dtype).tiny) * 1e6
        dampar22 = 0.5 * self.damping ** 2
        otf_s, otf_adj_s = entry["otf_s"], entry["otf_adj_s"]
        with _fft._plan(geom.work, dtype) as plan:
            for it in range(self.iterations):
                for k in range(c):
                    plan.real[...] = estimate[k]
                    plan.forward()
                    np.multiply(plan.spec, otf_s, out=plan.spec)
                    plan.inverse()                       # plan.real = h * x
                    rl_ratio(observed[k], plan.real, dampar22, tiny)
                    plan.forward()
                    np.multiply(plan.spec, otf_adj_s, out=plan.spec)
                    plan.inverse()                       # plan.real = h^T (y / h * x)
                    multiply_nonnegative(estimate[k], plan.real)
                if self.callback is not None:
                    current = np.stack([geom.crop(e) for e in estimate], axis=-1)
                    if bool(self.callback(it + 1, _finish(current, img, axis))):
                        break
        for k in range(c):
            out[:, :, k] = geom.crop(estimate[k])


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------
@_doc
def inverse_filter(image, psf, *, threshold=None, boundary="symmetric", pad_width=None, channel_axis=-1):
    """Naive inverse filter :math:`\\hat X = Y / H`, optionally a thresholded pseudo-inverse.

    Kept to show why deconvolution needs regularisation: without ``threshold`` the noise at
    frequencies where the OTF is small is amplified by :math:`1 / |H|` and swamps the image.

    Parameters
    ----------
    image : (M, N[, C]) array_like
        Blurred image.
    psf : (kh, kw) array_like
        PSF (finite, non-negative, positive sum; normalised here), no larger than the image.
    threshold : float, optional
        Pseudo-inverse: frequencies with :math:`|H| \\le` ``threshold`` are set to zero
        (:math:`|H(0)| = 1` for a normalised PSF, so this is relative).  ``None``: plain
        division, except exact zeros of ``H``, which give 0 rather than inf/NaN.
{shared}

    Returns
    -------
    (M, N[, C]) ndarray
        float32 for float16/float32 input, float64 otherwise.

    Notes
    -----
    :math:`\\hat X(f) = Y(f) / H(f)` if :math:`|H(f)| > t`, else 0.  With noise,
    :math:`\\hat X = X + N / H` and :math:`E|N/H|^2 = \\sigma^2 / |H|^2`: a Gaussian PSF of
    sigma 2 has :math:`|H|` around 1e-14 at high frequencies, so noise of 0.01 becomes 1e12.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr import psf, fft
    >>> from classicsr.deconvolution import inverse_filter
    >>> x = np.random.default_rng(0).random((32, 32))
    >>> h = psf.box(3)
    >>> y = fft.fftconvolve_periodic(x, h)
    >>> restored = inverse_filter(y, h, threshold=1e-3, boundary="wrap")
    >>> bool(np.abs(restored - x).mean() < np.abs(y - x).mean())
    True
    """
    return Deconvolver(psf, method="inverse", threshold=threshold, boundary=boundary,
                       pad_width=pad_width, channel_axis=channel_axis)(image)


@_doc
def wiener(image, psf, *, nsr=None, noise_sigma=None, boundary="symmetric", pad_width=None,
           channel_axis=-1, return_info=False):
    """Wiener deconvolution with a scalar or per-frequency noise-to-signal ratio.

    Parameters
    ----------
    image : (M, N[, C]) array_like
        Blurred, noisy image.
    psf : (kh, kw) array_like
        PSF (finite, non-negative, positive sum; normalised here), no larger than the image.
    nsr : float, ndarray or callable, optional
        Noise-to-signal power ratio :math:`\\mathrm{NSR} \\ge 0`: a number; an array that
        broadcasts to the working half spectrum ``(P, Q // 2 + 1)`` (with ``boundary="wrap"``
        that is ``(M, N // 2 + 1)``); or a callable ``nsr(fy, fx)`` of the frequency grids in
        cycles per pixel (``fy`` of shape ``(P, 1)``, ``fx`` of shape ``(1, Q // 2 + 1)``)
        returning such an array.  ``None`` (default): **estimated from the image**, per
        frequency: the noise sigma is measured by the wavelet MAD estimator
        (:func:`estimate_noise_sigma`, or taken from ``noise_sigma``), the signal power
        spectrum is modelled as a power law :math:`S_x(f) = A |f|^{\\beta}` fitted to
        :math:`(|Y|^2 - n\\sigma^2) / |H|^2` (radially averaged where :math:`|H|^2 > 0.3`), and
        :math:`\\mathrm{NSR}(f) = n\\sigma^2 / S_x(f)`, floored at 1e-6.  If too little of the
        spectrum is usable, a scalar NSR is chosen by the discrepancy principle instead.
        ``return_info=True`` reports the sigma, the fitted ``(A, beta)`` and the method.
    noise_sigma : float, optional
        Known noise standard deviation (image units) for the automatic NSR.
{shared}
    return_info : bool, optional
        Also return a dict with the NSR used (per channel), the estimated noise sigma and the
        working shape.

    Returns
    -------
    restored : (M, N[, C]) ndarray
        float32 for float16/float32 input, float64 otherwise.
    info : dict
        Only with ``return_info=True``.

    Notes
    -----
    .. math:: \\hat X(f) = \\frac{\\overline{H(f)}}{|H(f)|^2 + \\mathrm{NSR}(f)}\\, Y(f)

    minimises the expected squared error when :math:`\\mathrm{NSR}(f) = n\\sigma^2 / S_x(f)`
    (:math:`S_x(f) = E|X(f)|^2` the signal power spectrum, :math:`n = MN`; natural images
    have :math:`S_x \\propto |f|^{\\beta}` with :math:`\\beta \\approx -2`, which is what the
    automatic choice fits).  A scalar NSR is Tikhonov regularisation with the identity.  The
    fallback scalar choice solves :math:`\\frac{1}{n}\\|y - h * \\hat x\\|^2 = \\hat\\sigma^2`.
    Unlike ``skimage.restoration.wiener`` (whose ``balance`` weights a Laplacian
    regulariser, which is :func:`tikhonov` here), this is the textbook Wiener filter.

    References
    ----------
    .. [1] N. Wiener, *Extrapolation, Interpolation, and Smoothing of Stationary Time Series*,
       MIT Press, 1949.
    .. [2] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 5.8.
    .. [3] V. A. Morozov, "On the solution of functional equations by the method of
       regularization", Soviet Math. Dokl. 7, 414-417, 1966 (discrepancy principle).

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from scipy import ndimage
    >>> from classicsr import psf
    >>> from classicsr.deconvolution import wiener
    >>> x = data.camera()[::2, ::2] / 255.0
    >>> h = psf.gaussian(1.5)
    >>> y = ndimage.convolve(x, h, mode="reflect")
    >>> y = y + np.random.default_rng(0).normal(0, 0.01, y.shape)
    >>> restored, info = wiener(y, h, return_info=True)
    >>> bool(np.mean((restored - x) ** 2) < np.mean((y - x) ** 2))
    True
    >>> info["nsr"], info["nsr_method"], round(float(info["noise_sigma"]), 3)
    ('per-frequency', 'power-law', 0.01)
    """
    return_info = check_bool("return_info", return_info)
    engine = Deconvolver(psf, method="wiener", nsr=nsr, noise_sigma=noise_sigma, boundary=boundary,
                         pad_width=pad_width, channel_axis=channel_axis)
    out = engine(image)
    return (out, engine.info) if return_info else out


@_doc
def tikhonov(image, psf, *, lam=None, regularizer="laplacian", lam_method="power-law", noise_sigma=None,
             boundary="symmetric", pad_width=None, channel_axis=-1, return_info=False):
    """Tikhonov-regularised (constrained least squares) deconvolution, MATLAB ``deconvreg``-style.

    Parameters
    ----------
    image : (M, N[, C]) array_like
        Blurred, noisy image.
    psf : (kh, kw) array_like
        PSF (finite, non-negative, positive sum; normalised here), no larger than the image.
    lam : float, optional
        Regularisation weight :math:`\\lambda \\ge 0`.  ``None`` (default): chosen from the data
        by ``lam_method``.
    regularizer : {"laplacian", "identity", "gradient"} or (kh, kw) array_like, optional
        The operator :math:`l`: the 5-point Laplacian ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``
        (MATLAB's default), the identity (a scalar-NSR Wiener filter), the gradient
        (:math:`|L|^2 = 4\\sin^2 \\pi f_y + 4\\sin^2 \\pi f_x`), or a small kernel of your own.
    lam_method : {"power-law", "gcv", "discrepancy"}, optional
        Automatic choice.  ``"power-law"`` (default): the lambda minimising the expected
        squared error of the restored image when the signal power spectrum is the power law
        :math:`S_x(f) = A|f|^\\beta` fitted to the data and the noise sigma is estimated (see
        :func:`wiener`).  ``"gcv"``: generalised cross-validation (needs no noise level).
        ``"discrepancy"``: the discrepancy principle (MATLAB ``deconvreg`` with
        ``NOISEPOWER``).
    noise_sigma : float, optional
        Known noise standard deviation for ``lam_method="power-law"`` or ``"discrepancy"``
        (default: estimated by :func:`estimate_noise_sigma`).
{shared}
    return_info : bool, optional
        Also return a dict with the lambda used (per channel) and how it was chosen.

    Returns
    -------
    restored : (M, N[, C]) ndarray
        float32 for float16/float32 input, float64 otherwise.
    info : dict
        Only with ``return_info=True``.

    Notes
    -----
    Minimising :math:`\\|y - h * x\\|^2 + \\lambda \\|l * x\\|^2` over periodic images gives

    .. math:: \\hat X = \\frac{\\overline H\\, Y}{|H|^2 + \\lambda |L|^2}.

    With :math:`a(f) = |H|^2 / (|H|^2 + \\lambda |L|^2)` (the eigenvalues of the influence
    matrix) and :math:`G = \\bar H / (|H|^2 + \\lambda |L|^2)`, the power-law rule minimises
    :math:`\\sum_f |1 - a(f)|^2 S_x(f) + |G(f)|^2 n\\sigma^2` (the expected error under the
    model), GCV minimises
    :math:`V(\\lambda) = \\frac{\\frac1n \\sum_f |1 - a(f)|^2 |Y(f)|^2 / n}{(1 - \\frac1n \\sum_f a(f))^2}`
    and the discrepancy principle solves
    :math:`\\frac{1}{n^2} \\sum_f |1 - a(f)|^2 |Y(f)|^2 = \\sigma^2`; both are O(n) per
    :math:`\\lambda` in the Fourier domain (log-grid search, then golden section / bisection),
    over :math:`10^{-6} \\le \\lambda \\le 10^{3}`: noise-free data get the lower end, which caps
    the filter gain :math:`1 / (2\\sqrt\\lambda)` at 500.

    References
    ----------
    .. [1] G. H. Golub, M. Heath and G. Wahba, "Generalized cross-validation as a method for
       choosing a good ridge parameter", Technometrics 21(2), 215-223, 1979.
    .. [2] P. C. Hansen, J. G. Nagy and D. P. O'Leary, *Deblurring Images: Matrices, Spectra,
       and Filtering*, SIAM, 2006, ch. 6.
    .. [3] MathWorks, ``deconvreg`` documentation.
    .. [4] D. J. Field, "Relations between the statistics of natural images and the response
       properties of cortical cells", JOSA A 4(12), 1987 (power-law spectra of natural images).

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from scipy import ndimage
    >>> from classicsr import psf
    >>> from classicsr.deconvolution import tikhonov
    >>> x = data.camera()[::2, ::2] / 255.0
    >>> h = psf.gaussian(1.5)
    >>> y = ndimage.convolve(x, h, mode="reflect")
    >>> y = y + np.random.default_rng(0).normal(0, 0.01, y.shape)
    >>> restored = tikhonov(y, h)
    >>> bool(np.mean((restored - x) ** 2) < np.mean((y - x) ** 2))
    True
    """
    return_info = check_bool("return_info", return_info)
    engine = Deconvolver(psf, method="tikhonov", lam=lam, regularizer=regularizer, lam_method=lam_method,
                         noise_sigma=noise_sigma, boundary=boundary, pad_width=pad_width,
                         channel_axis=channel_axis)
    out = engine(image)
    return (out, engine.info) if return_info else out


@_doc
def richardson_lucy(image, psf, *, iterations=30, damping=0.0, callback=None, boundary="symmetric",
                    pad_width=None, channel_axis=-1):
    """Richardson-Lucy deconvolution, FFT-based, with optional damping.

    Parameters
    ----------
    image : (M, N[, C]) array_like
        Blurred image; negative values (noise) are clipped to 0, since RL models Poisson
        counts.
    psf : (kh, kw) array_like
        PSF (finite, non-negative, positive sum; normalised here), no larger than the image.
    iterations : int, optional
        Number of iterations (default 30; 0 returns the clipped input).
    damping : float, optional
        MATLAB ``deconvlucy``'s ``DAMPAR`` (image units, >= 0): pixels whose re-blurred value
        is within about ``damping`` of the observation (in the Poisson deviance sense) stop
        being updated, which suppresses noise amplification.  0 (default): plain RL.
    callback : callable, optional
        ``callback(iteration, estimate)`` after every iteration (``iteration`` counts from 1;
        ``estimate`` is the current restored image, cropped, same layout as the input); a
        true return value (``True``, ``np.True_``, ...) stops early.
{shared}

    Returns
    -------
    (M, N[, C]) ndarray
        Non-negative; float32 for float16/float32 input, float64 otherwise.

    Notes
    -----
    Starting from the observation :math:`x_0 = \\max(y, 0)`,

    .. math:: x_{k+1} = x_k \\cdot \\left(h^T * \\frac{y}{h * x_k}\\right),

    where :math:`h^T` is the adjoint (correlation) and the ratio is 0 where :math:`h * x_k`
    vanishes (no NaN on zero regions).  Both convolutions use the cached OTF: four real FFTs
    per iteration.  The multiplicative update keeps the estimate non-negative and, for a
    normalised PSF, preserves the total flux.  With damping the ratio becomes
    :math:`1 + G(u)(y / b - 1)`, :math:`u = \\min(1, (y \\ln(y/b) + b - y) / (d^2/2))`,
    :math:`G(u) = u^9 (10 - 9 u)` (White's damped RL as in MATLAB).

    References
    ----------
    .. [1] W. H. Richardson, "Bayesian-based iterative method of image restoration",
       JOSA 62(1), 55-59, 1972.
    .. [2] L. B. Lucy, "An iterative technique for the rectification of observed
       distributions", Astronomical Journal 79, 745-754, 1974.
    .. [3] R. L. White, "Image restoration using the damped Richardson-Lucy method",
       Proc. SPIE 2198, 1994.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from scipy import ndimage
    >>> from classicsr import psf
    >>> from classicsr.deconvolution import richardson_lucy
    >>> x = data.camera()[::2, ::2] / 255.0
    >>> h = psf.gaussian(1.5)
    >>> y = ndimage.convolve(x, h, mode="reflect")
    >>> restored = richardson_lucy(y, h, iterations=20)
    >>> bool(np.mean((restored - x) ** 2) < np.mean((y - x) ** 2))
    True
    """
    return Deconvolver(psf, method="richardson_lucy", iterations=iterations, damping=damping,
                       callback=callback, boundary=boundary, pad_width=pad_width,
                       channel_axis=channel_axis)(image)


def _taper_weights(h, m, n):
    """MATLAB edgetaper's alpha factors (rows, cols) for a (m, n) image."""
    alphas = []
    for ax, length in ((1, m), (0, n)):
        proj = h.sum(axis=ax)
        z = np.fft.ifft(np.abs(np.fft.fft(proj, length - 1)) ** 2).real
        z = np.append(z, z[0]) / z.max()
        alphas.append(1.0 - z)
    return alphas


def _taper_seams(padded, h, alphas):
    """edgetaper ``padded`` in place, computing the blurred image only in the border bands
    where the taper weight is below 1 (strips across the wrap-around seam, blurred by FFT)."""
    p, q = padded.shape
    ar, ac = alphas
    kh, kw = h.shape
    hh = h.astype(padded.dtype)
    wr = min(kh, p // 2)
    wc = min(kw, q // 2)
    rows = np.arange(-wr, wr) % p
    cols = np.arange(-wc, wc) % q
    strip_r = padded[np.arange(-wr - kh, wr + kh) % p]
    blur_r = _fft.fftconvolve_periodic(strip_r, hh)[kh: kh + 2 * wr]
    strip_c = np.ascontiguousarray(padded[:, np.arange(-wc - kw, wc + kw) % q])
    blur_c = _fft.fftconvolve_periodic(strip_c, hh)[:, kw: kw + 2 * wc]
    orig_r = padded[rows].copy()
    a_c = ar[:, None] * ac[None, cols]
    padded[:, cols] = a_c * padded[:, cols] + (1 - a_c) * blur_c
    a_r = ar[rows, None] * ac[None, :]
    padded[rows] = a_r * orig_r + (1 - a_r) * blur_r


def _edgetaper_2d(channel, h, dtype):
    """edgetaper of one (m, n) channel; returns a new contiguous array of ``dtype``."""
    from ._kernels.convolve import blend

    m, n = channel.shape
    ar, ac = (np.ascontiguousarray(a, dtype=dtype) for a in _taper_weights(h, m, n))
    src = np.ascontiguousarray(channel, dtype=dtype)
    blurred = _fft.fftconvolve_periodic(src, h.astype(dtype))
    out = np.empty((m, n), dtype)
    blend(ar, ac, src, blurred, out)
    return out


def edgetaper(image, psf, *, channel_axis=-1):
    """Blend an image's borders into a blurred copy so it is nearly periodic (MATLAB ``edgetaper``).

    Parameters
    ----------
    image : (M, N[, C]) array_like
        Image; the PSF must be smaller than it in both dimensions.
    psf : (kh, kw) array_like
        PSF (finite, non-negative, positive sum; normalised here).
    channel_axis : int, optional
        Channel axis of a 3-D image.

    Returns
    -------
    (M, N[, C]) ndarray
        float32 for float16/float32 input, float64 otherwise.

    Notes
    -----
    Following MATLAB: for each axis, the PSF is summed onto that axis, its circular
    autocorrelation :math:`z` is taken over ``M - 1`` (resp. ``N - 1``) samples and
    normalised to a peak of 1, and the first value is appended so both ends are 1;
    :math:`\\alpha = (1 - z_r)(1 - z_c)^T` is 0 at the border and 1 in the interior.  The result
    is :math:`\\alpha I + (1 - \\alpha) (h \\circledast I)` with :math:`h \\circledast I` the
    periodic convolution.  Deconvolving the tapered image with ``boundary="wrap"`` reduces the
    ringing a non-periodic image causes; padding (``boundary="symmetric"``) is usually better.

    References
    ----------
    .. [1] MathWorks, ``edgetaper`` documentation.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr import psf
    >>> from classicsr.deconvolution import edgetaper
    >>> x = np.linspace(0, 1, 64)[None, :] * np.ones((64, 1))   # a ramp: jumps when wrapped
    >>> t = edgetaper(x, psf.gaussian(2.0))
    >>> bool(abs(t[:, -1] - t[:, 0]).max() < abs(x[:, -1] - x[:, 0]).max())
    True
    """
    img, axis, dtype, work = _prepare_image(image, channel_axis)
    m, n, c = work.shape
    h = validate_psf(psf, "psf")
    if h.shape[0] >= m or h.shape[1] >= n:
        raise ValueError(f"psf of shape {h.shape} must be smaller than the image ({m}, {n}) in both "
                         f"dimensions for edgetaper")
    out = np.empty((m, n, c), dtype)
    for k in range(c):
        out[:, :, k] = _edgetaper_2d(work[:, :, k], h, dtype)
    return _finish(out, img, axis)
