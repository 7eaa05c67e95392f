"""Input checks and the one dtype rule shared by every public function.

Every check names the parameter, the value it received, what is allowed and, where it helps,
how to fix the call.  Bad values raise ``ValueError``; bad types raise ``TypeError``.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

from . import _config

__all__ = [
    "SUPPORTED_IMAGE_DTYPES",
    "supported_float_type",
    "keep_dtype",
    "as_image",
    "check_choice",
    "check_positive_number",
    "check_number_pair",
    "check_shape_pair",
    "check_channel_axis",
    "check_output_size",
    "check_int",
    "check_bool",
    "native_contiguous",
    "round_half_away",
    "half_below",
]

#: dtypes that keep their type through resampling-style functions.
SUPPORTED_IMAGE_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32), np.dtype(np.float64))


def supported_float_type(dtype) -> np.dtype:
    """The dtype rule: float32 stays float32, float16 becomes float32, everything else float64.

    Parameters
    ----------
    dtype : dtype-like
        The input's dtype.

    Returns
    -------
    numpy.dtype
        ``float32`` for float16/float32 input, ``float64`` otherwise.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def round_half_away(values: np.ndarray) -> np.ndarray:
    """MATLAB's ``round``: to the nearest integer, halves away from zero, exactly.

    ``floor(|v| + h) * sign(v)`` with ``h`` the largest value of ``values``' float dtype below
    0.5 (:func:`half_below`), not 0.5: ``fl(v + 0.5)`` rounds ``v = 0.5 - 2**-54`` up to 1.0
    (float64; ``0.5 - 2**-25`` in float32), which MATLAB rounds to 0.

    Parameters
    ----------
    values : numpy.ndarray
        Finite float32 or float64 values (``|v| < 2**52``, ``2**23`` in float32).

    Returns
    -------
    numpy.ndarray
        The rounded values, same dtype (``-0.0`` for negatives that round to zero).
    """
    return np.floor(np.abs(values) + half_below(values.dtype)) * np.sign(values)


def half_below(dtype) -> float:
    """The largest ``dtype`` (float32 or float64) value below 0.5, ``h``.

    ``floor(fl(v + h))`` is ``round(v)`` half away from zero for every float ``0 <= v <
    2**(p - 1)`` (``p`` bits of precision, 53 or 24), and ``fl(v + h) < 1/2`` for ``v < 0``.
    With ``n = floor(v + 1/2)`` (exact): ``v >= n - 1/2`` gives ``v + h >= n - 2**-(p + 1)``,
    which rounds to at least ``n`` (for ``n = 1`` it lies halfway between ``1 - 2**-p`` and
    1 and goes to the even 1; above, the spacing below ``n`` is at least ``2**(1 - p)``); and
    ``v <= pred(n + 1/2)`` keeps ``fl(v + h)`` below ``n + 1`` (``pred(n + 1/2) + h`` is at
    least ``2**-(p + 1)`` below the representable ``n + 1 - ulp``).
    """
    dtype = np.dtype(dtype)
    return float(np.nextafter(dtype.type(0.5), dtype.type(0.0)))


def keep_dtype(dtype) -> np.dtype:
    """The result dtype of a dtype-preserving function: the input's, in native byte order,
    with float16 computed and returned as float32 (the dtype rule)."""
    dtype = np.dtype(dtype).newbyteorder("=")
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def native_contiguous(array: np.ndarray, dtype=None) -> np.ndarray:
    """C-contiguous, native-byte-order view or copy of ``array`` (never the caller's buffer
    when a conversion is needed; the result is treated as read-only by callers)."""
    target = np.dtype(dtype) if dtype is not None else array.dtype.newbyteorder("=")
    return np.ascontiguousarray(array, dtype=target)


@functools.lru_cache(maxsize=64)
def _native_dtypes(dtypes):
    """The native-byte-order dtypes of ``dtypes`` as a frozenset (cached: building it costs
    ~5 us, a noticeable part of a small image's resize)."""
    return frozenset(np.dtype(d).newbyteorder("=") for d in dtypes)


def as_image(image, name: str = "image", *, ndims=(2, 3), dtypes=SUPPORTED_IMAGE_DTYPES,
             allow_float16: bool = True, allow_empty: bool = False) -> np.ndarray:
    """Validate an image array's type, ndim, dtype and size.

    Returns ``np.asarray(image)`` (not copied).  float16 is accepted when ``allow_float16``
    (callers convert it to float32 by the dtype rule).
    """
    if isinstance(image, (str, bytes)) or image is None:
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    array = np.asarray(image)
    if array.dtype == object:
        raise TypeError(f"{name} must be a numeric numpy array, got dtype object")
    if array.ndim not in ndims:
        allowed = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name} must be {allowed}, got a {array.ndim}-D array of shape {array.shape}")
    ok = _native_dtypes(dtypes) if isinstance(dtypes, tuple) else _native_dtypes.__wrapped__(dtypes)
    native = array.dtype.newbyteorder("=")
    if native not in ok and not (allow_float16 and native == np.float16):
        names = ", ".join(sorted(np.dtype(d).name for d in ok))
        if any(np.dtype(d).kind == "f" for d in ok):
            hint = "skimage.util.img_as_float(image) or image.astype(np.float32)"
        else:  # integer-only functions (e.g. degrade.jpeg takes uint8)
            hint = "skimage.util.img_as_ubyte(image) for uint8"
        raise TypeError(
            f"{name} has dtype {array.dtype.name}, which is not supported; supported dtypes are "
            f"{names}{' (and float16, computed as float32)' if allow_float16 else ''}. "
            f"Convert first, e.g. {hint}."
        )
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    return array


