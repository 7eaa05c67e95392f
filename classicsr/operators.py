"""Linear operators of the multi-frame observation model ``y_k = D B M_k x + n_k``.

Every operator has ``forward(x)`` (``A x``), ``adjoint(y)`` (``A^T y``, exact: it is the
transpose of the very matrix ``forward`` applies, not a second approximation), the shapes
``in_shape`` / ``out_shape`` and ``as_linear_operator()`` for :mod:`scipy.sparse.linalg`.
Operators compose with ``@`` (``D @ B @ M``).

Conventions
-----------
* Images are indexed ``(row, col)``; pixel ``(i, j)`` is the sample at coordinate ``(i, j)``
  (pixel centres on the integer grid, rows first).
* ``forward`` / ``adjoint`` accept an array of exactly ``in_shape`` / ``out_shape``, or one with
  one extra *trailing* axis (colour channels, processed channel-wise).
* dtype rule: float32 stays float32, float16 becomes float32, everything else is computed in
  float64.  Inputs are never modified.
* Boundaries (``boundary=``): ``"symmetric"`` (``c b a | a b c | c b a``, the default, like
  MATLAB's imresize), ``"replicate"`` (edge value repeated), ``"reflect"`` (``c b | a b c | b a``),
  ``"wrap"`` (periodic; alias ``"periodic"``) and ``"zero"`` (alias ``"constant"``).  A boundary
  is part of the matrix: an out-of-range read is redirected to the in-range pixel named by the
  rule (or dropped, for ``"zero"``), and the adjoint adds back into that same pixel.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validate import (
    check_choice,
    check_int,
    check_output_size,
    check_positive_number,
    check_shape_pair,
    supported_float_type,
)
from ._kernels import table_pass as _tp
from ._kernels import warp as _kw
from ._kernels import blur2d as _kb

__all__ = [
    "LinearOperator",
    "Warp",
    "Blur",
    "Decimate",
    "Composite",
    "ObservationModel",
    "translation_matrix",
    "euclidean_matrix",
    "lr_motion_to_hr",
    "hr_motion_to_lr",
    "BOUNDARIES",
]

#: Boundary names accepted by ``boundary=`` and their kernel codes.
BOUNDARIES = {
    "zero": _kw.ZERO, "constant": _kw.ZERO, "replicate": _kw.REPLICATE,
    "symmetric": _kw.SYMMETRIC, "reflect": _kw.REFLECT, "wrap": _kw.WRAP, "periodic": _kw.WRAP,
}
_INTERPOLATIONS = {"bilinear": 1, "bicubic": 3}
_KEYS_A = -0.5


def _check_image_shape(name, shape) -> tuple[int, int]:
    """A (rows, cols) pair whose float64 image fits the output-size limit (fails before the
    interpolation tables or any image of that shape are allocated)."""
    shape = check_shape_pair(name, shape)
    check_output_size(shape, np.float64, f"an image of {name}={shape}")
    return shape


def _boundary_code(boundary) -> int:
    return BOUNDARIES[check_choice("boundary", boundary, BOUNDARIES)]


def _work_dtype(dtype) -> np.dtype:
    return supported_float_type(dtype)


def _map_indices(positions: np.ndarray, n: int, mode: int) -> np.ndarray:
    """Vectorised :func:`classicsr._kernels.warp.map_index` (-1 = outside, zero boundary)."""
    positions = np.asarray(positions, dtype=np.int64)
    inside = (positions >= 0) & (positions < n)
    if mode == _kw.ZERO:
        return np.where(inside, positions, -1)
    if mode == _kw.REPLICATE:
        return np.clip(positions, 0, n - 1)
    if mode == _kw.SYMMETRIC:
        m = np.mod(positions, 2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    if mode == _kw.REFLECT:
        if n == 1:
            return np.zeros_like(positions)
        m = np.mod(positions, 2 * n - 2)
        return np.where(m < n, m, 2 * n - 2 - m)
    return np.mod(positions, n)


# --------------------------------------------------------------------------------------------
# 1-D tables (sparse matrices stored row-wise with a fixed number of taps)
# --------------------------------------------------------------------------------------------

class _Table:
    """A 1-D linear map R^n_in -> R^n_out: ``out[i] = sum_t w[i, t] in[idx[i, t]]``."""

    def __init__(self, idx, w, n_in):
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        w = np.ascontiguousarray(w, dtype=np.float64)
        # Drop out-of-range taps (zero boundary) by zero weight on a valid index.
        bad = idx < 0
        if bad.any():
            w = np.where(bad, 0.0, w)
            idx = np.where(bad, 0, idx)
        self.idx, self.w, self.n_in = idx, w, int(n_in)
        self.n_out = idx.shape[0]
        self._w32 = None

    def weights(self, dtype):
        if dtype == np.float32:
            if self._w32 is None:
                self._w32 = self.w.astype(np.float32)
            return self._w32
        return self.w

    def to_sparse(self):
        import scipy.sparse as sp

        rows = np.repeat(np.arange(self.n_out), self.idx.shape[1])
        return sp.csr_matrix((self.w.ravel(), (rows, self.idx.ravel())), shape=(self.n_out, self.n_in))

    @classmethod
    def from_sparse(cls, m):
        m = m.tocsr()
        m.sum_duplicates()
        m.eliminate_zeros()
        counts = np.diff(m.indptr)
        taps = max(1, int(counts.max()) if counts.size else 1)
        idx = np.zeros((m.shape[0], taps), np.int64)
        w = np.zeros((m.shape[0], taps), np.float64)
        for i in range(m.shape[0]):
            s, e = m.indptr[i], m.indptr[i + 1]
            idx[i, : e - s] = m.indices[s:e]
            w[i, : e - s] = m.data[s:e]
        return cls(idx, w, m.shape[1])

    def compose(self, first: "_Table") -> "_Table":
        """The table of ``self @ first`` (apply ``first``, then ``self``)."""
        return _Table.from_sparse(self.to_sparse() @ first.to_sparse())


def _identity_table(n):
    return _Table(np.arange(n)[:, None], np.ones((n, 1)), n)


def _conv_table(n, kernel, mode):
    """1-D convolution ``out[i] = sum_t k[t] in[i + c - t]``, c = len(k) // 2, with boundary."""
    k = np.asarray(kernel, dtype=np.float64)
    c = k.size // 2
    pos = np.arange(n)[:, None] + c - np.arange(k.size)[None, :]
    idx = _map_indices(pos, n, mode)
    w = np.broadcast_to(k, idx.shape)
    return _Table(idx, w, n)


