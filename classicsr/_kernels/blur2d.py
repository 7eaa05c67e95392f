"""Direct 2-D convolution with a small, non-separable PSF through boundary index maps, and its
exact transpose.

``rmap[i, a]`` is the input row read by output row ``i`` for PSF row ``a`` (-1: zero), likewise
``cmap[j, b]``: ``out[i, j] = sum_{a, b} psf[a, b] * x[rmap[i, a], cmap[j, b]]``.
"""

from __future__ import annotations

from numba import prange

from .._config import jit
from ._frame import align_stack


@jit(parallel=True)
def conv2d_gather(x, psf, rmap, cmap, out):
    align_stack()
    H, W = out.shape
    kh, kw = psf.shape
    for i in prange(H):
        align_stack()  # the parallel body is its own function
        for j in range(W):
            acc = 0.0
            for a in range(kh):
                r = rmap[i, a]
                if r < 0:
                    continue
                for b in range(kw):
                    c = cmap[j, b]
                    if c < 0:
                        continue
                    acc += psf[a, b] * x[r, c]
            out[i, j] = acc


@jit
def conv2d_scatter(y, psf, rmap, cmap, out):
    """Transpose of :func:`conv2d_gather`; ``out`` is zeroed here."""
    align_stack()
    H, W = y.shape
    kh, kw = psf.shape
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = 0.0
    for i in range(H):
        for j in range(W):
            v = y[i, j]
            for a in range(kh):
                r = rmap[i, a]
                if r < 0:
                    continue
                for b in range(kw):
                    c = cmap[j, b]
                    if c < 0:
                        continue
                    out[r, c] += psf[a, b] * v
