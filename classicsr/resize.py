"""Image resampling with exact MATLAB ``imresize`` semantics.

The resampler is separable.  For each axis a weight/index table is built once
(:func:`contributions`), then Numba kernels run one 1-D pass per axis.  The conventions
(coordinate map, tap placement, normalisation, boundary, pass order, integer rounding) are
those of MATLAB's ``imresize``, which made the standard SR benchmark files; see the Notes of
:func:`resize`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _config, _validate as V
from ._memory import new_output

__all__ = ["resize", "contributions", "KERNELS", "METHODS", "BOUNDARIES", "output_size"]

_EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Kernel:
    """An interpolation kernel: a function of the distance in input pixels, and its support width."""

    name: str
    func: Callable[[np.ndarray], np.ndarray]
    width: float
    antialias_default: bool = True


def _box(x):
    return ((-0.5 <= x) & (x < 0.5)).astype(np.float64)


def _triangle(x):
    return (x + 1) * ((-1 <= x) & (x < 0)) + (1 - x) * ((0 <= x) & (x <= 1))


def _cube(x):
    """``x ** 3`` of a float64 array by the C library's ``pow`` (what Python's ``float ** 3``
    calls), one call per distinct value.

    numpy's own ``x ** 3`` depends on the CPU: on AVX-512 machines it runs SVML's vector
    ``pow``, which differs from the C library's in the last bit for about 5% of arguments
    (measured), and a weight one ulp off moves a MATLAB sum that lies on a rounding tie
    (bicubic x1.2: 84.5 + 1e-13 against 84.5 - 1e-13, an output 85 instead of 84).  The
    C library's value is the one the MATLAB comparisons were verified with."""
    x = np.asarray(x, dtype=np.float64)
    values, inverse = np.unique(x.ravel(), return_inverse=True)
    cubes = np.array([v ** 3 for v in values.tolist()], dtype=np.float64)
    return cubes[inverse].reshape(x.shape)


def _make_cubic(a: float):
    def cubic(x):
        absx = np.abs(x)
        absx2 = absx * absx  # numpy's x ** 2 is this exact square on every CPU
        absx3 = _cube(absx)
        return ((a + 2) * absx3 - (a + 3) * absx2 + 1) * (absx <= 1) + (
            a * absx3 - (5 * a) * absx2 + (8 * a) * absx - (4 * a)
        ) * ((1 < absx) & (absx <= 2))

    return cubic


def _make_lanczos(n: int):
    def lanczos(x):
        return (np.sin(np.pi * x) * np.sin(np.pi * x / n) + _EPS) / ((np.pi ** 2 * x ** 2 / n) + _EPS) * (
            np.abs(x) < n
        )

    return lanczos


#: The kernels, as MATLAB defines them (``box`` is the ``nearest`` kernel with antialiasing,
#: i.e. area averaging when downscaling).
KERNELS = {
    "nearest": Kernel("nearest", _box, 1.0, antialias_default=False),
    "box": Kernel("box", _box, 1.0),
    "bilinear": Kernel("bilinear", _triangle, 2.0),
    "bicubic": Kernel("bicubic", _make_cubic(-0.5), 4.0),
    "lanczos2": Kernel("lanczos2", _make_lanczos(2), 4.0),
    "lanczos3": Kernel("lanczos3", _make_lanczos(3), 6.0),
}
METHODS = tuple(KERNELS)
BOUNDARIES = ("symmetric", "replicate", "reflect", "wrap", "constant")


def output_size(in_size: int, scale: float) -> int:
    """MATLAB's output length for one axis: ``ceil(scale * in_size)``."""
    in_size = V.check_int("in_size", in_size, minimum=1)
    scale = V.check_positive_number("scale", scale)
    return _output_length(in_size, scale)


def _output_length(in_size: int, scale: float) -> int:
    """:func:`output_size` without its checks, for values checked already."""
    length = scale * in_size
    if not math.isfinite(length):  # math.ceil would raise OverflowError
        from . import _config

        raise ValueError(f"scale={scale!r} would make an axis of {in_size} samples more than "
                         f"1.8e308 samples long, beyond any array and the limit of "
                         f"{V._format_size(_config.MAX_OUTPUT_BYTES)} "
                         f"(CLASSICSR_MAX_OUTPUT_BYTES) on an output's size")
    return int(math.ceil(length))


