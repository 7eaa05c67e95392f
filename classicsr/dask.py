"""classicsr on dask arrays: images larger than memory, chunk by chunk.

Needs the ``dask`` extra (``pip install 'classicsr[dask]'``); ``import classicsr`` never
imports dask.

:func:`resize` equals the in-memory :func:`classicsr.resize` bit for bit, for any chunking:
each output block is computed from exactly the input rows and columns its taps read (a slab
that may span several input chunks, however small they are), with the same weight tables,
pass order and per-pass rounding as the in-memory call.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import math
import os
import shutil
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from . import _validate as V
from .io import _new_temporary, _place_file
from .resize import _check_options, _check_scale_and_shape, _execute, _plan

_DECONV_METHODS = ("wiener", "tikhonov", "richardson_lucy")

__all__ = ["resize", "deconvolve", "deconvolution_halo", "output_chunks", "read_zarr", "write_zarr",
           "read_tiff", "write_tiff", "resize_file", "upscale", "evaluate_distributed"]


def _import_dask():
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError("classicsr.dask needs dask: pip install 'classicsr[dask]'") from None
    return da


def _as_dask_image(da, image, channel_axis):
    """``image`` as a 2-D/3-D dask array of a supported dtype (numpy input is wrapped), and its
    validated channel axis."""
    if not isinstance(image, da.Array):
        image = da.from_array(V.as_image(image, "image"))
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got a {image.ndim}-D array of shape {image.shape}")
    V.as_image(np.empty((1,) * image.ndim, dtype=image.dtype), "image")  # dtype check only
    return image, V.check_channel_axis(channel_axis, image.ndim)


def output_chunks(in_chunks, in_length: int, out_length: int):
    """Output chunk sizes aligned to the input chunks: boundary ``b`` maps to
    ``round(b * out_length / in_length)``; empty chunks are merged away."""
    bounds = np.cumsum((0,) + tuple(in_chunks))
    out = np.round(bounds * (out_length / in_length)).astype(np.int64)
    out[-1] = out_length
    sizes = tuple(int(s) for s in np.diff(out) if s > 0)
    return sizes or (out_length,)


#: Read-only copies of the block tables a process has seen, by content (see _shared_table).
_TABLES: OrderedDict = OrderedDict()
_TABLES_MAX = 256
_TABLES_LOCK = threading.Lock()


def _shared_table(idx, w):
    """``(idx, w)`` as arrays shared by every task of this process that has the same table.

    In one process the blocks of a band already share their read-only tables (:func:`resize`),
    so the kernels analyse each table once (their plan cache is keyed by array identity).  A
    task run by another process (``dask.distributed``, the ``processes`` scheduler) gets its
    own unpickled, writeable copies instead, which the kernels would analyse again for every
    block; interning them by content (a 128-bit BLAKE2 digest, then an exact comparison) gives
    such a process one read-only pair per table.  The caller's arrays are never modified."""
    if not (idx.flags.writeable or w.flags.writeable):
        return idx, w
    digest = hashlib.blake2b(digest_size=16)
    for a in (idx, w):
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(np.ascontiguousarray(a).view(np.uint8))
    key = digest.digest()
    with _TABLES_LOCK:
        hit = _TABLES.get(key)
        if hit is not None:
            _TABLES.move_to_end(key)
    if hit is not None and np.array_equal(hit[0], idx) and np.array_equal(hit[1], w):
        return hit
    shared = []
    for a in (idx, w):
        a = np.array(a, copy=True, order="C")
        a.flags.writeable = False
        shared.append(a)
    shared = tuple(shared)
    with _TABLES_LOCK:
        _TABLES[key] = shared
        while len(_TABLES) > _TABLES_MAX:
            _TABLES.popitem(last=False)
    return shared


