"""Multi-frame super-resolution: simulation, registration and reconstruction.

The observation model is ``y_k = D B M_k x + n_k`` (:class:`classicsr.operators.ObservationModel`):
``x`` the high-resolution image, ``M_k`` the motion of frame k, ``B`` the blur, ``D`` the
decimation.  Motions are (2, 3) matrices in LR pixel units mapping reference-frame
coordinates to frame-k coordinates (content at ``u`` appears at ``A u + b``).
"""

from .simulate import SimulatedFrames, gaussian_psf, simulate_frames
from .register import RegistrationError, phase_correlation, register
from .reconstruct import (bicubic_reference, iterative_back_projection, refine_motions, regularized_sr,
                          shift_and_add)

__all__ = ["simulate_frames", "SimulatedFrames", "gaussian_psf", "register", "phase_correlation",
           "RegistrationError", "shift_and_add", "iterative_back_projection", "regularized_sr",
           "bicubic_reference", "refine_motions"]
