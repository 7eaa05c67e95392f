"""Multi-frame reconstruction: shift-and-add, iterative back-projection and regularised SR
(L2 / robust L1 data term, Tikhonov / bilateral-TV prior)."""

from __future__ import annotations

import warnings

import numpy as np

from .._validate import (check_bool, check_choice, check_finite_number, check_int,
                         check_output_size, check_positive_number)
from .._kernels import btv as _kbtv
from ..operators import (Blur, ObservationModel, _as_float_array, _as_motion, _interp_table,
                         _Separable)
from .register import MODELS, _as_frames, register
from .simulate import _resolve_psf

__all__ = ["shift_and_add", "iterative_back_projection", "regularized_sr", "bicubic_reference",
           "refine_motions"]

_LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


# ------------------------------------------------------------------------------------------
# shared plumbing
# ------------------------------------------------------------------------------------------

def _prepare(frames, scale, motions, psf, model, reference, channel_axis, decimation, interpolation,
             boundary):
    stack = _as_frames(frames, channel_axis)
    K = stack.shape[0]
    scale = check_int("scale", scale, minimum=1)
    reference = check_int("reference", reference, minimum=-K, maximum=K - 1) % K
    model = check_choice("model", model, MODELS)
    if motions is None:
        motions = register(stack, reference, model=model, channel_axis=-1)
    else:
        m = _as_float_array("motions", motions, "a (K, 2, 3) stack of motion matrices")
        if m.ndim != 3 or m.shape[0] != K or m.shape[1:] not in ((2, 3), (3, 3)):
            raise ValueError(f"motions must have shape ({K}, 2, 3) for {K} frames, got {m.shape}")
        motions = np.stack([_as_motion(mk, f"motions[{k}]") for k, mk in enumerate(m)])
    p = _resolve_psf(psf)
    h, w = stack.shape[1:3]
    op = ObservationModel((scale * h, scale * w), scale, motions, p, interpolation=interpolation,
                          boundary=boundary, decimation=decimation)
    return stack, op, reference


def _per_channel(stack, fn, channel_axis):
    """Run fn(frames (K, h, w), channel index) per channel; output channels at channel_axis."""
    if stack.ndim == 3:
        return fn(stack, None)
    outs = [fn(np.ascontiguousarray(stack[..., c]), c) for c in range(stack.shape[-1])]
    out = np.stack(outs, axis=-1)
    return np.moveaxis(out, -1, channel_axis % 3)


def _progress(total, progress, desc):
    if not progress:
        return None
    from tqdm.auto import tqdm  # listed dependency, imported only when asked for

    return tqdm(total=total, desc=desc, leave=False)


def _notify(callback, bar, it, x):
    if bar is not None:
        bar.update(1)
    if callback is not None:
        return bool(callback(it, x))
    return False


def bicubic_reference(frame, scale, *, origin=0.0, boundary="symmetric", channel_axis=-1):
    """Keys-bicubic (a = -0.5) upsampling of one frame onto the model's HR grid.

    LR pixel ``u`` is placed at HR coordinate ``scale * u + origin``
    (:attr:`classicsr.operators.Decimate.origin`).  With ``origin = (scale - 1) / 2`` (area
    decimation) this is exactly MATLAB's ``imresize(frame, scale)`` (:func:`classicsr.resize`
    for float input); with the default ``origin = 0`` (point sampling at offset 0) it is the
    same interpolator on that grid, the fair single-frame baseline.

    Examples
    --------
    >>> import numpy as np
    >>> bicubic_reference(np.eye(4), 2).shape
    (8, 8)
    """
    from .simulate import prepare_image

    f = prepare_image(frame, "frame", channel_axis=channel_axis)
    scale = check_int("scale", scale, minimum=1)
    origin = check_finite_number("origin", origin)
    h, w = f.shape[:2]
    check_output_size((scale * h, scale * w) + f.shape[2:], np.float64, f"bicubic_reference at scale={scale}")
    mode = check_choice("boundary", boundary, ("symmetric", "replicate", "reflect", "wrap", "zero"))
    from ..operators import BOUNDARIES

    code = BOUNDARIES[mode]
    rows = _interp_table(scale * h, h, (np.arange(scale * h) - origin) / scale, 3, code)
    cols = _interp_table(scale * w, w, (np.arange(scale * w) - origin) / scale, 3, code)
    up = _Separable(rows, cols)
    out = up.forward(f)
    if f.ndim == 3 and channel_axis is not None:
        out = np.moveaxis(out, -1, channel_axis)
    return out


