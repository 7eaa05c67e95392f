"""Point-spread functions: Gaussian, disk (defocus), linear motion, box, and user arrays.

Every PSF is a 2-D float64 array that sums to 1, with its centre at ``(kh // 2, kw // 2)``
(the middle pixel for odd sizes): the convention of :func:`classicsr.fft.psf2otf` and MATLAB.
Angles are in degrees, counter-clockwise from the +x (column) axis, with rows growing
downwards as in an image (so +y is up on screen, i.e. towards row 0).
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import check_int, check_output_size, check_positive_number, check_shape_pair

__all__ = ["gaussian", "disk", "motion", "box", "validate_psf"]


def _check_size(size, name="size"):
    """int or (int, int) >= 1 -> (rows, cols)."""
    if isinstance(size, (tuple, list, np.ndarray)):
        items = list(size)
        if len(items) != 2:
            raise ValueError(f"{name} must be an integer or a pair (rows, cols), got {size!r}")
        return (check_int(f"{name}[0]", items[0], minimum=1), check_int(f"{name}[1]", items[1], minimum=1))
    v = check_int(name, size, minimum=1)
    return (v, v)


def _check_angle(angle, name="angle"):
    if isinstance(angle, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number (degrees), got bool")
    try:
        value = float(angle)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number (degrees), got {type(angle).__name__} {angle!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {angle!r}")
    return value


def _grid(size):
    """Pixel-centre coordinates (x to the right, y up) relative to the PSF centre."""
    rows, cols = size
    r = np.arange(rows, dtype=np.float64) - rows // 2
    c = np.arange(cols, dtype=np.float64) - cols // 2
    x = np.broadcast_to(c[None, :], size)
    y = np.broadcast_to(-r[:, None], size)
    return x, y


def gaussian(sigma, *, size=None, sigma_y=None, angle=0.0) -> np.ndarray:
    """Sampled 2-D Gaussian PSF, isotropic or anisotropic and rotated.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels along the PSF's first principal axis (the x axis before
        rotation), > 0.
    size : int or (int, int), optional
        PSF shape.  Default: square, ``2 * ceil(3 * max(sigma, sigma_y)) + 1`` (odd).
    sigma_y : float, optional
        Standard deviation along the second principal axis; default ``sigma`` (isotropic).
    angle : float, optional
        Rotation of the first principal axis, degrees counter-clockwise from +x.

    Returns
    -------
    (kh, kw) ndarray of float64
        Sums to 1.

    Notes
    -----
    With :math:`u = x\\cos\\theta + y\\sin\\theta`, :math:`v = -x\\sin\\theta + y\\cos\\theta`,
    the samples are :math:`\\exp(-u^2 / 2\\sigma^2 - v^2 / 2\\sigma_y^2)` at pixel centres,
    normalised to sum 1 (like MATLAB ``fspecial("gaussian")``).  The default size covers
    +-3 sigma, which holds 99.7 % of each 1-D marginal.

    Examples
    --------
    >>> from classicsr import psf
    >>> h = psf.gaussian(2.0)
    >>> h.shape, round(float(h.sum()), 12)
    ((13, 13), 1.0)
    >>> psf.gaussian(1.0, sigma_y=3.0, angle=30).shape
    (19, 19)
    """
    sx = check_positive_number("sigma", sigma)
    sy = sx if sigma_y is None else check_positive_number("sigma_y", sigma_y)
    theta = math.radians(_check_angle(angle))
    if size is None:
        half = int(math.ceil(3.0 * max(sx, sy)))
        size = (2 * half + 1, 2 * half + 1)
    else:
        size = _check_size(size)
    # x, y, u, v and h: five float64 arrays of the PSF's size.
    check_output_size((5,) + tuple(size), np.float64,
                      f"the Gaussian PSF (sigma={sigma!r}, sigma_y={sigma_y!r}, size={size}) "
                      f"with its temporaries")
    x, y = _grid(size)
    u = x * math.cos(theta) + y * math.sin(theta)
    v = -x * math.sin(theta) + y * math.cos(theta)
    h = np.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2))
    return h / h.sum()


def _disk_coverage(r: float, size: int, samples: int = 512) -> np.ndarray:
    """Area of each unit pixel inside the disk of radius r (pixel centres on integers)."""
    half = size // 2
    centres = np.arange(size, dtype=np.float64) - half
    offsets = (np.arange(samples, dtype=np.float64) + 0.5) / samples - 0.5
    lo = centres[:, None] - 0.5                                    # pixel row intervals in y
    hi = centres[:, None] + 0.5
    out = np.empty((size, size))
    for j, cx in enumerate(centres):
        # Midpoint-rule integral over x of the covered y-length inside each pixel of column j.
        xs = cx + offsets
        reach = np.sqrt(np.clip(r * r - xs * xs, 0.0, None))[None, :]   # disk half-height at x
        covered = np.clip(np.minimum(hi, reach) - np.maximum(lo, -reach), 0.0, None)
        out[:, j] = covered.mean(axis=1)
    return out


def disk(radius) -> np.ndarray:
    """Uniform disk (pillbox) PSF: defocus blur.

    Parameters
    ----------
    radius : float
        Radius in pixels, > 0.

    Returns
    -------
    (2 * ceil(radius - 0.5) + 1, 2 * ceil(radius - 0.5) + 1) ndarray of float64
        Each entry is the area of the pixel covered by the disk, normalised to sum 1
        (MATLAB ``fspecial("disk")`` semantics).

    Notes
    -----
    The covered area of pixel :math:`[x-\\tfrac12, x+\\tfrac12] \\times [y-\\tfrac12, y+\\tfrac12]`
    is :math:`\\int \\mathrm{len}([y-\\tfrac12, y+\\tfrac12] \\cap [-s(t), s(t)])\\,dt` with
    :math:`s(t) = \\sqrt{r^2 - t^2}`, evaluated by a 512-point midpoint rule per pixel column
    (absolute error per pixel below about 1e-4).

    Examples
    --------
    >>> from classicsr import psf
    >>> h = psf.disk(2.5)
    >>> h.shape, bool(abs(h.sum() - 1) < 1e-12), bool((h == h.T).all())
    ((5, 5), True, True)
    """
    r = check_positive_number("radius", radius)
    size = 2 * max(0, int(math.ceil(r - 0.5))) + 1  # the smallest odd square the disk touches
    check_output_size((size, size), np.float64, f"the disk PSF of radius={radius!r}")
    h = _disk_coverage(r, size)
    h = 0.5 * (h + h.T)  # exact symmetry despite the quadrature direction
    return h / h.sum()


def motion(length, angle=0.0) -> np.ndarray:
    """Linear motion blur PSF: a one-pixel-wide anti-aliased line segment.

    Parameters
    ----------
    length : float
        Number of pixels the motion covers (>= 1); the segment runs between the pixel
        centres at distance ``(length - 1) / 2`` either side of the PSF centre.
    angle : float, optional
        Direction of motion, degrees counter-clockwise from +x.

    Returns
    -------
    (kh, kw) ndarray of float64
        Odd-sized, sums to 1, point-symmetric about the centre.

    Notes
    -----
    Each pixel gets weight :math:`\\max(0, 1 - d)` where :math:`d` is the Euclidean distance from
    its centre to the segment (caps included), then the PSF is normalised: the line-width-1
    construction of MATLAB ``fspecial("motion")``.  For angle 0 and odd integer ``length`` it is
    a ``1 x length`` box; for even ``length`` the two end pixels get half weight.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr import psf
    >>> psf.motion(5, 0).round(3)
    array([[0.2, 0.2, 0.2, 0.2, 0.2]])
    >>> psf.motion(9, 45).shape
    (7, 7)
    """
    ln = check_positive_number("length", length)
    if ln < 1:
        raise ValueError(f"length must be >= 1 pixel, got {length!r}")
    theta = math.radians(_check_angle(angle))
    half = (ln - 1.0) / 2.0
    c, s = math.cos(theta), math.sin(theta)
    # Bounding box of everything within distance 1 of the segment.
    ext_x = int(math.ceil(abs(half * c) + 1.0))
    ext_y = int(math.ceil(abs(half * s) + 1.0))
    check_output_size((5, 2 * ext_y + 1, 2 * ext_x + 1), np.float64,
                      f"the motion PSF of length={length!r} with its temporaries")
    x, y = _grid((2 * ext_y + 1, 2 * ext_x + 1))
    along = np.clip(x * c + y * s, -half, half)
    dist = np.hypot(x - along * c, y - along * s)
    h = np.clip(1.0 - dist, 0.0, None)
    h[h < 1e-12] = 0.0  # distance exactly 1 (up to rounding) contributes nothing
    # Trim all-zero border rows/cols symmetrically so the centre stays in the middle.
    rows = np.flatnonzero(h.any(axis=1))
    cols = np.flatnonzero(h.any(axis=0))
    cy, cx = h.shape[0] // 2, h.shape[1] // 2
    ry = max(cy - rows[0], rows[-1] - cy)
    rx = max(cx - cols[0], cols[-1] - cx)
    h = h[cy - ry: cy + ry + 1, cx - rx: cx + rx + 1]
    return h / h.sum()


def box(size) -> np.ndarray:
    """Uniform box (moving-average) PSF.

    Parameters
    ----------
    size : int or (int, int)
        PSF shape; even sizes are allowed (centre at ``(kh // 2, kw // 2)``).

    Returns
    -------
    (kh, kw) ndarray of float64
        All entries ``1 / (kh * kw)``.

    Examples
    --------
    >>> from classicsr import psf
    >>> psf.box(2)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    shape = _check_size(size)
    check_output_size(shape, np.float64, f"the box PSF of size={size!r}")
    return np.full(shape, 1.0 / (shape[0] * shape[1]))


def validate_psf(psf, name: str = "psf", *, image_shape=None) -> np.ndarray:
    """Check a user PSF and return it normalised, as a new float64 array.

    Parameters
    ----------
    psf : (kh, kw) array_like
        Real, finite, non-negative, with a positive sum; odd or even sizes.
    name : str, optional
        Parameter name used in error messages.
    image_shape : (int, int), optional
        When given, the PSF must fit inside it (``kh <= M`` and ``kw <= N``).

    Returns
    -------
    (kh, kw) ndarray of float64
        ``psf / psf.sum()``; the caller's array is never modified.

    Raises
    ------
    TypeError
        Not a real numeric array.
    ValueError
        Not 2-D, empty, NaN/inf, negative entries, zero sum, or larger than ``image_shape``.

    Examples
    --------
    >>> from classicsr.psf import validate_psf
    >>> validate_psf([[1, 2, 1]])
    array([[0.25, 0.5 , 0.25]])
    """
    if isinstance(psf, (str, bytes)) or psf is None:
        raise TypeError(f"{name} must be a 2-D numeric array, got {type(psf).__name__}")
    arr = np.asarray(psf)
    if arr.dtype.kind not in "biuf" or arr.dtype.kind == "b":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (kh, kw), got a {arr.ndim}-D array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    arr = arr.astype(np.float64)  # a copy
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values, got NaN or inf")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, got a minimum of {arr.min()!r}; "
                         f"clip it (np.clip(psf, 0, None)) if the negatives are estimation noise")
    total = arr.sum()
    if not total > 0:
        raise ValueError(f"{name} must have a positive sum, got {total!r} (an all-zero PSF)")
    if image_shape is not None:
        m, n = check_shape_pair("image_shape", image_shape)
        if arr.shape[0] > m or arr.shape[1] > n:
            raise ValueError(f"{name} of shape {arr.shape} is larger than the image ({m}, {n}); "
                             f"the PSF must fit inside the image")
    return arr / total
