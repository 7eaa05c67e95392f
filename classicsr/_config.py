"""The one place for Numba options, thread counts and FFT settings.

Every ``@njit`` kernel in :mod:`classicsr._kernels` is built with :func:`jit`, which reads the
options below.  Each option can be overridden through an environment variable, read once at
import time:

``CLASSICSR_NUMBA_CACHE`` (default ``1``)
    Cache compiled kernels on disk so a second process pays no JIT cost.
``CLASSICSR_NUMBA_FASTMATH`` (default ``0``)
    Allow LLVM fast-math.  Off by default: the resampler promises results that match MATLAB
    bit for bit, which reassociation would break.
``CLASSICSR_NUM_THREADS`` (default: Numba's default, i.e. all cores)
    Threads used by parallel kernels; see :func:`set_num_threads`.
``CLASSICSR_MAX_OUTPUT_BYTES`` (default 16 GiB)
    Calls whose output would exceed this many bytes fail fast with a ``ValueError``.
``CLASSICSR_OUTPUT_POOL_BYTES`` (default 256 MiB)
    Bytes of large (>= 32 MiB) output blocks kept for reuse, which spares the page faults of
    a fresh mapping on every call; ``0`` turns the pool off.  See :mod:`classicsr._memory`
    and :func:`classicsr.set_output_pool`.
``CLASSICSR_FFT_BACKEND`` (``"pyfftw"`` or ``"scipy"``, default ``"pyfftw"`` when importable)
``CLASSICSR_FFT_THREADS`` (default 1)
``CLASSICSR_FFT_PLANNER`` (default ``"FFTW_MEASURE"``)
"""

from __future__ import annotations

import os

__all__ = [
    "NUMBA_CACHE",
    "NUMBA_FASTMATH",
    "MAX_OUTPUT_BYTES",
    "OUTPUT_POOL_BYTES",
    "FFT_BACKEND",
    "FFT_THREADS",
    "FFT_PLANNER",
    "jit",
    "set_num_threads",
    "get_num_threads",
]


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from None


NUMBA_CACHE: bool = _env_bool("CLASSICSR_NUMBA_CACHE", True)
NUMBA_FASTMATH: bool = _env_bool("CLASSICSR_NUMBA_FASTMATH", False)
MAX_OUTPUT_BYTES: int = _env_int("CLASSICSR_MAX_OUTPUT_BYTES", 16 * 1024**3)
OUTPUT_POOL_BYTES: int = _env_int("CLASSICSR_OUTPUT_POOL_BYTES", 256 * 1024**2)
if MAX_OUTPUT_BYTES < 0:
    raise ValueError(f"environment variable CLASSICSR_MAX_OUTPUT_BYTES must be >= 0, got "
                     f"{MAX_OUTPUT_BYTES}")
if OUTPUT_POOL_BYTES < 0:
    raise ValueError(f"environment variable CLASSICSR_OUTPUT_POOL_BYTES must be >= 0 (0 turns the "
                     f"output pool off), got {OUTPUT_POOL_BYTES}")
FFT_BACKEND: str = os.environ.get("CLASSICSR_FFT_BACKEND", "pyfftw").strip().lower()
FFT_THREADS: int = _env_int("CLASSICSR_FFT_THREADS", 1)
FFT_PLANNER: str = os.environ.get("CLASSICSR_FFT_PLANNER", "FFTW_MEASURE").strip()

_NUM_THREADS_ENV = _env_int("CLASSICSR_NUM_THREADS", None)


def jit(func=None, *, parallel: bool = False, **overrides):
    """Compile ``func`` with Numba using the project's options.

    Use as ``@jit`` or ``@jit(parallel=True)``.  ``cache`` and ``fastmath`` come from this
    module; ``overrides`` win for the rare kernel that needs something else.
    """
    import numba

    options = {"cache": NUMBA_CACHE, "fastmath": NUMBA_FASTMATH, "nogil": True, "parallel": parallel}
    options.update(overrides)

    def wrap(f):
        if options["cache"] and not _CACHE_UNAVAILABLE:
            try:
                return numba.njit(**options)(f)
            except RuntimeError as exc:  # Numba found no writable cache directory
                if "no locator available" not in str(exc):
                    raise
                _cache_unavailable(exc)
        return numba.njit(**{**options, "cache": False})(f)

    if func is None:
        return wrap
    return wrap(func)


_CACHE_UNAVAILABLE = False


def _cache_unavailable(exc) -> None:
    """Compile without the on-disk cache from now on, and say so once: Numba raises at
    decoration when neither the package folder, ``NUMBA_CACHE_DIR`` nor the user's cache
    folder is writable (a read-only install with ``HOME`` unset or read-only)."""
    global _CACHE_UNAVAILABLE
    import warnings

    _CACHE_UNAVAILABLE = True
    warnings.warn(f"classicsr: Numba cannot cache compiled kernels ({exc}); every process "
                  f"will compile them again (seconds per kernel family).  Set NUMBA_CACHE_DIR "
                  f"to a writable folder to cache them, or CLASSICSR_NUMBA_CACHE=0 to compile "
                  f"without this warning.", RuntimeWarning, stacklevel=4)


def set_num_threads(n: int) -> None:
    """Set the number of threads used by classicsr's parallel kernels.

    Parameters
    ----------
    n : int
        Between 1 and the number of threads Numba was started with
        (``numba.config.NUMBA_NUM_THREADS``).
    """
    import numba

    if isinstance(n, bool) or not isinstance(n, (int,)) and not hasattr(n, "__index__"):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    n = int(n)
    limit = numba.config.NUMBA_NUM_THREADS
    if not 1 <= n <= limit:
        raise ValueError(f"n must be between 1 and {limit} (NUMBA_NUM_THREADS), got {n}")
    numba.set_num_threads(n)


def get_num_threads() -> int:
    """Return the number of threads classicsr's parallel kernels use."""
    import numba

    return numba.get_num_threads()


def _apply_env_threads() -> None:
    if _NUM_THREADS_ENV is not None:
        set_num_threads(_NUM_THREADS_ENV)