def _interp_table(n_out, n_in, coords, order, mode):
    """Sample a 1-D signal of length n_in at ``coords`` (n_out,) by interpolation ``order``."""
    coords = np.asarray(coords, dtype=np.float64)
    i0 = np.floor(coords)
    f = coords - i0
    if order == 1:
        offs = np.array([0, 1])
        w = np.stack([1.0 - f, f], axis=1)
    else:
        offs = np.array([-1, 0, 1, 2])
        a = _KEYS_A
        t = np.abs(f[:, None] - offs[None, :])
        w = np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                     np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))
    pos = i0.astype(np.int64)[:, None] + offs[None, :]
    idx = _map_indices(pos, n_in, mode)
    return _Table(idx, w, n_in)


# --------------------------------------------------------------------------------------------
# Base class
# --------------------------------------------------------------------------------------------

class LinearOperator:
    """Base class: a linear map between arrays of shape ``in_shape`` and ``out_shape``.

    Subclasses implement ``_forward(x)`` and ``_adjoint(y)`` on C-contiguous arrays of the
    exact shapes in the working dtype (float32 or float64).
    """

    in_shape: tuple
    out_shape: tuple

    # -- public API --------------------------------------------------------------------------
    def forward(self, x):
        """Apply the operator: ``A x``.

        Parameters
        ----------
        x : ndarray of shape ``in_shape`` or ``in_shape + (C,)``
            Real array; a trailing extra axis is treated as channels.

        Returns
        -------
        ndarray of shape ``out_shape`` (or ``out_shape + (C,)``), float32 or float64.
        """
        return self._apply(x, self.in_shape, self._forward, "x")

    def adjoint(self, y):
        """Apply the exact adjoint (transpose): ``A^T y``.

        Parameters
        ----------
        y : ndarray of shape ``out_shape`` or ``out_shape + (C,)``

        Returns
        -------
        ndarray of shape ``in_shape`` (or ``in_shape + (C,)``), float32 or float64.
        """
        return self._apply(y, self.out_shape, self._adjoint, "y")

    __call__ = forward

    def __matmul__(self, other):
        if isinstance(other, LinearOperator):
            return Composite([other, self])
        return self.forward(other)

    @property
    def T(self):
        """The adjoint as an operator."""
        return _Adjoint(self)

    def as_linear_operator(self, dtype=np.float64):
        """This operator as a :class:`scipy.sparse.linalg.LinearOperator` on flat vectors.

        ``matvec`` flattens ``forward`` (C order); ``rmatvec`` flattens ``adjoint``.
        """
        from scipy.sparse.linalg import LinearOperator as _SciPyOp

        n_in = int(np.prod(self.in_shape))
        n_out = int(np.prod(self.out_shape))
        dt = np.dtype(dtype)

        def matvec(v):
            return self.forward(np.asarray(v, dtype=dt).reshape(self.in_shape)).ravel()

        def rmatvec(v):
            return self.adjoint(np.asarray(v, dtype=dt).reshape(self.out_shape)).ravel()

        return _SciPyOp((n_out, n_in), matvec=matvec, rmatvec=rmatvec, dtype=dt)

    def __repr__(self):
        return f"{type(self).__name__}(in_shape={self.in_shape}, out_shape={self.out_shape})"

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _apply(x, shape, fn, name):
        if isinstance(x, (str, bytes)) or x is None:
            raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
        x = np.asarray(x)
        if x.dtype.kind not in "fiub" or x.dtype.kind == "b":
            raise TypeError(f"{name} must be a real numeric array, got dtype {x.dtype}")
        dt = _work_dtype(x.dtype)
        shape = tuple(shape)
        if x.shape == shape:
            return fn(np.ascontiguousarray(x, dtype=dt))
        if x.ndim == len(shape) + 1 and x.shape[:-1] == shape:
            outs = [fn(np.ascontiguousarray(x[..., ch], dtype=dt)) for ch in range(x.shape[-1])]
            return np.stack(outs, axis=-1)
        raise ValueError(
            f"{name} must have shape {shape} (or {shape} + (channels,)), got {x.shape}"
        )


