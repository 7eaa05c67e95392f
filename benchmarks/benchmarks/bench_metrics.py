"""asv benchmarks for classicsr.metrics and classicsr.color.

Data are built in ``setup`` from a fixed seed (never changed, only appended to); the Numba
kernels are compiled in ``setup`` so the timed region holds no JIT time.  The first-call
(compile or cache-load) cost is timed separately in :class:`SSIMFirstCall`.
"""

from __future__ import annotations

import numpy as np


def _pair(size, channels, dtype):
    rng = np.random.default_rng(12345)
    shape = (size, size) if channels == 1 else (size, size, channels)
    a = rng.integers(0, 256, shape).astype(np.uint8)
    b = np.clip(a.astype(np.int16) + rng.integers(-12, 13, shape), 0, 255).astype(np.uint8)
    if dtype == "uint8":
        return a, b, None
    return (a / 255).astype(dtype), (b / 255).astype(dtype), 1.0


class SSIM:
    params = ([256, 512, 1024], [1, 3], ["uint8", "float32", "float64"])
    param_names = ["size", "channels", "dtype"]

    def setup(self, size, channels, dtype):
        from classicsr.metrics import ssim

        self.ssim = ssim
        self.a, self.b, self.rng = _pair(size, channels, dtype)
        ssim(self.a[:32, :32], self.b[:32, :32], data_range=self.rng)  # compile

    def time_ssim(self, size, channels, dtype):
        self.ssim(self.a, self.b, data_range=self.rng)


class PSNR:
    params = ([512, 1024], [1, 3])
    param_names = ["size", "channels"]

    def setup(self, size, channels):
        from classicsr.metrics import psnr

        self.psnr = psnr
        self.a, self.b, _ = _pair(size, channels, "uint8")

    def time_psnr(self, size, channels):
        self.psnr(self.a, self.b)

    def time_psnr_y_channel_shaved(self, size, channels):
        self.psnr(self.a, self.b, y_channel=channels == 3, crop_border=4)


class OtherMetrics:
    params = [512]
    param_names = ["size"]

    def setup(self, size):
        from classicsr import metrics

        self.m = metrics
        self.a, self.b, _ = _pair(size, 1, "uint8")
        metrics.ms_ssim(self.a, self.b)

    def time_ms_ssim(self, size):
        self.m.ms_ssim(self.a, self.b)

    def time_gmsd(self, size):
        self.m.gmsd(self.a, self.b)


class RGBToY:
    params = ([512, 1024], ["uint8", "float64"])
    param_names = ["size", "dtype"]

    def setup(self, size, dtype):
        from classicsr.color import rgb_to_y

        self.f = rgb_to_y
        self.a, _, _ = _pair(size, 3, dtype)

    def time_rgb_to_y(self, size, dtype):
        self.f(self.a)


class SSIMFirstCall:
    """First call in a fresh process: JIT compile, or loading the on-disk cache."""

    number = 1
    repeat = 1

    def time_import_and_first_ssim(self):
        import subprocess
        import sys

        subprocess.run([sys.executable, "-c",
                        "import numpy as np; from classicsr.metrics import ssim; "
                        "a = np.zeros((64, 64), np.uint8); ssim(a, a)"], check=True)
