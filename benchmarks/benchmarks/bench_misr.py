"""asv benchmarks for classicsr.operators and classicsr.misr.

Data are built in ``setup`` from a fixed seed; kernels are compiled in ``setup`` by a call of
the same shape and dtype, so timed regions hold no JIT time.  The first call in a fresh
interpreter is timed in :class:`MisrFirstCall`.  Speed goal (issue 5): L1-BTV, 16 frames
128x128 to x4, 50 iterations, at least 5x faster than the same algorithm with scipy.ndimage
(``benchmarks/peer_misr.py``; tables in ``docs/misr.md``).
"""

from __future__ import annotations

import numpy as np

_SEED = 20240611


def _sim(K, h, scale):
    from classicsr.misr import simulate_frames

    rng = np.random.default_rng(_SEED)
    hr = rng.random((h * scale, h * scale))
    return simulate_frames(hr, K, scale, max_shift=1.0, noise_sigma=0.01, seed=_SEED)


class Operators:
    params = (["translation", "euclidean"], [256, 512], ["float32", "float64"])
    param_names = ["motion", "size", "dtype"]

    def setup(self, motion, size, dtype):
        from classicsr.misr import gaussian_psf
        from classicsr.operators import ObservationModel, euclidean_matrix, translation_matrix

        m = translation_matrix((0.3, -0.7)) if motion == "translation" else euclidean_matrix(0.02, (0.3, -0.7))
        self.A = ObservationModel((size, size), 4, [m], gaussian_psf(1.0))
        self.x = np.random.default_rng(_SEED).random((size, size)).astype(dtype)
        self.y = self.A.forward(self.x)
        self.A.adjoint(self.y)

    def time_forward(self, motion, size, dtype):
        self.A.forward(self.x)

    def time_adjoint(self, motion, size, dtype):
        self.A.adjoint(self.y)


class L1BTV:
    """The issue's case (16 x 128x128 -> x4, 50 iterations) and smaller sizes for scaling."""

    params = ([(8, 64), (16, 64), (16, 128)], ["descent", "irls"])
    param_names = ["frames_lrsize", "solver"]
    timeout = 600

    def setup(self, frames_lrsize, solver):
        from classicsr.misr import regularized_sr

        K, h = frames_lrsize
        self.sim = _sim(K, h, 4)
        self.kw = dict(motions=self.sim.motions, prior="btv", data="l1", solver=solver, tol=0.0,
                       n_iter=50 if solver == "descent" else 10)
        regularized_sr(self.sim.frames, 4, **dict(self.kw, n_iter=1))

    def time_l1_btv(self, frames_lrsize, solver):
        from classicsr.misr import regularized_sr

        regularized_sr(self.sim.frames, 4, **self.kw)


class Register:
    params = ([8, 16], ["translation", "affine"])
    param_names = ["frames", "model"]

    def setup(self, K, model):
        from classicsr.misr import register

        self.sim = _sim(K, 128, 4)
        register(self.sim.frames[:2], model=model)

    def time_register(self, K, model):
        from classicsr.misr import register

        register(self.sim.frames, model=model)


class MisrFirstCall:
    """Import + kernel cache load + one small reconstruction in a fresh interpreter."""

    timeout = 300

    def time_first_call(self):
        import subprocess
        import sys

        code = ("import numpy as np; from classicsr.misr import simulate_frames, regularized_sr; "
                "s = simulate_frames(np.random.default_rng(0).random((64, 64)), 4, 2, seed=0); "
                "regularized_sr(s.frames, 2, motions=s.motions, prior='btv', data='l1', n_iter=2)")
        subprocess.run([sys.executable, "-c", code], check=True)