class _Adjoint(LinearOperator):
    def __init__(self, op):
        self.op = op
        self.in_shape, self.out_shape = op.out_shape, op.in_shape

    def _forward(self, x):
        return self.op._adjoint(x)

    def _adjoint(self, y):
        return self.op._forward(y)


class _Separable(LinearOperator):
    """``out = R x C^T`` for 1-D tables R (rows) and C (columns)."""

    def __init__(self, rows: _Table, cols: _Table):
        self.rows, self.cols = rows, cols
        self.in_shape = (rows.n_in, cols.n_in)
        self.out_shape = (rows.n_out, cols.n_out)

    def _forward(self, x):
        dt = x.dtype
        tmp = np.empty((self.rows.n_out, x.shape[1]), dt)
        _tp.gather_rows(x, self.rows.idx, self.rows.weights(dt), tmp)
        out = np.empty(self.out_shape, dt)
        _tp.gather_cols(tmp, self.cols.idx, self.cols.weights(dt), out)
        return out

    def _adjoint(self, y):
        dt = y.dtype
        tmp = np.empty((y.shape[0], self.cols.n_in), dt)
        _tp.scatter_cols(y, self.cols.idx, self.cols.weights(dt), tmp)
        out = np.empty(self.in_shape, dt)
        _tp.scatter_rows(tmp, self.rows.idx, self.rows.weights(dt), out)
        return out

    def compose_after(self, first: "_Separable") -> "_Separable":
        """``self @ first`` as one separable operator (exact matrix product)."""
        return _Separable(self.rows.compose(first.rows), self.cols.compose(first.cols))


# --------------------------------------------------------------------------------------------
# Motion matrices
# --------------------------------------------------------------------------------------------

