"""asv benchmarks for classicsr.fft and classicsr.deconvolution.

Data are built in ``setup`` from a fixed seed (never changed, only appended to); Numba kernels
are compiled and FFTW plans built in ``setup`` so the timed region holds neither JIT nor
planning time.  The first-call cost (plan + compile/cache load) is timed in :class:`FirstCall`.
"""

from __future__ import annotations

import numpy as np


def _image(size, dtype):
    rng = np.random.default_rng(4242)
    from scipy import ndimage

    x = ndimage.gaussian_filter(rng.random((size, size)), 2.0) + rng.normal(0, 0.01, (size, size))
    return x.astype(dtype)


class FFTPair:
    """rfft2 + irfft2 through classicsr.fft, per backend."""

    params = ([512, 1024, 2048], ["float32", "float64"], ["pyfftw", "scipy", "numpy"])
    param_names = ["size", "dtype", "backend"]

    def setup(self, size, dtype, backend):
        from classicsr import fft

        self.fft = fft
        self.old = fft.get_backend()
        fft.set_backend(backend)
        self.x = _image(size, dtype)
        fft.irfft2(fft.rfft2(self.x), self.x.shape)  # plan

    def teardown(self, size, dtype, backend):
        self.fft.set_backend(self.old["backend"], threads=self.old["threads"], planner=self.old["planner"])

    def time_rfft2_irfft2(self, size, dtype, backend):
        self.fft.irfft2(self.fft.rfft2(self.x), self.x.shape)


class Wiener:
    params = ([512, 1024], ["float32", "float64"], ["wrap", "symmetric"])
    param_names = ["size", "dtype", "boundary"]

    def setup(self, size, dtype, boundary):
        from classicsr import deconvolution, psf

        self.d = deconvolution
        self.h = psf.gaussian(2.0)
        self.x = _image(size, dtype)
        self.engine = deconvolution.Deconvolver(self.h, nsr=1e-2, boundary=boundary)
        self.engine(self.x)
        deconvolution.wiener(self.x, self.h, nsr=1e-2, boundary=boundary)
        self.boundary = boundary

    def time_wiener_uncached(self, size, dtype, boundary):
        self.d.wiener(self.x, self.h, nsr=1e-2, boundary=boundary)

    def time_wiener_cached(self, size, dtype, boundary):
        self.engine(self.x)

    def time_wiener_auto_nsr(self, size, dtype, boundary):
        self.d.wiener(self.x, self.h, boundary=boundary)

    def time_tikhonov_gcv(self, size, dtype, boundary):
        self.d.tikhonov(self.x, self.h, boundary=boundary)


class RichardsonLucy:
    params = ([512, 1024], ["float32", "float64"], ["wrap", "symmetric"])
    param_names = ["size", "dtype", "boundary"]
    timeout = 180

    def setup(self, size, dtype, boundary):
        from classicsr import deconvolution, psf

        self.d = deconvolution
        self.h = psf.gaussian(2.0)
        self.x = _image(size, dtype)
        deconvolution.richardson_lucy(self.x, self.h, iterations=2, boundary=boundary)

    def time_rl_30(self, size, dtype, boundary):
        self.d.richardson_lucy(self.x, self.h, iterations=30, boundary=boundary)


class PSF2OTF:
    params = ([512, 1024], ["gaussian", "motion"])
    param_names = ["size", "psf"]

    def setup(self, size, kind):
        from classicsr import fft, psf

        self.fft = fft
        self.h = psf.gaussian(2.0) if kind == "gaussian" else psf.motion(15, 30)
        fft.psf2otf(self.h, (size, size), onesided=True)
        self.shape = (size, size)

    def time_psf2otf(self, size, kind):
        self.fft.psf2otf(self.h, self.shape, onesided=True)


class FirstCall:
    """Plan + JIT (or cache load) + run, in a fresh shape each time."""

    number = 1
    repeat = 3

    def setup(self):
        from classicsr import fft

        fft.clear_plan_cache()
        self.x = _image(517, "float32")

    def time_first_wiener(self):
        from classicsr import deconvolution, psf

        deconvolution.wiener(self.x, psf.gaussian(2.0), nsr=1e-2)