def _block(slab, passes, out_shape, dtype, round_each_pass, gray):
    data = V.native_contiguous(slab, dtype)
    if gray:
        data = data[:, :, None]
    passes = [(ax,) + _shared_table(idx, w) for ax, idx, w in passes]
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
    image, axis = _as_dask_image(da, image, channel_axis)
    method, boundary, antialias, round_each_pass, cubic_a = _check_options(
        method, boundary, antialias, round_each_pass, cubic_a)

    src = image if axis is None else da.moveaxis(image, axis, -1)
    in_shape = tuple(int(s) for s in src.shape[:2])
    if min(src.shape) == 0 or any(math.isnan(s) for s in src.shape):
        raise ValueError(f"image must have known, non-empty axes, got shape {image.shape}")
    scales, out_shape = _check_scale_and_shape(scale, output_shape, in_shape)
    dtype = V.keep_dtype(src.dtype)
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
        rebased = sub - lo
        # read-only, as resize's cached tables: the kernels then cache the table's plan by
        # identity, so the blocks of a row band (or a column band) that share these arrays
        # analyse the table once instead of once per block (0.3-0.9 ms each for tables that
        # need the near-tie estimate)
        rebased.flags.writeable = False
        return lo, hi, (rebased, w[start:stop])

    # one span (and one table pair) per column band, shared by every row band's blocks
    col_spans = [span(1, int(col_starts[j]), int(col_starts[j + 1])) for j in range(len(col_sizes))]
    rows = []
    for i in range(len(row_sizes)):
        r0, r1 = int(row_starts[i]), int(row_starts[i + 1])
        rlo, rhi, rtab = span(0, r0, r1)
        row = []
        for j in range(len(col_sizes)):
            c0, c1 = int(col_starts[j]), int(col_starts[j + 1])
            clo, chi, ctab = col_spans[j]
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


def _exists_error(path):
    return FileExistsError(f"{path} exists; pass overwrite=True to replace it")


def _remove(path):
    """Remove a file or folder tree if it is there."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _commit(tmp, path, overwrite):
    """Rename the finished temporary ``tmp`` onto ``path``."""
    if os.path.isdir(tmp) and os.path.lexists(path):  # a store replaces what is there
        if not overwrite:
            raise _exists_error(path)
        aside = _new_temporary(path, suffix=".old", folder=True)
        old = os.path.join(aside, "old")
        try:
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except BaseException:
                os.rename(old, path)
                raise
        finally:
            _remove(aside)
    elif os.path.isdir(tmp):
        os.replace(tmp, path)
    else:
        _place_file(tmp, path, overwrite=overwrite)


@contextlib.contextmanager
def _written_beside(path, *, overwrite, folder=False):
    """Yield a new temporary file (or, with ``folder``, an empty folder) next to ``path``;
    rename it onto ``path`` when the body returns, remove it when anything is raised.

    The temporary ``.<name>.<random>.partial`` is created exclusively
    (``io._new_temporary``: ``mkstemp`` / ``mkdtemp``), so the call writes, renames or removes
    no file but its own and ``path`` (replaced only with ``overwrite``, and only once the new
    data are complete).  Any
    exception, ``KeyboardInterrupt`` included, leaves no temporary behind and ``path`` as it
    was.  Without ``overwrite`` a file is committed with ``os.link``, which fails rather than
    replace a ``path`` that appeared meanwhile.
    """
    path = Path(path)
    if os.path.lexists(path) and not overwrite:
        raise _exists_error(path)
    parent = path.parent
    if not parent.is_dir():
        raise FileNotFoundError(errno.ENOENT,
                                f"cannot write {path}: folder {parent} does not exist")
    tmp = None
    try:
        try:
            tmp = str(_new_temporary(path, suffix=".partial", folder=folder))
        except OSError as exc:  # e.g. a read-only folder: name the file asked for
            raise OSError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from exc
        yield tmp
        _commit(tmp, path, overwrite)
    finally:
        if tmp is not None:
            _remove(tmp)


def write_zarr(array, path, *, overwrite=False, chunks=None):
    """Write a dask array to a Zarr store chunk by chunk (streaming: memory ~ a few chunks).

    Refuses to replace an existing store unless ``overwrite=True``.  A local store is written
    to a hidden temporary folder beside ``path`` and renamed onto it when complete: a failed
    or interrupted write leaves neither that folder nor a partial store, and an existing
    store is replaced only after the new one is complete.  A URL (``"s3://..."``) is
    written in place by ``dask.array.to_zarr``.
    """
    da = _import_dask()
    url = "://" in str(path)
    if not url and os.path.lexists(path) and not overwrite:
        raise _exists_error(path)
    if chunks is not None:
        array = array.rechunk(chunks)
    else:  # Zarr needs regular chunks (all equal but the last): use the largest of each axis
        array = array.rechunk(tuple(max(c) for c in array.chunks))
    if url:
        return da.to_zarr(array, str(path), overwrite=overwrite)
    with _written_beside(path, overwrite=overwrite, folder=True) as tmp:
        da.to_zarr(array, tmp, overwrite=True)  # tmp is our own new, empty folder
    return None


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
    r"""The halo (pixels per side) chunked deconvolution needs, and the error it leaves.

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
    image, axis = _as_dask_image(da, image, channel_axis)
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


