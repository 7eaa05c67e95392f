"""Bilateral total variation (Farsiu et al. 2004): value, (sub)gradient and the IRLS-weighted
quadratic form.

Offsets ``(l, m)`` run over the half window ``0 < l <= P, |m| <= P`` plus ``l == 0, 0 < m <= P``,
so each unordered pixel pair ``(p, p + o)`` with both ends inside the image counts once:
``BTV(x) = sum_o alpha^(|l| + |m|) sum_p |x[p] - x[p + o]|``.
"""

from __future__ import annotations

import math

from numba import prange

from .._config import jit
from ._frame import align_stack


@jit
def n_offsets(P):
    return P * (2 * P + 1) + P


@jit
def offset(k, P):
    """k-th offset (l, m) of the half window."""
    if k < P:
        return 0, k + 1
    k -= P
    return k // (2 * P + 1) + 1, k % (2 * P + 1) - P


@jit
def btv_value(x, P, alpha):
    align_stack()
    H, W = x.shape
    total = 0.0
    for i in range(H):
        acc = 0.0
        for k in range(n_offsets(P)):
            l, m = offset(k, P)
            wt = alpha ** (abs(l) + abs(m))
            ii = i + l
            if ii >= H:
                continue
            for j in range(W):
                jj = j + m
                if 0 <= jj < W:
                    acc += wt * abs(x[i, j] - x[ii, jj])
        total += acc
    return total


@jit(parallel=True)
def btv_sign_gradient(x, P, alpha, out):
    """Subgradient of BTV: out[p] = sum_o w_o (sign(x_p - x_{p+o}) - sign(x_{p-o} - x_p))."""
    align_stack()
    H, W = x.shape
    for i in prange(H):
        align_stack()  # the parallel body is its own function
        for j in range(W):
            g = 0.0
            v = x[i, j]
            for k in range(n_offsets(P)):
                l, m = offset(k, P)
                wt = alpha ** (abs(l) + abs(m))
                ii, jj = i + l, j + m
                if ii < H and 0 <= jj < W:
                    d = v - x[ii, jj]
                    g += wt * ((d > 0) - (d < 0))
                ii, jj = i - l, j - m
                if ii >= 0 and 0 <= jj < W:
                    d = x[ii, jj] - v
                    g -= wt * ((d > 0) - (d < 0))
            out[i, j] = g


@jit(parallel=True)
def btv_irls_weights(x, P, alpha, eps, wts):
    """wts[k, p] = alpha^(|l|+|m|) / sqrt((x_p - x_{p+o_k})^2 + eps^2) (0 when p + o is outside)."""
    align_stack()
    H, W = x.shape
    for i in prange(H):
        align_stack()  # the parallel body is its own function
        for k in range(n_offsets(P)):
            l, m = offset(k, P)
            wt = alpha ** (abs(l) + abs(m))
            ii = i + l
            for j in range(W):
                jj = j + m
                if ii < H and 0 <= jj < W:
                    d = x[i, j] - x[ii, jj]
                    wts[k, i, j] = wt / math.sqrt(d * d + eps * eps)
                else:
                    wts[k, i, j] = 0.0


@jit(parallel=True)
def btv_weighted_apply(v, wts, P, out):
    """out = sum_k D_k^T W_k D_k v with (D_k v)[p] = v_p - v_{p+o_k}."""
    align_stack()
    H, W = v.shape
    for i in prange(H):
        align_stack()  # the parallel body is its own function
        for j in range(W):
            g = 0.0
            c = v[i, j]
            for k in range(n_offsets(P)):
                l, m = offset(k, P)
                ii, jj = i + l, j + m
                if ii < H and 0 <= jj < W:
                    g += wts[k, i, j] * (c - v[ii, jj])
                ii, jj = i - l, j - m
                if ii >= 0 and 0 <= jj < W:
                    g -= wts[k, ii, jj] * (v[ii, jj] - c)
            out[i, j] = g
