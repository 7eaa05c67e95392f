"""Separable sparse passes: apply a 1-D weight table along one axis, and its exact transpose.

A table is a pair ``idx`` (n_out, T) int64 and ``w`` (n_out, T) float: output line ``i`` is
``sum_t w[i, t] * input_line[idx[i, t]]``.  Every separable operator in
:mod:`classicsr.operators` (sub-pixel translation, separable blur, decimation, and their
products) is one table per axis.  The ``scatter`` kernels compute the transpose exactly:
``out[idx[i, t]] += w[i, t] * y[i]``.
"""

from __future__ import annotations

from numba import prange

from .._config import jit
from ._frame import align_stack


@jit(parallel=True)
def gather_rows(x, idx, w, out):
    """out[i, j] = sum_t w[i, t] * x[idx[i, t], j]; x (n_in, m), out (n_out, m)."""
    align_stack()
    n_out, taps = idx.shape
    m = x.shape[1]
    for i in prange(n_out):
        align_stack()  # the parallel body is its own function
        for j in range(m):
            out[i, j] = 0.0
        for t in range(taps):
            wt = w[i, t]
            if wt != 0.0:
                r = idx[i, t]
                for j in range(m):
                    out[i, j] += wt * x[r, j]


@jit(parallel=True)
def scatter_rows(y, idx, w, out):
    """Transpose of :func:`gather_rows`: out[idx[i, t], j] += w[i, t] * y[i, j]; out zeroed here."""
    align_stack()
    n_out, taps = idx.shape
    m = y.shape[1]
    n_in = out.shape[0]
    block = 64
    n_blocks = (m + block - 1) // block
    for b in prange(n_blocks):
        align_stack()  # the parallel body is its own function
        j0 = b * block
        j1 = min(m, j0 + block)
        for r in range(n_in):
            for j in range(j0, j1):
                out[r, j] = 0.0
        for i in range(n_out):
            for t in range(taps):
                wt = w[i, t]
                if wt != 0.0:
                    r = idx[i, t]
                    for j in range(j0, j1):
                        out[r, j] += wt * y[i, j]


@jit(parallel=True)
def gather_cols(x, idx, w, out):
    """out[r, i] = sum_t w[i, t] * x[r, idx[i, t]]; x (m, n_in), out (m, n_out)."""
    align_stack()
    n_out, taps = idx.shape
    m = x.shape[0]
    for r in prange(m):
        align_stack()  # the parallel body is its own function
        for i in range(n_out):
            acc = 0.0
            for t in range(taps):
                acc += w[i, t] * x[r, idx[i, t]]
            out[r, i] = acc


@jit(parallel=True)
def scatter_cols(y, idx, w, out):
    """Transpose of :func:`gather_cols`: out[r, idx[i, t]] += w[i, t] * y[r, i]; out zeroed here."""
    align_stack()
    n_out, taps = idx.shape
    m = y.shape[0]
    n_in = out.shape[1]
    for r in prange(m):
        align_stack()  # the parallel body is its own function
        for c in range(n_in):
            out[r, c] = 0.0
        for i in range(n_out):
            v = y[r, i]
            for t in range(taps):
                out[r, idx[i, t]] += w[i, t] * v