# --------------------------------------------------------------------------------------
# TIFF and file-to-file streaming
# --------------------------------------------------------------------------------------
def read_tiff(path, *, series=0, level=0, chunks=None):
    """Open a TIFF lazily as a dask array through tifffile's Zarr store.

    Parameters
    ----------
    path : str or Path
    series, level : int, optional
        Image series and pyramid level (tifffile's numbering).
    chunks : int or tuple, optional
        Rechunk to this (default: the file's tiles or strips).

    Returns
    -------
    dask.array.Array
        Nothing is read until it is computed; each chunk reads only its own tiles/strips.
    """
    da = _import_dask()
    import tifffile
    import zarr

    store = tifffile.imread(str(path), aszarr=True, series=series, level=level)
    arr = zarr.open(store, mode="r")
    out = da.from_zarr(arr)
    return out if chunks is None else out.rechunk(chunks)


def write_tiff(array, path, *, overwrite=False, tile=(512, 512), compression=None, scheduler=None):
    """Write a (dask) image to a tiled TIFF one tile row at a time (memory ~ one strip).

    Parameters
    ----------
    array : (M, N) or (M, N, C) dask.array.Array or ndarray
        Colour images are written interleaved (``photometric="rgb"`` for 3 channels).
    path : str or Path
    overwrite : bool, optional
        Refuse to replace an existing file unless True.
    tile : (int, int), optional
        TIFF tile size (multiples of 16).  BigTIFF is used above 2 GB.
    compression : str, optional
        tifffile compression (e.g. ``"zlib"``); default none.
    scheduler : optional
        dask scheduler used to compute each strip.

    Notes
    -----
    The tiles go to a hidden temporary file beside ``path`` (``.<name>.<random>.partial``,
    created exclusively), which is fsynced and renamed onto ``path`` when complete.  A failed
    or interrupted write (``KeyboardInterrupt`` included) removes it, leaves an existing
    ``path`` as it was, and touches no other file.
    """
    da = _import_dask()
    import tifffile

    if os.path.lexists(path) and not overwrite:
        raise _exists_error(path)
    if not isinstance(array, da.Array):
        array = da.from_array(np.asarray(array))
    th, tw = (int(t) for t in tile)
    if th % 16 or tw % 16 or th <= 0 or tw <= 0:
        raise ValueError(f"tile must be two positive multiples of 16, got {tile!r}")
    m, n = int(array.shape[0]), int(array.shape[1])
    rest = tuple(int(s) for s in array.shape[2:])

    def tiles():
        for r0 in range(0, m, th):
            strip = np.asarray(array[r0: r0 + th].compute(scheduler=scheduler))
            for c0 in range(0, n, tw):
                t = strip[:, c0: c0 + tw]
                if t.shape[:2] != (th, tw):
                    full = np.zeros((th, tw) + rest, dtype=array.dtype)
                    full[: t.shape[0], : t.shape[1]] = t
                    t = full
                yield t

    nbytes = m * n * int(np.prod(rest, dtype=np.int64)) * array.dtype.itemsize
    photometric = "rgb" if rest == (3,) else "minisblack"
    with _written_beside(path, overwrite=overwrite) as tmp:
        with open(tmp, "r+b") as f:
            tifffile.imwrite(f, tiles(), shape=array.shape, dtype=array.dtype, tile=(th, tw),
                             photometric=photometric, compression=compression,
                             bigtiff=nbytes > 2**31)
            f.flush()
            os.fsync(f.fileno())
    return str(path)


def _is_tiff(path):
    return str(path).lower().endswith((".tif", ".tiff"))


