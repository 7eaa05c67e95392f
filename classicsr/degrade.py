"""Degradations that turn a high-resolution image into a low-resolution test input.

* :func:`modcrop` and :func:`downsample` (and :func:`make_lr` for both) build the HR/LR pairs
  of the SR benchmarks: MATLAB ``imresize`` bicubic by default, or bilinear, nearest,
  box/area, Lanczos, or Gaussian blur followed by decimation.  The resampling kernels are
  :func:`classicsr.resize`; the Gaussian "blur + decimate" degradation is the ``D B`` operator
  of the multi-frame model (:class:`classicsr.operators.Blur`, :class:`classicsr.operators.Decimate`
  and :func:`classicsr.psf.gaussian`), not a second implementation.
* :func:`gaussian_noise`, :func:`poisson_noise` and :func:`jpeg` add seeded noise and JPEG
  re-compression.
* :func:`dihedral`, :func:`dihedral_inverse` and :func:`self_ensemble` implement the geometric
  self-ensemble ("x8") of the SR literature around any ``lr -> sr`` callable.

Integer images keep their dtype: every result is rounded half away from zero and saturated
(``downsample`` with the resampling kernels rounds after each 1-D pass, as MATLAB does).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from . import _validate as V

__all__ = [
    "modcrop",
    "downsample",
    "make_lr",
    "DOWNSAMPLE_KERNELS",
    "gaussian_noise",
    "poisson_noise",
    "jpeg",
    "dihedral",
    "dihedral_inverse",
    "self_ensemble",
]

#: Kernels accepted by :func:`downsample`: the resize methods, ``"area"`` (alias of ``"box"``)
#: and ``"gaussian"`` (blur + decimation).
DOWNSAMPLE_KERNELS = ("bicubic", "bilinear", "nearest", "box", "area", "lanczos2", "lanczos3", "gaussian")

_INT_MAX = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def _spatial_axes(ndim: int, channel_axis) -> tuple[int, int]:
    axis = V.check_channel_axis(channel_axis, ndim)
    if axis is None:
        return (0, 1)
    rest = [a for a in range(ndim) if a != axis]
    return (rest[0], rest[1])


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float results back to ``dtype`` (native byte order): integers rounded half away from zero
    and saturated."""
    dtype = np.dtype(dtype).newbyteorder("=")
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        out = V.round_half_away(np.asarray(values, dtype=np.float64))
        np.clip(out, info.min, info.max, out=out)
        return out.astype(dtype)
    return values.astype(V.supported_float_type(dtype), copy=False)


def _check_scale(scale) -> int:
    return V.check_int("scale", scale, minimum=1)


