"""classicsr on dask arrays: images larger than memory, chunk by chunk.

Needs the ``dask`` extra (``pip install 'classicsr[dask]'``); ``import classicsr`` never
imports dask.

:func:`resize` equals the in-memory :func:`classicsr.resize` bit for bit, for any chunking:
each output block is computed from exactly the input rows and columns its taps read (a slab
that may span several input chunks, however small they are), with the same weight tables,
pass order and per-pass rounding as the in-memory call.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as V
from .resize import BOUNDARIES, METHODS, _check_scale_and_shape, _execute, _plan

__all__ = ["resize", "output_chunks", "read_zarr", "write_zarr"]


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
