"""classicsr: classical image super-resolution.

``import classicsr`` is cheap: submodules load on first use, and optional dependencies
(torch, cv2, dask) are imported only by the modules that need them.

>>> import numpy as np, classicsr
>>> classicsr.resize(np.zeros((4, 4)), 2).shape
(8, 8)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

from ._config import get_num_threads, set_num_threads  # noqa: E402
from ._memory import get_output_pool, set_output_pool  # noqa: E402
# Bind the function eagerly: ``classicsr.resize`` is the function, and importing the module
# ``classicsr.resize`` first (e.g. ``from classicsr.resize import KERNELS``) must not rebind it.
from .resize import resize  # noqa: E402
from .evaluate import evaluate  # noqa: E402  (standard library + numpy at import time)

_config_mod = importlib.import_module("._config", __name__)
_config_mod._apply_env_threads()

# Public submodules, imported on first attribute access (PEP 562).
_SUBMODULES = {
    "color": "color",
    "metrics": "metrics",
    "degrade": "degrade",
    "datasets": "datasets",
    "fft": "fft",
    "psf": "psf",
    "deconvolution": "deconvolution",
    "operators": "operators",
    "misr": "misr",
    "io": "io",
    "cli": "cli",
    "example_based": "example_based",
    "pixel_shuffle": "pixel_shuffle",
    "opencv": "opencv",
    "nn": "nn",
    "dask": "dask",
}

# Public functions re-exported from submodules, resolved lazily.
_LAZY_FUNCTIONS: dict[str, str] = {}

__all__ = ["resize", "evaluate", "set_num_threads", "get_num_threads", "set_output_pool",
           "get_output_pool", "__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    if name in _LAZY_FUNCTIONS:
        module = importlib.import_module(f".{_LAZY_FUNCTIONS[name]}", __name__)
        func = getattr(module, name)
        # Importing submodule ``resize`` binds the module to the package attribute; the
        # public name is the function, so bind it explicitly.
        globals()[name] = func
        return func
    raise AttributeError(f"module 'classicsr' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LAZY_FUNCTIONS))
