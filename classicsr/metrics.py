"""Full-reference image-quality metrics of the SR evaluation protocol.

:func:`psnr` and :func:`ssim` are the two numbers every SR paper reports; both accept the
protocol's keywords ``crop_border`` (shave that many pixels from every border, the SR
literature shaves ``scale``) and ``y_channel`` (score the BT.601 luma of MATLAB's
``rgb2ycbcr``).  :func:`ms_ssim` and :func:`gmsd` are extras.

Conventions shared by every function here
-----------------------------------------
* ``reference`` and ``test`` must have the same shape and the same dtype (uint8, uint16,
  float16/32/64) and contain no NaN or infinity.
* ``data_range`` (the peak-to-peak range ``L`` of the pixel values) is inferred from the dtype
  for integer images: 255 for uint8, 65535 for uint16.  Floating-point images carry no range
  in their dtype, so ``data_range`` is **required** for them (1.0 for images on [0, 1]).
* 2-D images are grayscale.  3-D images have their channels along the keyword-only
  ``channel_axis`` (default -1).  With ``y_channel=False``, PSNR/MSE pool the squared error of
  all channels, while SSIM, MS-SSIM and GMSD are computed per channel and averaged.
* ``y_channel=True`` scores the Y channel of :func:`classicsr.color.rgb_to_y`.  uint8 Y is
  rounded to integers as in MATLAB's uint8 path; floating-point RGB must then be on [0, 1]
  (``data_range=1``).  Grayscale images (2-D, or one channel) are scored as they are.
* All arithmetic is float64 (the protocol's PSNR is defined in float64), whatever the input
  dtype; the results are Python floats.  The caller's arrays are never modified.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as V

__all__ = ["mse", "psnr", "ssim", "ms_ssim", "gmsd", "MS_SSIM_WEIGHTS"]

#: Per-scale exponents of MS-SSIM (Wang, Simoncelli and Bovik 2003, Table 1 fit).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

_INT_RANGE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}

_COMMON_PARAMS = """reference, test : (M, N) or (M, N, C) ndarray
        The ground truth and the image to score; same shape and dtype (uint8, uint16,
        float16, float32 or float64), finite values.
    data_range : float, optional, keyword-only
        Peak-to-peak range L of the pixel values.  Inferred for integer dtypes (255 for
        uint8, 65535 for uint16); required for floating-point images.
    crop_border : int, keyword-only
        Pixels shaved from every border before scoring (default 0; the SR protocol shaves
        ``scale``).
    y_channel : bool, keyword-only
        Score the BT.601 luma of :func:`classicsr.color.rgb_to_y` instead of the channels
        (default False).  Needs 3 channels (RGB) or a grayscale image.
    channel_axis : int, keyword-only
        Axis of the channels of a 3-D image (default -1); ignored for 2-D images."""


def _doc(func):
    func.__doc__ = func.__doc__.replace("{common}", _COMMON_PARAMS)
    return func


def _check_finite(name: str, array: np.ndarray) -> None:
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "infinite"
        count = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"{name} contains {count} {bad} value(s); metrics need finite pixel values")


def _prepare(reference, test, data_range, crop_border, y_channel, channel_axis,
             *, need_range: bool = True, split: bool = True):
    """Validate a pair; return (list of (ref_plane, test_plane) float64 2-D arrays, data_range).

    With ``split=False`` the list holds one pair of whole C-contiguous arrays (channels last)
    in their own dtype, for pooled statistics (MSE / PSNR).
    """
    from .color import rgb_to_y

    ref = V.as_image(reference, "reference")
    tst = V.as_image(test, "test")
    if ref.shape != tst.shape:
        raise ValueError(
            f"reference and test must have the same shape, got reference {ref.shape} and test {tst.shape}"
        )
    if ref.dtype.newbyteorder("=") != tst.dtype.newbyteorder("="):
        raise TypeError(
            f"reference and test must have the same dtype, got reference {ref.dtype.name} and "
            f"test {tst.dtype.name}; convert one of them first (e.g. quantise an SR output to "
            f"uint8 with np.clip(np.round(x), 0, 255).astype(np.uint8))"
        )
    _check_finite("reference", ref)
    _check_finite("test", tst)
    y_channel = V.check_bool("y_channel", y_channel)
    crop = V.check_int("crop_border", crop_border, minimum=0)
    dtype = ref.dtype.newbyteorder("=")

    if data_range is None:
        if need_range and dtype not in _INT_RANGE:
            raise ValueError(
                f"data_range is required for floating-point images (dtype {dtype.name}): the dtype "
                f"does not say whether values lie in [0, 1] or [0, 255]; pass data_range=1.0 or 255.0"
            )
        rng = _INT_RANGE.get(dtype, 1.0)
    else:
        rng = V.check_positive_number("data_range", data_range)

    axis = V.check_channel_axis(channel_axis, ref.ndim)
    if axis is not None:
        ref = np.moveaxis(ref, axis, -1)
        tst = np.moveaxis(tst, axis, -1)
        if ref.shape[-1] == 1:
            ref = ref[..., 0]
            tst = tst[..., 0]
    if y_channel and ref.ndim == 3:
        if ref.shape[-1] != 3:
            raise ValueError(
                f"y_channel=True needs an RGB image (3 channels along channel_axis) or a grayscale "
                f"image, got {ref.shape[-1]} channels"
                + ("; drop the alpha channel first" if ref.shape[-1] == 4 else "")
            )
        if dtype not in _INT_RANGE and need_range and rng != 1.0:
            raise ValueError(
                f"y_channel=True with floating-point images uses MATLAB's float convention "
                f"(RGB on [0, 1]), so data_range must be 1.0, got {rng!r}; scale the images to [0, 1] "
                f"or quantise them to uint8"
            )
        ref = rgb_to_y(ref, channel_axis=-1)
        tst = rgb_to_y(tst, channel_axis=-1)

    h, w = ref.shape[:2]
    if 2 * crop >= h or 2 * crop >= w:
        raise ValueError(
            f"crop_border={crop} removes the whole image of spatial size {h}x{w}; "
            f"it must be less than half of each side"
        )
    if crop:
        ref = ref[crop:h - crop, crop:w - crop]
        tst = tst[crop:h - crop, crop:w - crop]
    if not split:
        return [(V.native_contiguous(ref), V.native_contiguous(tst))], rng
    if ref.ndim == 2:
        pairs = [(ref, tst)]
    else:
        pairs = [(ref[..., c], tst[..., c]) for c in range(ref.shape[-1])]
    pairs = [(np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64))
             for a, b in pairs]
    return pairs, rng


def _mean_squared(a: np.ndarray, b: np.ndarray) -> float:
    from ._kernels.metrics import sum_squared_difference

    if a.dtype.kind == "f" and a.dtype != np.float64 and a.dtype != np.float32:
        a, b = a.astype(np.float32), b.astype(np.float32)  # float16: no Numba type
    return float(sum_squared_difference(a.reshape(-1), b.reshape(-1))) / a.size


@_doc
def mse(reference, test, *, crop_border: int = 0, y_channel: bool = False, channel_axis: int = -1) -> float:
    """Mean squared error between two images.

    Parameters
    ----------
    {common}

    Returns
    -------
    float
        :math:`\\frac{1}{n}\\sum (r_i - t_i)^2` over all pixels (and channels) left after
        cropping, in float64, on the images' own scale.  ``data_range`` is not needed (with
        ``y_channel=True``, floating-point RGB is taken on [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.metrics import mse
    >>> mse(np.zeros((4, 4), np.uint8), np.full((4, 4), 2, np.uint8))
    4.0
    """
    pairs, _ = _prepare(reference, test, None, crop_border, y_channel, channel_axis, need_range=False,
                        split=False)
    return _mean_squared(*pairs[0])


@_doc
def psnr(reference, test, *, data_range=None, crop_border: int = 0, y_channel: bool = False,
         channel_axis: int = -1) -> float:
    """Peak signal-to-noise ratio in dB.

    Parameters
    ----------
    {common}

    Returns
    -------
    float
        :math:`10 \\log_{10}(L^2 / \\mathrm{MSE})` with ``L = data_range`` and the MSE of
        :func:`mse` pooled over all channels.  Identical images have MSE 0 and give
        ``math.inf`` (not an error), which is also what a perfect reconstruction should report.

    Notes
    -----
    For the SR protocol, ``psnr(hr, sr, crop_border=scale, y_channel=True)`` on uint8 images
    is MATLAB's ``10*log10(255^2/mean((Y_hr - Y_sr).^2))`` on the rounded BT.601 luma with
    ``scale`` pixels shaved from each border.

    References
    ----------
    .. [1] Q. Huynh-Thu and M. Ghanbari, "Scope of validity of PSNR in image/video quality
           assessment", Electronics Letters 44(13), 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.metrics import psnr
    >>> a = np.zeros((8, 8), np.uint8); b = a.copy(); b[0, 0] = 255
    >>> round(psnr(a, b), 4)   # MSE = 255^2 / 64
    18.0618
    >>> psnr(a, a)
    inf
    """
    pairs, rng = _prepare(reference, test, data_range, crop_border, y_channel, channel_axis, split=False)
    err = _mean_squared(*pairs[0])
    if err == 0.0:
        return math.inf
    return 10.0 * math.log10(rng * rng / err)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """Normalised 1-D Gaussian window; its outer product is MATLAB's ``fspecial('gaussian')``."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


_WINDOW = gaussian_window(11, 1.5)
_K1 = 0.01
_K2 = 0.03


def _ssim_plane(a: np.ndarray, b: np.ndarray, rng: float, *, want_cs: bool = False):
    import numba

    from ._kernels.metrics import ssim_maps

    k = _WINDOW.shape[0]
    oh, ow = a.shape[0] - k + 1, a.shape[1] - k + 1
    smap = np.empty((oh, ow))
    cmap = np.empty((oh, ow) if want_cs else (1, 1))
    c1 = (_K1 * rng) ** 2
    c2 = (_K2 * rng) ** 2
    ssim_maps(a, b, _WINDOW, c1, c2, smap, cmap, want_cs, 4 * numba.get_num_threads())
    if want_cs:
        return float(smap.mean()), float(cmap.mean())
    return float(smap.mean())


def _check_min_side(pairs, minimum: int, what: str) -> None:
    h, w = pairs[0][0].shape
    if h < minimum or w < minimum:
        raise ValueError(
            f"{what} needs at least {minimum}x{minimum} pixels after crop_border, got {h}x{w}"
        )


@_doc
def ssim(reference, test, *, data_range=None, crop_border: int = 0, y_channel: bool = False,
         channel_axis: int = -1) -> float:
    """Structural similarity index (Wang et al. 2004), as the SR literature computes it.

    Parameters
    ----------
    {common}

    Returns
    -------
    float
        The mean of the SSIM map over the 'valid' region (no padding), averaged over the
        channels for colour images with ``y_channel=False``.  Identical images give 1.0.

    Notes
    -----
    With an 11x11 Gaussian window :math:`w` (sigma 1.5, normalised), local statistics
    :math:`\\mu_x = w * x`, :math:`\\sigma_x^2 = w * x^2 - \\mu_x^2` (population, not sample,
    variance), :math:`\\sigma_{xy} = w * (xy) - \\mu_x \\mu_y`, and
    :math:`C_1 = (0.01 L)^2`, :math:`C_2 = (0.03 L)^2`:

    .. math::

        \\mathrm{SSIM}(x, y) = \\frac{(2\\mu_x\\mu_y + C_1)(2\\sigma_{xy} + C_2)}
                                     {(\\mu_x^2 + \\mu_y^2 + C_1)(\\sigma_x^2 + \\sigma_y^2 + C_2)}

    averaged over every window position that lies fully inside the image.  This equals
    ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=L)`` (whose default 7x7 uniform window and sample
    covariance differ from the paper) and Wang's reference ``ssim_index.m``.  The five
    filterings and the formula are fused in one Numba kernel; the sums are float64.
    Each side must be at least 11 pixels after cropping.

    References
    ----------
    .. [1] Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment:
           from error visibility to structural similarity", IEEE Trans. Image Processing
           13(4):600-612, 2004. :doi:`10.1109/TIP.2003.819861`

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.metrics import ssim
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 256, (32, 32), dtype=np.uint8)
    >>> ssim(a, a)
    1.0
    >>> b = np.clip(a.astype(int) + rng.integers(-20, 21, a.shape), 0, 255).astype(np.uint8)
    >>> 0.0 < ssim(a, b) < 1.0
    True
    """
    pairs, rng = _prepare(reference, test, data_range, crop_border, y_channel, channel_axis)
    _check_min_side(pairs, _WINDOW.shape[0], "ssim")
    values = [_ssim_plane(a, b, rng) for a, b in pairs]
    return float(np.mean(values))


def _halve(image: np.ndarray) -> np.ndarray:
    """2x2 block average, then every second sample (MATLAB ``imfilter(.., ones(2)/4,
    'symmetric')`` then ``(1:2:end, 1:2:end)``): an odd last row/column is repeated."""
    h, w = image.shape
    padded = np.pad(image, ((0, h % 2), (0, w % 2)), mode="edge")
    return 0.25 * (padded[0::2, 0::2] + padded[1::2, 0::2] + padded[0::2, 1::2] + padded[1::2, 1::2])


@_doc
def ms_ssim(reference, test, *, data_range=None, crop_border: int = 0, y_channel: bool = False,
            channel_axis: int = -1, weights=MS_SSIM_WEIGHTS) -> float:
    """Multi-scale SSIM (Wang, Simoncelli and Bovik 2003).

    Parameters
    ----------
    {common}
    weights : sequence of float, keyword-only
        Exponents per scale, finest first (default :data:`MS_SSIM_WEIGHTS`, 5 scales).

    Returns
    -------
    float
        :math:`\\prod_{j<M} c_j^{\\beta_j} \\cdot s_M^{\\beta_M}` averaged over channels.

    Notes
    -----
    At each scale :math:`j` the contrast-structure term :math:`c_j` (the mean of
    :math:`(2\\sigma_{xy}+C_2)/(\\sigma_x^2+\\sigma_y^2+C_2)`) is computed with the SSIM window
    of :func:`ssim`; at the coarsest scale the full SSIM :math:`s_M` is used.  Between scales
    the images are averaged over 2x2 blocks and subsampled by 2 (Wang's ``msssim.m``).  A
    negative :math:`c_j` raised to a fractional power is undefined; it is clipped at 0 (the
    score is then 0).  Each side must be at least ``11 * 2**(M-1)`` pixels after cropping
    (176 for 5 scales).

    References
    ----------
    .. [1] Z. Wang, E. P. Simoncelli and A. C. Bovik, "Multiscale structural similarity for
           image quality assessment", Proc. 37th Asilomar Conference on Signals, Systems and
           Computers, 2003. :doi:`10.1109/ACSSC.2003.1292216`

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.metrics import ms_ssim
    >>> a = np.random.default_rng(0).integers(0, 256, (176, 176), dtype=np.uint8)
    >>> ms_ssim(a, a)
    1.0
    """
    pairs, rng = _prepare(reference, test, data_range, crop_border, y_channel, channel_axis)
    if (isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__")
            or (isinstance(weights, np.ndarray) and weights.ndim != 1)):
        shape = f" of shape {weights.shape}" if isinstance(weights, np.ndarray) else ""
        raise TypeError(f"weights must be a sequence of numbers, got "
                        f"{type(weights).__name__}{shape}")
    betas = [V.check_positive_number(f"weights[{i}]", b, allow_zero=True) for i, b in enumerate(weights)]
    if not betas:
        raise ValueError("weights must contain at least one number, got an empty sequence")
    levels = len(betas)
    _check_min_side(pairs, _WINDOW.shape[0] * 2 ** (levels - 1), f"ms_ssim with {levels} scales")
    scores = []
    for a, b in pairs:
        value = 1.0
        for j, beta in enumerate(betas):
            if j == levels - 1:
                s = _ssim_plane(a, b, rng)
                value *= max(s, 0.0) ** beta
            else:
                _, cs = _ssim_plane(a, b, rng, want_cs=True)
                value *= max(cs, 0.0) ** beta
                a = _halve(a)
                b = _halve(b)
        scores.append(value)
    return float(np.mean(scores))


def _gmsd_plane(a: np.ndarray, b: np.ndarray, t: float) -> float:
    from scipy import ndimage

    def down(img):
        # MATLAB conv2(img, ones(2)/4, 'same') then (1:2:end, 1:2:end): zero beyond the end.
        h, w = img.shape
        p = np.pad(img, ((0, h % 2), (0, w % 2)))
        return 0.25 * (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2])

    prewitt = np.array([[1.0, 0.0, -1.0]] * 3) / 3.0

    def magnitude(img):
        gx = ndimage.correlate(img, prewitt, mode="constant")
        gy = ndimage.correlate(img, prewitt.T, mode="constant")
        return np.sqrt(gx * gx + gy * gy)

    g1 = magnitude(down(a))
    g2 = magnitude(down(b))
    quality = (2.0 * g1 * g2 + t) / (g1 * g1 + g2 * g2 + t)
    return float(np.std(quality, ddof=1))