def check_choice(name: str, value, allowed: Iterable[str]) -> str:
    """Check that ``value`` is one of the strings in ``allowed`` (case-insensitive)."""
    allowed = list(allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {allowed}, got {type(value).__name__} {value!r}")
    key = value.strip().lower()
    if key not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return key


def _is_real(value) -> bool:
    if type(value) is float or type(value) is int:  # the common case, without the ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _as_float(name: str, value, bound: str) -> float:
    """``float(value)`` of a real number; an integer beyond the float range (``10**400``) is
    refused by name instead of raising ``OverflowError``."""
    try:
        return float(value)
    except OverflowError:
        digits = len(str(abs(int(value))))
        bound = f" {bound}" if bound else ""
        raise ValueError(f"{name} must be a finite number{bound}, got an integer of {digits} "
                         f"digits (beyond the float range)") from None


def check_positive_number(name: str, value, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with ``allow_zero``)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    bound = ">= 0" if allow_zero else "> 0"
    value = _as_float(name, value, bound)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return value


def check_finite_number(name: str, value) -> float:
    """A finite real number (any sign)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = _as_float(name, value, "")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def check_number_pair(name: str, value) -> tuple[float, float]:
    """A positive finite number or a pair of them, returned as a pair."""
    if isinstance(value, np.ndarray) and value.ndim == 0:  # a 0-d array is a number, as in numpy
        value = value[()]
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes)):
        items = list(np.asarray(value, dtype=object).ravel()) if isinstance(value, np.ndarray) else list(value)
        if len(items) != 2:
            raise ValueError(f"{name} must be a number or a pair (rows, cols) of numbers, got {value!r}")
        return (check_positive_number(f"{name}[0]", items[0]), check_positive_number(f"{name}[1]", items[1]))
    v = check_positive_number(name, value)
    return (v, v)


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (not bool) within optional bounds."""
    if type(value) is not int and (isinstance(value, (bool, np.bool_))
                                   or not isinstance(value, numbers.Integral)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_bool(name: str, value) -> bool:
    """A Python or numpy bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_shape_pair(name: str, value) -> tuple[int, int]:
    """A pair (rows, cols) of positive integers."""
    if not isinstance(value, (Sequence, np.ndarray)) or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a pair (rows, cols) of positive integers, got {value!r}")
    items = list(value)
    if len(items) != 2:
        raise ValueError(f"{name} must be a pair (rows, cols) of positive integers, got {value!r}")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise TypeError(f"{name}[{i}] must be an integer, got {type(item).__name__} {item!r}")
        if int(item) < 1:
            raise ValueError(f"{name}[{i}] must be >= 1, got {int(item)}")
        out.append(int(item))
    return (out[0], out[1])


def check_channel_axis(channel_axis, ndim: int, name: str = "channel_axis") -> int | None:
    """Normalise ``channel_axis`` for an image of ``ndim`` dimensions.

    2-D images have no channel axis, whatever ``channel_axis`` says.  3-D images need one:
    an integer in ``[-3, 2]``.  Returns the non-negative axis, or ``None`` for 2-D images.
    """
    if ndim == 2:
        if channel_axis is not None and (isinstance(channel_axis, (bool, np.bool_))
                                         or not isinstance(channel_axis, numbers.Integral)):
            raise TypeError(f"{name} must be an integer or None, got "
                            f"{type(channel_axis).__name__} {channel_axis!r}")
        return None
    if channel_axis is None:
        raise ValueError(
            f"a {ndim}-D image needs {name} (an integer in [-{ndim}, {ndim - 1}]); "
            f"got None. Pass channel_axis=-1 for (H, W, C) images"
        )
    if isinstance(channel_axis, (bool, np.bool_)) or not isinstance(channel_axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer or None, got {type(channel_axis).__name__} {channel_axis!r}")
    axis = int(channel_axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [-{ndim}, {ndim - 1}] for a {ndim}-D image, got {axis}")
    return axis % ndim


def _format_size(nbytes: int) -> str:
    """``nbytes`` in bytes, MiB or GiB, also for integers too large for a float (absurd scales)."""
    gib = nbytes // 1024**3
    if nbytes < 1024**2:
        return f"{nbytes} bytes"
    if nbytes < 1024**3:
        return f"{nbytes / 1024**2:.1f} MiB"
    if gib < 10**9:
        return f"{nbytes / 1024**3:.1f} GiB"
    return f"about 10^{len(str(gib)) - 1} GiB"


def _format_shape(shape) -> str:
    """A shape, with absurd sides written as powers of ten."""
    sides = [str(int(s)) if int(s) < 10**12 else f"~10^{len(str(int(s))) - 1}" for s in shape]
    return "(" + ", ".join(sides) + ("," if len(sides) == 1 else "") + ")"


def check_output_size(shape, dtype, what: str = "the output") -> None:
    """Fail fast, before allocating, when ``shape`` x ``dtype`` exceeds the configured bound."""
    n = 1
    for s in shape:
        n *= int(s)
    nbytes = n * np.dtype(dtype).itemsize
    if nbytes > _config.MAX_OUTPUT_BYTES:
        raise ValueError(
            f"{what} would have shape {_format_shape(shape)} and need {_format_size(nbytes)}, "
            f"more than the limit of {_format_size(_config.MAX_OUTPUT_BYTES)} "
            f"(set CLASSICSR_MAX_OUTPUT_BYTES to raise it, or use classicsr.dask for out-of-core work)"
        )
