"""Numba kernels for example-based SR (Zeyde / ANR / A+): patches, OMP, K-SVD, regressors.

Kernels take C-contiguous arrays and scalars only; the public wrappers in
:mod:`classicsr.example_based` validate and allocate.  A kernel that cannot proceed raises a
bare exception and the wrapper re-raises with context.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from classicsr._config import jit
from classicsr._kernels._frame import align_stack


@jit(parallel=True)
def gather_patches(planes, rows, cols, size, out):  # pragma: no cover - compiled
    """Copy square patches of every plane into rows of ``out``.

    planes : (F, H, W) float.  rows, cols : (N,) int64 top-left corners.  size : patch side.
    out : (N, F * size * size), row n = concat over planes f of planes[f, r:r+size, c:c+size]
    in C order.
    """
    align_stack()
    n = rows.shape[0]
    nf = planes.shape[0]
    pp = size * size
    for i in prange(n):
        align_stack()  # the parallel body is its own function
        r = rows[i]
        c = cols[i]
        for f in range(nf):
            base = f * pp
            for u in range(size):
                for v in range(size):
                    out[i, base + u * size + v] = planes[f, r + u, c + v]


@jit
def aggregate_patches(patches, rows, cols, size, acc, weight):  # pragma: no cover - compiled
    """Add each patch row (size*size values, C order) into ``acc`` at its corner and count.

    patches : (N, size*size).  acc, weight : (H, W) float64, accumulated in place.
    """
    align_stack()
    n = rows.shape[0]
    for i in range(n):
        r = rows[i]
        c = cols[i]
        for u in range(size):
            for v in range(size):
                acc[r + u, c + v] += patches[i, u * size + v]
                weight[r + u, c + v] += 1.0


@jit(parallel=True)
def apply_regressors(features, atom, regressors_t, out):  # pragma: no cover - compiled
    """out[n] = regressors_t[atom[n]].T @ features[n].

    features : (N, d).  atom : (N,) int64.  regressors_t : (K, d, p), each regressor
    transposed so that the inner loop is a contiguous axpy over the p outputs (vectorisable
    without reassociating a reduction).  out : (N, p).
    """
    align_stack()
    n = features.shape[0]
    d = regressors_t.shape[1]
    p = regressors_t.shape[2]
    for i in prange(n):
        align_stack()  # the parallel body is its own function
        a = atom[i]
        for j in range(p):
            out[i, j] = 0.0
        for k in range(d):
            fk = features[i, k]
            for j in range(p):
                out[i, j] += regressors_t[a, k, j] * fk


@jit(parallel=True)
def omp_gram(dtx, gram, sparsity, tol, idx, coef):  # pragma: no cover - compiled
    """Batch orthogonal matching pursuit with a precomputed Gram matrix (Rubinstein et al. 2008).

    dtx : (N, K) float64, ``D^T x`` for each signal (D has unit-norm columns).
    gram : (K, K) float64, ``D^T D``.
    sparsity : maximum number of atoms per signal.  tol : stop when the largest absolute
    correlation of the residual with an atom falls below ``tol``.
    idx : (N, sparsity) int64 out, -1 where unused.  coef : (N, sparsity) float64 out.

    The selected atoms' Gram sub-matrix is factorised by an incremental Cholesky update; the
    coefficients are the exact least-squares solution on the selected support.  Raises
    ``ZeroDivisionError`` (bare) when an atom is linearly dependent on the selected ones.
    """
    align_stack()
    n = dtx.shape[0]
    k_atoms = dtx.shape[1]
    for i in prange(n):
        align_stack()  # the parallel body is its own function
        chol = np.zeros((sparsity, sparsity))
        sel = np.empty(sparsity, dtype=np.int64)
        alpha0 = np.empty(sparsity)
        gamma = np.zeros(sparsity)
        w = np.empty(sparsity)
        y = np.empty(sparsity)
        for j in range(sparsity):
            idx[i, j] = -1
            coef[i, j] = 0.0
        # first selection straight from D^T x
        best = -1
        bestval = tol
        for a in range(k_atoms):
            v = abs(dtx[i, a])
            if v > bestval:
                bestval = v
                best = a
        count = 0
        while best >= 0:
            # Cholesky update: L w = G[sel, best]; new diagonal sqrt(G[best, best] - w.w)
            if count > 0:
                for r in range(count):
                    s = gram[sel[r], best]
                    for c in range(r):
                        s -= chol[r, c] * w[c]
                    w[r] = s / chol[r, r]
                ww = 0.0
                for r in range(count):
                    ww += w[r] * w[r]
                diag = gram[best, best] - ww
                if diag <= 1e-12:
                    break
                for r in range(count):
                    chol[count, r] = w[r]
                chol[count, count] = np.sqrt(diag)
            else:
                chol[0, 0] = np.sqrt(gram[best, best])
            sel[count] = best
            alpha0[count] = dtx[i, best]
            count += 1
            # solve L L^T gamma = alpha0[:count]
            for r in range(count):
                s = alpha0[r]
                for c in range(r):
                    s -= chol[r, c] * y[c]
                y[r] = s / chol[r, r]
            for r in range(count - 1, -1, -1):
                s = y[r]
                for c in range(r + 1, count):
                    s -= chol[c, r] * gamma[c]
                gamma[r] = s / chol[r, r]
            if count == sparsity:
                break
            # next atom: argmax |D^T x - G[sel, :]^T gamma| (G symmetric: rows are contiguous)
            best = -1
            bestval = tol
            for a in range(k_atoms):
                s = dtx[i, a]
                for r in range(count):
                    s -= gram[sel[r], a] * gamma[r]
                v = abs(s)
                if v > bestval:
                    bestval = v
                    best = a
        for r in range(count):
            idx[i, r] = sel[r]
            coef[i, r] = gamma[r]


@jit
def ksvd_update(x, dictionary, idx, coef, residual, order, ptr, members, worst):  # pragma: no cover
    """One sweep of approximate K-SVD atom updates (Rubinstein, Zibulevsky & Elad 2008).

    x : (N, d) signals.  dictionary : (K, d) unit-norm atoms (rows), updated in place.
    idx, coef : (N, L) sparse codes (idx -1 = unused), coef updated in place.
    residual : (N, d) = x - codes @ dictionary, kept up to date in place.
    order : (K,) the order in which atoms are visited.
    ptr : (K + 1,) and members : (nnz, 2) [sample, slot] list of each atom's users (CSR).
    worst : (K,) int64 sample indices used to replace unused atoms (one each, in order).

    For atom j with users w: E = residual[w] + g d_j^T, d_j <- normalise(E^T g), g <- E d_j,
    residual[w] <- E - g d_j^T.  An atom used by no sample is replaced by the normalised
    residual of the next sample in ``worst``.  Returns the number of replaced atoms.
    """
    align_stack()
    k_atoms = dictionary.shape[0]
    d = dictionary.shape[1]
    replaced = 0
    for t in range(k_atoms):
        j = order[t]
        start = ptr[j]
        stop = ptr[j + 1]
        if stop == start:
            s = worst[replaced % worst.shape[0]]
            norm = 0.0
            for q in range(d):
                norm += residual[s, q] * residual[s, q]
            norm = np.sqrt(norm)
            if norm > 0.0:
                for q in range(d):
                    dictionary[j, q] = residual[s, q] / norm
            replaced += 1
            continue
        # add the atom's contribution back
        for m in range(start, stop):
            s = members[m, 0]
            slot = members[m, 1]
            g = coef[s, slot]
            for q in range(d):
                residual[s, q] += g * dictionary[j, q]
        newd = np.zeros(d)
        for m in range(start, stop):
            s = members[m, 0]
            slot = members[m, 1]
            g = coef[s, slot]
            for q in range(d):
                newd[q] += residual[s, q] * g
        norm = 0.0
        for q in range(d):
            norm += newd[q] * newd[q]
        norm = np.sqrt(norm)
        if norm > 0.0:
            for q in range(d):
                dictionary[j, q] = newd[q] / norm
        for m in range(start, stop):
            s = members[m, 0]
            slot = members[m, 1]
            g = 0.0
            for q in range(d):
                g += residual[s, q] * dictionary[j, q]
            coef[s, slot] = g
            for q in range(d):
                residual[s, q] -= g * dictionary[j, q]
    return replaced

