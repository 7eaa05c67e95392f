"""Sparse coding: batch OMP with a Gram matrix, approximate K-SVD, uncentred PCA.

Conventions: signals and atoms are **rows** (``x`` is ``(N, d)``, a dictionary is ``(K, d)``
with unit-norm rows), so that ``x ~ codes @ dictionary``.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from .._kernels import example_based as _k

__all__ = ["omp", "ksvd", "pca_basis", "sparse_codes_to_dense"]


def _as_signals(x, name="x"):
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 2-D numeric array (N, d), got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu" or arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D numeric array (N, d), got dtype {arr.dtype} shape {arr.shape}")
    return arr


def omp(x, dictionary, sparsity: int, *, tol: float = 0.0, chunk: int = 16384):
    """Orthogonal matching pursuit of every row of ``x`` on ``dictionary`` (Batch-OMP).

    Parameters
    ----------
    x : (N, d) array_like
        Signals, one per row.
    dictionary : (K, d) array_like
        Atoms, one per row, each of unit Euclidean norm.
    sparsity : int
        Maximum number of atoms per signal (``L``).
    tol : float, optional
        Stop early when the largest absolute correlation between the residual and an atom is
        ``<= tol`` (default 0: always take ``L`` atoms unless the residual vanishes).
    chunk : int, optional
        Signals processed per block (bounds the ``(chunk, K)`` correlation buffer).

    Returns
    -------
    idx : (N, L) int64 ndarray
        Selected atoms in selection order, ``-1`` where fewer than ``L`` were selected.
    coef : (N, L) float64 ndarray
        Their coefficients: the least-squares fit of the signal on the selected atoms.

    Notes
    -----
    Greedy selection :math:`k = \\arg\\max_a |d_a^T r|`, then the coefficients are the
    least-squares solution :math:`\\gamma = (D_I^T D_I)^{-1} D_I^T x` on the support
    :math:`I`, and the correlations are updated without forming the residual:
    :math:`D^T r = D^T x - G_{:, I} \\gamma` with the Gram matrix :math:`G = D^T D`.  The
    Gram sub-matrix is factorised by an incremental Cholesky update [1]_.

    References
    ----------
    .. [1] R. Rubinstein, M. Zibulevsky, M. Elad, "Efficient Implementation of the K-SVD
           Algorithm using Batch Orthogonal Matching Pursuit", Technion CS-2008-08, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> D = np.eye(4)
    >>> idx, coef = omp(np.array([[0.0, 3.0, 0.0, -1.0]]), D, 2)
    >>> idx.tolist(), coef.tolist()
    ([[1, 3]], [[3.0, -1.0]])
    """
    x = _as_signals(x, "x")
    dictionary = _as_signals(dictionary, "dictionary")
    if x.shape[1] != dictionary.shape[1]:
        raise ValueError(f"x has {x.shape[1]} columns but dictionary atoms have {dictionary.shape[1]}; "
                         f"both must be (rows, d) with the same d")
    sparsity = V.check_int("sparsity", sparsity, minimum=1, maximum=dictionary.shape[0])
    tol = V.check_positive_number("tol", tol, allow_zero=True)
    chunk = V.check_int("chunk", chunk, minimum=1)
    d = np.ascontiguousarray(dictionary, dtype=np.float64)
    norms = np.linalg.norm(d, axis=1)
    if not np.allclose(norms, 1.0, atol=1e-6):
        raise ValueError("dictionary rows must have unit Euclidean norm; normalise them first "
                         f"(norms range {norms.min():.3g}..{norms.max():.3g})")
    gram = d @ d.T
    n = x.shape[0]
    idx = np.empty((n, sparsity), dtype=np.int64)
    coef = np.empty((n, sparsity), dtype=np.float64)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        dtx = np.ascontiguousarray(np.asarray(x[start:stop], dtype=np.float64) @ d.T)
        _k.omp_gram(dtx, gram, sparsity, tol, idx[start:stop], coef[start:stop])
    return idx, coef


def sparse_codes_to_dense(idx: np.ndarray, coef: np.ndarray, n_atoms: int) -> np.ndarray:
    """``(N, K)`` dense code matrix from OMP's ``(idx, coef)``."""
    n = idx.shape[0]
    out = np.zeros((n, n_atoms), dtype=np.float64)
    rows = np.repeat(np.arange(n), idx.shape[1]).reshape(idx.shape)
    mask = idx >= 0
    np.add.at(out, (rows[mask], idx[mask]), coef[mask])
    return out


def _sparse_matrix(idx, coef, n_atoms):
    from scipy import sparse

    mask = idx >= 0
    rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1]).reshape(idx.shape)
    return sparse.csr_matrix((coef[mask], (rows[mask], idx[mask])), shape=(idx.shape[0], n_atoms))