def resize_file(src, dst, scale=None, *, output_shape=None, chunks=2048, overwrite=False,
                scheduler=None, tile=(512, 512), compression=None, **resize_kwargs):
    """Resize an image file larger than memory, streaming Zarr/TIFF to Zarr/TIFF.

    Parameters
    ----------
    src, dst : str or Path
        ``.tif``/``.tiff`` files (read through tifffile's Zarr store, written tiled) or Zarr
        stores (any other path).
    scale, output_shape :
        As in :func:`classicsr.resize`.
    chunks : int, optional
        Input chunk edge (pixels); output chunks are the scaled input chunks.  Peak memory is
        about ``workers * (input chunk + output chunk + slabs)``.
    overwrite : bool, optional
        Replace ``dst`` if it exists.
    scheduler : optional
        dask scheduler (``"threads"``, ``"sync"``, a ``distributed.Client``...).
    tile, compression :
        TIFF output options (see :func:`write_tiff`).
    **resize_kwargs
        ``method``, ``antialias``, ``boundary``, ``channel_axis``, ``cubic_a``,
        ``round_each_pass``.

    Returns
    -------
    str
        ``dst``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from classicsr.dask import resize_file, write_tiff, read_tiff
    >>> import classicsr
    >>> d = tempfile.mkdtemp()
    >>> img = np.arange(40 * 30 * 3, dtype=np.uint8).reshape(40, 30, 3)
    >>> _ = write_tiff(img, os.path.join(d, "in.tif"), tile=(16, 16))
    >>> _ = resize_file(os.path.join(d, "in.tif"), os.path.join(d, "out.zarr"), 2, chunks=16)
    >>> import dask.array as da
    >>> out = da.from_zarr(os.path.join(d, "out.zarr")).compute()
    >>> bool(np.array_equal(out, classicsr.resize(img, 2)))
    True
    """
    if os.path.exists(dst) and not overwrite:
        raise FileExistsError(f"{dst} exists; pass overwrite=True to replace it")
    chunks = V.check_int("chunks", chunks, minimum=1)
    x = read_tiff(src) if _is_tiff(src) else read_zarr(src)
    axis = V.check_channel_axis(resize_kwargs.get("channel_axis", -1), x.ndim)
    x = x.rechunk({k: (-1 if k == axis else chunks) for k in range(x.ndim)})
    y = resize(x, scale, output_shape=output_shape, **resize_kwargs)
    if _is_tiff(dst):
        return write_tiff(y, dst, overwrite=overwrite, tile=tile, compression=compression, scheduler=scheduler)
    if scheduler is None:
        write_zarr(y, dst, overwrite=overwrite)
    else:
        import dask

        with dask.config.set(scheduler=scheduler):
            write_zarr(y, dst, overwrite=overwrite)
    return str(dst)


# --------------------------------------------------------------------------------------
# neural upscalers
# --------------------------------------------------------------------------------------
def _merge_small_chunks(chunks, size):
    """Chunk sizes along one axis with every chunk at least ``size``, or one chunk when the axis
    is shorter: each chunk below ``size`` is merged with the chunks after it, and a short
    remainder at the end with the chunk before it.  Only whole chunks are merged, so the
    rechunk moves no data between the remaining boundaries.

    >>> _merge_small_chunks((10, 10, 10, 3), 8)
    (10, 10, 13)
    >>> _merge_small_chunks((2, 9, 1, 1, 5), 4)
    (11, 7)
    >>> _merge_small_chunks((2, 1), 4)
    (3,)
    """
    out, run = [], 0
    for c in chunks:
        run += int(c)
        if run >= size:
            out.append(run)
            run = 0
    if out:
        out[-1] += run
    else:
        out.append(run)
    return tuple(out)


def _upscale_block(block, upscaler, halo, scale, axis, block_info=None):
    loc = block_info[0]["chunk-location"]
    num = block_info[0]["num-chunks"]
    out = upscaler(block, channel_axis=-1 if axis is None else axis)
    index = []
    for ax in range(block.ndim):
        if ax == axis:
            index.append(slice(None))
            continue
        lo = halo if loc[ax] > 0 else 0
        hi = halo if loc[ax] < num[ax] - 1 else 0
        index.append(slice(lo * scale, out.shape[ax] - hi * scale))
    return out[tuple(index)]


