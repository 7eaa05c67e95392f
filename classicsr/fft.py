"""Real 2-D FFTs with cached plans, PSF <-> OTF conversion and periodic convolution.

Everything in classicsr that works in the Fourier domain goes through this module, so the
backend is one switch:

``"pyfftw"`` (default when importable)
    FFTW plans built once per (shape, dtype, threads, planner) on private aligned buffers and
    kept in a small LRU cache; the planner effort comes from ``CLASSICSR_FFT_PLANNER``
    (default ``FFTW_MEASURE``: a 1024x1024 plan costs about half a second once per process,
    then every transform of that shape reuses it).  FFTW wisdom accumulates in the process and
    can be saved and loaded with :func:`export_wisdom` / :func:`import_wisdom`.
``"scipy"``
    :mod:`scipy.fft` with ``workers`` set to the thread count (used when pyFFTW is missing).
``"numpy"``
    :mod:`numpy.fft`, single-threaded; kept for benchmarks and as a last resort.

Pick one with :func:`set_backend` or, temporarily, ``with classicsr.fft.backend("scipy"):``.
The environment variables ``CLASSICSR_FFT_BACKEND``, ``CLASSICSR_FFT_THREADS`` and
``CLASSICSR_FFT_PLANNER`` set the defaults (see :mod:`classicsr._config`).

dtype rule: float32 (and float16) input is transformed in single precision (complex64
spectra), everything else in double precision; results never depend on the backend beyond
rounding.

Conventions (MATLAB's): a PSF of shape ``(kh, kw)`` has its centre at index
``(kh // 2, kw // 2)`` (the middle for odd sizes, just below and right of it for even sizes);
:func:`psf2otf` zero-pads it to the image shape and circularly shifts that centre to the
origin before transforming, so multiplying spectra equals periodic convolution with the PSF
centred on each pixel.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import OrderedDict

import numpy as np

from . import _config
from ._validate import (
    as_image,
    check_channel_axis,
    check_choice,
    check_int,
    check_output_size,
    check_shape_pair,
)

__all__ = [
    "rfft2",
    "irfft2",
    "next_fast_len",
    "psf2otf",
    "otf2psf",
    "fftconvolve_periodic",
    "get_backend",
    "set_backend",
    "backend",
    "export_wisdom",
    "import_wisdom",
    "clear_plan_cache",
]

_BACKENDS = ("pyfftw", "scipy", "numpy")
_PLANNERS = ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE")
_PLAN_CACHE_SIZE = 16


def _pyfftw_available() -> bool:
    # find_spec, not import: importing pyfftw also imports dask when dask is installed
    # (pyfftw.interfaces.dask_fft), which costs ~0.7 s; defer that to the first plan.
    import importlib.util

    return importlib.util.find_spec("pyfftw") is not None


def _initial_backend() -> str:
    name = _config.FFT_BACKEND if _config.FFT_BACKEND in _BACKENDS else "pyfftw"
    if name == "pyfftw" and not _pyfftw_available():
        return "scipy"
    return name


def _initial_planner() -> str:
    planner = _config.FFT_PLANNER.upper()
    return planner if planner in _PLANNERS else "FFTW_MEASURE"


_state = {
    "backend": _initial_backend(),
    "threads": max(1, int(_config.FFT_THREADS or 1)),
    "planner": _initial_planner(),
}
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


# --------------------------------------------------------------------------------------
# backend selection
# --------------------------------------------------------------------------------------
def get_backend() -> dict:
    """Return the current FFT settings.

    Returns
    -------
    dict
        ``{"backend": str, "threads": int, "planner": str}``.
    """
    return dict(_state)


def set_backend(name: str | None = None, *, threads: int | None = None, planner: str | None = None) -> None:
    """Choose the FFT backend, thread count and FFTW planner effort for this process.

    Parameters
    ----------
    name : {"pyfftw", "scipy", "numpy"}, optional
        Backend; ``None`` keeps the current one.  Asking for ``"pyfftw"`` when it is not
        installed raises ``ImportError`` (the automatic fallback only applies to the default).
    threads : int, optional
        Threads per transform (>= 1); ignored by the numpy backend.
    planner : {"FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE"}, optional
        FFTW planner effort (pyfftw backend only).

    Examples
    --------
    >>> from classicsr import fft
    >>> old = fft.get_backend()
    >>> fft.set_backend("scipy", threads=1)
    >>> fft.get_backend()["backend"]
    'scipy'
    >>> fft.set_backend(old["backend"], threads=old["threads"])
    """
    if name is not None:
        name = check_choice("name", name, _BACKENDS)
        if name == "pyfftw" and not _pyfftw_available():
            raise ImportError("the pyfftw FFT backend needs pyFFTW: pip install pyfftw")
    if threads is not None:
        threads = check_int("threads", threads, minimum=1)
    if planner is not None:
        if not isinstance(planner, str):
            raise TypeError(f"planner must be a string, one of {list(_PLANNERS)}, got {type(planner).__name__}")
        key = planner.strip().upper()
        if key not in _PLANNERS:
            raise ValueError(f"planner must be one of {list(_PLANNERS)}, got {planner!r}")
        planner = key
    if name is not None:
        _state["backend"] = name
    if threads is not None:
        _state["threads"] = threads
    if planner is not None:
        _state["planner"] = planner


@contextlib.contextmanager
def backend(name: str | None = None, *, threads: int | None = None, planner: str | None = None):
    """Context manager form of :func:`set_backend`; restores the previous settings on exit.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr import fft
    >>> with fft.backend("numpy"):
    ...     spectrum = fft.rfft2(np.ones((4, 4)))
    >>> float(spectrum[0, 0].real)
    16.0
    """
    old = dict(_state)
    set_backend(name, threads=threads, planner=planner)
    try:
        yield
    finally:
        _state.update(old)


def clear_plan_cache() -> None:
    """Drop every cached FFT plan (and its buffers)."""
    with _cache_lock:
        _cache.clear()


def export_wisdom(path) -> None:
    """Save the FFTW wisdom gathered in this process to ``path`` (pyfftw backend).

    Loading it in a later process with :func:`import_wisdom` makes ``FFTW_MEASURE`` planning
    of the same shapes nearly free.
    """
    import pyfftw

    single, double, longd = pyfftw.export_wisdom()
    with open(path, "wb") as fh:
        for blob in (single, double, longd):
            fh.write(len(blob).to_bytes(8, "little"))
            fh.write(blob)


def import_wisdom(path) -> tuple[bool, bool, bool]:
    """Load FFTW wisdom written by :func:`export_wisdom`.

    Returns
    -------
    tuple of bool
        Whether the single, double and long-double wisdom was accepted.
    """
    import pyfftw

    blobs = []
    with open(path, "rb") as fh:
        for _ in range(3):
            header = fh.read(8)
            if len(header) != 8:
                raise ValueError(f"{path!s} is not a classicsr FFTW wisdom file (truncated header)")
            n = int.from_bytes(header, "little")
            blob = fh.read(n)
            if len(blob) != n:
                raise ValueError(f"{path!s} is not a classicsr FFTW wisdom file (truncated data)")
            blobs.append(blob)
    return tuple(bool(x) for x in pyfftw.import_wisdom(tuple(blobs)))


# --------------------------------------------------------------------------------------
# plans
# --------------------------------------------------------------------------------------
def _complex_of(real_dtype) -> np.dtype:
    return np.dtype(np.complex64) if np.dtype(real_dtype) == np.float32 else np.dtype(np.complex128)


class _RealPlan:
    """Unnormalised real 2-D transform pair over the last two axes of ``shape``.

    ``real`` and ``spec`` are the plan's own buffers: write the input into ``real``, call
    :meth:`forward` to fill ``spec``; write ``spec``, call :meth:`inverse` to fill ``real``
    (scaled by ``M * N``; ``spec`` is destroyed).  Not thread-safe: hold ``lock``.
    """

    def __init__(self, shape, dtype, backend_name, threads, planner):
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.cdtype = _complex_of(self.dtype)
        self.spec_shape = self.shape[:-1] + (self.shape[-1] // 2 + 1,)
        self.backend = backend_name
        self.threads = threads
        self.lock = threading.Lock()
        if backend_name == "pyfftw":
            import pyfftw

            self.real = pyfftw.empty_aligned(self.shape, self.dtype)
            self.spec = pyfftw.empty_aligned(self.spec_shape, self.cdtype)
            flags = (planner,)
            self._fwd = pyfftw.FFTW(self.real, self.spec, axes=(-2, -1), direction="FFTW_FORWARD",
                                    flags=flags, threads=threads)
            self._inv = pyfftw.FFTW(self.spec, self.real, axes=(-2, -1), direction="FFTW_BACKWARD",
                                    flags=flags + ("FFTW_DESTROY_INPUT",), threads=threads)
        else:
            self.real = np.empty(self.shape, self.dtype)
            self.spec = np.empty(self.spec_shape, self.cdtype)

    def forward(self) -> None:
        if self.backend == "pyfftw":
            self._fwd.execute()
        elif self.backend == "scipy":
            import scipy.fft

            self.spec[...] = scipy.fft.rfft2(self.real, axes=(-2, -1), workers=self.threads)
        else:
            self.spec[...] = np.fft.rfft2(self.real, axes=(-2, -1))

    def inverse(self) -> None:
        s = self.shape[-2:]
        if self.backend == "pyfftw":
            self._inv.execute()
        elif self.backend == "scipy":
            import scipy.fft

            self.real[...] = scipy.fft.irfft2(self.spec, s=s, axes=(-2, -1), norm="forward",
                                              workers=self.threads, overwrite_x=True)
        else:
            self.real[...] = np.fft.irfft2(self.spec, s=s, axes=(-2, -1), norm="forward")


def _make_plan(shape, dtype) -> _RealPlan:
    return _RealPlan(shape, dtype, _state["backend"], _state["threads"], _state["planner"])


@contextlib.contextmanager
def _plan(shape, dtype):
    """A cached :class:`_RealPlan`, locked for the caller (a private one if it is busy)."""
    key = (tuple(int(s) for s in shape), np.dtype(dtype).str, _state["backend"], _state["threads"],
           _state["planner"])
    with _cache_lock:
        plan = _cache.get(key)
        if plan is not None:
            _cache.move_to_end(key)
    if plan is None:
        plan = _make_plan(shape, dtype)
        with _cache_lock:
            plan = _cache.setdefault(key, plan)
            _cache.move_to_end(key)
            while len(_cache) > _PLAN_CACHE_SIZE:
                _cache.popitem(last=False)
    if not plan.lock.acquire(blocking=False):
        plan = _make_plan(shape, dtype)  # another thread holds the cached one
        plan.lock.acquire()
    try:
        yield plan
    finally:
        plan.lock.release()


# --------------------------------------------------------------------------------------
# public transforms
# --------------------------------------------------------------------------------------
def next_fast_len(n) -> int:
    """Smallest length >= ``n`` whose real FFT is fast (a 5-smooth number: 2^a 3^b 5^c).

    Parameters
    ----------
    n : int
        Target length, >= 1.

    Returns
    -------
    int

    Examples
    --------
    >>> from classicsr.fft import next_fast_len
    >>> next_fast_len(1031), next_fast_len(1024)
    (1080, 1024)
    """
    import scipy.fft

    n = check_int("n", n, minimum=1)
    return int(scipy.fft.next_fast_len(n, real=True))


def _as_real_array(x, name):
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim < 2:
        raise ValueError(f"{name} must have at least 2 dimensions (rows, cols), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype.kind == "f" and dtype.itemsize <= 4 else np.dtype(np.float64)


def rfft2(x, s=None) -> np.ndarray:
    """Real 2-D forward FFT over the last two axes (unnormalised, like :func:`numpy.fft.rfft2`).

    Parameters
    ----------
    x : (..., M, N) array_like
        Real input; leading axes are transformed independently.
    s : (int, int), optional
        Transform shape ``(P, Q)``: the last two axes are zero-padded (or cropped) to it.

    Returns
    -------
    (..., P, Q // 2 + 1) ndarray
        complex64 for float16/float32 input, complex128 otherwise.  A new array.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.fft import rfft2
    >>> x = np.random.default_rng(0).random((6, 8), dtype=np.float32)
    >>> X = rfft2(x)
    >>> X.shape, X.dtype
    ((6, 5), dtype('complex64'))
    >>> bool(np.allclose(X, np.fft.rfft2(x), atol=1e-4))
    True
    """
    arr = _as_real_array(x, "x")
    dtype = _float_dtype(arr.dtype)
    if s is None:
        s = arr.shape[-2:]
    else:
        s = check_shape_pair("s", s)
    shape = arr.shape[:-2] + tuple(s)
    with _plan(shape, dtype) as plan:
        m = min(s[0], arr.shape[-2])
        n = min(s[1], arr.shape[-1])
        if (m, n) != tuple(s):
            plan.real[...] = 0
        plan.real[..., :m, :n] = arr[..., :m, :n]
        plan.forward()
        return plan.spec.copy()


def irfft2(X, s) -> np.ndarray:
    """Inverse of :func:`rfft2` (normalised by ``1 / (M N)``, like :func:`numpy.fft.irfft2`).

    Parameters
    ----------
    X : (..., M, N // 2 + 1) array_like
        Half spectrum (complex; real input is treated as complex).
    s : (int, int)
        Output shape ``(M, N)``; needed because ``N`` odd and ``N - 1`` share a half spectrum.

    Returns
    -------
    (..., M, N) ndarray
        float32 for complex64 input, float64 otherwise.  ``X`` is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.fft import rfft2, irfft2
    >>> x = np.arange(15.0).reshape(3, 5)
    >>> bool(np.allclose(irfft2(rfft2(x), x.shape), x))
    True
    """
    s = check_shape_pair("s", s)
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"X must be a numpy array, got {type(X).__name__}")
    arr = np.asarray(X)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"X must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim < 2:
        raise ValueError(f"X must have at least 2 dimensions, got shape {arr.shape}")
    expected = (s[0], s[1] // 2 + 1)
    if arr.shape[-2:] != expected:
        raise ValueError(f"X must end in shape {expected} for s={s} (the rfft2 half spectrum), "
                         f"got shape {arr.shape}")
    single = arr.dtype.newbyteorder("=") in (np.complex64, np.float32, np.float16)
    dtype = np.dtype(np.float32) if single else np.dtype(np.float64)
    shape = arr.shape[:-2] + tuple(s)
    with _plan(shape, dtype) as plan:
        plan.spec[...] = arr
        plan.inverse()
        out = np.empty(shape, dtype)
        np.multiply(plan.real, dtype.type(1.0 / (s[0] * s[1])), out=out)
        return out


# --------------------------------------------------------------------------------------
# PSF <-> OTF
# --------------------------------------------------------------------------------------
def _validate_psf_shape(psf, shape, psf_name="psf"):
    if psf.shape[0] > shape[0] or psf.shape[1] > shape[1]:
        raise ValueError(
            f"{psf_name} of shape {psf.shape} is larger than the target shape {tuple(shape)}; "
            f"the PSF must fit inside the image (crop the PSF or pad the image)"
        )


def _dft_matrix(length: int, nfreq: int, taps: int, centre: int) -> np.ndarray:
    """E[f, k] = exp(-2 pi i f (k - centre) / length), exact integer phase reduction."""
    f = np.arange(nfreq, dtype=np.int64)[:, None]
    k = np.arange(taps, dtype=np.int64)[None, :] - centre
    phase = np.mod(f * k, length).astype(np.float64) / length
    return np.exp(-2j * np.pi * phase)


def _psf2otf_dft(psf: np.ndarray, shape, onesided: bool, cdtype, rtol: float) -> np.ndarray | None:
    """OTF by a low-rank separable DFT: H = Ecol (U S) (V^T Erow).  None when not low rank."""
    kh, kw = psf.shape
    if kh * kw > 65 * 65:
        return None
    u, sv, vt = np.linalg.svd(psf)
    if sv[0] == 0:
        return None
    rank = int(np.count_nonzero(sv > sv[0] * rtol))
    if rank > 4:
        return None
    m, n = shape
    ncols = n // 2 + 1 if onesided else n
    ecol = _dft_matrix(m, m, kh, kh // 2)
    erow = _dft_matrix(n, ncols, kw, kw // 2)
    # (M, r) and (ncols, r) factors; tiny products done without BLAS (thread start-up costs
    # more than the arithmetic here).
    left = np.einsum("mk,kr->mr", ecol, u[:, :rank] * sv[:rank]).astype(cdtype)
    right = np.einsum("nk,rk->nr", erow, vt[:rank]).astype(cdtype)
    # A sum of r outer products; broadcasting beats a k=r matrix product here.
    otf = np.multiply(left[:, 0:1], right[None, :, 0])
    for k in range(1, rank):
        otf += left[:, k:k + 1] * right[None, :, k]
    return otf


def _psf2otf_fft(psf: np.ndarray, shape, onesided: bool, real_dtype) -> np.ndarray:
    kh, kw = psf.shape
    padded = np.zeros(shape, dtype=real_dtype)
    padded[:kh, :kw] = psf
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    if onesided:
        return rfft2(padded)
    return np.fft.fft2(padded).astype(_complex_of(real_dtype), copy=False)


def psf2otf(psf, shape, *, onesided: bool = False) -> np.ndarray:
    """Optical transfer function of a PSF for images of a given shape (MATLAB ``psf2otf``).

    Parameters
    ----------
    psf : (kh, kw) array_like
        Point-spread function (any real values; it is not normalised here), centre at
        ``(kh // 2, kw // 2)``.  Must fit inside ``shape``.
    shape : (int, int)
        Image shape ``(M, N)``.
    onesided : bool, optional
        ``False`` (default): the full ``(M, N)`` spectrum, as MATLAB returns it.  ``True``: the
        ``(M, N // 2 + 1)`` half spectrum that multiplies :func:`rfft2` output.

    Returns
    -------
    (M, N) or (M, N // 2 + 1) ndarray
        complex64 for a float32/float16 PSF, complex128 otherwise.

    Notes
    -----
    The PSF is zero-padded to ``(M, N)`` and circularly shifted by ``(-(kh // 2), -(kw // 2))``
    so its centre sits at the origin, then transformed:

    .. math:: H[u, v] = \\sum_{i, j} h[i, j]\\,
              e^{-2\\pi i\\,(u (i - c_r) / M + v (j - c_c) / N)},
              \\quad c_r = \\lfloor k_h / 2 \\rfloor,\\ c_c = \\lfloor k_w / 2 \\rfloor.

    Then ``irfft2(rfft2(x) * H)`` is the periodic convolution
    :math:`y[r, c] = \\sum_{i, j} h[i, j]\\, x[(r - i + c_r) \\bmod M, (c - j + c_c) \\bmod N]`.
    For small PSFs of rank <= 4 (every separable PSF: Gaussian, box) the sum is evaluated as a
    product of two small DFT matrices, ``E_r (U S)(V^T E_c)``, from the PSF's SVD, which is
    cheaper than an FFT; otherwise by FFT.  MATLAB's step of zeroing a negligible imaginary part
    is not applied (use ``.real`` when the PSF is symmetric).

    References
    ----------
    .. [1] MathWorks, ``psf2otf`` documentation, "Convert point-spread function to optical
       transfer function".

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.fft import psf2otf
    >>> otf = psf2otf(np.full((3, 3), 1 / 9), (8, 8))
    >>> otf.shape, bool(np.isclose(otf[0, 0], 1))
    ((8, 8), True)
    """
    arr = as_image(psf, "psf", ndims=(2,), dtypes=(np.float32, np.float64, np.uint8, np.uint16,
                                                     np.int32, np.int64))
    shape = check_shape_pair("shape", shape)
    onesided = bool(onesided)
    _validate_psf_shape(arr, shape)
    real_dtype = _float_dtype(arr.dtype)
    cdtype = _complex_of(real_dtype)
    check_output_size(shape, cdtype, f"the OTF of shape={shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("psf must contain only finite values (no NaN or inf)")
    psf64 = arr.astype(np.float64)
    # Singular values below rounding level of the PSF's own precision are noise, not rank.
    rtol = 4 * max(arr.shape) * float(np.finfo(real_dtype).eps)
    otf = _psf2otf_dft(psf64, shape, onesided, cdtype, rtol)
    if otf is None:
        otf = _psf2otf_fft(psf64.astype(real_dtype), shape, onesided, real_dtype)
    return otf


def otf2psf(otf, psf_shape, *, shape=None) -> np.ndarray:
    """PSF of a given size from an OTF (MATLAB ``otf2psf``); inverse of :func:`psf2otf`.

    Parameters
    ----------
    otf : (M, N) or (M, N // 2 + 1) array_like
        Full spectrum, or a half spectrum when ``shape`` is given.
    psf_shape : (int, int)
        Size ``(kh, kw)`` of the PSF to return; at most ``(M, N)``.
    shape : (int, int), optional
        Spatial shape ``(M, N)`` of a half (``onesided``) spectrum.  ``None``: ``otf`` is a
        full spectrum.

    Returns
    -------
    (kh, kw) ndarray
        float32 for complex64 input, float64 otherwise: the real part of the inverse transform,
        circularly shifted so the origin lands at ``(kh // 2, kw // 2)``, then cropped.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.fft import psf2otf, otf2psf
    >>> psf = np.arange(1.0, 7.0).reshape(2, 3)
    >>> bool(np.allclose(otf2psf(psf2otf(psf, (5, 6)), (2, 3)), psf))
    True
    """
    if isinstance(otf, (str, bytes)) or otf is None:
        raise TypeError(f"otf must be a numpy array, got {type(otf).__name__}")
    arr = np.asarray(otf)
    if arr.dtype.kind not in "fc":
        raise TypeError(f"otf must be a complex (or float) array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"otf must be 2-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"otf must not be empty, got shape {arr.shape}")
    psf_shape = check_shape_pair("psf_shape", psf_shape)
    single = arr.dtype.newbyteorder("=") in (np.complex64, np.float32, np.float16)
    real_dtype = np.dtype(np.float32) if single else np.dtype(np.float64)
    if shape is None:
        full_shape = arr.shape
        spatial = np.fft.ifft2(arr.astype(np.complex128)).real
    else:
        full_shape = check_shape_pair("shape", shape)
        expected = (full_shape[0], full_shape[1] // 2 + 1)
        if arr.shape != expected:
            raise ValueError(f"otf must have shape {expected} (half spectrum of shape={full_shape}), "
                             f"got {arr.shape}")
        spatial = np.fft.irfft2(arr.astype(np.complex128), s=full_shape)
    if psf_shape[0] > full_shape[0] or psf_shape[1] > full_shape[1]:
        raise ValueError(f"psf_shape {psf_shape} is larger than the OTF's spatial shape {tuple(full_shape)}")
    spatial = np.roll(spatial, (psf_shape[0] // 2, psf_shape[1] // 2), axis=(0, 1))
    return np.ascontiguousarray(spatial[: psf_shape[0], : psf_shape[1]], dtype=real_dtype)


# --------------------------------------------------------------------------------------
# periodic convolution
# --------------------------------------------------------------------------------------
def _channels_last(image, channel_axis):
    """(H, W, C) view with C = 1 for 2-D images, plus the axis to move it back."""
    if image.ndim == 2:
        return image[:, :, None], None
    return np.moveaxis(image, channel_axis, -1), channel_axis


def fftconvolve_periodic(image, psf, *, adjoint: bool = False, channel_axis=-1) -> np.ndarray:
    """Convolve an image with a PSF by FFT, with periodic (wrap-around) boundary.

    Parameters
    ----------
    image : (M, N[, C]) array_like
        Image; colour images are processed channel-wise.
    psf : (kh, kw) array_like
        PSF, centre at ``(kh // 2, kw // 2)``; must fit inside ``(M, N)``.  Not normalised here.
    adjoint : bool, optional
        Apply the adjoint instead (correlation with the PSF, i.e. multiplication by the
        conjugate OTF), so ``<A x, y> == <x, A^T y>``.
    channel_axis : int, optional
        Channel axis of a 3-D image (keyword-only; ignored for 2-D images).

    Returns
    -------
    (M, N[, C]) ndarray
        float32 for float16/float32 input, float64 otherwise.

    Notes
    -----
    Computes :math:`y = \\mathcal{F}^{-1}(H \\cdot \\mathcal{F} x)` with ``H = psf2otf(psf)``, i.e.
    :math:`y[r, c] = \\sum_{i, j} h[i, j]\\, x[(r - i + c_r) \\bmod M, (c - j + c_c) \\bmod N]`,
    the same as ``scipy.ndimage.convolve(x, h, mode="wrap")`` for odd PSF sizes (and MATLAB
    ``imfilter(x, h, "circular", "conv")``).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage
    >>> from classicsr.fft import fftconvolve_periodic
    >>> x = np.random.default_rng(1).random((16, 20))
    >>> h = np.random.default_rng(2).random((3, 5))
    >>> bool(np.allclose(fftconvolve_periodic(x, h), ndimage.convolve(x, h, mode="wrap")))
    True
    """
    img = as_image(image, "image")
    axis = check_channel_axis(channel_axis, img.ndim)
    psf_arr = as_image(psf, "psf", ndims=(2,), dtypes=(np.uint8, np.uint16, np.int32, np.int64,
                                                     np.float32, np.float64))
    if psf_arr.dtype.kind in "iu":  # integer PSFs (e.g. a box of ones), as psf2otf takes them
        psf_arr = psf_arr.astype(np.float64)
    if not np.all(np.isfinite(psf_arr)):
        raise ValueError("psf must contain only finite values (no NaN or inf)")
    dtype = _float_dtype(img.dtype)
    work, axis = _channels_last(img, axis)
    m, n, c = work.shape
    _validate_psf_shape(psf_arr, (m, n))
    otf = psf2otf(psf_arr.astype(dtype), (m, n), onesided=True)
    if adjoint:
        otf = np.conj(otf)
    otf *= dtype.type(1.0 / (m * n))
    out = np.empty((m, n, c), dtype)
    with _plan((m, n), dtype) as plan:
        for k in range(c):
            plan.real[...] = work[:, :, k]
            plan.forward()
            plan.spec *= otf
            plan.inverse()
            out[:, :, k] = plan.real
    if img.ndim == 2:
        return out[:, :, 0]
    return np.ascontiguousarray(np.moveaxis(out, -1, axis))