def ksvd(x, n_atoms: int, sparsity: int, *, iterations: int = 20, seed=0, progress=None):
    """Learn a dictionary with approximate K-SVD (OMP sparse coding + rank-1 atom updates).

    Parameters
    ----------
    x : (N, d) array_like
        Training signals, one per row (``N >= n_atoms``).
    n_atoms : int
        Dictionary size ``K``.
    sparsity : int
        Atoms per signal in the OMP step (``L``).
    iterations : int, optional
        K-SVD iterations (default 20).
    seed : int or numpy.random.Generator, optional
        Initial atoms are ``n_atoms`` distinct random training signals (normalised).
    progress : callable, optional
        ``progress(iteration, rmse)`` called after each iteration.

    Returns
    -------
    dictionary : (K, d) float64 ndarray, unit-norm rows.
    idx, coef : the final sparse codes as from :func:`omp`.

    Notes
    -----
    Each iteration codes all signals with :func:`omp`, then visits the atoms in a random
    order and replaces atom :math:`d_j` and its coefficients :math:`g` (over the signals
    :math:`\\omega_j` that use it) by one step of the power method on the residual
    :math:`E = R_{\\omega_j} + g d_j^T`: :math:`d_j = E^T g / \\|E^T g\\|`, :math:`g = E d_j`
    (approximate K-SVD [1]_).  Atoms nobody uses are replaced by the normalised residuals of
    the worst-represented signals.

    References
    ----------
    .. [1] M. Aharon, M. Elad, A. Bruckstein, "K-SVD: An Algorithm for Designing Overcomplete
           Dictionaries for Sparse Representation", IEEE Trans. Signal Process. 54(11), 2006.
    .. [2] R. Rubinstein, M. Zibulevsky, M. Elad, Technion CS-2008-08, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> D, idx, coef = ksvd(rng.normal(size=(200, 8)), 16, 2, iterations=3)
    >>> D.shape, bool(np.allclose(np.linalg.norm(D, axis=1), 1))
    ((16, 8), True)
    """
    x = np.ascontiguousarray(_as_signals(x, "x"), dtype=np.float64)
    n_atoms = V.check_int("n_atoms", n_atoms, minimum=1)
    if x.shape[0] < n_atoms:
        raise ValueError(f"x must have at least n_atoms={n_atoms} rows (signals), got {x.shape[0]}")
    sparsity = V.check_int("sparsity", sparsity, minimum=1, maximum=n_atoms)
    iterations = V.check_int("iterations", iterations, minimum=0)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    norms = np.linalg.norm(x, axis=1)
    usable = np.flatnonzero(norms > 1e-12)
    if usable.size < n_atoms:
        raise ValueError(f"x must have at least n_atoms={n_atoms} non-zero rows, got {usable.size}")
    start = rng.choice(usable, size=n_atoms, replace=False)
    dictionary = np.ascontiguousarray(x[start] / norms[start, None])
    idx, coef = omp(x, dictionary, sparsity)
    for it in range(iterations):
        codes = _sparse_matrix(idx, coef, n_atoms)
        residual = np.ascontiguousarray(x - codes @ dictionary)
        # users of each atom, CSR
        mask = idx >= 0
        samples, slots = np.nonzero(mask)
        atoms = idx[mask]
        order_m = np.argsort(atoms, kind="stable")
        members = np.ascontiguousarray(np.stack([samples[order_m], slots[order_m]], axis=1).astype(np.int64))
        ptr = np.zeros(n_atoms + 1, dtype=np.int64)
        np.cumsum(np.bincount(atoms, minlength=n_atoms), out=ptr[1:])
        err = np.einsum("ij,ij->i", residual, residual)
        worst = np.ascontiguousarray(np.argsort(-err)[: max(1, n_atoms)], dtype=np.int64)
        order = rng.permutation(n_atoms).astype(np.int64)
        replaced = _k.ksvd_update(x, dictionary, idx, coef, residual, order, ptr, members, worst)
        _clear_duplicates(dictionary, residual, worst[replaced:])
        idx, coef = omp(x, dictionary, sparsity)
        if progress is not None:
            codes = _sparse_matrix(idx, coef, n_atoms)
            rmse = float(np.sqrt(np.mean((x - codes @ dictionary) ** 2)))
            progress(it + 1, rmse)
    return dictionary, idx, coef


def _clear_duplicates(dictionary, residual, candidates, threshold: float = 0.99) -> int:
    """Replace atoms nearly parallel to an earlier atom by normalised residuals of the worst
    represented signals (K-SVD's dictionary clearing step); returns how many were replaced."""
    gram = np.abs(dictionary @ dictionary.T)
    np.fill_diagonal(gram, 0.0)
    dup = [j for j in range(dictionary.shape[0]) if gram[j, :j].max(initial=0.0) > threshold]
    used = 0
    for j in dup:
        while used < len(candidates):
            r = residual[candidates[used]]
            used += 1
            norm = np.linalg.norm(r)
            if norm > 1e-12:
                dictionary[j] = r / norm
                break
    return len(dup)


def pca_basis(x, energy: float = 0.999):
    """Uncentred PCA basis keeping a fraction ``energy`` of the signals' energy.

    Parameters
    ----------
    x : (N, D) array_like
    energy : float in (0, 1]

    Returns
    -------
    basis : (D, d) float64 ndarray
        Orthonormal columns: eigenvectors of :math:`X^T X` by decreasing eigenvalue, the
        fewest whose eigenvalues sum to at least ``energy`` of the trace.

    Examples
    --------
    >>> import numpy as np
    >>> pca_basis(np.array([[1.0, 0.0], [2.0, 0.0]])).shape
    (2, 1)
    """
    x = _as_signals(x, "x").astype(np.float64, copy=False)
    energy = V.check_positive_number("energy", energy)
    if energy > 1:
        raise ValueError(f"energy must be in (0, 1], got {energy}")
    cov = x.T @ x
    w, v = np.linalg.eigh(cov)
    w = w[::-1].clip(min=0)
    v = v[:, ::-1]
    total = w.sum()
    if total <= 0:
        raise ValueError("x has no energy (all zeros); cannot build a PCA basis")
    keep = int(np.searchsorted(np.cumsum(w) / total, energy - 1e-12) + 1)
    keep = min(keep, v.shape[1])
    return np.ascontiguousarray(v[:, :keep])
