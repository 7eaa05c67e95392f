"""Numba kernels for the image-quality metrics (SSIM and its contrast-structure term).

The SSIM kernel fuses the five separable Gaussian filterings (x, y, x*x, y*y, x*y) with the
SSIM formula.  Each parallel chunk of output rows keeps a ring buffer of ``k`` horizontally
filtered rows, so the data stay in cache and no full-size intermediate image is allocated.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from classicsr._config import jit
from classicsr._kernels._frame import align_stack


@jit(parallel=True)
def ssim_maps(x, y, w, c1, c2, out_ssim, out_cs, want_cs, nchunks):  # pragma: no cover - compiled
    """Fill the 'valid' SSIM map (and the contrast-structure map when ``want_cs``).

    x, y : (H, W) float64, C-contiguous.  w : (k,) float64 normalised 1-D window.
    out_ssim, out_cs : (H - k + 1, W - k + 1) float64 (out_cs may be (1, 1) when unused).
    nchunks : number of row blocks processed in parallel (>= 1).
    """
    align_stack()
    h = x.shape[0]
    k = w.shape[0]
    oh = h - k + 1
    ow = x.shape[1] - k + 1
    if nchunks > oh:
        nchunks = oh
    for c in prange(nchunks):
        align_stack()  # the parallel body is its own function
        r0 = c * oh // nchunks
        r1 = (c + 1) * oh // nchunks
        ring = np.empty((5, k, ow))
        acc = np.empty((5, ow))
        for r in range(r0, r1 + k - 1):
            slot = r % k
            hx = ring[0, slot]
            hy = ring[1, slot]
            hxx = ring[2, slot]
            hyy = ring[3, slot]
            hxy = ring[4, slot]
            for j in range(ow):
                hx[j] = 0.0
                hy[j] = 0.0
                hxx[j] = 0.0
                hyy[j] = 0.0
                hxy[j] = 0.0
            xr = x[r]
            yr = y[r]
            for t in range(k):
                wt = w[t]
                for j in range(ow):
                    a = xr[j + t]
                    b = yr[j + t]
                    wa = wt * a
                    wb = wt * b
                    hx[j] += wa
                    hy[j] += wb
                    hxx[j] += wa * a
                    hyy[j] += wb * b
                    hxy[j] += wa * b
            if r >= r0 + k - 1:
                i = r - k + 1
                for q in range(5):
                    for j in range(ow):
                        acc[q, j] = 0.0
                for t in range(k):
                    s = (i + t) % k
                    wt = w[t]
                    for q in range(5):
                        src = ring[q, s]
                        dst = acc[q]
                        for j in range(ow):
                            dst[j] += wt * src[j]
                orow = out_ssim[i]
                for j in range(ow):
                    mx = acc[0, j]
                    my = acc[1, j]
                    mxx = mx * mx
                    myy = my * my
                    mxy = mx * my
                    vx = acc[2, j] - mxx
                    vy = acc[3, j] - myy
                    cxy = acc[4, j] - mxy
                    cs_num = 2.0 * cxy + c2
                    cs_den = vx + vy + c2
                    orow[j] = ((2.0 * mxy + c1) * cs_num) / ((mxx + myy + c1) * cs_den)
                    if want_cs:
                        out_cs[i, j] = cs_num / cs_den


@jit
def sum_squared_difference(a, b):  # pragma: no cover - compiled
    """sum((a - b)**2) in float64 over two 1-D arrays of equal length (any real dtypes).

    Four interleaved accumulators (fixed order, so the result is deterministic); for integer
    inputs every partial sum is an exact integer in float64 below 2**53.
    """
    align_stack()
    n = a.shape[0]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        d0 = np.float64(a[i]) - np.float64(b[i])
        d1 = np.float64(a[i + 1]) - np.float64(b[i + 1])
        d2 = np.float64(a[i + 2]) - np.float64(b[i + 2])
        d3 = np.float64(a[i + 3]) - np.float64(b[i + 3])
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
    for i in range(m, n):
        d = np.float64(a[i]) - np.float64(b[i])
        s0 += d * d
    return (s0 + s1) + (s2 + s3)