def modcrop(image, scale, *, channel_axis: int | None = -1) -> np.ndarray:
    """Crop an image so both spatial sides are multiples of ``scale``, anchored top-left.

    Parameters
    ----------
    image : (M, N) or (M, N, C) ndarray
        Any dtype.
    scale : int
        The SR scale factor (>= 1).
    channel_axis : int or None, keyword-only
        Axis of the channels of a 3-D image (default -1); ignored for 2-D images.

    Returns
    -------
    cropped : ndarray
        ``image[:M - M % scale, :N - N % scale]`` (a view; the caller's array is not copied,
        nor modified).

    Notes
    -----
    This is the convention of the benchmark LR files (``HR[:H - H % s, :W - W % s]``), so an SR
    output for ``LR_bicubic/Xs`` must be compared with ``modcrop(HR, s)``.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import modcrop
    >>> modcrop(np.zeros((10, 7, 3)), 3).shape
    (9, 6, 3)
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got a {array.ndim}-D array of shape {array.shape}")
    s = _check_scale(scale)
    ra, ca = _spatial_axes(array.ndim, channel_axis)
    h, w = array.shape[ra], array.shape[ca]
    if h < s or w < s:
        raise ValueError(f"image of spatial size {h}x{w} is smaller than scale={s}")
    index = [slice(None)] * array.ndim
    index[ra] = slice(0, h - h % s)
    index[ca] = slice(0, w - w % s)
    return array[tuple(index)]


def downsample(hr, scale, *, kernel: str = "bicubic", boundary: str = "replicate",
               channel_axis: int | None = -1, sigma=None, antialias: bool = True,
               round_each_pass: bool | None = None) -> np.ndarray:
    """Downsample an HR image by an integer factor: the LR image of the SR benchmarks.

    Parameters
    ----------
    hr : (M, N) or (M, N, C) ndarray
        uint8, uint16, float16, float32 or float64; M and N must be multiples of ``scale``
        (use :func:`modcrop` or :func:`make_lr`).
    scale : int
        Integer factor (>= 1).
    kernel : str, keyword-only
        ``"bicubic"`` (MATLAB ``imresize``, Keys a = -0.5, antialiased; the default),
        ``"bilinear"``, ``"nearest"``, ``"box"`` (MATLAB's box kernel: the mean of each
        s x s block, integer images rounded after each 1-D pass as MATLAB does), ``"area"``
        (the mean of each s x s block, integer images rounded once: OpenCV's ``INTER_AREA``
        for integer factors), ``"lanczos2"``, ``"lanczos3"``, or ``"gaussian"``: convolve with
        ``classicsr.psf.gaussian(sigma)`` then keep every ``scale``-th pixel starting at (0, 0).
    boundary : str, keyword-only
        Boundary rule of the resampler (``from classicsr.resize import BOUNDARIES``) or of the blur
        (those, and the aliases ``"zero"`` for ``"constant"`` and ``"periodic"`` for
        ``"wrap"``).  Default ``"replicate"``: the rule of the MATLAB release that made the
        standard ``LR_bicubic`` benchmark files (current MATLAB uses ``"symmetric"``).
    channel_axis : int or None, keyword-only
        Axis of the channels of a 3-D image (default -1).
    sigma : float, keyword-only
        Standard deviation in HR pixels of the Gaussian PSF; required for ``kernel="gaussian"``
        and not allowed otherwise.
    antialias : bool, keyword-only
        Passed to :func:`classicsr.resize` (default True, MATLAB's behaviour); not used by
        ``kernel="gaussian"``, which refuses False.
    round_each_pass : bool or None, keyword-only
        Passed to :func:`classicsr.resize`.  None (default) means True (MATLAB) for every
        resampling kernel except ``"area"``, which rounds once; not used by
        ``kernel="gaussian"``, which refuses anything but None.

    Returns
    -------
    lr : (M // scale, N // scale[, C]) ndarray
        Same dtype as ``hr`` (float16 gives float32); integers rounded half away from zero and
        saturated.

    Notes
    -----
    The resampling kernels call :func:`classicsr.resize` with ``scale=1/scale``; with the
    defaults this reproduces the benchmark ``LR_bicubic`` files bit for bit.  The Gaussian
    degradation is :math:`y = D B x` with :class:`classicsr.operators.Blur` (boundary rule as
    given) and :class:`classicsr.operators.Decimate` (point sampling, phase 0), i.e. the
    "BD" degradation of Zhang et al. (2018).

    References
    ----------
    .. [1] K. Zhang, W. Zuo and L. Zhang, "Learning a single convolutional super-resolution
           network for multiple degradations", CVPR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import downsample
    >>> hr = np.arange(64, dtype=np.float64).reshape(8, 8)
    >>> bool(downsample(hr, 2, kernel="box")[0, 0] == hr[:2, :2].mean())
    True
    >>> u = np.array([[0, 1], [0, 0]], np.uint8)     # block mean 0.25
    >>> int(downsample(u, 2, kernel="area")[0, 0]), int(downsample(u, 2, kernel="box")[0, 0])
    (0, 1)
    >>> downsample(np.zeros((12, 12, 3), np.uint8), 4).shape
    (3, 3, 3)
    """
    from .resize import resize

    array = V.as_image(hr, "hr")
    s = _check_scale(scale)
    name = V.check_choice("kernel", kernel, DOWNSAMPLE_KERNELS)
    ra, ca = _spatial_axes(array.ndim, channel_axis)
    h, w = array.shape[ra], array.shape[ca]
    if h % s or w % s:
        raise ValueError(
            f"hr of spatial size {h}x{w} is not a multiple of scale={s}; crop it first with "
            f"classicsr.degrade.modcrop(hr, {s}) (or use make_lr, which does both)"
        )
    antialias = V.check_bool("antialias", antialias)
    if round_each_pass is not None:
        round_each_pass = V.check_bool("round_each_pass", round_each_pass)
    if name == "gaussian":
        from .operators import BOUNDARIES as BLUR_BOUNDARIES

        if sigma is None:
            raise ValueError("kernel='gaussian' needs sigma (the PSF's standard deviation in HR pixels)")
        sigma = V.check_positive_number("sigma", sigma)
        if not antialias or round_each_pass is not None:
            raise ValueError(f"antialias and round_each_pass apply to the resampling kernels, not "
                             f"kernel='gaussian' (blur, then decimate); got antialias={antialias}, "
                             f"round_each_pass={round_each_pass}")
        boundary = V.check_choice("boundary", boundary, BLUR_BOUNDARIES)
        return _blur_decimate(array, s, sigma, boundary, ra, ca)
    if sigma is not None:
        raise ValueError(f"sigma is only used with kernel='gaussian', got kernel={kernel!r} and sigma={sigma!r}")
    from .resize import BOUNDARIES

    boundary = V.check_choice("boundary", boundary, BOUNDARIES)
    if round_each_pass is None:
        round_each_pass = name != "area"
    if s == 1:  # a native-byte-order copy, float16 as float32 (the dtype rule)
        return np.array(array, dtype=V.keep_dtype(array.dtype), copy=True)
    method = "box" if name == "area" else name
    # scale = 1/s exactly as MATLAB's imresize(hr, 1/s) (ceil(n * (1/s)) == n / s for every
    # multiple n of s, so the output shape is (h / s, w / s)).
    return resize(array, 1.0 / s, method=method, antialias=antialias, boundary=boundary,
                  channel_axis=channel_axis, round_each_pass=round_each_pass)


def _blur_decimate(array: np.ndarray, s: int, sigma: float, boundary: str, ra: int, ca: int) -> np.ndarray:
    from .operators import Blur, Decimate
    from .psf import gaussian

    spatial_last = np.moveaxis(array, (ra, ca), (0, 1))  # (H, W[, C])
    shape = spatial_last.shape[:2]
    blur = Blur(shape, gaussian(sigma), boundary=boundary)
    decimate = Decimate(shape, s)
    low = decimate.forward(blur.forward(spatial_last))
    low = np.moveaxis(low, (0, 1), (ra, ca))
    return _to_dtype(low, array.dtype)


def make_lr(hr, scale, *, channel_axis: int | None = -1, **downsample_kwargs):
    """The benchmark HR/LR pair: ``(modcrop(hr, scale), downsample(modcrop(hr, scale), scale))``.

    Parameters
    ----------
    hr : (M, N) or (M, N, C) ndarray
    scale : int
    channel_axis : int or None, keyword-only
    **downsample_kwargs
        ``kernel``, ``boundary``, ``sigma``, ... of :func:`downsample`.

    Returns
    -------
    hr_cropped : ndarray
        The mod-cropped HR image (a view of ``hr``): the reference to score SR outputs against.
    lr : ndarray
        Its downsampled version.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import make_lr
    >>> hr, lr = make_lr(np.zeros((10, 11, 3), np.uint8), 3)
    >>> hr.shape, lr.shape
    ((9, 9, 3), (3, 3, 3))
    """
    cropped = modcrop(hr, scale, channel_axis=channel_axis)
    return cropped, downsample(cropped, scale, channel_axis=channel_axis, **downsample_kwargs)


#: The largest mean numpy's Poisson sampler accepts (``INT64_MAX - 10 sqrt(INT64_MAX)``).
_POISSON_LAM_MAX = 9.223372006484771e18


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be None, a non-negative integer, a numpy.random.SeedSequence or a "
                    f"numpy.random.Generator, got {type(seed).__name__} {seed!r}")


def gaussian_noise(image, sigma, *, seed=None) -> np.ndarray:
    """Add white Gaussian noise of standard deviation ``sigma`` (in the image's own units).

    Parameters
    ----------
    image : ndarray
        uint8, uint16, float16, float32 or float64, any shape (2-D or 3-D).
    sigma : float
        Noise standard deviation, e.g. 25 for uint8 images (grey levels) or 25/255 for float
        images on [0, 1]; >= 0.
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, keyword-only
        Seed for reproducible noise; ``None`` draws fresh entropy.

    Returns
    -------
    noisy : ndarray
        Same shape; integer images keep their dtype (rounded half away from zero, saturated),
        float images follow the dtype rule and are **not** clipped.

    Notes
    -----
    :math:`y = x + n`, :math:`n \\sim \\mathcal{N}(0, \\sigma^2)` i.i.d. per pixel and channel,
    drawn in float64 from ``numpy.random.default_rng(seed).standard_normal``.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import gaussian_noise
    >>> a = gaussian_noise(np.full((64, 64), 128, np.uint8), 5, seed=0)
    >>> b = gaussian_noise(np.full((64, 64), 128, np.uint8), 5, seed=0)
    >>> bool((a == b).all()), a.dtype
    (True, dtype('uint8'))
    """
    array = V.as_image(image, "image")
    sigma = V.check_positive_number("sigma", sigma, allow_zero=True)
    rng = _rng(seed)
    noisy = array.astype(np.float64) + sigma * rng.standard_normal(array.shape)
    return _to_dtype(noisy, array.dtype)


def poisson_noise(image, peak, *, data_range=None, seed=None) -> np.ndarray:
    """Shot (Poisson) noise: the image scaled to ``peak`` expected photons at full range.

    Parameters
    ----------
    image : ndarray
        uint8, uint16, float16, float32 or float64 with non-negative values.
    peak : float
        Photon count of a pixel at ``data_range`` (> 0); smaller is noisier.
    data_range : float, optional, keyword-only
        Value of full range; inferred for uint8 (255) and uint16 (65535), required for floats.
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, keyword-only

    Returns
    -------
    noisy : ndarray
        Same shape and dtype rule as :func:`gaussian_noise`.

    Notes
    -----
    :math:`y = \\frac{L}{p}\\,\\mathrm{Poisson}\\left(\\frac{p}{L} x\\right)` with
    :math:`L` = ``data_range`` and :math:`p` = ``peak``, so :math:`E[y] = x` and
    :math:`\\mathrm{Var}[y] = L x / p`.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import poisson_noise
    >>> poisson_noise(np.full((4, 4), 100, np.uint8), 50, seed=1).dtype
    dtype('uint8')
    """
    array = V.as_image(image, "image")
    peak = V.check_positive_number("peak", peak)
    dtype = array.dtype.newbyteorder("=")
    if data_range is None:
        if dtype not in _INT_MAX:
            raise ValueError(
                f"data_range is required for floating-point images (dtype {dtype.name}); "
                f"pass data_range=1.0 for images on [0, 1]"
            )
        data_range = float(_INT_MAX[dtype])
    data_range = V.check_positive_number("data_range", data_range)
    values = array.astype(np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("image must contain finite, non-negative values for Poisson noise")
    rng = _rng(seed)
    lam = values * (peak / data_range)
    if lam.size and lam.max() > _POISSON_LAM_MAX:
        raise ValueError(f"peak={peak!r} is too large: the expected counts reach {lam.max():.3g}, "
                         f"above numpy's Poisson limit of {_POISSON_LAM_MAX:.3g}; use a peak of "
                         f"at most {_POISSON_LAM_MAX * data_range / max(values.max(), 1e-300):.3g}")
    noisy = rng.poisson(lam) * (data_range / peak)
    return _to_dtype(noisy, array.dtype)


def jpeg(image, quality: int, *, channel_axis: int | None = -1) -> np.ndarray:
    """JPEG re-compression: encode at ``quality`` and decode again (Pillow / libjpeg).

    Parameters
    ----------
    image : (M, N) or (M, N, 3) ndarray
        uint8 (JPEG stores 8-bit samples); grayscale or RGB.
    quality : int
        libjpeg quality, 1 (worst) to 95 (Pillow's advised maximum) or 100.
    channel_axis : int or None, keyword-only
        Axis of the colour channels of a 3-D image (default -1).

    Returns
    -------
    decoded : ndarray
        Same shape, uint8.

    Notes
    -----
    Pillow's encoder defaults are used: baseline JPEG, standard IJG quantisation tables
    scaled by ``quality``, 4:2:0 chroma subsampling for RGB (4:4:4 at quality 100 is not
    forced).  The result depends on the libjpeg build only through rounding details.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import jpeg
    >>> jpeg(np.full((16, 16, 3), 200, np.uint8), 75).shape
    (16, 16, 3)
    """
    import io

    from PIL import Image

    array = V.as_image(image, "image", dtypes=(np.uint8,), allow_float16=False)
    quality = V.check_int("quality", quality, minimum=1, maximum=100)
    axis = V.check_channel_axis(channel_axis, array.ndim)
    moved = array if axis is None else np.moveaxis(array, axis, -1)
    if moved.ndim == 3 and moved.shape[-1] not in (1, 3):
        raise ValueError(
            f"jpeg needs a grayscale or RGB image, got {moved.shape[-1]} channels"
            + ("; drop the alpha channel first" if moved.shape[-1] == 4 else "")
        )
    squeeze = moved.ndim == 3 and moved.shape[-1] == 1
    plane = np.ascontiguousarray(moved[..., 0] if squeeze else moved)
    buffer = io.BytesIO()
    Image.fromarray(plane).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded_image:
        decoded = np.asarray(decoded_image.convert("L" if plane.ndim == 2 else "RGB"))
    if squeeze:
        decoded = decoded[..., None]
    if axis is not None:
        decoded = np.moveaxis(decoded, -1, axis)
    return np.ascontiguousarray(decoded)


def _check_k(k) -> int:
    return V.check_int("k", k, minimum=0, maximum=7)


def dihedral(image, k: int, *, channel_axis: int | None = -1) -> np.ndarray:
    """One of the 8 symmetries of the square (rotations by 90 degrees, with or without a flip).

    Parameters
    ----------
    image : (M, N) or (M, N, C) ndarray
    k : int
        0..7: ``k % 4`` counter-clockwise quarter turns, preceded by a left-right flip when
        ``k >= 4``.  ``k = 0`` is the identity.
    channel_axis : int or None, keyword-only
        Axis of the channels of a 3-D image (default -1).

    Returns
    -------
    ndarray
        A view of ``image``, transformed in its spatial axes.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import dihedral, dihedral_inverse
    >>> x = np.arange(6).reshape(2, 3)
    >>> dihedral(x, 1)
    array([[2, 5],
           [1, 4],
           [0, 3]])
    >>> bool((dihedral_inverse(dihedral(x, 5), 5) == x).all())
    True
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got a {array.ndim}-D array of shape {array.shape}")
    k = _check_k(k)
    ra, ca = _spatial_axes(array.ndim, channel_axis)
    if k >= 4:
        array = np.flip(array, axis=ca)
    return np.rot90(array, k % 4, axes=(ra, ca))


def dihedral_inverse(image, k: int, *, channel_axis: int | None = -1) -> np.ndarray:
    """The exact inverse of :func:`dihedral`: ``dihedral_inverse(dihedral(x, k), k) == x``.

    Parameters
    ----------
    image : (M, N) or (M, N, C) ndarray
    k : int
        The transform (0..7) to undo.
    channel_axis : int or None, keyword-only

    Returns
    -------
    ndarray
        A view of ``image``.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import dihedral, dihedral_inverse
    >>> x = np.arange(12).reshape(3, 4)
    >>> all((dihedral_inverse(dihedral(x, k), k) == x).all() for k in range(8))
    True
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got a {array.ndim}-D array of shape {array.shape}")
    k = _check_k(k)
    ra, ca = _spatial_axes(array.ndim, channel_axis)
    array = np.rot90(array, -(k % 4), axes=(ra, ca))
    if k >= 4:
        array = np.flip(array, axis=ca)
    return array


def self_ensemble(upscale_fn, image, *, channel_axis: int | None = -1, transforms=range(8)) -> np.ndarray:
    """Geometric self-ensemble: average an upscaler's outputs over the dihedral transforms.

    Parameters
    ----------
    upscale_fn : callable
        ``upscale_fn(lr) -> sr`` for an array laid out like ``image`` (same ``channel_axis``);
        any upscaler (classical, neural, user-supplied).  It must return arrays of one shape
        and dtype for all transformed inputs (square images are safest for non-square
        scales).
    image : (M, N) or (M, N, C) ndarray
        The LR image.
    channel_axis : int or None, keyword-only
        Axis of the channels of a 3-D image (default -1).
    transforms : iterable of int, keyword-only
        Which of the 8 transforms to use (default all: the "x8" / "+" ensemble of EDSR).

    Returns
    -------
    sr : ndarray
        :math:`\\frac{1}{|T|}\\sum_{k \\in T} g_k^{-1}(f(g_k(x)))` computed in float64 and
        returned in the dtype of ``upscale_fn``'s outputs (integers rounded half away from
        zero and saturated; float16 becomes float32).

    References
    ----------
    .. [1] R. Timofte, R. Rothe and L. Van Gool, "Seven ways to improve example-based single
           image super resolution", CVPR 2016.
    .. [2] B. Lim, S. Son, H. Kim, S. Nah and K. M. Lee, "Enhanced deep residual networks for
           single image super-resolution", CVPRW 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.degrade import self_ensemble
    >>> up = lambda x: np.repeat(np.repeat(x, 2, axis=0), 2, axis=1)
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> bool((self_ensemble(up, x) == up(x)).all())
    True
    """
    if not callable(upscale_fn):
        raise TypeError(f"upscale_fn must be callable (lr -> sr), got {type(upscale_fn).__name__}")
    array = np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got a {array.ndim}-D array of shape {array.shape}")
    if isinstance(transforms, (str, bytes)) or not isinstance(transforms, Iterable):
        raise TypeError(f"transforms must be an iterable of integers in 0..7, got "
                        f"{type(transforms).__name__} {transforms!r}")
    ks = [_check_k(k) for k in transforms]
    if not ks:
        raise ValueError("transforms must name at least one of 0..7, got an empty collection")
    total = None
    out_dtype = None
    for k in ks:
        # A C-ordered copy for every transform: the identity's view would hand the caller's
        # own array to an upscaler that may write into its input.
        moved = np.array(dihedral(array, k, channel_axis=channel_axis), order="C")
        sr = np.asarray(upscale_fn(moved))
        if sr.dtype.kind not in "uif":
            raise TypeError(f"upscale_fn returned dtype {sr.dtype} for transform k={k}; expected "
                            f"an integer or floating-point image")
        back = dihedral_inverse(sr, k, channel_axis=channel_axis)
        if total is None:
            total = back.astype(np.float64)
            out_dtype = sr.dtype
        else:
            if sr.dtype != out_dtype:
                raise ValueError(f"upscale_fn returned dtype {sr.dtype} for transform k={k} but "
                                 f"{out_dtype} for k={ks[0]}; it must return one dtype")
            if back.shape != total.shape:
                raise ValueError(
                    f"upscale_fn returned shape {sr.shape} for transform k={k}, which maps back to "
                    f"{back.shape}, but transform k={ks[0]} gave {total.shape}; the upscaler must "
                    f"scale both axes alike (or restrict transforms to (0, 2, 4, 6))"
                )
            total += back
    total /= len(ks)
    return _to_dtype(total, out_dtype)