def _initial(frames_k, ref, op):
    f = frames_k[ref]
    return np.ascontiguousarray(bicubic_reference(f, op.factor, origin=op.decimate.origin), dtype=frames_k.dtype)


def _power_norm_sq(op, dtype, n_iter=15, seed=0):
    """||A||^2 by power iteration on A^T A."""
    v = np.random.default_rng(seed).standard_normal(op.in_shape).astype(dtype)
    lam = 1.0
    for _ in range(n_iter):
        v /= np.linalg.norm(v)
        w = op.adjoint(op.forward(v))
        lam = _dot(v, w)
        v = w
    return lam


# ------------------------------------------------------------------------------------------
# shift and add
# ------------------------------------------------------------------------------------------

def shift_and_add(frames, scale, *, motions=None, fusion="median", deblur=False, psf=1.0, lam=0.01,
                  deblur_iter=30, model="translation", reference=0, decimation="sample", channel_axis=-1):
    """Fuse registered frames onto the HR grid by mean or median (then optionally deblur).

    Parameters
    ----------
    frames : sequence of K (h, w[, C]) arrays or (K, h, w[, C]) ndarray
        Frames of one shape and dtype (K >= 2).  Integers are scaled to [0, 1].
    scale : int
        Magnification s >= 1; the output is (s h, s w[, C]).
    motions : (K, 2, 3) array_like, optional, keyword-only
        Motions in LR units (see :func:`classicsr.misr.register`); registered when None.
    fusion : {"median", "mean"}, keyword-only
        How the LR samples landing on one HR pixel are combined (the median is the L1 / robust
        choice of Farsiu et al.).
    deblur : bool, keyword-only
        Deconvolve the fused image: minimise ``||W^(1/2) (B x - z)||^2 + lam ||L x||^2`` by CG,
        ``W`` the sample counts divided by their maximum (1 where the most samples landed),
        ``L`` the Laplacian.
    psf : float, (kh, kw) array or None, keyword-only
        For ``deblur``: Gaussian sigma in HR pixels, or the PSF.
    lam, deblur_iter : keyword-only
        Deblur regularisation weight and CG iterations.
    model, reference, decimation, channel_axis : keyword-only
        Registration model, reference frame index, HR grid convention
        (:class:`classicsr.operators.Decimate`) and the frames' channel axis.

    Returns
    -------
    (s h, s w[, C]) ndarray
        float32 for float32/float16 frames, float64 otherwise.

    Notes
    -----
    Each LR pixel ``u`` of frame k sits at ``A_k^{-1} (u - b_k)`` in reference coordinates,
    i.e. HR coordinate ``s A_k^{-1}(u - b_k) + origin``; it is added to the nearest HR pixel
    (halves rounded up).
    HR pixels that receive no sample are filled by normalised Gaussian interpolation of their
    neighbours.  For translational motion and a shift-invariant PSF this is the first stage of
    Farsiu et al.'s fast robust SR.

    References
    ----------
    .. [1] S. Farsiu, M. D. Robinson, M. Elad, P. Milanfar, "Fast and robust multiframe super
           resolution", IEEE TIP 13(10), 1327-1344, 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.misr import simulate_frames, shift_and_add
    >>> sim = simulate_frames(np.random.default_rng(0).random((32, 32)), 8, 2, seed=0)
    >>> shift_and_add(sim.frames, 2, motions=sim.motions).shape
    (32, 32)
    """
    fusion = check_choice("fusion", fusion, ("median", "mean"))
    deblur = check_bool("deblur", deblur)
    lam = check_positive_number("lam", lam, allow_zero=True)
    deblur_iter = check_int("deblur_iter", deblur_iter, minimum=0)
    stack, op, ref = _prepare(frames, scale, motions, psf if deblur else None, model, reference, channel_axis,
                              decimation, "bicubic", "symmetric")
    s = op.factor
    H, W = op.hr_shape
    K, h, w = stack.shape[:3]
    rr, cc = np.meshgrid(np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij")
    targets = []
    for m in op.motions:
        Ainv = np.linalg.inv(m[:, :2])
        qr = Ainv[0, 0] * (rr - m[0, 2]) + Ainv[0, 1] * (cc - m[1, 2])
        qc = Ainv[1, 0] * (rr - m[0, 2]) + Ainv[1, 1] * (cc - m[1, 2])
        # nearest HR pixel, halves rounded up (np.rint's ties to even would send the
        # half-pixel positions 0.5 and 1.5 of two frames to one pixel, 2)
        hr_r = np.floor(s * qr + op.decimate.origin + 0.5).astype(np.int64)
        hr_c = np.floor(s * qc + op.decimate.origin + 0.5).astype(np.int64)
        inside = (hr_r >= 0) & (hr_r < H) & (hr_c >= 0) & (hr_c < W)
        targets.append((hr_r * W + hr_c, inside))
    index = np.concatenate([t[0].ravel() for t in targets])
    inside = np.concatenate([t[1].ravel() for t in targets])
    index = index[inside]
    counts = np.bincount(index, minlength=H * W).reshape(H, W).astype(np.float64)

    def fuse(fr, _c):
        vals = fr.reshape(-1)[inside].astype(np.float64)
        if fusion == "mean":
            z = np.bincount(index, weights=vals, minlength=H * W)
            z = np.divide(z, counts.ravel(), out=np.zeros(H * W), where=counts.ravel() > 0)
        else:
            order = np.lexsort((vals, index))
            si, sv = index[order], vals[order]
            starts = np.searchsorted(si, np.arange(H * W), side="left")
            n = counts.ravel().astype(np.int64)
            z = np.zeros(H * W)
            has = n > 0
            lo = starts[has] + (n[has] - 1) // 2
            hi = starts[has] + n[has] // 2
            z[has] = 0.5 * (sv[lo] + sv[hi])
        z = z.reshape(H, W)
        z = _fill_holes(z, counts > 0)
        if deblur and op.blur is not None:
            z = _weighted_deblur(z, np.maximum(counts, 0.0), op.blur, lam, deblur_iter)
        return z.astype(stack.dtype)

    return _per_channel(stack, fuse, channel_axis)


def _fill_holes(z, known):
    if known.all():
        return z
    from .simulate import gaussian_psf

    out = z.copy()
    filled = known.copy()
    sigma = 1.0
    while not filled.all() and sigma < 4 * max(z.shape):
        B = Blur(z.shape, gaussian_psf(sigma))
        num = B.forward(np.where(filled, out, 0.0))
        den = B.forward(filled.astype(np.float64))
        ok = (den > 1e-8) & ~filled
        out[ok] = num[ok] / den[ok]
        filled |= ok
        sigma *= 2
    return out


def _laplacian(shape):
    return Blur(shape, _LAPLACIAN, boundary="symmetric", method="spatial")


def _weighted_deblur(z, weights, blur, lam, n_iter):
    L = _laplacian(z.shape)
    wmax = weights.max() if weights.max() > 0 else 1.0
    wt = weights / wmax

    def normal(v):
        return blur.adjoint(wt * blur.forward(v)) + lam * L.adjoint(L.forward(v))

    return _cg(normal, blur.adjoint(wt * z), z.copy(), n_iter, 1e-6, None, None)


class _Guard:
    """Divergence guard of an iterative solver.

    ``check(it, x, misfit)`` is called with the iterate ``x`` whose data misfit ``||A x - y||``
    is ``misfit``.  It remembers the iterate with the smallest misfit (a copy) and returns True,
    after a ``RuntimeWarning``, when ``misfit`` is not finite or exceeds ``factor`` times the
    smallest seen: the solver then stops and returns :attr:`best`.  Until a finite misfit has
    been seen (non-finite frames) it never stops the solver, so NaN/inf propagate.  A converging run never
    triggers it (its misfit stays within a few times its start)."""

    def __init__(self, name, factor=10.0):
        self.name = name
        self.factor = factor
        self.best = None
        self.best_it = -1
        self.best_misfit = np.inf

    def check(self, it, x, misfit):
        misfit = float(misfit)
        if self.best is None:
            # nothing finite to fall back to yet (e.g. NaN in the frames): NaN propagates
            if np.isfinite(misfit):
                self.best, self.best_it, self.best_misfit = x.copy(), it, misfit
            return False
        if not np.isfinite(misfit) or misfit > self.factor * self.best_misfit:
            warnings.warn(f"{self.name} diverged at iteration {it} (data misfit {misfit:.3g}, smallest "
                          f"{self.best_misfit:.3g} at iteration {self.best_it}); stopped and returned "
                          "that best iterate: reduce step", RuntimeWarning, stacklevel=4)
            return True
        if misfit < self.best_misfit:
            self.best, self.best_it, self.best_misfit = x.copy(), it, misfit
        return False


def _dot(a, b):
    # elementwise product + sum: no BLAS call, so no BLAS thread pool to oversubscribe
    return float(np.multiply(a, b).sum())


def _cg(normal, b, x, n_iter, tol, callback, bar):
    r = b - normal(x)
    p = r.copy()
    rs = _dot(r, r)
    bn = np.sqrt(_dot(b, b)) or 1.0
    for it in range(n_iter):
        if np.sqrt(rs) <= tol * bn:
            break
        Ap = normal(p)
        alpha = rs / _dot(p, Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = _dot(r, r)
        p = r + (rs_new / rs) * p
        rs = rs_new
        if _notify(callback, bar, it, x):
            break
    return x


# ------------------------------------------------------------------------------------------
# iterative back-projection
# ------------------------------------------------------------------------------------------

def iterative_back_projection(frames, scale, *, motions=None, psf=1.0, n_iter=20, step=1.0, model="translation",
                              reference=0, decimation="sample", interpolation="bicubic", tol=1e-5,
                              callback=None, progress=False, channel_axis=-1):
    """Irani-Peleg iterative back-projection.

    Parameters
    ----------
    frames, scale, motions, psf, model, reference, decimation, channel_axis
        As in :func:`regularized_sr`.
    n_iter : int, keyword-only
        Maximum iterations.
    step : float, keyword-only
        Relative step in (0, 2): the update is ``x += step / ||A||^2 A^T (y - A x)``.
    tol : float, keyword-only
        Stop when ``||x_new - x|| <= tol ||x||``.  A diverging run (data misfit ``||y - A x||``
        not finite or above 10 times its smallest value, e.g. with a too large ``step``)
        stops with a ``RuntimeWarning`` and returns the iterate with the smallest misfit.
    callback : callable, optional, keyword-only
        ``callback(iteration, x)`` after every iteration (``iteration`` counts from 0); a
        true return value stops.
    progress : bool, keyword-only
        Show a tqdm progress bar.

    Returns
    -------
    (s h, s w[, C]) ndarray

    Notes
    -----
    Irani and Peleg simulate the frames from the estimate, then back-project the errors
    through the motion with a back-projection kernel ``p``:
    ``x <- x + c sum_k M_k^T (((y_k - D B M_k x) up s) * p)``.  With ``p`` the flipped PSF,
    zero-filling upsampling and ``c = step / ||A||^2`` this is the Landweber iteration on the
    stacked model, which converges for ``0 < step < 2`` (``||A||^2`` is estimated by 15
    power iterations).  The start is the bicubic upsampling of the reference frame.

    References
    ----------
    .. [1] M. Irani, S. Peleg, "Improving resolution by image registration", CVGIP: Graphical
           Models and Image Processing 53(3), 231-239, 1991.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.misr import simulate_frames, iterative_back_projection
    >>> sim = simulate_frames(np.random.default_rng(0).random((32, 32)), 4, 2, seed=0)
    >>> iterative_back_projection(sim.frames, 2, motions=sim.motions, n_iter=3).shape
    (32, 32)
    """
    n_iter = check_int("n_iter", n_iter, minimum=0)
    step = check_positive_number("step", step)
    if step >= 2:
        raise ValueError(f"step must be in (0, 2) for convergence, got {step}")
    tol = check_positive_number("tol", tol, allow_zero=True)
    stack, op, ref = _prepare(frames, scale, motions, psf, model, reference, channel_axis, decimation,
                              interpolation, "symmetric")
    norm_sq = _power_norm_sq(op, stack.dtype)
    bar = _progress(n_iter * (stack.shape[-1] if stack.ndim == 4 else 1), progress, "IBP")

    def run(y, _c):
        x = _initial(y, ref, op)
        guard = _Guard("iterative_back_projection")
        for it in range(n_iter):
            r = y - op.forward(x)
            if guard.check(it, x, np.linalg.norm(r)):
                return guard.best
            dx = (step / norm_sq) * op.adjoint(r)
            x = x + dx
            stop = _notify(callback, bar, it, x)
            if stop or np.linalg.norm(dx) <= tol * np.linalg.norm(x):
                break
        if guard.check(n_iter, x, np.linalg.norm(y - op.forward(x))):
            return guard.best
        return x

    try:
        return _per_channel(stack, run, channel_axis)
    finally:
        if bar is not None:
            bar.close()


# ------------------------------------------------------------------------------------------
# regularised SR
# ------------------------------------------------------------------------------------------

def regularized_sr(frames, scale, *, motions=None, psf=1.0, data="l2", prior="tikhonov", lam=None,
                   n_iter=None, solver=None, step=None, btv_radius=2, btv_alpha=0.7, eps=1e-2, tol=1e-6,
                   model="translation", reference=0, decimation="sample", interpolation="bicubic",
                   refine_motion=False, refine_rounds=3, callback=None, progress=False, channel_axis=-1):
    """Regularised multi-frame SR: ``argmin_x (1/K) rho(A x - y) + lam R(x)``.

    Parameters
    ----------
    frames : sequence of K (h, w[, C]) arrays or (K, h, w[, C]) ndarray
        At least two frames of one shape and dtype; integers are scaled to [0, 1].
    scale : int
        Magnification s; the output is (s h, s w[, C]).
    motions : (K, 2, 3) array_like, optional, keyword-only
        Known motions (LR units, reference -> frame k); registered with
        :func:`classicsr.misr.register` (``model=``) when None.
    psf : float, (kh, kw) array or None, keyword-only
        Gaussian sigma in HR pixels, or the PSF on the HR grid.
    data : {"l2", "l1"}, keyword-only
        ``rho = ||.||_2^2 / 2`` or the robust ``||.||_1`` (outlier frames / pixels).
    prior : {"tikhonov", "btv"}, keyword-only
        ``R = ||L x||^2 / 2`` (L the 5-point Laplacian) or bilateral TV
        ``sum_{l,m} alpha^(|l|+|m|) ||x - S_l S_m x||_1`` over a (2P+1)^2 half window.
    lam : float, optional, keyword-only
        Regularisation weight.  The fixed default is ``lam_2 * (2 / s) ** 1.5`` with ``lam_2`` =
        5e-4 (Tikhonov) or 3e-5 (BTV): 5e-4 / 1.8e-4 and 3e-5 / 1.1e-5 at x2 / x4, tuned on
        simulated sequences (PSF sigma 1 HR pixel, noise sigma 0.01 on [0, 1], 8 / 16 frames) of
        160x160 centre crops of camera, Set14 comic, man and pepper; see ``docs/misr.md``.
        With ``data="l1"`` the default is 80 times that (the L1 term's gradient is the L2
        one over ``|r|``, about 80 on average at noise 0.01).  BTV uses it as is.  For
        Tikhonov, ``lam=None`` (default) is **data-adaptive**: a pilot solve at that fixed
        value gives the mean squared residual ``r`` (noise variance) and the mean squared
        Laplacian ``E`` of the estimate (prior variance), and the result is the
        solve, warm-started from the pilot, at ``lam = 0.3 r / (K E)`` (the MAP weight
        ``sigma^2 / (K sigma_p^2)``; clipped to within a factor 20 of the fixed value): larger
        for smooth scenes, smaller for textured ones.  The constant 0.3 was fitted at x2 on
        held-out scenes (camera and BSD100 img_011 to img_030, none of the benchmark's 24) and
        is also the best at x4.  Pass a number to fix it (one solve).
    n_iter : int, optional, keyword-only
        Iterations (default 50 CG, 15 IRLS outer, 50 descent).
    solver : {"cg", "irls", "descent"}, optional, keyword-only
        Default: CG for L2 + Tikhonov, IRLS otherwise.  "descent" is Farsiu's steepest
        descent with a fixed step.
    step : float, optional, keyword-only
        Step of "descent" (default 0.5 for ``data="l2"``, 0.07 for ``data="l1"``, whose sign
        gradient moves pixels by about ``step / 4`` of the value range every iteration; see
        Notes).
    btv_radius, btv_alpha : keyword-only
        BTV window radius P and decay alpha.
    eps : float, keyword-only
        IRLS smoothing: ``|t|`` is replaced by ``sqrt(t^2 + eps^2)`` for the weights.
    tol : float, keyword-only
        CG stops when the residual norm falls below ``tol`` times the right-hand side's; the
        other solvers stop when ``||x_new - x|| <= tol ||x||``.
    model, reference, decimation, interpolation : keyword-only
        Registration model, reference frame, HR grid and warp interpolation.
    refine_motion : bool, keyword-only
        Joint refinement: alternate ``refine_rounds`` times between a reconstruction (on the
        channel mean) and re-estimating every frame's motion against that HR estimate through
        the model (:func:`refine_motions`), then solve with the final motions.
    refine_rounds : int, keyword-only
        Number of reconstruct / re-register alternations when ``refine_motion`` (default 3).
    callback : callable, optional, keyword-only
        ``callback(iteration, x)`` after every (outer) iteration (``iteration`` counts from
        0); a true return value stops early.
    progress : bool, keyword-only
        Show a tqdm progress bar.
    channel_axis : int, keyword-only
        Channel axis of colour frames; colour is reconstructed channel-wise with shared motion.

    Returns
    -------
    (s h, s w[, C]) ndarray
        float32 for float32 frames, float64 otherwise.

    Notes
    -----
    With ``A`` the stacked :class:`classicsr.operators.ObservationModel`:

    * **CG** (L2 + Tikhonov): solves ``(A^T A / K + lam L^T L) x = A^T y / K`` from the
      bicubic start; at most ``n_iter`` iterations, stopping on the relative residual ``tol``
      (twice with the adaptive ``lam=None``: pilot, then the final solve; ``callback`` and
      ``progress`` follow the final one).
    * **IRLS** (L1 data and/or BTV): each outer iteration freezes the weights
      ``w = 1 / sqrt(t^2 + eps^2)`` of the L1 terms at the current residuals / BTV
      differences and runs 5 CG steps on the weighted normal equations
      ``(A^T W_d A / K + lam sum_o D_o^T W_o D_o) x = A^T W_d y / K`` (the quadratic
      majoriser of the objective as written, so both solvers minimise the same function).
    * **descent** (Farsiu et al.): ``x <- x - beta (A^T sign(A x - y) / K + lam g_BTV)`` with
      ``beta = step * s^2 / 4`` fixed (the sign gradient is scale-free; ``s^2`` undoes the
      ``1 / s^2`` density of LR samples on the HR grid); ``g_BTV`` the BTV subgradient.
      A diverging run (data misfit not finite or above 10 times its smallest value, e.g. a
      too large ``step``) stops with a ``RuntimeWarning`` and returns the iterate with the
      smallest misfit.

    References
    ----------
    .. [1] S. Farsiu, M. D. Robinson, M. Elad, P. Milanfar, "Fast and robust multiframe super
           resolution", IEEE TIP 13(10), 2004.
    .. [2] R. C. Hardie, K. J. Barnard, E. E. Armstrong, "Joint MAP registration and
           high-resolution image estimation", IEEE TIP 6(12), 1997.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.misr import simulate_frames, regularized_sr
    >>> sim = simulate_frames(np.random.default_rng(0).random((32, 32)), 4, 2, seed=0)
    >>> regularized_sr(sim.frames, 2, motions=sim.motions, n_iter=5).shape
    (32, 32)
    """
    data = check_choice("data", data, ("l2", "l1"))
    prior = check_choice("prior", prior, ("tikhonov", "btv"))
    if solver is None:
        solver = "cg" if (data == "l2" and prior == "tikhonov") else "irls"
    solver = check_choice("solver", solver, ("cg", "irls", "descent"))
    if solver == "cg" and (data != "l2" or prior != "tikhonov"):
        raise ValueError(f"solver='cg' needs data='l2' and prior='tikhonov', got data={data!r}, prior={prior!r}; "
                         f"use solver='irls' or 'descent'")
    auto_lam = lam is None and prior == "tikhonov"
    if lam is None:
        lam = _default_lam(prior, check_int("scale", scale, minimum=1), data)
    lam = check_positive_number("lam", lam, allow_zero=True)
    if n_iter is None:
        n_iter = {"cg": 50, "irls": 15, "descent": 50}[solver]
    n_iter = check_int("n_iter", n_iter, minimum=0)
    step = _DEFAULT_STEP[data] if step is None else check_positive_number("step", step)
    P = check_int("btv_radius", btv_radius, minimum=1, maximum=5)
    alpha = check_positive_number("btv_alpha", btv_alpha)
    eps = check_positive_number("eps", eps)
    tol = check_positive_number("tol", tol, allow_zero=True)
    refine_motion = check_bool("refine_motion", refine_motion)
    refine_rounds = check_int("refine_rounds", refine_rounds, minimum=1)
    stack, op, ref = _prepare(frames, scale, motions, psf, model, reference, channel_axis, decimation,
                              interpolation, "symmetric")
    K = stack.shape[0]
    n_ch = stack.shape[-1] if stack.ndim == 4 else 1
    bar = _progress(n_iter * (n_ch + (refine_rounds if refine_motion else 0)), progress, f"{data}-{prior}")
    solve_args = dict(data=data, prior=prior, lam=lam, n_iter=n_iter, solver=solver, step=step, P=P,
                      alpha=alpha, eps=eps, tol=tol, callback=callback, bar=bar)

    def solve(op, y):
        x = _initial(y, ref, op)
        if not auto_lam:
            return _solve(op, y, x, K, **solve_args)
        # pilot solve at the fixed default, then the data-adaptive weight (see _adaptive_lam)
        x = _solve(op, y, x, K, **dict(solve_args, callback=None, bar=None))
        return _solve(op, y, x, K, **dict(solve_args, lam=_adaptive_lam(op, y, x, K, lam, data)))

    try:
        if refine_motion:
            gray = np.ascontiguousarray(stack.mean(axis=-1) if stack.ndim == 4 else stack)
            for _ in range(refine_rounds):
                x0 = solve(op, gray)
                op = op.with_motions(refine_motions(gray, x0, op, reference=ref, model=model))
        return _per_channel(stack, lambda y, c: solve(op, y), channel_axis)
    finally:
        if bar is not None:
            bar.close()


#: Constant of the adaptive Tikhonov weight ``lam = c r / (K E)`` (see :func:`_adaptive_lam`).
_AUTO_LAM_C = 0.3
#: The adaptive weight stays within this factor of the fixed default.
_AUTO_LAM_RANGE = 20.0
#: Default weights for ``data="l1"`` are the L2 ones times this factor.  The L1 term's
#: gradient is the L2 one divided by ``|r|``; at the tuning noise (sigma 0.01 on [0, 1], IRLS
#: ``eps`` 0.01) the IRLS data weights ``1 / sqrt(r^2 + eps^2)`` average about 80.  Measured
#: (x2 / 8 and x4 / 16 frames, three 96x96 scenes, noise 0.01): IRLS on the objective as
#: written with 80x the L2-tuned BTV weight gives the same RMSE (within 1e-4) as the earlier
#: IRLS that divided the data weights by their mean at the L2-tuned weight.
_L1_LAM_FACTOR = 80.0
#: Default ``step`` of ``solver="descent"`` per data term.  The sign gradient of the L1 term
#: does not shrink near the solution, so a fixed step keeps every pixel moving by about
#: ``step / 4`` of the value range: 0.5 (the L2 step) left L1-BTV worse than its bicubic start
#: (RMSE 0.070 against 0.039, x2, camera crop, noise 0.01); 0.07 gave 0.021 (IRLS 0.019) and
#: was within 15% of IRLS on three scenes at x2 and x4 (steps 0.03-0.15 measured).
_DEFAULT_STEP = {"l2": 0.5, "l1": 0.07}


def _adaptive_lam(op, y, x, K, lam0, data="l2"):
    """Data-adaptive Tikhonov weight from a pilot reconstruction ``x`` (solved at ``lam0``).

    The MAP reading of ``(1/K) ||A x - y||^2 / 2 + lam ||L x||^2 / 2`` with white noise of
    variance ``sigma^2`` and the Gaussian prior ``L x ~ N(0, sigma_p^2 I)`` gives
    ``lam = sigma^2 / (K sigma_p^2)``.  Both are estimated from the pilot: ``r`` the mean
    squared residual ``(A x - y)^2`` (noise variance) and ``E`` the mean squared Laplacian
    ``(L x)^2`` (prior variance; the pilot is smoother than the scene, so ``E`` underestimates
    it, which the constant ``c`` absorbs): ``lam = c r / (K E)``, clipped to a factor
    ``_AUTO_LAM_RANGE`` of ``lam0``.  Textured scenes get a smaller weight, smooth ones a larger.
    For ``data="l1"`` the weight is scaled by ``_L1_LAM_FACTOR`` as the fixed default is.
    """
    r = float(np.mean(np.square(op.forward(x) - y)))
    E = float(np.mean(np.square(_laplacian(op.in_shape).forward(x))))
    if not (np.isfinite(r) and np.isfinite(E)) or r <= 0 or E <= 0 or lam0 <= 0:
        return lam0
    lam = _AUTO_LAM_C * r / (K * E) * (_L1_LAM_FACTOR if data == "l1" else 1.0)
    return float(np.clip(lam, lam0 / _AUTO_LAM_RANGE, lam0 * _AUTO_LAM_RANGE))


def _default_lam(prior, scale, data="l2"):
    """Default regularisation weight: tuned at x2 and x4 (see regularized_sr), power law
    between; times ``_L1_LAM_FACTOR`` for the L1 data term."""
    base = 5e-4 if prior == "tikhonov" else 3e-5
    return base * (2.0 / scale) ** 1.5 * (_L1_LAM_FACTOR if data == "l1" else 1.0)


def _solve(op, y, x, K, *, data, prior, lam, n_iter, solver, step, P, alpha, eps, tol, callback, bar):
    dt = y.dtype
    x = np.ascontiguousarray(x, dtype=dt)
    if solver == "cg":
        L = _laplacian(op.in_shape)

        def normal(v):
            return op.adjoint(op.forward(v)) / K + lam * L.adjoint(L.forward(v))

        return _cg(normal, op.adjoint(y) / K, x, n_iter, tol, callback, bar).astype(dt)

    n_off = int(_kbtv.n_offsets(P))
    if solver == "descent":
        beta = step * op.factor ** 2 / 4.0
        g = np.empty_like(x)
        guard = _Guard("regularized_sr(solver='descent')")
        for it in range(n_iter):
            r = op.forward(x) - y
            if guard.check(it, x, np.linalg.norm(r)):
                return guard.best
            grad = op.adjoint(np.sign(r) if data == "l1" else r) / K
            if prior == "btv":
                _kbtv.btv_sign_gradient(x, P, alpha, g)
            else:
                L = _laplacian(op.in_shape)
                g = L.adjoint(L.forward(x))
            dx = -beta * (grad + lam * g)
            x = np.ascontiguousarray(x + dx, dtype=dt)
            if _notify(callback, bar, it, x) or np.linalg.norm(dx) <= tol * np.linalg.norm(x):
                break
        if guard.check(n_iter, x, np.linalg.norm(op.forward(x) - y)):
            return guard.best
        return x

    # IRLS
    wts = np.empty((n_off,) + tuple(op.in_shape), dt)
    L = _laplacian(op.in_shape) if prior == "tikhonov" else None
    for it in range(n_iter):
        if data == "l1":
            r = op.forward(x) - y
            wd = (1.0 / np.sqrt(r * r + eps * eps)).astype(dt)
        else:
            wd = None
        if prior == "btv":
            _kbtv.btv_irls_weights(x, P, alpha, eps, wts)

        def normal(v, wd=wd):
            av = op.forward(v)
            out = op.adjoint(av * wd if wd is not None else av) / K
            if prior == "btv":
                reg = np.empty_like(v)
                _kbtv.btv_weighted_apply(np.ascontiguousarray(v, dtype=dt), wts, P, reg)
            else:
                reg = L.adjoint(L.forward(v))
            return out + lam * reg

        rhs = op.adjoint(y * wd if wd is not None else y) / K
        x_new = _cg(normal, rhs, x, 5, 0.0, None, None).astype(dt)
        dx = x_new - x
        x = np.ascontiguousarray(x_new)
        if _notify(callback, bar, it, x) or np.linalg.norm(dx) <= tol * np.linalg.norm(x):
            break
    return x


# ------------------------------------------------------------------------------------------
# motion refinement against the HR estimate
# ------------------------------------------------------------------------------------------

def refine_motions(frames, hr, op, *, reference=0, model="translation", n_iter=5):
    """Re-estimate each frame's motion by Gauss-Newton on ``||y_k - D B M(theta) x||^2``.

    Parameters
    ----------
    frames : (K, h, w) ndarray
    hr : (H, W) ndarray
        Current HR estimate.
    op : ObservationModel
        Model holding the current motions (the starting point).
    reference : int, keyword-only
        This frame keeps the identity motion (it fixes the HR grid).
    model : {"translation", "euclidean", "affine"}, keyword-only
    n_iter : int, keyword-only
        Gauss-Newton iterations per frame; the Jacobian is by central differences through the
        exact model operator.

    Returns
    -------
    (K, 2, 3) ndarray
        Refined motions in LR units.
    """
    from .register import _param_steps, motion_from_params, motion_params

    model = check_choice("model", model, MODELS)
    h, w = op.decimate.out_shape
    center = ((h - 1) / 2.0, (w - 1) / 2.0)
    steps = _param_steps(model)
    out = op.motions.copy()
    psf = None if op.blur is None else op.blur.psf
    hr = np.ascontiguousarray(hr, dtype=np.float64)
    margin = 2

    def predict(theta):
        m = motion_from_params(theta, model, center)
        single = ObservationModel(op.hr_shape, op.factor, [m], psf, interpolation=op.interpolation,
                                  boundary=op.boundary, decimation=op.decimate.mode, offset=op.decimate.offset)
        return single.forward(hr)[0][margin:-margin, margin:-margin].ravel()

    for k in range(op.n_frames):
        if k == reference:
            continue
        y = np.asarray(frames[k], dtype=np.float64)[margin:-margin, margin:-margin].ravel()
        theta = motion_params(out[k], model, center)
        for _ in range(n_iter):
            f0 = predict(theta)
            J = np.empty((f0.size, theta.size))
            for i, e in enumerate(steps):
                d = np.zeros_like(theta)
                d[i] = e
                J[:, i] = (predict(theta + d) - predict(theta - d)) / (2 * e)
            delta = np.linalg.lstsq(J, y - f0, rcond=None)[0]
            if not np.all(np.isfinite(delta)):
                break
            theta = theta + delta
            if np.all(np.abs(delta) < steps):
                break
        out[k] = motion_from_params(theta, model, center)
    return out