def contributions(in_length: int, out_length: int, scale: float, method: str = "bicubic", *,
                  antialias: bool = True, boundary: str = "symmetric", cubic_a: float = -0.5):
    """Weight and index tables for resampling one axis, as MATLAB's ``imresize`` builds them.

    Parameters
    ----------
    in_length, out_length : int
        Input and output lengths of the axis.
    scale : float
        Output/input scale of the axis (> 0).
    method : str
        One of :data:`METHODS`.
    antialias : bool
        Widen the kernel by ``1/scale`` when ``scale < 1`` (ignored for ``"nearest"``).
    boundary : str
        One of :data:`BOUNDARIES`.
    cubic_a : float
        The Keys parameter of ``"bicubic"``.

    Returns
    -------
    indices : (out_length, K) int64 ndarray
        0-based input indices of each output sample's taps (already mapped by the boundary rule).
    weights : (out_length, K) float64 ndarray
        Tap weights; each row sums to 1 (except where ``boundary="constant"`` drops
        out-of-range taps).

    Notes
    -----
    With 1-based output coordinate ``x``, the input coordinate is
    ``u = x / scale + 0.5 * (1 - 1 / scale)``; the taps are ``floor(u - width / 2) + (0 .. P-1)``
    with ``P = ceil(width) + 2``; weights ``h(u - tap)`` are normalised per output sample.
    When antialiasing, ``h(x) = scale * k(scale * x)`` and ``width = width / scale``.
    Leading and trailing zero-weight taps are trimmed per row (this does not change any sum).
    """
    in_length = V.check_int("in_length", in_length, minimum=1)
    out_length = V.check_int("out_length", out_length, minimum=1)
    scale = V.check_positive_number("scale", scale)
    method, boundary, antialias, _, cubic_a = _check_options(method, boundary, antialias, True, cubic_a)
    kernel = KERNELS[method]
    if method == "bicubic" and cubic_a != -0.5:
        func = _make_cubic(cubic_a)
    else:
        func = kernel.func
    width = kernel.width
    if scale < 1 and antialias and kernel.antialias_default:
        def h(x):
            return scale * func(scale * x)
        width = width / scale
    else:
        h = func
    what = (f"the weight and index tables (with their temporaries) for resampling an axis of "
            f"{in_length} samples to {out_length} (scale={scale!r}, a kernel spanning "
            f"{width:.3g} input samples)")
    if not math.isfinite(width):
        raise ValueError(f"{what} would need unbounded memory; use a larger scale")
    p = int(math.ceil(width)) + 2
    V.check_output_size((6, out_length, p), np.float64, what)
    # The last output sample's input coordinate and taps must be integers float64 represents
    # exactly; beyond 2**52 (a scale below about 1e-16 or a subnormal one) taps cannot be indexed.
    try:
        reach = (out_length - 0.5) / scale + 0.5 + width + p
    except OverflowError:
        reach = math.inf
    if not reach < 2.0**52:
        raise ValueError(f"scale={scale!r} is too small: output sample {out_length} of an axis of "
                         f"{in_length} samples maps to input coordinate {reach:.3g}, beyond 2**52 where "
                         f"float64 cannot index input samples; use a larger scale")
    V.check_output_size((2, in_length), np.int64, f"the boundary index map of an axis of in_length={in_length}")
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    ind = left[:, None] + np.arange(p, dtype=np.float64)[None, :]
    with np.errstate(over="ignore", invalid="ignore"):  # refused below when not finite
        w = h(u[:, None] - ind)
        # Sequential sum in tap order (as MATLAB's row sums), not numpy's pairwise reduction.
        total = w[:, 0].copy()
        for k in range(1, p):
            total += w[:, k]
        w = w / total[:, None]
    if not np.isfinite(w).all():  # e.g. cubic_a=1e308: 5 * a overflows, inf - inf is NaN
        raise ValueError(f"cubic_a={cubic_a!r} gives non-finite {method} weights (the kernel's "
                         f"terms overflow); the Keys kernel is used with cubic_a in [-1, 0] "
                         f"(MATLAB -0.5, OpenCV -0.75)")
    ind = ind.astype(np.int64) - 1  # 0-based

    n = in_length
    if boundary == "symmetric":
        aux = np.concatenate([np.arange(n), np.arange(n - 1, -1, -1)])
        ind = aux[np.mod(ind, 2 * n)]
    elif boundary == "replicate":
        ind = np.clip(ind, 0, n - 1)
    elif boundary == "reflect":
        if n == 1:
            ind = np.zeros_like(ind)
        else:
            aux = np.concatenate([np.arange(n), np.arange(n - 2, 0, -1)])
            ind = aux[np.mod(ind, 2 * n - 2)]
    elif boundary == "wrap":
        ind = np.mod(ind, n)
    elif boundary == "constant":
        outside = (ind < 0) | (ind >= n)
        w = np.where(outside, 0.0, w)
        ind = np.where(outside, 0, ind)
    else:  # pragma: no cover - validated by the caller
        raise ValueError(boundary)

    # Trim zero taps at both ends of each row, keeping tap order (exact for finite data).
    nz = w != 0
    any_nz = nz.any(axis=1)
    first = np.where(any_nz, np.argmax(nz, axis=1), 0)
    last = np.where(any_nz, p - 1 - np.argmax(nz[:, ::-1], axis=1), 0)
    k = int((last - first).max()) + 1
    cols = np.minimum(first[:, None] + np.arange(k)[None, :], p - 1)
    valid = (first[:, None] + np.arange(k)[None, :]) <= last[:, None]
    weights = np.where(valid, np.take_along_axis(w, cols, axis=1), 0.0)
    indices = np.where(valid, np.take_along_axis(ind, cols, axis=1), np.take_along_axis(ind, first[:, None], axis=1))
    return np.ascontiguousarray(indices), np.ascontiguousarray(weights)


