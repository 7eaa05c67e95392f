"""classicsr on dask arrays: images larger than memory, chunk by chunk.

Needs the ``dask`` extra (``pip install 'classicsr[dask]'``); ``import classicsr`` never
imports dask.

:func:`resize` equals the in-memory :func:`classicsr.resize` bit for bit, for any chunking:
each output block is computed from exactly the input rows and columns its taps read (a slab
that may span several input chunks, however small they are), with the same weight tables,
pass order and per-pass rounding as the in-memory call.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _validate as V
from .resize import BOUNDARIES, METHODS, _check_scale_and_shape, _execute, _plan

_DECONV_METHODS = ("wiener", "tikhonov", "richardson_lucy")

__all__ = ["resize", "deconvolve", "deconvolution_halo", "output_chunks", "read_zarr", "write_zarr",
           "read_tiff", "write_tiff", "resize_file", "upscale", "evaluate_distributed"]


def _import_dask():
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError("classicsr.dask needs dask: pip install 'classicsr[dask]'") from None
    return da


def output_chunks(in_chunks, in_length: int, out_length: int):
    """Output chunk sizes aligned to the input chunks: boundary ``b`` maps to
    ``round(b * out_length / in_length)``; empty chunks are merged away."""
    bounds = np.cumsum((0,) + tuple(in_chunks))
    out = np.round(bounds * (out_length / in_length)).astype(np.int64)
    out[-1] = out_length
    sizes = tuple(int(s) for s in np.diff(out) if s > 0)
    return sizes or (out_length,)


def _block(slab, passes, out_shape, dtype, round_each_pass, gray):
    data = V.native_contiguous(slab, dtype)
    if gray:
        data = data[:, :, None]
    out = _execute(data, passes, out_shape, dtype, round_each_pass)
    if out is data:
        out = data.copy()
    return out[:, :, 0] if gray else out


def resize(image, scale=None, *, output_shape=None, method="bicubic", antialias=True,
           boundary="symmetric", channel_axis=-1, cubic_a=-0.5, round_each_pass=True):
    """Resize a dask array lazily; equal bit for bit to :func:`classicsr.resize`.

    Parameters
    ----------
    image : (M, N) or (M, N, C) dask.array.Array or ndarray
        uint8, uint16, float32 or float64 (float16 becomes float32).  A numpy array is
        wrapped with ``dask.array.from_array`` (default chunks).
    scale, output_shape, method, antialias, boundary, channel_axis, cubic_a, round_each_pass
        As in :func:`classicsr.resize`.

    Returns
    -------
    dask.array.Array
        Lazy result, same dtype rule as :func:`classicsr.resize`.  Output chunks are aligned
        to the input chunks (see :func:`output_chunks`); the channel axis stays in one chunk.

    Notes
    -----
    For an output block, the taps of its rows read input rows ``[r_lo, r_hi]`` and the taps
    of its columns read columns ``[c_lo, c_hi]``; that slab of the input is gathered into one
    task and resized with the block's rows of the weight tables, re-based to the slab.  Every
    output value depends only on its own taps, so the result is independent of the chunking.
    The halo is therefore exact for any chunk size, including chunks smaller than the kernel.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import classicsr, classicsr.dask
    >>> x = da.from_array(np.arange(64.0).reshape(8, 8), chunks=3)
    >>> y = classicsr.dask.resize(x, 2)
    >>> bool(np.array_equal(y.compute(), classicsr.resize(x.compute(), 2)))
    True
    """
    da = _import_dask()
    if not isinstance(image, da.Array):
        image = da.from_array(V.as_image(image, "image"))
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got a {image.ndim}-D array of shape {image.shape}")
    V.as_image(np.empty((1,) * image.ndim, dtype=image.dtype), "image")  # dtype check only
    axis = V.check_channel_axis(channel_axis, image.ndim)
    method = V.check_choice("method", method, METHODS)
    boundary = V.check_choice("boundary", boundary, BOUNDARIES)
    antialias = V.check_bool("antialias", antialias)
    round_each_pass = V.check_bool("round_each_pass", round_each_pass)
    if not V._is_real(cubic_a) or not math.isfinite(float(cubic_a)):
        raise (TypeError if not V._is_real(cubic_a) else ValueError)(
            f"cubic_a must be a finite real number, got {cubic_a!r}")

    src = image if axis is None else da.moveaxis(image, axis, -1)
    in_shape = tuple(int(s) for s in src.shape[:2])
    if min(src.shape) == 0 or any(math.isnan(s) for s in src.shape):
        raise ValueError(f"image must have known, non-empty axes, got shape {image.shape}")
    scales, out_shape = _check_scale_and_shape(scale, output_shape, in_shape)
    dtype = src.dtype.newbyteorder("=")
    if dtype == np.float16:
        dtype = np.dtype(np.float32)
    gray = src.ndim == 2
    nch = 1 if gray else int(src.shape[2])
    V.check_output_size(out_shape + (() if gray else (nch,)), dtype)
    if not gray:
        src = src.rechunk({2: -1})

    order, tables = _plan(in_shape, scales, out_shape, method, antialias, boundary, float(cubic_a), dtype)
    row_sizes = output_chunks(src.chunks[0], in_shape[0], out_shape[0])
    col_sizes = output_chunks(src.chunks[1], in_shape[1], out_shape[1])
    row_starts = np.cumsum((0,) + row_sizes)
    col_starts = np.cumsum((0,) + col_sizes)

    def span(ax, start, stop):
        """Input range read by outputs [start, stop) of an axis, and the re-based table."""
        table = tables[ax]
        if table is None:  # identity axis
            return start, stop, None
        idx, w = table
        sub = idx[start:stop]
        lo, hi = int(sub.min()), int(sub.max()) + 1
        return lo, hi, (sub - lo, w[start:stop])

    rows = []
    for i in range(len(row_sizes)):
        r0, r1 = int(row_starts[i]), int(row_starts[i + 1])
        rlo, rhi, rtab = span(0, r0, r1)
        row = []
        for j in range(len(col_sizes)):
            c0, c1 = int(col_starts[j]), int(col_starts[j + 1])
            clo, chi, ctab = span(1, c0, c1)
            slab = src[rlo:rhi, clo:chi].rechunk(-1)
            passes = [(ax,) + tab for ax, tab in ((0, rtab), (1, ctab)) if tab is not None]
            passes.sort(key=lambda p: order.index(p[0]))
            shape = (r1 - r0, c1 - c0) + (() if gray else (nch,))
            row.append(slab.map_blocks(_block, passes, (r1 - r0, c1 - c0), dtype, round_each_pass, gray,
                                       chunks=tuple((s,) for s in shape), dtype=dtype,
                                       meta=np.empty((0,) * len(shape), dtype=dtype)))
        rows.append(row)
    out = da.concatenate([da.concatenate(row, axis=1) for row in rows], axis=0)
    if axis is not None and axis != 2:
        out = da.moveaxis(out, -1, axis)
    return out


def read_zarr(path, component=None):
    """Open a Zarr array lazily as a dask array (chunks = the Zarr chunks)."""
    da = _import_dask()
    return da.from_zarr(str(path), component=component)


def write_zarr(array, path, *, overwrite=False, chunks=None):
    """Write a dask array to a Zarr store chunk by chunk (streaming: memory ~ a few chunks).

    Refuses to replace an existing store unless ``overwrite=True``.
    """
    import os

    da = _import_dask()
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    if chunks is not None:
        array = array.rechunk(chunks)
    return da.to_zarr(array, str(path), overwrite=overwrite)


# --------------------------------------------------------------------------------------
# deconvolution
# --------------------------------------------------------------------------------------
def _filter_kernel(psf, method, nsr, lam, regularizer, size):
    """Spatial impulse response of the fixed Wiener / Tikhonov filter on a ``size`` x ``size``
    periodic grid (float64, centred at ``(size // 2, size // 2)``)."""
    from . import fft as _fft
    from .deconvolution import _Geometry, _reg_otf

    geom = _Geometry((size, size), psf, "wrap", None)
    otf = _fft.psf2otf(psf, geom.work, onesided=True)
    h2 = otf.real ** 2 + otf.imag ** 2
    if method == "wiener":
        reg = np.asarray(nsr(*geom.frequencies()), dtype=np.float64) if callable(nsr) else float(nsr)
    else:
        reg = lam * _reg_otf(regularizer, geom, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(h2 + reg > 0, np.conj(otf) / (h2 + reg), 0.0)
    g = np.fft.irfft2(gain, s=(size, size))
    return np.fft.fftshift(g)


def _tail_mass(g):
    """``tail[r]`` = sum of ``|g|`` outside the centred box of Chebyshev radius ``r``."""
    c = g.shape[0] // 2
    a = np.abs(g)
    total = a.sum()
    radii = np.arange(c)
    inside = np.array([a[c - r: c + r + 1, c - r: c + r + 1].sum() for r in radii])
    return np.maximum(total - inside, 0.0)


def deconvolution_halo(psf, *, method="wiener", nsr=None, lam=None, regularizer="laplacian",
                       iterations=30, tol=1e-4):
    """The halo (pixels per side) chunked deconvolution needs, and the error it leaves.

    Parameters
    ----------
    psf : (kh, kw) array_like
        Point-spread function (normalised here).
    method : {"wiener", "tikhonov", "richardson_lucy"}, optional
    nsr : float or callable, optional
        Wiener noise-to-signal ratio (a number, or ``nsr(fy, fx)`` in cycles per pixel).
    lam, regularizer : optional
        Tikhonov weight and regulariser, as in :func:`classicsr.deconvolution.tikhonov`.
    iterations : int, optional
        Richardson-Lucy iterations.
    tol : float, optional
        Wiener / Tikhonov: the largest acceptable tail mass (see Notes).

    Returns
    -------
    halo : int
    bound : float
        Bound on ``|chunked - in-memory| / (max(image) - min(image))`` for pixels at least
        ``halo`` from the outer border: the filter's tail mass beyond the halo (Wiener,
        Tikhonov), 0 for Richardson-Lucy (exact up to floating-point rounding).

    Notes
    -----
    Wiener and Tikhonov with a fixed ``nsr`` / ``lam`` are linear shift-invariant filters
    :math:`\hat x = g \ast \tilde y` with :math:`G = \bar H / (|H|^2 + R)` and
    :math:`R = \mathrm{NSR}(f)` or :math:`\lambda |L(f)|^2`.  A block extended by ``halo``
    pixels sees the same data as the whole image inside the box of Chebyshev radius ``halo``
    around each of its pixels; outside it both see image values, mirror copies or
    edge-tapered blends of them, all within ``[min y, max y]``.  Hence
    :math:`|\Delta(p)| \le (\max y - \min y) \sum_{\|d\|_\infty > \mathrm{halo}} |g(d)|`.
    ``g`` is computed on a periodic grid of 1024 (up to 8192) pixels, large enough that its
    tail mass at half the grid is below ``tol / 10``; the smallest halo whose tail mass is at
    most ``tol`` is returned.

    Richardson-Lucy is not linear, but each iteration
    :math:`x \leftarrow x \cdot h^T \ast (y / (h \ast x))` reads pixels within
    :math:`2 r` (:math:`r` = the PSF radius ``max(kh, kw) // 2``), so after ``k`` iterations a
    pixel depends only on the observation within :math:`2 k r`: that halo makes the chunked
    result equal to the in-memory one up to rounding.

    Examples
    --------
    >>> from classicsr import psf
    >>> from classicsr.dask import deconvolution_halo
    >>> halo, bound = deconvolution_halo(psf.gaussian(2.0), method="wiener", nsr=1e-2)
    >>> 0 < halo < 100 and bound <= 1e-4
    True
    >>> deconvolution_halo(psf.gaussian(1.0), method="richardson_lucy", iterations=10)
    (60, 0.0)
    """
    from .deconvolution import _check_nsr
    from .psf import validate_psf

    method = V.check_choice("method", method, _DECONV_METHODS)
    h = validate_psf(psf, "psf")
    if method == "richardson_lucy":
        iterations = V.check_int("iterations", iterations, minimum=0)
        return 2 * iterations * (max(h.shape) // 2), 0.0
    tol = V.check_positive_number("tol", tol)
    if method == "wiener":
        nsr = _check_nsr(nsr)
        if nsr is None or (isinstance(nsr, np.ndarray) and nsr.ndim > 0):
            raise ValueError(
                "nsr must be a number or a callable nsr(fy, fx) for chunked Wiener deconvolution "
                f"(got {'None' if nsr is None else 'an array'}): an NSR estimated per chunk, or an "
                "array on one working spectrum, would differ from chunk to chunk.  Estimate it once, "
                "e.g. on a representative crop with classicsr.deconvolution.wiener(crop, psf, "
                "return_info=True), and pass the number")
    else:
        if lam is None:
            raise ValueError("lam must be a number for chunked Tikhonov deconvolution (got None): a "
                             "lambda chosen per chunk would differ from chunk to chunk.  Choose it once, "
                             "e.g. on a representative crop with classicsr.deconvolution.tikhonov("
                             "crop, psf, return_info=True), and pass the number")
        lam = V.check_positive_number("lam", lam, allow_zero=True)
    size = 1024
    while True:
        tail = _tail_mass(_filter_kernel(h, method, nsr, lam, regularizer, size))
        if tail[-1] <= tol / 10 or size >= 8192:
            break
        size *= 2
    ok = np.nonzero(tail <= tol)[0]
    if ok.size == 0:
        raise ValueError(f"the {method} filter's impulse response does not decay to tol={tol} within "
                         f"{size // 2} pixels (nsr/lam too small for chunked deconvolution); increase "
                         f"nsr/lam or tol")
    halo = max(int(ok[0]), max(h.shape))
    return halo, float(tail[halo])


def _deconvolve_block(block, psf, method, axis, kwargs):
    from . import deconvolution as D

    func = {"wiener": D.wiener, "tikhonov": D.tikhonov, "richardson_lucy": D.richardson_lucy}[method]
    return func(block, psf, channel_axis=-1 if axis is None else axis, **kwargs)


def deconvolve(image, psf, *, method="wiener", halo=None, tol=1e-4, channel_axis=-1, **kwargs):
    """Deconvolve a dask array chunk by chunk, each chunk extended by the halo it needs.

    Parameters
    ----------
    image : (M, N) or (M, N, C) dask.array.Array or ndarray
        uint8, uint16, float16, float32 or float64.  A numpy array is wrapped with
        ``dask.array.from_array`` (default chunks).
    psf : (kh, kw) array_like
        Point-spread function (normalised).
    method : {"wiener", "tikhonov", "richardson_lucy"}, optional
        Which deconvolution; each block is restored with the public function of that name in
        :mod:`classicsr.deconvolution`.
    halo : int, optional
        Pixels of context added on each side of every chunk (``map_overlap`` depth).  Default:
        :func:`deconvolution_halo` (Wiener / Tikhonov: tail mass of the filter below ``tol``;
        Richardson-Lucy: the exact dependence cone ``2 * iterations * radius``).
    tol : float, optional
        Wiener / Tikhonov accuracy target for the default halo (relative to the image's value
        range; see :func:`deconvolution_halo`).
    channel_axis : int, optional
        Channel axis of a 3-D image (keyword-only; default -1).  2-D images are grayscale.
    **kwargs
        Passed to the method: ``nsr`` (a number or a callable; required for Wiener),
        ``lam`` (required for Tikhonov), ``regularizer``, ``iterations``, ``damping``,
        ``boundary``, ``pad_width``.  Automatic ``nsr=None`` / ``lam=None`` are refused: an
        estimate per chunk would differ from chunk to chunk.

    Returns
    -------
    dask.array.Array
        Lazy result with the chunks of ``image`` (chunks smaller than the halo merged); float32 for float16/float32 input, float64
        otherwise (the rule of :mod:`classicsr.deconvolution`).

    Notes
    -----
    Uses ``dask.array.map_overlap(depth=halo, boundary="none")``: inner chunk edges get
    ``halo`` pixels of their neighbours, and blocks at the outer border are padded there by the
    method's own ``boundary`` rule, as the in-memory call pads the whole image.  For pixels at
    least ``halo`` from the outer border the difference to the in-memory result is bounded by
    :func:`deconvolution_halo` (Wiener / Tikhonov: ``bound * (max y - min y)``; RL: rounding
    only).  Chunks smaller than the halo are merged by dask (``allow_rechunk``).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from classicsr import psf, deconvolution
    >>> from classicsr.dask import deconvolve, deconvolution_halo
    >>> y = np.random.default_rng(0).random((96, 96))
    >>> h = psf.gaussian(1.0)
    >>> out = deconvolve(da.from_array(y, chunks=48), h, method="wiener", nsr=1e-2)
    >>> ref = deconvolution.wiener(y, h, nsr=1e-2)
    >>> halo, bound = deconvolution_halo(h, method="wiener", nsr=1e-2)
    >>> err = np.abs(out.compute() - ref)[halo:-halo, halo:-halo].max()
    >>> bool(err <= bound * (y.max() - y.min()))
    True
    """
    da = _import_dask()
    from .psf import validate_psf

    method = V.check_choice("method", method, _DECONV_METHODS)
    allowed = {"wiener": {"nsr", "boundary", "pad_width", "noise_sigma"},
               "tikhonov": {"lam", "regularizer", "boundary", "pad_width", "noise_sigma"},
               "richardson_lucy": {"iterations", "damping", "boundary", "pad_width"}}[method]
    extra = sorted(set(kwargs) - allowed)
    if extra:
        raise TypeError(f"unexpected keyword argument(s) {extra} for method={method!r}; "
                        f"allowed: {sorted(allowed)}")
    if not isinstance(image, da.Array):
        image = da.from_array(V.as_image(image, "image"))
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got a {image.ndim}-D array of shape {image.shape}")
    V.as_image(np.empty((1,) * image.ndim, dtype=image.dtype), "image")  # dtype check only
    axis = V.check_channel_axis(channel_axis, image.ndim)
    h = validate_psf(psf, "psf")
    if halo is None:
        halo, _ = deconvolution_halo(h, method=method, nsr=kwargs.get("nsr"), lam=kwargs.get("lam"),
                                     regularizer=kwargs.get("regularizer", "laplacian"),
                                     iterations=kwargs.get("iterations", 30), tol=tol)
    else:
        halo = V.check_int("halo", halo, minimum=0)
        if method == "wiener" and (kwargs.get("nsr") is None or isinstance(kwargs.get("nsr"), np.ndarray)):
            deconvolution_halo(h, method=method, nsr=kwargs.get("nsr"))  # raises the explanation
        if method == "tikhonov" and kwargs.get("lam") is None:
            deconvolution_halo(h, method=method, lam=None)
    dtype = V.supported_float_type(image.dtype)
    depth = {0: halo, 1: halo}
    if axis is not None:
        image = image.rechunk({axis: -1})
        depth = {k: (0 if k == axis else halo) for k in range(3)}
    func = functools.partial(_deconvolve_block, psf=h, method=method, axis=axis, kwargs=dict(kwargs))
    return da.map_overlap(func, image, depth=depth,
                          boundary="none", trim=True, allow_rechunk=True, dtype=dtype,
                          meta=np.empty((0,) * image.ndim, dtype=dtype))
