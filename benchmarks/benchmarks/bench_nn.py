"""asv benchmarks for classicsr.nn (TorchUpscaler) and classicsr.opencv.

Data are built in ``setup`` from a fixed seed (never changed, only appended to); networks are
built with seeded random weights (the timings do not depend on the weights), the resampler's
Numba kernels are compiled and torch is warmed in ``setup``.  Run with one thread
(``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1``) to compare with docs/neural.md.  The OpenCV
benchmarks need ``CLASSICSR_SHARED_DATA`` (or ../shared/data) for the ``.pb`` files and are
skipped (NotImplementedError) without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def _image(size, channels):
    rng = np.random.default_rng(6006)
    yy, xx = np.mgrid[:size, :size]
    base = 128 + 60 * np.sin(xx / 9.0) * np.cos(yy / 13.0) + 15 * rng.normal(size=(size, size))
    img = np.clip(base, 0, 255)
    if channels == 3:
        img = np.stack([img, 0.8 * img + 20, 0.6 * img + 40], axis=-1)
    return img.astype(np.uint8)


def _net(name, scale):
    import torch

    from classicsr.nn import build_model

    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    return build_model(name, scale, **({"n_resblocks": 16} if name == "edsr" else {}))


class Upscale:
    """Whole-image inference, uint8 RGB in and out (Y networks: luma by the net, CbCr bicubic)."""

    params = (["espcn", "fsrcnn", "edsr"], [2, 3, 4], [128, 256])
    param_names = ["model", "scale", "size"]
    timeout = 300

    def setup(self, model, scale, size):
        from classicsr.nn import TorchUpscaler

        self.up = TorchUpscaler(_net(model, scale))
        self.up(_image(16, 3))
        self.x = _image(size, 3)

    def time_upscale(self, model, scale, size):
        self.up(self.x)


class Tiled:
    """Tiled vs whole-image inference (the cost of the overlap)."""

    params = ([None, 64, 128], [8, 16])
    param_names = ["tile", "overlap"]
    timeout = 300

    def setup(self, tile, overlap):
        from classicsr.nn import TorchUpscaler

        self.up = TorchUpscaler(_net("fsrcnn", 3), tile=tile, overlap=overlap)
        self.x = _image(256, 1)
        self.up(self.x[:32, :32])

    def time_tiled(self, tile, overlap):
        self.up(self.x)


class SelfEnsemble:
    params = ([False, True],)
    param_names = ["self_ensemble"]
    timeout = 300

    def setup(self, se):
        from classicsr.nn import TorchUpscaler

        self.up = TorchUpscaler(_net("espcn", 3), self_ensemble=se)
        self.x = _image(128, 3)
        self.up(self.x[:16, :16])

    def time_upscale(self, se):
        self.up(self.x)


def _pb(name):
    root = os.environ.get("CLASSICSR_SHARED_DATA")
    root = Path(root) if root else Path(__file__).resolve().parents[3] / "shared" / "data"
    path = root / "opencv_models" / name
    if not path.is_file():
        raise NotImplementedError(f"{path} is absent")
    return path


class OpenCV:
    params = (["ESPCN_x3.pb", "FSRCNN_x3.pb", "FSRCNN-small_x3.pb", "LapSRN_x4.pb"], [128, 256])
    param_names = ["model", "size"]
    timeout = 300

    def setup(self, model, size):
        import cv2

        from classicsr.opencv import OpenCVUpscaler

        cv2.setNumThreads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        self.up = OpenCVUpscaler(_pb(model))
        self.up(_image(16, 3))
        self.x = _image(size, 3)

    def time_upscale(self, model, size):
        self.up(self.x)


class FirstCall:
    """Import torch + build + first inference in a fresh interpreter (what a CLI call pays)."""

    timeout = 300

    def time_first_call(self):
        import subprocess
        import sys

        code = ("import numpy as np; from classicsr.nn import TorchUpscaler, build_model; "
                "TorchUpscaler(build_model('espcn', 3))(np.zeros((64, 64), np.uint8))")
        subprocess.run([sys.executable, "-c", code], check=True)