@__import__("functools").lru_cache(maxsize=256)
def _tables(in_length, out_length, scale, method, antialias, boundary, cubic_a, wdtype):
    """Cached contiguous tables for the kernels (``None`` for an identity pass)."""
    if in_length == out_length and scale == 1.0:
        # Every kernel interpolates (k(0) = 1, k(+-1) = k(+-2) = ... = 0), so the pass is the
        # identity; skipping it also drops the 1e-17 weights Lanczos' eps guard adds there.
        return None
    idx, w = contributions(in_length, out_length, scale, method, antialias=antialias,
                           boundary=boundary, cubic_a=cubic_a)
    idx = idx.astype(np.intp)
    w = w.astype(wdtype)
    idx.setflags(write=False)
    w.setflags(write=False)
    return idx, w


def _check_options(method, boundary, antialias, round_each_pass, cubic_a):
    """Validate the keyword options shared by :func:`resize` and :func:`classicsr.dask.resize`."""
    method = V.check_choice("method", method, METHODS)
    boundary = V.check_choice("boundary", boundary, BOUNDARIES)
    antialias = V.check_bool("antialias", antialias)
    round_each_pass = V.check_bool("round_each_pass", round_each_pass)
    if not V._is_real(cubic_a):
        raise TypeError(f"cubic_a must be a finite real number, got {cubic_a!r}")
    value = V._as_float("cubic_a", cubic_a, "")
    if not math.isfinite(value):
        raise ValueError(f"cubic_a must be a finite real number, got {cubic_a!r}")
    return method, boundary, antialias, round_each_pass, value


def _check_scale_and_shape(scale, output_shape, in_shape):
    if (scale is None) == (output_shape is None):
        raise ValueError(
            "give exactly one of scale and output_shape, got "
            + ("both" if scale is not None else "neither")
        )
    if scale is not None:
        scales = V.check_number_pair("scale", scale)
        # the checks of output_size cost ~5 us a call: scale is checked, shapes are ints
        out_shape = tuple(_output_length(int(n), s) for n, s in zip(in_shape, scales))
    else:
        out_shape = V.check_shape_pair("output_shape", output_shape)
        scales = tuple(o / n for o, n in zip(out_shape, in_shape))
    return scales, out_shape


