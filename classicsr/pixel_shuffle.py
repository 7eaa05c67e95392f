"""Pixel shuffle (depth-to-space) and its inverse, in numpy.

The rearrangement at the end of a sub-pixel convolution network (ESPCN): ``r^2`` planes at
LR resolution become one plane at ``r`` times the resolution.  It is a permutation, so
:func:`pixel_unshuffle` is its exact inverse and its adjoint.  Same channel ordering as
``torch.nn.functional.pixel_shuffle`` and TensorFlow's ``depth_to_space`` on NCHW data:
input channel ``c * r^2 + i * r + j`` becomes output channel ``c`` at sub-pixel ``(i, j)``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _axes(ndim: int, channel_axis) -> int:
    if ndim != 3:
        raise ValueError(f"image must be 3-D (with a channel axis), got a {ndim}-D array")
    return V.check_channel_axis(channel_axis, ndim)


def _new_native(view: np.ndarray) -> np.ndarray:
    """A new C-contiguous, native-byte-order array (never a view of the caller's buffer, which
    ``np.ascontiguousarray`` returns for ``factor=1``)."""
    return np.array(view, dtype=view.dtype.newbyteorder("="), order="C", copy=True)


def pixel_shuffle(image, factor: int, *, channel_axis: int = -1) -> np.ndarray:
    """Rearrange ``C r^2`` channels of size ``(M, N)`` into ``C`` channels of size ``(r M, r N)``.

    Parameters
    ----------
    image : (M, N, C r^2) ndarray
        Any dtype; the channels lie along ``channel_axis``.
    factor : int
        The upscaling factor ``r`` (>= 1).
    channel_axis : int, keyword-only
        Axis of the channels (default -1).  The output keeps it at the same position.

    Returns
    -------
    out : (r M, r N, C) ndarray
        Same dtype; a new array.

    Notes
    -----
    :math:`\\mathrm{out}[r m + i, r n + j, c] = \\mathrm{in}[m, n, c r^2 + i r + j]`
    for :math:`0 \\le i, j < r` (Shi et al. 2016, eq. 4).

    References
    ----------
    .. [1] W. Shi et al., "Real-time single image and video super-resolution using an efficient
           sub-pixel convolutional neural network", CVPR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.pixel_shuffle import pixel_shuffle
    >>> x = np.arange(4).reshape(1, 1, 4)
    >>> pixel_shuffle(x, 2)[..., 0]
    array([[0, 1],
           [2, 3]])
    """
    array = np.asarray(image)
    axis = _axes(array.ndim, channel_axis)
    r = V.check_int("factor", factor, minimum=1)
    chw = np.moveaxis(array, axis, 0)
    cr2, m, n = chw.shape
    if cr2 % (r * r):
        raise ValueError(f"image has {cr2} channels along channel_axis={channel_axis}, which is not a "
                         f"multiple of factor**2 = {r * r}")
    c = cr2 // (r * r)
    out = chw.reshape(c, r, r, m, n).transpose(0, 3, 1, 4, 2).reshape(c, m * r, n * r)
    return _new_native(np.moveaxis(out, 0, axis))


def pixel_unshuffle(image, factor: int, *, channel_axis: int = -1) -> np.ndarray:
    """The inverse of :func:`pixel_shuffle` (space-to-depth).

    Parameters
    ----------
    image : (r M, r N, C) ndarray
        Any dtype; both spatial sides must be multiples of ``factor``.
    factor : int
        ``r`` (>= 1).
    channel_axis : int, keyword-only
        Axis of the channels (default -1).

    Returns
    -------
    out : (M, N, C r^2) ndarray
        :math:`\\mathrm{out}[m, n, c r^2 + i r + j] = \\mathrm{in}[r m + i, r n + j, c]`.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.pixel_shuffle import pixel_shuffle, pixel_unshuffle
    >>> x = np.arange(2 * 4 * 6).reshape(4, 6, 2)
    >>> bool((pixel_shuffle(pixel_unshuffle(x, 2), 2) == x).all())
    True
    """
    array = np.asarray(image)
    axis = _axes(array.ndim, channel_axis)
    r = V.check_int("factor", factor, minimum=1)
    chw = np.moveaxis(array, axis, 0)
    c, mr, nr = chw.shape
    if mr % r or nr % r:
        raise ValueError(f"image of spatial size {mr}x{nr} is not a multiple of factor={r}")
    m, n = mr // r, nr // r
    out = chw.reshape(c, m, r, n, r).transpose(0, 2, 4, 1, 3).reshape(c * r * r, m, n)
    return _new_native(np.moveaxis(out, 0, axis))
