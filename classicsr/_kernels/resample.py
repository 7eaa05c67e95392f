"""Separable resampling kernels.

Each pass applies one precomputed weight/index table along one axis of a C-contiguous
``(H, W, C)`` image (gray images have ``C == 1``):

``dst[i, ...] = sum_k wts[i, k] * src[idx[i, k], ...]``        (rows pass, axis 0)
``dst[:, j, c] = sum_k wts[j, k] * src[:, idx[j, k], c]``      (columns pass, axis 1)

Taps are accumulated in order ``k = 0, 1, ...`` in the weights' dtype (float64 for integer
images, so rounding matches MATLAB, which computes in double).  ``maxval > 0`` means the
destination is an unsigned integer type: values are rounded half away from zero and saturated
to ``[0, maxval]``; ``maxval == 0`` stores the value as is (float destinations).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._config import jit

_ROW_BLOCK = 4096  # elements of a row processed at once in the rows pass (fits L1 as float64)


@jit
def _round_sat(v, maxval):
    # Round half away from zero, then saturate (only called with maxval > 0, v finite).
    if v <= 0.0:
        return 0.0
    if v >= maxval:
        return maxval
    f = math.floor(v)
    if v - f >= 0.5:
        f += 1.0
    return f


@jit(parallel=True)
def rows_pass(src, dst, idx, wts, maxval):
    """Resample along axis 0: ``src`` (H_in, L) -> ``dst`` (H_out, L)."""
    h_out, length = dst.shape
    ntaps = idx.shape[1]
    nblocks = (length + _ROW_BLOCK - 1) // _ROW_BLOCK
    for job in prange(h_out * nblocks):
        i = job // nblocks
        start = (job % nblocks) * _ROW_BLOCK
        stop = min(start + _ROW_BLOCK, length)
        n = stop - start
        acc = np.empty(n, dtype=wts.dtype)
        r = idx[i, 0]
        w = wts[i, 0]
        for j in range(n):
            acc[j] = w * src[r, start + j]
        for k in range(1, ntaps):
            r = idx[i, k]
            w = wts[i, k]
            for j in range(n):
                acc[j] += w * src[r, start + j]
        if maxval > 0:
            for j in range(n):
                dst[i, start + j] = _round_sat(acc[j], maxval)
        else:
            for j in range(n):
                dst[i, start + j] = acc[j]


@jit(parallel=True)
def cols_pass(src, dst, idx, wts, maxval):
    """Resample along axis 1: ``src`` (H, W_in, C) -> ``dst`` (H, W_out, C)."""
    h, w_out, nch = dst.shape
    ntaps = idx.shape[1]
    for i in prange(h):
        for j in range(w_out):
            for c in range(nch):
                s = wts[j, 0] * src[i, idx[j, 0], c]
                for k in range(1, ntaps):
                    s += wts[j, k] * src[i, idx[j, k], c]
                if maxval > 0:
                    dst[i, j, c] = _round_sat(s, maxval)
                else:
                    dst[i, j, c] = s


def run_passes(data, passes, out_shape, out_dtype, mid_dtype, maxval):
    """Run the 1-D passes in order on ``data`` (H, W, C) contiguous.

    ``passes`` is a list of ``(axis, idx, wts)``; the last pass writes ``out_dtype``, earlier
    ones ``mid_dtype``.  ``maxval`` is the saturation value for unsigned destinations.
    Returns ``data`` itself when ``passes`` is empty.
    """
    cur = data
    nch = data.shape[2]
    for n, (ax, idx, w) in enumerate(passes):
        dtype = out_dtype if n == len(passes) - 1 else mid_dtype
        mv = maxval if np.dtype(dtype).kind == "u" else 0.0
        if ax == 0:
            out = np.empty((out_shape[0], cur.shape[1], nch), dtype=dtype)
            rows_pass(cur.reshape(cur.shape[0], -1), out.reshape(out.shape[0], -1), idx, w, mv)
        else:
            out = np.empty((cur.shape[0], out_shape[1], nch), dtype=dtype)
            cols_pass(cur, out, idx, w, mv)
        cur = out
    return cur