def _as_float_array(name, value, what) -> np.ndarray:
    """``value`` as a float64 array, with a TypeError naming ``name`` when it is not numeric."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        text = repr(value)
        text = text if len(text) <= 80 else text[:77] + "..."
        raise TypeError(f"{name} must be {what} of real numbers, got "
                        f"{type(value).__name__} {text}") from None


def _finite_vector(name, value, n=2, what="a pair (rows, cols)") -> np.ndarray:
    v = _as_float_array(name, value, what).ravel()
    if v.shape != (n,):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def _finite_scalar(name, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _as_motion(matrix, name="matrix") -> np.ndarray:
    m = _as_float_array(name, matrix, "a 2x3 (or 3x3 affine) matrix")
    if m.shape == (3, 3):
        if not np.allclose(m[2], [0, 0, 1]):
            raise ValueError(f"{name} must be affine: its last row must be [0, 0, 1], got {m[2]}")
        m = m[:2]
    if m.shape != (2, 3):
        raise ValueError(f"{name} must be a 2x3 (or 3x3 affine) matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{name} must be finite, got {m.tolist()}")
    if abs(np.linalg.det(m[:, :2])) < 1e-12:
        raise ValueError(f"{name} must be invertible, got linear part {m[:, :2].tolist()}")
    return m.copy()


def translation_matrix(shift) -> np.ndarray:
    """2x3 motion matrix of a translation by ``shift = (d_row, d_col)`` pixels.

    Content at ``(r, c)`` moves to ``(r + d_row, c + d_col)``.

    Examples
    --------
    >>> translation_matrix((0.5, -1))
    array([[ 1. ,  0. ,  0.5],
           [ 0. ,  1. , -1. ]])
    """
    d = _finite_vector("shift", shift, what="a pair (d_row, d_col)")
    return np.array([[1.0, 0.0, d[0]], [0.0, 1.0, d[1]]])


def euclidean_matrix(angle, shift=(0.0, 0.0), center=(0.0, 0.0)) -> np.ndarray:
    """2x3 motion matrix of a rotation by ``angle`` radians about ``center`` then a shift.

    With rows pointing down and columns right, a positive angle turns the row axis towards the
    column axis: ``p' = R (p - center) + center + shift`` with ``R = [[cos, -sin], [sin, cos]]``
    acting on ``(row, col)``.

    Examples
    --------
    >>> np.round(euclidean_matrix(np.pi / 2), 12)
    array([[ 0., -1.,  0.],
           [ 1.,  0.,  0.]])
    """
    angle = _finite_scalar("angle", angle)
    shift = _finite_vector("shift", shift, what="a pair (d_row, d_col)")
    center = _finite_vector("center", center, what="a pair (row, col)")
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    ctr = np.asarray(center, dtype=np.float64)
    t = ctr + np.asarray(shift, dtype=np.float64) - R @ ctr
    return np.hstack([R, t[:, None]])


def lr_motion_to_hr(matrix, factor, origin=0.0) -> np.ndarray:
    """Convert a motion matrix in low-resolution pixel units to high-resolution ones.

    LR pixel ``u`` sits at HR coordinate ``h = factor * u + origin`` (``origin`` is
    :attr:`Decimate.origin`).  A motion ``u' = A u + b`` becomes ``h' = A h + (factor b +
    origin - A origin)``.

    Examples
    --------
    >>> lr_motion_to_hr(translation_matrix((0.25, 1)), 4)[:, 2]
    array([1., 4.])
    """
    m = _as_motion(matrix)
    factor = check_positive_number("factor", factor)
    o = np.array([_finite_scalar("origin", origin)] * 2)
    out = m.copy()
    out[:, 2] = factor * m[:, 2] + o - m[:, :2] @ o
    return out


def hr_motion_to_lr(matrix, factor, origin=0.0) -> np.ndarray:
    """Inverse of :func:`lr_motion_to_hr`."""
    m = _as_motion(matrix)
    factor = check_positive_number("factor", factor)
    o = np.array([_finite_scalar("origin", origin)] * 2)
    out = m.copy()
    out[:, 2] = (m[:, 2] - o + m[:, :2] @ o) / factor
    return out


# --------------------------------------------------------------------------------------------
# Warp
# --------------------------------------------------------------------------------------------

class Warp(LinearOperator):
    """Geometric warp ``M``: the image content moved by an affine motion, by interpolation.

    Parameters
    ----------
    shape : (int, int)
        Image shape (rows, cols); input and output have this shape unless ``out_shape`` is given.
    matrix : (2, 3) or (3, 3) array_like
        Forward motion: content at input coordinate ``q`` appears at output coordinate
        ``p = matrix[:, :2] @ q + matrix[:, 2]``.  Build it with :func:`translation_matrix`,
        :func:`euclidean_matrix`, or pass any invertible affine matrix.
    interpolation : {"bicubic", "bilinear"}, keyword-only
        Keys cubic (a = -0.5, 4x4 taps) or bilinear (2x2 taps).
    boundary : str, keyword-only
        Rule for samples that fall outside the input (see module docstring).
    out_shape : (int, int), optional, keyword-only

    Notes
    -----
    Output pixel ``p`` takes the interpolated input value at ``q = A^{-1} (p - b)``:
    ``(M x)[p] = sum_{s,t} k(q_r - s) k(q_c - t) x[bnd(s), bnd(t)]``.  The adjoint scatters
    ``y[p] k(.) k(.)`` into the same input pixels, so ``<M x, y> = <x, M^T y>`` holds to rounding.
    A pure translation is separable and runs as two 1-D passes; other motions run a 2-D
    gather (forward) and a serial scatter (adjoint).  A whole-pixel translation is exactly
    ``np.roll`` away from the boundary, and the zero motion is the identity.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.operators import Warp
    >>> x = np.arange(25.0).reshape(5, 5)
    >>> M = Warp.translation((5, 5), (1, 0))
    >>> bool(np.allclose(M.forward(x)[1:], x[:-1]))
    True
    """

    def __init__(self, shape, matrix, *, interpolation="bicubic", boundary="symmetric", out_shape=None):
        self.in_shape = _check_image_shape("shape", shape)
        self.out_shape = self.in_shape if out_shape is None else _check_image_shape("out_shape", out_shape)
        self.matrix = _as_motion(matrix)
        self.interpolation = check_choice("interpolation", interpolation, _INTERPOLATIONS)
        self.boundary = check_choice("boundary", boundary, BOUNDARIES)
        self._order = _INTERPOLATIONS[self.interpolation]
        self._mode = BOUNDARIES[self.boundary]
        A, b = self.matrix[:, :2], self.matrix[:, 2]
        Ainv = np.linalg.inv(A)
        self._inverse = np.ascontiguousarray(np.hstack([Ainv, (-Ainv @ b)[:, None]]))
        self.is_translation = bool(np.array_equal(A, np.eye(2)))
        self._sep = None
        if self.is_translation:
            H, W = self.out_shape
            rows = _interp_table(H, self.in_shape[0], np.arange(H) - b[0], self._order, self._mode)
            cols = _interp_table(W, self.in_shape[1], np.arange(W) - b[1], self._order, self._mode)
            self._sep = _Separable(rows, cols)

    @classmethod
    def translation(cls, shape, shift, **kwargs):
        """Warp by a translation ``shift = (d_row, d_col)`` (content moves by +shift)."""
        return cls(shape, translation_matrix(shift), **kwargs)

    @classmethod
    def euclidean(cls, shape, angle, shift=(0.0, 0.0), *, center=None, **kwargs):
        """Rotation by ``angle`` radians about ``center`` (default: the image centre), then shift."""
        shp = check_shape_pair("shape", shape)
        if center is None:
            center = ((shp[0] - 1) / 2.0, (shp[1] - 1) / 2.0)
        return cls(shp, euclidean_matrix(angle, shift, center), **kwargs)

    def _forward(self, x):
        if self._sep is not None:
            return self._sep._forward(x)
        out = np.empty(self.out_shape, x.dtype)
        _kw.affine_gather(x, self._inverse, self._order, _KEYS_A, self._mode, out)
        return out

    def _adjoint(self, y):
        if self._sep is not None:
            return self._sep._adjoint(y)
        out = np.empty(self.in_shape, y.dtype)
        _kw.affine_scatter(y, self._inverse, self._order, _KEYS_A, self._mode, out)
        return out


# --------------------------------------------------------------------------------------------
# Blur
# --------------------------------------------------------------------------------------------

def _check_psf(psf) -> np.ndarray:
    if isinstance(psf, (str, bytes)) or psf is None:
        raise TypeError(f"psf must be a 2-D numpy array, got {type(psf).__name__}")
    p = np.asarray(psf)
    if p.dtype.kind not in "fiu" or p.dtype.kind == "b":
        raise TypeError(f"psf must be a real numeric array, got dtype {p.dtype}")
    if p.ndim != 2 or p.size == 0:
        raise ValueError(f"psf must be a non-empty 2-D array, got shape {p.shape}")
    p = p.astype(np.float64)
    if not np.all(np.isfinite(p)):
        raise ValueError("psf must contain only finite values")
    return p


def _separate(psf):
    """(col_kernel, row_kernel) with outer(col, row) == psf, or None if not rank one."""
    if psf.shape[1] == 1:
        return psf[:, 0].copy(), np.ones(1)
    if psf.shape[0] == 1:
        return np.ones(1), psf[0].copy()
    u, s, vt = np.linalg.svd(psf)
    if s[0] == 0 or s[1] > 1e-13 * s[0]:
        return None
    col = u[:, 0] * np.sqrt(s[0])
    row = vt[0] * np.sqrt(s[0])
    if row.sum() < 0:
        col, row = -col, -row
    if np.max(np.abs(np.outer(col, row) - psf)) > 1e-13 * np.max(np.abs(psf)):
        return None
    return col, row


class Blur(LinearOperator):
    """Blur ``B``: convolution with a point-spread function, with a stated boundary rule.

    Parameters
    ----------
    shape : (int, int)
        Image shape (input and output).
    psf : (kh, kw) array_like
        The PSF, used as given (not normalised).  Its centre is element ``(kh // 2, kw // 2)``
        (the convention of MATLAB's ``psf2otf``), so an even-sized PSF shifts by half a pixel.
    boundary : str, keyword-only
        Rule for pixels outside the image (see module docstring); default ``"symmetric"``.
    method : {"auto", "spatial", "fft"}, keyword-only
        ``"spatial"``: direct summation (two 1-D passes when the PSF is separable, i.e. of
        numerical rank one, such as a Gaussian); ``"fft"``: pad by the boundary rule, circular
        convolution by real FFTs (:mod:`classicsr.fft`) of size ``(H + kh - 1, W + kw - 1)``, crop.  ``"auto"`` picks
        spatial for separable PSFs and for PSFs of at most 225 taps, FFT otherwise.

    Notes
    -----
    ``(B x)[i, j] = sum_{a, b} psf[a, b] x[bnd(i + ch - a), bnd(j + cw - b)]`` with
    ``(ch, cw) = (kh // 2, kw // 2)``; ``bnd`` applies the boundary rule.  Both methods compute
    this same matrix; the adjoint is its transpose (correlation with the PSF, with the
    boundary contributions folded back onto the pixels they were read from).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.operators import Blur
    >>> B = Blur((8, 8), np.full((3, 3), 1 / 9))
    >>> float(B.forward(np.ones((8, 8))).mean())
    1.0
    """

    def __init__(self, shape, psf, *, boundary="symmetric", method="auto"):
        self.in_shape = self.out_shape = _check_image_shape("shape", shape)
        self.psf = _check_psf(psf)
        self.boundary = check_choice("boundary", boundary, BOUNDARIES)
        self._mode = BOUNDARIES[self.boundary]
        method = check_choice("method", method, ("auto", "spatial", "fft"))
        sep = _separate(self.psf) if method != "fft" else None
        if method == "auto":
            method = "spatial" if (sep is not None or self.psf.size <= 225) else "fft"
        self.method = method
        self.separable = sep is not None and method == "spatial"
        H, W = self.in_shape
        kh, kw = self.psf.shape
        if self.separable:
            self._sep = _Separable(_conv_table(H, sep[0], self._mode), _conv_table(W, sep[1], self._mode))
        elif method == "spatial":
            self._rmap = _map_indices(np.arange(H)[:, None] + kh // 2 - np.arange(kh)[None, :], H, self._mode)
            self._cmap = _map_indices(np.arange(W)[:, None] + kw // 2 - np.arange(kw)[None, :], W, self._mode)
            self._psf32 = self.psf.astype(np.float32)
        else:
            self._pad_r = _map_indices(np.arange(H + kh - 1) - (kh - 1 - kh // 2), H, self._mode)
            self._pad_c = _map_indices(np.arange(W + kw - 1) - (kw - 1 - kw // 2), W, self._mode)
            self._fft_shape = (H + kh - 1, W + kw - 1)
            self._otf = {}

    def _get_otf(self, dt):
        if dt not in self._otf:
            from . import fft as _fft

            self._otf[dt] = _fft.rfft2(self.psf.astype(dt), s=self._fft_shape)
        return self._otf[dt]

    def _forward(self, x):
        if self.separable:
            return self._sep._forward(x)
        if self.method == "spatial":
            out = np.empty(self.out_shape, x.dtype)
            psf = self._psf32 if x.dtype == np.float32 else self.psf
            _kb.conv2d_gather(x, psf, self._rmap, self._cmap, out)
            return out
        from . import fft as _fft

        kh, kw = self.psf.shape
        H, W = self.in_shape
        pr, pc = self._pad_r, self._pad_c
        xp = x[np.clip(pr, 0, None)[:, None], np.clip(pc, 0, None)[None, :]]
        if self._mode == _kw.ZERO:
            xp = xp * ((pr >= 0)[:, None] & (pc >= 0)[None, :])
        z = _fft.irfft2(_fft.rfft2(xp) * self._get_otf(x.dtype), self._fft_shape)
        return np.ascontiguousarray(z[kh - 1: kh - 1 + H, kw - 1: kw - 1 + W], dtype=x.dtype)

    def _adjoint(self, y):
        if self.separable:
            return self._sep._adjoint(y)
        if self.method == "spatial":
            out = np.empty(self.in_shape, y.dtype)
            psf = self._psf32 if y.dtype == np.float32 else self.psf
            _kb.conv2d_scatter(y, psf, self._rmap, self._cmap, out)
            return out
        from . import fft as _fft

        kh, kw = self.psf.shape
        H, W = self.in_shape
        zp = np.zeros(self._fft_shape, y.dtype)
        zp[kh - 1: kh - 1 + H, kw - 1: kw - 1 + W] = y
        xp = _fft.irfft2(_fft.rfft2(zp) * np.conj(self._get_otf(y.dtype)), self._fft_shape)
        pr, pc = self._pad_r, self._pad_c
        keep_r, keep_c = pr >= 0, pc >= 0
        xp = xp[keep_r][:, keep_c]
        # fold rows, then columns
        tmp = np.zeros((H, xp.shape[1]), np.float64)
        np.add.at(tmp, pr[keep_r], xp)
        out = np.zeros((H, W), np.float64)
        np.add.at(out.T, pc[keep_c], tmp.T)
        return out.astype(y.dtype)


# --------------------------------------------------------------------------------------------
# Decimate
# --------------------------------------------------------------------------------------------

class Decimate(LinearOperator):
    """Decimation ``D`` by an integer factor: point sampling or sensor (area) integration.

    Parameters
    ----------
    shape : (int, int)
        High-resolution input shape (H, W).
    factor : int
        Integer decimation factor s >= 1.
    mode : {"sample", "area"}, keyword-only
        ``"sample"``: ``y[i, j] = x[s i + offset, s j + offset]``.  ``"area"``: ``y[i, j]`` is
        the mean of the s x s block ``x[s i : s i + s, s j : s j + s]`` (a box sensor).
    offset : int, keyword-only
        Sampling phase for ``mode="sample"``, in ``[0, s - 1]``; default 0 (top-left pixel of
        each s x s block).  Must be 0 for ``"area"``.

    Attributes
    ----------
    origin : float
        HR coordinate of LR pixel (0, 0): ``offset`` for sampling, ``(s - 1) / 2`` (the block
        centre) for area.  LR pixel ``u`` sits at HR coordinate ``s u + origin``.

    Notes
    -----
    Output shape: ``ceil((H - offset) / s)`` rows for sampling (every sample position that
    lies inside the image) and ``floor(H / s)`` for area (a partial last block is dropped; its
    pixels get zero in the adjoint).  Columns likewise.  The adjoint of sampling puts each LR
    value back on its HR pixel and zeros elsewhere; the adjoint of area spreads ``y / s^2``
    over the block.  Note the sampling grid of ``"sample"`` with offset 0 is *not* centred on
    the block, unlike MATLAB's ``imresize`` (whose LR pixel centres sit at ``s u + (s - 1) / 2``):
    use ``offset=(s - 1) // 2`` or ``mode="area"`` to come closer to it.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.operators import Decimate
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> Decimate((4, 4), 2).forward(x)
    array([[ 0.,  2.],
           [ 8., 10.]])
    >>> Decimate((4, 4), 2, mode="area").forward(x)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    def __init__(self, shape, factor, *, mode="sample", offset=0):
        self.in_shape = _check_image_shape("shape", shape)
        self.factor = check_int("factor", factor, minimum=1)
        self.mode = check_choice("mode", mode, ("sample", "area"))
        s = self.factor
        self.offset = check_int("offset", offset, minimum=0, maximum=s - 1)
        if self.mode == "area" and self.offset != 0:
            raise ValueError(f"offset must be 0 for mode='area', got {self.offset}")
        H, W = self.in_shape

        def table(n):
            if self.mode == "sample":
                m = -(-(n - self.offset) // s)
                if m < 1:
                    raise ValueError(f"shape {self.in_shape} has an axis of {n} samples, which "
                                     f"holds no sample at offset {self.offset} (factor {s}); "
                                     f"use offset < {n}")
                return _Table(np.arange(m)[:, None] * s + self.offset, np.ones((m, 1)), n)
            m = n // s
            if m < 1:
                raise ValueError(f"shape {self.in_shape} is smaller than factor {s} in mode='area'")
            return _Table(np.arange(m)[:, None] * s + np.arange(s)[None, :], np.full((m, s), 1.0 / s), n)

        self._sep = _Separable(table(H), table(W))
        self.out_shape = self._sep.out_shape
        self.origin = float(self.offset) if self.mode == "sample" else (s - 1) / 2.0

    def _forward(self, x):
        return self._sep._forward(x)

    def _adjoint(self, y):
        return self._sep._adjoint(y)


# --------------------------------------------------------------------------------------------
# Composition and the stacked observation model
# --------------------------------------------------------------------------------------------

def _separable_part(op):
    if isinstance(op, _Separable):
        return op
    sep = getattr(op, "_sep", None)
    if isinstance(sep, _Separable) and (not isinstance(op, Blur) or op.separable):
        return sep
    return None


class Composite(LinearOperator):
    """The product of operators applied in order: ``Composite([A, B, C]) x = C B A x``.

    Consecutive separable operators (translations, separable blurs, decimation) are merged
    into one separable operator whose 1-D matrices are the exact products of theirs, so
    ``D @ B @ M`` for a translation costs two short 1-D passes.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.operators import Warp, Blur, Decimate
    >>> A = Decimate((8, 8), 2) @ Blur((8, 8), np.full((3, 3), 1 / 9)) @ Warp.translation((8, 8), (0.5, 0))
    >>> A.in_shape, A.out_shape
    ((8, 8), (4, 4))
    """

    def __init__(self, ops):
        ops = list(ops)
        if not ops:
            raise ValueError("ops must contain at least one operator")
        flat = []
        for op in ops:
            if not isinstance(op, LinearOperator):
                raise TypeError(f"ops must be LinearOperator instances, got {type(op).__name__}")
            flat.extend(op.ops if isinstance(op, Composite) else [op])
        for a, b in zip(flat, flat[1:]):
            if tuple(a.out_shape) != tuple(b.in_shape):
                raise ValueError(f"cannot compose {a!r} then {b!r}: shapes {a.out_shape} and {b.in_shape} differ")
        self.ops = flat
        merged = []
        for op in flat:
            sep = _separable_part(op)
            if sep is not None and merged and isinstance(merged[-1], _Separable):
                merged[-1] = sep.compose_after(merged[-1])
            else:
                merged.append(sep if sep is not None else op)
        self._chain = merged
        self.in_shape = tuple(flat[0].in_shape)
        self.out_shape = tuple(flat[-1].out_shape)

    def _forward(self, x):
        for op in self._chain:
            x = op._forward(x)
        return x

    def _adjoint(self, y):
        for op in reversed(self._chain):
            y = op._adjoint(y)
        return y


class ObservationModel(LinearOperator):
    """The stacked multi-frame model ``y_k = D B M_k x`` for K frames.

    Parameters
    ----------
    hr_shape : (int, int)
        Shape (H, W) of the high-resolution image x.
    factor : int
        Decimation factor s.
    motions : (K, 2, 3) array_like
        Motion of each frame **in low-resolution pixel units**: content at LR coordinate ``u``
        of the reference frame appears at ``motions[k][:, :2] @ u + motions[k][:, 2]`` in frame
        k (what :func:`classicsr.misr.register` returns).  Converted to HR units with
        :func:`lr_motion_to_hr` using the decimation grid's :attr:`Decimate.origin`.
    psf : (kh, kw) array_like or None
        Blur PSF on the HR grid; None for no blur.
    interpolation, boundary : keyword-only
        Passed to :class:`Warp` (and ``boundary`` to :class:`Blur`).
    decimation : {"sample", "area"}, keyword-only
    offset : int, keyword-only
        Passed to :class:`Decimate`.

    Notes
    -----
    ``forward`` maps (H, W) to (K, h, w); ``adjoint`` maps (K, h, w) to (H, W) as
    ``sum_k M_k^T B^T D^T y_k``.  When a frame's motion is a translation and the PSF is
    separable, ``D B M_k`` is one separable operator (exact products of 1-D matrices).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.operators import ObservationModel, translation_matrix
    >>> A = ObservationModel((16, 16), 2, [translation_matrix((0, 0)), translation_matrix((0.5, 0))])
    >>> A.out_shape
    (2, 8, 8)
    """

    def __init__(self, hr_shape, factor, motions, psf=None, *, interpolation="bicubic",
                 boundary="symmetric", decimation="sample", offset=0):
        self.hr_shape = _check_image_shape("hr_shape", hr_shape)
        self.decimate = Decimate(self.hr_shape, factor, mode=decimation, offset=offset)
        self.factor = self.decimate.factor
        self.blur = None if psf is None else Blur(self.hr_shape, psf, boundary=boundary)
        self.interpolation = interpolation
        self.boundary = boundary
        m = _as_float_array("motions", motions, "a (K, 2, 3) stack of motion matrices")
        if m.ndim != 3 or m.shape[1:] not in ((2, 3), (3, 3)) or m.shape[0] < 1:
            raise ValueError(f"motions must have shape (K, 2, 3) with K >= 1, got {m.shape}")
        self.motions = np.stack([_as_motion(mk, f"motions[{k}]") for k, mk in enumerate(m)])
        self.frame_ops = []
        for mk in self.motions:
            warp = Warp(self.hr_shape, lr_motion_to_hr(mk, self.factor, self.decimate.origin),
                        interpolation=interpolation, boundary=boundary)
            chain = [warp] + ([self.blur] if self.blur is not None else []) + [self.decimate]
            self.frame_ops.append(Composite(chain))
        self.in_shape = self.hr_shape
        self.out_shape = (len(self.frame_ops),) + tuple(self.decimate.out_shape)

    @property
    def n_frames(self):
        return len(self.frame_ops)

    def with_motions(self, motions):
        """A copy of this model with other motions (same PSF, grid and interpolation)."""
        psf = None if self.blur is None else self.blur.psf
        return ObservationModel(self.hr_shape, self.factor, motions, psf, interpolation=self.interpolation,
                                boundary=self.boundary, decimation=self.decimate.mode,
                                offset=self.decimate.offset)

    def _forward(self, x):
        out = np.empty(self.out_shape, x.dtype)
        for k, op in enumerate(self.frame_ops):
            out[k] = op._forward(x)
        return out

    def _adjoint(self, y):
        out = np.zeros(self.in_shape, y.dtype)
        for k, op in enumerate(self.frame_ops):
            out += op._adjoint(np.ascontiguousarray(y[k]))
        return out