def resize(image, scale=None, *, output_shape=None, method="bicubic", antialias=True,
           boundary="symmetric", channel_axis=-1, cubic_a=-0.5, round_each_pass=True, out=None):
    """Resize a 2-D image with MATLAB ``imresize`` semantics.

    Parameters
    ----------
    image : (M, N) or (M, N, C) ndarray
        uint8, uint16, float32 or float64 (float16 is computed and returned as float32).
        Any memory layout, byte order or writeability; it is never modified.
    scale : float or (float, float), optional
        Output/input scale, per axis or for both (> 0, non-integer allowed).  The output
        size is ``ceil(scale * input_size)`` per axis, as in MATLAB.  Give exactly one of
        ``scale`` and ``output_shape``.
    output_shape : (int, int), optional
        Output (rows, cols); the scale is then ``output / input`` per axis.
    method : {'nearest', 'bilinear', 'bicubic', 'lanczos2', 'lanczos3', 'box'}
        Interpolation kernel.  ``'box'`` averages areas when downscaling.
    antialias : bool
        When downscaling, widen the kernel by ``1/scale`` (MATLAB's default).  ``'nearest'``
        never antialiases.
    boundary : {'symmetric', 'replicate', 'reflect', 'wrap', 'constant'}
        How taps outside the image are mapped: ``'symmetric'`` mirrors with the edge
        repeated (``c b a | a b c``; current MATLAB), ``'replicate'`` clamps to the edge (MATLAB
        before about 2014, which made the standard benchmark LR files), ``'reflect'`` mirrors
        without repeating the edge, ``'wrap'`` is periodic, ``'constant'`` reads zeros.
    channel_axis : int or None
        Axis of the channels of a 3-D image (default: last).  Ignored for 2-D images.
    cubic_a : float
        Keys' parameter of the bicubic kernel (MATLAB and Pillow use -0.5, OpenCV -0.75).
    round_each_pass : bool
        Integer images only: round (half away from zero) and saturate after each 1-D pass,
        as MATLAB does (default), or keep the intermediate in float64 and round once at the end.
    out : ndarray, optional
        Where to write the result (as ``dst`` in OpenCV): a writeable array of the output's
        shape and dtype (native byte order) that shares no memory with ``image``.  Any strides
        work; a C-contiguous one (channels last) is written directly, which saves allocating
        a new array when resizing in a loop.

    Returns
    -------
    out : ndarray
        The resized image, same dtype as ``image`` (float32 for float16 input) and the same
        channel position.  Float results are not clipped.  ``out`` itself when given.
        Results of 32 MiB or more are views of blocks that classicsr reuses once nothing
        refers to them any more (no page faults for a fresh mapping on every call; see
        :func:`classicsr.set_output_pool`).

    Raises
    ------
    ValueError
        Wrong ndim, empty axes, a scale that is not a finite number > 0, both or neither of
        ``scale`` and ``output_shape``, unknown method or boundary, an output larger than
        ``CLASSICSR_MAX_OUTPUT_BYTES``, or an ``out`` of the wrong shape, read-only or
        overlapping ``image``.
    TypeError
        Unsupported dtype, non-numeric parameters, or an ``out`` that is not an ndarray of the
        output's dtype.

    Notes
    -----
    For each axis with scale ``s``, the 1-based output coordinate ``x`` maps to the input
    coordinate ``u = x / s + (1 - 1 / s) / 2``.  The taps are the ``ceil(w) + 2`` input
    positions starting at ``floor(u - w / 2)`` for a kernel of width ``w``, weighted by
    ``k(u - tap)`` and normalised to sum to one.  When ``s < 1`` and ``antialias`` is set, the
    kernel becomes ``s * k(s * x)`` and its width ``w / s``.  The axis with the smaller scale is
    resized first (rows first on a tie).  Keys' cubic is
    ``(a+2)|x|^3 - (a+3)|x|^2 + 1`` for ``|x| <= 1`` and
    ``a|x|^3 - 5a|x|^2 + 8a|x| - 4a`` for ``1 < |x| <= 2``.
    An axis whose scale is exactly 1 (same length) is copied, not resampled.
    Integer images are accumulated in float64; float32 images in float32.  NaN and inf in
    float input propagate to the outputs whose taps read them.

    References
    ----------
    .. [1] R. Keys, "Cubic convolution interpolation for digital image processing", IEEE
       Trans. ASSP 29(6), 1981.
    .. [2] MathWorks, ``imresize`` documentation (algorithm section).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr import resize
    >>> img = np.arange(16, dtype=np.float64).reshape(4, 4)
    >>> resize(img, 2).shape
    (8, 8)
    >>> resize(img, output_shape=(2, 3), method="bilinear").shape
    (2, 3)
    >>> rgb = np.zeros((10, 12, 3), dtype=np.uint8)
    >>> resize(rgb, 0.5).shape, resize(rgb, 0.5).dtype
    ((5, 6, 3), dtype('uint8'))
    """
    array = V.as_image(image, "image", ndims=(2, 3))
    options = (scale, output_shape, method, antialias, boundary, channel_axis, cubic_a,
               round_each_pass)
    key = _call_key(array, options)
    call = _CALLS.get(key) if key is not None else None
    if call is None:
        call = _prepare(array, *options)
        if key is not None:
            if len(_CALLS) >= _CALLS_MAX:
                _CALLS.clear()
            _CALLS[key] = call
    axis, nch, in_dtype, out_shape, passes, round_each_pass, run_args = call

    src = array if axis is None or axis == 2 else np.moveaxis(array, axis, -1)
    in_shape = src.shape[:2]
    dest = None if out is None else _out_view(out, out_shape, nch, in_dtype, axis, array)
    if axis == 0 and nch * out_shape[0] * out_shape[1] >= _PLANES_MIN_OUTPUT:
        return _resize_planes(array, passes, out_shape, in_dtype, round_each_pass, out)
    data = V.native_contiguous(src, in_dtype).reshape(in_shape[0], in_shape[1], nch)
    cur = _run_passes(data, run_args, dest, key)
    if out is not None:
        if cur is not dest:  # an identity resize, or an out the kernels cannot write directly
            np.copyto(out, cur.reshape(out_shape) if axis is None else np.moveaxis(cur, -1, axis))
        return out
    if cur is data and np.shares_memory(data, array):
        cur = data.copy()

    if src.ndim == 2:
        result = cur.reshape(out_shape)
    else:
        result = cur
        if axis is not None and axis != 2:
            result = np.ascontiguousarray(np.moveaxis(result, -1, axis))
    return result


