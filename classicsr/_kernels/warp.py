"""Affine image warps by bilinear or Keys-bicubic interpolation, and their exact transposes.

Output pixel (r, c) samples the input at ``q = A[:, :2] @ (r, c) + A[:, 2]`` (rows first).
Boundary codes (shared with :mod:`classicsr.operators`): 0 zero, 1 replicate, 2 symmetric
(``c b a | a b c | c b a``), 3 reflect (``c b | a b c | b a``), 4 wrap.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._config import jit
from ._frame import align_stack

ZERO, REPLICATE, SYMMETRIC, REFLECT, WRAP = 0, 1, 2, 3, 4


@jit
def map_index(i, n, mode):
    """Map a possibly out-of-range index into [0, n); -1 means 'outside, value zero'."""
    if 0 <= i < n:
        return i
    if mode == 0:
        return -1
    if mode == 1:
        return 0 if i < 0 else n - 1
    if mode == 2:
        p = 2 * n
        m = i % p
        if m < 0:
            m += p
        return m if m < n else p - 1 - m
    if mode == 3:
        if n == 1:
            return 0
        p = 2 * n - 2
        m = i % p
        if m < 0:
            m += p
        return m if m < n else p - m
    m = i % n
    if m < 0:
        m += n
    return m


@jit
def keys_cubic(t, a):
    t = abs(t)
    if t <= 1.0:
        return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
    if t < 2.0:
        return ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a
    return 0.0


@jit
def _taps(q, order, a, idx, w):
    """Fill up to 4 taps for sampling at coordinate q; returns the first index.  Called per
    pixel inside its callers' loops: no ``align_stack`` (a realigned frame on every call
    made the adjoint scatter 1.14x slower; the callers realign theirs)."""
    i0 = math.floor(q)
    f = q - i0
    if order == 1:
        idx[0] = i0
        idx[1] = i0 + 1
        w[0] = 1.0 - f
        w[1] = f
        return 2
    for t in range(4):
        idx[t] = i0 - 1 + t
        w[t] = keys_cubic(f - (t - 1), a)
    return 4


@jit(parallel=True)
def affine_gather(x, A, order, a, mode, out):
    """out[r, c] = interpolated x at A @ (r, c, 1)."""
    align_stack()
    H, W = out.shape
    h_in, w_in = x.shape
    for r in prange(H):
        align_stack()  # the parallel body is its own function
        ir = np.empty(4, np.int64)
        wr = np.empty(4, np.float64)
        ic = np.empty(4, np.int64)
        wc = np.empty(4, np.float64)
        for c in range(W):
            qr = A[0, 0] * r + A[0, 1] * c + A[0, 2]
            qc = A[1, 0] * r + A[1, 1] * c + A[1, 2]
            nt = _taps(qr, order, a, ir, wr)
            _taps(qc, order, a, ic, wc)
            acc = 0.0
            for s in range(nt):
                if wr[s] == 0.0:
                    continue
                rr = map_index(ir[s], h_in, mode)
                if rr < 0:
                    continue
                for t in range(nt):
                    if wc[t] == 0.0:
                        continue
                    cc = map_index(ic[t], w_in, mode)
                    if cc < 0:
                        continue
                    acc += wr[s] * wc[t] * x[rr, cc]
            out[r, c] = acc


@jit
def affine_scatter(y, A, order, a, mode, out):
    """Transpose of :func:`affine_gather`; ``out`` (the input-shaped array) is zeroed here."""
    align_stack()
    H, W = y.shape
    h_in, w_in = out.shape
    for r in range(h_in):
        for c in range(w_in):
            out[r, c] = 0.0
    ir = np.empty(4, np.int64)
    wr = np.empty(4, np.float64)
    ic = np.empty(4, np.int64)
    wc = np.empty(4, np.float64)
    for r in range(H):
        for c in range(W):
            v = y[r, c]
            if v == 0.0:
                continue
            qr = A[0, 0] * r + A[0, 1] * c + A[0, 2]
            qc = A[1, 0] * r + A[1, 1] * c + A[1, 2]
            nt = _taps(qr, order, a, ir, wr)
            _taps(qc, order, a, ic, wc)
            for s in range(nt):
                if wr[s] == 0.0:
                    continue
                rr = map_index(ir[s], h_in, mode)
                if rr < 0:
                    continue
                for t in range(nt):
                    if wc[t] == 0.0:
                        continue
                    cc = map_index(ic[t], w_in, mode)
                    if cc < 0:
                        continue
                    out[rr, cc] += wr[s] * wc[t] * v