@_doc
def gmsd(reference, test, *, data_range=None, crop_border: int = 0, y_channel: bool = False,
         channel_axis: int = -1) -> float:
    """Gradient magnitude similarity deviation (Xue et al. 2014); lower is better, 0 if equal.

    Parameters
    ----------
    {common}

    Returns
    -------
    float
        The (sample) standard deviation of the gradient-magnitude-similarity map, averaged
        over channels for colour images with ``y_channel=False``.

    Notes
    -----
    Both images are averaged over 2x2 blocks and subsampled by 2, then Prewitt gradients
    :math:`m = \\sqrt{(h_x * x)^2 + (h_y * x)^2}` (zero padding, ``h_x = [1, 0, -1] / 3``
    replicated over 3 rows) give the map
    :math:`\\mathrm{GMS} = (2 m_r m_t + T) / (m_r^2 + m_t^2 + T)` with
    :math:`T = 170 (L / 255)^2`; GMSD is its standard deviation (the authors' ``GMSD.m``).

    References
    ----------
    .. [1] W. Xue, L. Zhang, X. Mou and A. C. Bovik, "Gradient magnitude similarity deviation:
           a highly efficient perceptual image quality index", IEEE Trans. Image Processing
           23(2):684-695, 2014. :doi:`10.1109/TIP.2013.2293423`

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.metrics import gmsd
    >>> a = np.random.default_rng(0).integers(0, 256, (32, 32), dtype=np.uint8)
    >>> gmsd(a, a)
    0.0
    """
    pairs, rng = _prepare(reference, test, data_range, crop_border, y_channel, channel_axis)
    h, w = pairs[0][0].shape
    if ((h + 1) // 2) * ((w + 1) // 2) < 2:  # the 2x2-averaged map needs two values
        raise ValueError(f"gmsd needs an image of at least 3 pixels along one side after "
                         f"crop_border (two values in its 2x2-averaged map), got {h}x{w}")
    t = 170.0 * (rng / 255.0) ** 2
    return float(np.mean([_gmsd_plane(a, b, t) for a, b in pairs]))
