"""ITU-R BT.601 colour conversions, MATLAB-compatible (``rgb2ycbcr`` / ``ycbcr2rgb``).

The SR literature scores images on the luma (Y) channel of the "studio swing" BT.601
YCbCr space exactly as MATLAB's ``rgb2ycbcr`` computes it.  This module reproduces that
conversion for ``uint8``, ``uint16`` and floating-point images.

Value conventions (the same as MATLAB):

========  ======================  ===============================
dtype     RGB range               Y range / Cb, Cr range
========  ======================  ===============================
uint8     0 .. 255                16 .. 235 / 16 .. 240
uint16    0 .. 65535              4112 .. 60395 / 4112 .. 61680
float     0 .. 1                  16/255 .. 235/255 / 16/255 .. 240/255
========  ======================  ===============================

Integer results are rounded half away from zero and saturated to the input's dtype, like
MATLAB's ``imlincomb``; floating-point results are neither rounded nor clipped.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["rgb_to_ycbcr", "ycbcr_to_rgb", "rgb_to_y", "BT601_MATRIX", "BT601_OFFSET"]

#: The BT.601 matrix of MATLAB's ``rgb2ycbcr``: rows Y, Cb, Cr for R, G, B in [0, 1] and the
#: result on the 0..255 scale (before the offset).
BT601_MATRIX = np.array(
    [[65.481, 128.553, 24.966],
     [-37.797, -74.203, 112.0],
     [112.0, -93.786, -18.214]],
    dtype=np.float64,
)
#: Offsets on the 0..255 scale for Y, Cb, Cr.
BT601_OFFSET = np.array([16.0, 128.0, 128.0], dtype=np.float64)

_INT_MAX = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}

_SHAPE_DOC = """image : (M, N, 3) ndarray, or 3 channels along ``channel_axis``
        uint8, uint16, float16/32/64."""


def _scales(dtype: np.dtype) -> tuple[float, float]:
    """(matrix scale, offset scale) of MATLAB's rgb2ycbcr for this dtype."""
    if dtype == np.uint8:
        return 1.0 / 255.0, 1.0
    if dtype == np.uint16:
        return 257.0 / 65535.0, 257.0
    return 1.0 / 255.0, 1.0 / 255.0


def _prepare(image, channel_axis, name: str = "image") -> tuple[np.ndarray, int]:
    array = V.as_image(image, name, ndims=(3,))
    axis = V.check_channel_axis(channel_axis, array.ndim)
    if array.shape[axis] != 3:
        raise ValueError(
            f"{name} must have 3 channels (R, G, B or Y, Cb, Cr) along channel_axis={channel_axis}, "
            f"got shape {array.shape} with {array.shape[axis]} channels"
            + (" (an RGBA image: drop the alpha channel first, e.g. image[..., :3])"
               if array.shape[axis] == 4 else "")
        )
    return array, axis


def _finish(planes: list[np.ndarray], dtype: np.dtype, axis: int) -> np.ndarray:
    """Stack float64 planes along ``axis`` and convert to the output dtype."""
    out = np.stack(planes, axis=axis)
    if dtype in _INT_MAX:
        # MATLAB rounds half away from zero and saturates; all values are finite here.
        np.clip(out, 0.0, _INT_MAX[dtype], out=out)
        return V.round_half_away(out).astype(dtype)
    return out.astype(V.supported_float_type(dtype), copy=False)


def _lincomb(c0: np.ndarray, c1: np.ndarray, c2: np.ndarray, w, offset: float) -> np.ndarray:
    # Same evaluation order as MATLAB's imlincomb: w0*c0 + w1*c1 + w2*c2 + offset, in float64.
    out = c0 * w[0]
    out += c1 * w[1]
    out += c2 * w[2]
    out += offset
    return out


def _channels(array: np.ndarray, axis: int) -> list[np.ndarray]:
    dtype = np.float64
    return [np.take(array, i, axis=axis).astype(dtype) for i in range(3)]


def rgb_to_ycbcr(image, *, channel_axis: int = -1) -> np.ndarray:
    """Convert RGB to BT.601 YCbCr exactly like MATLAB's ``rgb2ycbcr``.

    Parameters
    ----------
    image : (M, N, 3) ndarray
        RGB image with 3 channels along ``channel_axis``; uint8, uint16, float16, float32 or
        float64.  Floating-point RGB is on the [0, 1] scale.
    channel_axis : int, keyword-only
        Axis of the colour channels (default -1).

    Returns
    -------
    ycbcr : (M, N, 3) ndarray
        Same shape as ``image``.  uint8 and uint16 keep their dtype (rounded half away from
        zero, saturated); float32/float16 give float32, float64 gives float64.

    Notes
    -----
    With :math:`R, G, B \\in [0, 1]` and results on the 0..255 scale,

    .. math::

        \\begin{pmatrix} Y \\\\ C_b \\\\ C_r \\end{pmatrix} =
        \\begin{pmatrix} 16 \\\\ 128 \\\\ 128 \\end{pmatrix} +
        \\begin{pmatrix} 65.481 & 128.553 & 24.966 \\\\
                         -37.797 & -74.203 & 112 \\\\
                         112 & -93.786 & -18.214 \\end{pmatrix}
        \\begin{pmatrix} R \\\\ G \\\\ B \\end{pmatrix}.

    For uint8 input the matrix is divided by 255 and applied to the 0..255 values; for uint16
    it is scaled by 257/65535 and the offset by 257; for float input both are divided by 255.
    The arithmetic is done in float64 in MATLAB's order (``imlincomb``).

    References
    ----------
    .. [1] ITU-R Recommendation BT.601-7, "Studio encoding parameters of digital television
           for standard 4:3 and wide-screen 16:9 aspect ratios", 2011.
    .. [2] C. Poynton, "Digital Video and HDTV: Algorithms and Interfaces", Morgan Kaufmann,
           2003, p. 175.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.color import rgb_to_ycbcr
    >>> rgb_to_ycbcr(np.array([[[255, 255, 255]]], dtype=np.uint8))
    array([[[235, 128, 128]]], dtype=uint8)
    >>> rgb_to_ycbcr(np.zeros((1, 1, 3)))[0, 0] * 255
    array([ 16., 128., 128.])
    """
    array, axis = _prepare(image, channel_axis)
    dtype = array.dtype.newbyteorder("=")
    mscale, oscale = _scales(dtype)
    r, g, b = _channels(array, axis)
    planes = [_lincomb(r, g, b, BT601_MATRIX[p] * mscale, BT601_OFFSET[p] * oscale) for p in range(3)]
    return _finish(planes, dtype, axis)