def _prepare(array, scale, output_shape, method, antialias, boundary, channel_axis, cubic_a,
             round_each_pass):
    """Validate :func:`resize`'s arguments for the image ``array`` (checked by
    ``V.as_image``) and plan its passes: ``(axis, nch, in_dtype, out_shape, passes,
    round_each_pass, run_args)``, ``run_args`` those of :func:`_run_passes`."""
    axis = V.check_channel_axis(channel_axis, array.ndim)
    method, boundary, antialias, round_each_pass, cubic_a = _check_options(
        method, boundary, antialias, round_each_pass, cubic_a)
    shape = array.shape if axis is None or axis == 2 else np.moveaxis(array, axis, -1).shape
    in_shape = shape[:2]
    if in_shape[0] == 0 or in_shape[1] == 0 or array.size == 0:
        raise ValueError(f"image must not have empty axes, got shape {array.shape}")
    scales, out_shape = _check_scale_and_shape(scale, output_shape, in_shape)

    in_dtype = V.keep_dtype(array.dtype)
    nch = shape[2] if len(shape) == 3 else 1
    V.check_output_size(out_shape + ((nch,) if len(shape) == 3 else ()), in_dtype)

    order, tables = _plan(in_shape, scales, out_shape, method, antialias, boundary, cubic_a,
                          in_dtype)
    passes = [(ax,) + tables[ax] for ax in order if tables[ax] is not None]
    return (axis, nch, in_dtype, out_shape, passes, round_each_pass,
            _run_args(passes, out_shape, in_dtype, round_each_pass))


