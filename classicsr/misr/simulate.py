"""Simulated low-resolution sequences ``y_k = D B M_k x + n_k`` with known motion."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._validate import as_image, check_channel_axis, check_choice, check_int, check_output_size, check_positive_number
from ..operators import ObservationModel, euclidean_matrix, translation_matrix

__all__ = ["simulate_frames", "SimulatedFrames", "gaussian_psf", "prepare_image"]


class SimulatedFrames(NamedTuple):
    """Result of :func:`simulate_frames`."""

    #: (K, h, w) or (K, h, w, C) float array: the noisy LR frames (frame 0 is the reference).
    frames: np.ndarray
    #: (K, 2, 3) motions in LR pixel units, reference frame -> frame k (frame 0: identity).
    motions: np.ndarray
    #: The PSF used on the HR grid (None: no blur).
    psf: np.ndarray | None
    #: The (noise-free) observation model that produced the frames.
    model: ObservationModel


def gaussian_psf(sigma, radius=None) -> np.ndarray:
    """Normalised isotropic Gaussian PSF of standard deviation ``sigma`` (HR pixels).

    ``radius`` defaults to ``ceil(4 sigma)``; the PSF has shape ``(2 radius + 1,) * 2``.  A thin
    wrapper over :func:`classicsr.psf.gaussian` fixing the MISR default support.

    Examples
    --------
    >>> gaussian_psf(1.0).shape
    (9, 9)
    """
    from ..psf import gaussian

    sigma = check_positive_number("sigma", sigma)
    radius = int(math.ceil(4 * sigma)) if radius is None else check_int("radius", radius, minimum=0)
    return gaussian(sigma, size=2 * radius + 1)


def _resolve_psf(psf):
    if psf is None:
        return None
    if isinstance(psf, (int, float, np.integer, np.floating)) and not isinstance(psf, bool):
        return gaussian_psf(check_positive_number("psf", psf))
    p = np.asarray(psf, dtype=np.float64)
    if p.ndim != 2 or p.size == 0:
        raise ValueError(f"psf must be a Gaussian sigma (number), a 2-D array or None, got shape {p.shape}")
    return p


def prepare_image(image, name="image", *, channel_axis=-1):
    """Validate an image and return it as (H, W) or (H, W, C) float, channels last.

    Integer images are scaled to [0, 1] (uint8 / 255, uint16 / 65535); float16 becomes
    float32; float32 stays; float64 stays.
    """
    img = as_image(image, name)
    axis = check_channel_axis(channel_axis, img.ndim, "channel_axis")
    if axis is not None:
        img = np.moveaxis(img, axis, -1)
    if img.dtype == np.uint8:
        img = img.astype(np.float64) / 255.0
    elif img.dtype == np.uint16:
        img = img.astype(np.float64) / 65535.0
    elif img.dtype == np.float16:
        img = img.astype(np.float32)
    return np.ascontiguousarray(img)


def _random_motion(rng, kind, max_shift, max_angle, max_deform, center):
    shift = rng.uniform(-max_shift, max_shift, 2)
    if kind == "translation":
        return translation_matrix(shift)
    angle = rng.uniform(-max_angle, max_angle)
    m = euclidean_matrix(angle, shift, center)
    if kind == "affine":
        lin = np.eye(2) + rng.uniform(-max_deform, max_deform, (2, 2))
        c = np.asarray(center)
        A = m[:, :2] @ lin
        m = np.hstack([A, (m[:, 2] + m[:, :2] @ c - A @ c)[:, None]])
    return m


def simulate_frames(hr, n_frames, scale, *, motion="translation", max_shift=1.0, max_angle=math.radians(2.0),
                    max_deform=0.02, psf=1.0, noise_sigma=0.01, seed=None, interpolation="bicubic",
                    boundary="symmetric", decimation="sample", channel_axis=-1) -> SimulatedFrames:
    """Make ``n_frames`` shifted, blurred, decimated, noisy frames of one high-resolution image.

    Parameters
    ----------
    hr : (H, W) or (H, W, C) ndarray
        The scene.  Integer images are scaled to [0, 1]; frames are float (dtype rule).
    n_frames : int
        Number of frames K >= 1; frame 0 is the reference (identity motion).
    scale : int
        Decimation factor s; the HR image is cropped to a multiple of s (top-left anchored).
    motion : {"translation", "euclidean", "affine"}, keyword-only
        Kind of random motion.
    max_shift : float, keyword-only
        Shifts are uniform in ``[-max_shift, max_shift]`` **LR pixels** per axis.
    max_angle : float, keyword-only
        Rotations (euclidean, affine) uniform in ``[-max_angle, max_angle]`` radians about the
        LR frame centre.
    max_deform : float, keyword-only
        Affine only: the linear part is multiplied by ``I + U``, ``U`` uniform in
        ``[-max_deform, max_deform]``.
    psf : float, (kh, kw) array or None, keyword-only
        A number is the sigma of a Gaussian PSF in HR pixels (:func:`gaussian_psf`).
    noise_sigma : float, keyword-only
        Standard deviation of the white Gaussian noise added to each LR frame (data on [0, 1]).
    seed : int or numpy.random.Generator, optional, keyword-only
    interpolation, boundary, decimation : keyword-only
        Passed to :class:`classicsr.operators.ObservationModel`.
    channel_axis : int, keyword-only
        Channel axis of a 3-D ``hr``; frames are returned channels-last.

    Returns
    -------
    SimulatedFrames
        ``frames`` (K, h, w[, C]), ``motions`` (K, 2, 3) in LR pixel units (the convention of
        :func:`classicsr.misr.register`), ``psf`` and the noise-free ``model``.

    Notes
    -----
    ``y_k = D B M_k x + n_k`` with ``M_k`` the warp of motion ``k`` converted to HR units,
    ``B`` the PSF and ``D`` the decimation (see :class:`classicsr.operators.ObservationModel`).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.misr import simulate_frames
    >>> sim = simulate_frames(np.random.default_rng(0).random((32, 32)), 4, 2, seed=0)
    >>> sim.frames.shape, sim.motions.shape
    ((4, 16, 16), (4, 2, 3))
    """
    x = prepare_image(hr, "hr", channel_axis=channel_axis)
    n_frames = check_int("n_frames", n_frames, minimum=1)
    scale = check_int("scale", scale, minimum=1)
    motion = check_choice("motion", motion, ("translation", "euclidean", "affine"))
    max_shift = check_positive_number("max_shift", max_shift, allow_zero=True)
    max_angle = check_positive_number("max_angle", max_angle, allow_zero=True)
    max_deform = check_positive_number("max_deform", max_deform, allow_zero=True)
    noise_sigma = check_positive_number("noise_sigma", noise_sigma, allow_zero=True)
    H, W = (x.shape[0] // scale) * scale, (x.shape[1] // scale) * scale
    if H == 0 or W == 0:
        raise ValueError(f"hr of shape {x.shape[:2]} is smaller than scale {scale}")
    x = x[:H, :W]
    rng = np.random.default_rng(seed)
    p = _resolve_psf(psf)
    h, w = H // scale, W // scale
    check_output_size((n_frames, h, w) + x.shape[2:], x.dtype, "the simulated frames")
    center = ((h - 1) / 2.0, (w - 1) / 2.0)
    motions = [np.array([[1.0, 0, 0], [0, 1.0, 0]])]
    for _ in range(n_frames - 1):
        motions.append(_random_motion(rng, motion, max_shift, max_angle, max_deform, center))
    motions = np.stack(motions)
    model = ObservationModel((H, W), scale, motions, p, interpolation=interpolation, boundary=boundary,
                             decimation=decimation)
    frames = model.forward(x)
    if noise_sigma > 0:
        frames = frames + rng.normal(0.0, noise_sigma, frames.shape).astype(frames.dtype)
    return SimulatedFrames(frames, motions, p, model)