def upscale(image, upscaler, *, halo=16, channel_axis=-1):
    """Run a neural upscaler (e.g. :class:`classicsr.nn.TorchUpscaler`) chunk by chunk.

    Parameters
    ----------
    image : (M, N) or (M, N, C) dask.array.Array or ndarray
    upscaler : callable
        ``upscaler(block, channel_axis=...)`` returning the block upscaled by
        ``upscaler.scale`` (an integer attribute), as :class:`classicsr.nn.TorchUpscaler`.
    halo : int, optional
        LR pixels of context added on each inner chunk edge (default 16).  The result equals
        the in-memory ``upscaler(image)`` (to float rounding) when ``halo`` is at least the
        network's receptive-field radius in LR pixels, plus 2 for the bicubic chroma of
        ``color="y"`` upscalers.
    channel_axis : int, optional
        Keyword-only; default -1.  2-D images are grayscale.

    Returns
    -------
    dask.array.Array
        Lazy ``(s M, s N[, C])`` result whose chunks are ``s`` times the input chunks, after
        chunks smaller than ``halo`` are merged with their neighbours.

    Notes
    -----
    ``dask.array.overlap.overlap(depth=halo, boundary="none")`` extends each block by its
    neighbours (blocks at the outer border are not extended there, so the network sees the
    image edge exactly as in the in-memory call); each extended block is upscaled and
    ``s * halo`` pixels are cut from every extended side.  A neighbour must hold ``halo``
    pixels for that, so chunks smaller than ``halo`` are first merged, whole, with the
    chunks after them (a short last chunk with the one before); an axis shorter than
    ``halo`` becomes one chunk.  Any image size, chunking and halo therefore works.

    Examples
    --------
    >>> import numpy as np, torch, dask.array as da
    >>> from classicsr.nn import TorchUpscaler
    >>> from classicsr.nn.models import ESPCN
    >>> from classicsr.dask import upscale
    >>> _ = torch.manual_seed(0)
    >>> up = TorchUpscaler(ESPCN(2, 3), color="rgb")
    >>> x = np.random.default_rng(0).random((40, 36, 3)).astype(np.float32)
    >>> y = upscale(da.from_array(x, chunks=(20, 18, 3)), up, halo=6)
    >>> bool(np.abs(y.compute() - up(x)).max() < 1e-5)
    True
    """
    da = _import_dask()
    scale = getattr(upscaler, "scale", None)
    if not callable(upscaler) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise TypeError(f"upscaler must be callable with a positive integer 'scale' attribute "
                        f"(e.g. classicsr.nn.TorchUpscaler), got {upscaler!r}")
    scale = int(scale)
    halo = V.check_int("halo", halo, minimum=0)
    image, axis = _as_dask_image(da, image, channel_axis)
    dtype = image.dtype if image.dtype != np.float16 else np.dtype(np.float32)
    if axis is not None:
        image = image.rechunk({axis: -1})
    spatial = [k for k in range(image.ndim) if k != axis]
    # every chunk of a split axis must hold at least `halo` pixels: overlap would otherwise
    # merge chunks itself, and the output chunks below would no longer match its blocks
    image = image.rechunk({k: _merge_small_chunks(image.chunks[k], halo) for k in spatial})
    depth = {k: (halo if k in spatial and len(image.chunks[k]) > 1 else 0)
             for k in range(image.ndim)}
    ext = da.overlap.overlap(image, depth=depth, boundary="none")
    out_chunks = tuple(c if k == axis else tuple(scale * s for s in c) for k, c in enumerate(image.chunks))
    return ext.map_blocks(_upscale_block, upscaler, halo, scale, axis, chunks=out_chunks, dtype=dtype,
                          meta=np.empty((0,) * image.ndim, dtype=dtype))


# --------------------------------------------------------------------------------------
# datasets on dask.distributed
# --------------------------------------------------------------------------------------
def _evaluate_task(methods, hr_dir, lr_dir, scale, kwargs):
    from .evaluate import evaluate

    res = evaluate(methods, hr_dir, [scale], lr_dir=lr_dir, **kwargs)
    return res.records, res.failures, res.metrics