#: Validated and planned :func:`resize` calls (:func:`_prepare`), by :func:`_call_key`: the
#: checks and the plan are pure functions of the image's shape and dtype and of the options,
#: and took ~30 us of a small image's call.  Only exact ``int`` / ``float`` / ``str`` /
#: ``bool`` / ``None`` options (and tuples of numbers) are keyed, with their types, so a value
#: the checks would refuse (``antialias=1``, ``scale=True``) is never taken for an accepted
#: equal one.  Errors are not kept: a refused call is checked again every time.
_CALLS: dict = {}
_CALLS_MAX = 256
_NUMBER_TYPES = (int, float)


def _call_key(array, options):
    """The key of :data:`_CALLS` for a call on ``array`` with ``options``, or ``None`` when an
    option has another type (the call is then checked in full)."""
    scale, output_shape, method, antialias, boundary, channel_axis, cubic_a, rnd = options
    if (type(method) is not str or type(boundary) is not str or type(antialias) is not bool
            or type(rnd) is not bool or type(cubic_a) not in _NUMBER_TYPES
            or (channel_axis is not None and type(channel_axis) is not int)):
        return None
    for value, kinds in ((scale, _NUMBER_TYPES), (output_shape, (int,))):
        if value is None or type(value) in kinds:
            continue
        if type(value) is not tuple or len(value) != 2:
            return None
        if type(value[0]) not in kinds or type(value[1]) not in kinds:
            return None
    return (array.shape, array.dtype, scale, type(scale), output_shape, method, boundary,
            antialias, channel_axis, cubic_a, type(cubic_a), rnd, _config.MAX_OUTPUT_BYTES)


#: Channels-first images (``channel_axis=0``) with at least this many output elements are
#: resized one contiguous channel plane at a time, straight into the planes of a
#: channels-first result, instead of moving the channels last and back (two transposing
#: copies); below it the per-plane calls' fixed cost is larger than the copies.
_PLANES_MIN_OUTPUT = 128 * 1024


def _resize_planes(array, passes, out_shape, dtype, round_each_pass, out):
    """:func:`resize` of a 3-D ``array`` whose channels are its first axis: each channel plane
    (contiguous in a C-ordered array) resized as a gray image into its output plane.  Every
    path gives a pixel the same value whatever the channel count, so this is the result of
    the channels-last path bit for bit.  ``out``: checked by :func:`_out_view` already."""
    nch = array.shape[0]
    shape = (nch,) + tuple(out_shape)
    direct = out is not None and out.flags.c_contiguous and out.flags.aligned
    result = out if direct else new_output(shape, dtype)
    for c in range(nch):
        plane = V.native_contiguous(array[c], dtype)
        plane = plane.reshape(plane.shape + (1,))
        dst = result[c].reshape(out_shape[0], out_shape[1], 1)
        cur = _execute(plane, passes, out_shape, dtype, round_each_pass, dst)
        if cur is not dst:  # an identity resize returns its input
            np.copyto(dst, cur)
    if out is not None and not direct:
        np.copyto(out, result)
        return out
    return result


def _out_view(out, out_shape, nch, dtype, axis, image):
    """Check ``resize``'s ``out`` argument (``out_shape``: output rows and columns; ``axis``:
    the normalised channel axis, ``None`` for 2-D); return the ``(H, W, C)`` C-contiguous
    view of it the kernels write into, or ``None`` when its layout needs a copy instead."""
    shape = list(out_shape)
    if axis is not None:
        shape.insert(axis, nch)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy ndarray or None, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"out must have the output's shape {tuple(shape)}, got {out.shape}")
    if out.dtype != dtype:
        raise TypeError(f"out must have the output's dtype {dtype} (native byte order), got "
                        f"{out.dtype.str if out.dtype.byteorder not in '=|' else out.dtype}")
    if not out.flags.writeable:
        raise ValueError("out must be writeable, got a read-only array")
    if np.shares_memory(out, image):
        raise ValueError("out must not share memory with image (the input is never modified)")
    view = out if axis is None or out.ndim == 2 else np.moveaxis(out, axis, -1)
    if not (view.flags.c_contiguous and view.flags.aligned):
        return None
    return view.reshape(out_shape[0], out_shape[1], nch)