def ycbcr_to_rgb(image, *, channel_axis: int = -1) -> np.ndarray:
    """Convert BT.601 YCbCr back to RGB, the inverse of :func:`rgb_to_ycbcr` (MATLAB ``ycbcr2rgb``).

    Parameters
    ----------
    image : (M, N, 3) ndarray
        YCbCr image with 3 channels along ``channel_axis``, on the scales of
        :func:`rgb_to_ycbcr` for its dtype.
    channel_axis : int, keyword-only
        Axis of the colour channels (default -1).

    Returns
    -------
    rgb : (M, N, 3) ndarray
        uint8/uint16 keep their dtype (rounded half away from zero, saturated to the dtype's
        range); float results follow the dtype rule and are **not** clipped to [0, 1], so that
        ``ycbcr_to_rgb(rgb_to_ycbcr(x))`` returns ``x`` to rounding error for float ``x``.

    Notes
    -----
    :math:`(R, G, B)^T = T^{-1} \\left((Y, C_b, C_r)^T - o\\right)` with :math:`T` the BT.601
    matrix and :math:`o = (16, 128, 128)^T`, both on the scale of the dtype as in
    :func:`rgb_to_ycbcr`.

    References
    ----------
    .. [1] ITU-R Recommendation BT.601-7, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.color import ycbcr_to_rgb
    >>> ycbcr_to_rgb(np.array([[[235, 128, 128]]], dtype=np.uint8))
    array([[[255, 255, 255]]], dtype=uint8)
    """
    array, axis = _prepare(image, channel_axis)
    dtype = array.dtype.newbyteorder("=")
    mscale, oscale = _scales(dtype)
    inverse = np.linalg.inv(BT601_MATRIX * mscale)
    y, cb, cr = _channels(array, axis)
    offsets = BT601_OFFSET * oscale
    y -= offsets[0]
    cb -= offsets[1]
    cr -= offsets[2]
    planes = [_lincomb(y, cb, cr, inverse[p], 0.0) for p in range(3)]
    return _finish(planes, dtype, axis)


def rgb_to_y(image, *, channel_axis: int | None = -1) -> np.ndarray:
    """The BT.601 luma (Y) channel of an RGB image, as MATLAB's ``rgb2ycbcr(...)(:, :, 1)``.

    A 2-D (grayscale) image is returned unchanged (as the SR protocol scores grayscale images
    as they are).

    Parameters
    ----------
    image : (M, N) or (M, N, 3) ndarray
        uint8, uint16, float16, float32 or float64; floating-point RGB is on the [0, 1] scale.
    channel_axis : int or None, keyword-only
        Axis of the colour channels of a 3-D image (default -1); ignored for 2-D images.

    Returns
    -------
    y : (M, N) ndarray
        Same dtype rules as :func:`rgb_to_ycbcr`: uint8 gives uint8 Y in 16..235 (rounded,
        like MATLAB's uint8 path), float gives Y in [16/255, 235/255].  A 2-D input is
        returned as it is (not copied).

    Notes
    -----
    :math:`Y = 16 + 65.481 R + 128.553 G + 24.966 B` for :math:`R, G, B \\in [0, 1]`, on the
    0..255 scale.

    References
    ----------
    .. [1] ITU-R Recommendation BT.601-7, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.color import rgb_to_y
    >>> rgb_to_y(np.full((2, 2, 3), 255, dtype=np.uint8))
    array([[235, 235],
           [235, 235]], dtype=uint8)
    """
    array = V.as_image(image, "image")
    if array.ndim == 2:
        V.check_channel_axis(channel_axis, 2)
        return array
    array, axis = _prepare(array, channel_axis)
    dtype = array.dtype.newbyteorder("=")
    mscale, oscale = _scales(dtype)
    r, g, b = _channels(array, axis)
    y = _lincomb(r, g, b, BT601_MATRIX[0] * mscale, BT601_OFFSET[0] * oscale)
    if dtype in _INT_MAX:
        np.clip(y, 0.0, _INT_MAX[dtype], out=y)
        return V.round_half_away(y).astype(dtype)
    return y.astype(V.supported_float_type(dtype), copy=False)