def evaluate_distributed(methods, hr_dir, scales=(2, 3, 4), *, scheduler=None, workers=2, processes=True,
                         client=None, **kwargs):
    """:func:`classicsr.evaluate` on a ``dask.distributed`` cluster: the same records and table.

    Parameters
    ----------
    methods, hr_dir, scales :
        As in :func:`classicsr.evaluate`.
    scheduler : str, optional
        Address of a running scheduler (``"tcp://host:8786"``); ``None`` (default) starts a
        ``LocalCluster`` of ``workers`` single-threaded workers and closes it afterwards.
    workers : int, optional
        Workers of the local cluster (default 2).
    processes : bool, optional
        Local cluster workers as processes (default) or threads in this process.
    client : distributed.Client, optional
        Use this client instead (``scheduler``/``workers`` are then ignored).
    **kwargs
        Any other keyword of :func:`classicsr.evaluate` except ``figure``/``progress``.

    Returns
    -------
    EvaluationResult
        Records in the single-process order (set, image, scale, method); every metric value
        is computed by the same code on the same data, so the numbers are identical; only
        ``seconds`` (the method's wall time on its worker) differs.

    Notes
    -----
    One task per (test set, scale, method): each runs :func:`classicsr.evaluate` on its
    worker, reading the images from ``hr_dir``/``lr_dir`` there (on a multi-machine cluster
    these paths must be visible to every worker, e.g. a shared filesystem; ``save_images``
    is written by the workers).  The tasks return their records and failures to the client
    (plain lists of dicts, a few KB per image), where they are merged and re-ordered.
    Methods must be picklable (built-in names, importable functions, or closures that
    cloudpickle can ship) for process or remote workers.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from classicsr.io import write_image
    >>> from classicsr.dask import evaluate_distributed
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_image(d / "a.png", np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8))
    >>> res = evaluate_distributed(["bicubic"], d, scales=[2], workers=2, processes=False)
    >>> [row["method"] for row in res.summary()]
    ['bicubic']
    """
    from .evaluate import EvaluationResult, _parse_sets, resolve_methods

    for bad in ("figure", "figure_image", "figure_scale", "progress"):
        if kwargs.get(bad):
            raise ValueError(f"{bad} is not supported by the distributed evaluation; run "
                             f"classicsr.evaluate for figures and progress bars")
        kwargs.pop(bad, None)
    lr_dir = kwargs.pop("lr_dir", None)
    method_list = resolve_methods(methods)
    scale_list = [scales] if not isinstance(scales, (list, tuple, range, np.ndarray)) else list(scales)
    scale_list = list(dict.fromkeys(V.check_int("scales", s, minimum=1) for s in scale_list))
    if not scale_list:
        raise ValueError("scales must contain at least one integer scale, got none")
    sets = _parse_sets(hr_dir, lr_dir)
    workers = V.check_int("workers", workers, minimum=1)

    own = None
    if client is None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover
            raise ImportError("evaluate_distributed needs dask.distributed: "
                              "pip install 'classicsr[dask]'") from None
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                   dashboard_address=None)
            own = (Client(cluster), cluster)
        else:
            own = (Client(str(scheduler)), None)
        client = own[0]
    try:
        jobs = []
        for d, (h, l) in enumerate(sets):
            for k, s in enumerate(scale_list):
                for j, m in enumerate(method_list):
                    fut = client.submit(_evaluate_task, [m], str(h), None if l is None else str(l), s, kwargs,
                                        pure=False)
                    jobs.append(((d, k, j), fut))
        results = client.gather([f for _, f in jobs])
    finally:
        if own is not None:
            own[0].close()
            if own[1] is not None:
                own[1].close()

    merged = EvaluationResult(metrics=results[0][2] if results else ("psnr", "ssim"))
    image_order = {}
    keyed = []
    for ((d, k, j), _), (records, failures, _) in zip(jobs, results):
        for r in records:
            order = image_order.setdefault((d, r["image"]), len(image_order))
            keyed.append(((d, order, k, j), r))
        for f in failures:
            if f not in merged.failures:
                merged.failures.append(f)
    keyed.sort(key=lambda t: t[0])
    merged.records = [r for _, r in keyed]
    return merged