def _weight_dtype(dtype) -> np.dtype:
    """Accumulation dtype: float64 for integer images (as MATLAB), else the float dtype."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float64) if dtype.kind == "u" else dtype


def _plan(in_shape, scales, out_shape, method, antialias, boundary, cubic_a, dtype):
    """Pass order and per-axis tables (``None`` for an identity axis), MATLAB's rules.

    Returns ``(order, tables)`` with ``tables[axis] = (idx, w)`` over the whole input axis.
    Private, shared with :mod:`classicsr.dask`, which restricts the tables to blocks.
    """
    # MATLAB order: the axis with the smaller scale first, rows first on a tie.
    order = (0, 1) if scales[0] <= scales[1] else (1, 0)
    wdtype = _weight_dtype(dtype)
    tables = {ax: _tables(in_shape[ax], out_shape[ax], scales[ax], method, antialias, boundary,
                          cubic_a, wdtype) for ax in order}
    return order, tables


def _as_table(a, dtype):
    """``a`` itself when it is already a C-contiguous ``dtype`` array, else a converted copy.

    ``np.ascontiguousarray(a, dtype=...)`` may return a new *view* of an array that needs no
    conversion (when the dtype object differs from ``a.dtype`` but is equivalent); the kernels
    cache their per-table plans by array identity, so a view per call would redo that work
    (0.7 ms per call for a 1024-wide polyphase analysis)."""
    if isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a, dtype=dtype)


def _execute(data, passes, out_shape, dtype, round_each_pass, out=None):
    """Run ``passes`` (a list of ``(axis, idx, w)``, in order) on ``data`` (H, W, C), C-contiguous.

    ``out_shape`` is the (rows, cols) of the result; ``idx`` index ``data`` (so a caller may
    pass tables restricted to a slab of the input, re-based to the slab's origin).  Integer
    dtypes are rounded and saturated after each pass when ``round_each_pass`` (else once).
    ``out``: the destination (see :func:`classicsr._kernels.resample.run_passes`) or ``None``.
    Returns the destination, or ``data`` itself when ``passes`` is empty.
    """
    return _run_passes(data, _run_args(passes, out_shape, dtype, round_each_pass), out)


def _run_args(passes, out_shape, dtype, round_each_pass):
    """The arguments of :func:`classicsr._kernels.resample.run_passes` after ``data`` (and
    before ``out``) for :func:`_execute`'s ``passes``."""
    from ._kernels import resample as K

    dtype = np.dtype(dtype)
    wdtype = _weight_dtype(dtype)
    if dtype.kind == "u":
        maxval = K._maxval(dtype)
        mid_dtype = dtype if round_each_pass else wdtype
    else:
        maxval = 0.0
        mid_dtype = dtype
    passes = [(ax, _as_table(idx, np.intp), _as_table(w, wdtype)) for ax, idx, w in passes]
    return passes, tuple(out_shape), dtype, mid_dtype, maxval


def _run_passes(data, run_args, out, call=None):
    """``run_passes(data, *run_args, out, call=call)`` (:func:`_run_args`; ``call``: the
    :data:`_CALLS` key of the :func:`resize` call, which fixes ``run_args`` and ``data``'s
    shape and dtype, or ``None``)."""
    return _resample().run_passes(data, *run_args, out, call=call)


_K = None


def _resample():
    """:mod:`classicsr._kernels.resample`, imported on first use (Numba loads with it; an
    ``import`` statement per call cost ~1 us of a small image's resize)."""
    global _K
    if _K is None:
        from ._kernels import resample

        _K = resample
    return _K
