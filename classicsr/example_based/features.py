"""Zeyde et al. (2010) patch features: gradient filters on the bicubic image, overlapping patches.

The low-resolution image is first upscaled with MATLAB bicubic (:func:`classicsr.resize`) to
the target size; every feature lives on that high-resolution grid.  Four filters are applied
(first and second derivative, horizontally and vertically, dilated by the scale so that they
act on low-resolution frequencies):

.. math::

    g = [1, 0_{s-1}, -1], \\qquad l = \\tfrac12 [1, 0_{s-1}, -2, 0_{s-1}, 1]

and square patches of side ``3 s`` are taken every ``s`` pixels (one patch per LR pixel, so
neighbouring patches overlap by two thirds).  A patch's feature vector is the concatenation of
its four filtered patches (``4 * 9 s^2`` values), later projected by PCA.  The regression
target is the patch of the high-frequency residual ``HR - bicubic``.

The image is padded symmetrically by ``s`` pixels before filtering and patching so that the
whole image is covered (the papers leave a border of ``s`` pixels to plain bicubic; the
benchmark protocol shaves that border anyway).
"""

from __future__ import annotations

import numpy as np

from .._kernels import example_based as _k

__all__ = ["feature_filters", "filter_planes", "patch_grid", "extract_patches", "aggregate_patches",
           "patch_size"]


def patch_size(scale: int) -> int:
    """Side of a high-resolution patch: ``3 * scale`` (3x3 low-resolution pixels)."""
    return 3 * int(scale)


def feature_filters(scale: int) -> list[tuple[np.ndarray, int]]:
    """The four 1-D feature filters and the axis each acts along.

    Returns
    -------
    list of (weights, axis)
        Horizontal gradient, vertical gradient, horizontal Laplacian, vertical Laplacian,
        each dilated by ``scale`` (``scale - 1`` zeros between taps).  Tap ``i`` of a filter of
        length ``n`` multiplies the pixel at offset ``i - n // 2`` (correlation).

    Examples
    --------
    >>> [w.tolist() for w, axis in feature_filters(2)][:3:2]
    [[1.0, 0.0, -1.0], [0.5, 0.0, -1.0, 0.0, 0.5]]
    """
    zeros = np.zeros(int(scale) - 1)
    g = np.concatenate([[1.0], zeros, [-1.0]])
    lap = np.concatenate([[1.0], zeros, [-2.0], zeros, [1.0]]) / 2.0
    return [(g, 1), (g, 0), (lap, 1), (lap, 0)]


def filter_planes(image: np.ndarray, scale: int) -> np.ndarray:
    """Apply the four feature filters to a 2-D image (symmetric boundary).

    Parameters
    ----------
    image : (H, W) float ndarray
    scale : int

    Returns
    -------
    planes : (4, H, W) ndarray, same float dtype as ``image``.
    """
    from scipy.ndimage import correlate1d

    out = np.empty((4,) + image.shape, dtype=image.dtype)
    for i, (w, axis) in enumerate(feature_filters(scale)):
        # 'reflect' in scipy is MATLAB's 'symmetric' (a b c | c b a)
        correlate1d(image, w.astype(image.dtype), axis=axis, mode="reflect", output=out[i])
    return out


def patch_grid(shape: tuple[int, int], size: int, step: int, *, margin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Top-left corners of the patch grid on an image of ``shape``, row-major.

    Corners are ``margin, margin + step, ...`` up to the last one whose patch of side ``size``
    fits inside ``shape`` less ``margin`` on the far side.

    Returns
    -------
    rows, cols : (N,) int64 arrays
    """
    h, w = shape
    r = np.arange(margin, h - margin - size + 1, step, dtype=np.int64)
    c = np.arange(margin, w - margin - size + 1, step, dtype=np.int64)
    rr, cc = np.meshgrid(r, c, indexing="ij")
    return rr.ravel(), cc.ravel()


def extract_patches(planes: np.ndarray, rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """Patches of side ``size`` at the given corners, one row each.

    Parameters
    ----------
    planes : (H, W) or (F, H, W) ndarray
    rows, cols : (N,) integer arrays of top-left corners (patches must lie inside).

    Returns
    -------
    patches : (N, F * size * size) ndarray, plane-major then C order inside a patch.
    """
    planes = np.ascontiguousarray(planes if planes.ndim == 3 else planes[None])
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    if rows.size and (rows.min() < 0 or cols.min() < 0 or rows.max() + size > planes.shape[1]
                      or cols.max() + size > planes.shape[2]):
        raise ValueError(f"patch corners must keep {size}x{size} patches inside the {planes.shape[1:]} image")
    out = np.empty((rows.shape[0], planes.shape[0] * size * size), dtype=planes.dtype)
    _k.gather_patches(planes, rows, cols, int(size), out)
    return out


def aggregate_patches(patches: np.ndarray, rows: np.ndarray, cols: np.ndarray, size: int,
                      shape: tuple[int, int]):
    """Average overlapping patches back into an image.

    Parameters
    ----------
    patches : (N, size * size) ndarray
    rows, cols : (N,) top-left corners
    shape : (H, W) of the result

    Returns
    -------
    image : (H, W) float64 ndarray
        Mean of the patch values covering each pixel (0 where none does).
    weight : (H, W) float64 ndarray
        Number of patches covering each pixel.
    """
    acc = np.zeros(shape, dtype=np.float64)
    weight = np.zeros(shape, dtype=np.float64)
    accumulate_patches(patches, rows, cols, size, acc, weight)
    return np.divide(acc, weight, out=np.zeros_like(acc), where=weight > 0), weight


def accumulate_patches(patches, rows, cols, size, acc, weight) -> None:
    """In-place sum of ``patches`` into ``acc`` and of coverage counts into ``weight``."""
    patches = np.ascontiguousarray(patches)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    if patches.shape != (rows.shape[0], size * size):
        raise ValueError(f"patches must have shape ({rows.shape[0]}, {size * size}), got {patches.shape}")
    if rows.size and (rows.min() < 0 or cols.min() < 0 or rows.max() + size > acc.shape[0]
                      or cols.max() + size > acc.shape[1]):
        raise ValueError(f"patch corners must keep {size}x{size} patches inside the {acc.shape} image")
    _k.aggregate_patches(patches, rows, cols, int(size), acc, weight)
