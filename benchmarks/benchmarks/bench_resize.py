"""asv benchmarks for classicsr.resize (the MATLAB-exact resampler).

Data are built in ``setup`` from a fixed seed (never changed, only appended to) and the
Numba kernels are compiled (or loaded from the cache) in ``setup`` by a call on the same
dtype, scale and shape, so the timed region holds no JIT time.  The cost of the first call in
a fresh interpreter (import + cache load + run) is timed separately in
:class:`ResizeFirstCall`.  Thread counts are parameters: ``numba.set_num_threads`` is applied
in ``setup`` (``NUMBA_NUM_THREADS`` must allow it).

The speed goals (issue 2) are ratios against OpenCV/Pillow/torch measured in one process:
see ``benchmarks/peer_resize.py`` and ``docs/benchmarks.md``.
"""

from __future__ import annotations

import numpy as np

_SEED = 20240611


def _image(shape, dtype):
    rng = np.random.default_rng(_SEED)
    img = rng.random(shape)
    if dtype == "uint8":
        return (img * 255).round().astype(np.uint8)
    if dtype == "uint16":
        return (img * 65535).round().astype(np.uint16)
    return img.astype(dtype)


def _threads(n):
    import numba

    n = min(n, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(n)


class ResizeUpscale:
    """Bicubic upscales of the issue's sizes (no antialiasing when upscaling)."""

    params = (["512x512x3", "1024x1024"], ["uint8", "float32"], [2, 4], [1, 2])
    param_names = ["shape", "dtype", "scale", "threads"]

    def setup(self, shape, dtype, scale, threads):
        from classicsr import resize

        dims = tuple(int(s) for s in shape.split("x"))
        self.img = _image(dims, dtype)
        self.resize = resize
        _threads(threads)
        resize(self.img, scale)  # compile / load the kernels and the weight tables

    def time_bicubic(self, shape, dtype, scale, threads):
        self.resize(self.img, scale)

    def peakmem_bicubic(self, shape, dtype, scale, threads):
        self.resize(self.img, scale)


class ResizeIntoOut:
    """Bicubic upscales of 512x512x3 written into a preallocated ``out=`` (a loop over frames).
    Against :class:`ResizeUpscale`, whose dropped results the output pool reuses (outputs of
    32 MiB or more, placed for streamed rows), this is the cost of the caller's alignment:
    ``np.empty`` arrays take the regridded streamed blocks (see docs/resize.md)."""

    params = (["uint8", "float32"], [2, 4])
    param_names = ["dtype", "scale"]

    def setup(self, dtype, scale):
        from classicsr import resize

        self.img = _image((512, 512, 3), dtype)
        self.resize = resize
        _threads(1)
        self.out = resize(self.img, scale)

    def time_bicubic_out(self, dtype, scale):
        self.resize(self.img, scale, out=self.out)


class ResizeFreshOutput:
    """Bicubic float32 x4 upscales with large outputs (48 and 64 MiB) with the output pool on
    (the default: a dropped result's block is reused) and off (a fresh ``np.empty`` array, which
    page-faults on every call), one thread."""

    params = (["512x512x3", "1024x1024"], [True, False])
    param_names = ["shape", "pool"]

    def setup(self, shape, pool):
        import classicsr

        dims = tuple(int(s) for s in shape.split("x"))
        self.img = _image(dims, "float32")
        self.resize = classicsr.resize
        _threads(1)
        self.previous = classicsr.set_output_pool(classicsr.get_output_pool() if pool else 0)
        self.resize(self.img, 4)

    def teardown(self, shape, pool):
        import classicsr

        classicsr.set_output_pool(self.previous)

    def time_bicubic_x4(self, shape, pool):
        self.resize(self.img, 4)


class ResizeDownscale:
    """Antialiased bicubic downscales: x4 of 2048x2048x3 (issue 2) and the benchmark LR
    degradation (x1/3, replicate boundary: a table that is not dyadic, so the float32 path
    checks near-ties)."""

    params = (["uint8", "float32"], [0.25, 1 / 3], [1, 2])
    param_names = ["dtype", "scale", "threads"]

    def setup(self, dtype, scale, threads):
        from classicsr import resize

        self.img = _image((2048, 2048, 3), dtype)
        self.resize = resize
        _threads(threads)
        resize(self.img, scale, boundary="replicate")

    def time_antialiased_bicubic(self, dtype, scale, threads):
        self.resize(self.img, scale, boundary="replicate")


class ResizeMethods:
    """Every kernel on one 512x512x3 uint8 image, up x2, x1.5, x3 and down x1/2 (one thread;
    the fractional scales are where bilinear's near ties once cost 25x cv2's time)."""

    params = (["nearest", "bilinear", "bicubic", "lanczos2", "lanczos3", "box"],
              [2.0, 1.5, 3.0, 0.5])
    param_names = ["method", "scale"]

    def setup(self, method, scale):
        from classicsr import resize

        self.img = _image((512, 512, 3), "uint8")
        self.resize = resize
        _threads(1)
        resize(self.img, scale, method=method)

    def time_method(self, method, scale):
        self.resize(self.img, scale, method=method)


class ResizeSmall:
    """Per-call overhead: 8x8x3 and 32x32x3 patches (uint8, float32) and a 128x128x3 uint8
    image up x2 and down x1/2 (one thread), where validation, planning and kernel dispatch
    dominate (repeated calls of a shape replay their kernel calls since the thirtieth
    session)."""

    params = (["8x8x3", "32x32x3", "128x128x3"], ["uint8", "float32"], [2.0, 0.5])
    param_names = ["shape", "dtype", "scale"]

    def setup(self, shape, dtype, scale):
        from classicsr import resize

        self.img = _image(tuple(int(n) for n in shape.split("x")), dtype)
        self.resize = resize
        _threads(1)
        resize(self.img, scale)

    def time_small(self, shape, dtype, scale):
        self.resize(self.img, scale)


class ResizeDtypes:
    """The slower dtypes (float64 and uint16 accumulate in float64 unless exact), x2, x3, x4
    and the antialiased x0.5 (uint16 on the pmaddwd blocks since the twenty-eighth session)."""

    params = (["uint16", "float64", "uint8"], [2.0, 3.0, 4.0, 0.5])
    param_names = ["dtype", "scale"]

    def setup(self, dtype, scale):
        from classicsr import resize

        self.img = _image((512, 512, 3), dtype)
        self.resize = resize
        _threads(1)
        resize(self.img, scale)

    def time_dtype(self, dtype, scale):
        self.resize(self.img, scale)


class ResizeFirstCall:
    """A fresh interpreter: import classicsr, load the cached kernels, resize once.

    ``setup`` runs the same code once so the on-disk Numba cache is warm; the timed run then
    measures what a user pays per process (import + cache load + tables + one call)."""

    timeout = 600
    code = (
        "import numpy as np, classicsr\n"
        "img = np.zeros((64, 64, 3), np.uint8)\n"
        "classicsr.resize(img, 2)\n"
    )

    def setup_cache(self):
        import subprocess
        import sys

        subprocess.run([sys.executable, "-c", self.code], check=True)

    def timeraw_import_and_first_call(self):
        return self.code
