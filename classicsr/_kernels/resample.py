"""Separable resampling kernels (the engine behind :func:`classicsr.resize`).

Each pass applies one precomputed weight/index table along one axis of a C-contiguous
``(H, W, C)`` image (gray images have ``C == 1``)::

    dst[i, ...]    = sum_k wts[i, k] * src[idx[i, k], ...]       (rows pass, axis 0)
    dst[:, j, c]   = sum_k wts[j, k] * src[:, idx[j, k], c]      (columns pass, axis 1)

Exactness contract
------------------
* Integer images (uint8/uint16) must equal MATLAB bit for bit.  MATLAB accumulates the taps
  in float64 in tap order (a multiply, then an add), then rounds half away from zero and
  saturates.  That float64 value is the reference ``d``.
* float32 images accumulate in float32 (within 1e-5 relative of float64); float64 images in
  float64 (within 1e-12).

Speed comes from accumulating integer images in float32 (8 SIMD lanes on AVX2) whenever that
provably gives MATLAB's result; see :func:`_int_plan` for the two proofs:

* *exact tables*: every weight is a multiple of ``2**-q`` and ``(maxval * sum|w| + 1) * 2**q
  < 2**24``.  Then every product and partial sum of integer pixels is an integer multiple of
  ``2**-q`` below ``2**24 * 2**-q`` in magnitude, so float32 (with or without FMA, in any
  order) and float64 both compute the exact sum: ``s32 == d``.  Integer-factor bicubic and
  bilinear upscales and antialiased power-of-two downscales have such tables.
* *checked tables*: otherwise ``|s32 - d| <= bound`` with ``bound`` derived from ``K``,
  ``sum|w|`` and ``maxval``; outputs whose float32 value lies within ``bound`` of a rounding
  tie ``n + 0.5`` (rare: about ``2 * bound`` of them) are recomputed in float64 in tap order.
  Checked tables of 4, 6, 8 or 12 taps (x3, x1.5, x2.5, x1/3, lanczos) filter, round, store
  and test for near ties in one register sweep (:func:`_check_block`, which returns the near
  ties' bit mask).

Two- and three-tap integer tables (bilinear) are widened to four taps with zero weights
when that reaches a four-tap path (:func:`_pad_taps`), and checked tables whose outputs are
often near ties (small-denominator weights: bilinear x1.5) accumulate in float64 instead
(:func:`_tie_rate_max`).  Tables that only select pixels (``nearest``, ``box`` upscales) run
as one gather over both axes (:func:`_select_chunk`); pixels of 2-32 bytes with several
channels are copied a pixel at a time, one unaligned move of the next power-of-two width each
(:func:`_select_px_chunk`).

Four-tap exact tables on unsigned images (bicubic integer upscales, the common SR case) go
further: the sums are computed in integer SIMD lanes, ``((bias + sum_k W_k x_k) >> q) - off``
with ``W = w 2**q`` (16-bit lanes for uint8 x2, 32-bit otherwise; see :func:`_fixed_plan` for
why that is MATLAB's rounded value exactly), by an LLVM ``@intrinsic`` block
(:func:`_fixed_block`; on AVX2 targets the 32-bit sums of uint8 x4 and of 16-bit pixels take
the ``vpmaddwd`` block :func:`_madd4_block`).  Tables whose weights are not dyadic but
rationals with an odd denominator (bicubic and bilinear at x3, bilinear at every odd factor)
take the same path with ``W = rint(w 2**15)``: their true sums keep a known distance from
every rounding tie, larger than the error of those integer weights (:func:`_margin_weights`);
for 16-bit pixels, whose 15-bit weights err by more than that margin, bicubic x3 uses its
exact numerators ``N = rint(w D)`` in 32-bit lanes and rounds ``S / D`` by one float32
multiply by ``fl(1 / D)`` (:func:`_numer_weights`: the float32 error stays inside the
margin).  Eight- and sixteen-tap exact tables on 8- and 16-bit images (the antialiased x0.5
and x0.25 downscales) use the same integer formula with two taps per 16-bit multiply-add
(``vpmaddwd``, when Numba targets AVX2: :func:`_madd_block`; 16-bit pixels enter the signed
lanes as ``x - 32768``).  The columns pass of the four-tap tables of 8-bit images runs in
output order: each 32-byte block of the output row is gathered from 16-byte source windows by
``vpshufb`` and summed by ``vpmaddwd`` (:func:`_direct_block`, descriptors per table from
:func:`_direct_plan`), with no phase rows and no interleave.  Checked four-tap tables of 8-bit
images whose near ties are rare (bicubic x5/3, x5, x7, x1.5, x2.5, x1.25, lanczos2 x3, and
tables without a period such as x2.2, x1.37 or most output sizes, described block by block)
take the same blocks with split weights: ``W = rint(w 2**q) = Wh 2**11 + Wl``, two int16 parts
multiplied with the same shuffled pixels, an exact int32 sum that lies within a known distance
(its band) of MATLAB's float64 one; each block also returns the mask of its bytes near a
rounding tie, which are recomputed in float64 (:func:`_split_plan`, :func:`_direct_row`).  Rows
whose weights are multiples of ``2**-q`` (the half-pixel phase of x1.5, x2.5, x1.25) are exact
and round their ties as MATLAB does: no band, each output's band then stored in the
descriptors.  The rows pass of such tables (and of bicubic x1.1, x1.37, lanczos2) runs on
the same split weights, each output row with its own band, as the ``vpmaddwd`` rows block run
twice on the same widened pixels (:meth:`_TablePlan.split_rows`, :func:`_madd4_split_block`,
:func:`_rows_row_split`).  Two- to four-tap tables of 8-bit images with frequent exact ties of
the true sum (checked: bilinear x3.7, x1.3, lanczos2 x1.5; or summed in float64: bilinear
x1.5, x2.5) take
the same blocks with float64 weights (:func:`_direct_f64_codegen`): the shuffled pixels
converted to float64 lanes, multiplied and summed in tap order, MATLAB's arithmetic itself,
rounded by ``trunc(v + _HALF64)``; no tie is left to recompute.  Four-tap tables of 8- and
16-bit images whose weights are rationals ``N / D`` with an even ``D`` (bicubic x1.5, x2.5,
x1.25, x6: exact ties of the true sum occur) or a ``D`` too large for a margin (x5, x7) run
on the ``vpmaddwd`` block as tie-checked numerator plans (:func:`_tie_weights`): the exact
``floor(S / D + 1/2)`` from a float32 candidate corrected in int32, and the block's mask of
exact ties, which in rows whose float64 weights are not ``N / D`` themselves are recomputed
in MATLAB's float64 arithmetic (rows passes of 16-bit images, and of 8-bit ones with the split
weights off; 16-bit columns passes too, over pixel-phase planes for fractional scales).

uint16 images with checked tables, integer images with a float64 intermediate
(``round_each_pass=False``) and float64 images accumulate in float64.  Numba's fastmath stays
off for float64 accumulation (no reassociation, no contraction): those paths are MATLAB's own
arithmetic.  Float32 accumulation into integer images runs twins of the FIR loops compiled with FMA
contraction only (:func:`_contracted`, still in tap order): both float32 proofs above hold
with FMA (it only removes roundings), and it saves an instruction per tap.  Float outputs keep
multiply-then-add in every path, so each pixel gets the same bits whichever path (border
gather, planes, interleaved row) computes it: dask blocks equal the whole image exactly.

Layout of the work
------------------
* Rows pass: vectorised along the contiguous row, one whole output row at a time (each
  thread takes a contiguous range of output rows, so consecutive outputs find their source
  rows in cache).  Integer pixels are converted inside the FIR loop (a vector convert per tap
  is cheaper than a separate conversion pass), taps are applied four at a time (one
  accumulator round trip per four taps, strictly in tap order), and four-tap tables (bicubic
  upscaling) are filtered, rounded and stored in a single sweep.  Two output rows that read
  the same four source rows (x2, x4 upscales) are computed in one sweep, each source element
  loaded once for both and each output with its own arithmetic (:func:`_rows_pair`,
  :func:`_rows_pair_fixed`; switch ``_ROW_PAIRS``).
* Columns pass: the taps run along the contiguous axis, so a direct formulation gathers.
  Instead the interior of each table is recognised as *polyphase*: ``P`` output pixels per
  ``Q`` input pixels with consecutive taps (``idx[j0 + P m + p, k] = s0 + Q m + r_p + k``).
  Each image row is then deinterleaved into ``C * Q`` contiguous planes (channels, then input
  phases), filtered with contiguous SIMD loops per (channel, output phase) using per-output
  weights ``Wp[p, k, m]``, rounded, and interleaved back (output phases, then channels).
  The few border outputs (mirrored/clamped taps) and tables without that structure use a
  scalar gather in tap order.
* Columns pass, integer factors (``Q == 1``) with periodic weights: no planes at all.  Output
  phase ``p`` is one FIR filter over the channel-interleaved row (tap ``k`` starts at
  ``(s0 + ta[p, k]) * C``), rounded in the same sweep for four taps, and the ``P`` phase rows
  are interleaved back by LLVM shuffle blocks (:func:`_shuffle_interleave`,
  :func:`cols_pass_il`).  Float images with four taps filter and interleave in registers
  (:func:`_fir_interleave`: no phase rows in memory).  Fractional scales with 2-5 phases and
  periodic float32 weights (x1.5, x2.5, x4/3, x0.75) take the same path over the ``Q`` pixel-phase
  planes of the row (:func:`_deinterleave_pixels`: channels stay interleaved, shuffle
  blocks :func:`_shuffle_deinterleave`); so do one-phase tables (downscales), filtered
  straight into the output row.
* Columns pass of float32 images in output order (AVX-512 targets, periodic tables: integer
  and fractional upscales with 2, 4 or 6 taps whose 16-output vectors repeat every 1, 3, 5
  or 9 vectors): each vector of 16 outputs loads a window of 16 or 32 source elements and
  gathers every tap's lanes from it with one lane permute (``vpermps`` / ``vpermt2ps``),
  multiplied by per-lane weights and added in tap order: the same bits as every other path,
  with no phase rows, planes or interleave (:func:`_fd_row`, descriptors from
  :func:`_fd_plan`).  The borders are vectors with their own descriptors; large outputs are
  streamed from the first 64-byte line on.  This replaces the fir-interleave blocks and the
  pixel-phase planes for those tables (gray even factors keep the shared-taps blocks unless
  streamed).
* Columns pass, polyphase planes: the per-(channel, phase) output planes are put back in pixel
  order by LLVM shuffle blocks too (:func:`_shuffle_planes`).  Since the seventh session this
  path only runs with ``_LANE_COLS`` off (tests compare against it): tables without the
  interleaved path (periods of more than 5 phases such as x1.2 or x1.4, no period at all as
  for most ``output_shape`` requests, images narrower than 8 pixels) filter eight rows at a
  time instead (:func:`_cols_group`): the rows are transposed into the lanes of 8-wide
  vectors (one 8x8 shuffle transpose per 8 elements), every output element is one vector FIR
  over its taps (in tap order: the same bits as every other path) that also returns the
  near-tie mask of checked tables, and the lanes are transposed back and rounded.  Tables
  without near-tie checks filter eight elements per tap block instead (:func:`_lane_tap_block`,
  byte offsets of every tap precomputed), transposed, rounded and stored in registers.
* Both passes fused (:func:`fused_passes`): one output row at a time (eight for the lanes),
  rows pass then columns pass on that row, or columns-pass rows kept in a small per-thread
  ring when the columns pass comes first (interleaved columns paths only); the intermediate
  image is never stored, and every value is computed exactly as by the separate passes.
  Large float outputs are written with streaming stores: the fir-interleave blocks
  (:func:`_ir_fir_streamed`) and, columns pass first, the rows-pass rows (:func:`_stream_row`).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
import types
from collections import OrderedDict
from fractions import Fraction

import numpy as np
import numba
from llvmlite import ir
from numba import get_num_threads
from numba.cpython.unsafe.numbers import trailing_zeros

from .._config import jit
from ._frame import align_stack as _align_stack
from .._memory import new_output
from .._validate import half_below

_FIX = 64  # block length of the near-tie check in the checked rounding mode
_U32 = 2.0 ** -24  # unit roundoff of float32

MODE_FLOAT = 0  # store the accumulated value as is (float destination)
MODE_ROUND = 1  # round half away from zero and saturate to [0, maxval]
MODE_CHECK = 2  # MODE_ROUND, recomputing near-tie outputs in float64 in tap order


# ---------------------------------------------------------------------------------------------
# scalar and row helpers (plain @jit functions; LLVM inlines them into the callers)

# A literal ``0`` argument types as ``Literal[int](0)`` and compiles a second specialisation
# of the callee (measured: one per helper); ``_I0`` types as a plain int64.
_I0 = np.int64(0)


def _make_borrowed():
    """:func:`_borrowed` (the identity without the JIT)."""
    if numba.config.DISABLE_JIT:
        return lambda a: a
    from numba.core import types as nt
    from numba.extending import intrinsic
    from numba.np.arrayobj import populate_array

    @intrinsic
    def borrowed(typingctx, arr):
        if isinstance(arr, nt.NoneType):
            return arr(arr), lambda context, builder, signature, args: args[0]
        if not isinstance(arr, nt.Array):
            return None

        def codegen(context, builder, signature, args):
            src = context.make_array(arr)(context, builder, args[0])
            out = context.make_array(arr)(context, builder)
            populate_array(out, data=src.data, shape=src.shape, strides=src.strides,
                           itemsize=src.itemsize, meminfo=None)
            return out._getvalue()

        return arr(arr), codegen

    return borrowed


#: ``_borrowed(a)``: the array ``a`` (or ``None``) without its reference count: the same data,
#: shape and strides, a null ``meminfo``, so its views and the calls it is passed to count
#: nothing.  Numba counts every array view and every array argument of a call that is not
#: inlined with a locked increment and decrement of the owner's count: in the per-row calls of
#: the chunk kernels a quarter of a 128x128 float32 x2 resize's time (perf: ``NRT_incref`` /
#: ``NRT_decref``).  Only for arrays that outlive every use of the borrowed one: a kernel's
#: arguments (the caller holds them), and scratch the kernel allocated, kept by
#: :func:`_keep` after the last use.
_borrowed = _make_borrowed()


@jit
def _keep(owners):
    """Nothing: a use of ``owners`` (a tuple of arrays) at the end of a kernel, so that Numba
    releases them only after their borrowed views' last use (:func:`_borrowed`; Numba frees an
    array after the last use of its own variable)."""
    return len(owners)


@jit
def _round_sat(v, maxval):
    # Round half away from zero, then saturate (only called with maxval > 0, v finite).
    if v <= 0.0:
        return 0.0
    if v >= maxval:
        return maxval
    f = math.floor(v)
    if v - f >= 0.5:
        f += 1.0
    return f


@jit
def _gather_row(row, orow, nch, idx, w, w64, j_lo, j_hi, mode, maxval):
    """Scalar columns pass of one flattened row for outputs ``j_lo <= j < j_hi`` (tap order).

    Float sums start from ``+0`` as every block does (``0 + w_0 a_0 + ...``), so an output
    whose products are all ``-0`` is ``+0`` here too.  Integer destinations use the float64
    table (MATLAB's arithmetic)."""
    _align_stack()
    ntaps = idx.shape[1]
    for j in range(j_lo, j_hi):
        for c in range(nch):
            if mode == MODE_FLOAT:
                s = (w[j, 0] - w[j, 0]) + w[j, 0] * row[idx[j, 0] * nch + c]
                for k in range(1, ntaps):
                    s += w[j, k] * row[idx[j, k] * nch + c]
                orow[j * nch + c] = s
            else:
                d = w64[j, 0] * np.float64(row[idx[j, 0] * nch + c])
                for k in range(1, ntaps):
                    d += w64[j, k] * np.float64(row[idx[j, k] * nch + c])
                orow[j * nch + c] = _round_sat(d, maxval)


@jit
def _acc4(acc, a0, a1, a2, a3, w0, w1, w2, w3, n, first):
    """``acc[t] (= 0 if first) + w0 a0[t] + w1 a1[t] + w2 a2[t] + w3 a3[t]`` for ``t < n``,
    added strictly left to right (the taps in order)."""
    _align_stack()
    if first:
        zero = w0 - w0  # +0 in the accumulation type (w0 * 0 would be float64)
        for t in range(n):
            acc[t] = zero + w0 * a0[t] + w1 * a1[t] + w2 * a2[t] + w3 * a3[t]
    else:
        for t in range(n):
            acc[t] = acc[t] + w0 * a0[t] + w1 * a1[t] + w2 * a2[t] + w3 * a3[t]


@jit
def _acc1(acc, a0, w0, n):
    """``acc[t] += w0 a0[t]`` for ``t < n``."""
    _align_stack()
    for t in range(n):
        acc[t] = acc[t] + w0 * a0[t]


@jit
def _fir4(out, a0, a1, a2, a3, w0, w1, w2, w3, n, mode, consts):
    """Four taps from zero, in order, stored in the same sweep: as is (MODE_FLOAT) or rounded
    half away from zero and saturated (MODE_ROUND); no accumulator round trip."""
    _align_stack()
    zero = consts[3]
    if mode == MODE_FLOAT:
        for t in range(n):
            out[t] = zero + w0 * a0[t] + w1 * a1[t] + w2 * a2[t] + w3 * a3[t]
    else:
        half = consts[0]
        top = consts[1]
        for t in range(n):
            v = zero + w0 * a0[t] + w1 * a1[t] + w2 * a2[t] + w3 * a3[t]
            v = min(max(v + half, zero), top)
            out[t] = np.int32(v)  # v >= 0: truncation is floor


@jit
def _fir2(out, a0, a1, w0, w1, n, mode, consts):
    """:func:`_fir4` for two taps (bilinear upscales): ``(0 + w0 a0) + w1 a1``, stored in the
    same sweep."""
    _align_stack()
    zero = consts[3]
    if mode == MODE_FLOAT:
        for t in range(n):
            out[t] = zero + w0 * a0[t] + w1 * a1[t]
    else:
        half = consts[0]
        top = consts[1]
        for t in range(n):
            v = zero + w0 * a0[t] + w1 * a1[t]
            v = min(max(v + half, zero), top)
            out[t] = np.int32(v)  # v >= 0: truncation is floor


@jit
def _fir4x2(out0, out1, a0, a1, a2, a3, w0, w1, w2, w3, v0, v1, v2, v3, n, mode, consts):
    """:func:`_fir4` for two output rows that read the same four source rows (``w`` the
    weights of ``out0``, ``v`` those of ``out1``): each source element is loaded once for
    both.  Every output is computed exactly as by :func:`_fir4` (its own chain in tap order,
    the same rounding), so the bits are the same (but for which NaN comes out where two
    meet, which no two paths fix: see docs/resize.md)."""
    _align_stack()
    zero = consts[3]
    if mode == MODE_FLOAT:
        for t in range(n):
            x0 = a0[t]
            x1 = a1[t]
            x2 = a2[t]
            x3 = a3[t]
            out0[t] = zero + w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3
            out1[t] = zero + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
    else:
        half = consts[0]
        top = consts[1]
        for t in range(n):
            x0 = a0[t]
            x1 = a1[t]
            x2 = a2[t]
            x3 = a3[t]
            u = zero + w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3
            u = min(max(u + half, zero), top)
            out0[t] = np.int32(u)  # u >= 0: truncation is floor
            v = zero + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
            v = min(max(v + half, zero), top)
            out1[t] = np.int32(v)


def _use_fma(w, mode):
    """FMA twins only for float32 accumulation into *integer* outputs.

    There the result is provably MATLAB's integer whichever path computes it (exact tables:
    every operation exact; checked tables: the near-tie bound holds with FMA).  Float outputs
    keep plain multiply-then-add everywhere, so a pixel gets the same bits from every path
    (scalar border gather, polyphase planes, interleaved row): dask blocks, whose borders fall
    elsewhere, must equal the whole-image result bit for bit."""
    return _FMA and mode != MODE_FLOAT and w.dtype == np.float32


def _contracted(kernel, name):
    """A twin of the ``@jit`` function ``kernel`` compiled with FMA contraction.

    Used only where the accumulation type is float32 and the output is an integer image (see
    :func:`_use_fma`): the exact-table proof and the checked-table bound of :func:`_int_plan`
    hold with or without FMA.  Float64 accumulation (MATLAB's own arithmetic) and float
    outputs never use a twin.  The twin gets its own name, so Numba caches it in its own file (the cache index
    does not key on fastmath flags)."""
    import types

    f = getattr(kernel, "py_func", kernel)  # a plain function under NUMBA_DISABLE_JIT=1
    twin = types.FunctionType(f.__code__, f.__globals__, name, f.__defaults__, f.__closure__)
    twin.__qualname__ = name
    twin.__doc__ = f.__doc__
    return jit(twin, fastmath={"contract"})


_acc4_c = _contracted(_acc4, "_acc4_c")
_acc1_c = _contracted(_acc1, "_acc1_c")
_fir4_c = _contracted(_fir4, "_fir4_c")
_fir2_c = _contracted(_fir2, "_fir2_c")
_fir4x2_c = _contracted(_fir4x2, "_fir4x2_c")


@jit
def _fir_rows(acc, src, rows, wrow, n, fma):
    """Rows pass of one output row: ``acc[t] = sum_k wrow[k] * src[rows[k], t]`` for ``t < n``.

    Starts from ``acc = 0`` and adds the taps strictly in order ``k = 0, 1, ...`` (MATLAB's
    ``s = 0; s += w_k x_k``), four per sweep over ``acc``.  Integer source rows are converted
    in the loop (uint8 times a float32 weight is a float32 product).  ``fma``: use the
    contracted twins (float32 accumulation only)."""
    _align_stack()
    ntaps = rows.shape[0]
    k = 0
    while k + 4 <= ntaps:
        if fma:
            _acc4_c(acc, src[rows[k]], src[rows[k + 1]], src[rows[k + 2]], src[rows[k + 3]],
                    wrow[k], wrow[k + 1], wrow[k + 2], wrow[k + 3], n, k == 0)
        else:
            _acc4(acc, src[rows[k]], src[rows[k + 1]], src[rows[k + 2]], src[rows[k + 3]],
                  wrow[k], wrow[k + 1], wrow[k + 2], wrow[k + 3], n, k == 0)
        k += 4
    if k == 0:
        zero = wrow[0] - wrow[0]
        for t in range(n):
            acc[t] = zero
    while k < ntaps:
        if fma:
            _acc1_c(acc, src[rows[k]], wrow[k], n)
        else:
            _acc1(acc, src[rows[k]], wrow[k], n)
        k += 1


@jit
def _store(acc, out, n, mode, consts):
    """Store ``acc[:n]`` into ``out[:n]``: as is (MODE_FLOAT) or rounded half away from zero and
    saturated (MODE_ROUND / MODE_CHECK; near ties are fixed afterwards by the caller).
    ``consts`` = (half, maxval, bound, 0) in the accumulation type, so the loop stays in it
    (``half`` 0.5 for float32, :data:`_HALF64` for float64 sums)."""
    _align_stack()
    if mode == MODE_FLOAT:
        for t in range(n):
            out[t] = acc[t]
    else:
        half = consts[0]
        top = consts[1]
        zero = consts[3]
        for t in range(n):
            v = min(max(acc[t] + half, zero), top)
            out[t] = np.int32(v)  # v >= 0: truncation is floor


@jit
def _near_tie(v, consts):
    return abs(v - np.floor(v) - consts[0]) <= consts[2]


# ---------------------------------------------------------------------------------------------
# contiguous (de)interleaving of small factors: specialised loops vectorise, the generic one not

@jit
def _deinterleave(src, off, limit, factor, planes, length):
    """``planes[f * length + m] = src[off + factor * m + f]`` where that index is ``< limit``."""
    _align_stack()
    full = min(length, max(0, (limit - off) // factor))
    s = src[off:off + factor * full]
    if factor == 1:
        p0 = planes[0:full]
        for m in range(full):
            p0[m] = s[m]
    elif factor == 2:
        p0 = planes[0:full]
        p1 = planes[length:length + full]
        for m in range(full):
            p0[m] = s[2 * m]
            p1[m] = s[2 * m + 1]
    elif factor == 3:
        p0 = planes[0:full]
        p1 = planes[length:length + full]
        p2 = planes[2 * length:2 * length + full]
        for m in range(full):
            p0[m] = s[3 * m]
            p1[m] = s[3 * m + 1]
            p2[m] = s[3 * m + 2]
    elif factor == 4:
        p0 = planes[0:full]
        p1 = planes[length:length + full]
        p2 = planes[2 * length:2 * length + full]
        p3 = planes[3 * length:3 * length + full]
        for m in range(full):
            p0[m] = s[4 * m]
            p1[m] = s[4 * m + 1]
            p2[m] = s[4 * m + 2]
            p3[m] = s[4 * m + 3]
    else:
        for m in range(full):
            for f in range(factor):
                planes[f * length + m] = s[factor * m + f]
    for m in range(full, length):  # partial last group; planes past the data stay unset (unread)
        for f in range(factor):
            i = off + factor * m + f
            if i < limit:
                planes[f * length + m] = src[i]


@jit
def _interleave(planes, length, factor, dst, off):
    """``dst[off + factor * m + f] = planes[f * length + m]`` for ``m < length``."""
    _align_stack()
    d = dst[off:off + factor * length]
    if factor == 1:
        p0 = planes[0:length]
        for m in range(length):
            d[m] = p0[m]
    elif factor == 2:
        p0 = planes[0:length]
        p1 = planes[length:2 * length]
        for m in range(length):
            d[2 * m] = p0[m]
            d[2 * m + 1] = p1[m]
    elif factor == 3:
        p0 = planes[0:length]
        p1 = planes[length:2 * length]
        p2 = planes[2 * length:3 * length]
        for m in range(length):
            d[3 * m] = p0[m]
            d[3 * m + 1] = p1[m]
            d[3 * m + 2] = p2[m]
    elif factor == 4:
        p0 = planes[0:length]
        p1 = planes[length:2 * length]
        p2 = planes[2 * length:3 * length]
        p3 = planes[3 * length:4 * length]
        for m in range(length):
            d[4 * m] = p0[m]
            d[4 * m + 1] = p1[m]
            d[4 * m + 2] = p2[m]
            d[4 * m + 3] = p3[m]
    else:
        for m in range(length):
            for f in range(factor):
                d[factor * m + f] = planes[f * length + m]


# ---------------------------------------------------------------------------------------------
# the kernels: serial ``@jit(nogil=True)`` chunk functions, run on Python threads
#
# Each pass splits its output rows into ``nchunks`` contiguous chunks (``_PIECES_PER_THREAD``
# per thread; the kernels take ``(ch, nchunks)`` and allocate their scratch per call, and
# per-chunk scratch passed in, such as accumulator rows or the row ring, has ``nchunks``
# entries).  The threads take the chunks in order from a shared counter, so a thread that
# starts late (waking an idle vCPU) or runs slow (a shared host) does less of the work instead
# of holding up the others.  The chunks run on a small thread pool (the kernels release the
# GIL) instead of a ``prange`` loop: a ``parallel=True`` wrapper re-optimises the whole inlined
# chunk inside its gufunc, which more than doubled the cold compile time of every
# specialisation (measured: float32 columns pass 12 s for the chunk, +18 s for the wrapper).

_POOL = None
_POOL_LOCK = threading.Lock()


def _pool():
    """The thread pool of :func:`_run_chunks`: built on first use, and again in a forked
    child (:func:`_forget_pool`)."""
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                from concurrent.futures import ThreadPoolExecutor

                import numba

                workers = max(1, int(numba.config.NUMBA_NUM_THREADS) - 1)
                _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="classicsr-resample")
    return _POOL


def _forget_pool():
    """In the child of ``os.fork()``: drop the parent's pool (and a lock another parent thread
    may have held).  Its threads do not exist in the child, but the executor still counted
    them as idle and queued the chunks for them, so a two-thread resize in a forked process
    (a ``multiprocessing`` worker on Linux, whose default start method is ``fork``) waited
    forever; the next call builds a new pool."""
    global _POOL, _POOL_LOCK
    _POOL = None
    _POOL_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


#: Multiply-adds (outputs x taps) a chunk must have before a pass is split across threads:
#: handing a chunk to a pool thread costs ~0.1 ms on these VMs (waking an idle vCPU), about
#: the time of 2e6 multiply-adds, so smaller passes run on the calling thread alone.
_MIN_CHUNK_WORK = 2_000_000


#: Chunks per thread when a pass runs on several threads (taken dynamically, see above).
_PIECES_PER_THREAD = 4


def _nchunks(nthreads, nrows, work):
    """Chunks for a pass of ``nrows`` rows and ``work`` multiply-adds on ``nthreads`` threads:
    1 (the calling thread alone), or ``_PIECES_PER_THREAD`` per thread used, from which
    :func:`_run_chunks` recovers the thread count (with fewer rows than chunks some chunks
    are empty)."""
    threads = max(1, min(nthreads, nrows,
                         work // _MIN_CHUNK_WORK if _MIN_CHUNK_WORK else nthreads))
    return 1 if threads == 1 else threads * max(1, _PIECES_PER_THREAD)


def _run_chunks(kernel, nchunks, args):
    """``kernel(*args, ch, nchunks)`` for every ``ch < nchunks``, on
    ``ceil(nchunks / _PIECES_PER_THREAD)`` threads (the calling one and pool threads), each
    taking the next chunk from a shared counter until none is left."""
    log = _RECIPES.log
    if log is not None:
        log.append((kernel, nchunks, args))
    if nchunks <= 1:
        kernel(*args, 0, 1)
        return
    workers = -(-nchunks // max(1, _PIECES_PER_THREAD))
    if workers <= 1:
        for ch in range(nchunks):
            kernel(*args, ch, nchunks)
        return
    counter = itertools.count()  # next() is atomic (one C call under the GIL)

    def work():
        ch = next(counter)
        while ch < nchunks:
            kernel(*args, ch, nchunks)
            ch = next(counter)

    pool = _pool()
    futures = [pool.submit(work) for _ in range(workers - 1)]
    try:
        work()
    finally:
        for fut in futures:
            fut.result()


_RUN_CHUNKS = _run_chunks  # recipes are off while a test replaces it


@jit
def _fir_phase(acc, planes, pl, tqp, tap, wp, wbase, n, ntaps, uniform, fma):
    """``acc[m] = sum_k wp[wbase + k * n + m] * planes[pl * tqp[k] + tap[k] + m]``, from zero,
    strictly in tap order, four taps per sweep.  ``uniform``: the weights do not depend on
    ``m`` (exactly periodic table), so each tap's weight is a broadcast scalar.  ``fma``: the
    contracted twins for uniform weights (float32 accumulation only)."""
    _align_stack()
    zero = wp[0] - wp[0]  # +0 in the accumulation type (wp[0] * 0 is float64)
    k = 0
    while k + 4 <= ntaps:
        wo = wbase + k * n
        o0 = pl * tqp[k] + tap[k]
        o1 = pl * tqp[k + 1] + tap[k + 1]
        o2 = pl * tqp[k + 2] + tap[k + 2]
        o3 = pl * tqp[k + 3] + tap[k + 3]
        a0 = planes[o0:o0 + n]
        a1 = planes[o1:o1 + n]
        a2 = planes[o2:o2 + n]
        a3 = planes[o3:o3 + n]
        if uniform:
            s0 = wp[wo]
            s1 = wp[wo + n]
            s2 = wp[wo + 2 * n]
            s3 = wp[wo + 3 * n]
            if fma:
                _acc4_c(acc, a0, a1, a2, a3, s0, s1, s2, s3, n, k == 0)
            else:
                _acc4(acc, a0, a1, a2, a3, s0, s1, s2, s3, n, k == 0)
        else:
            w0 = wp[wo:wo + n]
            w1 = wp[wo + n:wo + 2 * n]
            w2 = wp[wo + 2 * n:wo + 3 * n]
            w3 = wp[wo + 3 * n:wo + 4 * n]
            if k == 0:
                for t in range(n):
                    acc[t] = zero + w0[t] * a0[t] + w1[t] * a1[t] + w2[t] * a2[t] + w3[t] * a3[t]
            else:
                for t in range(n):
                    acc[t] = acc[t] + w0[t] * a0[t] + w1[t] * a1[t] + w2[t] * a2[t] + w3[t] * a3[t]
        k += 4
    if k == 0:
        for t in range(n):
            acc[t] = zero
    while k < ntaps:
        wo = wbase + k * n
        o0 = pl * tqp[k] + tap[k]
        a0 = planes[o0:o0 + n]
        w0 = wp[wo:wo + n]
        for t in range(n):
            acc[t] = acc[t] + w0[t] * a0[t]
        k += 1


@jit
def _rows_checked(src, out, i, idx, w64, maxval, st, wt, c):
    """Output row ``i`` of a rows pass with a checked table by :func:`_check_block` blocks
    (``st``/``wt``: the taps' source rows and weights as tuples), the near ties
    recomputed in float64 in tap order."""
    _align_stack()
    n = out.shape[0]
    ntaps = idx.shape[1]
    rows = idx[i]
    t = 0
    while t >= 0:
        mask = _chk(out, t, src, st, src.shape[1], t, wt, c)
        while mask:
            u = t + _lowest_bit(mask)
            mask &= mask - 1
            d = w64[i, 0] * np.float64(src[rows[0], u])
            for k in range(1, ntaps):
                d += w64[i, k] * np.float64(src[rows[k], u])
            out[u] = _round_sat(d, maxval)
        t = _next_block(t, _CHK_PX, n)


@jit
def _cols_checked(rp, st, wt, x, c, row, idx, w64, maxval, j0, nphase, p, nch):
    """Output phase ``p`` of a columns pass (:func:`_cols_row_il`) with a checked table into
    the phase row ``rp`` by :func:`_check_block` blocks over ``x``, the near ties recomputed
    in float64 in tap order from ``row``."""
    _align_stack()
    n = rp.shape[0]
    ntaps = idx.shape[1]
    t = 0
    while t >= 0:
        mask = _chk(rp, t, x, st, 1, t, wt, c)
        while mask:
            u = t + _lowest_bit(mask)
            mask &= mask - 1
            j = j0 + nphase * (u // nch) + p
            ch = u % nch
            d = w64[j, 0] * np.float64(row[idx[j, 0] * nch + ch])
            for k in range(1, ntaps):
                d += w64[j, k] * np.float64(row[idx[j, k] * nch + ch])
            rp[u] = _round_sat(d, maxval)
        t = _next_block(t, _CHK_PX, n)


@jit
def _rows_row(src, out, i, idx, w, w64, mode, consts, maxval, fma, acc):
    """Output row ``i`` of the rows pass into ``out`` (its length is the row length).

    ``out`` may have any dtype that holds the stored values exactly (the intermediate dtype,
    or the columns pass's accumulation type when the passes are fused).  ``w64 is None``
    marks a four-tap table without near-tie checks, filtered and stored in one sweep (no
    accumulator).  Numba prunes that test at compile time (a ``None`` argument has its own
    type), so each specialisation compiles only its own branch."""
    _align_stack()
    n = out.shape[0]
    rows = idx[i]
    if w64 is None:
        if fma:
            _fir4_c(out, src[rows[0]], src[rows[1]], src[rows[2]], src[rows[3]],
                    w[i, 0], w[i, 1], w[i, 2], w[i, 3], n, mode, consts)
        else:
            _fir4(out, src[rows[0]], src[rows[1]], src[rows[2]], src[rows[3]],
                  w[i, 0], w[i, 1], w[i, 2], w[i, 3], n, mode, consts)
        return
    ntaps = idx.shape[1]
    if ntaps == 2 and mode != MODE_CHECK:
        if fma:
            _fir2_c(out, src[rows[0]], src[rows[1]], w[i, 0], w[i, 1], n, mode, consts)
        else:
            _fir2(out, src[rows[0]], src[rows[1]], w[i, 0], w[i, 1], n, mode, consts)
        return
    if mode == MODE_CHECK and consts[4] != 0 and _JIT and n >= _CHK_PX:
        wr = w[i]
        c = (consts[0], consts[1], consts[5 + i])
        if ntaps == 4:
            _rows_checked(src, out, i, idx, w64, maxval, _tup4(rows), _tup4(wr), c)
            return
        if ntaps == 6:
            _rows_checked(src, out, i, idx, w64, maxval, _tup6(rows), _tup6(wr), c)
            return
        if ntaps == 8:
            _rows_checked(src, out, i, idx, w64, maxval, _tup8(rows), _tup8(wr), c)
            return
        if ntaps == 12:
            _rows_checked(src, out, i, idx, w64, maxval, _tup12(rows), _tup12(wr), c)
            return
    _fir_rows(acc, src, rows, w[i], n, fma)
    _store(acc, out, n, mode, consts)
    if mode == MODE_CHECK:
        for f0 in range(0, n, _FIX):
            f1 = min(n, f0 + _FIX)
            cnt = 0
            for t in range(f0, f1):
                cnt += _near_tie(acc[t], consts)
            if cnt:
                for t in range(f0, f1):
                    if _near_tie(acc[t], consts):
                        d = w64[i, 0] * np.float64(src[rows[0], t])
                        for k in range(1, ntaps):
                            d += w64[i, k] * np.float64(src[rows[k], t])
                        out[t] = _round_sat(d, maxval)


@jit
def _rows_chunk(src, dst, idx, w, w64, mode, consts, maxval, fma, so, ch, nchunks):
    """Rows pass ``src (H_in, L) -> dst (H_out, L)`` of the output rows
    ``[ch * H_out // nchunks, (ch + 1) * H_out // nchunks)`` (see :func:`rows_pass`).
    Arrays borrowed (:func:`_borrowed`; not the optional ``w64``)."""
    _align_stack()
    src, dst, idx, w, consts = (_borrowed(src), _borrowed(dst), _borrowed(idx), _borrowed(w),
                                _borrowed(consts))
    h_out, length = dst.shape
    acc_own = np.empty(max(length, 1), dtype=w.dtype)
    ring_own, st_own = _so_scratch(so, length, w)
    acc, ring, st = _borrowed(acc_own), _borrowed(ring_own), _borrowed(st_own)
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_so(src, dst[i], i, idx, w, w64, mode, consts, maxval, fma, acc, so, ring, st)
    _keep((acc_own, ring_own, st_own))


@jit
def _rows_chunk4(src, dst, idx, w, mode, consts, fma, pairs, ch, nchunks):
    """Rows pass of a four-tap table (MODE_FLOAT or MODE_ROUND) for the output rows
    ``[ch * H_out // nchunks, (ch + 1) * H_out // nchunks)``: one fused sweep per output row
    over whole rows, integer pixels converted in the loop (no accumulator); two rows with the
    same source rows in one sweep (``pairs``: :func:`_row_pair`, :func:`_rows_pair`).  Arrays
    borrowed (:func:`_borrowed`)."""
    _align_stack()
    src, dst, idx, w, consts = (_borrowed(src), _borrowed(dst), _borrowed(idx), _borrowed(w),
                                _borrowed(consts))
    h_out, length = dst.shape
    hi = (ch + 1) * h_out // nchunks
    i = ch * h_out // nchunks
    while i < hi:
        if _row_pair(idx, i, hi, None, None, pairs):
            _rows_pair(src, dst[i], dst[i + 1], i, idx, w, mode, consts, fma)
            i += 2
            continue
        rows = idx[i]
        if fma:
            _fir4_c(dst[i], src[rows[0]], src[rows[1]], src[rows[2]], src[rows[3]],
                    w[i, 0], w[i, 1], w[i, 2], w[i, 3], length, mode, consts)
        else:
            _fir4(dst[i], src[rows[0]], src[rows[1]], src[rows[2]], src[rows[3]],
                  w[i, 0], w[i, 1], w[i, 2], w[i, 3], length, mode, consts)
        i += 1


def rows_pass(src, dst, idx, w, w64, mode, consts, maxval, nthreads, so=None):
    """Rows pass ``src (H_in, L) -> dst (H_out, L)``: whole output rows, split into contiguous
    ranges of rows per thread (consecutive outputs share source rows in cache).

    ``w`` is the table in the accumulation type, ``w64`` the float64 table (MODE_CHECK
    recomputation).  Four-tap tables without near-tie checks take the fused
    :func:`_rows_chunk4` (no accumulator round trip); ``so`` (:func:`_so_plan`) runs the
    rows it covers in source order."""
    nchunks = _nchunks(nthreads, dst.shape[0], dst.size * idx.shape[1])
    fma = _use_fma(w, mode)
    if idx.shape[1] == 4 and mode != MODE_CHECK and _FUSED_ROWS and so is None:
        _run_chunks(_rows_chunk4, nchunks, (src, dst, idx, w, mode, consts, fma, _ROW_PAIRS))
    else:
        _run_chunks(_rows_chunk, nchunks,
                    (src, dst, idx, w, w64, mode, consts, maxval, fma, so))


# ---------------------------------------------------------------------------------------------
# rows pass of float images at integer-factor downscales, in source order
#
# An antialiased downscale by an integer factor f (x1/2, x1/3, x1/4) has, away from the
# borders, the table idx[i, k] = f i + c + k (K consecutive taps).  Cut the source rows into
# groups of f, group j = rows f j + c .. f j + c + f - 1: output i takes its taps from groups
# i .. i + G - 1 (G = ceil(K / f)), all f rows of each but the last, of which it takes
# m = K - (G - 1) f.  Going through the groups in order, each group's rows are loaded once
# per vector and added into the G outputs that hold them, output j - G + 1 completing; the
# row-by-row pass read every source row G times (4 for bicubic), from memory the first time.
# Every output's sum stays one chain in tap order, ``((0 + w_0 x_0) + w_1 x_1) + ...``, each
# step rounded to the accumulation type as before, so the bits are those of _fir_rows.


@jit
def _so_taps(out, base, src, r0, wrow, k0, m, n, first):
    """``out[t] = (0 if first else base[t]) + wrow[k0] src[r0, t] + ...`` (``m`` taps, in
    order) for ``t < n``: one output's share of a group, where the group is not run whole."""
    _align_stack()
    w0 = wrow[k0]
    a = src[r0]
    if first:
        zero = w0 - w0
        for t in range(n):
            out[t] = zero + w0 * a[t]
    else:
        for t in range(n):
            out[t] = base[t] + w0 * a[t]
    for r in range(1, m):
        wr = wrow[k0 + r]
        a = src[r0 + r]
        for t in range(n):
            out[t] = out[t] + wr * a[t]


@jit
def _so_group(d, c3, c2, c1, c0, src, r0, wd, w2, w1, w0, kd, f, n):
    """A whole group (rows ``r0 .. r0 + f - 1``): the new output (``c0``) and, in four-group
    tables (bicubic, Lanczos-2), the two in between (``c1``, ``c2``) take its ``f`` rows; the
    completing output (``c3`` -> ``d``, taps from ``kd`` on) its last ``m`` (``f = 2, m = 2``;
    ``f = 3, m = 2``; ``f = 4, m = 4``).  Two-group tables (bilinear) pass ``c1 = c2 =
    None`` (Numba prunes their lines, which read taps a two-group row does not have) and any
    rows for ``w1``, ``w2``."""
    _align_stack()
    zero = w0[0] - w0[0]
    if f == 4:
        a0, a1, a2, a3 = src[r0], src[r0 + 1], src[r0 + 2], src[r0 + 3]
        p0, p1, p2, p3 = wd[kd], wd[kd + 1], wd[kd + 2], wd[kd + 3]
        if c2 is not None:
            q0, q1, q2, q3 = w2[8], w2[9], w2[10], w2[11]
        if c1 is not None:
            s0, s1, s2, s3 = w1[4], w1[5], w1[6], w1[7]
        u0, u1, u2, u3 = w0[0], w0[1], w0[2], w0[3]
        for t in range(n):
            x0, x1, x2, x3 = a0[t], a1[t], a2[t], a3[t]
            d[t] = c3[t] + p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3
            if c2 is not None:
                c2[t] = c2[t] + q0 * x0 + q1 * x1 + q2 * x2 + q3 * x3
            if c1 is not None:
                c1[t] = c1[t] + s0 * x0 + s1 * x1 + s2 * x2 + s3 * x3
            c0[t] = zero + u0 * x0 + u1 * x1 + u2 * x2 + u3 * x3
    elif f == 3:
        a0, a1, a2 = src[r0], src[r0 + 1], src[r0 + 2]
        p0, p1 = wd[kd], wd[kd + 1]
        if c2 is not None:
            q0, q1, q2 = w2[6], w2[7], w2[8]
        if c1 is not None:
            s0, s1, s2 = w1[3], w1[4], w1[5]
        u0, u1, u2 = w0[0], w0[1], w0[2]
        for t in range(n):
            x0, x1, x2 = a0[t], a1[t], a2[t]
            d[t] = c3[t] + p0 * x0 + p1 * x1
            if c2 is not None:
                c2[t] = c2[t] + q0 * x0 + q1 * x1 + q2 * x2
            if c1 is not None:
                c1[t] = c1[t] + s0 * x0 + s1 * x1 + s2 * x2
            c0[t] = zero + u0 * x0 + u1 * x1 + u2 * x2
    else:
        a0, a1 = src[r0], src[r0 + 1]
        p0, p1 = wd[kd], wd[kd + 1]
        if c2 is not None:
            q0, q1 = w2[4], w2[5]
        if c1 is not None:
            s0, s1 = w1[2], w1[3]
        u0, u1 = w0[0], w0[1]
        for t in range(n):
            x0, x1 = a0[t], a1[t]
            d[t] = c3[t] + p0 * x0 + p1 * x1
            if c2 is not None:
                c2[t] = c2[t] + q0 * x0 + q1 * x1
            if c1 is not None:
                c1[t] = c1[t] + s0 * x0 + s1 * x1
            c0[t] = zero + u0 * x0 + u1 * x1


@jit
def _so_row(src, x, i, so, ring, st, w):
    """Rows-pass output row ``i`` (``so[4] <= i < so[5]``) into ``x``, in source order.

    ``so = (f, c, G, K, lo, hi)`` (:func:`_so_plan`); ``ring`` holds the ``G`` outputs in
    progress (output ``o`` in row ``o % G``); ``st = (next group, first output of the run)``.
    Consecutive calls ``i, i + 1, ...`` run one group each; any other call starts a new run at
    ``i``, whose first ``G - 1`` groups feed only outputs ``>= i`` (not run whole)."""
    _align_stack()
    f, c, g_n, k_n, hi = so[0], so[1], so[2], so[3], so[5]
    n = x.shape[0]
    if st[1] < 0 or st[0] != i + g_n - 1:
        st[1] = i
        j = i
    else:
        j = st[0]
    while j <= i + g_n - 1:
        r0 = f * j + c
        first = j - g_n + 1  # the output this group completes
        if first >= st[1] and j < hi:
            if g_n == 4:
                _so_group(x, ring[first % 4], ring[(j - 2) % 4], ring[(j - 1) % 4], ring[j % 4],
                          src, r0, w[first], w[j - 2], w[j - 1], w[j], 3 * f, f, n)
            else:
                _so_group(x, ring[first % 2], None, None, ring[j % 2], src, r0, w[first], w[j],
                          w[j], w[j], f, f, n)
        else:
            for o in range(max(st[1], first), min(j, hi - 1) + 1):
                g = j - o
                acc = ring[o % g_n]
                _so_taps(x if g == g_n - 1 else acc, acc, src, r0, w[o], g * f,
                         min(f, k_n - g * f), n, g == 0)
        j += 1
    st[0] = j


@jit
def _so_scratch(so, length, w):
    """The ring and state of :func:`_so_row` for one chunk (empty when ``so is None``)."""
    if so is None:
        ring = np.empty((0, 1), dtype=w.dtype)
    else:
        ring = np.empty((so[2], max(length, 1)), dtype=w.dtype)
    return ring, np.full(2, -1, dtype=np.int64)


@jit
def _rows_row_so(src, out, i, idx, w, w64, mode, consts, maxval, fma, acc, so, ring, st):
    """:func:`_rows_row`, or :func:`_so_row` for the rows that ``so`` covers (``so is None``:
    never; Numba prunes the test)."""
    if so is not None:
        if so[4] <= i < so[5]:
            _so_row(src, out, i, so, ring, st, w)
            return
    _rows_row(src, out, i, idx, w, w64, mode, consts, maxval, fma, acc)


@jit
def _row_pair(idx, i, hi, w64, so, pairs):
    """Whether rows-pass output rows ``i`` and ``i + 1 < hi`` can be computed together by
    :func:`_rows_pair`: ``pairs`` (the caller's ``_ROW_PAIRS``), a four-tap table without
    near-tie checks (``w64 is None``, pruned at compile time), no source-order plan, and the
    same four source rows for both (x2: rows ``2m + 1`` and ``2m + 2``; x4: four rows)."""
    if w64 is not None or so is not None or not pairs:
        return False
    if i + 1 >= hi or idx.shape[1] != 4:
        return False
    return (idx[i, 0] == idx[i + 1, 0] and idx[i, 1] == idx[i + 1, 1]
            and idx[i, 2] == idx[i + 1, 2] and idx[i, 3] == idx[i + 1, 3])


@jit
def _rows_pair(src, out0, out1, i, idx, w, mode, consts, fma):
    """Rows-pass output rows ``i`` and ``i + 1`` (:func:`_row_pair` holds) into ``out0`` and
    ``out1``: the values :func:`_rows_row` gives each, with the source rows read once
    (:func:`_fir4x2`).  Measured (in-process A/B of ``_ROW_PAIRS``, one thread): float32
    512x512x3 and 1024x1024 x2 1.12x, x4 1.04-1.05x, float64 x2 1.13x; the fixed-point pairs
    (:func:`_rows_pair_fixed`) uint8 x2 1.23-1.30x, x4 1.15x, uint16 x2 / x4 1.13x / 1.09x."""
    rows = idx[i]
    n = out0.shape[0]
    if fma:
        _fir4x2_c(out0, out1, src[rows[0]], src[rows[1]], src[rows[2]], src[rows[3]],
                  w[i, 0], w[i, 1], w[i, 2], w[i, 3], w[i + 1, 0], w[i + 1, 1], w[i + 1, 2],
                  w[i + 1, 3], n, mode, consts)
    else:
        _fir4x2(out0, out1, src[rows[0]], src[rows[1]], src[rows[2]], src[rows[3]],
                w[i, 0], w[i, 1], w[i, 2], w[i, 3], w[i + 1, 0], w[i + 1, 1], w[i + 1, 2],
                w[i + 1, 3], n, mode, consts)


@jit
def _cols_row(row, orow, xc, xq, acc, rp, tp, nch, idx, w, w64, mode, consts, maxval, j0, nphase,
              qstep, mper, s0, tq, ta, wp, plen, uniform, fma):
    """Columns pass of one flattened row ``row -> orow`` (see :func:`cols_pass`); ``xc``, ``xq``,
    ``acc``, ``rp``, ``tp`` are the caller's scratch (:func:`_cols_chunk`)."""
    _align_stack()
    w_in = row.shape[0] // nch
    w_out = orow.shape[0] // nch
    ntaps = idx.shape[1]
    j1 = j0 + nphase * mper
    _gather_row(row, orow, nch, idx, w, w64, _I0, min(j0, w_out), mode, maxval)
    if mper > 0:
        _deinterleave(row, _I0, w_in * nch, nch, xc, w_in)
        for c in range(nch):
            if qstep == 1:
                planes = xc[c * w_in + s0:(c + 1) * w_in]
                pl = w_in - s0
            else:
                _deinterleave(xc, c * w_in + s0, (c + 1) * w_in, qstep, xq, plen)
                planes = xq
                pl = plen
            for p in range(nphase):
                _fir_phase(acc, planes, pl, tq[p], ta[p], wp, (p * ntaps) * mper, mper, ntaps,
                           uniform, fma)
                base = (c * nphase + p) * mper
                out = rp[base:base + mper]
                _store(acc, out, mper, mode, consts)
                if mode == MODE_CHECK:
                    for f0 in range(0, mper, _FIX):
                        f1 = min(mper, f0 + _FIX)
                        cnt = 0
                        for t in range(f0, f1):
                            cnt += _near_tie(acc[t], consts)
                        if cnt:
                            for t in range(f0, f1):
                                if _near_tie(acc[t], consts):
                                    j = j0 + nphase * t + p
                                    d = w64[j, 0] * np.float64(row[idx[j, 0] * nch + c])
                                    for k in range(1, ntaps):
                                        d += w64[j, k] * np.float64(row[idx[j, k] * nch + c])
                                    out[t] = _round_sat(d, maxval)
        if _interleave_planes(rp, nphase, nch, mper, orow[j0 * nch:j1 * nch]):
            pass
        elif nch == 1:
            _interleave(rp, mper, nphase, orow, j0)
        else:
            seg = nphase * mper
            for c in range(nch):
                _interleave(rp[c * seg:(c + 1) * seg], mper, nphase, tp[c * seg:(c + 1) * seg], _I0)
            _interleave(tp, seg, nch, orow, j0 * nch)
    _gather_row(row, orow, nch, idx, w, w64, max(j1, j0), w_out, mode, maxval)


@jit
def _cols_chunk(src, dst, nch, idx, w, w64, mode, consts, maxval, j0, nphase, qstep, mper, s0,
                tq, ta, wp, plen, uniform, fma, ch, nchunks):
    """Columns pass of the rows ``[ch * H // nchunks, (ch + 1) * H // nchunks)`` (see
    :func:`cols_pass`; contiguous ranges, so each thread first-touches its own output pages)."""
    _align_stack()
    h = src.shape[0]
    w_in = src.shape[1] // nch
    xc = np.empty(nch * w_in, dtype=w.dtype)
    xq = np.empty(qstep * plen + 1, dtype=w.dtype)
    acc = np.empty(max(mper, 1), dtype=w.dtype)
    rp = np.empty(nch * nphase * mper + 1, dtype=dst.dtype)
    tp = np.empty(nch * nphase * mper + 1, dtype=dst.dtype)
    for i in range(ch * h // nchunks, (ch + 1) * h // nchunks):
        _cols_row(src[i], dst[i], xc, xq, acc, rp, tp, nch, idx, w, w64, mode, consts, maxval, j0,
                  nphase, qstep, mper, s0, tq, ta, wp, plen, uniform, fma)


@jit
def _fir_il(acc, x, offs, wrow, n, fma):
    """``acc[t] = sum_k wrow[k] * x[offs[k] + t]`` for ``t < n``, from zero, strictly in tap
    order, four taps per sweep (uniform weights: one broadcast scalar per tap)."""
    _align_stack()
    ntaps = offs.shape[0]
    k = 0
    while k + 4 <= ntaps:
        a0 = x[offs[k]:offs[k] + n]
        a1 = x[offs[k + 1]:offs[k + 1] + n]
        a2 = x[offs[k + 2]:offs[k + 2] + n]
        a3 = x[offs[k + 3]:offs[k + 3] + n]
        if fma:
            _acc4_c(acc, a0, a1, a2, a3, wrow[k], wrow[k + 1], wrow[k + 2], wrow[k + 3], n, k == 0)
        else:
            _acc4(acc, a0, a1, a2, a3, wrow[k], wrow[k + 1], wrow[k + 2], wrow[k + 3], n, k == 0)
        k += 4
    if k == 0:
        zero = wrow[0] - wrow[0]
        for t in range(n):
            acc[t] = zero
    while k < ntaps:
        if fma:
            _acc1_c(acc, x[offs[k]:offs[k] + n], wrow[k], n)
        else:
            _acc1(acc, x[offs[k]:offs[k] + n], wrow[k], n)
        k += 1


_IL_G = 8  # output pixels per shuffle block of the 3-channel phase interleave
_JIT = not numba.config.DISABLE_JIT  # the shuffle blocks exist only in compiled code


# LLVM IR pieces shared by the @intrinsic blocks below (generic IR: no target intrinsics)

@jit
def _next_block(m, g, n):
    """The start of the block of ``g`` items after the one at ``m``, or -1 after the last.
    The last block ends at ``n`` (``n >= g``), overlapping the one before instead of leaving a
    scalar tail: the block kernels rewrite those outputs with the same values."""
    if m == n - g:
        return -1
    return min(m + g, n - g)


def _ir_splat(builder, vt, scalar):
    """A ``vt`` vector with every lane ``scalar`` (a value of the lane type)."""
    i32 = ir.IntType(32)
    v = builder.insert_element(ir.Constant(vt, ir.Undefined), scalar, ir.Constant(i32, 0))
    return builder.shuffle_vector(v, ir.Constant(vt, ir.Undefined),
                                  ir.Constant(ir.VectorType(i32, vt.count), [0] * vt.count))


def _ir_resize_int(builder, v, vt):
    """Integer vector ``v`` zero-extended or truncated to ``vt`` (same lane count)."""
    if v.type.element.width < vt.element.width:
        return builder.zext(v, vt)
    if v.type.element.width > vt.element.width:
        return builder.trunc(v, vt)
    return v


def _ir_fixed_round(builder, acc, q, off, top):
    """``clamp((acc >> q) - off, 0, top)`` on integer lanes: logical shift, signed clamp
    (the rounding of :func:`_fir4_fixed`; ``q``, ``off``, ``top`` are splat vectors)."""
    acc = builder.sub(builder.lshr(acc, q), off)
    zero = ir.Constant(acc.type, 0)
    acc = builder.select(builder.icmp_signed("<", acc, zero), zero, acc)
    return builder.select(builder.icmp_signed(">", acc, top), top, acc)


def _ir_numer_round(builder, acc, den, top):
    """``clamp(trunc(fl(fl(float32(acc) c) + 1/2)), 0, top)`` on 32-bit integer lanes ``acc``
    (exact sums below ``2**24`` in magnitude) with ``c = fl(1 / den)`` in float32, for the
    int64 scalar ``den`` (``top``: a splat vector): the rounding of the numerator plans
    (:func:`_numer_weights`).  Plain ``fmul`` and ``fadd`` (no contraction, no fast-math)."""
    f32 = ir.FloatType()
    ft = ir.VectorType(f32, acc.type.count)
    c = builder.fdiv(ir.Constant(f32, 1.0), builder.sitofp(den, f32))
    v = builder.fmul(builder.sitofp(acc, ft), _ir_splat(builder, ft, c))
    v = builder.fadd(v, ir.Constant(ft, [0.5] * acc.type.count))
    acc = builder.fptosi(v, acc.type)
    zero = ir.Constant(acc.type, 0)
    acc = builder.select(builder.icmp_signed("<", acc, zero), zero, acc)
    return builder.select(builder.icmp_signed(">", acc, top), top, acc)


def _ir_tie_round(builder, acc, q):
    """``(k, tie)`` for the int32 lanes ``acc = X`` of a tie-checked numerator plan
    (:func:`_tie_weights`, positive ``X``) and its int64 scalar divisor ``q = 2 D``: ``k =
    floor(X / q)`` from the float32 candidate ``trunc(fma(fl(X), fl(1 / q), -1/4))`` (one
    less than ``k`` or ``k`` itself), corrected once in int32 where ``r = X - q k >= q``;
    ``tie``: the lanes with ``X = q k`` (``X / q`` an integer: a tie of ``S / D``)."""
    vt = acc.type
    f32 = ir.FloatType()
    ft = ir.VectorType(f32, vt.count)
    c = builder.fdiv(ir.Constant(f32, 1.0), builder.sitofp(q, f32))
    fma = builder.module.declare_intrinsic("llvm.fma.v%df32" % vt.count,
                                           fnty=ir.FunctionType(ft, [ft, ft, ft]))
    v = builder.call(fma, [builder.sitofp(acc, ft), _ir_splat(builder, ft, c),
                           ir.Constant(ft, [-0.25] * vt.count)])
    k = builder.fptosi(v, vt)
    qv = _ir_splat(builder, vt, builder.trunc(q, ir.IntType(32)))
    r = builder.sub(acc, builder.mul(k, qv))
    high = builder.icmp_signed(">=", r, qv)
    k = builder.sub(k, builder.sext(high, vt))
    r = builder.sub(r, builder.select(high, qv, ir.Constant(vt, [0] * vt.count)))
    return k, builder.icmp_signed("==", r, ir.Constant(vt, [0] * vt.count))


def _ir_store_interleaved(builder, data, off, vecs, mask, size):
    """Store :func:`_ir_interleave` of ``vecs`` at element ``off`` of the array ``data``."""
    out = _ir_interleave(builder, vecs, mask)
    ptr = builder.bitcast(builder.gep(data, [off]), out.type.as_pointer())
    builder.store(out, ptr, align=size)


def _ir_interleave(builder, vecs, mask):
    """One ``shufflevector`` permuting the concatenation of the equal-length vectors
    ``vecs`` by ``mask`` (the vectors are concatenated pairwise; an odd one out pairs with
    undef)."""
    i32 = ir.IntType(32)
    width = vecs[0].type.count
    while len(vecs) > 1:
        if len(vecs) % 2:
            vecs.append(ir.Constant(vecs[0].type, ir.Undefined))
        cat = ir.Constant(ir.VectorType(i32, 2 * width), list(range(2 * width)))
        vecs = [builder.shuffle_vector(vecs[i], vecs[i + 1], cat) for i in range(0, len(vecs), 2)]
        width *= 2
    perm = ir.Constant(ir.VectorType(i32, len(mask)), mask)
    return builder.shuffle_vector(vecs[0], ir.Constant(vecs[0].type, ir.Undefined), perm)


def _shuffle_interleave(nphase, nch, groups):
    """An ``@intrinsic`` ``block(o, o_off, r, r_off)`` doing ``groups`` pixels of
    :func:`_interleave_phases`: ``o[o_off + (nphase g + p) nch + c] = r[p, r_off + g nch + c]``.

    It emits plain LLVM IR: one vector load per phase row, one ``shufflevector`` permutation
    of their concatenation, one vector store.  LLVM lowers the generic shuffle for whatever
    CPU it compiles for (no target-specific intrinsics); on AVX2 the 3-channel float32 and
    uint8 patterns become a few permutes and blends, where the loop form compiles to one
    scalar move per element for float32 (measured per 512-pixel row, L1-resident: float32
    four phases 2.1 -> 0.8 us, two phases 0.47 -> 0.35 us; uint8 four phases 0.78 -> 0.41
    us against the two-stage byte version it replaced).  ``o`` and ``r`` must be C-contiguous
    (``r`` 2-D, rows of at least ``r_off + groups * nch`` elements)."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    seg = groups * nch
    mask = [p * seg + g * nch + c for g in range(groups) for p in range(nphase) for c in range(nch)]

    @intrinsic
    def block(typingctx, o, o_off, r, r_off):
        if not (isinstance(o, types.Array) and isinstance(r, types.Array) and o.ndim == 1
                and r.ndim == 2 and o.layout == "C" and r.layout == "C" and o.dtype == r.dtype):
            raise errors.TypingError("shuffle interleave needs C-contiguous 1-D o and 2-D r "
                                     "of one dtype")
        sig = types.void(o, types.intp, r, types.intp)

        def codegen(context, builder, signature, args):
            oval, ooff, rval, roff = args
            oarr = context.make_array(signature.args[0])(context, builder, oval)
            rarr = context.make_array(signature.args[2])(context, builder, rval)
            ety = context.get_data_type(signature.args[2].dtype)
            size = context.get_abi_sizeof(ety)
            row_stride = builder.extract_value(rarr.strides, 0)
            base = builder.bitcast(rarr.data, ir.IntType(8).as_pointer())
            start = builder.mul(roff, context.get_constant(types.intp, size))
            vecs = []
            for p in range(nphase):
                step = builder.mul(row_stride, context.get_constant(types.intp, p))
                ptr = builder.gep(base, [builder.add(start, step)])
                ptr = builder.bitcast(ptr, ir.VectorType(ety, seg).as_pointer())
                vecs.append(builder.load(ptr, align=size))
            _ir_store_interleaved(builder, oarr.data, ooff, vecs, mask, size)
            return context.get_dummy_value()

        return sig, codegen

    return block


_il_1x2 = _shuffle_interleave(2, 1, 2 * _IL_G)
_il_1x3 = _shuffle_interleave(3, 1, 2 * _IL_G)
_il_1x4 = _shuffle_interleave(4, 1, 2 * _IL_G)
_il_3x2 = _shuffle_interleave(2, 3, _IL_G)
_il_3x3 = _shuffle_interleave(3, 3, _IL_G)
_il_3x4 = _shuffle_interleave(4, 3, _IL_G)
# bytes: 16-pixel blocks (LLVM lowers the 8-pixel 3-phase byte shuffle, <72 x i8>, to slow
# code: 3.8 against 0.10 for 16 pixels, per 512-pixel row in relative units)
_il_3x2_b = _shuffle_interleave(2, 3, 2 * _IL_G)
_il_3x3_b = _shuffle_interleave(3, 3, 2 * _IL_G)
_il_3x4_b = _shuffle_interleave(4, 3, 2 * _IL_G)
_il_1x5 = _shuffle_interleave(5, 1, 2 * _IL_G)
_il_3x5 = _shuffle_interleave(5, 3, _IL_G)
_il_3x5_b = _shuffle_interleave(5, 3, 2 * _IL_G)
# 2 and 4 channels (gray + alpha, RGBA), any dtype: 8-pixel blocks (measured per 1024 rows of
# 509 pixels, two phases, against the scalar loop: float32 4 channels 10.0 -> 0.93 ms, uint16
# 7.0 -> 0.30 ms; 16-pixel blocks were no faster)
_il_2x2 = _shuffle_interleave(2, 2, _IL_G)
_il_2x3 = _shuffle_interleave(3, 2, _IL_G)
_il_2x4 = _shuffle_interleave(4, 2, _IL_G)
_il_2x5 = _shuffle_interleave(5, 2, _IL_G)
_il_4x2 = _shuffle_interleave(2, 4, _IL_G)
_il_4x3 = _shuffle_interleave(3, 4, _IL_G)
_il_4x4 = _shuffle_interleave(4, 4, _IL_G)
_il_4x5 = _shuffle_interleave(5, 4, _IL_G)


def _ir_fir_streamed(builder, context, oarr, o_off, xarr, x_off, tap_off, tap_w, xty, nphase,
                     nch, ntaps, seg, mask, nt=True):
    """The NT twin of a :func:`_fir_interleave` block's body: the same per-lane arithmetic on
    32-byte vectors (each phase's ``seg`` lanes as ``seg / L`` vectors of ``L = 32 / size``
    lanes), each 32-byte piece of the interleaved block assembled from the two to four phase
    vectors it draws on by two-input shuffles, and stored with a non-temporal (streaming)
    store to ``o[o_off + 32-byte piece]``, which must be 32-byte aligned (``nt=False``: plain
    unaligned stores, the shared-taps blocks' plain twin).  Taps whose ``tap_off`` is one IR
    value (shared taps) are loaded once per piece, and each piece's loads then serve every
    phase before the next piece's are made (fewer live vectors); other blocks are built phase
    by phase as before (with piece by piece everywhere, 512x512x3 float32 x5 took 8-12% longer
    in three old / new package comparisons; the block loops alone did not tell the orders
    apart through this host's noise).

    Streaming stores write whole cache lines to memory without first reading them (a plain
    store of a line that is not cached reads it: twice the memory traffic).  ``tap_off(i)`` and
    ``tap_w(i)`` give tap ``i = ntaps p + k``'s offset and weight as IR values.  The body is
    built from vectors of a legal width because LLVM lowers a non-temporal store of the
    one wide ``shufflevector`` that :func:`_ir_store_interleaved` stores into a scalar
    element-by-element sequence (measured: a 1.7 KiB stack frame, 3x slower)."""
    from numba.core import types

    i32 = ir.IntType(32)
    size = context.get_abi_sizeof(xty)
    lanes = 32 // size
    vt = ir.VectorType(xty, lanes)
    pieces = {}
    loads = {}  # one load per (offset value, piece): taps that share an offset share it
    offsets = [tap_off(i) for i in range(nphase * ntaps)]  # kept alive: their ids key loads
    if len({id(off) for off in offsets}) < len(offsets):
        # shared taps: piece by piece, each piece's loads serving every phase
        order = [(p, v) for v in range(seg // lanes) for p in range(nphase)]
    else:
        order = [(p, v) for p in range(nphase) for v in range(seg // lanes)]
    for p, v in order:
        acc = ir.Constant(vt, [0.0] * lanes)
        for k in range(ntaps):
            off = offsets[ntaps * p + k]
            if (id(off), v) not in loads:
                start = builder.add(builder.add(x_off, off),
                                    context.get_constant(types.intp, v * lanes))
                loads[(id(off), v)] = builder.load(builder.bitcast(
                    builder.gep(xarr.data, [start]), vt.as_pointer()), align=size)
            acc = builder.fadd(acc, builder.fmul(_ir_splat(builder, vt, tap_w(ntaps * p + k)),
                                                 loads[(id(off), v)]))
        pieces[(p, v)] = acc
    undef = ir.Constant(vt, ir.Undefined)
    nontemporal = builder.module.add_metadata([ir.Constant(i32, 1)])

    def store(q, vec):
        off = builder.add(o_off, context.get_constant(types.intp, q * lanes))
        st = builder.store(vec, builder.bitcast(builder.gep(oarr.data, [off]), vt.as_pointer()),
                           align=32 if nt else size)
        if nt:
            st.set_metadata("nontemporal", nontemporal)

    if nch == 1 and nphase in (2, 4):
        # gray, 2 or 4 phases: the interleave is a transpose; zip(a, b) of two runs of vectors
        # (a0 b0 a1 b1 ...) as two-input shuffles LLVM maps to unpack / 128-bit permutes
        half = lanes // 2

        def zip_runs(a, b):
            out = []
            for u, v in zip(a, b):
                for h in (0, half):
                    m = [t for e in range(h, h + half) for t in (e, lanes + e)]
                    out.append(builder.shuffle_vector(u, v, ir.Constant(ir.VectorType(i32, lanes), m)))
            return out

        runs = [[pieces[(p, v)] for v in range(seg // lanes)] for p in range(nphase)]
        if nphase == 2:
            vecs = zip_runs(runs[0], runs[1])
        else:
            vecs = zip_runs(zip_runs(runs[0], runs[2]), zip_runs(runs[1], runs[3]))
        for q, vec in enumerate(vecs):
            store(q, vec)
        return
    for q in range(len(mask) // lanes):
        # lane l of piece q is lane src[l][1] of phase vector src[l][0]
        src = [((mask[q * lanes + l] // seg, (mask[q * lanes + l] % seg) // lanes),
                (mask[q * lanes + l] % seg) % lanes) for l in range(lanes)]
        keys = list(dict.fromkeys(key for key, _ in src))
        vec, have = None, [False] * lanes
        for i in range(0, len(keys), 2):
            pair = keys[i:i + 2]
            sel = [None] * lanes
            for l, (key, lane) in enumerate(src):
                if key in pair:
                    sel[l] = lane + lanes * pair.index(key)
            part = builder.shuffle_vector(
                pieces[pair[0]], pieces[pair[1]] if len(pair) == 2 else undef,
                ir.Constant(ir.VectorType(i32, lanes), [0 if t is None else t for t in sel]))
            if vec is None:
                vec = part
            else:
                vec = builder.shuffle_vector(vec, part, ir.Constant(
                    ir.VectorType(i32, lanes), [l if have[l] else lanes + l for l in range(lanes)]))
            have = [have[l] or sel[l] is not None for l in range(lanes)]
        store(q, vec)


def _fir_interleave(nphase, nch, groups, ntaps=4, streamed=False, shared=False):
    """An ``@intrinsic`` ``block(o, o_off, x, x_off, offs, w)``: ``groups`` pixels of all
    ``nphase`` output phases of a ``ntaps``-tap (4, or 2 for bilinear) float columns pass
    with periodic weights (integer
    factors, or fractional ones on pixel-phase planes), filtered and interleaved in registers
    (no phase rows in memory)::

        v_p[e] = ((0 + w[p, 0] a_0[e]) + w[p, 1] a_1[e]) + ...,  a_k[e] = x[x_off + offs[p, k] + e]
        o[o_off + (nphase g + p) nch + c] = v_p[g nch + c]                  (e < groups * nch)

    Float lanes of ``x``'s dtype with a separate multiply and add per tap in tap order (no
    contraction): the bits of :func:`_fir4` in MODE_FLOAT, so every path gives a pixel the
    same value.  ``offs`` (intp) and ``w`` (``x``'s dtype) are C-contiguous
    ``(nphase, ntaps)``;
    ``o`` and ``x`` 1-D C-contiguous.  Measured against filtering each phase into a row and
    interleaving it (:func:`_interleave_phases`), one thread, 512x512x3 float32: x2 3.2 ->
    2.3 ms, x4 10.6 -> 8.2 ms.  The same blocks in integer lanes (fixed point) were slower than
    :func:`_fir4_fixed` plus the byte interleave (uint8 x2 1.3 -> 1.7 ms, x4 6.9 -> 7.6), so
    integer images keep that.

    ``streamed=True``: the same values written by :func:`_ir_fir_streamed` (non-temporal
    stores; ``o[o_off]`` must be 32-byte aligned).

    ``shared=True``: for tables whose phases all read the same taps (``offs`` rows equal:
    even integer factors, see :meth:`_TablePlan.pixel_planes`) each tap is loaded once, from
    ``offs[0]``, and serves every phase; plain or streamed, the body is
    :func:`_ir_fir_streamed`'s (same values: only the duplicate loads go).  Measured per
    block loop (one thread, float32, 1024 / 2048 rows of 512 px x3 or 1024 gray into a large
    output): gray x2 0.47 -> 0.30 ms, gray x4 1.62 -> 1.26 ms; streamed: 3-channel x4 2.37 ->
    1.97 ms, gray x4 2.32 -> 1.78 ms."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    seg = groups * nch
    mask = [p * seg + g * nch + c for g in range(groups) for p in range(nphase) for c in range(nch)]

    @intrinsic
    def block(typingctx, o, o_off, x, x_off, offs, w):
        # o of another dtype (an integer image) types too, for callers whose float branch is
        # only reached at run time with a float output; the block raises if ever reached
        if not (all(isinstance(a, types.Array) and a.layout == "C" for a in (o, x, offs, w))
                and o.ndim == 1 and x.ndim == 1 and offs.ndim == 2 and w.ndim == 2
                and offs.dtype == types.intp and isinstance(x.dtype, types.Float)
                and w.dtype == x.dtype):
            raise errors.TypingError("fir-interleave block: unsupported arguments")
        sig = types.void(o, types.intp, x, types.intp, offs, w)

        def codegen(context, builder, signature, args):
            if signature.args[0].dtype != signature.args[2].dtype:
                with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
                    context.call_conv.return_user_exc(
                        builder, TypeError, ("fir-interleave block: float lanes, integer output",))
                return context.get_dummy_value()
            oarr, xarr, offarr, warr = (
                context.make_array(signature.args[i])(context, builder, args[i])
                for i in (0, 2, 4, 5))
            xty = context.get_data_type(signature.args[2].dtype)
            size = context.get_abi_sizeof(xty)
            vt = ir.VectorType(xty, seg)

            def elem(arr, i):
                return builder.load(builder.gep(arr.data, [context.get_constant(types.intp, i)]))

            offsets = {}

            def tap_off(i):
                # shared: tap k of every phase is tap k of phase 0 (one IR value, so the
                # loads at that offset are one load too)
                i = i % ntaps if shared else i
                if i not in offsets:
                    offsets[i] = elem(offarr, i)
                return offsets[i]

            if streamed or shared:
                _ir_fir_streamed(builder, context, oarr, args[1], xarr, args[3], tap_off,
                                 lambda i: elem(warr, i), xty, nphase, nch, ntaps, seg, mask,
                                 streamed)
                return context.get_dummy_value()
            vecs = []
            for p in range(nphase):
                acc = ir.Constant(vt, [0.0] * seg)
                for k in range(ntaps):
                    start = builder.add(args[3], elem(offarr, ntaps * p + k))
                    a = builder.load(builder.bitcast(builder.gep(xarr.data, [start]),
                                                     vt.as_pointer()), align=size)
                    acc = builder.fadd(acc, builder.fmul(
                        _ir_splat(builder, vt, elem(warr, ntaps * p + k)), a))
                vecs.append(acc)
            _ir_store_interleaved(builder, oarr.data, args[1], vecs, mask, size)
            return context.get_dummy_value()

        return sig, codegen

    return block


def _ir_unary_fn(builder, name, vt):
    """The generic LLVM intrinsic ``llvm.<name>`` (floor, fabs) on float32 or float64
    vectors ``vt``."""
    bits = 64 if isinstance(vt.element, ir.DoubleType) else 32
    return builder.module.declare_intrinsic("llvm.%s.v%df%d" % (name, vt.count, bits),
                                            fnty=ir.FunctionType(vt, [vt]))


def _check_block():
    """An ``@intrinsic`` ``block(out, oo, src, starts, stride, t, w, c) -> int``: ``_CHK_PX``
    outputs of a ``K``-tap checked table (MODE_CHECK: integer output, float32 accumulation)
    filtered, rounded, stored and near-tie tested in registers, ``K = len(starts) = len(w)``
    (tuples, so the loop-invariant offsets and weights stay in registers; ``c = (half, top,
    bound)``)::

        v[e] = ((0 + w[0] x_0[e]) + w[1] x_1[e]) + ...,
        x_k[e] = src.flat[starts[k] stride + t + e]
        out[oo + e] = floor(clamp(v[e] + half, 0, top))
        returns the mask sum_e 2**e [|v[e] - floor(v[e]) - half| <= bound]

    the sweeps of :func:`_fir_rows` / :func:`_fir_il`, :func:`_store` and the near-tie count in
    one.  Multiply and add may contract to FMA (float32 into integer outputs: the bound of
    :func:`_int_plan` holds with it).  The caller recomputes the outputs of the mask's set bits
    (the near ties) in float64 in tap order.  ``src`` is uint8 or float32 (converted per tap),
    ``out`` uint8, float32 or float64 (the fused passes' columns-pass row, in the columns
    table's accumulation type: a checked rows table before a float64 columns one, as
    bilinear x0.7 of 9-row images or lanczos2 x1.5 of 20-row ones); other dtypes type (the
    kernels compile every branch) but raise if reached."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out, oo, src, starts, stride, t, w, c):
        if not (isinstance(out, types.Array) and out.ndim == 1 and out.layout == "C"
                and isinstance(src, types.Array) and src.layout == "C"
                and isinstance(starts, types.UniTuple) and isinstance(starts.dtype, types.Integer)
                and isinstance(w, types.UniTuple) and w.count == starts.count
                and isinstance(c, types.UniTuple) and c.count == 3):
            raise errors.TypingError("checked block: unsupported arguments")
        sig = types.int64(out, types.intp, src, starts, types.intp, types.intp, w, c)

        def codegen(context, builder, signature, args):
            sdt, odt = signature.args[2].dtype, signature.args[0].dtype
            ntaps = signature.args[3].count
            if not (sdt in (types.uint8, types.float32)
                    and odt in (types.uint8, types.float32, types.float64)
                    and signature.args[6].dtype == types.float32
                    and signature.args[7].dtype == types.float32):
                with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
                    context.call_conv.return_user_exc(
                        builder, TypeError, ("checked block: unsupported dtypes",))
                return ir.Constant(ir.IntType(64), 0)
            oarr = context.make_array(signature.args[0])(context, builder, args[0])
            sarr = context.make_array(signature.args[2])(context, builder, args[2])
            vt = ir.VectorType(ir.FloatType(), 8)
            sty = context.get_data_type(sdt)
            ssize = context.get_abi_sizeof(sty)
            flags = ("contract",)
            w = [_ir_splat(builder, vt, builder.extract_value(args[6], k)) for k in range(ntaps)]
            halfv, topv, boundv = (_ir_splat(builder, vt, builder.extract_value(args[7], k))
                                   for k in range(3))
            zero = ir.Constant(vt, [0.0] * 8)
            floor = _ir_unary_fn(builder, "floor", vt)
            fabs = _ir_unary_fn(builder, "fabs", vt)
            starts = [builder.add(builder.mul(builder.extract_value(args[3], k), args[4]),
                                  args[5]) for k in range(ntaps)]
            ties = []
            outs = []
            for e in range(0, _CHK_PX, 8):
                v = zero
                for k in range(ntaps):
                    start = builder.add(starts[k], context.get_constant(types.intp, e))
                    ptr = builder.bitcast(builder.gep(sarr.data, [start]),
                                          ir.VectorType(sty, 8).as_pointer())
                    x = builder.load(ptr, align=ssize)
                    if sdt != types.float32:
                        x = builder.uitofp(x, vt)
                    v = builder.fadd(v, builder.fmul(w[k], x, flags=flags), flags=flags)
                r = builder.fadd(v, halfv)
                r = builder.select(builder.fcmp_ordered("<", r, zero), zero, r)
                r = builder.select(builder.fcmp_ordered(">", r, topv), topv, r)
                outs.append(r)
                frac = builder.fsub(builder.fsub(v, builder.call(floor, [v])), halfv)
                ties.append(builder.fcmp_ordered("<=", builder.call(fabs, [frac]), boundv))
            cat16 = ir.Constant(ir.VectorType(ir.IntType(32), 16), list(range(16)))
            cat = builder.shuffle_vector(outs[0], outs[1], cat16)
            oty = context.get_data_type(odt)
            ovt = ir.VectorType(oty, _CHK_PX)
            if odt == types.uint8:
                val = builder.trunc(builder.fptosi(cat, ir.VectorType(ir.IntType(32), 16)), ovt)
            else:  # the rounded values are integers: exact in float32 and float64
                val = builder.call(_ir_unary_fn(builder, "floor", cat.type), [cat])
                if odt == types.float64:
                    val = builder.fpext(val, ovt)
            optr = builder.bitcast(builder.gep(oarr.data, [args[1]]), ovt.as_pointer())
            builder.store(val, optr, align=context.get_abi_sizeof(oty))
            mask = builder.bitcast(builder.shuffle_vector(ties[0], ties[1], cat16),
                                   ir.IntType(16))
            return builder.zext(mask, ir.IntType(64))

        return sig, codegen

    return block


_CHK_PX = 16  # outputs per checked block (the bits of its mask)
# tap counts with a checked block: 4 (bicubic x3, x1.5, x2.5, lanczos2), 6 (lanczos3,
# bicubic x0.75), 8, 12 (bicubic x1/3, lanczos3 x0.5); the tuples of their offsets/weights


@jit
def _tup4(a):
    return (a[0], a[1], a[2], a[3])


@jit
def _tup6(a):
    return (a[0], a[1], a[2], a[3], a[4], a[5])


@jit
def _tup8(a):
    return (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])


@jit
def _tup12(a):
    return (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11])


@jit
def _lowest_bit(mask):
    """The index of the lowest set bit of the integer ``mask > 0`` (``tzcnt``)."""
    return trailing_zeros(mask)


_chk = _check_block()


_FI_G1 = 16  # pixels per fir-interleave block, gray
_FI_G3 = 8  # pixels per fir-interleave block, 3 channels
_fi_1x2 = _fir_interleave(2, 1, _FI_G1)
_fi_1x3 = _fir_interleave(3, 1, _FI_G1)
_fi_1x4 = _fir_interleave(4, 1, _FI_G1)
_fi_3x2 = _fir_interleave(2, 3, _FI_G3)
_fi_3x3 = _fir_interleave(3, 3, _FI_G3)
_fi_3x4 = _fir_interleave(4, 3, _FI_G3)
_fi_1x5 = _fir_interleave(5, 1, _FI_G1)
_fi_3x5 = _fir_interleave(5, 3, _FI_G3)
# two taps (bilinear upscales)
_fi2_1x2 = _fir_interleave(2, 1, _FI_G1, 2)
_fi2_1x3 = _fir_interleave(3, 1, _FI_G1, 2)
_fi2_1x4 = _fir_interleave(4, 1, _FI_G1, 2)
_fi2_1x5 = _fir_interleave(5, 1, _FI_G1, 2)
_fi2_3x2 = _fir_interleave(2, 3, _FI_G3, 2)
_fi2_3x3 = _fir_interleave(3, 3, _FI_G3, 2)
_fi2_3x4 = _fir_interleave(4, 3, _FI_G3, 2)
_fi2_3x5 = _fir_interleave(5, 3, _FI_G3, 2)
# the same blocks with streaming stores (32-byte aligned blocks of large outputs)
_fis_1x2 = _fir_interleave(2, 1, _FI_G1, 4, True)
_fis_1x3 = _fir_interleave(3, 1, _FI_G1, 4, True)
_fis_1x4 = _fir_interleave(4, 1, _FI_G1, 4, True)
_fis_1x5 = _fir_interleave(5, 1, _FI_G1, 4, True)
_fis_3x2 = _fir_interleave(2, 3, _FI_G3, 4, True)
_fis_3x3 = _fir_interleave(3, 3, _FI_G3, 4, True)
_fis_3x4 = _fir_interleave(4, 3, _FI_G3, 4, True)
_fis_3x5 = _fir_interleave(5, 3, _FI_G3, 4, True)
_fis2_1x2 = _fir_interleave(2, 1, _FI_G1, 2, True)
_fis2_1x3 = _fir_interleave(3, 1, _FI_G1, 2, True)
_fis2_1x4 = _fir_interleave(4, 1, _FI_G1, 2, True)
_fis2_1x5 = _fir_interleave(5, 1, _FI_G1, 2, True)
_fis2_3x2 = _fir_interleave(2, 3, _FI_G3, 2, True)
_fis2_3x3 = _fir_interleave(3, 3, _FI_G3, 2, True)
_fis2_3x4 = _fir_interleave(4, 3, _FI_G3, 2, True)
_fis2_3x5 = _fir_interleave(5, 3, _FI_G3, 2, True)
# phases reading the same taps (even integer factors: 2 or 4 phases), each tap loaded once
_fh_1x2 = _fir_interleave(2, 1, _FI_G1, 4, False, True)
_fh_1x4 = _fir_interleave(4, 1, _FI_G1, 4, False, True)
_fh_3x2 = _fir_interleave(2, 3, _FI_G3, 4, False, True)
_fh_3x4 = _fir_interleave(4, 3, _FI_G3, 4, False, True)
_fh2_1x2 = _fir_interleave(2, 1, _FI_G1, 2, False, True)
_fh2_1x4 = _fir_interleave(4, 1, _FI_G1, 2, False, True)
_fh2_3x2 = _fir_interleave(2, 3, _FI_G3, 2, False, True)
_fh2_3x4 = _fir_interleave(4, 3, _FI_G3, 2, False, True)
_fhs_1x2 = _fir_interleave(2, 1, _FI_G1, 4, True, True)
_fhs_1x4 = _fir_interleave(4, 1, _FI_G1, 4, True, True)
_fhs_3x2 = _fir_interleave(2, 3, _FI_G3, 4, True, True)
_fhs_3x4 = _fir_interleave(4, 3, _FI_G3, 4, True, True)
_fhs2_1x2 = _fir_interleave(2, 1, _FI_G1, 2, True, True)
_fhs2_1x4 = _fir_interleave(4, 1, _FI_G1, 2, True, True)
_fhs2_3x2 = _fir_interleave(2, 3, _FI_G3, 2, True, True)
_fhs2_3x4 = _fir_interleave(4, 3, _FI_G3, 2, True, True)


def _store_fence_intrinsic():
    """An ``@intrinsic`` ``fence()`` ordering the streaming stores before it with everything
    after (``sfence`` on x86, where streaming stores are weakly ordered and LLVM's own
    sequentially consistent fence is a locked instruction; a ``seq_cst`` fence elsewhere): a
    thread calls it after its last streamed block, before another thread may read the
    output."""
    import llvmlite.binding as llvm
    from numba.core import types
    from numba.extending import intrinsic

    x86 = llvm.get_default_triple().split("-")[0] in ("x86_64", "i386", "i686")

    @intrinsic
    def fence(typingctx):
        def codegen(context, builder, signature, args):
            if x86:
                _ir_x86(builder, "sse.sfence", ir.VoidType())
            else:  # pragma: no cover - x86 here
                builder.fence("seq_cst")
            return context.get_dummy_value()

        return types.void(), codegen

    return fence


_store_fence = _store_fence_intrinsic()


def _bits_f64_intrinsic():
    """An ``@intrinsic`` ``f(bits)``: the float64 whose IEEE bits are the int64 ``bits`` (a
    register bitcast; the tie-checked plans keep their rows' float64 weights in their int64
    tables, :func:`_tie_weights`)."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def f(typingctx, bits):
        if bits != types.int64:
            raise errors.TypingError("_bits_f64: int64 only")

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(types.int64), codegen

    return f


_bits_f64 = _bits_f64_intrinsic()


def _fir_line_intrinsic():
    """An ``@intrinsic`` ``line(o, t, rows, ws)``: the 64 bytes of ``o`` from element ``t``
    (64-byte aligned) set to ``((0 + ws[0] rows[0][u]) + ws[1] rows[1][u]) + ...`` for each
    ``u`` there, written with streaming (non-temporal) stores.

    ``rows`` is a tuple of 1-D C-contiguous arrays of ``o``'s float dtype (the rows-pass taps),
    ``ws`` a tuple of as many weights of that dtype: :func:`_fir4` / :func:`_fir2`'s MODE_FLOAT
    arithmetic (a multiply, then an add, in tap order) on 32-byte vectors, so the same bits.
    Other dtypes (integer rows or output) type too, for callers whose streamed branch is only
    reached with float ones; the line raises if ever reached with them."""
    from numba.core import cgutils, errors, types
    from numba.extending import intrinsic

    @intrinsic
    def line(typingctx, o, t, rows, ws):
        if not (isinstance(o, types.Array) and o.ndim == 1 and o.layout == "C"
                and isinstance(rows, types.UniTuple) and isinstance(rows.dtype, types.Array)
                and rows.dtype.ndim == 1 and rows.dtype.layout == "C"
                and isinstance(ws, types.UniTuple) and isinstance(ws.dtype, types.Float)
                and len(ws) == len(rows)):
            raise errors.TypingError("streamed FIR line: unsupported arguments")
        sig = types.void(o, types.intp, rows, ws)

        def codegen(context, builder, signature, args):
            oty, _, rty, wty = signature.args
            if not (isinstance(oty.dtype, types.Float)
                    and oty.dtype == rty.dtype.dtype == wty.dtype):
                with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
                    context.call_conv.return_user_exc(builder, TypeError, (
                        "streamed FIR line: rows, weights and output of one float dtype",))
                return context.get_dummy_value()
            oarr = context.make_array(oty)(context, builder, args[0])
            arrs = [context.make_array(rty.dtype)(context, builder, a)
                    for a in cgutils.unpack_tuple(builder, args[2])]
            xty = context.get_data_type(rty.dtype.dtype)
            size = context.get_abi_sizeof(xty)
            lanes = 32 // size
            vt = ir.VectorType(xty, lanes)
            ws_ = [_ir_splat(builder, vt, w) for w in cgutils.unpack_tuple(builder, args[3])]
            nontemporal = builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)])
            for v in range(2):  # two 32-byte vectors: one cache line
                off = builder.add(args[1], context.get_constant(types.intp, v * lanes))
                acc = ir.Constant(vt, [0.0] * lanes)
                for arr, w in zip(arrs, ws_):
                    a = builder.load(builder.bitcast(builder.gep(arr.data, [off]),
                                                     vt.as_pointer()), align=size)
                    acc = builder.fadd(acc, builder.fmul(w, a))
                st = builder.store(acc, builder.bitcast(builder.gep(oarr.data, [off]),
                                                        vt.as_pointer()), align=32)
                st.set_metadata("nontemporal", nontemporal)
            return context.get_dummy_value()

        return sig, codegen

    return line


_fir_line = _fir_line_intrinsic()


@jit
def _fir_span(out, rows, ws, t0, t1):
    """``out[t] = ((0 + ws[0] rows[0][t]) + ws[1] rows[1][t]) + ...`` for ``t0 <= t < t1``
    (the head and tail of :func:`_stream_row`; :func:`_fir4`'s MODE_FLOAT arithmetic)."""
    _align_stack()
    zero = ws[0] - ws[0]  # +0 in the accumulation type
    for t in range(t0, t1):
        v = zero
        for k in range(len(rows)):
            v = v + ws[k] * rows[k][t]
        out[t] = v


@jit
def _stream_row(out, rows, ws):
    """A float rows-pass output row from its taps ``rows`` and weights ``ws`` (tuples of two
    or four), the whole 64-byte lines of ``out`` written by streaming stores
    (:func:`_fir_line`), the elements before the first and after the last by
    :func:`_fir_span`.  The caller fences (:func:`_store_fence`) before the output is read."""
    _align_stack()
    n = out.shape[0]
    step = 64 // out.itemsize
    head = min(n, ((-out.ctypes.data) % 64) // out.itemsize)
    body = head + (n - head) // step * step
    _fir_span(out, rows, ws, 0, head)
    for t in range(head, body, step):
        _fir_line(out, t, rows, ws)
    _fir_span(out, rows, ws, body, n)


@jit
def _fir_interleave_row(o, x, nch, nphase, mper, offs, w, streamed, shared):
    """All ``mper`` pixels of the ``nphase`` phases of a four- or two-tap float columns pass
    into ``o`` by :func:`_fir_interleave` blocks (the last block overlaps the one before and
    rewrites some outputs with the same values).  Returns False, writing nothing, for
    channel/phase/tap counts without a block or fewer pixels than one block.

    ``shared``: every row of ``offs`` is the same (the caller guarantees it): gray rows and
    streamed 3-channel rows of 2 and 4 phases then take the shared-taps blocks (``_fh``:
    each tap loaded once for all phases).  Measured in one process (one thread, alternating,
    shared off / on, float32): 1024x1024 gray x2 1.09-1.11x, x4 1.06-1.07x, 512x512x3 x4
    (streamed) 1.14x; plain 3-channel rows gained nothing end to end (x2 0.97-1.03x) and their
    four-phase block was slower with the row in L1, so they keep the others.

    ``streamed``: a row ``o`` that starts on a 32-byte boundary is written with streaming
    stores (:func:`_fir_interleave_row4s`; every block is a multiple of 32 bytes long, so all
    but the last, overlapping one are aligned); the caller fences after its last row.  The
    choice is made once per row: a per-block branch between the plain and streamed blocks
    in one loop made the plain rows 20% slower (measured, 512x512x3 float32 x2)."""
    if not _JIT:
        return False
    g = _FI_G1 if nch == 1 else _FI_G3
    if mper < g or not (nch == 1 or nch == 3) or not (2 <= nphase <= 5):
        return False
    streamed = streamed and o.ctypes.data % 32 == 0
    shared = shared and (nphase == 2 or nphase == 4) and (nch == 1 or streamed)
    if offs.shape[1] == 4:
        if streamed:
            _fir_interleave_row4s(o, x, nch, nphase, mper, offs, w, g, shared)
        else:
            _fir_interleave_row4(o, x, nch, nphase, mper, offs, w, g, shared)
        return True
    if offs.shape[1] == 2:
        if streamed:
            _fir_interleave_row2s(o, x, nch, nphase, mper, offs, w, g, shared)
        else:
            _fir_interleave_row2(o, x, nch, nphase, mper, offs, w, g, shared)
        return True
    return False


# Four loops of the same shape on purpose (four and two taps, plain and streamed): one loop
# choosing among the sixteen blocks per block measured 15-25% slower for 512x512x3 float32
# x2 / x4, one block per shape with a branch between two and four taps inside (phi of the
# phase vectors) 2x slower, and a per-block branch between plain and streamed blocks made
# the plain rows ~20% slower (session 10).
@jit
def _fir_interleave_row4(o, x, nch, nphase, mper, offs, w, g, shared):
    _align_stack()
    m = 0
    while m >= 0:
        oo = nphase * m * nch
        xo = m * nch
        if nch == 1:
            if nphase == 2:
                if shared:
                    _fh_1x2(o, oo, x, xo, offs, w)
                else:
                    _fi_1x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fi_1x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fh_1x4(o, oo, x, xo, offs, w)
                else:
                    _fi_1x4(o, oo, x, xo, offs, w)
            else:
                _fi_1x5(o, oo, x, xo, offs, w)
        else:
            if nphase == 2:
                if shared:
                    _fh_3x2(o, oo, x, xo, offs, w)
                else:
                    _fi_3x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fi_3x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fh_3x4(o, oo, x, xo, offs, w)
                else:
                    _fi_3x4(o, oo, x, xo, offs, w)
            else:
                _fi_3x5(o, oo, x, xo, offs, w)
        m = _next_block(m, g, mper)


@jit
def _fir_interleave_row4s(o, x, nch, nphase, mper, offs, w, g, shared):
    """:func:`_fir_interleave_row4` with streaming stores (``o`` 32-byte aligned): the
    full blocks stream, the last one (overlapping the one before) is plain."""
    _align_stack()
    m = 0
    while m + g <= mper:
        oo = nphase * m * nch
        xo = m * nch
        if nch == 1:
            if nphase == 2:
                if shared:
                    _fhs_1x2(o, oo, x, xo, offs, w)
                else:
                    _fis_1x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fis_1x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fhs_1x4(o, oo, x, xo, offs, w)
                else:
                    _fis_1x4(o, oo, x, xo, offs, w)
            else:
                _fis_1x5(o, oo, x, xo, offs, w)
        else:
            if nphase == 2:
                if shared:
                    _fhs_3x2(o, oo, x, xo, offs, w)
                else:
                    _fis_3x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fis_3x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fhs_3x4(o, oo, x, xo, offs, w)
                else:
                    _fis_3x4(o, oo, x, xo, offs, w)
            else:
                _fis_3x5(o, oo, x, xo, offs, w)
        m += g
    if m < mper:
        m = mper - g
        _fir_interleave_row4(o[nphase * m * nch:], x[m * nch:], nch, nphase, g, offs, w, g,
                             shared)


@jit
def _fir_interleave_row2(o, x, nch, nphase, mper, offs, w, g, shared):
    _align_stack()
    m = 0
    while m >= 0:
        oo = nphase * m * nch
        xo = m * nch
        if nch == 1:
            if nphase == 2:
                if shared:
                    _fh2_1x2(o, oo, x, xo, offs, w)
                else:
                    _fi2_1x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fi2_1x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fh2_1x4(o, oo, x, xo, offs, w)
                else:
                    _fi2_1x4(o, oo, x, xo, offs, w)
            else:
                _fi2_1x5(o, oo, x, xo, offs, w)
        else:
            if nphase == 2:
                if shared:
                    _fh2_3x2(o, oo, x, xo, offs, w)
                else:
                    _fi2_3x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fi2_3x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fh2_3x4(o, oo, x, xo, offs, w)
                else:
                    _fi2_3x4(o, oo, x, xo, offs, w)
            else:
                _fi2_3x5(o, oo, x, xo, offs, w)
        m = _next_block(m, g, mper)


@jit
def _fir_interleave_row2s(o, x, nch, nphase, mper, offs, w, g, shared):
    """:func:`_fir_interleave_row2` with streaming stores (``o`` 32-byte aligned): the
    full blocks stream, the last one (overlapping the one before) is plain."""
    _align_stack()
    m = 0
    while m + g <= mper:
        oo = nphase * m * nch
        xo = m * nch
        if nch == 1:
            if nphase == 2:
                if shared:
                    _fhs2_1x2(o, oo, x, xo, offs, w)
                else:
                    _fis2_1x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fis2_1x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fhs2_1x4(o, oo, x, xo, offs, w)
                else:
                    _fis2_1x4(o, oo, x, xo, offs, w)
            else:
                _fis2_1x5(o, oo, x, xo, offs, w)
        else:
            if nphase == 2:
                if shared:
                    _fhs2_3x2(o, oo, x, xo, offs, w)
                else:
                    _fis2_3x2(o, oo, x, xo, offs, w)
            elif nphase == 3:
                _fis2_3x3(o, oo, x, xo, offs, w)
            elif nphase == 4:
                if shared:
                    _fhs2_3x4(o, oo, x, xo, offs, w)
                else:
                    _fis2_3x4(o, oo, x, xo, offs, w)
            else:
                _fis2_3x5(o, oo, x, xo, offs, w)
        m += g
    if m < mper:
        m = mper - g
        _fir_interleave_row2(o[nphase * m * nch:], x[m * nch:], nch, nphase, g, offs, w, g,
                             shared)


# ---------------------------------------------------------------------------------------------
# float32 columns pass in output order (AVX-512 lane permutes)

_FD_LANES = 16  # float32 outputs per vector (one 64-byte line)
_FD_PAD = 2 * _FD_LANES  # elements a source row must be readable past its end (two windows)
#: entries of ``qs`` (:func:`_cols_row_il`): the grid is extended over the borders, the row's
#: offset in ``x``, ``x``'s extra length, the count of border pads (their pairs follow,
#: :func:`_extend_grid`)
_QS_EXT, _QS_XOFF, _QS_EXTRA, _QS_NPADS = 5, 6, 7, 8
_FD_HEAD = 6  # header length of the descriptors ``fdi`` (fields below :func:`_fd_block`)
_FD_VS = (1, 3, 5, 9)  # vectors per period with a block (``V``)
_FD_KS = (2, 4, 6)  # taps with a block
_FD_NONE = (np.zeros(_FD_HEAD, dtype=np.intp), np.zeros(0, dtype=np.float32))


def _fd_block(nvec, ntaps, nwin):
    """An ``@intrinsic`` ``block(o, x, fdi, fdw)``: a float32 columns pass of one row in
    output order, ``nvec`` vectors of 16 outputs per period of a periodic table, each output
    summed from its own ``ntaps`` taps in tap order (the bits of :func:`_fir4` in MODE_FLOAT:
    ``((0 + w_0 a_0) + w_1 a_1) + ...``, a separate multiply and add per tap)::

        o[t0 + 16 (V n + v) + l] = sum_k fdw[v, k, l] * x[n stride + base[v] + I[v, k, l]]

    for vectors ``V n + v < count``; then ``fdi[_FD_NX]`` more vectors, each with its own
    descriptors (output element, window start, indices and weights: the borders of the row,
    where the table is not periodic, overlapping the periodic vectors where they meet: the
    same values written twice), plain stores.  Each vector loads a window of ``16 nwin``
    source elements at ``n stride + base[v]`` and gathers every tap's lanes from it with one lane
    permute (``vpermps``, or ``vpermt2ps`` over two registers), so there are no phase rows,
    no interleave and no per-phase weights: the weights are per lane.  The ``2 V ntaps``
    index and weight vectors are loaded once per row (kept in registers for small ``V``).
    ``fdi`` (intp) holds the header (``t0, count, stride`` and the store kind at
    :data:`_FD_T0`...), the ``V`` bases and the indices; ``fdw`` (float32) the weights.  Whole
    periods run in a loop with streaming stores when ``fdi[_FD_NT]`` (``o`` then 64-byte
    aligned at ``t0``) or plain ones; the last partial period's vectors are plain.  ``x``
    must be readable ``16 nwin`` elements past the largest base (:data:`_FD_PAD`)."""
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, o, x, fdi, fdw):
        sig = types.void(o, x, fdi, fdw)

        def codegen(context, builder, signature, args):
            if not _target_has("avx512f"):
                with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
                    context.call_conv.return_user_exc(
                        builder, RuntimeError, ("output-order float32 block: needs AVX-512",))
                return context.get_dummy_value()
            oa, xa, ia, wa = (context.make_array(signature.args[i])(context, builder, args[i])
                              for i in range(4))
            f32, i32, i64 = ir.FloatType(), ir.IntType(32), ir.IntType(64)
            vf = ir.VectorType(f32, _FD_LANES)

            def at(arr, i):
                return builder.gep(arr.data, [i if isinstance(i, ir.Value) else _ir_intp(i)])

            def head(k):
                return builder.load(at(ia, k))

            def vec(arr, i, vt):
                return builder.load(builder.bitcast(at(arr, i), vt.as_pointer()), align=4)

            t0, count, stride, nt = (head(k) for k in (_FD_T0, _FD_COUNT, _FD_STRIDE, _FD_NT))
            bases = [head(_FD_HEAD + v) for v in range(nvec)]
            sel, wts = [], []
            for v in range(nvec):
                for k in range(ntaps):
                    d = (v * ntaps + k) * _FD_LANES
                    sel.append(builder.trunc(vec(ia, _FD_HEAD + nvec + d,
                                                 ir.VectorType(i64, _FD_LANES)),
                                             ir.VectorType(i32, _FD_LANES)))
                    wts.append(vec(wa, d, vf))
            name = ("llvm.x86.avx512.permvar.sf.512" if nwin == 1
                    else "llvm.x86.avx512.vpermi2var.ps.512")
            vi = ir.VectorType(i32, _FD_LANES)
            fnty = ir.FunctionType(vf, [vf, vi] if nwin == 1 else [vf, vi, vf])
            perm = builder.module.declare_intrinsic(name, fnty=fnty)
            zero = ir.Constant(vf, [0.0] * _FD_LANES)
            ntmd = builder.module.add_metadata([ir.Constant(i32, 1)])

            def filtered(s, sels, ws):
                # the window at source element s, each tap's lanes permuted out of it, in
                # tap order: ((0 + w_0 a_0) + w_1 a_1) + ...
                a = vec(xa, s, vf)
                b = vec(xa, builder.add(s, _ir_intp(_FD_LANES)), vf) if nwin == 2 else None
                acc = zero
                for i, wk in zip(sels, ws):
                    g = builder.call(perm, [a, i] if nwin == 1 else [a, i, b])
                    acc = builder.fadd(acc, builder.fmul(wk, g))
                return acc

            def one(n, v, streamed):
                s = builder.add(builder.mul(n, stride), bases[v])
                t = builder.add(t0, builder.add(builder.mul(n, _ir_intp(nvec * _FD_LANES)),
                                                _ir_intp(v * _FD_LANES)))
                taps = slice(v * ntaps, (v + 1) * ntaps)
                acc = filtered(s, sel[taps], wts[taps])
                st = builder.store(acc, builder.bitcast(at(oa, t), vf.as_pointer()),
                                   align=64 if streamed else 4)
                if streamed:
                    st.set_metadata("nontemporal", ntmd)

            # the border vectors' lines, for writing: their plain stores come after the
            # streamed ones, and a store that misses stalls the stores behind it
            xsize = 2 + ntaps * _FD_LANES
            x0 = _ir_intp(_FD_HEAD + nvec + nvec * ntaps * _FD_LANES)
            p8 = ir.IntType(8).as_pointer()
            pref = builder.module.declare_intrinsic(
                "llvm.prefetch.p0", fnty=ir.FunctionType(ir.VoidType(), [p8, i32, i32, i32]))
            with cgutils.for_range(builder, head(_FD_NX)) as loop:
                t = builder.load(at(ia, builder.add(x0, builder.mul(loop.index, _ir_intp(xsize)))))
                for end in (0, _FD_LANES - 1):
                    builder.call(pref, [builder.bitcast(at(oa, builder.add(t, _ir_intp(end))), p8),
                                        ir.Constant(i32, 1), ir.Constant(i32, 3),
                                        ir.Constant(i32, 1)])
            nper = builder.sdiv(count, _ir_intp(nvec))
            with builder.if_else(builder.icmp_signed("!=", nt, _ir_intp(0))) as (yes, no):
                for streamed, arm in ((True, yes), (False, no)):
                    with arm:
                        with cgutils.for_range(builder, nper) as loop:
                            for v in range(nvec):
                                one(loop.index, v, streamed)
            rem = builder.sub(count, builder.mul(nper, _ir_intp(nvec)))
            for v in range(nvec - 1):
                with builder.if_then(builder.icmp_signed(">", rem, _ir_intp(v))):
                    one(nper, v, False)
            # the other vectors of the row (borders), each with its own descriptors
            w0 = _ir_intp(nvec * ntaps * _FD_LANES)
            with cgutils.for_range(builder, head(_FD_NX)) as loop:
                e = loop.index
                d = builder.add(x0, builder.mul(e, _ir_intp(xsize)))
                dw = builder.add(w0, builder.mul(e, _ir_intp(ntaps * _FD_LANES)))
                t = builder.load(at(ia, d))
                s = builder.load(at(ia, builder.add(d, _ir_intp(1))))
                sels = [builder.trunc(vec(ia, builder.add(d, _ir_intp(2 + k * _FD_LANES)),
                                          ir.VectorType(i64, _FD_LANES)), vi)
                        for k in range(ntaps)]
                ws = [vec(wa, builder.add(dw, _ir_intp(k * _FD_LANES)), vf) for k in range(ntaps)]
                acc = filtered(s, sels, ws)
                builder.store(acc, builder.bitcast(at(oa, t), vf.as_pointer()), align=4)
            return context.get_dummy_value()

        return sig, codegen

    return block


# header fields of ``fdi`` (see :func:`_fd_plan`)
_FD_KIND, _FD_T0, _FD_COUNT, _FD_STRIDE, _FD_NT, _FD_NX = range(_FD_HEAD)

for _v in _FD_VS:
    for _k in _FD_KS:
        for _n in (1, 2):
            globals()[f"_fd_{_k}x{_v}w{_n}"] = _fd_block(_v, _k, _n)
del _v, _k, _n


def _fd_kind(nvec, ntaps, nwin):
    """The block number of :func:`_fd_row` for ``(V, K, nwin)`` (0: none)."""
    if nvec not in _FD_VS or ntaps not in _FD_KS or nwin not in (1, 2):
        return 0
    return 1 + (_FD_VS.index(nvec) * len(_FD_KS) + _FD_KS.index(ntaps)) * 2 + nwin - 1


@jit
def _fd_row(o, x, fdi, fdw):
    """The :func:`_fd_block` of ``fdi[_FD_KIND]`` (:func:`_fd_kind`) on one row."""
    kind = fdi[_FD_KIND]
    if kind == 1:
        _fd_2x1w1(o, x, fdi, fdw)
    elif kind == 2:
        _fd_2x1w2(o, x, fdi, fdw)
    elif kind == 3:
        _fd_4x1w1(o, x, fdi, fdw)
    elif kind == 4:
        _fd_4x1w2(o, x, fdi, fdw)
    elif kind == 5:
        _fd_6x1w1(o, x, fdi, fdw)
    elif kind == 6:
        _fd_6x1w2(o, x, fdi, fdw)
    elif kind == 7:
        _fd_2x3w1(o, x, fdi, fdw)
    elif kind == 8:
        _fd_2x3w2(o, x, fdi, fdw)
    elif kind == 9:
        _fd_4x3w1(o, x, fdi, fdw)
    elif kind == 10:
        _fd_4x3w2(o, x, fdi, fdw)
    elif kind == 11:
        _fd_6x3w1(o, x, fdi, fdw)
    elif kind == 12:
        _fd_6x3w2(o, x, fdi, fdw)
    elif kind == 13:
        _fd_2x5w1(o, x, fdi, fdw)
    elif kind == 14:
        _fd_2x5w2(o, x, fdi, fdw)
    elif kind == 15:
        _fd_4x5w1(o, x, fdi, fdw)
    elif kind == 16:
        _fd_4x5w2(o, x, fdi, fdw)
    elif kind == 17:
        _fd_6x5w1(o, x, fdi, fdw)
    elif kind == 18:
        _fd_6x5w2(o, x, fdi, fdw)
    elif kind == 19:
        _fd_2x9w1(o, x, fdi, fdw)
    elif kind == 20:
        _fd_2x9w2(o, x, fdi, fdw)
    elif kind == 21:
        _fd_4x9w1(o, x, fdi, fdw)
    elif kind == 22:
        _fd_4x9w2(o, x, fdi, fdw)
    elif kind == 23:
        _fd_6x9w1(o, x, fdi, fdw)
    else:
        _fd_6x9w2(o, x, fdi, fdw)


def _fd_cols(o, x, fdi, fdw):
    """Run :func:`_fd_row` (compiled only for float32 rows, see the overload below) and
    return True, or return False when ``fdi`` holds no plan.  Plain Python (no JIT): False."""
    return False


def _fd_cols_overload(o, x, fdi, fdw):
    from numba.core import types

    if o.dtype == types.float32 and x.dtype == types.float32 and fdw.dtype == types.float32:
        def impl(o, x, fdi, fdw):
            if fdi[_FD_KIND] == 0:
                return False
            _fd_row(o, x, fdi, fdw)
            return True
    else:
        def impl(o, x, fdi, fdw):
            return False
    return impl


numba.extending.overload(_fd_cols, jit_options={"cache": True})(_fd_cols_overload)


def _shuffle_planes(nphase, nch):
    """An ``@intrinsic`` ``block(o, o_off, rp, m, mper)``: ``G`` pixels of the polyphase-planes
    output put in pixel order, ``o[o_off + (nphase g + p) nch + c] = rp[(c nphase + p) mper + m
    + g]`` for ``g < G`` (``G`` = 16 for 1-byte dtypes, else 8: :func:`_planes_group`).  One
    vector load per (channel, phase) plane, one ``shufflevector``, one store (as
    :func:`_shuffle_interleave`).  Measured against the two-level loops it replaces (phases,
    then channels; 5 phases use the scalar generic loop), 1280 rows of 5 phases x 3 channels:
    uint8 4.9 -> 0.7 ms, float32 7.1 -> 1.1 ms."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, o, o_off, rp, m, mper):
        if not (isinstance(o, types.Array) and isinstance(rp, types.Array) and o.ndim == 1
                and rp.ndim == 1 and o.layout == "C" and rp.layout == "C" and o.dtype == rp.dtype):
            raise errors.TypingError("planes shuffle needs C-contiguous 1-D o and rp of one dtype")
        sig = types.void(o, types.intp, rp, types.intp, types.intp)

        def codegen(context, builder, signature, args):
            oarr = context.make_array(signature.args[0])(context, builder, args[0])
            rarr = context.make_array(signature.args[2])(context, builder, args[2])
            ety = context.get_data_type(signature.args[2].dtype)
            size = context.get_abi_sizeof(ety)
            g = _planes_group(size)
            vt = ir.VectorType(ety, g)
            vecs = []
            for k in range(nch * nphase):  # plane k = c * nphase + p
                step = builder.mul(args[4], context.get_constant(types.intp, k))
                vecs.append(builder.load(builder.bitcast(builder.gep(rarr.data,
                                                                     [builder.add(args[3], step)]),
                                                         vt.as_pointer()), align=size))
            mask = [(c * nphase + p) * g + i for i in range(g) for p in range(nphase)
                    for c in range(nch)]
            _ir_store_interleaved(builder, oarr.data, args[1], vecs, mask, size)
            return context.get_dummy_value()

        return sig, codegen

    return block


@jit
def _planes_group(itemsize):
    """Pixels per :func:`_shuffle_planes` block for elements of ``itemsize`` bytes."""
    return 16 if itemsize == 1 else 8


_pl_1x5 = _shuffle_planes(5, 1)
_pl_3x2 = _shuffle_planes(2, 3)
_pl_3x3 = _shuffle_planes(3, 3)
_pl_3x4 = _shuffle_planes(4, 3)
_pl_3x5 = _shuffle_planes(5, 3)


@jit
def _interleave_planes(rp, nphase, nch, mper, o):
    """``o[(nphase m + p) nch + c] = rp[(c nphase + p) mper + m]`` for ``m < mper`` by
    :func:`_shuffle_planes` blocks (the last block overlaps the one before), for 3 channels
    with 2-5 phases and gray images with 5; returns False, writing nothing, otherwise (and
    for fewer pixels than one block)."""
    _align_stack()
    if not _JIT:
        return False
    g = _planes_group(rp.itemsize)
    if mper < g or not ((nch == 3 and 2 <= nphase <= 5) or (nch == 1 and nphase == 5)):
        return False
    m = 0
    while m >= 0:
        oo = nphase * nch * m
        if nch == 1:
            _pl_1x5(o, oo, rp, m, mper)
        elif nphase == 2:
            _pl_3x2(o, oo, rp, m, mper)
        elif nphase == 3:
            _pl_3x3(o, oo, rp, m, mper)
        elif nphase == 4:
            _pl_3x4(o, oo, rp, m, mper)
        else:
            _pl_3x5(o, oo, rp, m, mper)
        m = _next_block(m, g, mper)
    return True


@jit
def _interleave_phases(r, nphase, nch, mper, o):
    """``o[(nphase * m + p) * nch + c] = r[p, m * nch + c]``: the output phases back in pixel
    order.  Images of 1 to 4 channels with 2 to 5 phases go through the shuffle blocks of
    :func:`_shuffle_interleave` (16 pixels, or 8 for 2 or 4 channels and for 3 channels wider
    than a byte); the rest, and the last pixels, through the scalar loop (one phase at a
    time, one element counter: nested loops over pixels, phases and channels compiled to
    code that spilled on every element, 7-17 ns per element for 4 and 5 channels)."""
    _align_stack()
    m = 0
    if _JIT:
        if nch == 1:
            g = 2 * _IL_G
            if nphase == 2:
                while m + g <= mper:
                    _il_1x2(o, 2 * m, r, m)
                    m += g
            elif nphase == 3:
                while m + g <= mper:
                    _il_1x3(o, 3 * m, r, m)
                    m += g
            elif nphase == 4:
                while m + g <= mper:
                    _il_1x4(o, 4 * m, r, m)
                    m += g
            elif nphase == 5:
                while m + g <= mper:
                    _il_1x5(o, 5 * m, r, m)
                    m += g
        elif nch == 3 and r.itemsize == 1:
            g = 2 * _IL_G
            if nphase == 2:
                while m + g <= mper:
                    _il_3x2_b(o, 6 * m, r, 3 * m)
                    m += g
            elif nphase == 3:
                while m + g <= mper:
                    _il_3x3_b(o, 9 * m, r, 3 * m)
                    m += g
            elif nphase == 4:
                while m + g <= mper:
                    _il_3x4_b(o, 12 * m, r, 3 * m)
                    m += g
            elif nphase == 5:
                while m + g <= mper:
                    _il_3x5_b(o, 15 * m, r, 3 * m)
                    m += g
        elif nch == 3:
            g = _IL_G
            if nphase == 2:
                while m + g <= mper:
                    _il_3x2(o, 6 * m, r, 3 * m)
                    m += g
            elif nphase == 3:
                while m + g <= mper:
                    _il_3x3(o, 9 * m, r, 3 * m)
                    m += g
            elif nphase == 4:
                while m + g <= mper:
                    _il_3x4(o, 12 * m, r, 3 * m)
                    m += g
            elif nphase == 5:
                while m + g <= mper:
                    _il_3x5(o, 15 * m, r, 3 * m)
                    m += g
        elif nch == 2:
            g = _IL_G
            if nphase == 2:
                while m + g <= mper:
                    _il_2x2(o, 4 * m, r, 2 * m)
                    m += g
            elif nphase == 3:
                while m + g <= mper:
                    _il_2x3(o, 6 * m, r, 2 * m)
                    m += g
            elif nphase == 4:
                while m + g <= mper:
                    _il_2x4(o, 8 * m, r, 2 * m)
                    m += g
            elif nphase == 5:
                while m + g <= mper:
                    _il_2x5(o, 10 * m, r, 2 * m)
                    m += g
        elif nch == 4:
            g = _IL_G
            if nphase == 2:
                while m + g <= mper:
                    _il_4x2(o, 8 * m, r, 4 * m)
                    m += g
            elif nphase == 3:
                while m + g <= mper:
                    _il_4x3(o, 12 * m, r, 4 * m)
                    m += g
            elif nphase == 4:
                while m + g <= mper:
                    _il_4x4(o, 16 * m, r, 4 * m)
                    m += g
            elif nphase == 5:
                while m + g <= mper:
                    _il_4x5(o, 20 * m, r, 4 * m)
                    m += g
    skip = (nphase - 1) * nch
    for p in range(nphase):
        d = (nphase * m + p) * nch
        c = 0
        for e in range(m * nch, mper * nch):
            o[d] = r[p, e]
            d += 1
            c += 1
            if c == nch:
                c = 0
                d += skip


def _shuffle_deinterleave(q, nch, groups):
    """An ``@intrinsic`` ``block(x, x_off, plane, row, row_off)``: ``groups`` pixels of each of
    the ``q`` pixel-phase planes of :func:`_deinterleave_pixels`, ``x[x_off + r plane + g nch
    + c] = row[row_off + (q g + r) nch + c]``, converted to ``x``'s dtype.  One vector load of
    ``q groups nch`` elements, one ``shufflevector`` and one convert per plane, one store per
    plane (generic IR, as :func:`_shuffle_interleave`).  ``x`` is a float array or of
    ``row``'s own dtype (no conversion)."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    seg = groups * nch

    @intrinsic
    def block(typingctx, x, x_off, plane, row, row_off):
        if not (isinstance(x, types.Array) and isinstance(row, types.Array) and x.ndim == 1
                and row.ndim == 1 and x.layout == "C" and row.layout == "C"
                and (isinstance(x.dtype, types.Float) or x.dtype == row.dtype)
                and isinstance(row.dtype, (types.Float, types.Integer))
                and (isinstance(row.dtype, types.Float) or not row.dtype.signed)):
            raise errors.TypingError("pixel deinterleave block: unsupported arguments")
        sig = types.void(x, types.intp, types.intp, row, types.intp)

        def codegen(context, builder, signature, args):
            xarr = context.make_array(signature.args[0])(context, builder, args[0])
            rarr = context.make_array(signature.args[3])(context, builder, args[3])
            xty = context.get_data_type(signature.args[0].dtype)
            rty = context.get_data_type(signature.args[3].dtype)
            xsize = context.get_abi_sizeof(xty)
            rsize = context.get_abi_sizeof(rty)
            src = builder.load(builder.bitcast(builder.gep(rarr.data, [args[4]]),
                                               ir.VectorType(rty, q * seg).as_pointer()),
                               align=rsize)
            i32 = ir.IntType(32)
            undef = ir.Constant(src.type, ir.Undefined)
            vt = ir.VectorType(xty, seg)
            for r in range(q):
                mask = [(q * g + r) * nch + c for g in range(groups) for c in range(nch)]
                v = builder.shuffle_vector(src, undef, ir.Constant(ir.VectorType(i32, seg), mask))
                if signature.args[3].dtype == signature.args[0].dtype:
                    pass
                elif isinstance(signature.args[3].dtype, types.Integer):
                    v = builder.uitofp(v, vt)
                elif rsize < xsize:
                    v = builder.fpext(v, vt)
                elif rsize > xsize:
                    v = builder.fptrunc(v, vt)
                start = builder.add(args[1], builder.mul(args[2],
                                                         context.get_constant(types.intp, r)))
                builder.store(v, builder.bitcast(builder.gep(xarr.data, [start]), vt.as_pointer()),
                              align=xsize)
            return context.get_dummy_value()

        return sig, codegen

    return block


_DI_G1 = 16  # pixels per plane of a pixel-deinterleave block, gray
_DI_G3 = 8  # the same, 3 channels
_di_1x2 = _shuffle_deinterleave(2, 1, _DI_G1)
_di_1x3 = _shuffle_deinterleave(3, 1, _DI_G1)
_di_1x4 = _shuffle_deinterleave(4, 1, _DI_G1)
_di_3x2 = _shuffle_deinterleave(2, 3, _DI_G3)
_di_3x3 = _shuffle_deinterleave(3, 3, _DI_G3)
_di_3x4 = _shuffle_deinterleave(4, 3, _DI_G3)
_di_2x2 = _shuffle_deinterleave(2, 2, _DI_G3)  # 2 and 4 channels: 8 pixels too
_di_2x3 = _shuffle_deinterleave(3, 2, _DI_G3)
_di_2x4 = _shuffle_deinterleave(4, 2, _DI_G3)
_di_4x2 = _shuffle_deinterleave(2, 4, _DI_G3)
_di_4x3 = _shuffle_deinterleave(3, 4, _DI_G3)
_di_4x4 = _shuffle_deinterleave(4, 4, _DI_G3)


@jit
def _deinterleave_pixels_blocks(row, x, nch, q, s0, plen, full):
    """Pixels ``m < full`` of every plane of :func:`_deinterleave_pixels` by
    :func:`_shuffle_deinterleave` blocks (the last block overlaps the one before); returns
    False, writing nothing, for channel counts and factors without a block or fewer pixels
    than one block."""
    _align_stack()
    if not _JIT:
        return False
    g = _DI_G1 if nch == 1 else _DI_G3
    if full < g or not (1 <= nch <= 4) or not (2 <= q <= 4):
        return False
    stride = plen * nch
    m = 0
    while m >= 0:
        xo = m * nch
        ro = (s0 + q * m) * nch
        if nch == 1:
            if q == 2:
                _di_1x2(x, xo, stride, row, ro)
            elif q == 3:
                _di_1x3(x, xo, stride, row, ro)
            else:
                _di_1x4(x, xo, stride, row, ro)
        elif nch == 3:
            if q == 2:
                _di_3x2(x, xo, stride, row, ro)
            elif q == 3:
                _di_3x3(x, xo, stride, row, ro)
            else:
                _di_3x4(x, xo, stride, row, ro)
        elif nch == 2:
            if q == 2:
                _di_2x2(x, xo, stride, row, ro)
            elif q == 3:
                _di_2x3(x, xo, stride, row, ro)
            else:
                _di_2x4(x, xo, stride, row, ro)
        else:
            if q == 2:
                _di_4x2(x, xo, stride, row, ro)
            elif q == 3:
                _di_4x3(x, xo, stride, row, ro)
            else:
                _di_4x4(x, xo, stride, row, ro)
        m = _next_block(m, g, full)
    return True


@jit
def _deinterleave_pixels(row, x, nch, q, s0, plen):
    """Pixel-phase planes of a channel-interleaved row: ``x[(r plen + m) nch + c] =
    row[(s0 + q m + r) nch + c]`` for the source pixels that exist (the rest of the planes is
    left unset: no output reads it), converted to ``x``'s dtype.  The pixels ``m`` whose ``q``
    source pixels all exist go through shuffle blocks where there is one."""
    _align_stack()
    w_in = row.shape[0] // nch
    done = min(plen, max(0, (w_in - s0) // q))
    if not _deinterleave_pixels_blocks(row, x, nch, q, s0, plen, done):
        done = 0
    for r in range(q):
        full = min(plen, max(0, (w_in - s0 - r + q - 1) // q))
        plane = x[r * plen * nch:(r * plen + full) * nch]
        if nch == 3:
            for m in range(done, full):
                i = (s0 + q * m + r) * 3
                plane[3 * m] = row[i]
                plane[3 * m + 1] = row[i + 1]
                plane[3 * m + 2] = row[i + 2]
        elif nch == 1:
            for m in range(done, full):
                plane[m] = row[s0 + q * m + r]
        else:
            for m in range(done, full):
                i = (s0 + q * m + r) * nch
                for c in range(nch):
                    plane[m * nch + c] = row[i + c]


@jit
def _cols_row_il(row, x, copy, orow, acc, r, nch, idx, w, w64, mode, consts, maxval, j0,
                 nphase, mper, offs, wu, qs, fma, fdi, fdw):
    """Columns pass of one flattened row ``row -> orow`` for an integer-factor table with
    uniform weights (see :func:`cols_pass_il`).  ``x`` is the row in the accumulation type:
    copied from ``row`` when ``copy``, else already there (``row`` may then be ``x`` itself:
    the fused passes write the rows-pass output straight into it).  ``r`` is the caller's
    scratch; so is the accumulator ``acc``, or ``None`` for a four-tap table without near-tie
    checks (filtered, rounded and stored in one sweep).  That test is pruned at compile time
    (``None`` has its own type), so each specialisation compiles only its own branch.

    ``qs = (Q, s0, plen, streamed, shared, ext, xoff, extra, npads, pads...)``: for ``Q > 1``
    (fractional scales) ``x`` holds the ``Q`` pixel-phase planes of the row instead
    (:func:`_deinterleave_pixels`, always filled from ``row``); ``streamed != 0``: the
    fir-interleave blocks stream (:func:`_fir_interleave_row`; the caller fences after its
    last row); ``shared != 0``: all phases read the same taps
    (:meth:`_TablePlan.pixel_planes`).  For ``Q == 1`` the row sits at ``x[xoff:]`` (``x``
    has ``extra`` elements more than the row), and ``npads`` pairs ``(d, b)`` follow: the
    ``nch`` elements of ``x`` from ``d`` on are set to those from ``b`` (the border pads of
    a grid extended by :func:`_extend_grid`, ``ext = 1``, whose outputs outside the grid
    are filtered here from the padded row; ``ext = xoff = npads = 0`` without them).

    ``(fdi, fdw)``: descriptors of the output-order float32 blocks (:func:`_fd_row`, from
    :func:`_fd_setup`; ``fdi[_FD_KIND] == 0``: none).  With them the row is filtered straight
    from ``row`` (or its copy in ``x``, which has :data:`_FD_PAD` elements to spare; so has a
    fused caller's ``row``), and ``j0``, ``offs``, ``wu`` and the planes go unused."""
    _align_stack()
    w_out = orow.shape[0] // nch
    if mode == MODE_FLOAT and fdi[_FD_KIND] != 0:
        if copy:
            for t in range(row.shape[0]):
                x[t] = row[t]
            done = _fd_cols(orow, x, fdi, fdw)
        elif qs[0] > 1:
            done = _fd_cols(orow, row, fdi, fdw)
        else:
            done = _fd_cols(orow, x, fdi, fdw)
        if done:  # every output of the row, borders included (_fd_plan)
            return
    n = mper * nch
    ntaps = idx.shape[1]
    j1 = j0 + nphase * mper
    ext = qs[_QS_EXT] != 0
    if not ext:
        _gather_row(row, orow, nch, idx, w, w64, _I0, min(j0, w_out), mode, maxval)
    if qs[0] > 1:
        _deinterleave_pixels(row, x, nch, qs[0], qs[1], qs[2])
    else:
        if copy:
            xo = qs[_QS_XOFF]
            for t in range(row.shape[0]):
                x[xo + t] = row[t]
        for e in range(qs[_QS_NPADS]):
            d = qs[_QS_NPADS + 1 + 2 * e]
            b = qs[_QS_NPADS + 2 + 2 * e]
            for c in range(nch):
                x[d + c] = x[b + c]
    if ext:
        # the outputs before j0 and from j1 on, from the padded row (_extend_grid): their
        # phase's taps and weights, from zero in tap order (the blocks' arithmetic)
        zero = wu[0, 0] - wu[0, 0]
        for side in range(2):
            lo = 0 if side == 0 else j1
            hi = min(j0, w_out) if side == 0 else w_out
            for j in range(lo, hi):
                e = j - j0
                ph = e % nphase
                xo = (e // nphase) * nch
                for c in range(nch):
                    s = zero
                    for k in range(offs.shape[1]):
                        s += wu[ph, k] * x[offs[ph, k] + xo + c]
                    orow[j * nch + c] = s
    if (acc is None or ntaps == 2) and mode == MODE_FLOAT and _fir_interleave_row(
            orow[j0 * nch:j1 * nch], x, nch, nphase, mper, offs, wu, qs[3] != 0, qs[4] != 0):
        if not ext:
            _gather_row(row, orow, nch, idx, w, w64, j1, w_out, mode, maxval)
        return
    for p in range(nphase):
        rp = orow[j0 * nch:j1 * nch] if nphase == 1 else r[p]
        if acc is None:
            o = offs[p]
            wr = wu[p]
            a0 = x[o[0]:o[0] + n]
            a1 = x[o[1]:o[1] + n]
            a2 = x[o[2]:o[2] + n]
            a3 = x[o[3]:o[3] + n]
            if fma:
                _fir4_c(rp, a0, a1, a2, a3, wr[0], wr[1], wr[2], wr[3], n, mode, consts)
            else:
                _fir4(rp, a0, a1, a2, a3, wr[0], wr[1], wr[2], wr[3], n, mode, consts)
        elif ntaps == 2 and mode != MODE_CHECK:
            o = offs[p]
            wr = wu[p]
            if fma:
                _fir2_c(rp, x[o[0]:o[0] + n], x[o[1]:o[1] + n], wr[0], wr[1], n, mode, consts)
            else:
                _fir2(rp, x[o[0]:o[0] + n], x[o[1]:o[1] + n], wr[0], wr[1], n, mode, consts)
        elif (mode == MODE_CHECK and consts[4] != 0 and _JIT and n >= _CHK_PX
              and (ntaps == 4 or ntaps == 6 or ntaps == 8 or ntaps == 12)):
            o = offs[p]
            wr = wu[p]
            c = (consts[0], consts[1], consts[5 + j0 + p])
            args = (x, c, row, idx, w64, maxval, j0, nphase, p, nch)
            if ntaps == 4:
                _cols_checked(rp, _tup4(o), _tup4(wr), *args)
            elif ntaps == 6:
                _cols_checked(rp, _tup6(o), _tup6(wr), *args)
            elif ntaps == 8:
                _cols_checked(rp, _tup8(o), _tup8(wr), *args)
            else:
                _cols_checked(rp, _tup12(o), _tup12(wr), *args)
        else:
            _fir_il(acc, x, offs[p], wu[p], n, fma)
            _store(acc, rp, n, mode, consts)
            if mode == MODE_CHECK:
                for f0 in range(0, n, _FIX):
                    f1 = min(n, f0 + _FIX)
                    cnt = 0
                    for t in range(f0, f1):
                        cnt += _near_tie(acc[t], consts)
                    if cnt:
                        for t in range(f0, f1):
                            if _near_tie(acc[t], consts):
                                j = j0 + nphase * (t // nch) + p
                                c = t % nch
                                d = w64[j, 0] * np.float64(row[idx[j, 0] * nch + c])
                                for k in range(1, ntaps):
                                    d += w64[j, k] * np.float64(row[idx[j, k] * nch + c])
                                rp[t] = _round_sat(d, maxval)
    if nphase > 1:
        _interleave_phases(r, nphase, nch, mper, orow[j0 * nch:j1 * nch])
    if not ext:
        _gather_row(row, orow, nch, idx, w, w64, j1, w_out, mode, maxval)


@jit
def _il_scratch(length, nch, nphase, mper, w, dst, qs):
    """Scratch of :func:`_cols_row_il`: ``(x, r)`` (``x``: a row of ``length`` elements, or the
    ``Q`` pixel-phase planes of one for ``qs[0] = Q > 1``)."""
    n = mper * nch
    if qs[0] > 1:
        length = max(length, qs[0] * qs[2] * nch)
    else:
        length += qs[_QS_EXTRA]  # the border pads (_extend_grid)
    x = np.empty(max(length, 1) + _FD_PAD, dtype=w.dtype)  # _FD_PAD: see _cols_row_il
    r = np.empty((nphase, max(n, 1)), dtype=dst.dtype)
    return x, r


@jit
def _cols_chunk_il(src, dst, nch, idx, w, w64, mode, consts, maxval, j0, nphase, mper, offs, wu,
                   qs, fma, accs, fdi, fdw, ch, nchunks):
    """Columns pass of the rows ``[ch * H // nchunks, (ch + 1) * H // nchunks)`` for an
    integer-factor table with uniform weights (see :func:`cols_pass_il`).  ``accs``: one
    accumulator row per chunk, or ``None`` for the four-tap sweep (see :func:`_cols_row_il`).
    The arrays are borrowed (:func:`_borrowed`), as in :func:`_fused_chunk_il`."""
    _align_stack()
    src, dst, idx, w, consts, offs, wu = (_borrowed(src), _borrowed(dst), _borrowed(idx),
                                          _borrowed(w), _borrowed(consts), _borrowed(offs),
                                          _borrowed(wu))
    qs, fdi, fdw = _borrowed(qs), _borrowed(fdi), _borrowed(fdw)
    h = src.shape[0]
    x_own, r_own = _il_scratch(src.shape[1], nch, nphase, mper, w, dst, qs)
    x, r = _borrowed(x_own), _borrowed(r_own)
    for i in range(ch * h // nchunks, (ch + 1) * h // nchunks):
        if accs is None:
            _cols_row_il(src[i], x, True, dst[i], None, r, nch, idx, w, w64, mode, consts, maxval,
                         j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
        else:
            _cols_row_il(src[i], x, True, dst[i], accs[ch], r, nch, idx, w, w64, mode, consts,
                         maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
    if qs[3] != 0:
        _store_fence()
    _keep((x_own, r_own))


def cols_pass_il(src, dst, nch, idx, w, w64, mode, consts, maxval, j0, nphase, mper, offs, wu,
                 qs, nchunks, fd=_FD_NONE):
    """Columns pass ``src (H, W_in * C) -> dst (H, W_out * C)`` of an integer-factor table
    (``Q == 1``) whose polyphase weights do not depend on ``m`` (``uniform``).

    Output phase ``p`` is then one FIR filter over the channel-interleaved row: tap ``k``
    reads the contiguous run starting at ``offs[p, k] = (s0 + ta[p, k]) * C``, so there is no
    de-interleave of channels, integer results are rounded in the same sweep (four taps), and
    the phases are interleaved back (:func:`_interleave_phases`).  ``wu`` is ``(P, K)``."""
    nchunks = _nchunks(nchunks, src.shape[0], dst.size * idx.shape[1])
    _run_chunks(_cols_chunk_il, nchunks,
                (src, dst, nch, idx, w, w64, mode, consts, maxval, j0, nphase, mper, offs, wu,
                 qs, _use_fma(w, mode), _il_accs(idx, w, mode, nchunks, mper * nch)) + fd)


def _il_accs(idx, w, mode, nchunks, n):
    """Accumulator rows of :func:`_cols_row_il` (one per chunk), ``None`` for four taps."""
    if idx.shape[1] == 4 and mode != MODE_CHECK:
        return None
    return np.empty((nchunks, max(n, 1)), dtype=w.dtype)


def cols_pass(src, dst, nch, idx, w, w64, mode, consts, maxval, j0, nphase, qstep, mper, s0,
              tq, ta, wp, plen, uniform, nchunks):
    """Columns pass ``src (H, W_in * C) -> dst (H, W_out * C)`` (rows flattened).

    Outputs ``j0 <= j < j0 + nphase * mper`` use the polyphase structure (module docstring):
    tap ``k`` of phase ``p`` reads input-phase plane ``tq[p, k]`` at offset ``ta[p, k] + m``;
    ``wp`` is ``(nphase, K, mper)`` flattened.  ``mper == 0``: every output is gathered."""
    _run_chunks(_cols_chunk, _nchunks(nchunks, src.shape[0], dst.size * idx.shape[1]),
                (src, dst, nch, idx, w, w64, mode, consts, maxval, j0, nphase, qstep, mper, s0,
                 tq, ta, wp, plen, uniform, _use_fma(w, mode)))


# ---------------------------------------------------------------------------------------------
# both passes fused (rows pass first): no intermediate image

@jit
def _fused_chunk_il(src, dst, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, nch, idx, w,
                    w64, mode, consts, maxval, j0, nphase, mper, offs, wu, qs, fma, accs, fdi, fdw,
                    pairs, so, ch, nchunks):
    """Rows pass then columns pass (:func:`cols_pass_il`) of the output rows
    ``[ch * H_out // nchunks, (ch + 1) * H_out // nchunks)``: each rows-pass output row goes
    straight into the columns pass's accumulation-type row ``x`` (see :func:`fused_passes`).
    ``pairs``: two rows-pass rows with the same source rows in one sweep (:func:`_row_pair`),
    each then filtered on its own.  Arrays borrowed (:func:`_borrowed`): in-process A/B
    against counted arrays, one thread, 128x128 float32 gray x2 1.18x, colour 1.06x, 512x512x3
    and 1024x1024 0.97-1.06x (two threads 0.99-1.06x)."""
    _align_stack()
    # the arrays borrowed (_borrowed): no reference counting in the per-row calls (not the
    # optional rw64, w64, accs: Numba prunes their ``is None`` branches on arguments only)
    src, dst, ridx, rw, rconsts = (_borrowed(src), _borrowed(dst), _borrowed(ridx),
                                   _borrowed(rw), _borrowed(rconsts))
    idx, w, consts, offs, wu = (_borrowed(idx), _borrowed(w), _borrowed(consts),
                                _borrowed(offs), _borrowed(wu))
    qs, fdi, fdw = _borrowed(qs), _borrowed(fdi), _borrowed(fdw)
    h_out = dst.shape[0]
    length = src.shape[1]
    x_own, r_own = _il_scratch(length, nch, nphase, mper, w, dst, qs)
    x, r = _borrowed(x_own), _borrowed(r_own)
    racc_own = np.empty(max(length, 1), dtype=rw.dtype)
    racc = _borrowed(racc_own)
    ring_own, st_own = _so_scratch(so, length, rw)
    ring, st = _borrowed(ring_own), _borrowed(st_own)
    # Q > 1: the rows-pass row is deinterleaved into x's pixel-phase planes
    # (Q == 1: the row in x after its left border pads, see _extend_grid)
    xo = qs[_QS_XOFF]
    xr = x[xo:xo + length] if qs[0] == 1 else np.empty(length + _FD_PAD, dtype=w.dtype)[:length]
    # the second row of a pair (_row_pair): its own x (and row), the same layout
    x2_own, _ = _il_scratch(length if pairs else 0, nch, nphase, mper, w, dst, qs)
    x2 = _borrowed(x2_own)
    xr2 = (x2[xo:xo + length] if qs[0] == 1
           else np.empty(length + _FD_PAD, dtype=w.dtype)[:length])
    hi = (ch + 1) * h_out // nchunks
    i = ch * h_out // nchunks
    while i < hi:
        pair = _row_pair(ridx, i, hi, rw64, so, pairs)
        if pair:
            _rows_pair(src, xr, xr2, i, ridx, rw, rmode, rconsts, rfma)
        else:
            _rows_row_so(src, xr, i, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, racc, so,
                         ring, st)
        if accs is None:
            _cols_row_il(xr, x, False, dst[i], None, r, nch, idx, w, w64, mode, consts, maxval,
                         j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
        else:
            _cols_row_il(xr, x, False, dst[i], accs[ch], r, nch, idx, w, w64, mode, consts,
                         maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
        if pair:
            i += 1
            if accs is None:
                _cols_row_il(xr2, x2, False, dst[i], None, r, nch, idx, w, w64, mode, consts,
                             maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
            else:
                _cols_row_il(xr2, x2, False, dst[i], accs[ch], r, nch, idx, w, w64, mode,
                             consts, maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
        i += 1
    if qs[3] != 0:
        _store_fence()
    _keep((x_own, r_own, racc_own, ring_own, st_own, x2_own))


@jit
def _fused_chunk(src, dst, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, nch, idx, w, w64,
                 mode, consts, maxval, j0, nphase, qstep, mper, s0, tq, ta, wp, plen, uniform, fma,
                 so, ch, nchunks):
    """Rows pass then columns pass (:func:`cols_pass`, polyphase planes or gather) of the
    output rows ``[ch * H_out // nchunks, (ch + 1) * H_out // nchunks)``."""
    _align_stack()
    h_out = dst.shape[0]
    length = src.shape[1]
    w_in = length // nch
    x = np.empty(max(length, 1), dtype=w.dtype)
    racc = np.empty(max(length, 1), dtype=rw.dtype)
    xc = np.empty(nch * w_in, dtype=w.dtype)
    xq = np.empty(qstep * plen + 1, dtype=w.dtype)
    acc = np.empty(max(mper, 1), dtype=w.dtype)
    rp = np.empty(nch * nphase * mper + 1, dtype=dst.dtype)
    tp = np.empty(nch * nphase * mper + 1, dtype=dst.dtype)
    ring, st = _so_scratch(so, length, rw)
    xr = x[:length]
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_so(src, xr, i, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, racc, so, ring,
                     st)
        _cols_row(xr, dst[i], xc, xq, acc, rp, tp, nch, idx, w, w64, mode, consts, maxval, j0,
                  nphase, qstep, mper, s0, tq, ta, wp, plen, uniform, fma)


# ---------------------------------------------------------------------------------------------
# columns pass of eight rows at once, in transposed lanes: any table (no period, any tap count)

_LANES = 8  # rows filtered together: one vector lane per row


def _lane_fir_block():
    """An ``@intrinsic`` ``fir(tout, e, tin, idx, w, j, nch, c, zero, half, bound) -> mask``:
    one output element of ``_LANES`` rows at once, the rows being vector lanes::

        tout[e, :] = ((zero + w[j, 0] tin[b_0, :]) + w[j, 1] tin[b_1, :]) + ...,
        b_k = idx[j, k] * nch + c

    a separate multiply and add per tap, in tap order (the arithmetic of every other path:
    the same bits).  Returns the bit mask of the lanes ``v`` with
    ``|v - floor(v) - half| <= bound`` (the near-tie test of :func:`_near_tie`; 0 for a
    negative ``bound``).  Plain LLVM vector IR (no target intrinsics); ``tout``, ``tin`` are
    C-contiguous ``(n, _LANES)`` float arrays, ``idx`` (intp) and ``w`` C-contiguous 2-D."""
    from numba.core import cgutils, errors, types
    from numba.extending import intrinsic

    @intrinsic
    def fir(typingctx, tout, e, tin, idx, w, j, nch, c, zero, half, bound):
        arrays = (tout, tin, idx, w)
        if not (all(isinstance(a, types.Array) and a.ndim == 2 and a.layout == "C" for a in arrays)
                and isinstance(tin.dtype, types.Float) and tout.dtype == tin.dtype
                and w.dtype == tin.dtype and idx.dtype == types.intp):
            raise errors.TypingError("lane fir: unsupported arguments")
        sig = types.int64(tout, types.intp, tin, idx, w, types.intp, types.intp, types.intp,
                          tin.dtype, tin.dtype, tin.dtype)

        def codegen(context, builder, signature, args):
            toutv, ev, tinv, idxv, wv, jv, nchv, cv, zerov, halfv, boundv = args
            to, ti, ia, wa = (context.make_array(signature.args[i])(context, builder, args[i])
                              for i in (0, 2, 3, 4))
            fty = context.get_data_type(signature.args[2].dtype)
            size = context.get_abi_sizeof(fty)
            vt = ir.VectorType(fty, _LANES)
            intp = context.get_value_type(types.intp)
            lanes = ir.Constant(intp, _LANES)
            ntaps = builder.extract_value(ia.shape, 1)
            rowbase = builder.mul(jv, ntaps)

            def tap(k):
                pos = builder.add(rowbase, k)
                b = builder.add(builder.mul(builder.load(builder.gep(ia.data, [pos])), nchv), cv)
                ptr = builder.bitcast(builder.gep(ti.data, [builder.mul(b, lanes)]),
                                      vt.as_pointer())
                weight = _ir_splat(builder, vt, builder.load(builder.gep(wa.data, [pos])))
                return builder.fmul(weight, builder.load(ptr, align=size))

            accp = cgutils.alloca_once(builder, vt)
            builder.store(builder.fadd(_ir_splat(builder, vt, zerov), tap(ir.Constant(intp, 0))),
                          accp)
            one = ir.Constant(intp, 1)
            with cgutils.for_range_slice(builder, one, ntaps, one, intp=intp) as (k, _):
                builder.store(builder.fadd(builder.load(accp), tap(k)), accp)
            acc = builder.load(accp)
            optr = builder.bitcast(builder.gep(to.data, [builder.mul(ev, lanes)]), vt.as_pointer())
            builder.store(acc, optr, align=size)
            floor = _ir_unary_fn(builder, "floor", vt)
            fabs = _ir_unary_fn(builder, "fabs", vt)
            dist = builder.call(fabs, [builder.fsub(builder.fsub(acc, builder.call(floor, [acc])),
                                                    _ir_splat(builder, vt, halfv))])
            near = builder.fcmp_ordered("<=", dist, _ir_splat(builder, vt, boundv))
            bits = builder.bitcast(near, ir.IntType(_LANES))
            return builder.zext(bits, ir.IntType(64))

        return sig, codegen

    return fir


_lane_fir = _lane_fir_block()


def _ir_transpose8(builder, rows):
    """The 8x8 transpose of eight 8-lane vectors (three stages of two-source shuffles that
    AVX lowers to unpack, shufps and vperm2f128)."""
    i32 = ir.IntType(32)

    def shuf(a, b, mask):
        return builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(i32, 8), mask))

    lo, hi = [0, 8, 1, 9, 4, 12, 5, 13], [2, 10, 3, 11, 6, 14, 7, 15]
    t = []
    for a in range(0, 8, 2):
        t += [shuf(rows[a], rows[a + 1], lo), shuf(rows[a], rows[a + 1], hi)]
    lo2, hi2 = [0, 1, 8, 9, 4, 5, 12, 13], [2, 3, 10, 11, 6, 7, 14, 15]
    u = []
    for a in (0, 4):
        u += [shuf(t[a], t[a + 2], lo2), shuf(t[a], t[a + 2], hi2),
              shuf(t[a + 1], t[a + 3], lo2), shuf(t[a + 1], t[a + 3], hi2)]
    first, second = [0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]
    return ([shuf(u[k], u[k + 4], first) for k in range(4)]
            + [shuf(u[k], u[k + 4], second) for k in range(4)])


def _ir_row_ptr(builder, arr, i, ety):
    """Pointer to the first ``ety`` element of row ``i`` of the 2-D array struct ``arr``
    (rows contiguous, any row stride)."""
    stride = builder.extract_value(arr.strides, 0)
    base = builder.bitcast(arr.data, ir.IntType(8).as_pointer())
    return builder.bitcast(builder.gep(base, [builder.mul(stride, i)]), ety.as_pointer())


def _ir_lanes_store(context, builder, oa, e, vecs, g, half, top, zero, oty, align):
    """Store the eight lane vectors ``vecs`` (``vecs[t]``: element ``e + t`` of each of the
    eight rows) into rows ``i < g`` of the output array struct ``oa`` at elements
    ``e .. e + 7`` (stores aligned to ``align`` bytes): as they are (float output of the
    lanes' type) or, for integer outputs, ``min(max(v + half, zero), top)`` truncated (the
    rounding of :func:`_store`), which is applied before the 8x8 transpose (elementwise, so
    it commutes with it; the transpose then moves 32-bit lanes).  Returns ``False`` (after
    emitting a raise) for a float output of another type."""
    vt = vecs[0].type
    fty = vt.element
    ovt = ir.VectorType(oty, 8)
    intp = ir.IntType(64)
    if isinstance(oty, ir.IntType):
        zs, hs, ts = (_ir_splat(builder, vt, v) for v in (zero, half, top))
        i32v = ir.VectorType(ir.IntType(32), 8)
        quant = []
        for v in vecs:
            v = builder.fadd(v, hs)
            v = builder.select(builder.fcmp_ordered(">", v, zs), v, zs)
            v = builder.select(builder.fcmp_ordered("<", v, ts), v, ts)
            quant.append(builder.fptosi(v, i32v if oty.width <= 32 else ovt))
        vecs = quant
    elif oty != fty:
        with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
            context.call_conv.return_user_exc(
                builder, TypeError, ("lane blocks: float lanes, other float output",))
        return False
    rows = _ir_transpose8(builder, vecs)
    for i in range(8):
        v = rows[i]
        if isinstance(oty, ir.IntType) and oty.width < 32:
            v = builder.trunc(v, ovt)
        iv = ir.Constant(intp, i)
        with builder.if_then(builder.icmp_signed("<", iv, g)):
            ptr = builder.gep(_ir_row_ptr(builder, oa, iv, oty), [e])
            builder.store(v, builder.bitcast(ptr, ovt.as_pointer()), align=align)
    return True


def _lane_io_blocks():
    """Two ``@intrinsic`` blocks moving eight elements of ``g <= 8`` rows between row layout
    and the lanes of :func:`_cols_group` with one 8x8 shuffle transpose:

    * ``lanes_in(tin, x, rows, g)``: ``tin[x + t, i] = rows[i, x + t]`` for ``t < 8`` and
      ``i < g`` (lanes ``i >= g`` get 0), converting the rows' pixels (unsigned integers or
      floats) to ``tin``'s float type;
    * ``lanes_out(out, e, tout, g, half, top, zero)``: ``out[i, e + t] = tout[e + t, i]`` for
      ``i < g``: as is (float output) or ``min(max(v + half, zero), top)`` truncated to the
      output's unsigned integer type (the rounding of :func:`_store`).

    ``tin``/``tout`` C-contiguous ``(n, 8)``; ``rows``/``out`` 2-D with contiguous rows."""
    from numba.core import cgutils, errors, types
    from numba.extending import intrinsic

    def rows_ok(a):
        return isinstance(a, types.Array) and a.ndim == 2 and a.layout in ("C", "A")

    @intrinsic
    def lanes_in(typingctx, tin, x, rows, g):
        if not (isinstance(tin, types.Array) and tin.ndim == 2 and tin.layout == "C"
                and isinstance(tin.dtype, types.Float) and rows_ok(rows)
                and isinstance(rows.dtype, (types.Float, types.Integer))):
            raise errors.TypingError("lanes_in: unsupported arguments")
        sig = types.void(tin, types.intp, rows, types.intp)

        def codegen(context, builder, signature, args):
            tinv, xv, rowsv, gv = args
            ti = context.make_array(signature.args[0])(context, builder, tinv)
            ra = context.make_array(signature.args[2])(context, builder, rowsv)
            fty = context.get_data_type(signature.args[0].dtype)
            rty = context.get_data_type(signature.args[2].dtype)
            vt = ir.VectorType(fty, 8)
            rvt = ir.VectorType(rty, 8)
            intp = context.get_value_type(types.intp)
            vecs = []
            for i in range(8):
                iv = ir.Constant(intp, i)
                slot = cgutils.alloca_once_value(builder, ir.Constant(vt, [0.0] * 8))
                with builder.if_then(builder.icmp_signed("<", iv, gv)):
                    ptr = builder.gep(_ir_row_ptr(builder, ra, iv, rty), [xv])
                    v = builder.load(builder.bitcast(ptr, rvt.as_pointer()),
                                     align=context.get_abi_sizeof(rty))
                    if isinstance(signature.args[2].dtype, types.Integer):
                        v = builder.uitofp(v, vt)
                    elif rty != fty:
                        v = (builder.fpext(v, vt) if context.get_abi_sizeof(rty)
                             < context.get_abi_sizeof(fty) else builder.fptrunc(v, vt))
                    builder.store(v, slot)
                vecs.append(builder.load(slot))
            cols = _ir_transpose8(builder, vecs)
            size = context.get_abi_sizeof(fty)
            for t in range(8):
                off = builder.mul(builder.add(xv, ir.Constant(intp, t)), ir.Constant(intp, 8))
                builder.store(cols[t], builder.bitcast(builder.gep(ti.data, [off]),
                                                       vt.as_pointer()), align=size)
            return context.get_dummy_value()

        return sig, codegen

    @intrinsic
    def lanes_out(typingctx, out, e, tout, g, half, top, zero):
        if not (isinstance(tout, types.Array) and tout.ndim == 2 and tout.layout == "C"
                and isinstance(tout.dtype, types.Float) and rows_ok(out)
                and isinstance(out.dtype, (types.Float, types.Integer))):
            raise errors.TypingError("lanes_out: unsupported arguments")
        sig = types.void(out, types.intp, tout, types.intp, tout.dtype, tout.dtype, tout.dtype)

        def codegen(context, builder, signature, args):
            outv, ev, toutv, gv, halfv, topv, zerov = args
            oa = context.make_array(signature.args[0])(context, builder, outv)
            to = context.make_array(signature.args[2])(context, builder, toutv)
            fty = context.get_data_type(signature.args[2].dtype)
            vt = ir.VectorType(fty, 8)
            intp = context.get_value_type(types.intp)
            size = context.get_abi_sizeof(fty)
            vecs = []
            for t in range(8):
                off = builder.mul(builder.add(ev, ir.Constant(intp, t)), ir.Constant(intp, 8))
                vecs.append(builder.load(builder.bitcast(builder.gep(to.data, [off]),
                                                         vt.as_pointer()), align=size))
            oty = context.get_data_type(signature.args[0].dtype)
            _ir_lanes_store(context, builder, oa, ev, vecs, gv, halfv, topv, zerov, oty,
                            context.get_abi_sizeof(oty))
            return context.get_dummy_value()

        return sig, codegen

    return lanes_in, lanes_out


_lanes_in, _lanes_out = _lane_io_blocks()


def _lane_tap_block(ntaps):
    """An ``@intrinsic`` ``block(out, e, j, c, tin, offs, w, nch, g, half, top, zero)``: the
    output elements ``e .. e + 7`` of the ``g <= _LANES`` rows of :func:`_cols_group` filtered,
    transposed and stored in registers (no ``tout`` round trip, no near-tie test: float
    outputs and integer ones accumulated in float64 or in exact float32)::

        v = ((zero + w[j', 0] tin[b(e', 0)]) + w[j', 1] tin[b(e', 1)]) + ...

    for element ``e' = j' nch + c'`` (``e = j nch + c``), where ``offs[e', k]`` is the byte
    offset of tap ``k``'s lane vector in ``tin`` (:meth:`_TablePlan.lane_offsets`: no index
    arithmetic in the block), a separate multiply and add per tap in tap order (the bits of
    :func:`_lane_fir` and of every other path), then stored as :func:`_ir_lanes_store` does.

    ``ntaps > 0``: the taps are unrolled (the table has exactly ``ntaps``); ``0``: any count
    (``w.shape[1]``), the tap loop outside and the eight elements' accumulators inside it
    (float32 columns pass, scratch measurement: the unrolled two- and four-tap blocks 1.2x and
    1.35x faster than the loop; uint16 two taps alike).
    Measured against :func:`_lane_fir` + ``lanes_out`` (one thread, 512x512x3 columns pass,
    docs/benchmarks.md "nineteenth session"): the address arithmetic per tap (index load,
    ``* nch + c``, shift) had made those blocks bound by instruction count, ~46 per element."""
    from numba.core import cgutils, errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out, e, j, c, tin, offs, w, nch, g, half, top, zero):
        two_d = (tin, offs, w)
        if not (all(isinstance(a, types.Array) and a.ndim == 2 and a.layout == "C" for a in two_d)
                and isinstance(tin.dtype, types.Float) and w.dtype == tin.dtype
                and offs.dtype == types.int32 and isinstance(out, types.Array) and out.ndim == 2
                and out.layout in ("C", "A")
                and isinstance(out.dtype, (types.Float, types.Integer))):
            raise errors.TypingError("lane tap block: unsupported arguments")
        sig = types.void(out, types.intp, types.intp, types.intp, tin, offs, w, types.intp,
                         types.intp, tin.dtype, tin.dtype, tin.dtype)

        def codegen(context, builder, signature, args):
            outv, ev, jv, cv, tinv, offv, wv, nchv, gv, halfv, topv, zerov = args
            oa, ti, of, wa = (context.make_array(signature.args[i])(context, builder, args[i])
                              for i in (0, 4, 5, 6))
            fty = context.get_data_type(signature.args[4].dtype)
            vt = ir.VectorType(fty, _LANES)
            intp = context.get_value_type(types.intp)
            one, zero_i = ir.Constant(intp, 1), ir.Constant(intp, 0)
            kk = ir.Constant(intp, ntaps) if ntaps else builder.extract_value(wa.shape, 1)
            zs = _ir_splat(builder, vt, zerov)
            tbase = builder.bitcast(ti.data, ir.IntType(8).as_pointer())
            # the weight row and offsets row of each of the eight elements
            wrow = builder.gep(wa.data, [builder.mul(jv, kk)])
            orow = builder.gep(of.data, [builder.mul(ev, kk)])
            wrows, orows = [], []
            for _ in range(8):
                wrows.append(wrow)
                orows.append(orow)
                orow = builder.gep(orow, [kk])
                c1 = builder.add(cv, one)
                wrap = builder.icmp_signed("==", c1, nchv)
                wrow = builder.select(wrap, builder.gep(wrow, [kk]), wrow)
                cv = builder.select(wrap, zero_i, c1)

            def tap(t, k):
                o = builder.sext(builder.load(builder.gep(orows[t], [k])), intp)
                x = builder.load(builder.bitcast(builder.gep(tbase, [o]), vt.as_pointer()),
                                 align=context.get_abi_sizeof(fty))
                weight = builder.load(builder.gep(wrows[t], [k]))
                return builder.fmul(_ir_splat(builder, vt, weight), x)

            if ntaps:
                vecs = []
                for t in range(8):
                    acc = zs
                    for k in range(ntaps):
                        acc = builder.fadd(acc, tap(t, ir.Constant(intp, k)))
                    vecs.append(acc)
            else:
                slots = []
                for t in range(8):
                    first = builder.fadd(zs, tap(t, zero_i))
                    slots.append(cgutils.alloca_once_value(builder, first))
                with cgutils.for_range_slice(builder, one, kk, one, intp=intp) as (k, _):
                    for t in range(8):
                        builder.store(builder.fadd(builder.load(slots[t]), tap(t, k)), slots[t])
                vecs = [builder.load(slot) for slot in slots]
            oty = context.get_data_type(signature.args[0].dtype)
            _ir_lanes_store(context, builder, oa, ev, vecs, gv, halfv, topv, zerov, oty,
                            context.get_abi_sizeof(oty))
            return context.get_dummy_value()

        return sig, codegen

    return block


_lane_block2 = _lane_tap_block(2)
_lane_block4 = _lane_tap_block(4)
_lane_block = _lane_tap_block(0)


@jit
def _cols_group(rows, g, out, nch, idx, w, w64, mode, consts, maxval, tin, tout, fix, offs):
    """Columns pass of the ``g <= _LANES`` flattened rows ``rows[:g] -> out[:g]`` for any table:
    the rows are transposed into the lanes of ``tin`` (``(W_in * C, _LANES)``, accumulation
    type), each output element is filtered in all lanes at once (:func:`_lane_fir`) into
    ``tout`` (``(W_out * C, _LANES)``), then stored back row by row (rounded and saturated for
    integer outputs, near ties recomputed in float64 in tap order as everywhere else; ``fix``
    holds each element's near-tie lanes).  Lanes ``>= g`` compute whatever ``tin`` holds there
    and are never stored.

    ``offs`` (:meth:`_TablePlan.lane_offsets`; ``None``: the path above, and the only one for
    checked tables): eight elements at a time are filtered, transposed and stored in registers
    by the tap blocks (:func:`_lane_tap_block`; the last block overlaps the one before), with
    the same arithmetic; ``tout`` and ``fix`` are then unused."""
    _align_stack()
    length = rows.shape[1]
    lo = out.shape[1]
    w_out = lo // nch
    ntaps = idx.shape[1]
    zero = consts[3]
    half = consts[0]
    check = mode == MODE_CHECK
    x0 = 0
    if _JIT:
        while x0 + 8 <= length:
            _lanes_in(tin, x0, rows, g)
            x0 += 8
    for i in range(g):
        r = rows[i]
        for x in range(x0, length):
            tin[x, i] = r[x]
    if offs is not None:
        if lo >= 8:
            top = consts[1]
            e0 = 0
            while e0 < lo:
                e0 = min(e0, lo - 8)
                j = e0 // nch
                if ntaps == 4:
                    _lane_block4(out, e0, j, e0 - j * nch, tin, offs, w, nch, g, half, top, zero)
                elif ntaps == 2:
                    _lane_block2(out, e0, j, e0 - j * nch, tin, offs, w, nch, g, half, top, zero)
                else:
                    _lane_block(out, e0, j, e0 - j * nch, tin, offs, w, nch, g, half, top, zero)
                e0 += 8
            return
    lanes = (1 << g) - 1  # near ties of the first g lanes are recomputed after the stores
    never = zero - half - half  # -1: no value is within it of a tie
    for j in range(w_out):
        bound = consts[5 + j] if check else never  # the row's bound; -1 for exact rows
        for c in range(nch):
            e = j * nch + c
            if _JIT:
                mask = _lane_fir(tout, e, tin, idx, w, j, nch, c, zero, half, bound)
            else:
                mask = 0
                for i in range(_LANES):
                    s = zero + w[j, 0] * tin[idx[j, 0] * nch + c, i]
                    for k in range(1, ntaps):
                        s = s + w[j, k] * tin[idx[j, k] * nch + c, i]
                    tout[e, i] = s
                    if abs(s - np.floor(s) - half) <= bound:
                        mask |= 1 << i
            if check:
                fix[e] = mask & lanes
    top = consts[1]
    e0 = 0
    if _JIT:
        while e0 + 8 <= lo:
            _lanes_out(out, e0, tout, g, half, top, zero)
            e0 += 8
    if mode == MODE_FLOAT:
        for i in range(g):
            o = out[i]
            for e in range(e0, lo):
                o[e] = tout[e, i]
        return
    for i in range(g):
        o = out[i]
        for e in range(e0, lo):
            o[e] = np.int32(min(max(tout[e, i] + half, zero), top))  # as _store
    if not check:
        return
    for e in range(lo):
        mask = fix[e]
        while mask:
            i = _lowest_bit(mask)
            mask &= mask - 1
            j = e // nch
            c = e - j * nch
            r = rows[i]
            d = w64[j, 0] * np.float64(r[idx[j, 0] * nch + c])
            for k in range(1, ntaps):
                d += w64[j, k] * np.float64(r[idx[j, k] * nch + c])
            out[i, e] = _round_sat(d, maxval)


@jit
def _lane_tout_len(lo, offs):
    """Elements of the ``tout`` and ``fix`` of :func:`_cols_group` for output rows of ``lo``
    elements: none where the tap blocks run (``offs`` given, ``lo >= 8``), else ``lo``."""
    if offs is None or lo < 8:
        return lo
    return 0


@jit
def _lane_scratch(length, lo, w):
    """``(tin, tout, fix)`` of :func:`_cols_group` (``tin`` zeroed: its unused lanes stay
    finite; ``lo``: :func:`_lane_tout_len`)."""
    return (np.zeros((max(length, 1), _LANES), dtype=w.dtype),
            np.empty((max(lo, 1), _LANES), dtype=w.dtype), np.empty(max(lo, 1), dtype=np.int64))


@jit
def _cols_chunk_lanes(src, dst, nch, idx, w, w64, mode, consts, maxval, offs, ch, nchunks):
    """Columns pass (:func:`_cols_group`) of the rows ``[ch * H // nchunks, ...)``, eight at a
    time.  Arrays borrowed (:func:`_borrowed`; not the optional ``w64``)."""
    _align_stack()
    src, dst, idx, w, consts, offs = (_borrowed(src), _borrowed(dst), _borrowed(idx),
                                      _borrowed(w), _borrowed(consts), _borrowed(offs))
    h = src.shape[0]
    tin_own, tout_own, fix_own = _lane_scratch(src.shape[1], _lane_tout_len(dst.shape[1], offs),
                                               w)
    tin, tout, fix = _borrowed(tin_own), _borrowed(tout_own), _borrowed(fix_own)
    i1 = (ch + 1) * h // nchunks
    for i in range(ch * h // nchunks, i1, _LANES):
        g = min(_LANES, i1 - i)
        _cols_group(src[i:i + g], g, dst[i:i + g], nch, idx, w, w64, mode, consts, maxval, tin,
                    tout, fix, offs)
    _keep((tin_own, tout_own, fix_own))


@jit
def _fused_chunk_lanes(src, dst, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, nch, idx, w,
                       w64, mode, consts, maxval, offs, pairs, so, ch, nchunks):
    """Rows pass then columns pass (:func:`_cols_group`) of the output rows
    ``[ch * H_out // nchunks, ...)``, eight rows-pass rows at a time (two of them with the
    same source rows in one sweep, ``pairs``: :func:`_row_pair`).  Arrays borrowed as in
    :func:`_fused_chunk_il`."""
    _align_stack()
    src, dst, ridx, rw, rconsts = (_borrowed(src), _borrowed(dst), _borrowed(ridx),
                                   _borrowed(rw), _borrowed(rconsts))
    idx, w, consts, offs = _borrowed(idx), _borrowed(w), _borrowed(consts), _borrowed(offs)
    h_out = dst.shape[0]
    length = src.shape[1]
    mid_own = np.empty((_LANES, length), dtype=w.dtype)
    racc_own = np.empty(length, dtype=rw.dtype)
    ring_own, st_own = _so_scratch(so, length, rw)
    tin_own, tout_own, fix_own = _lane_scratch(length, _lane_tout_len(dst.shape[1], offs), w)
    mid, racc = _borrowed(mid_own), _borrowed(racc_own)
    ring, st = _borrowed(ring_own), _borrowed(st_own)
    tin, tout, fix = _borrowed(tin_own), _borrowed(tout_own), _borrowed(fix_own)
    i1 = (ch + 1) * h_out // nchunks
    for i in range(ch * h_out // nchunks, i1, _LANES):
        g = min(_LANES, i1 - i)
        t = 0
        while t < g:
            if _row_pair(ridx, i + t, i + g, rw64, so, pairs):
                _rows_pair(src, mid[t], mid[t + 1], i + t, ridx, rw, rmode, rconsts, rfma)
                t += 2
                continue
            _rows_row_so(src, mid[t], i + t, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, racc,
                         so, ring, st)
            t += 1
        _cols_group(mid, g, dst[i:i + g], nch, idx, w, w64, mode, consts, maxval, tin, tout,
                    fix, offs)
    _keep((mid_own, racc_own, ring_own, st_own, tin_own, tout_own, fix_own))


@jit
def _ring_slots(ring_tags, ring_used, where, taps, i, slots, todo):
    """Map the source rows ``taps`` of output row ``i`` onto ring slots (columns pass first).

    A row already in the ring (``where[row] >= 0``) keeps its slot; a missing one takes the
    least recently used slot, which no tap of row ``i`` uses (those are marked first; the ring
    has at least as many slots as taps).  ``slots[k]`` gets the slot of tap ``k``; returns how
    many slots were assigned new rows, listed in ``todo`` (their rows are in ``ring_tags``).
    Hits cost O(1) each, a miss one scan of the slots (about one miss per source row)."""
    _align_stack()
    nslots = ring_tags.shape[0]
    for k in range(taps.shape[0]):
        s = where[taps[k]]
        slots[k] = s
        if s >= 0:
            ring_used[s] = i
    ntodo = 0
    for k in range(taps.shape[0]):
        if slots[k] >= 0:
            continue
        best = 0
        for s in range(1, nslots):
            if ring_used[s] < ring_used[best]:
                best = s
        if ring_tags[best] >= 0:
            where[ring_tags[best]] = -1
        ring_tags[best] = taps[k]
        where[taps[k]] = best
        ring_used[best] = i
        todo[ntodo] = best
        ntodo += 1
        for kk in range(k, taps.shape[0]):  # later taps reading the same row share the slot
            if taps[kk] == taps[k]:
                slots[kk] = best
    return ntodo


@jit
def _ring_rows(dst, ring, rw, rw64, rmode, rconsts, rmaxval, rfma, i, slots2, racc, rstream):
    """The rows pass of output row ``i`` over the ring (``slots2[0]``: the slot of each tap).
    ``rstream`` true: a float output row of a two- or four-tap table, streamed
    (:func:`_stream_row`: the same values); ``None`` compiles no streamed branch."""
    if rstream is not None:
        if rstream:
            s = slots2[0]
            if s.shape[0] == 4:
                _stream_row(dst[i], (ring[s[0]], ring[s[1]], ring[s[2]], ring[s[3]]),
                            (rw[i, 0], rw[i, 1], rw[i, 2], rw[i, 3]))
            else:
                _stream_row(dst[i], (ring[s[0]], ring[s[1]]), (rw[i, 0], rw[i, 1]))
            return
    if rw64 is None:
        _rows_row(ring, dst[i], 0, slots2, rw[i:i + 1], None, rmode, rconsts, rmaxval, rfma, racc)
    else:
        _rows_row(ring, dst[i], 0, slots2, rw[i:i + 1], rw64[i:i + 1], rmode, rconsts, rmaxval,
                  rfma, racc)


@jit
def _fused_cols_first_il(src, dst, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, nch, idx, w,
                         w64, mode, consts, maxval, j0, nphase, mper, offs, wu, qs, fma, accs, fdi,
                         fdw, ring, rstream, ch, nchunks):
    """Columns pass (:func:`cols_pass_il`) then rows pass of the output rows ``[ch * H_out //
    nchunks, (ch + 1) * H_out // nchunks)``: columns-pass rows of the source rows each output
    row needs are kept in a small ring of intermediate rows (``ring[ch]``), computed once per
    chunk as the rows advance (see :func:`fused_passes`).  ``rstream``: the output rows are
    streamed (:func:`_stream_row`), fenced at the end of the chunk."""
    _align_stack()
    h_out = dst.shape[0]
    rg = ring[ch]
    nslots = rg.shape[0]
    ring_tags = np.full(nslots, -1, dtype=np.intp)
    ring_used = np.full(nslots, -1, dtype=np.intp)
    where = np.full(src.shape[0], -1, dtype=np.intp)  # source row -> ring slot
    ntaps = ridx.shape[1]
    slots2 = np.empty((1, ntaps), dtype=np.intp)
    todo = np.empty(ntaps, dtype=np.intp)
    x, r = _il_scratch(src.shape[1], nch, nphase, mper, w, rg, qs)
    racc = np.empty(max(rg.shape[1], 1), dtype=rw.dtype)
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        ntodo = _ring_slots(ring_tags, ring_used, where, ridx[i], i, slots2[0], todo)
        for t in range(ntodo):
            s = todo[t]
            if accs is None:
                _cols_row_il(src[ring_tags[s]], x, True, rg[s], None, r, nch, idx, w, w64, mode,
                             consts, maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
            else:
                _cols_row_il(src[ring_tags[s]], x, True, rg[s], accs[ch], r, nch, idx, w, w64,
                             mode, consts, maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
        _ring_rows(dst, rg, rw, rw64, rmode, rconsts, rmaxval, rfma, i, slots2, racc, rstream)
    if rstream:
        _store_fence()


@jit
def _fused_cols_first(src, dst, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, nch, idx, w, w64,
                      mode, consts, maxval, j0, nphase, qstep, mper, s0, tq, ta, wp, plen,
                      uniform, fma, ring, ch, nchunks):
    """:func:`_fused_cols_first_il` for the polyphase-planes / gather columns pass."""
    _align_stack()
    h_out = dst.shape[0]
    rg = ring[ch]
    nslots = rg.shape[0]
    ring_tags = np.full(nslots, -1, dtype=np.intp)
    ring_used = np.full(nslots, -1, dtype=np.intp)
    where = np.full(src.shape[0], -1, dtype=np.intp)  # source row -> ring slot
    ntaps = ridx.shape[1]
    slots2 = np.empty((1, ntaps), dtype=np.intp)
    todo = np.empty(ntaps, dtype=np.intp)
    w_in = src.shape[1] // nch
    xc = np.empty(nch * w_in, dtype=w.dtype)
    xq = np.empty(qstep * plen + 1, dtype=w.dtype)
    acc = np.empty(max(mper, 1), dtype=w.dtype)
    rp = np.empty(nch * nphase * mper + 1, dtype=rg.dtype)
    tp = np.empty(nch * nphase * mper + 1, dtype=rg.dtype)
    racc = np.empty(max(rg.shape[1], 1), dtype=rw.dtype)
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        ntodo = _ring_slots(ring_tags, ring_used, where, ridx[i], i, slots2[0], todo)
        for t in range(ntodo):
            s = todo[t]
            _cols_row(src[ring_tags[s]], rg[s], xc, xq, acc, rp, tp, nch, idx, w, w64, mode,
                      consts, maxval, j0, nphase, qstep, mper, s0, tq, ta, wp, plen, uniform, fma)
        _ring_rows(dst, rg, rw, rw64, rmode, rconsts, rmaxval, rfma, i, slots2, racc, None)


# ---------------------------------------------------------------------------------------------
# fixed-point integer path: four-tap exact tables on unsigned integer images

_FIX16_PX = 32  # pixels per block of 16-bit lanes (two AVX2 vectors)
_FIX32_PX = 16  # pixels per block of 32-bit lanes


def _fixed_block(bits, npx, numer=False):
    """An ``@intrinsic`` ``block(out, oo, a0, t0, a1, t1, a2, t2, a3, t3, w0, w1, w2, w3,
    bias, q, off, top)`` computing ``npx`` pixels of :func:`_fir4_fixed` in ``bits``-bit
    integer lanes::

        out[oo + t] = clamp(((bias + sum_k w_k * a_k[t_k + t]) mod 2**bits >> q) - off, 0, top)

    or, with ``numer`` (``bias = off = 0``, ``q`` the denominator ``D`` of the numerator
    weights of :func:`_numer_weights`), ``clamp(trunc(fl(fl(S c) + 1/2)), 0, top)`` with
    the exact integer sum ``S`` converted to float32 and ``c = fl(1 / D)`` (float32).

    It emits plain LLVM IR (vector loads, zero extension, multiplies and adds that wrap
    modulo ``2**bits``, a logical shift, a signed clamp and a truncating store), which LLVM
    lowers to 16 pixels per AVX2 instruction for 16-bit lanes.  :func:`_fixed_plan` chooses
    ``bits``, ``bias`` and ``off`` so that the true value ``bias + sum_k w_k a_k`` lies in
    ``[0, 2**bits)``: the wrapped arithmetic then gives it exactly.  The arrays must be 1-D
    and C-contiguous, of unsigned integer dtypes."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out, oo, a0, t0, a1, t1, a2, t2, a3, t3, w0, w1, w2, w3, bias, q, off,
              top):
        arrs = (out, a0, a1, a2, a3)
        if not (all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                    and isinstance(a.dtype, types.Integer) and not a.dtype.signed for a in arrs)
                and a1.dtype == a0.dtype and a2.dtype == a0.dtype and a3.dtype == a0.dtype):
            raise errors.TypingError("fixed-point block needs C-contiguous 1-D unsigned arrays")
        ip = types.intp
        sig = types.void(out, ip, a0, ip, a1, ip, a2, ip, a3, ip, *([types.int64] * 8))

        def codegen(context, builder, signature, args):
            vt = ir.VectorType(ir.IntType(bits), npx)

            def pointer(k):  # vector pointer to array argument k (0: out) at its offset
                aty = signature.args[2 * k]
                arr = context.make_array(aty)(context, builder, args[2 * k])
                ety = ir.VectorType(ir.IntType(aty.dtype.bitwidth), npx)
                return builder.bitcast(builder.gep(arr.data, [args[2 * k + 1]]),
                                       ety.as_pointer()), aty.dtype.bitwidth // 8

            def splat(x):
                return _ir_splat(builder, vt, builder.trunc(x, vt.element))

            acc = splat(args[14])
            for k in range(4):
                ptr, size = pointer(k + 1)
                a = _ir_resize_int(builder, builder.load(ptr, align=size), vt)
                acc = builder.add(acc, builder.mul(a, splat(args[10 + k])))
            if numer:
                acc = _ir_numer_round(builder, acc, args[15], splat(args[17]))
            else:
                acc = _ir_fixed_round(builder, acc, splat(args[15]), splat(args[16]),
                                      splat(args[17]))
            optr, osize = pointer(0)
            builder.store(_ir_resize_int(builder, acc, optr.type.pointee), optr, align=osize)
            return context.get_dummy_value()

        return sig, codegen

    return block


_fix16 = _fixed_block(16, _FIX16_PX)
_fix32 = _fixed_block(32, _FIX32_PX)
_fixn = _fixed_block(32, _FIX32_PX, numer=True)


def _fixed_pair_block(bits, npx):
    """An ``@intrinsic`` ``block(out0, out1, t, a0, a1, a2, a3, w0..w3, v0..v3, bias, q,
    off, top)``: ``npx`` pixels at ``t`` of two rows of :func:`_fixed_block` (not ``numer``)
    that read the same four source rows, ``out0`` with the weights ``w``, ``out1`` with
    ``v`` (:func:`_rows_pair_fixed`): each source vector loaded and widened once for both.
    The same lanes, wrapping arithmetic and rounding as :func:`_fixed_block`, so the same
    values."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out0, out1, t, a0, a1, a2, a3, w0, w1, w2, w3, v0, v1, v2, v3, bias,
              q, off, top):
        arrs = (out0, out1, a0, a1, a2, a3)
        if not (all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                    and isinstance(a.dtype, types.Integer) and not a.dtype.signed for a in arrs)
                and len({a.dtype for a in arrs[2:]}) == 1 and out1.dtype == out0.dtype):
            raise errors.TypingError("fixed-point pair block needs C-contiguous 1-D unsigned "
                                     "arrays")
        sig = types.void(out0, out1, types.intp, a0, a1, a2, a3, *([types.int64] * 12))

        def codegen(context, builder, signature, args):
            vt = ir.VectorType(ir.IntType(bits), npx)

            def pointer(k):  # vector pointer to array argument k at element t
                aty = signature.args[k if k < 2 else k + 1]
                arr = context.make_array(aty)(context, builder, args[k if k < 2 else k + 1])
                ety = ir.VectorType(ir.IntType(aty.dtype.bitwidth), npx)
                return builder.bitcast(builder.gep(arr.data, [args[2]]),
                                       ety.as_pointer()), aty.dtype.bitwidth // 8

            def splat(x):
                return _ir_splat(builder, vt, builder.trunc(x, vt.element))

            xs = []
            for k in range(4):
                ptr, size = pointer(k + 2)
                xs.append(_ir_resize_int(builder, builder.load(ptr, align=size), vt))
            for o in range(2):
                acc = splat(args[15])
                for k in range(4):
                    acc = builder.add(acc, builder.mul(xs[k], splat(args[7 + 4 * o + k])))
                acc = _ir_fixed_round(builder, acc, splat(args[16]), splat(args[17]),
                                      splat(args[18]))
                optr, osize = pointer(o)
                builder.store(_ir_resize_int(builder, acc, optr.type.pointee), optr,
                              align=osize)
            return context.get_dummy_value()

        return sig, codegen

    return block


_fix16p = _fixed_pair_block(16, _FIX16_PX)
_fix32p = _fixed_pair_block(32, _FIX32_PX)


@jit
def _fir4_fixed(out, oo, a0, t0, a1, t1, a2, t2, a3, t3, wi, fc, n):
    """``out[oo + t] = clamp(((bias + sum_k wi[k] a_k[t_k + t]) >> q) - off, 0, top)`` for
    ``t < n``, with ``fc = (bias, q, off, top, bits)`` from :func:`_fixed_plan`: four taps of
    an exact table in integer arithmetic, which is MATLAB's rounded result (see there).
    Blocks of :func:`_fixed_block` in ``bits``-bit lanes, or of :func:`_madd4_block` for
    ``bits == _PMADD`` (``_PMADD16``: 16-bit pixels as ``x - 32768``, the block started from
    ``bias + 32768 sum_k w_k``); the last block ends at ``n``
    (overlapping the one before: it rewrites some outputs with the same values; ``out`` must
    not overlap the inputs).  Fewer than one block of pixels: a scalar loop in int64.
    ``bits == _NUMER`` (``_NUMER16``: on the block of :func:`_madd4_block`, pixels as
    ``x - 32768``, its sums started from ``bias + 32768 sum_k w_k``): numerator weights
    (:func:`_numer_weights`), rounded by the float32
    multiply of the ``numer`` blocks, or exactly in the scalar loop (:func:`_numer_round`).
    ``bits == _TIES`` (``_TIES16``): tie-checked numerators (:func:`_tie_weights`), ``floor(X
    / q) - off`` by the ``ties`` blocks of :func:`_madd4_block`, the ties of a flagged row
    recomputed in float64 (:func:`_fir4_fixed_at`)."""
    _fir4_fixed_at(out, oo, a0, t0, a1, t1, a2, t2, a3, t3, wi, fc, n,
                   wi.reshape((1, wi.shape[0])), _I0, _I0, np.int64(1))


@jit
def _fir4_fixed_at(out, oo, a0, t0, a1, t1, a2, t2, a3, t3, wi, fc, n, wt, fj0, fstep, fnch):
    """:func:`_fir4_fixed` whose tie-checked plans (``_TIES``, ``_TIES16``) recompute the tie
    of output ``u < n`` with the float64 weights of row ``fj0 + fstep (u // fnch)`` of the
    plan table ``wt`` (:func:`_tie_weights`; ``wi`` is that table's row for every output of
    the call, but for its float64 bits: a columns-pass phase covers rows of several periods,
    whose float64 weights may differ in the last bits)."""
    _align_stack()
    bias = fc[0]
    q = fc[1]
    off = fc[2]
    top = fc[3]
    w0 = wi[0]
    w1 = wi[1]
    w2 = wi[2]
    w3 = wi[3]
    numer = fc[4] == _NUMER or fc[4] == _NUMER16
    ties = fc[4] == _TIES or fc[4] == _TIES16
    t = 0
    if _JIT:
        if ties:
            if n >= _MADD_PX:
                b = bias if fc[4] == _TIES else bias + 32768 * (w0 + w1 + w2 + w3)
                check = wi[4] != 0
                while t >= 0:
                    mask = _madd4t(out, oo + t, a0, t0 + t, a1, t1 + t, a2, t2 + t, a3, t3 + t,
                                   w0, w1, w2, w3, b, q, off, top)
                    if check and mask:
                        _fix_ties(out, oo, a0, t0, a1, t1, a2, t2, a3, t3, t, mask, top, wt,
                                  fj0, fstep, fnch)
                    t = _next_block(t, _MADD_PX, n)
                t = n
        elif fc[4] == _PMADD or fc[4] == _PMADD16 or fc[4] == _NUMER16:
            if n >= _MADD_PX:
                # 16-bit pixels enter the lanes as x - 32768: start from bias + 32768 sum_k w_k
                b = bias if fc[4] == _PMADD else bias + 32768 * (w0 + w1 + w2 + w3)
                numer16 = fc[4] == _NUMER16
                while t >= 0:
                    if numer16:
                        _madd4n(out, oo + t, a0, t0 + t, a1, t1 + t, a2, t2 + t, a3, t3 + t,
                                w0, w1, w2, w3, b, q, off, top)
                    else:
                        _madd4(out, oo + t, a0, t0 + t, a1, t1 + t, a2, t2 + t, a3, t3 + t,
                               w0, w1, w2, w3, b, q, off, top)
                    t = _next_block(t, _MADD_PX, n)
                t = n
        elif numer:
            if n >= _FIX32_PX:
                while t >= 0:
                    _fixn(out, oo + t, a0, t0 + t, a1, t1 + t, a2, t2 + t, a3, t3 + t,
                          w0, w1, w2, w3, bias, q, off, top)
                    t = _next_block(t, _FIX32_PX, n)
                t = n
        elif fc[4] == 16:
            if n >= _FIX16_PX:
                while t >= 0:
                    _fix16(out, oo + t, a0, t0 + t, a1, t1 + t, a2, t2 + t, a3, t3 + t,
                           w0, w1, w2, w3, bias, q, off, top)
                    t = _next_block(t, _FIX16_PX, n)
                t = n
        elif n >= _FIX32_PX:
            while t >= 0:
                _fix32(out, oo + t, a0, t0 + t, a1, t1 + t, a2, t2 + t, a3, t3 + t,
                       w0, w1, w2, w3, bias, q, off, top)
                t = _next_block(t, _FIX32_PX, n)
            t = n
    for u in range(t, n):
        x0 = a0[t0 + u]
        x1 = a1[t1 + u]
        x2 = a2[t2 + u]
        x3 = a3[t3 + u]
        s = (bias + w0 * np.int64(x0) + w1 * np.int64(x1) + w2 * np.int64(x2)
             + w3 * np.int64(x3))
        if ties:
            out[oo + u] = _tie_round(s, q, off, top, wi[4], wt[fj0 + fstep * (u // fnch)],
                                     x0, x1, x2, x3)
        else:
            out[oo + u] = _numer_round(s, q, top) if numer else min(max((s >> q) - off, 0), top)


@jit
def _tie_matlab(wrow, x0, x1, x2, x3, top):
    """MATLAB's rounded float64 sum in tap order of the pixels ``x0 .. x3`` with the float64
    weights kept in the tie-checked plan row ``wrow`` (:func:`_tie_weights`), saturated to
    ``[0, top]``: the value of a tie in a flagged row."""
    d = _bits_f64(wrow[5]) * np.float64(x0)
    d += _bits_f64(wrow[6]) * np.float64(x1)
    d += _bits_f64(wrow[7]) * np.float64(x2)
    d += _bits_f64(wrow[8]) * np.float64(x3)
    return _round_sat(d, np.float64(top))


@jit
def _tie_round(x, q, off, top, flag, wrow, x0, x1, x2, x3):
    """The output of the sum ``x = X`` of a tie-checked numerator plan (:func:`_tie_weights`)
    for the pixels ``x0 .. x3``: ``floor(X / q) - off`` saturated to ``[0, top]``, unless
    ``X / q`` is an integer (a tie of ``S / D``) in a flagged row (``flag``), which gets
    :func:`_tie_matlab` with the plan row ``wrow``."""
    if flag != 0 and x % q == 0:
        return np.int64(_tie_matlab(wrow, x0, x1, x2, x3, top))
    return min(max(x // q - off, 0), top)


@jit
def _fix_ties(out, oo, a0, t0, a1, t1, a2, t2, a3, t3, t, mask, top, wt, fj0, fstep, fnch):
    """Recompute the outputs ``u = t + e`` (``out[oo + u]``) of the set bits ``e`` of a tie
    mask (:func:`_madd4t`) by :func:`_tie_matlab` with the plan row ``fj0 + fstep (u //
    fnch)`` of ``wt`` (:func:`_fir4_fixed_at`)."""
    _align_stack()
    while mask:
        u = t + _lowest_bit(mask)
        mask &= mask - 1
        out[oo + u] = _tie_matlab(wt[fj0 + fstep * (u // fnch)], a0[t0 + u], a1[t1 + u],
                                  a2[t2 + u], a3[t3 + u], top)


@jit
def _numer_round(s, den, top):
    """``round(s / den)`` half away from zero, saturated to ``[0, top]``, in exact integer
    arithmetic: ``floor((2 s + den) / (2 den))`` (the numerator plans' odd ``den`` puts no
    ``s / den`` on a tie, so the float32 blocks give the same value: :func:`_numer_weights`)."""
    return min(max((2 * s + den) // (2 * den), 0), top)


@jit
def _gather_fixed(row, orow, nch, idx, wi, fc, j_lo, j_hi):
    """:func:`_gather_row` in fixed point (the scalar formula of :func:`_fir4_fixed`, any
    number of taps) for outputs ``j_lo <= j < j_hi``."""
    _align_stack()
    bias = fc[0]
    q = fc[1]
    off = fc[2]
    top = fc[3]
    numer = fc[4] == _NUMER or fc[4] == _NUMER16
    ties = fc[4] == _TIES or fc[4] == _TIES16
    for j in range(j_lo, j_hi):
        for c in range(nch):
            s = bias
            for k in range(idx.shape[1]):
                s += wi[j, k] * np.int64(row[idx[j, k] * nch + c])
            if ties:  # four taps
                orow[j * nch + c] = _tie_round(
                    s, q, off, top, wi[j, 4], wi[j], row[idx[j, 0] * nch + c],
                    row[idx[j, 1] * nch + c], row[idx[j, 2] * nch + c], row[idx[j, 3] * nch + c])
            else:
                orow[j * nch + c] = (_numer_round(s, q, top) if numer
                                     else min(max((s >> q) - off, 0), top))


@jit
def _rows_row_fixed(src, out, i, idx, wi, fc):
    """Output row ``i`` of a four-tap rows pass in fixed point (:func:`_fir4_fixed`)."""
    rows = idx[i]
    _fir4_fixed(out, _I0, src[rows[0]], _I0, src[rows[1]], _I0, src[rows[2]], _I0,
                src[rows[3]], _I0, wi[i], fc, out.shape[0])


@jit
def _rows_pair_fixed(src, out0, out1, i, idx, wi, fc):
    """Output rows ``i`` and ``i + 1`` of a four-tap rows pass in fixed point, which read the
    same source rows (:func:`_row_pair`), into ``out0`` and ``out1``: the plain kinds of
    :func:`_fixed_plan` (16- and 32-bit lanes, pmaddwd for 8- and 16-bit pixels) by the pair
    blocks (:func:`_fixed_pair_block`, :func:`_madd4_pair_block`: each source vector loaded
    once for both rows), the others (and rows shorter than a block) as two
    :func:`_rows_row_fixed` calls.  The values of :func:`_rows_row_fixed` either way."""
    _align_stack()
    rows = idx[i]
    a0 = src[rows[0]]
    a1 = src[rows[1]]
    a2 = src[rows[2]]
    a3 = src[rows[3]]
    n = out0.shape[0]
    kind = fc[4]
    w = wi[i]
    v = wi[i + 1]
    bias = fc[0]
    if _JIT and (kind == _PMADD or kind == _PMADD16) and n >= _MADD_PX:
        b0 = bias if kind == _PMADD else bias + 32768 * (w[0] + w[1] + w[2] + w[3])
        b1 = bias if kind == _PMADD else bias + 32768 * (v[0] + v[1] + v[2] + v[3])
        t = 0
        while t >= 0:
            _madd4p(out0, out1, t, a0, a1, a2, a3, w[0], w[1], w[2], w[3], v[0], v[1], v[2],
                    v[3], b0, b1, fc[1], fc[2], fc[3])
            t = _next_block(t, _MADD_PX, n)
        return
    npx = _FIX16_PX if kind == 16 else _FIX32_PX
    if _JIT and (kind == 16 or kind == 32) and n >= npx:
        t = 0
        while t >= 0:
            if kind == 16:
                _fix16p(out0, out1, t, a0, a1, a2, a3, w[0], w[1], w[2], w[3], v[0], v[1],
                        v[2], v[3], bias, fc[1], fc[2], fc[3])
            else:
                _fix32p(out0, out1, t, a0, a1, a2, a3, w[0], w[1], w[2], w[3], v[0], v[1],
                        v[2], v[3], bias, fc[1], fc[2], fc[3])
            t = _next_block(t, npx, n)
        return
    _rows_row_fixed(src, out0, i, idx, wi, fc)
    _rows_row_fixed(src, out1, i + 1, idx, wi, fc)


@jit
def _cols_row_fixed(row, orow, r, nch, idx, wi, j0, nphase, mper, offs, wui, fc, x, qs):
    """Columns pass of one flattened row for a periodic four-tap table in fixed point: as
    :func:`_cols_row_il`, each output phase filtered over the channel-interleaved row
    ``row`` (integer factors) or, for ``qs[0] = Q > 1`` (fractional scales), over its ``Q``
    pixel-phase planes in the scratch ``x`` (:func:`_deinterleave_pixels`, the source dtype
    itself), then interleaved back; the border outputs are gathered (:func:`_gather_fixed`)."""
    _align_stack()
    w_out = orow.shape[0] // nch
    n = mper * nch
    j1 = j0 + nphase * mper
    _gather_fixed(row, orow, nch, idx, wi, fc, _I0, min(j0, w_out))
    src = row
    if qs[0] > 1:
        _deinterleave_pixels(row, x, nch, qs[0], qs[1], qs[2])
        src = x
    for p in range(nphase):
        o = offs[p]
        _fir4_fixed_at(r[p], _I0, src, o[0], src, o[1], src, o[2], src, o[3], wui[p], fc, n,
                       wi, j0 + p, nphase, nch)
    _interleave_phases(r, nphase, nch, mper, orow[j0 * nch:j1 * nch])
    _gather_fixed(row, orow, nch, idx, wi, fc, j1, w_out)


@jit
def _fixed_scratch(length, nch, nphase, mper, dtype_of, qs):
    """Scratch of :func:`_cols_row_fixed`: ``(x, r)``, the pixel-phase planes (``Q > 1``;
    else unused) in the dtype of ``dtype_of`` and the phase rows."""
    x = np.empty(max(length, qs[0] * qs[2] * nch, 1) if qs[0] > 1 else 1, dtype=dtype_of.dtype)
    r = np.empty((nphase, max(mper * nch, 1)), dtype=dtype_of.dtype)
    return x, r


@jit
def _rows_chunk_fixed(src, dst, idx, wi, fc, pairs, ch, nchunks):
    """Rows pass in fixed point of the output rows ``[ch * H_out // nchunks, ...)``; two rows
    with the same source rows at once (``pairs``: :func:`_row_pair`,
    :func:`_rows_pair_fixed`).  Arrays borrowed (:func:`_borrowed`)."""
    _align_stack()
    src, dst, idx, wi, fc = (_borrowed(src), _borrowed(dst), _borrowed(idx), _borrowed(wi),
                             _borrowed(fc))
    h_out = dst.shape[0]
    hi = (ch + 1) * h_out // nchunks
    i = ch * h_out // nchunks
    while i < hi:
        if _row_pair(idx, i, hi, None, None, pairs):
            _rows_pair_fixed(src, dst[i], dst[i + 1], i, idx, wi, fc)
            i += 2
        else:
            _rows_row_fixed(src, dst[i], i, idx, wi, fc)
            i += 1


@jit
def _cols_chunk_fixed(src, dst, nch, idx, wi, j0, nphase, mper, offs, wui, qs, fc, ch, nchunks):
    """Columns pass in fixed point of the rows ``[ch * H // nchunks, ...)``.  Arrays borrowed
    (:func:`_borrowed`)."""
    _align_stack()
    src, dst, idx, wi, offs = (_borrowed(src), _borrowed(dst), _borrowed(idx), _borrowed(wi),
                               _borrowed(offs))
    wui, qs, fc = _borrowed(wui), _borrowed(qs), _borrowed(fc)
    h = src.shape[0]
    x_own, r_own = _fixed_scratch(src.shape[1], nch, nphase, mper, dst, qs)
    x, r = _borrowed(x_own), _borrowed(r_own)
    for i in range(ch * h // nchunks, (ch + 1) * h // nchunks):
        _cols_row_fixed(src[i], dst[i], r, nch, idx, wi, j0, nphase, mper, offs, wui, fc, x, qs)
    _keep((x_own, r_own))


@jit
def _fused_chunk_fixed(src, dst, mid, ridx, rwi, rfc, nch, idx, wi, j0, nphase, mper, offs, wui,
                       qs, fc, pairs, ch, nchunks):
    """Both passes in fixed point (rows pass first) of the output rows ``[ch * H_out //
    nchunks, ...)``; ``mid`` is an empty array of the intermediate dtype (its row is scratch).
    ``pairs``: two rows-pass rows with the same source rows at once (:func:`_row_pair`,
    :func:`_rows_pair_fixed`).  Arrays borrowed (:func:`_borrowed`)."""
    _align_stack()
    src, dst, ridx, rwi, rfc = (_borrowed(src), _borrowed(dst), _borrowed(ridx), _borrowed(rwi),
                                _borrowed(rfc))
    idx, wi, offs, wui, qs, fc = (_borrowed(idx), _borrowed(wi), _borrowed(offs), _borrowed(wui),
                                  _borrowed(qs), _borrowed(fc))
    h_out = dst.shape[0]
    length = src.shape[1]
    xr_own = np.empty(max(length, 1), dtype=mid.dtype)
    xr2_own = np.empty(max(length, 1) if pairs else 1, dtype=mid.dtype)
    xr, xr2 = _borrowed(xr_own)[:length], _borrowed(xr2_own)[:length]
    x_own, r_own = _fixed_scratch(length, nch, nphase, mper, dst, qs)
    x, r = _borrowed(x_own), _borrowed(r_own)
    hi = (ch + 1) * h_out // nchunks
    i = ch * h_out // nchunks
    while i < hi:
        if _row_pair(ridx, i, hi, None, None, pairs):
            _rows_pair_fixed(src, xr, xr2, i, ridx, rwi, rfc)
            _cols_row_fixed(xr, dst[i], r, nch, idx, wi, j0, nphase, mper, offs, wui, fc, x, qs)
            i += 1
            _cols_row_fixed(xr2, dst[i], r, nch, idx, wi, j0, nphase, mper, offs, wui, fc, x,
                            qs)
        else:
            _rows_row_fixed(src, xr, i, ridx, rwi, rfc)
            _cols_row_fixed(xr, dst[i], r, nch, idx, wi, j0, nphase, mper, offs, wui, fc, x, qs)
        i += 1
    _keep((xr_own, xr2_own, x_own, r_own))


# ---------------------------------------------------------------------------------------------
# many-tap exact tables on 8-bit images: pairs of taps per 16-bit multiply-add (AVX2 pmaddwd)

def _target_has(feature="avx2"):
    """Whether Numba compiles for a CPU with ``feature`` (an LLVM feature name: ``avx2``,
    ``avx512f``): the host's, unless ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES`` name another
    target (then only an explicit ``+feature`` counts)."""
    feats = numba.config.CPU_FEATURES
    if feats:
        return "+" + feature in str(feats).split(",")
    if numba.config.CPU_NAME not in (None, "host"):
        return False
    try:
        import llvmlite.binding as llvm

        return bool(llvm.get_host_cpu_features().get(feature, False))
    except Exception:  # pragma: no cover - feature query unavailable
        return False


def _target_has_avx2():
    """Whether Numba compiles for a CPU with AVX2 (see :func:`_target_has`)."""
    return _target_has("avx2")


_MADD_PX = 32  # pixels per pmaddwd block (four AVX2 vectors of 32-bit sums, one byte store)
_PMADD = 1  # fc[4] of a four-tap fixed-point plan on the pmaddwd block (:func:`_madd4_block`)
_PMADD16 = 4  # the same for 16-bit pixels (``x - 32768``: see :func:`_madd4_block`)
_NUMER = 3  # fc[4] of a numerator plan (:func:`_numer_weights`): 32-bit lanes, float32 rounding
_NUMER16 = 5  # the same on the pmaddwd block (``x - 32768``: :func:`_madd4_block`)
_TIES = 6  # fc[4] of a tie-checked numerator plan of 8-bit pixels (:func:`_tie_weights`)
_TIES16 = 7  # the same for 16-bit pixels (``x - 32768``)

# pmaddwd blocks: two source rows' pixels are interleaved into 16-bit lane pairs by in-lane
# unpacks, so of the two 32-bit sum vectors of 16 pixels "lo" holds pixels 0-3 and 8-11, "hi"
# pixels 4-7 and 12-15 (the order that vpackssdw of (lo, hi) puts back in pixel order).
_UNPACK_LO = [0, 16, 1, 17, 2, 18, 3, 19, 8, 24, 9, 25, 10, 26, 11, 27]
_UNPACK_HI = [m + 4 for m in _UNPACK_LO]


def _ir_x86(builder, name, ret, *args):
    """Call the x86 intrinsic ``llvm.x86.<name>`` (only emitted for AVX2 targets)."""
    fn = builder.module.declare_intrinsic("llvm.x86." + name,
                                          fnty=ir.FunctionType(ret, [a.type for a in args]))
    return builder.call(fn, list(args))


def _ir_no_avx2(context, builder, name):
    """Codegen of a pmaddwd block when Numba does not target AVX2 (a portable
    ``NUMBA_CPU_NAME``): a ``RuntimeError`` instead of x86 intrinsics LLVM could not select.
    Python-level plans never reach it (:data:`_MADD_OK`); it exists because every branch of a
    kernel is compiled."""
    with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
        context.call_conv.return_user_exc(builder, RuntimeError, (name + ": needs AVX2",))
    return context.get_dummy_value()


def _ir_intp(value):
    """An intp (64-bit) LLVM constant."""
    return ir.Constant(ir.IntType(64), value)


def _ir_load_bytes16(builder, data, start):
    """16 bytes at element ``start`` of the uint8 array data ``data``, as int16 lanes."""
    ptr = builder.bitcast(builder.gep(data, [start]), ir.VectorType(ir.IntType(8), 16).as_pointer())
    return builder.zext(builder.load(ptr, align=1), ir.VectorType(ir.IntType(16), 16))


def _ir_load_pixels16(builder, data, start):
    """16 pixels at element ``start`` of the uint8 or uint16 array data ``data`` as int16
    lanes: bytes zero-extended (:func:`_ir_load_bytes16`), 16-bit pixels ``x`` as ``x -
    32768`` (the top bit flipped), which the signed lanes of ``vpmaddwd`` hold (the plan adds
    ``32768 sum_k W_k`` back: :func:`_madd_plan`)."""
    if data.type.pointee.width == 8:
        return _ir_load_bytes16(builder, data, start)
    v16 = ir.VectorType(ir.IntType(16), 16)
    ptr = builder.bitcast(builder.gep(data, [start]), v16.as_pointer())
    return builder.xor(builder.load(ptr, align=2), ir.Constant(v16, [-32768] * 16))


def _ir_pair_weight(builder, wa, wb):
    """The int16 pair ``(wa, wb)`` (int64 scalars) repeated over 16 lanes."""
    i32 = ir.IntType(32)
    pair = builder.or_(builder.and_(builder.trunc(wa, i32), ir.Constant(i32, 0xFFFF)),
                       builder.shl(builder.trunc(wb, i32), ir.Constant(i32, 16)))
    return builder.bitcast(_ir_splat(builder, ir.VectorType(i32, 8), pair),
                           ir.VectorType(ir.IntType(16), 16))


def _ir_madd_sums(builder, rows, weights, bias):
    """``(lo, hi)``: ``bias + sum_k W_k x_k`` of 16 pixels (see ``_UNPACK_LO``) from the int16
    lane vectors ``rows`` (an odd one out pairs with zeros) and the pair weights ``weights``
    (:func:`_ir_pair_weight`), one ``vpmaddwd`` per pair and half."""
    i32 = ir.IntType(32)
    v8 = ir.VectorType(i32, 8)
    if len(rows) % 2:
        rows = rows + [ir.Constant(rows[0].type, [0] * 16)]
    lo = hi = bias
    for j, w in enumerate(weights):
        x, y = rows[2 * j], rows[2 * j + 1]
        for half, mask in ((0, _UNPACK_LO), (1, _UNPACK_HI)):
            pair = builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(i32, 16), mask))
            prod = _ir_x86(builder, "avx2.pmadd.wd", v8, pair, w)
            if half == 0:
                lo = builder.add(lo, prod)
            else:
                hi = builder.add(hi, prod)
    return lo, hi


def _ir_pair_bits(builder, tlo, thi):
    """The int64 mask (bit ``e`` for pixel ``e < 16``) of the lane flags ``tlo``, ``thi``
    (``<8 x i1>``) of a ``(lo, hi)`` pair of sums: lanes of lo are pixels 0-3, 8-11, of hi
    pixels 4-7, 12-15 (``_UNPACK_LO`` / ``_UNPACK_HI``)."""
    i64 = ir.IntType(64)
    mlo, mhi = (builder.zext(builder.bitcast(v, ir.IntType(8)), i64) for v in (tlo, thi))
    return builder.or_(
        builder.or_(builder.and_(mlo, _ir_intp(0x0F)),
                    builder.shl(builder.and_(mhi, _ir_intp(0x0F)), _ir_intp(4))),
        builder.or_(builder.shl(builder.and_(mlo, _ir_intp(0xF0)), _ir_intp(4)),
                    builder.shl(builder.and_(mhi, _ir_intp(0xF0)), _ir_intp(8))))


def _ir_madd_store(builder, sums, q, off, top, ptr, oty):
    """Round and store the ``(lo, hi)`` sums of 32 pixels (two pairs) at ``ptr``:
    ``clamp((S >> q) - off, 0, top)``.  Bytes (``top`` = 255): an arithmetic shift, then
    ``vpackssdw`` and ``vpackuswb`` saturate to ``[0, 255]`` and restore pixel order (S below
    ``2**31``: :func:`_madd_plan`); 16-bit pixels (``top`` = 65535): ``vpackusdw`` does both.
    Float rows: :func:`_ir_fixed_round` and a convert."""
    i32 = ir.IntType(32)
    v8 = ir.VectorType(i32, 8)
    qv, offv = (_ir_splat(builder, v8, builder.trunc(v, i32)) for v in (q, off))
    if isinstance(oty, ir.IntType) and oty.width == 16:
        for n, (lo, hi) in enumerate(sums):
            words = _ir_x86(builder, "avx2.packusdw", ir.VectorType(oty, 16),
                            builder.sub(builder.ashr(lo, qv), offv),
                            builder.sub(builder.ashr(hi, qv), offv))
            dst = builder.gep(builder.bitcast(ptr, words.type.as_pointer()), [_ir_intp(n)])
            builder.store(words, dst, align=2)
        return
    if isinstance(oty, ir.IntType):
        words = [_ir_x86(builder, "avx2.packssdw", ir.VectorType(ir.IntType(16), 16),
                         builder.sub(builder.ashr(lo, qv), offv),
                         builder.sub(builder.ashr(hi, qv), offv)) for lo, hi in sums]
        b = _ir_x86(builder, "avx2.packuswb", ir.VectorType(ir.IntType(8), 32), *words)
        q64 = builder.bitcast(b, ir.VectorType(ir.IntType(64), 4))
        q64 = builder.shuffle_vector(q64, ir.Constant(q64.type, ir.Undefined),
                                     ir.Constant(ir.VectorType(i32, 4), [0, 2, 1, 3]))
        builder.store(q64, builder.bitcast(ptr, q64.type.as_pointer()), align=1)
        return
    order = [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15]
    ovt = ir.VectorType(oty, 16)
    size = 8 if isinstance(oty, ir.DoubleType) else 4
    for n, (lo, hi) in enumerate(sums):
        acc = builder.shuffle_vector(lo, hi, ir.Constant(ir.VectorType(i32, 16), order))
        splat = (lambda v: _ir_splat(builder, acc.type, builder.trunc(v, i32)))
        acc = _ir_fixed_round(builder, acc, splat(q), splat(off), splat(top))
        dst = builder.gep(builder.bitcast(ptr, ovt.as_pointer()),
                          [ir.Constant(ir.IntType(64), n)])
        builder.store(builder.sitofp(acc, ovt), dst, align=size)


def _madd_block(npair):
    """An ``@intrinsic`` ``block(out, oo, src, starts, t, wp, fc)``: ``_MADD_PX`` pixels of a
    ``2 npair``-tap exact table in fixed point, two taps per ``vpmaddwd``::

        S[e] = bias + sum_k W_k x_k[e],   x_k[e] = src.flat[starts[k] + t + e]
        out[oo + e] = clamp((S[e] >> q) - off, 0, top)        (fc = (bias, q, off, top, bits))

    ``wp[j]`` packs the int16 weights of taps ``2j`` (low half) and ``2j + 1`` (high half).
    Pixel pairs of two source rows are interleaved into 16-bit lanes (``vpunpck[lh]wd``) and
    multiplied and pair-summed into 32-bit lanes by ``llvm.x86.avx2.pmadd.wd``: 16
    multiply-adds per instruction where the float path does 8 (plus a convert per tap).  It
    needs AVX2 (:func:`_target_has_avx2`), int16 weights and sums below ``2**31``
    (:func:`_madd_plan`); the 32-bit additions wrap like those of :func:`_fixed_block`, which
    is exact because the final ``S`` is in range.  8-bit pixels are zero-extended; 16-bit
    pixels enter as ``x - 32768`` (:func:`_ir_load_pixels16`) and the block starts from
    ``fc[5] = bias + 32768 sum_k W_k`` instead of ``bias``, the same ``S + bias``.  ``out`` is
    a row of the source's dtype or a float row (the fused passes' columns-pass row)."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out, oo, src, starts, t, wp, fc):
        if not (all(isinstance(a, types.Array) and a.layout == "C"
                    for a in (out, src, starts, wp, fc))
                and out.ndim == 1 and starts.ndim == 1 and wp.ndim == 1 and fc.ndim == 1
                and src.dtype in (types.uint8, types.uint16)
                and (isinstance(out.dtype, types.Float) or out.dtype == src.dtype)
                and starts.dtype == types.intp
                and wp.dtype == types.int64 and fc.dtype == types.int64):
            raise errors.TypingError("pmaddwd block: unsupported arguments")
        sig = types.void(out, types.intp, src, starts, types.intp, wp, fc)

        def codegen(context, builder, signature, args):
            if not _MADD_OK:
                return _ir_no_avx2(context, builder, "pmaddwd block")
            oarr, sarr, starr, warr, farr = (
                context.make_array(signature.args[i])(context, builder, args[i])
                for i in (0, 2, 3, 5, 6))
            v16 = ir.VectorType(ir.IntType(16), 16)
            v8 = ir.VectorType(ir.IntType(32), 8)

            def elem(arr, i):
                return builder.load(builder.gep(arr.data, [context.get_constant(types.intp, i)]))

            starts = [builder.add(elem(starr, k), args[4]) for k in range(2 * npair)]
            weights = []
            for j in range(npair):
                w = builder.trunc(elem(warr, j), ir.IntType(32))
                weights.append(builder.bitcast(_ir_splat(builder, v8, w), v16))
            wide = signature.args[2].dtype == types.uint16
            bias = _ir_splat(builder, v8, builder.trunc(elem(farr, 5 if wide else 0),
                                                        ir.IntType(32)))
            sums = []
            for e in (0, 16):
                rows = [_ir_load_pixels16(builder, sarr.data, builder.add(starts[k], _ir_intp(e)))
                        for k in range(2 * npair)]
                sums.append(_ir_madd_sums(builder, rows, weights, bias))
            oty = context.get_data_type(signature.args[0].dtype)
            _ir_madd_store(builder, sums, elem(farr, 1), elem(farr, 2), elem(farr, 3),
                           builder.gep(oarr.data, [args[1]]), oty)
            return context.get_dummy_value()

        return sig, codegen

    return block


def _madd4_block(numer=False, ties=False):
    """An ``@intrinsic`` with the signature of :func:`_fixed_block` (``out, oo, a0, t0, ...,
    w0..w3, bias, q, off, top``) computing ``_MADD_PX`` pixels of :func:`_fir4_fixed` on the
    pmaddwd block of :func:`_madd_block` (taps 0 and 1, 2 and 3 paired): the four-tap plans
    of 8-bit images whose sums need more than 16 bits (uint8 x4), ``fc[4] == _PMADD``, and
    of 16-bit images (``fc[4] == _PMADD16``: pixels as ``x - 32768``, so :func:`_fir4_fixed`
    passes ``bias + 32768 sum_k w_k`` as ``bias``, which gives each lane the same ``S +
    bias``).  All uint8 or all uint16 arrays; the scalar weights and constants stay in
    registers across blocks.  ``numer``: the numerator plans of 16-bit pixels (``fc[4] ==
    _NUMER16``: ``q`` is the denominator ``D``, the exact sums are rounded as by the
    ``numer`` blocks of :func:`_fixed_block`, :func:`_ir_numer_round`).  ``ties``: the
    tie-checked numerator plans (``fc[4] == _TIES``, ``_TIES16``: ``S + bias`` is ``X``,
    ``q`` is ``2 D``): ``floor(X / q) - off`` (:func:`_ir_tie_round`), saturated by the
    packs, and the block returns the int64 mask of its outputs on a tie (bit ``e`` for
    output ``oo + e``)."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out, oo, a0, t0, a1, t1, a2, t2, a3, t3, w0, w1, w2, w3, bias, q, off,
              top):
        # other unsigned arrays type too (the uint32/uint64 specialisations of _fir4_fixed,
        # mixed widths), and raise if ever reached: plans for them never select this block
        if not all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                   and isinstance(a.dtype, types.Integer) and not a.dtype.signed
                   for a in (out, a0, a1, a2, a3)):
            raise errors.TypingError("pmaddwd four-tap block needs C-contiguous 1-D unsigned "
                                     "arrays")
        ip = types.intp
        sig = (types.int64 if ties else types.void)(out, ip, a0, ip, a1, ip, a2, ip, a3, ip,
                                                     *([types.int64] * 8))

        def codegen(context, builder, signature, args):
            # what the error branches return (they raise first): nothing, or an empty mask
            none = _ir_intp(0) if ties else context.get_dummy_value()
            dts = {signature.args[i].dtype for i in (0, 2, 4, 6, 8)}
            if dts not in ({types.uint8}, {types.uint16}):
                with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
                    context.call_conv.return_user_exc(
                        builder, TypeError,
                        ("pmaddwd four-tap block: all uint8 or all uint16 arrays only",))
                return none
            if not _MADD_OK:
                _ir_no_avx2(context, builder, "pmaddwd four-tap block")
                return none
            arrs = [context.make_array(signature.args[2 * k])(context, builder, args[2 * k])
                    for k in range(5)]
            weights = [_ir_pair_weight(builder, args[10], args[11]),
                       _ir_pair_weight(builder, args[12], args[13])]
            bias = _ir_splat(builder, ir.VectorType(ir.IntType(32), 8),
                             builder.trunc(args[14], ir.IntType(32)))
            sums = []
            for e in (0, 16):
                rows = [_ir_load_pixels16(builder, arrs[k + 1].data,
                                          builder.add(args[2 * k + 3], _ir_intp(e)))
                        for k in range(4)]
                sums.append(_ir_madd_sums(builder, rows, weights, bias))
            q, off = args[15], args[16]
            mask = None
            if ties:  # floor(X / q) exactly, stored less off; return the ties' mask
                rounded = []
                i64 = ir.IntType(64)
                for e, (lo, hi) in enumerate(sums):
                    (klo, tlo), (khi, thi) = (_ir_tie_round(builder, v, q) for v in (lo, hi))
                    rounded.append((klo, khi))
                    bits = _ir_pair_bits(builder, tlo, thi)
                    mask = bits if e == 0 else builder.or_(mask, builder.shl(bits, _ir_intp(16)))
                sums = rounded
                q = _ir_intp(0)
            if numer:  # round S / D, then store as rounded (no shift, no offset)
                topv = _ir_splat(builder, ir.VectorType(ir.IntType(32), 8),
                                 builder.trunc(args[17], ir.IntType(32)))
                sums = [tuple(_ir_numer_round(builder, v, args[15], topv) for v in pair)
                        for pair in sums]
                q = off = _ir_intp(0)
            _ir_madd_store(builder, sums, q, off, args[17],
                           builder.gep(arrs[0].data, [args[1]]),
                           context.get_data_type(signature.args[0].dtype))
            return context.get_dummy_value() if mask is None else mask

        return sig, codegen

    return block


_madd8 = _madd_block(4)
_madd16 = _madd_block(8)
_madd4 = _madd4_block()
_madd4n = _madd4_block(numer=True)
_madd4t = _madd4_block(ties=True)


def _madd4_split_block():
    """An ``@intrinsic`` ``block(out, oo, a0, t0, a1, t1, a2, t2, a3, t3, h0, h1, h2, h3, l0,
    l1, l2, l3, half, q, band) -> int64``: ``_MADD_PX`` outputs of a four-tap rows table of
    8-bit pixels on split weights (:meth:`_TablePlan.split_rows`), the pmaddwd block of
    :func:`_madd4_block` run twice on the same widened pixels::

        S[e] = half + (sum_k h_k x_k[e] << 11) + sum_k l_k x_k[e],  x_k[e] = a_k[t_k + e]
        out[oo + e] = clamp(S[e] >> q, 0, 255)
        returns the mask sum_e 2**e [(S[e] + band) mod 2**q <= 2 band]

    ``W_k = h_k 2**11 + l_k`` (``h_k`` int16, ``0 <= l_k < 2**11``); the plan keeps every
    ``S`` and ``S + band`` in int32, where the sum is exact (the wrapping ``<< 11`` cannot
    matter: the true value is in range).  The mask flags the outputs within ``band`` of a
    rounding tie (``band = -1`` flags none), which the caller recomputes in float64.  All
    arrays uint8 and C-contiguous."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out, oo, a0, t0, a1, t1, a2, t2, a3, t3, h0, h1, h2, h3, l0, l1, l2,
              l3, half, q, band):
        if not all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                   and a.dtype == types.uint8 for a in (out, a0, a1, a2, a3)):
            raise errors.TypingError("split four-tap block needs C-contiguous 1-D uint8 arrays")
        ip = types.intp
        sig = types.int64(out, ip, a0, ip, a1, ip, a2, ip, a3, ip, *([types.int64] * 11))

        def codegen(context, builder, signature, args):
            if not _MADD_OK:
                _ir_no_avx2(context, builder, "split four-tap block")
                return _ir_intp(0)
            i32 = ir.IntType(32)
            v8 = ir.VectorType(i32, 8)
            arrs = [context.make_array(signature.args[2 * k])(context, builder, args[2 * k])
                    for k in range(5)]
            high = [_ir_pair_weight(builder, args[10], args[11]),
                    _ir_pair_weight(builder, args[12], args[13])]
            low = [_ir_pair_weight(builder, args[14], args[15]),
                   _ir_pair_weight(builder, args[16], args[17])]
            halfv, qv, bandv = (_ir_splat(builder, v8, builder.trunc(args[i], i32))
                                for i in (18, 19, 20))
            one = ir.Constant(v8, [1] * 8)
            lowbits = builder.sub(builder.shl(one, qv), one)
            twice = builder.add(bandv, bandv)
            split = ir.Constant(v8, [_SPLIT_BITS] * 8)
            zero = ir.Constant(v8, [0] * 8)
            sums = []
            far = []
            for e in (0, 16):
                rows = [_ir_load_bytes16(builder, arrs[k + 1].data,
                                         builder.add(args[2 * k + 3], _ir_intp(e)))
                        for k in range(4)]
                hs = _ir_madd_sums(builder, rows, high, zero)
                ls = _ir_madd_sums(builder, rows, low, halfv)
                pair = tuple(builder.add(builder.shl(h, split), lo) for h, lo in zip(hs, ls))
                sums.append(pair)
                # -1 in the lanes that are not near a tie
                far.append([builder.sext(builder.icmp_signed(
                    ">", builder.and_(builder.add(v, bandv), lowbits), twice), v8) for v in pair])
            _ir_madd_store(builder, sums, args[19], _ir_intp(0), _ir_intp(255),
                           builder.gep(arrs[0].data, [args[1]]), ir.IntType(8))
            # the packs and lane order of the bytes (_ir_madd_store): bit e for output e
            v16w, v32b = ir.VectorType(ir.IntType(16), 16), ir.VectorType(ir.IntType(8), 32)
            words = [_ir_x86(builder, "avx2.packssdw", v16w, lo, hi) for lo, hi in far]
            b = builder.bitcast(_ir_x86(builder, "avx2.packsswb", v32b, *words),
                                ir.VectorType(ir.IntType(64), 4))
            b = builder.shuffle_vector(b, ir.Constant(b.type, ir.Undefined),
                                       ir.Constant(ir.VectorType(i32, 4), [0, 2, 1, 3]))
            bits = builder.icmp_signed("<", builder.bitcast(b, v32b), ir.Constant(v32b, [0] * 32))
            return builder.zext(builder.xor(builder.bitcast(bits, i32),
                                            ir.Constant(i32, 0xFFFFFFFF)), ir.IntType(64))

        return sig, codegen

    return block


_madd4s = _madd4_split_block()


def _madd4_pair_block():
    """An ``@intrinsic`` ``block(out0, out1, t, a0, a1, a2, a3, w0..w3, v0..v3, b0, b1, q,
    off, top)``: ``_MADD_PX`` pixels at ``t`` of two rows of :func:`_madd4_block` (plain
    ``_PMADD`` / ``_PMADD16`` plans) that read the same four source rows, ``out0`` with the
    weights ``w`` and start ``b0``, ``out1`` with ``v`` and ``b1`` (a 16-bit plan's start
    depends on the row's weights): the pixels loaded and widened once for both.  The same
    multiply-adds, sums and rounding as :func:`_madd4_block`, so the same values."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    @intrinsic
    def block(typingctx, out0, out1, t, a0, a1, a2, a3, w0, w1, w2, w3, v0, v1, v2, v3, b0, b1,
              q, off, top):
        arrs = (out0, out1, a0, a1, a2, a3)
        if not all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                   and isinstance(a.dtype, types.Integer) and not a.dtype.signed for a in arrs):
            raise errors.TypingError("pmaddwd four-tap pair block needs C-contiguous 1-D "
                                     "unsigned arrays")
        sig = types.void(out0, out1, types.intp, a0, a1, a2, a3, *([types.int64] * 13))

        def codegen(context, builder, signature, args):
            if {a.dtype for a in signature.args[:2] + signature.args[3:7]} not in (
                    {types.uint8}, {types.uint16}):
                with builder.if_then(ir.Constant(ir.IntType(1), 1), likely=False):
                    context.call_conv.return_user_exc(
                        builder, TypeError,
                        ("pmaddwd four-tap pair block: all uint8 or all uint16 arrays only",))
                return context.get_dummy_value()
            if not _MADD_OK:
                return _ir_no_avx2(context, builder, "pmaddwd four-tap pair block")
            src = [context.make_array(signature.args[3 + k])(context, builder, args[3 + k])
                   for k in range(4)]
            v8 = ir.VectorType(ir.IntType(32), 8)
            halves = [[_ir_load_pixels16(builder, src[k].data,
                                         builder.add(args[2], _ir_intp(e)))
                       for k in range(4)] for e in (0, 16)]
            for o in range(2):
                wk = args[7 + 4 * o:11 + 4 * o]
                weights = [_ir_pair_weight(builder, wk[0], wk[1]),
                           _ir_pair_weight(builder, wk[2], wk[3])]
                bias = _ir_splat(builder, v8, builder.trunc(args[15 + o], ir.IntType(32)))
                sums = [_ir_madd_sums(builder, rows, weights, bias) for rows in halves]
                arr = context.make_array(signature.args[o])(context, builder, args[o])
                _ir_madd_store(builder, sums, args[17], args[18], args[19],
                               builder.gep(arr.data, [args[2]]),
                               context.get_data_type(signature.args[o].dtype))
            return context.get_dummy_value()

        return sig, codegen

    return block


_madd4p = _madd4_pair_block()
_MADD = True  # switch: the pmaddwd blocks (tests compare with the paths they replace)
_MADD_OK = _JIT and _target_has_avx2()
_FD_OK = _JIT and _target_has("avx512f")  # the output-order float32 blocks (_fd_row)


@jit
def _rows_row_madd(src, out, i, idx, wi, wp, fc, starts):
    """Output row ``i`` of a rows pass of an 8- or 16-tap exact table in fixed point (the
    formula of :func:`_fir4_fixed`, any number of taps): :func:`_madd_block` blocks over the
    row (the last one overlapping the one before), a scalar int64 loop for rows shorter than
    one block.  ``src`` is 2-D C-contiguous; ``starts`` is scratch of ``K`` elements."""
    _align_stack()
    n = out.shape[0]
    ntaps = idx.shape[1]
    length = src.shape[1]
    bias = fc[0]
    q = fc[1]
    off = fc[2]
    top = fc[3]
    if n >= _MADD_PX and (ntaps == 8 or ntaps == 16):
        for k in range(ntaps):
            starts[k] = idx[i, k] * length
        t = 0
        while t >= 0:
            if ntaps == 8:
                _madd8(out, t, src, starts, t, wp[i], fc)
            else:
                _madd16(out, t, src, starts, t, wp[i], fc)
            t = _next_block(t, _MADD_PX, n)
        return
    for t in range(n):
        s = bias
        for k in range(ntaps):
            s += wi[i, k] * np.int64(src[idx[i, k], t])
        out[t] = min(max((s >> q) - off, 0), top)


@jit
def _rows_chunk_madd(src, dst, idx, wi, wp, fc, ch, nchunks):
    """Rows pass (:func:`_rows_row_madd`) of the output rows ``[ch * H_out // nchunks, ...)``.
    Arrays borrowed (:func:`_borrowed`)."""
    _align_stack()
    src, dst, idx, wi, wp, fc = (_borrowed(src), _borrowed(dst), _borrowed(idx), _borrowed(wi),
                                 _borrowed(wp), _borrowed(fc))
    h_out = dst.shape[0]
    starts_own = np.empty(idx.shape[1], dtype=np.intp)
    starts = _borrowed(starts_own)
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_madd(src, dst[i], i, idx, wi, wp, fc, starts)
    _keep((starts_own,))


@jit
def _fused_chunk_il_madd(src, dst, ridx, rwi, rwp, rfc, nch, idx, w, w64, mode, consts, maxval,
                         j0, nphase, mper, offs, wu, qs, fma, accs, fdi, fdw, ch, nchunks):
    """:func:`_fused_chunk_il` with the rows pass of :func:`_rows_row_madd` (its rounded
    integers written straight into the columns pass's float row).  Arrays borrowed as in
    :func:`_fused_chunk_il`."""
    _align_stack()
    src, dst, ridx, rwi, rwp, rfc = (_borrowed(src), _borrowed(dst), _borrowed(ridx),
                                     _borrowed(rwi), _borrowed(rwp), _borrowed(rfc))
    idx, w, consts, offs, wu = (_borrowed(idx), _borrowed(w), _borrowed(consts),
                                _borrowed(offs), _borrowed(wu))
    qs, fdi, fdw = _borrowed(qs), _borrowed(fdi), _borrowed(fdw)
    h_out = dst.shape[0]
    length = src.shape[1]
    x_own, r_own = _il_scratch(length, nch, nphase, mper, w, dst, qs)
    x, r = _borrowed(x_own), _borrowed(r_own)
    starts_own = np.empty(ridx.shape[1], dtype=np.intp)
    starts = _borrowed(starts_own)
    xo = qs[_QS_XOFF]
    xr_own = np.empty(length + _FD_PAD if qs[0] != 1 else 1, dtype=w.dtype)
    xr = x[xo:xo + length] if qs[0] == 1 else _borrowed(xr_own)[:length]
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_madd(src, xr, i, ridx, rwi, rwp, rfc, starts)
        if accs is None:
            _cols_row_il(xr, x, False, dst[i], None, r, nch, idx, w, w64, mode, consts, maxval,
                         j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
        else:
            _cols_row_il(xr, x, False, dst[i], accs[ch], r, nch, idx, w, w64, mode, consts,
                         maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
    _keep((x_own, r_own, starts_own, xr_own))


@jit
def _cols_row_madd(row, x, orow, nch, idx, wi, fc, j0, mper, offs, wpu, wiu, qs):
    """Columns pass of one flattened row for a one-phase (downscaling) table with periodic
    8- or 16-tap exact weights in fixed point: the ``Q`` pixel-phase planes of the row
    (:func:`_deinterleave_pixels`, in the row's own dtype) are filtered by
    :func:`_madd_block` blocks straight into the output row (tap ``k`` of output pixel ``m``
    reads ``x[offs[k] + m nch + c]``); the border outputs are gathered
    (:func:`_gather_fixed`).  ``wpu``/``wiu``: the packed and plain weights of the period."""
    _align_stack()
    w_out = orow.shape[0] // nch
    n = mper * nch
    ntaps = offs.shape[0]
    j1 = j0 + mper
    _gather_fixed(row, orow, nch, idx, wi, fc, _I0, min(j0, w_out))
    _deinterleave_pixels(row, x, nch, qs[0], qs[1], qs[2])
    o = orow[j0 * nch:j1 * nch]
    if n >= _MADD_PX:
        t = 0
        while t >= 0:
            if ntaps == 8:
                _madd8(o, t, x, offs, t, wpu, fc)
            else:
                _madd16(o, t, x, offs, t, wpu, fc)
            t = _next_block(t, _MADD_PX, n)
    else:
        for t in range(n):
            s = fc[0]
            for k in range(ntaps):
                s += wiu[k] * np.int64(x[offs[k] + t])
            o[t] = min(max((s >> fc[1]) - fc[2], 0), fc[3])
    _gather_fixed(row, orow, nch, idx, wi, fc, j1, w_out)


@jit
def _cols_chunk_madd(src, dst, nch, idx, wi, fc, j0, mper, offs, wpu, wiu, qs, ch, nchunks):
    """Columns pass (:func:`_cols_row_madd`) of the rows ``[ch * H // nchunks, ...)``.  Arrays
    borrowed (:func:`_borrowed`)."""
    _align_stack()
    src, dst, idx, wi, fc = (_borrowed(src), _borrowed(dst), _borrowed(idx), _borrowed(wi),
                             _borrowed(fc))
    offs, wpu, wiu, qs = _borrowed(offs), _borrowed(wpu), _borrowed(wiu), _borrowed(qs)
    h = src.shape[0]
    x_own = np.empty(max(qs[0] * qs[2] * nch, 1), dtype=src.dtype)
    x = _borrowed(x_own)
    for i in range(ch * h // nchunks, (ch + 1) * h // nchunks):
        _cols_row_madd(src[i], x, dst[i], nch, idx, wi, fc, j0, mper, offs, wpu, wiu, qs)
    _keep((x_own,))


@jit
def _fused_chunk_madd(src, dst, ridx, rwi, rwp, rfc, nch, idx, wi, fc, j0, mper, offs, wpu, wiu,
                      qs, ch, nchunks):
    """Both passes on the pmaddwd path (:func:`_rows_row_madd`, then :func:`_cols_row_madd`)
    of the output rows ``[ch * H_out // nchunks, ...)``; the intermediate row is one row of
    the source dtype.  Arrays borrowed (:func:`_borrowed`)."""
    _align_stack()
    src, dst, ridx, rwi, rwp, rfc = (_borrowed(src), _borrowed(dst), _borrowed(ridx),
                                     _borrowed(rwi), _borrowed(rwp), _borrowed(rfc))
    idx, wi, fc, offs = _borrowed(idx), _borrowed(wi), _borrowed(fc), _borrowed(offs)
    wpu, wiu, qs = _borrowed(wpu), _borrowed(wiu), _borrowed(qs)
    h_out = dst.shape[0]
    length = src.shape[1]
    xr_own = np.empty(max(length, 1), dtype=src.dtype)
    x_own = np.empty(max(qs[0] * qs[2] * nch, 1), dtype=src.dtype)
    starts_own = np.empty(ridx.shape[1], dtype=np.intp)
    xr, x, starts = _borrowed(xr_own)[:length], _borrowed(x_own), _borrowed(starts_own)
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_madd(src, xr, i, ridx, rwi, rwp, rfc, starts)
        _cols_row_madd(xr, x, dst[i], nch, idx, wi, fc, j0, mper, offs, wpu, wiu, qs)
    _keep((xr_own, x_own, starts_own))


# ---------------------------------------------------------------------------------------------
# four-tap exact tables on 8-bit rows, columns pass in output order (pshufb + pmaddwd)

_DIRECT_PX = 32  # output bytes per block of :func:`_direct_block`
_DIRECT_MAX_ABS = 64  # most blocks of a row a direct plan may describe one by one
#: The same for checked plans, which also take tables without a period (most output sizes,
#: x2.2, x1.37: their float64 coordinates do not repeat exactly): 832 bytes of descriptors
#: per 32-byte block, so at most ~830 KiB per table.  Measured (one thread, 512x512x3):
#: x2.2 3.59 -> 1.99 ms, x1.37 1.59 -> 1.03 ms against the phase-row paths.
_DIRECT_CHK_MAX_ABS = 1024


def _direct_block(delta, checked=False, own=False):
    """An ``@intrinsic`` ``block(out, oo, src, so, ctrl, wts, base, d, half, q, dc)``:
    ``_DIRECT_PX`` consecutive bytes of a columns-pass output row of an 8-bit image, in output
    order (channels interleaved), from descriptor ``d`` (see :func:`_direct_plan`)::

        S[e] = half + sum_k W[e, k] src[so + base[quad(e)] + rel[e, k]]
        out[oo + e] = clamp(S[e] >> q, 0, 255)

    Output byte ``e`` is in quad ``e // 4``; vector ``v`` (0-3) holds quads ``v`` (low
    128-bit lane) and ``v + 4`` (high lane).  Each quad's taps lie in a 16-byte window of the
    source row at ``so + base[8 d + quad]``: the two windows of a vector are loaded into its
    lanes, ``vpshufb`` with the control bytes ``ctrl`` places the pixels of taps (0, 1) and
    (2, 3) of each output as zero-extended 16-bit pairs (control bytes with the high bit set
    give the zeros), and ``vpmaddwd`` with the int16 weight pairs ``wts`` sums each pair into
    32 bits.  ``vpackssdw`` + ``vpackuswb`` saturate to ``[0, 255]``, and with the quads
    assigned to lanes as above they leave the 32 bytes in output order.  ``delta``: the
    controls of taps (2, 3) are those of taps (0, 1) plus ``dc`` in every byte (consecutive
    taps ``nch`` bytes apart, the interior of a table): one vector add instead of a load.
    ``S`` must stay in int32 and the weights in int16 (:meth:`_TablePlan.direct`).

    ``checked``: the block of a checked table (:meth:`_TablePlan.direct_checked`), with an
    extra argument ``tb`` and an int64 result.  Each descriptor then has two weight parts,
    ``W = Wh 2**11 + Wl`` (``0 <= Wl < 2**11``), summed from the same shuffled pixels, ``S =
    half + (sum Wh x << 11) + sum Wl x``.  The result is the mask of the output bytes (bit
    ``e``) whose ``S`` lies within the band ``b`` of a rounding tie, ``(S + b) mod 2**q <= 2
    b`` (signed: ``b = -1`` flags nothing), which the caller recomputes in float64: ``b =
    tb``, or with ``own`` ``b = tb + tl[e]``, each output's own band ``tl[e]`` stored after
    the weight parts (32 int16 lanes, eight per vector, laid out like its int32 sums).

    A checked block whose ``wts`` are float64 (:meth:`_TablePlan.direct_f64`) is MATLAB's
    arithmetic itself (:func:`_direct_f64_codegen`): no tie is left to recompute, the mask is
    always 0, ``half``, ``q``, ``tb`` are not read, and ``own`` means that the descriptors
    hold taps (0, 1) only (a two-tap table padded to four: taps (2, 3) are zero)."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    def typer(typingctx, out, oo, src, so, ctrl, wts, base, d, half, q, dc, tb=None):
        wdt = (types.int16, types.float64) if checked else (types.int16,)
        if not (all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                    for a in (out, src, ctrl, wts, base))
                and out.dtype == types.uint8 and src.dtype == types.uint8
                and ctrl.dtype == types.uint8 and wts.dtype in wdt
                and base.dtype == types.intp):
            raise errors.TypingError("direct block: unsupported arguments")
        ip, i64 = types.intp, types.int64
        if checked:  # tb None: the exact table's specialisation of _direct_row (never run)
            tbt = tb if isinstance(tb, types.NoneType) else i64
            return types.int64(out, ip, src, ip, ctrl, wts, base, ip, i64, i64, i64, tbt)
        return types.void(out, ip, src, ip, ctrl, wts, base, ip, i64, i64, i64)

    def codegen(context, builder, signature, args):
        if checked and isinstance(signature.args[11], types.NoneType):
            return ir.Constant(ir.IntType(64), 0)
        if not _MADD_OK:
            _ir_no_avx2(context, builder, "direct block")
            return ir.Constant(ir.IntType(64), 0) if checked else context.get_dummy_value()
        if checked and signature.args[5].dtype == types.float64:
            return _direct_f64_codegen(context, builder, signature, args, delta, 1 if own else 2)
        oarr, sarr, carr, warr, barr = (
            context.make_array(signature.args[i])(context, builder, args[i])
            for i in (0, 2, 4, 5, 6))
        i8, i16, i32 = ir.IntType(8), ir.IntType(16), ir.IntType(32)
        v32b = ir.VectorType(i8, 32)
        v16w, v8d = ir.VectorType(i16, 16), ir.VectorType(i32, 8)
        d = args[7]
        parts = 2 if checked else 1
        srcp = builder.gep(sarr.data, [args[3]])
        halfv = _ir_splat(builder, v8d, builder.trunc(args[8], i32))
        qv = _ir_splat(builder, v8d, builder.trunc(args[9], i32))
        dcv = _ir_splat(builder, v32b, builder.trunc(args[10], i8))
        # the descriptor's arrays from their first element: constant offsets below
        bptr = builder.gep(barr.data, [builder.mul(d, _ir_intp(8))])
        cptr = builder.gep(carr.data, [builder.mul(d, _ir_intp(8 * 32))])
        wlen = parts * 8 * 16 + (32 if own else 0)  # int16 per descriptor
        wptr = builder.gep(warr.data, [builder.mul(d, _ir_intp(wlen))])
        sums = []
        for v in range(4):
            x = _ir_direct_windows(builder, srcp, bptr, v)
            acc = [ir.Constant(v8d, [0] * 8)] * 2 if checked else [halfv]
            for pair in range(2):
                k = 2 * v + pair
                if pair == 0 or not delta:
                    c = builder.load(builder.bitcast(builder.gep(cptr, [_ir_intp(32 * k)]),
                                                     v32b.as_pointer()), align=1)
                else:
                    c = builder.add(c, dcv)
                y = builder.bitcast(_ir_x86(builder, "avx2.pshuf.b", v32b, x, c), v16w)
                for part in range(parts):
                    w = builder.load(builder.bitcast(
                        builder.gep(wptr, [_ir_intp(128 * part + 16 * k)]), v16w.as_pointer()),
                        align=2)
                    acc[part] = builder.add(acc[part],
                                            _ir_x86(builder, "avx2.pmadd.wd", v8d, y, w))
            if checked:  # S = half + (sum Wh x << 11) + sum Wl x
                split = ir.Constant(v8d, [_SPLIT_BITS] * 8)
                acc = [builder.add(builder.add(builder.shl(acc[0], split), acc[1]), halfv)]
            sums.append(acc[0])
        shifted = [builder.ashr(s, qv) for s in sums]
        w01 = _ir_x86(builder, "avx2.packssdw", v16w, shifted[0], shifted[1])
        w23 = _ir_x86(builder, "avx2.packssdw", v16w, shifted[2], shifted[3])
        out8 = _ir_x86(builder, "avx2.packuswb", v32b, w01, w23)
        builder.store(out8, builder.bitcast(builder.gep(oarr.data, [args[1]]),
                                            v32b.as_pointer()), align=1)
        if not checked:
            return context.get_dummy_value()
        tbv = _ir_splat(builder, v8d, builder.trunc(args[11], i32))
        low = builder.sub(builder.shl(ir.Constant(v8d, [1] * 8), qv), ir.Constant(v8d, [1] * 8))
        near = []
        v8w = ir.VectorType(i16, 8)
        for v, s in enumerate(sums):
            bv = tbv
            if own:  # the bands' int16 lanes of vector v, after the weights
                bv = builder.add(tbv, builder.sext(builder.load(builder.bitcast(
                    builder.gep(wptr, [_ir_intp(256 + 8 * v)]), v8w.as_pointer()), align=2),
                    v8d))
            near.append(builder.sext(builder.icmp_signed(
                "<=", builder.and_(builder.add(s, bv), low), builder.add(bv, bv)), v8d))
        # the same packs as the bytes: the -1 / 0 flags land in output order
        m01 = _ir_x86(builder, "avx2.packssdw", v16w, near[0], near[1])
        m23 = _ir_x86(builder, "avx2.packssdw", v16w, near[2], near[3])
        m8 = _ir_x86(builder, "avx2.packsswb", v32b, m01, m23)
        bits = builder.icmp_signed("<", m8, ir.Constant(v32b, [0] * 32))
        return builder.zext(builder.bitcast(bits, i32), ir.IntType(64))

    if checked:
        def block(typingctx, out, oo, src, so, ctrl, wts, base, d, half, q, dc, tb):
            return typer(typingctx, out, oo, src, so, ctrl, wts, base, d, half, q, dc, tb), codegen
    else:
        def block(typingctx, out, oo, src, so, ctrl, wts, base, d, half, q, dc):
            return typer(typingctx, out, oo, src, so, ctrl, wts, base, d, half, q, dc), codegen
    return intrinsic(block)


def _ir_direct_windows(builder, srcp, bptr, v):
    """Vector ``v`` of a direct block's source (:func:`_direct_block`): the 16-byte windows
    of quads ``v`` and ``v + 4`` (at ``srcp + base[quad]``, ``bptr`` pointing at the
    descriptor's ``base``) in its two 128-bit lanes."""
    v16b = ir.VectorType(ir.IntType(8), 16)
    lanes = []
    for quad in (v, v + 4):
        b = builder.load(builder.gep(bptr, [_ir_intp(quad)]))
        ptr = builder.bitcast(builder.gep(srcp, [b]), v16b.as_pointer())
        lanes.append(builder.load(ptr, align=1))
    return builder.shuffle_vector(lanes[0], lanes[1],
                                  ir.Constant(ir.VectorType(ir.IntType(32), 32), list(range(32))))


def _direct_f64_codegen(context, builder, signature, args, delta, npair):
    """Codegen of a float64 direct block (:func:`_direct_block` with float64 ``wts``): the
    32 output bytes of descriptor ``d`` in MATLAB's arithmetic::

        v[e] = ((w[e, 0] x[e, 0] + w[e, 1] x[e, 1]) + w[e, 2] x[e, 2]) + w[e, 3] x[e, 3]
        out[oo + e] = clamp(trunc(v[e] + _HALF64), 0, 255)

    (``2 npair`` taps), each product and sum a rounded float64 operation in tap order with no
    contraction, as :func:`_exact_bytes`; ``trunc(v + _HALF64)`` then the saturating packs
    give MATLAB's rounded, saturated value (:func:`classicsr._validate.half_below`; a
    negative ``v`` truncates to at most 0).  The pixels come from the same windows and
    ``vpshufb`` controls as the integer blocks: each 32-bit lane of the shuffled vector holds
    the zero-extended pixels of taps ``(2 pair, 2 pair + 1)`` of one output, converted to
    eight float64 lanes each.  Descriptor ``d``'s weights: ``(vector, tap, 8 lanes)``
    float64 from ``wts[d 64 npair]`` (lanes as the int32 sums: quads ``v``, then ``v + 4``)."""
    oarr, sarr, carr, warr, barr = (
        context.make_array(signature.args[i])(context, builder, args[i]) for i in (0, 2, 4, 5, 6))
    i8, i16, i32 = ir.IntType(8), ir.IntType(16), ir.IntType(32)
    v32b = ir.VectorType(i8, 32)
    v16w, v8d = ir.VectorType(i16, 16), ir.VectorType(i32, 8)
    v8f = ir.VectorType(ir.DoubleType(), 8)
    d = args[7]
    srcp = builder.gep(sarr.data, [args[3]])
    dcv = _ir_splat(builder, v32b, builder.trunc(args[10], i8))
    bptr = builder.gep(barr.data, [builder.mul(d, _ir_intp(8))])
    cptr = builder.gep(carr.data, [builder.mul(d, _ir_intp(8 * 32))])
    wptr = builder.gep(warr.data, [builder.mul(d, _ir_intp(4 * 2 * npair * 8))])
    low16 = ir.Constant(v8d, [0xFFFF] * 8)
    high16 = ir.Constant(v8d, [16] * 8)
    half = ir.Constant(v8f, [_HALF64] * 8)
    ints = []
    for v in range(4):
        x = _ir_direct_windows(builder, srcp, bptr, v)
        acc = None
        for pair in range(npair):
            if pair == 0 or not delta:
                c = builder.load(builder.bitcast(
                    builder.gep(cptr, [_ir_intp(32 * (2 * v + pair))]), v32b.as_pointer()),
                    align=1)
            else:
                c = builder.add(c, dcv)
            y = builder.bitcast(_ir_x86(builder, "avx2.pshuf.b", v32b, x, c), v8d)
            for k in range(2):
                px = builder.and_(y, low16) if k == 0 else builder.lshr(y, high16)
                w = builder.load(builder.bitcast(
                    builder.gep(wptr, [_ir_intp(8 * (2 * npair * v + 2 * pair + k))]),
                    v8f.as_pointer()), align=8)
                prod = builder.fmul(w, builder.sitofp(px, v8f))
                acc = prod if acc is None else builder.fadd(acc, prod)
        ints.append(builder.fptosi(builder.fadd(acc, half), v8d))  # |v| < 2**31: defined
    w01 = _ir_x86(builder, "avx2.packssdw", v16w, ints[0], ints[1])
    w23 = _ir_x86(builder, "avx2.packssdw", v16w, ints[2], ints[3])
    out8 = _ir_x86(builder, "avx2.packuswb", v32b, w01, w23)
    builder.store(out8, builder.bitcast(builder.gep(oarr.data, [args[1]]), v32b.as_pointer()),
                  align=1)
    return ir.Constant(ir.IntType(64), 0)


_SPLIT_BITS = 11  # checked direct blocks: W = Wh 2**11 + Wl, both int16
_direct = _direct_block(False)
_direct_delta = _direct_block(True)
_direct_chk = _direct_block(False, checked=True)
_direct_chk_delta = _direct_block(True, checked=True)
_direct_chkl = _direct_block(False, checked=True, own=True)
_direct_chkl_delta = _direct_block(True, checked=True, own=True)
_DIRECT = True  # switch: the output-order columns pass of 8-bit images (tests compare)


@jit
def _direct_row(row, orow, ctrl, wts, base, sched, half, q, nch, idx, wi, fc, tb):
    """Columns pass of one flattened 8-bit row in output order (:func:`_direct_block` blocks,
    plan and schedule from :func:`_direct_plan`): the blocks described one by one (borders,
    the last overlapping block; descriptor -1: the pixels of the block gathered), then the
    periodic run, descriptor ``(i - a) % nt`` with the source advanced by ``adv`` bytes per
    period.  Every output byte is written; ``orow`` must not overlap ``row``.

    ``fc is None``: a checked table (``wi`` the float64 weights): split-weight blocks whose
    near ties (band ``tb``, plus each output's own band when the schedule says ``lanes``)
    are recomputed in float64, gathered blocks in float64 (:func:`_exact_bytes`); with
    float64 descriptors (``wts``, :meth:`_TablePlan.direct_f64`) the blocks are MATLAB's
    arithmetic, their mask is 0 and ``lanes`` says two taps per output.
    Otherwise an exact one (``tb`` None), gathered by the scalar formula
    (:func:`_gather_fixed` with ``(idx, wi, fc)``).  Numba prunes an ``x is None`` test at
    compile time only where ``x`` is None, so the checked specialisation (``fc`` None)
    compiles only its branches; the exact one also compiles the checked branches, whose
    blocks with ``tb`` None do nothing (never run: ``fc is None`` is false)."""
    _align_stack()
    nt = sched[0]
    a = sched[1]
    b = sched[2]
    adv = sched[3]
    dc = sched[4]
    lanes = sched[6]
    for h in range(sched[5]):
        d = sched[7 + 2 * h]
        t = sched[8 + 2 * h]
        if fc is None:
            if d < 0:
                _exact_bytes(row, orow, nch, idx, wi, t, t + _DIRECT_PX)
                continue
            if lanes:
                mask = _direct_chkl(orow, t, row, _I0, ctrl, wts, base, d, half, q, dc, tb)
            else:
                mask = _direct_chk(orow, t, row, _I0, ctrl, wts, base, d, half, q, dc, tb)
            if mask:
                _fix_near_ties(row, orow, nch, idx, wi, t, mask)
        elif d >= 0:
            _direct(orow, t, row, _I0, ctrl, wts, base, d, half, q, dc)
        else:
            _gather_fixed(row, orow, nch, idx, wi, fc, t // nch,
                          (t + _DIRECT_PX - 1) // nch + 1)
    t = _DIRECT_PX * a
    so = 0
    ty = 0
    for _ in range(a, b):
        if fc is None:  # loop-invariant tests (dc, lanes too): LLVM unswitches the loop
            if lanes:
                if dc > 0:
                    mask = _direct_chkl_delta(orow, t, row, so, ctrl, wts, base, ty, half, q,
                                              dc, tb)
                else:
                    mask = _direct_chkl(orow, t, row, so, ctrl, wts, base, ty, half, q, dc, tb)
            elif dc > 0:
                mask = _direct_chk_delta(orow, t, row, so, ctrl, wts, base, ty, half, q, dc, tb)
            else:
                mask = _direct_chk(orow, t, row, so, ctrl, wts, base, ty, half, q, dc, tb)
            if mask:  # near ties: rare (a share of at most _DIRECT_TIE_MAX)
                _fix_near_ties(row, orow, nch, idx, wi, t, mask)
        elif dc > 0:
            _direct_delta(orow, t, row, so, ctrl, wts, base, ty, half, q, dc)
        else:
            _direct(orow, t, row, so, ctrl, wts, base, ty, half, q, dc)
        t += _DIRECT_PX
        ty += 1
        if ty == nt:
            ty = 0
            so += adv


@jit
def _cols_chunk_direct(src, dst, ctrl, wts, base, sched, half, q, nch, idx, wi, fc, ch,
                       nchunks):
    """Columns pass (:func:`_direct_row`) of the rows ``[ch * H // nchunks, ...)``."""
    _align_stack()
    # borrowed (_borrowed): the per-row calls count no references
    src, dst, ctrl, wts, base, sched = (_borrowed(src), _borrowed(dst), _borrowed(ctrl),
                                        _borrowed(wts), _borrowed(base), _borrowed(sched))
    idx, wi, fc = _borrowed(idx), _borrowed(wi), _borrowed(fc)
    h = src.shape[0]
    for i in range(ch * h // nchunks, (ch + 1) * h // nchunks):
        _direct_row(src[i], dst[i], ctrl, wts, base, sched, half, q, nch, idx, wi, fc, None)


@jit
def _fused_chunk_direct(src, dst, ridx, rwi, rfc, ctrl, wts, base, sched, half, q, nch, idx, wi,
                        fc, pairs, ch, nchunks):
    """Both passes of an 8-bit image, rows pass in fixed point (:func:`_rows_row_fixed`) into
    one row, then :func:`_direct_row`, for the output rows ``[ch * H_out // nchunks,
    ...)``.  ``pairs``: two rows-pass rows with the same source rows at once
    (:func:`_row_pair`, :func:`_rows_pair_fixed`)."""
    _align_stack()
    src, dst, ridx, rwi, rfc = (_borrowed(src), _borrowed(dst), _borrowed(ridx), _borrowed(rwi),
                                _borrowed(rfc))
    ctrl, wts, base, sched = _borrowed(ctrl), _borrowed(wts), _borrowed(base), _borrowed(sched)
    idx, wi, fc = _borrowed(idx), _borrowed(wi), _borrowed(fc)
    h_out = dst.shape[0]
    length = src.shape[1]
    xr_own = np.empty(max(length, 1), dtype=src.dtype)
    xr2_own = np.empty(max(length, 1) if pairs else 1, dtype=src.dtype)
    xr, xr2 = _borrowed(xr_own)[:length], _borrowed(xr2_own)[:length]
    hi = (ch + 1) * h_out // nchunks
    i = ch * h_out // nchunks
    while i < hi:
        if _row_pair(ridx, i, hi, None, None, pairs):
            _rows_pair_fixed(src, xr, xr2, i, ridx, rwi, rfc)
            _direct_row(xr, dst[i], ctrl, wts, base, sched, half, q, nch, idx, wi, fc, None)
            i += 1
            _direct_row(xr2, dst[i], ctrl, wts, base, sched, half, q, nch, idx, wi, fc, None)
        else:
            _rows_row_fixed(src, xr, i, ridx, rwi, rfc)
            _direct_row(xr, dst[i], ctrl, wts, base, sched, half, q, nch, idx, wi, fc, None)
        i += 1
    _keep((xr_own, xr2_own))


@jit(inline="always")
def _matlab_byte(d):
    """MATLAB's 8-bit value of the finite float64 sum ``d`` without a branch: ``trunc(d +
    _HALF64)`` (round half away from zero for ``d >= 0``, at most 0 for a negative ``d``;
    see :data:`_HALF64`) clamped to ``[0, 255]``.  The sums of 8-bit pixels and finite
    weights here are far below ``2**62``, where the conversion is defined."""
    return min(max(np.int64(d + _HALF64), 0), 255)


@jit(inline="always")
def _exact_bytes(row, orow, nch, idx, w64, t0, t1):
    """Output bytes ``[t0, t1)`` of a columns pass of a flattened 8-bit row, in float64 in
    tap order (MATLAB's arithmetic), rounded and saturated (:func:`_matlab_byte`)."""
    for t in range(t0, t1):
        if nch == 1:  # (a division by the channel count costs as much as the sum)
            j = t
            c = 0
        else:
            j = t // nch
            c = t - j * nch
        d = w64[j, 0] * np.float64(row[idx[j, 0] * nch + c])
        for k in range(1, idx.shape[1]):
            d += w64[j, k] * np.float64(row[idx[j, k] * nch + c])
        orow[t] = _matlab_byte(d)


@jit(inline="always")
def _fix_near_ties(row, orow, nch, idx, w64, t, mask):
    """Recompute (:func:`_exact_bytes`) the output bytes ``t + e`` of the set bits ``e`` of a
    checked direct block's near-tie ``mask``."""
    while mask:
        u = t + _lowest_bit(mask)
        mask &= mask - 1
        _exact_bytes(row, orow, nch, idx, w64, u, u + 1)


@jit
def _cols_chunk_direct_chk(src, dst, ctrl, wts, base, sched, half, q, tb, nch, idx, w64, ch,
                           nchunks):
    """Columns pass (:func:`_direct_row`) of the rows ``[ch * H // nchunks, ...)``."""
    _align_stack()
    src, dst, ctrl, wts, base, sched = (_borrowed(src), _borrowed(dst), _borrowed(ctrl),
                                        _borrowed(wts), _borrowed(base), _borrowed(sched))
    idx, w64 = _borrowed(idx), _borrowed(w64)
    h = src.shape[0]
    for i in range(ch * h // nchunks, (ch + 1) * h // nchunks):
        _direct_row(src[i], dst[i], ctrl, wts, base, sched, half, q, nch, idx, w64, None, tb)


@jit
def _fused_chunk_direct_chk(src, dst, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, ctrl, wts,
                            base, sched, half, q, tb, nch, idx, w64, ch, nchunks):
    """Both passes of an 8-bit image whose columns table is checked: the rows pass
    (:func:`_rows_row`, any mode) into one 8-bit row, then :func:`_direct_row`, for
    the output rows ``[ch * H_out // nchunks, ...)``."""
    _align_stack()
    # borrowed as in _fused_chunk_il (rw64, which may be None, stays counted)
    src, dst, ridx, rw, rconsts = (_borrowed(src), _borrowed(dst), _borrowed(ridx),
                                   _borrowed(rw), _borrowed(rconsts))
    ctrl, wts, base, sched = _borrowed(ctrl), _borrowed(wts), _borrowed(base), _borrowed(sched)
    idx, w64 = _borrowed(idx), _borrowed(w64)
    h_out = dst.shape[0]
    length = src.shape[1]
    xr_own = np.empty(max(length, 1), dtype=src.dtype)
    racc_own = np.empty(max(length, 1), dtype=rw.dtype)
    xr, racc = _borrowed(xr_own)[:length], _borrowed(racc_own)
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row(src, xr, i, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, racc)
        _direct_row(xr, dst[i], ctrl, wts, base, sched, half, q, nch, idx, w64, None, tb)
    _keep((xr_own, racc_own))


@jit
def _fused_chunk_fixed_chk(src, dst, ridx, rwi, rfc, ctrl, wts, base, sched, half, q, tb, nch,
                           idx, w64, ch, nchunks):
    """:func:`_fused_chunk_direct_chk` with the rows pass in fixed point
    (:func:`_rows_row_fixed`: an exact, margin or tie-checked rows plan; bicubic x1.5, x2.5
    and x5 rows are the last, which 8-bit images run on split weights unless they are off:
    :func:`_fused_chunk_split`)."""
    _align_stack()
    src, dst, ridx, rwi, rfc = (_borrowed(src), _borrowed(dst), _borrowed(ridx), _borrowed(rwi),
                                _borrowed(rfc))
    ctrl, wts, base, sched = _borrowed(ctrl), _borrowed(wts), _borrowed(base), _borrowed(sched)
    idx, w64 = _borrowed(idx), _borrowed(w64)
    h_out = dst.shape[0]
    length = src.shape[1]
    xr_own = np.empty(max(length, 1), dtype=src.dtype)
    xr = _borrowed(xr_own)[:length]
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_fixed(src, xr, i, ridx, rwi, rfc)
        _direct_row(xr, dst[i], ctrl, wts, base, sched, half, q, nch, idx, w64, None, tb)
    _keep((xr_own,))


@jit(inline="always")
def _matlab4(wr, x0, x1, x2, x3):
    """MATLAB's value of four 8-bit pixels with the float64 weights ``wr`` (a table row):
    their float64 sum in tap order, rounded half away from zero and saturated to [0, 255]."""
    d = wr[0] * np.float64(x0)
    d += wr[1] * np.float64(x1)
    d += wr[2] * np.float64(x2)
    d += wr[3] * np.float64(x3)
    return _matlab_byte(d)


@jit
def _rows_row_split(src, out, i, idx, ws, w64, half, q):
    """Output row ``i`` of a four-tap rows pass of 8-bit pixels on split weights
    (:meth:`_TablePlan.split_rows`; ``ws[i] = (h_0 .. h_3, l_0 .. l_3, band)``): blocks of
    :func:`_madd4s` (the last overlapping the one before), the near ties they flag
    recomputed by :func:`_matlab4` with the row's float64 weights ``w64[i]``.  Rows shorter
    than a block are all computed by :func:`_matlab4`."""
    _align_stack()
    rows = idx[i]
    a0 = src[rows[0]]
    a1 = src[rows[1]]
    a2 = src[rows[2]]
    a3 = src[rows[3]]
    wr = w64[i]
    n = out.shape[0]
    if _JIT and n >= _MADD_PX:
        s = ws[i]
        t = 0
        while t >= 0:
            mask = _madd4s(out, t, a0, t, a1, t, a2, t, a3, t, s[0], s[1], s[2], s[3], s[4],
                           s[5], s[6], s[7], half, q, s[8])
            while mask:
                u = t + _lowest_bit(mask)
                mask &= mask - 1
                out[u] = _matlab4(wr, a0[u], a1[u], a2[u], a3[u])
            t = _next_block(t, _MADD_PX, n)
        return
    for u in range(n):
        out[u] = _matlab4(wr, a0[u], a1[u], a2[u], a3[u])


@jit
def _rows_chunk_split(src, dst, idx, ws, w64, half, q, ch, nchunks):
    """Rows pass (:func:`_rows_row_split`) of the output rows ``[ch * H_out // nchunks,
    ...)``."""
    _align_stack()
    src, dst, idx, ws, w64 = (_borrowed(src), _borrowed(dst), _borrowed(idx), _borrowed(ws),
                              _borrowed(w64))
    h_out = dst.shape[0]
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_split(src, dst[i], i, idx, ws, w64, half, q)


@jit
def _fused_chunk_split(src, dst, ridx, rws, rw64, rhalf, rq, ctrl, wts, base, sched, half, q,
                       tb, nch, idx, wi, fc, ch, nchunks):
    """Both passes of an 8-bit image whose rows table runs on split weights
    (:func:`_rows_row_split`) into one 8-bit row, then :func:`_direct_row`, for the output
    rows ``[ch * H_out // nchunks, ...)``: a checked columns table (``wi`` its float64
    weights, ``fc`` None, band ``tb``) or an exact one (``wi``, ``fc`` its fixed-point plan,
    ``tb`` None)."""
    _align_stack()
    # borrowed as in _fused_chunk_direct (fc, which may be None, stays counted)
    src, dst, ridx, rws, rw64 = (_borrowed(src), _borrowed(dst), _borrowed(ridx), _borrowed(rws),
                                 _borrowed(rw64))
    ctrl, wts, base, sched = _borrowed(ctrl), _borrowed(wts), _borrowed(base), _borrowed(sched)
    idx, wi = _borrowed(idx), _borrowed(wi)
    h_out = dst.shape[0]
    length = src.shape[1]
    xr_own = np.empty(max(length, 1), dtype=src.dtype)
    xr = _borrowed(xr_own)[:length]
    for i in range(ch * h_out // nchunks, (ch + 1) * h_out // nchunks):
        _rows_row_split(src, xr, i, ridx, rws, rw64, rhalf, rq)
        _direct_row(xr, dst[i], ctrl, wts, base, sched, half, q, nch, idx, wi, fc, tb)
    _keep((xr_own,))


def _split_plan(w64):
    """``(parts, half, q, tb)`` of the checked direct blocks for a four-tap table on 8-bit
    pixels, or ``None``.

    ``W = rint(w 2**q)`` split as ``W = Wh 2**11 + Wl``; the block computes ``S = half + sum
    W x`` exactly in int32 (``half = 2**(q - 1)``), so ``S >> q`` rounds ``S / 2**q - 1/2``
    up.  ``S / 2**q`` is within ``255 sum_k |W_k 2**-q - w_k|`` of the exact sum of the
    float64 weights, which is within ``~1e-13`` of MATLAB's float64 sum ``d``; the band of
    output ``j``, ``tb[j] = floor(255 sum_k |W_jk - w_jk 2**q|) + 2`` (units of ``2**-q``,
    :func:`_band`; at most 512), covers both.  Unless ``S`` is within ``tb[j]`` of a tie,
    ``d`` lies strictly on the same side of it, so ``S >> q`` (saturated) is MATLAB's
    rounded ``d``.  Where every weight of a row is a multiple of ``2**-q`` (``W = w 2**q``:
    the half-pixel phase of bicubic x1.5, x2.5, x1.25 has weights in sixteenths) MATLAB's
    products and sums are exact too, ``d = S / 2**q - 1/2``, and ``S >> q`` rounds its ties
    up as MATLAB does (away from zero; a negative ``d`` saturates to 0 either way): ``tb[j]
    = -1``, no band.  ``parts = [Wh, Wl]`` (int16, ``(2, w_out, 4)``), ``Wl`` in ``[0,
    2**11)``.  ``tb``: the bands of the outputs (int64, ``(w_out,)``), or one band for all
    (an int, their largest) unless their own bands flag more than ``_DIRECT_LANES_GAIN``
    fewer outputs (tables with exact half-pixel phases: bicubic x1.5, x2.5, x1.25), which
    pays for loading them in each block.  ``q`` is the largest (at most 22) for which every
    ``S + tb[j]`` stays in int32 and ``Wh`` in int16; ``None`` when more than
    ``_DIRECT_TIE_MAX`` of the outputs (``_DIRECT_TIE_MAX_2TAP`` for a two-tap table
    widened to four) would be near ties, estimated on pseudo-random pixels
    (fixed seed): exact ties of the true sum in rows with inexact weights, which only
    MATLAB's own float64 rounding decides, are each recomputed on their own (speed only:
    either path gives MATLAB's values)."""
    if w64.ndim != 2 or w64.shape[1] != 4 or not np.isfinite(w64).all():
        return None
    split = _split_weights(w64)
    if split is None:
        return None
    big, half, q, tb = split
    top_band = int(tb.max())
    one = _split_tie_rate(big, half, q, np.full_like(tb, top_band))
    own = _split_tie_rate(big, half, q, tb)
    if one <= own + _DIRECT_LANES_GAIN:  # one band for every output
        tb, own = top_band, one
    if own > (_DIRECT_TIE_MAX if w64[:, 2:].any() else _DIRECT_TIE_MAX_2TAP):
        return None
    parts = np.stack([big >> _SPLIT_BITS, big & ((1 << _SPLIT_BITS) - 1)]).astype(np.int16)
    return parts, half, q, tb


def _split_weights(w64):
    """``(W, half, q, tb)`` of :func:`_split_plan` (and :meth:`_TablePlan.split_rows`) for
    the finite four-tap table ``w64``, or ``None``: the integer weights ``W = rint(w 2**q)``
    (int64, ``(n, 4)``), ``half = 2**(q - 1)``, each row's band ``tb`` (:func:`_band`, int64,
    -1 where the row is exact) for the largest ``q <= 22`` with every ``Wh = W >> 11`` in
    int16 and every sum ``half + sum_k W_k x_k`` of 8-bit pixels, plus or minus a band, in
    int32 (``Wl = W - Wh 2**11`` is in ``[0, 2**11)``)."""
    for q in range(22, 15, -1):
        exact = np.ldexp(w64, q)
        big = np.rint(exact).astype(np.int64)
        wl = big & ((1 << _SPLIT_BITS) - 1)
        wh = big >> _SPLIT_BITS
        if int(np.abs(wh).max()) >= 2 ** 15:
            continue
        tb = _band(big, exact)
        half = 1 << (q - 1)
        top = 255 * int((np.maximum(wh, 0).sum(axis=1) * 2 ** _SPLIT_BITS
                         + wl.sum(axis=1)).max())
        bottom = 255 * int((np.minimum(wh, 0).sum(axis=1) * 2 ** _SPLIT_BITS).min())
        if top + half + int(tb.max()) < 2 ** 31 and bottom > -2 ** 31 + 2 ** 16:
            return big, half, q, tb
    return None


def _band(big, scaled):
    """The band (units of ``2**-q``) of the fixed-point sums of integer weights ``big``
    (..., 4) standing for the float64 weights ``scaled = w 2**q`` (see :func:`_split_plan`):
    ``floor(255 sum_k |big_k - scaled_k|) + 2``, or -1 where they are equal (no band)."""
    err = np.abs(big - scaled).sum(axis=-1)  # exact differences, rounded sums
    return np.where(err > 0, np.floor(255 * err).astype(np.int64) + 2, -1)


def _split_tie_rate(big, half, q, tb, nrows=256, per_row=16):
    """The share of outputs of the fixed-point table ``big`` (``W``, :func:`_split_plan`,
    bands ``tb``) flagged as near ties, on ``per_row`` pseudo-random pixel vectors for each
    of ``nrows`` pseudo-random rows (fixed seed)."""
    rng = np.random.default_rng(0)
    rows = rng.integers(0, big.shape[0], size=nrows)
    x = rng.integers(0, 256, size=(nrows, per_row, big.shape[1]))
    s = half + np.einsum("rsk,rk->rs", x, big[rows])
    b = tb[rows][:, None]
    return float(np.mean(((s + b) & ((1 << q) - 1)) <= 2 * b))


#: Most share of near ties for the checked direct columns pass.  Each costs a float64
#: recomputation in tap order (measured 11-25 ns, later ~30-40) against 0.3-0.6 ns per byte
#: saved on the float64 blocks (:meth:`_TablePlan.direct_f64`), whose descriptors rarely
#: repeat (float64 weights differ in the last bits between periods).  Measured, one thread,
#: columns pass alone: the split weights 1.7-1.8x faster at 0.4-0.6% (bicubic x1.1), 1.2x at
#: 0.9% (lanczos2 x1.75), 1.04-1.32x at 1.25-1.3% (lanczos2 x1.25, x2.5), 1.0x at 2.1%
#: (lanczos2 x1.5).  Whole resizes: bicubic x1.1 of 1024x1024 1.19-1.23x, lanczos2 x3.5
#: 1.09-1.18x, the others 1.0-1.1x (one and two threads).  Tables of rarer ties take the
#: split weights (bicubic x1.1 0.4-0.6%, x1.5 0.15%, lanczos2 x1.25, x1.75, x2.5, x3.5
#: 0.9-1.3%); bilinear x3.7 (2%), lanczos2 x1.5 (2.1%) the float64 blocks.
_DIRECT_TIE_MAX = 0.015
#: The same for two-tap tables widened to four (bilinear), whose float64 blocks hold two taps
#: (:meth:`_TablePlan.direct_f64`): the split weights measured 0.92x at 1.6% (bilinear x3.7).
_DIRECT_TIE_MAX_2TAP = 0.005
#: The same for the rows pass on split weights (:meth:`_TablePlan.split_rows`).
_SPLIT_ROWS_TIE_MAX = 0.015
#: Share of flagged outputs that each output's own band must save over one band for all
#: (:func:`_split_plan`): loading the bands cost 10-15% of a checked block (~0.05 ns per
#: byte, uint8 x(1, 3), x(1, 2.2), x(1, 5/3)), about what a 0.25% share of recomputations
#: costs.
_DIRECT_LANES_GAIN = 0.0025


def _longest_run(flags):
    """``(start, stop)`` of the longest run of ``True`` in the 1-D bool array ``flags``
    (the first of equal ones; ``(0, 0)`` when there is none)."""
    f = np.concatenate([[False], np.asarray(flags, dtype=bool), [False]])
    edges = np.flatnonzero(f[1:] != f[:-1])
    if edges.size == 0:
        return 0, 0
    starts, stops = edges[0::2], edges[1::2]
    k = int(np.argmax(stops - starts))
    return int(starts[k]), int(stops[k])


def _direct_plan(idx, wi, nch, w_in, poly, max_abs=None, band=None):
    """Descriptors and schedule of :func:`_direct_row` for the four-tap integer table
    ``(idx, wi)`` on rows of ``w_in`` pixels of ``nch`` interleaved 8-bit channels, or
    ``None`` when rows are too short or too many blocks have a quad whose taps do not fit
    a 16-byte window (those blocks are gathered by the scalar formula).  ``wi`` may also be
    ``(parts, w_out, 4)``: several weight tables on the same taps (the split weights of
    :meth:`_TablePlan.direct_checked`), stored one after the other in each descriptor,
    followed by the band of each of its outputs (``band``, per output pixel; int16 lanes,
    :func:`_direct_block`) if given.  A float64 ``wi`` (``(w_out, 4)``) gives the descriptors
    of the float64 blocks (:func:`_direct_f64_codegen`): ``(vector, tap, 8 lanes)`` float64
    weights, taps (0, 1) only where taps (2, 3) are zero in every row (``lanes`` then 1).

    Output byte ``e = j nch + c`` reads source bytes ``idx[j, k] nch + c`` with weights
    ``wi[j, k]``.  Blocks of ``_DIRECT_PX`` bytes start at multiples of 32 (and the last one
    at ``n - 32``, overlapping).  A descriptor per block: per quad a window start ``base``
    (clamped to ``[0, w_in nch - 16]`` so no load leaves the row), the control bytes (each
    tap's byte relative to its window, then ``0x80``: zero high byte) and the int16 weight
    pairs, laid out as :func:`_direct_block` reads them.  With ``poly`` (a periodic table:
    ``nphase`` outputs per ``qstep`` inputs) the descriptors of blocks ``nt`` apart (``nt
    = lcm(nphase nch, 32) / 32``) are compared: the longest run of equal ones (windows
    ``adv`` bytes further on) is stored once per block of a period; the other blocks
    (borders, overlap) one by one, at most ``max_abs`` (default ``_DIRECT_MAX_ABS``).

    Returns ``(ctrl, wts, base, sched)``: uint8, int16 and intp descriptor arrays (periodic
    descriptors first) and ``sched = (nt, a, b, adv, dc, nabs, lanes, d_0, t_0, d_1, t_1,
    ...)``: the periodic run is blocks ``[a, b)``; ``dc > 0`` when every periodic
    descriptor's taps (2, 3) controls are its taps (0, 1) controls plus ``dc``
    (:func:`_direct_block`); ``lanes``: the descriptors carry bands (float64 descriptors:
    they hold two taps); ``(d_h, t_h)``:
    descriptor (-1: a gathered block) and output offset of each block described on its
    own."""
    w_out, ntaps = idx.shape
    n = w_out * nch
    ls = w_in * nch
    if ntaps != 4 or n < _DIRECT_PX or ls < 16 or (
            band is not None and not -2 ** 15 <= np.min(band) <= np.max(band) < 2 ** 15):
        return None
    e = np.arange(n)
    srcb = idx[e // nch] * nch + (e % nch)[:, None]  # (n, 4) source byte of each tap
    nfull = n // _DIRECT_PX
    starts = np.arange(nfull) * _DIRECT_PX
    if n % _DIRECT_PX:
        starts = np.append(starts, n - _DIRECT_PX)
    nb = starts.size
    pos = starts[:, None] + np.arange(_DIRECT_PX)
    quads = srcb[pos].reshape(nb, 8, 16)
    base = np.minimum(quads.min(axis=2), ls - 16)  # (block, quad): read at base[8 d + quad]
    gathered = (quads.max(axis=2) - base >= 16).any(axis=1)  # (wrap boundary, downscales)
    base[gathered] = 0
    rel = (quads - base[:, :, None]).reshape(nb, 8, 4, 4)  # block, quad, output, tap
    rel[gathered] = 0
    cq = np.full((nb, 8, 2, 4, 4), 0x80, dtype=np.uint8)
    for pair in range(2):
        for k in range(2):
            cq[:, :, pair, :, 2 * k] = rel[:, :, :, 2 * pair + k]
    cq = cq.reshape(nb, 8, 2, 16)
    ctrl = np.concatenate([cq[:, :4], cq[:, 4:]], axis=3)  # (block, vector, pair, 32 bytes)
    layout = int(band is not None)
    if wi.dtype == np.float64:
        ntw = 4 if wi[:, 2:].any() else 2
        layout = int(ntw == 2)
        w4 = wi[e // nch][pos].reshape(nb, 8, 4, 4)  # block, quad, output, tap
        w8 = np.concatenate([w4[:, :4], w4[:, 4:]], axis=2)  # block, vector, 8 lanes, tap
        wts = np.ascontiguousarray(w8.transpose(0, 1, 3, 2)[:, :, :ntw]).reshape(nb, -1)
    else:
        parts = wi[None] if wi.ndim == 2 else wi  # (parts, w_out, 4)
        npart = parts.shape[0]
        w4 = parts[:, e // nch][:, pos].reshape(npart, nb, 8, 4, 4).transpose(1, 0, 2, 3, 4)
        wq = np.empty((nb, npart, 8, 2, 4, 2), dtype=np.int16)
        for pair in range(2):
            for k in range(2):
                wq[:, :, :, pair, :, k] = w4[..., 2 * pair + k]
        wq = wq.reshape(nb, npart, 8, 2, 8)
        # (block, part, vector, pair, 16 int16): vector v holds quads v and v + 4
        wts = np.concatenate([wq[:, :, :4], wq[:, :, 4:]], axis=4).reshape(nb, -1)
    if band is not None:  # (block, vector, 8 lanes): the outputs of quads v, then v + 4
        lanes = np.asarray(band)[e // nch][pos].reshape(nb, 8, 4)
        lanes = np.concatenate([lanes[:, :4], lanes[:, 4:]], axis=2).reshape(nb, 32)
        wts = np.concatenate([wts, lanes.astype(np.int16)], axis=1)
    nt, a, b, adv = 1, 0, 0, 0
    if poly is not None:
        p_out = int(poly[1]) * nch
        period = p_out * _DIRECT_PX // math.gcd(p_out, _DIRECT_PX)
        nt = period // _DIRECT_PX
        adv = period // p_out * int(poly[2]) * nch
        m = nfull - nt
        if m > 0:
            same = (~gathered[nt:nfull] & ~gathered[:m]
                    & (ctrl[nt:nfull] == ctrl[:m]).reshape(m, -1).all(axis=1)
                    & (wts[nt:nfull] == wts[:m]).all(axis=1)
                    & (base[nt:nfull] - base[:m] == adv).all(axis=1))
            r0, r1 = _longest_run(same)
            if r1 > r0:
                a, b = r0, r1 + nt
    if b == a:
        nt, a, b = 1, 0, 0
    alone = [i for i in range(nb) if not a <= i < b]
    if len(alone) > (_DIRECT_MAX_ABS if max_abs is None else max_abs) or (
            gathered.sum() > max(4, nb // 4)):
        return None
    order = list(range(a, a + nt)) if b > a else []
    dc = 2 * nch
    c0, c1 = ctrl[order, :, 0].astype(np.intp), ctrl[order, :, 1].astype(np.intp)
    # a zeroing byte (high bit set) stays one after adding dc < 128; others must move by dc
    if not order or not np.where(c0 >= 0x80, c1 >= 0x80, c1 == c0 + dc).all():
        dc = 0
    sched = [nt, a, b, adv, dc, len(alone), layout]
    for i in alone:
        sched += [-1 if gathered[i] else len(order), int(starts[i])]
        if not gathered[i]:
            order.append(i)
    return (np.ascontiguousarray(ctrl[order]).reshape(-1),
            np.ascontiguousarray(wts[order]).reshape(-1),
            np.ascontiguousarray(base[order], dtype=np.intp).reshape(-1),
            np.array(sched, dtype=np.intp))


def _pmadd_ok(wi, fc, maxval_in, maxval_out):
    """Whether the fixed-point plan ``(wi, fc)`` may run on the pmaddwd blocks: 8-bit pixels
    and output (the byte store saturates to ``[0, 255]``), every weight in int16 (each
    ``vpmaddwd`` product pair is then exact in int32) and ``S + bias`` below ``2**31`` (the
    arithmetic shift of :func:`_ir_madd_store`)."""
    pos = int(np.maximum(wi, 0).sum(axis=1).max())
    return (maxval_in <= 255 and maxval_out == 255 and int(np.abs(wi).max()) < 2 ** 15
            and maxval_in * pos + int(fc[0]) < 2 ** 31)


def _pmadd16_ok(wi, fc, maxval_in, maxval_out, one_sum=True):
    """Whether the fixed-point plan ``(wi, fc)`` of 16-bit pixels may run on the pmaddwd
    blocks (:func:`_madd_block`, :func:`_madd4_block`), whose lanes hold ``x - 32768``: 16-bit
    output (``vpackusdw`` saturates to ``[0, 65535]``), every weight in int16 (each product
    pair of ``vpmaddwd`` is then below ``2 * 2**15 * (2**15 - 1)`` in magnitude, exact in
    int32), ``S + bias`` in int32 (below ``2**31`` for the arithmetic shift of a shift plan;
    a numerator plan's bound already keeps ``|S| < 2**22``) and, with ``one_sum`` (the 8- and
    16-tap blocks, which start from one ``fc[5] = bias + 32768 sum_k W_k`` for the table),
    every row's ``sum_k W_k`` the same (boundaries that drop weights, such as ``constant``,
    have other sums at the borders; the four-tap block gets each row's own start from
    :func:`_fir4_fixed`)."""
    sums = wi.sum(axis=1)
    pos = int(np.maximum(wi, 0).sum(axis=1).max())
    fits = (int(fc[4]) == _NUMER
            or (int(fc[4]) in (16, 32) and maxval_in * pos + int(fc[0]) < 2 ** 31))
    same = not one_sum or bool((sums == sums[0]).all())
    return (fits and same and maxval_in <= 65535 and maxval_out == 65535
            and int(np.abs(wi).max()) < 2 ** 15)


def _madd_plan(w64, maxval_in, maxval_out):
    """``(wi, wp, fc)`` of the pmaddwd passes of 8- and 16-tap exact tables
    (:func:`_rows_row_madd`, :func:`_cols_row_madd`), or ``None``: :func:`_fixed_plan`'s
    integers and constants where :func:`_pmadd_ok` (8-bit pixels) or :func:`_pmadd16_ok`
    (16-bit pixels) holds.  ``wp`` packs the weight pairs (see :func:`_madd_block`); ``fc =
    (bias, q, off, top, _PMADD, bias16)``, ``bias16 = bias + 32768 sum_k W_k`` the start of
    the blocks' sums of 16-bit pixels (``bias`` for 8-bit ones)."""
    if w64.size == 0 or w64.shape[1] not in (8, 16):
        return None
    plan = _fixed_plan(w64, maxval_in, maxval_out, any_taps=True)
    if plan is None:
        return None
    wi, fc = plan
    wide = maxval_in > 255
    fits = _pmadd16_ok if wide else _pmadd_ok
    if int(fc[4]) == _NUMER or not fits(wi, fc, maxval_in, maxval_out):
        return None  # (numerators: these blocks round by the shift only)
    bias16 = int(fc[0]) + (32768 * int(wi[0].sum()) if wide else 0)
    fc = np.append(fc, bias16)
    fc[4] = _PMADD
    wp = (wi[:, 1::2] << 16) | (wi[:, 0::2] & 0xFFFF)
    return wi, np.ascontiguousarray(wp, dtype=np.int64), fc


_MARGIN_Q = 15  # the shift of margin weights: int16 weights, the pmaddwd blocks
_MARGIN_DMAX = 255  # the largest odd denominator tried (x3 bicubic needs 27)
_MARGIN_ROWS = 256  # tables with more distinct rows are not tried (those are not periodic)


def _margin_weights(w64, maxval_in):
    """Integer weights ``W = rint(w 2**15)`` (int16) that give MATLAB's rounded result for a
    table that is not exact, or ``None`` (no margin found for some row).

    For one row with float64 weights ``w_k`` and pixels ``x_k`` in ``[0, maxval_in]`` let ``T =
    sum_k w_k x_k`` (exact real), ``d`` MATLAB's float64 evaluation, ``|d - T| <= gamma =
    (K + 1) 2**-52 maxval_in sum_k |w_k|``, and ``S = sum_k W_k x_k``, so that ``S / 2**q
    - T = sum_k e_k x_k`` with ``e_k = W_k / 2**q - w_k`` lies within ``eps = maxval_in
    max(sum of the positive e_k, -sum of the negative e_k)`` of zero.  If the weights are
    close to rationals ``n_k / D`` with an *odd* ``D``, then ``R = sum_k n_k x_k / D`` is a
    multiple of ``1 / D``, and ``|R - (m + 1/2)| = |2 j - (2 m + 1) D| / (2 D) >= 1 / (2 D)``
    for every integer ``m`` (an odd numerator); with ``rho = maxval_in sum_k |w_k - n_k /
    D|``, ``T`` is at least ``mu = 1 / (2 D) - rho`` from every rounding tie.  When
    ``max(eps, gamma) < mu``, ``S / 2**q`` and ``d`` both lie strictly between the two ties
    around ``T``: ``floor(S / 2**q + 1/2)`` is MATLAB's round of ``d`` (half away from
    zero: they agree off the ties), before the same saturation.  A row whose weights are
    ``W / 2**q`` exactly needs no margin (its sum is exact, as in :func:`_fixed_plan`).

    Bicubic x3 (``D = 27``: ``mu`` about ``1/54``, ``eps`` at most ``255 / 2**15``) and
    bilinear at odd factors (``D = 3, 5, 7, ...``) qualify; even denominators (x1.5, x2.5:
    exact ties of ``T`` occur), irrational weights (Lanczos) and large ``D`` (bicubic x5:
    ``1/250``) do not.  The search for ``D`` is in float64; the bound itself is checked in
    exact integer arithmetic on each distinct row (over ``2**E``: ``w_k = A_k / 2**E``).
    Weights ``w = 1`` become ``2**15 - 1`` (that row then needs its margin: ``D = 1``, ``mu
    = 1/2``)."""
    q = _MARGIN_Q
    maxval_in = int(maxval_in)  # Python integers below: no int64 overflow
    wi = np.clip(np.rint(np.ldexp(w64, q)), -(2 ** 15), 2 ** 15 - 1).astype(np.int64)
    rows, first = np.unique(w64, axis=0, return_index=True)
    if rows.shape[0] > _MARGIN_ROWS:
        return None
    exact = (np.ldexp(wi[first].astype(np.float64), -q) == rows).all(axis=1)
    den = _odd_denominators(rows)  # 0: none found
    if not ((den > 0) | exact).all():
        return None
    rq = np.maximum(_row_q(rows), q)
    if rq.max() > 1000:
        return None
    # Python integers, each row over its own 2**E (E = rq[r] >= q): w_k = A_k / 2**E exactly
    for r in np.flatnonzero(~exact):
        e = int(rq[r])
        big = 1 << e
        a = [int(v) for v in np.ldexp(rows[r], e)]  # exact: integers of at most 53 bits
        d = int(den[r])
        werr = [int(v) << (e - q) for v in wi[first[r]]]  # W_k 2**(E - q)
        eps = maxval_in * max(sum(x - y for x, y in zip(werr, a) if x > y),
                              sum(y - x for x, y in zip(werr, a) if y > x))  # times 2**E
        rho = maxval_in * sum(abs(x * d - ((2 * x * d + big) // (2 * big)) * big) for x in a)
        room = big - 2 * rho  # mu = room / (2 D 2**E)
        gamma = (len(a) + 1) * maxval_in * sum(abs(x) for x in a)  # times 2**(E + 52)
        if not (2 * d * eps < room and 2 * d * gamma < (room << 52)):
            return None
    return wi


def _odd_denominators(rows):
    """Per row of ``rows``, the least odd ``D <= _MARGIN_DMAX`` with every ``w D`` within
    ``1e-6`` of an integer (a float64 search; the margins are then proved exactly), or 0."""
    dens = np.arange(1, _MARGIN_DMAX + 1, 2, dtype=np.float64)
    scaled = rows[:, :, None] * dens
    fits = (np.abs(scaled - np.rint(scaled)) <= 1e-6).all(axis=1)  # (rows, odd D)
    return np.where(fits.any(axis=1), dens[np.argmax(fits, axis=1)], 0).astype(np.int64)


def _fixed_plan(w64, maxval_in, maxval_out, any_taps=False):
    """Integer weights and constants for the fixed-point path, or ``None``.

    Let ``q`` be the least integer with every ``w * 2**q`` an integer ``W`` (an exact table,
    as in :func:`_int_plan`).  For pixels in ``[0, maxval_in]`` the sum ``S = sum_k W_k x_k``
    is an exact integer in ``[-maxval_in * N, maxval_in * P]`` (``P``, ``N``: the largest sum
    of the positive and of the negated negative weights of a row), and MATLAB's float64
    value is exactly ``S / 2**q`` (every product and partial sum is a multiple of ``2**-q``
    below ``2**53``).  Its rounding half away from zero, saturated to ``[0, top]``, is
    ``clamp(floor((S + h) / 2**q), 0, top)`` with ``h = 2**(q - 1)`` (for ``S < 0`` both give
    0).  With ``off = ceil(maxval_in N / 2**q)`` and ``bias = h + off 2**q`` the value ``S +
    bias`` is non-negative, so ``floor((S + h) / 2**q) = ((S + bias) >> q) - off``.  The
    lanes hold ``S + bias`` exactly when it is below ``2**bits``, and the shifted value must
    stay below ``2**(bits - 1)`` (it is clamped as a signed lane): 16-bit lanes when both
    hold, else 32-bit lanes, else ``None``.  Returns ``(wi, fc)``: ``wi`` the int64 table
    ``W``, ``fc = (bias, q, off, top, bits)``.  Four-tap tables only, unless ``any_taps``
    (for :func:`_madd_plan`: the argument holds for any number of taps).

    Tables that are not exact (or whose exact sums fit no lanes) get ``W = rint(w 2**15)``
    where :func:`_margin_weights` proves that ``S / 2**15`` and MATLAB's ``d`` lie strictly
    between the same two rounding ties; the same formula then gives MATLAB's result, and
    the rest of the argument (``off``, ``bias``, lanes) is unchanged.  Pixels wider than a
    byte without that margin may get a numerator plan instead (:func:`_numer_weights`):
    ``wi = N`` and ``fc = (0, D, 0, top, _NUMER)``, 32-bit lanes rounding ``S / D``."""
    if w64.size == 0 or (w64.shape[1] != 4 and not any_taps) or not np.isfinite(w64).all():
        return None
    q = int(_row_q(w64).max())
    if q <= 30:
        wi = np.ldexp(w64, q).astype(np.int64)
        plan = _fixed_constants(wi, q, maxval_in, maxval_out)
        if plan is not None:
            return plan
    wi = _margin_weights(w64, maxval_in) if _MARGIN else None
    if wi is not None:
        return _fixed_constants(wi, _MARGIN_Q, maxval_in, maxval_out)
    numer = _numer_weights(w64, maxval_in) if _NUMER_PLANS and maxval_in > 255 else None
    if numer is None or maxval_out >= 2 ** 31:
        return None
    wi, den = numer
    return np.ascontiguousarray(wi), np.array([0, den, 0, int(maxval_out), _NUMER],
                                              dtype=np.int64)


def _numer_weights(w64, maxval_in):
    """Integer numerators ``N`` and their odd denominator ``D`` for a four-tap table of
    16-bit pixels that :func:`_margin_weights` cannot take, or ``None``.

    Bicubic x3 (``(-2, 21, 9, -1) / 27``) and bilinear at odd factors have weights
    ``w_k`` within float64 rounding of ``N_k / D``.  For pixels ``x_k`` in ``[0, maxval_in]``
    the sum ``S = sum_k N_k x_k`` is an exact integer (int32 lanes), ``R = S / D`` is never
    closer than ``1 / (2 D)`` to a rounding tie (an odd ``D``: see :func:`_margin_weights`),
    and MATLAB's float64 ``d`` lies within ``gamma + rho`` of ``R`` (``gamma = (K + 1)
    2**-52 maxval_in sum_k |w_k|``, ``rho = maxval_in sum_k |w_k - N_k / D|``).  The blocks
    round ``s = fl(fl(S c) + 1/2)`` with ``c = fl(1 / D)`` in float32 (``S`` converts
    exactly for ``|S| < 2**24``); with ``u = 2**-24``, ``|s - (R + 1/2)| <= u |R| (3 + 3 u +
    u**2) + u / 2 < 2**-22 (|R| + 1)``.  When both ``gamma + rho`` and ``2**-22 (|R| + 1)``
    (``|R| <= maxval_in max(P, M) / D``, ``P`` and ``M`` the sums of a row's positive and
    negated negative numerators) stay below ``1 / (2 D)``, ``trunc(s)`` (saturated) is
    MATLAB's round of ``d``: every quantity lies strictly between the two ties around ``R``.
    Checked in exact integer arithmetic on each distinct row; one ``D`` (the least common
    multiple of the rows') for the table.  For 16-bit pixels bicubic x3 passes with ``2
    maxval_in P + 2 D = 3932154 < 2**22``; bicubic x5 (``D = 250``, even) does not.
    Bilinear tables at odd factors pass too, but :func:`_pad_taps` keeps them at two taps
    on float64 sums: widened to four taps they measured 0.93-1.04x that speed."""
    if w64.size == 0 or w64.shape[1] != 4:
        return None
    maxval_in = int(maxval_in)
    rows = np.unique(w64, axis=0)
    if rows.shape[0] > _MARGIN_ROWS:
        return None
    dens = _odd_denominators(rows)
    if not (dens > 0).all():
        return None
    den = 1
    for d in dens:
        den = den * int(d) // math.gcd(den, int(d))
    if den > _MARGIN_DMAX:
        return None
    num = np.rint(w64 * den).astype(np.int64)
    rq = _row_q(rows)
    if rq.max() > 1000:
        return None
    for r in range(rows.shape[0]):
        n = [int(v) for v in np.rint(rows[r] * den)]
        pos = sum(v for v in n if v > 0)
        neg = -sum(v for v in n if v < 0)
        if 2 * maxval_in * max(pos, neg) + 2 * den >= 2 ** 22:  # the float32 rounding
            return None
        if not _numer_margin(rows[r], int(rq[r]), n, den, maxval_in)[2]:
            return None
    return num, den


def _numer_margin(row, e, n, den, maxval_in):
    """``(a, rho, ok)`` for one table row ``row`` of float64 weights ``w_k = a_k / 2**e``
    (``a``: exact Python integers), numerators ``n`` over ``den`` and pixels in ``[0,
    maxval_in]``: ``rho = maxval_in sum_k |w_k - n_k / den|`` times ``den 2**e`` (0 when the
    weights are the rationals themselves), and ``ok`` when ``2 den (gamma + rho) < 1`` with
    ``gamma = (K + 1) 2**-52 maxval_in sum_k |w_k|``, MATLAB's float64 error bound: every
    sum then lies on the same side of every rounding tie as ``S / den`` unless it is one
    (:func:`_numer_weights`, :func:`_tie_weights`).  Exact integer arithmetic."""
    big = 1 << e
    a = [int(v) for v in np.ldexp(row, e)]
    rho = maxval_in * sum(abs(x * den - y * big) for x, y in zip(a, n))  # times D 2**E
    gamma = (len(a) + 1) * maxval_in * sum(abs(x) for x in a)  # times 2**(E + 52)
    return a, rho, 2 * den * gamma + (2 * rho << 52) < big << 52


_TIE_DMAX = 8192  # the largest denominator of a tie-checked numerator plan
_TIE_RATE_MAX = 0.01  # the most exact ties per output a checked row of such a plan may have
_TIE_COLS = 9  # columns of its ``wi``: N_0..N_3, the check flag, w_0..w_3 as float64 bits


def _tie_weights(w64, maxval_in, maxval_out):
    """``(wi, fc)`` of a tie-checked numerator plan for a four-tap table of 8- or 16-bit
    pixels into the same type, or ``None``: rational weights whose true sums may fall on a
    rounding tie (an even denominator: bicubic x1.5, x2.5, x1.25, x6) or whose denominator
    is too large for the margin and numerator plans (bicubic x5, x7, x5/3), which therefore
    refuse them.

    Every weight ``w_k`` of the table is within float64 rounding of ``N_k / D`` (``D``: the
    least common multiple of the weights' least denominators, at most :data:`_TIE_DMAX`).
    For pixels ``x_k`` in ``[0, maxval_in]`` the blocks compute ``X = 2 S + D + 2 off D``
    exactly in int32 (``S = sum_k N_k x_k``; weights ``2 N_k`` in int16 on the ``vpmaddwd``
    lanes, started from ``bias = 2 off D + D`` with ``off = ceil(maxval_in M / D)``, ``M``
    the largest sum of a row's negated negative numerators, so ``X >= D > 0``), and ``k =
    floor(X / (2 D)) = floor(S / D + 1/2) + off`` exactly: a float32 candidate corrected in
    int32 (:func:`_ir_tie_round`; its error is below ``2**-21 (X / (2 D) + 1) < 1/4``).
    MATLAB's float64 ``d`` lies within ``gamma + rho`` of ``R = S / D`` (as in
    :func:`_numer_weights`) and ``R`` off a tie is at least ``1 / (2 D)`` from it, so ``2 D
    (gamma + rho) < 1`` (checked per row in exact integer arithmetic) makes ``k - off``
    (saturated) MATLAB's result wherever ``X`` is not a multiple of ``2 D``.  Where it is,
    ``R = k - off - 1/2`` is a tie: in a row whose weights are ``N_k / D`` exactly and whose
    float64 sum is exact (``maxval_in sum_k |A_k| < 2**53`` for ``w_k = A_k / 2**E``: the
    half-pixel phase of x1.5, x2.5) ``d = R``, which MATLAB rounds up to ``k - off`` as the
    blocks do; in the other rows ``d`` is within rounding of the tie and only MATLAB's own
    arithmetic decides: those rows carry a check flag, and their ties (the blocks return
    their mask) are recomputed in float64 in tap order.  A flagged row whose ties would be
    frequent (``g / D > _TIE_RATE_MAX``, ``g = gcd(N_0, .., N_3, D)``: bilinear x1.5, ``D =
    6``) refuses the plan.

    ``wi`` is ``(rows, _TIE_COLS)`` int64: ``2 N_0 .. 2 N_3``, the flag, and the row's
    float64 weights as their int64 bits (the fallback's: each output's own row, even where
    a columns-pass phase row stands for the rows of every period, :func:`_fir4_fixed_at`).
    ``fc =
    (bias, 2 D, off, maxval_out, _TIES)`` (``_TIES16`` for 16-bit pixels: the blocks take
    them as ``x - 32768`` and add ``32768 sum_k 2 N_k`` to the start).  Needs the pmaddwd
    blocks (``_MADD`` and an AVX2 target)."""
    if (not (_TIE_PLANS and _MADD and _MADD_OK) or w64.size == 0 or w64.shape[1] != 4
            or not np.isfinite(w64).all() or maxval_in != maxval_out
            or maxval_in not in (255, 65535)):
        return None
    maxval_in = int(maxval_in)
    rows, inv = np.unique(w64, axis=0, return_inverse=True)
    if rows.shape[0] > _MARGIN_ROWS:
        return None
    rq = _row_q(rows)
    if rq.max() > 1000:
        return None
    den = 1
    for v in np.unique(rows):
        f = Fraction(float(v)).limit_denominator(_TIE_DMAX)
        if abs(float(v) - float(f)) > 2.0 ** -40:
            return None
        den = den * f.denominator // math.gcd(den, f.denominator)
        if den > _TIE_DMAX:
            return None
    num = np.rint(rows * den).astype(np.int64)
    if 2 * int(np.abs(num).max()) >= 2 ** 15:
        return None
    pos = int(np.maximum(num, 0).sum(axis=1).max())
    neg = int(np.maximum(-num, 0).sum(axis=1).max())
    off = -(-maxval_in * neg // den)  # ceil(maxval_in M / D)
    bias = 2 * off * den + den
    top = 2 * maxval_in * pos + bias  # the largest X
    if top >= 2 ** 31 or top + 2 * den >= 2 * den << 19:  # int32; X / (2 D) + 1 < 2**19
        return None
    flags = np.zeros(rows.shape[0], dtype=np.int64)
    for r in range(rows.shape[0]):
        n = [int(v) for v in num[r]]
        a, rho, ok = _numer_margin(rows[r], int(rq[r]), n, den, maxval_in)
        if not ok:
            return None
        g = math.gcd(math.gcd(*n), den)
        ties = den % 2 == 0 and (den // 2) % g == 0  # S = D / 2 (mod D) can occur
        exact = rho == 0 and maxval_in * sum(abs(x) for x in a) < 2 ** 53
        if ties and not exact:
            if g > _TIE_RATE_MAX * den:
                return None
            flags[r] = 1
    wi = np.empty((w64.shape[0], _TIE_COLS), dtype=np.int64)
    wi[:, :4] = 2 * num[inv.reshape(-1)]
    wi[:, 4] = flags[inv.reshape(-1)]
    wi[:, 5:] = np.ascontiguousarray(w64, dtype=np.float64).view(np.int64)
    marker = _TIES if maxval_in == 255 else _TIES16
    return wi, np.array([bias, 2 * den, off, int(maxval_out), marker], dtype=np.int64)


def _fixed_constants(wi, q, maxval_in, maxval_out):
    """``(wi, fc)`` of :func:`_fixed_plan` for the integer weights ``wi = W`` and shift
    ``q``, or ``None`` when no lane width holds the sums."""
    pos = int(np.maximum(wi, 0).sum(axis=1).max())
    neg = int(np.maximum(-wi, 0).sum(axis=1).max())
    maxval_in = int(maxval_in)
    if maxval_in * (pos + neg) * 2.0 ** q >= 2.0 ** 52:  # keep far inside float64's exact range
        return None
    half = (1 << (q - 1)) if q > 0 else 0
    off = -((-maxval_in * neg) >> q)  # ceil(maxval_in * neg / 2**q)
    bias = half + (off << q)
    high = maxval_in * pos + bias
    for bits in (16, 32):
        if high < 2 ** bits and (high >> q) < 2 ** (bits - 1) and maxval_out < 2 ** (bits - 1):
            fc = np.array([bias, q, off, int(maxval_out), bits], dtype=np.int64)
            return np.ascontiguousarray(wi), fc
    return None


# ---------------------------------------------------------------------------------------------
# per-table plans (cached for the read-only tables that classicsr.resize caches)

class _TablePlan:
    """Derived data of one ``(idx, w)`` table, computed lazily and cached."""

    def __init__(self, idx, w):
        self.idx = idx
        self.w = w
        self.ntaps = idx.shape[1]
        self._cache = {}

    def weights(self, dtype):
        key = ("w", np.dtype(dtype))
        if key not in self._cache:
            self._cache[key] = np.ascontiguousarray(self.w, dtype=dtype)
        return self._cache[key]

    def source_order(self):
        """``(f, c, G, K, lo, hi)`` of the source-ordered rows pass (:func:`_so_row`), or
        ``None`` (see :func:`_so_plan`)."""
        if "so" not in self._cache:
            self._cache["so"] = _so_plan(self.idx)
        return self._cache["so"]

    def int_plan(self, maxval_in):
        """``(mode, bound)`` for float32 accumulation of integer pixels ``<= maxval_in``, or
        ``None`` when float64 accumulation is needed (see :func:`_int_plan`)."""
        key = ("int", maxval_in)
        if key not in self._cache:
            self._cache[key] = _int_plan(np.asarray(self.w, dtype=np.float64), maxval_in)
        return self._cache[key]

    def row_bounds(self, maxval_in, bound):
        """float32 near-tie bounds per output row (see :func:`_row_bounds`).  In a polyphase
        interior every row of a phase gets the largest bound of that phase: the columns pass
        filters all of them with the float32 weights of one row (:func:`cols_pass_il`),
        which are exact for all only if every row of the phase is."""
        key = ("rb", maxval_in, bound)
        if key not in self._cache:
            rb = _row_bounds(np.asarray(self.w, dtype=np.float64), maxval_in, bound)
            poly = self.poly(np.float32)
            if poly is not None:
                j0, nphase, _, mper = poly[:4]
                for p in range(nphase):
                    rows = slice(j0 + p, j0 + nphase * mper, nphase)
                    rb[rows] = rb[rows].max()
            self._cache[key] = rb
        return self._cache[key]

    def fixed(self, maxval_in, maxval_out):
        """``(wi, fc)`` of the fixed-point path for pixels ``<= maxval_in`` rounded into
        ``[0, maxval_out]``, or ``None`` (see :func:`_fixed_plan`)."""
        pmadd = _MADD and _MADD_OK
        key = ("fixed", maxval_in, maxval_out, pmadd, _MARGIN, _NUMER_PLANS, _TIE_PLANS)
        if key not in self._cache:
            w64 = np.asarray(self.w, dtype=np.float64)
            plan = _fixed_plan(w64, maxval_in, maxval_out)
            if plan is None:
                # even denominators: exact ties checked (None without the pmaddwd blocks)
                plan = _tie_weights(w64, maxval_in, maxval_out) if self.ntaps == 4 else None
            elif (pmadd and plan[1][4] == 32
                    and _pmadd_ok(plan[0], plan[1], maxval_in, maxval_out)):
                plan = (plan[0], plan[1].copy())
                plan[1][4] = _PMADD  # 32-bit sums of 8-bit pixels: the pmaddwd block
            elif (pmadd and maxval_in > 255
                  and _pmadd16_ok(plan[0], plan[1], maxval_in, maxval_out, one_sum=False)):
                plan = (plan[0], plan[1].copy())  # 16-bit pixels as x - 32768
                plan[1][4] = _NUMER16 if plan[1][4] == _NUMER else _PMADD16
            self._cache[key] = plan
        return self._cache[key]

    def madd(self, maxval_in, maxval_out):
        """``(wi, wp, fc)`` of the pmaddwd rows pass, or ``None`` (see :func:`_madd_plan`)."""
        key = ("madd", maxval_in, maxval_out, _MARGIN)  # used only while _MADD and _MADD_OK
        if key not in self._cache:
            self._cache[key] = _madd_plan(np.asarray(self.w, dtype=np.float64), maxval_in,
                                          maxval_out)
        return self._cache[key]

    def direct(self, nch, w_in, maxval_in, maxval_out):
        """``(ctrl, wts, base, sched, half, q, nch, idx, wi, fc)`` of the output-order
        columns pass of 8-bit rows (:func:`_direct_row`) for ``nch`` channels and rows
        of ``w_in`` pixels, or ``None``: the fixed-point plan (four taps) with its rounding
        folded into ``half = bias - off 2**q`` (``((S + bias) >> q) - off == (S + half) >>
        q``, an arithmetic shift), where :func:`_pmadd_ok` holds (int16 weights, ``S + bias
        < 2**31``; then ``S + half`` fits int32 too: ``half <= bias``, and four int16 taps
        on bytes stay far above ``-2**31``), and :func:`_direct_plan`'s descriptors exist."""
        key = ("direct", nch, w_in, maxval_in, maxval_out, _MADD and _MADD_OK, _MARGIN)
        if key not in self._cache:
            self._cache[key] = None
            fixed = self.fixed(maxval_in, maxval_out)
            if (fixed is not None and maxval_in == 255 and int(fixed[1][4]) in (16, 32, _PMADD)
                    and _pmadd_ok(fixed[0], fixed[1], maxval_in, maxval_out)):
                wi, fc = fixed
                q = int(fc[1])
                half = int(fc[0]) - (int(fc[2]) << q)
                plan = _direct_plan(self.idx, wi, nch, w_in, self.poly(np.float64))
                if plan is not None:
                    self._cache[key] = plan + (half, q, nch, self.idx, wi, fc)
        return self._cache[key]

    def split_rows(self):
        """``(ws, w64, half, q)`` of a rows pass of 8-bit pixels on split weights
        (:func:`_rows_row_split`) for a four-tap table, or ``None``: ``ws`` (int64, ``(n,
        9)``) holds each row's ``Wh`` (4), ``Wl`` (4) and band (:func:`_split_weights`: the
        exactness argument of :func:`_split_plan`, each row with its own band), ``w64`` the
        float64 weights for the near ties.  ``None`` also when more than
        ``_SPLIT_ROWS_TIE_MAX`` of the outputs would be near ties (estimated as
        :func:`_split_plan` does)."""
        if "split_rows" not in self._cache:
            self._cache["split_rows"] = None
            w64 = self.weights(np.float64)
            split = (_split_weights(w64) if self.ntaps == 4 and w64.shape[0]
                     and np.isfinite(w64).all() else None)
            if split is not None:
                big, half, q, tb = split
                if _split_tie_rate(big, half, q, tb) <= _SPLIT_ROWS_TIE_MAX:
                    ws = np.concatenate([big >> _SPLIT_BITS, big & ((1 << _SPLIT_BITS) - 1),
                                         tb[:, None]], axis=1)
                    self._cache["split_rows"] = (np.ascontiguousarray(ws, dtype=np.int64),
                                                 w64, half, q)
        return self._cache["split_rows"]

    def direct_checked(self, nch, w_in):
        """``(ctrl, wts, base, sched, half, q, tb, nch, idx, w64)`` of the output-order
        columns pass of 8-bit rows for a checked four-tap table
        (:func:`_direct_row`: split weights and bands from :func:`_split_plan`, descriptors
        from :func:`_direct_plan`, with each output's band when the split plan has them and
        ``tb = 0``), or ``None``."""
        key = ("direct_chk", nch, w_in)
        if key not in self._cache:
            self._cache[key] = None
            w64 = self.weights(np.float64)
            split = _split_plan(w64) if self.ntaps == 4 else None
            if split is not None:
                parts, half, q, tb = split
                lanes = isinstance(tb, np.ndarray)
                plan = _direct_plan(self.idx, parts, nch, w_in, self.poly(np.float64),
                                    _DIRECT_CHK_MAX_ABS, band=tb if lanes else None)
                if plan is not None:
                    self._cache[key] = plan + (half, q, 0 if lanes else tb, nch, self.idx, w64)
        return self._cache[key]

    def direct_f64(self, nch, w_in):
        """``(ctrl, wts, base, sched, 0, 0, 0, nch, idx, w64)`` of the output-order columns
        pass of 8-bit rows in float64 blocks (:func:`_direct_f64_codegen`: MATLAB's
        arithmetic, no near ties) for a table of 2-4 taps (widened to four,
        :meth:`padded`: the zero taps add an exact ``+0``; ``idx``, ``w64`` the widened
        table), or ``None`` where :func:`_direct_plan` has no descriptors."""
        key = ("direct_f64", nch, w_in)
        if key not in self._cache:
            self._cache[key] = None
            if 2 <= self.ntaps <= 4:
                table = self if self.ntaps == 4 else _TablePlan(*self.padded(4))
                w64 = table.weights(np.float64)
                # the blocks convert the float64 sum to int32 before the saturating packs:
                # defined only for |v| < 2**31 (cubic_a = -1e8 gave 0 for 255)
                fits = 255.0 * float(np.abs(w64).sum(axis=1).max()) < 2.0**31 - 1
                plan = _direct_plan(table.idx, w64, nch, w_in, table.poly(np.float64),
                                    _DIRECT_CHK_MAX_ABS) if fits else None
                if plan is not None:
                    self._cache[key] = plan + (0, 0, 0, nch, table.idx, w64)
        return self._cache[key]

    def lane_offsets(self, nch, dtype):
        """``(W_out * nch, K)`` int32 byte offsets of the tap blocks of :func:`_cols_group`
        (:func:`_lane_tap_block`) for rows of ``nch`` channels in lanes of ``dtype``: entry
        ``(j nch + c, k)`` is ``(idx[j, k] nch + c) _LANES itemsize``, where element ``j nch +
        c``'s tap ``k`` starts in ``tin``.  ``None`` where an offset would not fit int32 or
        the table would exceed :data:`_LANE_OFFSETS_MAX_BYTES`."""
        key = ("lane_offs", nch, np.dtype(dtype))
        if key not in self._cache:
            self._cache[key] = None
            lane_bytes = _LANES * np.dtype(dtype).itemsize
            w_out, k = self.idx.shape
            top = (int(self.idx.max(initial=0)) + 1) * nch * lane_bytes
            if top < 2 ** 31 and w_out * nch * k * 4 <= _LANE_OFFSETS_MAX_BYTES:
                elem = self.idx[:, None, :] * nch + np.arange(nch, dtype=np.intp)[None, :, None]
                offs = (elem * lane_bytes).reshape(w_out * nch, k).astype(np.int32)
                offs.setflags(write=False)
                self._cache[key] = offs
        return self._cache[key]

    def padded(self, ntaps):
        """The table widened to ``ntaps`` taps: each row's last index repeated with weight 0
        (read-only arrays, kept here so the plan cache can key on them; see
        :func:`_pad_taps`)."""
        key = ("pad", ntaps)
        if key not in self._cache:
            extra = ntaps - self.ntaps
            idx = np.concatenate([self.idx, np.repeat(self.idx[:, -1:], extra, axis=1)], axis=1)
            w = np.concatenate([self.w, np.zeros((self.w.shape[0], extra), self.w.dtype)],
                               axis=1)
            idx.setflags(write=False)
            w.setflags(write=False)
            self._cache[key] = (idx, w)
        return self._cache[key]

    def selection(self):
        """The source index of each output (intp) when every row of the table selects one
        pixel (one weight exactly 1, the others 0: ``nearest``, ``box`` upscales), else
        ``None`` (see :func:`_select_chunk`)."""
        if "sel" not in self._cache:
            w = np.asarray(self.w)
            one = w == 1
            sel = None
            if w.size and (one | (w == 0)).all() and (one.sum(axis=1) == 1).all():
                sel = np.ascontiguousarray(
                    self.idx[np.arange(w.shape[0]), np.argmax(one, axis=1)], dtype=np.intp)
            self._cache["sel"] = sel
        return self._cache["sel"]

    def fixed_il(self, nch, wi, fc):
        """``(offs, wui)``: :meth:`interleaved` with the weights as the integers ``wi`` of
        the fixed-point plan (the rows ``j0 .. j0 + P - 1``, whose float weights the phases
        use), or ``None`` if the phases' weights are not those rows'."""
        key = ("fixed_il", nch, int(fc[1]), int(fc[4]), _MARGIN)
        if key not in self._cache:
            offs, wu = self.interleaved(np.float64, nch)
            j0 = self.poly(np.float64)[0]
            rows = slice(j0, j0 + wu.shape[0])
            same = np.array_equal(wu, self.weights(np.float64)[rows])
            self._cache[key] = (offs, np.ascontiguousarray(wi[rows], dtype=np.int64)) if same \
                else None
        return self._cache[key]

    def pixel_planes(self, dtype, streamed=False):
        """``qs = (Q, s0, plen, streamed, shared, 0, 0, 0, 0)`` of :func:`_cols_row_il` (``(1,
        0, 0, streamed, shared, ...)`` for ``Q == 1``; the zeros: no border pads, see
        :func:`_extend_grid`); ``shared``: every phase reads the same taps
        (the rows of :meth:`interleaved`'s ``offs`` are equal, whatever ``nch``), so the
        shared-taps blocks apply (:func:`_fir_interleave_row`)."""
        key = ("qs", np.dtype(dtype), bool(streamed), _SHARED_TAPS)
        if key not in self._cache:
            j0, p, q, m, s0, tq, ta, wp, plen, uniform = self.poly(dtype)
            qs = [q, s0, plen] if q > 1 else [1, 0, 0]
            taps = tq * plen + ta if q > 1 else ta
            shared = _SHARED_TAPS and bool((taps == taps[:1]).all())
            self._cache[key] = np.array(qs + [int(bool(streamed)), int(shared), 0, 0, 0, 0],
                                        dtype=np.intp)
        return self._cache[key]

    def extended(self, dtype, nch, w_in):
        """``(j0, M, offs, pads)``: the interleaved grid (:meth:`interleaved`) extended over
        the borders, or ``None`` (see :func:`_extend_grid`)."""
        key = ("ext", np.dtype(dtype), nch, w_in)
        if key not in self._cache:
            self._cache[key] = _extend_grid(self, dtype, nch, w_in)
        return self._cache[key]

    def poly(self, dtype):
        key = ("poly", np.dtype(dtype))
        if key not in self._cache:
            self._cache[key] = _polyphase(self.idx, self.weights(dtype))
        return self._cache[key]

    def interleaved(self, dtype, nch):
        """``(offs, wu)`` of :func:`cols_pass_il` for ``nch`` interleaved channels: tap offsets
        into the row (``Q == 1``) or into its pixel-phase planes (:meth:`pixel_planes`)."""
        key = ("il", np.dtype(dtype), nch)
        if key not in self._cache:
            j0, p, q, m, s0, tq, ta, wp, plen, uniform = self.poly(dtype)
            if q == 1:
                offs = np.ascontiguousarray((s0 + ta) * nch, dtype=np.intp)
            else:
                offs = np.ascontiguousarray((tq * plen + ta) * nch, dtype=np.intp)
            wu = np.ascontiguousarray(wp.reshape(p, self.ntaps, m)[:, :, 0])
            self._cache[key] = (offs, wu)
        return self._cache[key]


def _int_plan(w64, maxval):
    """Choose float32 accumulation for integer pixels in ``[0, maxval]`` when it is provably
    MATLAB's float64 result after rounding.

    Exact tables: let ``q`` be the least integer with every ``w * 2**q`` an integer, and
    ``S = max_i sum_k |w[i, k]|``.  Every product ``w * x`` (``x`` an integer in
    ``[0, maxval]``) and every partial sum is an integer multiple of ``2**-q`` of magnitude at
    most ``maxval * S``; if ``(maxval * S + 1) * 2**q < 2**24`` all of them (and ``v + 0.5``
    in the rounding) are exact in float32, with or without FMA, in any order, and equal to
    the float64 value.  Mode MODE_ROUND, no check.

    Otherwise (uint8 only) with ``u = 2**-24``, ``K`` taps and ``w32 = fl32(w)``:
    ``|s32 - sum w32 x| <= gamma_K sum |w32| x`` (recursive summation, FMA only removes
    roundings), ``|sum w32 x - sum w x| <= u sum |w| x`` and ``|d - sum w x| <= gamma64_K
    sum |w| x``, so ``|s32 - d| <= ((K + 2) u (1 + 1e-3)) maxval S``.  The bound used is twice
    that plus ``4 u (maxval + 1)`` (covering the float32 rounding of ``v + 0.5`` when
    ``v <= maxval + 1``).  An output is final unless ``|s32 - floor(s32) - 0.5| <= bound``;
    those are recomputed in float64 in tap order (MODE_CHECK).
    """
    if w64.size == 0:
        return MODE_ROUND, 0.0
    absw = np.abs(w64)
    s = float(absw.sum(axis=1).max())
    finite = np.isfinite(w64).all()
    if finite:
        q = int(_row_q(w64).max())
        if q < 40 and (maxval * s + 1.0) * 2.0 ** q < 2.0 ** 24:
            return MODE_ROUND, 0.0
    if maxval > 255 or not finite:
        return None
    k = w64.shape[1]
    bound = 2.0 * (k + 2) * _U32 * (1 + 1e-3) * maxval * s + 4.0 * _U32 * (maxval + 1)
    if _near_tie_rate(w64, maxval, bound) > _tie_rate_max(k):
        return None
    return MODE_CHECK, bound


def _tie_rate_max(ntaps):
    """The near-tie rate above which a checked table of ``ntaps`` taps accumulates in
    float64 instead (:func:`_int_plan`).  Tables with small-denominator weights hit exact
    ties of the true value often (bilinear x1.5: ``(5a + b) / 6`` is one for a pair in six),
    and each near tie is recomputed on its own; float64 accumulation costs more per tap.
    Measured, 1000x1000x3 uint8, one thread, checked / float64 ms: bilinear x1.5 (rate
    0.11) 46.8 / 15.8, x1.7 38.3 / 19.8, x0.7 (0.019) 11.3 / 6.2, x1.37 (0.003) 16.1 / 14.2;
    lanczos2 x1.5 (0.024) 21.4 / 19.3, x2.5 (0.013) 39.3 / 43.8; bicubic x1.1 (0.002)
    11.8 / 11.9; lanczos3 x0.75 (0.001) 6.7 / 9.8.  Two- and three-tap tables pay twice:
    they reach the register blocks only widened to four taps (:func:`_pad_taps`)."""
    return _TIE_RATE_SHORT if ntaps < 4 else _TIE_RATE_PER_TAP * ntaps


_TIE_RATE_SHORT = 0.002
_TIE_RATE_PER_TAP = 0.005


def _near_tie_rate(w64, maxval, bound, nrows=256, per_row=16):
    """The fraction of outputs of a checked table that :func:`_int_plan`'s test sends to the
    float64 recomputation, estimated on ``per_row`` pseudo-random pixel vectors for each of
    ``nrows`` pseudo-random rows (fixed seed), with those rows' own bounds
    (:func:`_row_bounds`: rows exact on their own never count).  Speed only: either choice
    gives MATLAB's values.  0.25-0.6 ms (the bounds of the sampled rows only; ``classicsr.dask``
    pays it for every block's fresh table)."""
    rng = np.random.default_rng(0)
    rows = rng.integers(0, w64.shape[0], size=nrows)
    w = w64[rows]
    x = rng.integers(0, int(maxval) + 1, size=(nrows, per_row, w64.shape[1])).astype(np.float64)
    v = np.einsum("rsk,rk->rs", x, w)
    rb = _row_bounds(w, maxval, bound).astype(np.float64)[:, None]
    return float(np.mean(np.abs(v - np.floor(v) - 0.5) <= rb))


def _row_bounds(w64, maxval, bound):
    """The near-tie bound of each output row of a checked table, as float32: ``bound``, or -1
    (no output is ever recomputed) for the rows that are exact on their own.

    :func:`_int_plan`'s exact-table argument holds row by row: when every weight of row ``i``
    is a multiple of ``2**-q_i`` and ``(maxval * sum_k |w[i, k]| + 1) * 2**q_i < 2**24``, the
    float32 sum of that row is MATLAB's float64 value exactly, and so is ``v + 0.5``; its
    ties ``n + 0.5`` (the half-pixel phase of x1.5 or x2.5 puts one in 16 outputs there) are
    real ties that ``floor(v + 0.5)`` rounds as MATLAB does."""
    out = np.full(w64.shape[0], bound, dtype=np.float64)
    if w64.size and np.isfinite(w64).all():
        q = _row_q(w64)
        s = np.abs(w64).sum(axis=1)
        out[(maxval * s + 1.0) * np.ldexp(1.0, np.minimum(q, 60)) < 2.0 ** 24] = -1.0
    return out.astype(np.float32)


def _row_q(w64):
    """Per row of the finite table ``w64``, the least ``q >= 0`` with every ``w * 2**q`` an
    integer, from the float64 representation (``w = m 2**(e - 53)`` with an integer ``m``
    of ``t`` trailing zero bits needs ``q = 53 - e - t``): one pass instead of trying each
    ``q`` (2 ms for a 512 x 12 table, paid per call for the writeable tables of dask blocks)."""
    f, e = np.frexp(w64)
    m = np.abs(np.ldexp(f, 53)).astype(np.int64)  # exact: |f| < 1 has 53 significant bits
    nz = m != 0
    low = np.where(nz, m & -m, 1)  # lowest set bit
    t = np.log2(low.astype(np.float64)).astype(np.int64)  # exact for powers of two
    q = np.where(nz, 53 - e - t, 0)
    return np.maximum(q, 0).max(axis=1) if w64.shape[1] else np.zeros(w64.shape[0], np.int64)


def _fd_plan(idx, w, nch, j0, p, q, j1, t0):
    """Descriptors ``(fdi, fdw)`` of :func:`_fd_row` for a float32 columns-pass table
    ``(idx, w)`` whose interior ``[j0, j1)`` (output pixels) is periodic with ``P = p``
    outputs per ``Q = q`` input pixels, its periodic vectors starting at element ``t0 >= j0
    nch`` of the flattened output row; or ``None``.

    Vectors of 16 outputs repeat every ``V = P nch / gcd(16, P nch)`` vectors, their taps
    ``16 V Q / P`` elements further on.  The table is checked to repeat over every output
    pixel those vectors touch (indices shifted by ``Q``, float32 weights equal to the bit), so
    each lane of vector ``V n + v`` reads the taps and weights of its own output, as every
    other path does.  The rest of the row (both borders) is covered by vectors whose lanes
    take their taps from the table itself, the last one ending at the end of the row; rows
    narrower than one vector, and tables whose taps for 16 consecutive outputs span more
    than 32 source elements, get ``None``."""
    lanes = _FD_LANES
    ntaps = idx.shape[1]
    n_el = idx.shape[0] * nch
    per = p * nch
    nvec = per // math.gcd(lanes, per)
    count = (j1 * nch - t0) // lanes
    if 0 < n_el - (t0 + lanes * count) < lanes:
        count -= 1  # the last border vector must not reach back into the periodic ones
    if count < nvec or t0 < j0 * nch or t0 < lanes <= n_el or n_el < lanes:
        return None
    tend = t0 + lanes * count
    jlo, jhi = t0 // nch, -(-tend // nch)
    idx64 = idx.astype(np.int64)
    w32 = np.ascontiguousarray(w, dtype=np.float32)
    bits = w32.view(np.int32)
    if not (np.array_equal(idx64[jlo + p:jhi], idx64[jlo:jhi - p] + q)
            and np.array_equal(bits[jlo + p:jhi], bits[jlo:jhi - p])):
        return None
    # the border vectors: up to t0 (ending there, the first one at 0) and from tend on (the
    # last one ending at the end): they overlap each other, never the periodic vectors,
    # whose lines may be streamed (a plain store into a streamed line waits for memory)
    extra = sorted({0} | set(range(t0 - lanes, -1, -lanes)))
    extra += [min(e, n_el - lanes) for e in range(tend, n_el, lanes)]
    starts = np.array([t0 + lanes * v for v in range(nvec)] + extra, dtype=np.int64)
    t = starts[:, None] + np.arange(lanes)  # (nvec + E, 16) output elements
    j, c = t // nch, t % nch
    src = idx64[j] * nch + c[:, :, None]  # (nvec + E, 16, K)
    base = src.min(axis=(1, 2))
    sel = src - base[:, None, None]
    span = int(sel.max()) + 1
    nwin = 1 if span <= lanes else 2 if span <= 2 * lanes else 0
    kind = _fd_kind(nvec, ntaps, nwin)
    if not kind:
        return None
    sel = sel.transpose(0, 2, 1).reshape(len(starts), ntaps * lanes)  # (vector, k, lane)
    fdi = np.concatenate([
        np.zeros(_FD_HEAD, dtype=np.int64), base[:nvec], sel[:nvec].ravel(),
        np.concatenate([starts[nvec:, None], base[nvec:, None], sel[nvec:]], axis=1).ravel()])
    fdi = np.ascontiguousarray(fdi, dtype=np.intp)
    head = {_FD_KIND: kind, _FD_T0: t0, _FD_COUNT: count, _FD_STRIDE: lanes * nvec * q // p,
            _FD_NX: len(extra)}
    for k, v in head.items():
        fdi[k] = v
    fdw = np.ascontiguousarray(w32[j].transpose(0, 2, 1).ravel())
    return fdi, fdw

def _fd_setup(plan, nch, dst, mode, streamed):
    """``(fdi, fdw)`` of :func:`_cols_row_il` for a columns pass into the rows of the 2-D
    ``dst``: the output-order float32 blocks (:func:`_fd_plan`) where they apply (float32
    outputs of a periodic table, AVX-512 target), else :data:`_FD_NONE`.  When every row
    starts at the same offset from a 64-byte line, the vectors start on a line
    (``t0`` a few outputs past ``j0 nch``; the outputs before are gathered), and large
    outputs (``streamed``) are written with streaming stores."""
    if not (_FLOAT_DIRECT and _FD_OK and mode == MODE_FLOAT and dst.dtype == np.float32
            and dst.ndim == 2):
        return _FD_NONE
    poly = plan.poly(np.float32)
    # gray rows whose phases share their taps (even factors) keep the shared-taps blocks
    # (four loads for sixteen outputs) unless streamed: in-process A/B, 1024x1024 float32 x2
    # 1.0x one thread, 0.88x two; 512x512 x4 0.97-1.07x; streamed 1024x1024 x4 1.19-1.21x
    if poly is None or (nch == 1 and plan.pixel_planes(np.float32)[4] and not streamed):
        return _FD_NONE
    j0, p, q, m = poly[:4]
    t0 = max(j0 * nch, _FD_LANES)  # room for a whole border vector before (see _fd_plan)
    ptr = dst.ctypes.data
    lined = ptr % 4 == 0 and (dst.shape[0] < 2 or dst.strides[0] % 64 == 0)
    if lined:
        t0 += (-(ptr + 4 * t0)) % 64 // 4
    nt = bool(streamed and lined)
    key = ("fd", nch, t0, nt)
    if key not in plan._cache:
        got = _fd_plan(plan.idx, plan.weights(np.float32), nch, j0, p, q, j0 + p * m, t0)
        if got is not None and nt:
            got[0][_FD_NT] = 1
        plan._cache[key] = got
    got = plan._cache[key]
    return _FD_NONE if got is None else got

def _polyphase(idx, w):
    """Find the polyphase interior of a table (see the module docstring).

    The interior is the longest run of outputs around the middle whose tap rows repeat with a
    period of ``P`` outputs, shifted by ``Q`` input pixels: ``idx[j + P] == idx[j] + Q`` for
    every tap.  The taps of a row need not be consecutive: rows that ``contributions`` trimmed
    (an output that falls exactly on an input pixel keeps weight 1 on it and repeats that index
    with weight 0, e.g. every third output at x3) are periodic too.

    Returns ``(j0, P, Q, M, s0, tq, ta, wp, plen, uniform)`` or ``None``.  ``tq``/``ta`` (P, K) give the
    input phase plane and offset of each tap relative to input pixel ``s0``; ``wp`` is
    ``(P, K, M)`` flattened; ``plen`` is the length of an input-phase plane."""
    n_out, k = idx.shape
    if n_out < 8:
        return None
    mid = n_out // 2
    best = None
    for p in range(1, 17):
        if mid + p >= n_out:
            break
        shift = idx[p:] - idx[:-p]  # (n_out - p, K)
        q = int(shift[mid, 0])
        if q <= 0 or q > 16:
            continue
        ok = np.all(shift == q, axis=1)  # row j repeats as row j + p, shifted by q
        if not ok[mid]:
            continue
        # maximal [a, b) around mid with the period holding on [a, b - p)
        left_bad = np.nonzero(~ok[:mid + 1])[0]
        a = int(left_bad.max()) + 1 if left_bad.size else 0
        bad = np.nonzero(~ok[mid:])[0]
        b = mid + int(bad[0]) + p if bad.size else n_out
        m = (b - a) // p
        if m >= 2 and (best is None or p * m > best[1] * best[3]):
            best = (a, p, q, m)
    if best is None or best[1] * best[3] < n_out // 2:
        return None
    a, p, q, m = best
    rows = idx[a:a + p].astype(np.int64)
    s0 = int(rows.min())
    offs = rows - s0
    tq = np.ascontiguousarray(offs % q, dtype=np.intp)
    ta = np.ascontiguousarray(offs // q, dtype=np.intp)
    plen = int(m + ta.max())
    wp3 = np.ascontiguousarray(w[a:a + p * m].reshape(m, p, k).transpose(1, 2, 0))
    uniform = bool(np.all(wp3 == wp3[:, :, :1]))
    return a, p, q, m, s0, tq, ta, wp3.reshape(-1), plen, uniform


def _extend_grid(plan, dtype, nch, w_in):
    """The interleaved grid of a float columns pass (:meth:`_TablePlan.interleaved`, ``Q ==
    1``, uniform phases) extended over the borders of the row, or ``None``.

    The polyphase interior (:func:`_polyphase`) ends where the taps leave the row and
    ``contributions`` maps them back in (mirrored, clamped, wrapped); those border outputs
    were gathered one by one from the table (:func:`_gather_row`: ~0.13-0.25 us a row, a
    third of a 128x128 float32 x2 resize).  When every output has its phase's weights bit
    for bit, and each virtual pixel ``v`` outside ``[0, w_in)`` is always mapped to the same
    pixel ``b(v)``, the row is padded instead: the row at ``x[X:]`` (``X >= P_l C`` on a
    64-byte line), pixel ``v`` of the row set to its pixel ``b(v)`` for the few ``v`` (the
    pads), and the grid starts at ``j0 mod P`` with
    every whole period that fits (``M``); the at most ``P - 1`` outputs left at each end are
    filtered from the padded row with their phase's taps and weights
    (:func:`_cols_row_il`).  Each output reads the same pixels with the same weights in the
    same order: the same bits.  ``boundary="constant"`` (border weights differ) keeps the
    gathers.

    Returns ``(j0, M, offs, tail)``: ``offs`` as :meth:`_TablePlan.interleaved`'s but into
    the padded row, ``tail`` the entries 5: of ``qs`` (:func:`_cols_row_il`): 1 (the grid is
    extended), ``X``, ``X + P_r C`` (the row's extra elements), the pad count, then the pads
    as pairs ``(X + v C, X + b(v) C)`` of elements (the first of the pixel's channels)."""
    poly = plan.poly(dtype)
    if poly is None:
        return None
    j0, p, q, m = poly[:4]
    if q != 1 or not poly[9]:
        return None
    offs, wu = plan.interleaved(dtype, nch)
    n_out, k = plan.idx.shape
    if j0 == 0 and j0 + p * m == n_out:
        return None  # no border outputs
    e = np.arange(n_out) - j0
    ph = e % p
    v = offs[ph] // nch + (e // p)[:, None]  # (n_out, K): the virtual pixel of each tap
    w = plan.weights(dtype)
    bits = np.dtype(f"u{w.itemsize}")
    if not np.array_equal(np.ascontiguousarray(w).view(bits),
                          np.ascontiguousarray(wu[ph]).view(bits)):
        return None
    idx = np.asarray(plan.idx, dtype=np.int64)
    inside = (v >= 0) & (v < w_in)
    if not np.array_equal(idx[inside], v[inside]):
        return None
    ov = v[~inside]
    oi = idx[~inside]
    order = np.lexsort((oi, ov))
    ov = ov[order]
    oi = oi[order]
    uv, first = np.unique(ov, return_index=True)
    if not np.array_equal(oi, oi[first][np.searchsorted(uv, ov)]):
        return None  # one virtual pixel mapped to two
    pl = max(0, -int(v.min()))
    pr = max(0, int(v.max()) + 1 - w_in)
    # the row starts on a 64-byte line of x, as without pads (the rows pass stores there:
    # 8 or 24 bytes off made 1024x1024 float32 x2 5% slower)
    unit = max(1, 64 // np.dtype(dtype).itemsize)
    xoff = -(-pl * nch // unit) * unit
    lo = j0 // p  # whole periods before j0
    pads = np.stack([xoff + uv * nch, xoff + oi[first] * nch], axis=1).ravel()
    tail = np.concatenate([[1, xoff, xoff + pr * nch, uv.size], pads]).astype(np.intp)
    offs2 = np.ascontiguousarray(offs + xoff - lo * nch, dtype=np.intp)
    return j0 - lo * p, m + lo + (n_out - j0 - p * m) // p, offs2, tail


_PLANS: OrderedDict = OrderedDict()
_PLANS_MAX = 512


#: ``(G, f, m)`` of the source-ordered rows pass's whole-group loops (:func:`_so_group`):
#: bicubic and Lanczos-2 (``K`` = 8, 11, 16) and bilinear (``K`` = 4, 5, 8) at x1/2, x1/3,
#: x1/4.
_SO_SHAPES = ((4, 2, 2), (4, 3, 2), (4, 4, 4), (2, 2, 2), (2, 3, 2), (2, 4, 4))
#: fewest interior rows for which the source-ordered rows pass is used
_SO_MIN_ROWS = 8


def _so_plan(idx):
    """``(f, c, G, K, lo, hi)`` (int64) where the rows ``lo <= i < hi`` of ``idx`` read the
    ``K`` consecutive source rows from ``f i + c`` on with ``(G, f, K - (G - 1) f)`` in
    :data:`_SO_SHAPES` (``G = ceil(K / f)``), for at least :data:`_SO_MIN_ROWS` rows;
    otherwise ``None``."""
    h_out, k_n = idx.shape
    if h_out < _SO_MIN_ROWS:
        return None
    mid = h_out // 2
    f = int(idx[mid, 0]) - int(idx[mid - 1, 0])
    if f < 2:
        return None
    g_n = -(-k_n // f)
    if (g_n, f, k_n - (g_n - 1) * f) not in _SO_SHAPES:
        return None
    c = int(idx[mid, 0]) - f * mid
    rows = np.arange(h_out, dtype=np.int64)
    ok = np.all(idx == (f * rows + c)[:, None] + np.arange(k_n), axis=1)
    if not ok[mid]:
        return None
    bad = np.flatnonzero(~ok)  # the maximal run of consecutive rows around the middle
    lo = int(bad[bad < mid].max()) + 1 if (bad < mid).any() else 0
    hi = int(bad[bad > mid].min()) if (bad > mid).any() else h_out
    if hi - lo < _SO_MIN_ROWS:
        return None
    return np.array([f, c, g_n, k_n, lo, hi], dtype=np.int64)


def _plan(idx, w):
    # Tables from classicsr.resize are cached read-only arrays: key on their identity (the plan
    # keeps them alive, so ids cannot be reused while cached).  Writeable tables get a fresh plan.
    if idx.flags.writeable or w.flags.writeable:
        return _TablePlan(idx, w)
    key = (id(idx), id(w))
    plan = _PLANS.get(key)
    if plan is None or plan.idx is not idx or plan.w is not w:
        plan = _TablePlan(idx, w)
        _PLANS[key] = plan
        if len(_PLANS) > _PLANS_MAX:
            _PLANS.popitem(last=False)
    else:
        _PLANS.move_to_end(key)
    return plan


_EMPTY_I = np.zeros((1, 1), dtype=np.intp)
_SCRATCH = threading.local()
_SCRATCH_MAX_BYTES = 64 * 1024 ** 2


def _scratch(name, shape, dtype):
    """A reusable per-Python-thread work array (the intermediate image, conversion buffers):
    fresh ``np.empty`` arrays of several MiB cost a page fault per 4 KiB on every call."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    if size * dtype.itemsize > _SCRATCH_MAX_BYTES:
        return np.empty(shape, dtype=dtype)
    bufs = getattr(_SCRATCH, "bufs", None)
    if bufs is None:
        bufs = _SCRATCH.bufs = {}
    buf = bufs.get((name, dtype))
    if buf is None or buf.size < size:
        buf = bufs[(name, dtype)] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


_MAXVALS = {np.dtype(t): float(np.iinfo(t).max) for t in (np.uint8, np.uint16)}


def _maxval(dtype):
    """The largest value of the unsigned ``dtype``, as a float (``np.iinfo`` costs a few
    microseconds per call: noticeable on small images)."""
    return _MAXVALS.get(dtype) or float(np.iinfo(dtype).max)


def _setup(src_dt, dst_dt, idx, w, maxval_out):
    """Per-pass arithmetic: ``(plan, w64, wacc, acc_dt, mode, consts)`` for a pass from
    ``src_dt`` pixels to ``dst_dt`` pixels (see :func:`_int_plan` for the integer choice),
    kept in the table's plan (building ``consts`` took ~2 us a pass, a tenth of a small
    image's call; nothing writes to it)."""
    plan = _plan(idx, w)
    key = ("setup", np.dtype(src_dt), np.dtype(dst_dt), float(maxval_out), _CHECK_BLOCKS)
    got = plan._cache.get(key)
    if got is None:
        got = plan._cache[key] = _setup_plan(plan, src_dt, dst_dt, maxval_out)
    return got


#: The half of the rounding ``trunc(v + half)`` of float64 sums into integer pixels: the
#: largest double below 0.5 (:func:`classicsr._validate.half_below`, which proves that
#: ``floor(fl(v + _HALF64))`` is MATLAB's round of ``v`` for every double ``0 <= v < 2**52``
#: and that a negative ``v`` stays below 0.5).  ``fl(v + 0.5)`` is not: ``v = 0.5 - 2**-54``
#: gives 1.0, MATLAB 0.  float32 sums keep 0.5: their exact-table and near-tie arguments
#: (:func:`_int_plan`) cover that rounding.
_HALF64 = half_below(np.float64)


def _setup_plan(plan, src_dt, dst_dt, maxval_out):
    """:func:`_setup` itself, uncached."""
    w = plan.w
    w64 = plan.weights(np.float64)
    if dst_dt.kind == "u":
        choice = plan.int_plan(_maxval(src_dt)) if src_dt.kind == "u" else None
        if choice is not None:
            mode, bound = choice
            acc_dt = np.dtype(np.float32)
        else:
            mode, bound = MODE_ROUND, 0.0
            acc_dt = np.dtype(np.float64)
    else:
        mode, bound = MODE_FLOAT, 0.0
        acc_dt = np.dtype(np.float32) if w.dtype == np.float32 else np.dtype(np.float64)
    wacc = plan.weights(acc_dt)
    # consts[4]: the checked blocks (:func:`_check_block`) may be used; consts[5 + i]: their
    # near-tie bound for output i (:func:`_row_bounds`); consts[0]: the half of the rounding
    # ``trunc(v + half)`` (:data:`_HALF64` for float64 sums, MATLAB's own)
    consts = np.array([0.5 if acc_dt == np.float32 else _HALF64, maxval_out, bound, 0.0,
                       1.0 if _CHECK_BLOCKS else 0.0], dtype=acc_dt)
    if mode == MODE_CHECK:
        consts = np.concatenate([consts, plan.row_bounds(_maxval(src_dt), bound)])
    return plan, w64, wacc, acc_dt, mode, consts


def _cols_kind(plan, acc_dt, w_in, nch):
    """``("il", poly)``, ``("planes", poly)`` or ``("gather", None)`` for a columns pass."""
    poly = plan.poly(acc_dt) if _poly_ok(w_in, nch) else None
    if poly is None:
        return "gather", None
    # periodic weights, and an integer factor or (pixel-phase planes) 2-5 phases, which have
    # the shuffle blocks (measured, 512x512x3 one thread: x1.5 float32 3.0 -> 1.5 ms, uint8
    # 10.7 -> 6.7 ms; x2.5 float32 6.8 -> 4.4 ms, uint8 14.8 -> 12.3 ms)
    if _INTERLEAVED_COLS and poly[9] and (poly[2] == 1 or (1 <= poly[1] <= 5 and _IL_PIXEL_PLANES)):
        return "il", poly
    return "planes", poly


_NO_POLY_I = (0, 1, 1, 0, 0, _EMPTY_I, _EMPTY_I)


def _planes_args(poly, acc_dt):
    """``(j0, nphase, qstep, mper, s0, tq, ta, wp, plen, uniform)`` of :func:`cols_pass`."""
    if poly is None:
        return _NO_POLY_I + (np.zeros(1, dtype=acc_dt), 0, False)
    return tuple(poly)


def _fixed_setup(plan, src_dt, dst_dt, maxval_out):
    """``(wi, fc)`` when a pass from ``src_dt`` to ``dst_dt`` pixels can run in fixed point
    (unsigned images, four-tap exact table: :func:`_fixed_plan`), else ``None``."""
    if not _FIXED_POINT or src_dt.kind != "u" or dst_dt.kind != "u" or plan.ntaps != 4:
        return None
    return plan.fixed(int(_maxval(src_dt)), int(maxval_out))


def _pad_taps(idx, w, src_dt, dst_dt, maxval_out):
    """``(idx, w)`` of a pass between unsigned images, widened to four taps (zero weights on
    a repeated index: :meth:`_TablePlan.padded`) when that makes it a four-tap fixed-point
    table (exact two- and three-tap tables: bilinear x2, x4) or a checked table with the
    four-tap register block (bilinear x3, x0.75: 8-bit images with few near ties; tie-heavy
    ones such as x1.5 accumulate in float64, unpadded); else unchanged.

    The padded table gives every output the same value: integer pixels are finite, so each
    zero tap adds an exact ``+0`` to the float32 sum, to the integer sum of the fixed-point
    lanes and to the float64 recomputation of a near tie (MATLAB's ``d`` itself, as
    ``d + 0 == d``); the near-tie bound grows with ``K`` (still a valid bound)."""
    if not (_PAD_TAPS and src_dt.kind == "u" and dst_dt.kind == "u" and 2 <= idx.shape[1] < 4):
        return idx, w
    plan = _plan(idx, w)
    idx4, w4 = plan.padded(4)
    plan4 = _plan(idx4, w4)
    fixed = _fixed_setup(plan4, src_dt, dst_dt, maxval_out)
    if fixed is not None and int(fixed[1][4]) not in (_NUMER, _NUMER16, _TIES, _TIES16):
        return idx4, w4  # (numerators: see _numer_weights; tie plans measured 0.91-1.18x)
    # checked: only where the table itself is checked (its near-tie threshold, that of a
    # short table, decides), and stays so at four taps (a larger bound, more near ties)
    maxval_in = _maxval(src_dt)
    choices = (plan.int_plan(maxval_in), plan4.int_plan(maxval_in))
    if _CHECK_BLOCKS and all(c is not None and c[0] == MODE_CHECK for c in choices):
        return idx4, w4
    return idx, w


def _madd_setup(plan, src_dt, dst_dt, maxval_out):
    """``(wi, wp, fc)`` when a rows pass from ``src_dt`` to ``dst_dt`` pixels can run on
    :func:`_rows_row_madd` (8- and 16-bit images, 8- or 16-tap exact table, AVX2), else
    ``None``."""
    if not (_MADD and _MADD_OK) or src_dt.kind != "u" or dst_dt.kind != "u" \
            or plan.ntaps not in (8, 16):
        return None
    return plan.madd(int(_maxval(src_dt)), int(maxval_out))


def _madd_cols(plan, w_in, nch, madd):
    """``(j0, mper, offs, wpu, wiu, qs)`` of a pmaddwd columns pass (:func:`_cols_row_madd`:
    one output phase, ``Q >= 2`` input pixels per output, periodic weights), or ``None``."""
    if not (_INTERLEAVED_COLS and _IL_PIXEL_PLANES and _poly_ok(w_in, nch)):
        return None
    poly = plan.poly(np.float64)
    if poly is None or poly[1] != 1 or poly[2] < 2 or not poly[9]:
        return None
    j0 = poly[0]
    wi, wp, fc = madd
    offs, _ = plan.interleaved(np.float64, nch)
    return j0, poly[3], offs[0], wp[j0], wi[j0], plan.pixel_planes(np.float64)


def _direct_setup(plan, w_in, nch, src_dt, dst_dt):
    """The arguments of :func:`_direct_row` after the rows for a fixed-point
    columns pass from ``src_dt`` to ``dst_dt`` pixels (both uint8, AVX2), else ``None``."""
    if not (_DIRECT and _MADD_OK) or src_dt != np.uint8 or dst_dt != np.uint8:
        return None
    return plan.direct(nch, w_in, 255, 255)


def _split_rows_setup(plan, src_dt, dst_dt, maxval_out):
    """:meth:`_TablePlan.split_rows` for a rows pass from ``src_dt`` to ``dst_dt`` pixels
    (both uint8, AVX2) of a four-tap table that has no faster plan (exact and margin tables
    keep :func:`_fixed_setup`'s integer lanes; its tie-checked numerators, measured slower,
    do not), else ``None``."""
    if (not (_SPLIT_ROWS and _MADD_OK) or src_dt != np.uint8 or dst_dt != np.uint8
            or maxval_out != 255 or plan.ntaps != 4):
        return None
    fixed = _fixed_setup(plan, src_dt, dst_dt, maxval_out)
    if fixed is not None and int(fixed[1][4]) != _TIES:
        return None
    return plan.split_rows()


def _direct_chk_setup(plan, w_in, nch, src_dt, dst_dt, mode, acc_dt):
    """The arguments of :func:`_direct_row` after the rows for a columns pass from
    ``src_dt`` to ``dst_dt`` pixels (both uint8, AVX2) of a checked table (``mode ==
    MODE_CHECK``: the split-weight blocks where near ties are rare, else float64 blocks) or
    of one accumulated in float64 (``acc_dt``; frequent exact ties of the true sum: float64
    blocks), else ``None``."""
    if (not (_DIRECT_CHECKED and _MADD_OK) or src_dt != np.uint8 or dst_dt != np.uint8
            or not (mode == MODE_CHECK or (mode == MODE_ROUND and acc_dt == np.float64))):
        return None
    chk = plan.direct_checked(nch, w_in) if mode == MODE_CHECK else None
    if chk is None and _DIRECT_F64:
        chk = plan.direct_f64(nch, w_in)
    return chk


def _lane_offsets(plan, nch, acc_dt, mode):
    """The ``offs`` of the lane columns pass (:func:`_cols_group`): the tap blocks' offsets
    for float outputs and integer ones without near-tie checks, else ``None``."""
    if not (_LANE_BLOCKS and _JIT) or mode == MODE_CHECK:
        return None
    return plan.lane_offsets(nch, acc_dt)


def _fixed_cols(plan, w_in, nch, wi, fc):
    """``(j0, nphase, mper, offs, wui, qs)`` of a fixed-point columns pass (periodic weights;
    an integer factor, or ``Q > 1`` input pixels per ``P <= 5`` outputs over pixel-phase
    planes, ``qs`` from :meth:`_TablePlan.pixel_planes`) with the plan's integer weights
    ``wi``, or ``None``.  Periodic means the rows of ``wi`` repeat over the interior: each
    output then gets its own row's integers.  Float64 weights that differ in the last bits
    between periods (bicubic x3) can give periodic integers (a numerator plan's ``N = rint(w
    D)``; a tie-checked plan's float64 weights are looked up per output, not compared)."""
    if not (_INTERLEAVED_COLS and _poly_ok(w_in, nch)):
        return None
    poly = plan.poly(np.float64)
    ties = int(fc[4]) in (_TIES, _TIES16)
    if poly is None or not (poly[2] == 1 or (_FIXED_PLANES and 1 <= poly[1] <= 5)):
        return None
    if ties and (poly[1] > 5 or int(fc[4]) == _TIES):
        # measured slower than the scalar phase interleave (x6: 3x) and, for 8-bit images,
        # than the checked output-order blocks (_direct_chk_setup: 0.55-0.8x)
        return None
    j0, nphase, mper = poly[0], poly[1], poly[3]
    period = wi[j0:j0 + nphase * mper, :5]  # a tie plan's float64 bits: per row (_fir4_fixed_at)
    if not (poly[9] or (period.reshape(mper, nphase, -1) == period[:nphase]).all()):
        return None
    il = plan.fixed_il(nch, wi, fc)
    if il is None:
        return None
    return (poly[0], poly[1], poly[3]) + il + (plan.pixel_planes(np.float64),)


def _run_pass(cur, out, ax, idx, w, nch, maxval_out):
    """One pass ``cur -> out`` (both ``(H, W, C)`` C-contiguous)."""
    src2 = cur.reshape(cur.shape[0], -1)
    dst2 = out.reshape(out.shape[0], -1)
    plan = _plan(idx, w)
    split = _split_rows_setup(plan, cur.dtype, out.dtype, maxval_out) if ax == 0 else None
    if split is not None:
        _run_chunks(_rows_chunk_split, _nchunks(get_num_threads(), dst2.shape[0], dst2.size * 4),
                    (src2, dst2, idx) + split)
        return
    fixed = _fixed_setup(plan, cur.dtype, out.dtype, maxval_out)
    if fixed is not None:
        wi, fc = fixed
        nchunks = _nchunks(get_num_threads(), dst2.shape[0], dst2.size * 4)
        if ax == 0:
            _run_chunks(_rows_chunk_fixed, nchunks, (src2, dst2, idx, wi, fc, _ROW_PAIRS))
            return
        direct = _direct_setup(plan, cur.shape[1], nch, cur.dtype, out.dtype)
        if direct is not None:
            _run_chunks(_cols_chunk_direct, nchunks, (src2, dst2) + direct)
            return
        il = _fixed_cols(plan, cur.shape[1], nch, wi, fc)
        if il is not None:
            _run_chunks(_cols_chunk_fixed, nchunks, (src2, dst2, nch, idx, wi) + il + (fc,))
            return
    madd = _madd_setup(plan, cur.dtype, out.dtype, maxval_out)
    if madd is not None:
        nchunks = _nchunks(get_num_threads(), dst2.shape[0], dst2.size * idx.shape[1])
        if ax == 0:
            _run_chunks(_rows_chunk_madd, nchunks, (src2, dst2, idx) + madd)
            return
        il = _madd_cols(plan, cur.shape[1], nch, madd)
        if il is not None:
            _run_chunks(_cols_chunk_madd, nchunks, (src2, dst2, nch, idx, madd[0], madd[2]) + il)
            return
    plan, w64, wacc, acc_dt, mode, consts = _setup(cur.dtype, out.dtype, idx, w, maxval_out)
    if ax == 0:
        rows_pass(src2, dst2, idx, wacc, w64, mode, consts, maxval_out, get_num_threads(),
                  _so_rows(idx, w, mode, cur.dtype, wacc, out.dtype))
        return
    chk = _direct_chk_setup(plan, cur.shape[1], nch, cur.dtype, out.dtype, mode, acc_dt)
    if chk is not None:
        _run_chunks(_cols_chunk_direct_chk,
                    _nchunks(get_num_threads(), dst2.shape[0], dst2.size * 4), (src2, dst2) + chk)
        return
    kind, poly = _cols_kind(plan, acc_dt, cur.shape[1], nch)
    if kind == "il":
        streamed = _streamed(dst2, mode)
        fd = _fd_setup(plan, nch, dst2, mode, streamed)
        j0, p, m, offs, wu, qs = _il_grid(plan, acc_dt, nch, dst2, streamed,
                                          _extend_width(cur.shape[1], mode, fd))
        cols_pass_il(src2, dst2, nch, idx, wacc, w64, mode, consts, maxval_out, j0, p, m, offs,
                     wu, qs, get_num_threads(), fd)
    elif _LANE_COLS:
        _run_chunks(_cols_chunk_lanes,
                    _nchunks(get_num_threads(), dst2.shape[0], dst2.size * idx.shape[1]),
                    (src2, dst2, nch, idx, wacc, w64, mode, consts, maxval_out,
                     _lane_offsets(plan, nch, acc_dt, mode)))
    else:
        cols_pass(src2, dst2, nch, idx, wacc, w64, mode, consts, maxval_out,
                  *_planes_args(poly, acc_dt), get_num_threads())


def _so_rows(idx, w, mode, src_dt, wacc, dst_dt):
    """The source-ordered rows pass's plan (:func:`_so_plan`) for a rows pass of ``src_dt``
    pixels accumulated in ``wacc.dtype`` into ``dst_dt`` rows, or ``None``: float images only
    (integer sums keep their own paths), all three types the same (a partial sum kept in a
    wider destination row would not be rounded as the row-by-row pass rounds it)."""
    if (not _SOURCE_ORDER or mode != MODE_FLOAT
            or not np.dtype(src_dt) == wacc.dtype == np.dtype(dst_dt)):
        return None
    return _plan(idx, w).source_order()


def fused_passes(data, out, rows, cols, mid_dtype, maxval_mid, maxval_out, cols_first=False):
    """Both passes, ``data (H_in, W_in, C) -> out (H_out, W_out, C)``, one output row at a
    time, so the intermediate image never exists.

    Rows pass first: each rows-pass row (rounded to ``mid_dtype`` values for integer images)
    goes straight into the columns pass's accumulation-type row.  Columns pass first
    (``cols_first``): the columns-pass rows of the source rows that an output row needs are
    kept in a per-thread ring of ``K + 2`` intermediate rows (``K`` rows-pass taps), each
    computed once per thread as the output rows advance.  Every value is computed by the same
    arithmetic as the two separate passes (same bits); what is saved is writing and re-reading
    the intermediate image (and its memory)."""
    nch = data.shape[2]
    (ridx, rw), (cidx, cw) = rows, cols
    mid_dt = np.dtype(mid_dtype)
    src2 = data.reshape(data.shape[0], -1)
    dst2 = out.reshape(out.shape[0], -1)
    h_out = dst2.shape[0]
    rfixed = rsplit = None
    if not cols_first:
        cplan, rplan = _plan(cidx, cw), _plan(ridx, rw)
        rsplit = _split_rows_setup(rplan, data.dtype, mid_dt, maxval_mid)
        rfixed = _fixed_setup(rplan, data.dtype, mid_dt, maxval_mid)
        cfixed = (_fixed_setup(cplan, mid_dt, out.dtype, maxval_out)
                  if rfixed or rsplit else None)
        direct = (_direct_setup(cplan, data.shape[1], nch, mid_dt, out.dtype) if cfixed
                  else None)
        if direct is not None:
            nchunks = _nchunks(get_num_threads(), h_out,
                               h_out * 4 * (src2.shape[1] + dst2.shape[1]))
            if rsplit is not None:  # direct: (ctrl, wts, base, sched, half, q, nch, idx, wi, fc)
                _run_chunks(_fused_chunk_split, nchunks,
                            (src2, dst2, ridx) + rsplit + direct[:6] + (None,) + direct[6:])
                return
            _run_chunks(_fused_chunk_direct, nchunks,
                        (src2, dst2, ridx) + rfixed + direct + (_ROW_PAIRS,))
            return
        il = _fixed_cols(cplan, data.shape[1], nch, *cfixed) if cfixed and rfixed else None
        if il is not None:
            nchunks = _nchunks(get_num_threads(), h_out,
                               h_out * 4 * (src2.shape[1] + dst2.shape[1]))
            _run_chunks(_fused_chunk_fixed, nchunks,
                        (src2, dst2, np.empty(0, dtype=mid_dt), ridx) + rfixed
                        + (nch, cidx, cfixed[0]) + il + (cfixed[1], _ROW_PAIRS))
            return
    rmadd = None if cols_first else _madd_setup(_plan(ridx, rw), data.dtype, mid_dt, maxval_mid)
    if rmadd is not None:
        cmadd = _madd_setup(_plan(cidx, cw), mid_dt, out.dtype, maxval_out)
        il = _madd_cols(_plan(cidx, cw), data.shape[1], nch, cmadd) if cmadd else None
        if il is not None:
            work = h_out * (src2.shape[1] * ridx.shape[1] + dst2.shape[1] * cidx.shape[1])
            _run_chunks(_fused_chunk_madd, _nchunks(get_num_threads(), h_out, work),
                        (src2, dst2, ridx) + rmadd + (nch, cidx, cmadd[0], cmadd[2]) + il)
            return
    if cols_first:
        plan, w64, wacc, acc_dt, mode, consts = _setup(data.dtype, mid_dt, cidx, cw, maxval_mid)
        _, rw64, rwacc, _, rmode, rconsts = _setup(mid_dt, out.dtype, ridx, rw, maxval_out)
        rmaxval, cmaxval = maxval_out, maxval_mid
    else:
        _, rw64, rwacc, _, rmode, rconsts = _setup(data.dtype, mid_dt, ridx, rw, maxval_mid)
        plan, w64, wacc, acc_dt, mode, consts = _setup(mid_dt, out.dtype, cidx, cw, maxval_out)
        rmaxval, cmaxval = maxval_mid, maxval_out
    rfour = ridx.shape[1] == 4 and rmode != MODE_CHECK and _FUSED_ROWS
    so = None if cols_first else _so_rows(ridx, rw, rmode, data.dtype, rwacc, wacc.dtype)
    rfma = _use_fma(rwacc, rmode)
    fma = _use_fma(wacc, mode)
    if cols_first:
        # each thread computes the columns pass of about H_in / nchunks source rows
        work = h_out * dst2.shape[1] * ridx.shape[1] + data.shape[0] * dst2.shape[1] * cidx.shape[1]
    else:
        work = h_out * (src2.shape[1] * ridx.shape[1] + dst2.shape[1] * cidx.shape[1])
    nchunks = _nchunks(get_num_threads(), h_out, work)
    # rw64=None: the four-tap rows specialisation (see _rows_row)
    head = (src2, dst2, ridx, rwacc, None if rfour else rw64, rmode, rconsts, rmaxval, rfma,
            nch, cidx, wacc, w64, mode, consts, cmaxval)
    chk = None
    if not cols_first and rmadd is None:
        chk = _direct_chk_setup(plan, data.shape[1], nch, mid_dt, out.dtype, mode, acc_dt)
    if chk is not None:
        if rsplit is not None:
            _run_chunks(_fused_chunk_split, nchunks, (src2, dst2, ridx) + rsplit + chk + (None,))
        elif rfixed is not None:
            _run_chunks(_fused_chunk_fixed_chk, nchunks, (src2, dst2, ridx) + rfixed + chk)
        else:
            _run_chunks(_fused_chunk_direct_chk, nchunks, head[:9] + chk)
        return
    kind, poly = _cols_kind(plan, acc_dt, data.shape[1], nch)
    ring = ()
    if cols_first:
        ring = (np.empty((nchunks, ridx.shape[1] + 2, dst2.shape[1]), dtype=mid_dt),)
    if kind == "il":
        streamed = not cols_first and _streamed(dst2, mode)
        # columns pass first: its rows go to the ring (plain stores)
        fd = _fd_setup(plan, nch, ring[0].reshape(-1, dst2.shape[1]) if cols_first else dst2,
                       mode, streamed)
        j0, p, m, offs, wu, qs = _il_grid(plan, acc_dt, nch, dst2, streamed,
                                          _extend_width(data.shape[1], mode, fd))
        tail = (j0, p, m, offs, wu, qs, fma, _il_accs(cidx, wacc, mode, nchunks, m * nch)) + fd
        if rmadd is not None:
            _run_chunks(_fused_chunk_il_madd, nchunks,
                        (src2, dst2, ridx) + rmadd + head[9:] + tail)
            return
        args = head + tail
        if cols_first:
            rstream = _streamed_rows(dst2, rmode, ridx)
            _run_chunks(_fused_cols_first_il, nchunks, args + ring + (rstream,))
        else:
            _run_chunks(_fused_chunk_il, nchunks, args + (_ROW_PAIRS, so))
    elif _LANE_COLS and not cols_first:
        _run_chunks(_fused_chunk_lanes, nchunks,
                    head + (_lane_offsets(plan, nch, acc_dt, mode), _ROW_PAIRS, so))
    else:
        args = head + _planes_args(poly, acc_dt) + (fma,)
        _run_chunks(_fused_cols_first if cols_first else _fused_chunk, nchunks,
                    args + (ring if cols_first else (so,)))


def _extend_width(w_in, mode, fd):
    """``w_in`` where :func:`_il_grid` may extend the grid over the borders (float blocks
    without output-order descriptors, whose own border handling reads the unpadded row),
    else ``None``."""
    return w_in if mode == MODE_FLOAT and fd[0][_FD_KIND] == 0 else None


def _il_grid(plan, acc_dt, nch, dst, streamed, w_in=None):
    """``(j0, P, M, offs, wu, qs)`` of :func:`_cols_row_il` for a columns pass into ``dst``.

    ``w_in`` (the source row's pixels; ``None`` for float blocks that have to keep the
    plain grid: integer modes, output-order blocks): the grid extended over the borders of
    the row, which is then padded (:func:`_extend_grid`), where the table allows it.

    Streamed fir-interleave blocks need a 32-byte aligned start in every output row
    (:func:`_fir_interleave_row`).  Outputs from :func:`classicsr._memory.new_output` are
    placed so that the table's first interior output ``j0`` starts there (:func:`_align_for`);
    an ``out=`` array from ``np.empty`` (16-byte aligned) usually is not, and its rows were
    written by plain stores (512x512x3 float32 x4, one thread: 5.9 ms into ``out``, 4.3 ms
    into a new array).  When the rows all share one misalignment, the grid starts ``d``
    outputs later instead: the phases rotated by ``d mod P`` (the taps of phases that wrap
    into the next period one input pixel, ``nch`` elements, further on, and all taps
    ``d // P`` pixels further), ``ceil(d / P)`` periods fewer, and the outputs skipped gathered
    as the border is.  The same outputs, the same arithmetic: every path gives a pixel the
    same bits."""
    j0, p, _, m = plan.poly(acc_dt)[:4]
    offs, wu = plan.interleaved(acc_dt, nch)
    qs = plan.pixel_planes(acc_dt, streamed)
    ext = plan.extended(acc_dt, nch, w_in) if _IL_EXTEND and w_in is not None else None
    if ext is not None:
        key = ("ext_qs", np.dtype(acc_dt), nch, w_in, bool(streamed))
        if key not in plan._cache:
            plan._cache[key] = np.concatenate([qs[:5], ext[3]])
        j0, m, offs, qs = ext[0], ext[1], ext[2], plan._cache[key]
    if not streamed or not _STREAM_REGRID or dst.ndim != 2:
        return j0, p, m, offs, wu, qs
    item = dst.itemsize
    if dst.shape[0] > 1 and dst.strides[0] % 32:  # rows misaligned each their own way
        return j0, p, m, offs, wu, qs
    start = (dst.ctypes.data + j0 * nch * item) % 64
    if start == 0:
        return j0, p, m, offs, wu, qs
    # a 64-byte line start where rows allow it (whole blocks on whole cache lines), else 32
    lines = (64, 32) if dst.strides[0] % 64 == 0 else (32,)
    for line in lines:
        d = next((d for d in range(1, 64) if (start + d * nch * item) % line == 0), 0)
        if d:
            break
    if not d:
        return j0, p, m, offs, wu, qs
    key = ("il_grid", np.dtype(acc_dt), nch, d, bool(qs[4]), int(qs[5]) if ext else -1, w_in)
    got = plan._cache.get(key)
    if got is None:
        lost = -(-d // p)
        src = (d + np.arange(p)) % p
        carry = (d + np.arange(p)) // p  # whole periods (input pixels) further on
        offs2 = np.ascontiguousarray(offs[src] + carry[:, None] * nch, dtype=np.intp)
        wu2 = np.ascontiguousarray(wu[src])
        qs2 = qs.copy()
        qs2[4] = int(bool(qs[4]) and bool((offs2 == offs2[:1]).all()))
        got = plan._cache[key] = (lost, offs2, wu2, qs2)
    lost, offs2, wu2, qs2 = got
    # gray rows that would lose their shared-taps blocks gain nothing from streaming (1024x1024
    # float32 x4: 7.1 ms either way); 3-channel and float64 rows gain (see docs/benchmarks.md)
    if m - lost < 1 or (nch == 1 and qs[4] and not qs2[4]):
        return j0, p, m, offs, wu, qs
    return j0 + d, p, m - lost, offs2, wu2, qs2


# tests switch these off to compare with the general paths
_STREAM_REGRID = True  # streamed blocks of misaligned out= rows start on a cache line (_il_grid)
_INTERLEAVED_COLS = True  # integer-factor columns pass on the interleaved row (cols_pass_il)
_FUSED_ROWS = True  # four-tap rows pass in one sweep per output row (_rows_chunk4)
_ROW_PAIRS = True  # two rows-pass rows with the same source rows in one sweep (_rows_pair)
_IL_EXTEND = True  # float interleaved grids over the row's borders, on a padded row (_extend_grid)
_SOURCE_ORDER = True  # float integer-factor downscales: rows pass in source order (_so_row)
_FMA = True  # contracted twins for float32 accumulation (_contracted)
_FUSED_PASSES = True  # both passes without an intermediate image (fused_passes)
_STREAM = True  # streaming stores for large float outputs (_streamed)
_SHARED_TAPS = True  # shared-taps fir-interleave blocks where all phases read the same taps
_FIXED_POINT = True  # four-tap exact tables on unsigned images in integer lanes (_fir4_fixed)
_MARGIN = True  # odd-denominator tables (x3) in integer lanes too (_margin_weights)
_NUMER_PLANS = True  # ... and for 16-bit pixels as exact numerators (_numer_weights)
_TIE_PLANS = True  # even-denominator tables (x1.5, x2.5, x5) as numerators, ties checked
_FIXED_PLANES = True  # fixed-point columns passes of fractional scales over pixel-phase planes
_IL_PIXEL_PLANES = True  # fractional upscales (Q > 1, P >= 2) on the interleaved-row path
_FLOAT_DIRECT = True  # float32 periodic columns passes in output order (_fd_row)
_CHECK_BLOCKS = True  # checked tables (uint8, MODE_CHECK) in one register sweep (_check_block)
_DIRECT_CHECKED = True  # checked four-tap columns tables of 8-bit images in output order
_DIRECT_F64 = True  # the same in float64 blocks: tie-heavy and float64-summed 8-bit tables
_SPLIT_ROWS = True  # checked four-tap rows tables of 8-bit images on split weights (_madd4s)
_SELECT = True  # passes that only select pixels (nearest, box upscales) as one gather
_SELECT_PX = True  # ... a pixel at a time, one unaligned move each (_select_px_chunk)
_PAD_TAPS = True  # two- and three-tap integer tables widened to four taps (_pad_taps)
_LANE_COLS = True  # columns passes without the interleaved path: eight rows in lanes (_cols_group)
_LANE_BLOCKS = True  # their unchecked tables in the tap blocks (_lane_tap_block)
#: Largest offsets table of the tap blocks (:meth:`_TablePlan.lane_offsets`); larger tables
#: (rows of millions of pixels) keep the per-element :func:`_lane_fir`.
_LANE_OFFSETS_MAX_BYTES = 64 * 1024 ** 2
#: Columns-pass-first fusion pays for its row ring only for a float intermediate (float
#: images, or integers with ``round_each_pass=False``) that would not stay in cache.  Measured
#: (one thread, in-process A/B): float32 -11..-18% for 3000x3000x3 at (0.5, 0.25) and
#: (1.5, 1.2), -13..-16% for 512x512x3 at (3, 2); uint8 intermediates +-5% (+4% for the
#: 1.5 MiB one of 512x512x3 at (3, 2), +5% at (1.5, 1.2), -4% at (0.5, 0.25)): not fused.
_COLS_FIRST_MIN_MID = 2 * 1024 ** 2
_COLS_FIRST_MIN_ITEMSIZE = 4


#: Outputs of this size or more get streaming stores on the interleaved columns path (float
#: images, :func:`_fir_interleave_row`): they do not fit in this machine kind's 32 MiB L3, so a
#: plain store would first read each line from memory.  Measured in one process (docs/
#: benchmarks.md, "tenth session"): 1.12-1.8x faster one thread for 48-108 MiB results; below
#: 32 MiB 4-13% slower (those results come back from the cache).
_STREAM_MIN_BYTES = 32 * 1024 ** 2
#: The same for the rows-pass rows of a columns-first fused pass (:func:`_streamed_rows`).
#: Measured (one thread, float32 RGB x(2, 1.5), docs/benchmarks.md "fifteenth session"):
#: 384x384 (a 5 MiB result) 0.75 -> 0.99 ms streamed, 448x448 (6 MiB) 1.11 -> 0.96 ms,
#: 512x512 (9 MiB) 2.05 -> 1.35 ms.
_STREAM_ROWS_MIN_BYTES = 8 * 1024 ** 2


def _streamed(dst, mode):
    """Whether a float columns pass into ``dst`` streams its fir-interleave blocks."""
    return _STREAM and _JIT and mode == MODE_FLOAT and dst.nbytes >= _STREAM_MIN_BYTES


def _streamed_rows(dst, mode, ridx):
    """Whether a fused columns-first pass into ``dst`` streams its rows-pass output rows
    (float output, a two- or four-tap rows table: :func:`_stream_row`)."""
    return (_STREAM and _JIT and mode == MODE_FLOAT and ridx.shape[1] in (2, 4)
            and dst.nbytes >= _STREAM_ROWS_MIN_BYTES)


def _stream_align(idx, w, dst_dt, w_in, nch):
    """The byte offset in an output row where a columns pass with table ``(idx, w)`` writes
    its first fir-interleave block (0 where it has none): an output placed so that this
    offset is 64-byte aligned streams every block but the last of each row."""
    if not _STREAM or dst_dt.kind != "f":
        return 0
    acc_dt = np.dtype(np.float32) if w.dtype == np.float32 else np.dtype(np.float64)  # _setup's
    plan = _plan(idx, w)
    kind, poly = _cols_kind(plan, acc_dt, w_in, nch)
    if kind != "il":
        return 0
    ext = plan.extended(acc_dt, nch, w_in) if _IL_EXTEND else None
    return int(poly[0] if ext is None else ext[0]) * nch * dst_dt.itemsize


def _poly_ok(w_in, nch):
    """Whether a columns pass over rows of ``w_in`` pixels of ``nch`` channels may take the
    polyphase paths (interleaved row, channel planes).  Five or more channels take the lane
    columns pass instead, which has no per-channel-count blocks: measured (256x256xC, one
    thread, C = 5, 6, 8, every dtype, x2 / x4 / x1.5 / x0.5) as fast or 1.1-3.2x faster than
    the interleaved row, whose phase interleave and pixel deinterleave have shuffle blocks for
    1-4 channels only."""
    return w_in >= 8 and nch <= 4


def _move_intrinsic(nbytes, streamed=False):
    """An ``@intrinsic`` ``move(dst, d, src, s)``: the ``nbytes`` bytes from element ``s`` of
    the 1-D C-contiguous array ``src`` copied to element ``d`` of ``dst``, as one unaligned
    load and store (an integer or byte-vector register: ``mov``, ``vmovdqu``) of up to 32
    bytes, or, ``streamed``, as 32-byte vectors written with streaming (non-temporal) stores
    to a 32-byte aligned ``d`` (the caller fences, :func:`_store_fence`).  The caller keeps
    both byte ranges inside their buffers (:func:`_select_px_chunk`)."""
    from numba.core import errors, types
    from numba.extending import intrinsic

    size = min(nbytes, 32)
    vt = ir.IntType(8 * size) if size <= 8 else ir.VectorType(ir.IntType(8), size)
    byte = ir.IntType(8).as_pointer()

    @intrinsic
    def move(typingctx, dst, d, src, s):
        if not (isinstance(dst, types.Array) and isinstance(src, types.Array)
                and dst.ndim == src.ndim == 1 and dst.layout == src.layout == "C"):
            raise errors.TypingError("_move: 1-D C-contiguous arrays only")

        def codegen(context, builder, signature, args):
            dty, _, sty, _ = signature.args
            darr = context.make_array(dty)(context, builder, args[0])
            sarr = context.make_array(sty)(context, builder, args[2])
            dptr = builder.bitcast(builder.gep(darr.data, [args[1]]), byte)
            sptr = builder.bitcast(builder.gep(sarr.data, [args[3]]), byte)
            nontemporal = builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)])
            for at in range(0, nbytes, size):
                at = ir.Constant(ir.IntType(64), at)
                v = builder.load(builder.bitcast(builder.gep(sptr, [at]), vt.as_pointer()),
                                 align=1)
                st = builder.store(v, builder.bitcast(builder.gep(dptr, [at]),
                                                      vt.as_pointer()),
                                   align=32 if streamed else 1)
                if streamed:
                    st.set_metadata("nontemporal", nontemporal)
            return context.get_dummy_value()

        return types.void(dst, types.intp, src, types.intp), codegen

    return move


_move2 = _move_intrinsic(2)
_move4 = _move_intrinsic(4)
_move8 = _move_intrinsic(8)
_move16 = _move_intrinsic(16)
_move32 = _move_intrinsic(32)
#: ``_stream_copy(o, t, x, s)``: the 64-byte line of ``o`` from element ``t`` (64-byte aligned)
#: set to the 64 bytes of ``x`` from element ``s`` by streaming stores.
_stream_copy = _move_intrinsic(64, streamed=True)


@jit
def _move_pixels(o, r, pidx, nch, width, nmove):
    """Pixel ``j`` of the row ``o`` (``nch`` elements a pixel) set to pixel ``pidx[j]`` of
    the row ``r``: the first ``nmove`` as one move of ``width`` bytes each, left to right
    (:func:`_select_px_chunk`), the rest (all of them for another ``width``) element by
    element."""
    _align_stack()
    if width == 2:
        for j in range(nmove):
            _move2(o, j * nch, r, pidx[j] * nch)
    elif width == 4:
        for j in range(nmove):
            _move4(o, j * nch, r, pidx[j] * nch)
    elif width == 8:
        for j in range(nmove):
            _move8(o, j * nch, r, pidx[j] * nch)
    elif width == 16:
        for j in range(nmove):
            _move16(o, j * nch, r, pidx[j] * nch)
    elif width == 32:
        for j in range(nmove):
            _move32(o, j * nch, r, pidx[j] * nch)
    else:  # (no move of that width: every pixel element by element)
        nmove = 0
    for j in range(nmove, pidx.shape[0]):
        s = pidx[j] * nch
        for c in range(nch):
            o[j * nch + c] = r[s + c]


@jit
def _select_px_chunk(src, dst, ri, pidx, nch, width, streamed, ch, nchunks):
    """Output rows ``[ch * H_out // nchunks, (ch + 1) * H_out // nchunks)`` of a resize whose
    passes only select pixels, a pixel at a time: pixel ``j`` of output row ``i`` is pixel
    ``pidx[j]`` of source row ``ri[i]`` (rows flattened to ``W nch`` elements), copied as one
    move of ``width`` bytes (2, 4, 8, 16 or 32; from the pixel's size ``b`` up to ``2 b - 1``).

    A move wider than the pixel also copies the first bytes of the next pixel: the moves run
    left to right, so the next pixel's own move overwrites them, and the row's last pixel is
    copied element by element (its move would write into the next row, another chunk's).
    Rows of the source's last row are copied element by element too (a move from its last
    pixel would read past the end of the image); a row whose source row is the one before's
    is copied from the row already written.  Same values as :func:`_select_chunk`, which
    gathers element by element (measured 2.0-2.8x slower for uint8 colour, 1.1-1.5x for
    float32 and float64 colour).

    ``streamed`` (large outputs): each distinct source row is gathered into a scratch row (its
    spare line takes the last pixel's wider move), and every output row is copied from it with
    streaming stores over its whole 64-byte lines (:func:`_stream_copy`); the chunk fences
    after its last row.  Arrays borrowed (:func:`_borrowed`)."""
    _align_stack()
    src, dst, ri, pidx = _borrowed(src), _borrowed(dst), _borrowed(ri), _borrowed(pidx)
    h, n = dst.shape
    npx = pidx.shape[0]
    over = width > nch * dst.itemsize
    last = src.shape[0] - 1
    lo = ch * h // nchunks
    step = 64 // dst.itemsize
    buf_own = np.empty(n + step if streamed else 0, dst.dtype)
    buf = _borrowed(buf_own)
    cur = -1
    for i in range(lo, (ch + 1) * h // nchunks):
        o = dst[i]
        r = ri[i]
        if not streamed:
            if i > lo and r == ri[i - 1]:
                prev = dst[i - 1]
                for e in range(n):
                    o[e] = prev[e]
            else:
                nmove = (0 if r == last else npx - 1) if over else npx
                _move_pixels(o, src[r], pidx, nch, width, nmove)
            continue
        if r != cur:
            cur = r
            _move_pixels(buf, src[r], pidx, nch, width, 0 if over and r == last else npx)
        head = min(n, ((-o.ctypes.data) % 64) // dst.itemsize)
        body = head + (n - head) // step * step
        for e in range(head):
            o[e] = buf[e]
        for t in range(head, body, step):
            _stream_copy(o, t, buf, t)
        for e in range(body, n):
            o[e] = buf[e]
    if streamed:
        _store_fence()
    _keep((buf_own,))


def _move_width(nbytes):
    """The move width of :func:`_select_px_chunk` for pixels of ``nbytes`` bytes (the next
    power of two from 2 to 32), or 0 when it has none (1-byte and over-32-byte pixels: those
    take :func:`_select_chunk`)."""
    width = 2
    while width < nbytes:
        width *= 2
    return width if 2 <= nbytes <= 32 else 0


@jit
def _select_chunk(src, dst, ri, eidx, ch, nchunks):
    """Output rows ``[ch * H_out // nchunks, (ch + 1) * H_out // nchunks)`` of a resize whose
    passes only select pixels: ``dst[i, e] = src[ri[i], eidx[e]]`` (rows flattened, ``eidx``
    the source element of each output element).  A row whose source row is the one before's
    is copied from the row already written."""
    _align_stack()
    h = dst.shape[0]
    n = dst.shape[1]
    lo = ch * h // nchunks
    for i in range(lo, (ch + 1) * h // nchunks):
        o = dst[i]
        if i > lo and ri[i] == ri[i - 1]:
            prev = dst[i - 1]
            for e in range(n):
                o[e] = prev[e]
        else:
            r = src[ri[i]]
            for e in range(n):
                o[e] = r[eidx[e]]


def _select_passes(data, passes, out_shape, out):
    """Run passes that only select pixels (:meth:`_TablePlan.selection` of every table) as
    one gather, or return ``None`` when a pass computes.  Copying the selected pixel is what
    every weighted path computes (``0 + 1 x`` is ``x``, except that ``-0.0`` stays ``-0.0``)
    and what MATLAB's nearest-neighbour ``imresize`` does (it indexes)."""
    if not _SELECT or not passes:
        return None
    sel = [None, None]
    for ax, idx, w in passes:
        sel[ax] = _plan(idx, w).selection()
        if sel[ax] is None:
            return None
    sel = [np.arange(data.shape[ax], dtype=np.intp) if s is None else s
           for ax, s in enumerate(sel)]
    nch = data.shape[2]
    if out is None:
        out = new_output((out_shape[0], out_shape[1], nch), data.dtype)
    dst2 = out.reshape(out.shape[0], -1)
    # (one channel: a pixel is an element, which _select_chunk moves already; measured 0.92x
    # for float32 1024x1024 x4 a pixel at a time, 0.97x streamed through a pooled output)
    width = _move_width(nch * data.dtype.itemsize) if _SELECT_PX and _JIT and nch > 1 else 0
    if width:
        streamed = _STREAM and out.nbytes >= _STREAM_MIN_BYTES
        # a pixel's move costs about 8 + 2 b multiply-adds' worth (b bytes; one thread: 0.5 ns
        # for uint8 colour, 1.3 ns for float32 colour): a 2048x2048x3 uint8 x1/4 (0.25 ms)
        # stays on one thread, where two took 0.27-0.47 ms on this host
        work = out_shape[0] * out_shape[1] * (8 + 2 * nch * data.dtype.itemsize)
        _run_chunks(_select_px_chunk, _nchunks(get_num_threads(), dst2.shape[0], work),
                    (data.reshape(data.shape[0], -1), dst2, sel[0], sel[1], nch, width,
                     streamed))
        return out
    # (unsigned: Numba then indexes without the wraparound test of a negative index, measured
    # 1.2-1.4x faster gathers of uint8, uint16 and float32 elements)
    eidx = (sel[1][:, None] * nch + np.arange(nch, dtype=np.intp)).ravel().view(np.uintp)
    # a gathered element costs about eight vector multiply-adds' worth: gathers of 500k
    # elements or more (1024x1024 gray x0.7) use two threads
    _run_chunks(_select_chunk, _nchunks(get_num_threads(), dst2.shape[0], dst2.size * 8),
                (data.reshape(data.shape[0], -1), dst2, sel[0], eidx))
    return out


def _align_for(shape, dtype, table, w_in):
    """``align_at`` of :func:`new_output` for an output of ``shape`` whose columns pass uses
    ``table = (idx, w)`` on rows of ``w_in`` pixels (0 below the streaming size)."""
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < _STREAM_MIN_BYTES:  # (np.prod costs ~8 us a call)
        return 0
    return _stream_align(table[0], table[1], dtype, w_in, shape[2])


# ---------------------------------------------------------------------------------------------
# recorded kernel calls of small resizes
#
# Planning a resize (plan lookups, the choice of path, per-pass constants) is ~100 Python steps:
# 40-60 us a call on these hosts, more than the kernels take for images below ~128x128.  The
# choice depends only on the tables, shapes, dtypes, thread count and this module's switches,
# never on pixel values, so a small resize records the kernel calls of its first call and the
# next call with the same key replays them with its own input and output (the same kernels,
# the same arguments: the same bits).  Recipes are per Python thread (a recorded work buffer,
# such as the per-thread intermediate image, is then never used by two threads at once) and
# limited to images and outputs below the streaming sizes (a streamed output's plan depends on
# its address).  Setting any attribute of this module from outside (tests switching paths or
# thresholds) drops every recipe (:class:`_SwitchedModule`).

_RECIPES_ON = True  # switch: record and replay the kernel calls of small resizes
_RECIPES_MAX = 64  # recipes kept per thread (least recently used dropped)
#: Largest input or output (bytes) whose calls are recorded.
_RECIPE_MAX_BYTES = 4 * 1024 ** 2
#: Most bytes of work buffers one recipe may keep alive (so a thread's recipes hold at most
#: 64 MiB); a call that needs more is planned every time.
_RECIPE_KEPT_MAX = 1024 ** 2
_RECIPE_GEN = 0  # bumped by every outside assignment to a module attribute (drops the recipes)


class _RecipeState(threading.local):
    """Per-thread recipes (``cache``, made under :data:`_RECIPE_GEN` ``gen``), the recipes of
    keyed calls (``calls``: ``call -> (thread count, recipe)``, see :func:`run_passes`) and
    the log of the call being recorded (``log``)."""

    cache = None
    calls = None
    gen = -1
    log = None


_RECIPES = _RecipeState()


def _recipe_key(data, passes, out_shape, out_dtype, mid_dtype, maxval, out):
    """The key of :func:`run_passes`'s recipe for these arguments, or ``None`` when the call
    is not recorded (too large, no passes, recipes off, :func:`_run_chunks` replaced, or a
    writeable table, which its owner may change: as :func:`_plan`, such tables are analysed
    on every call)."""
    if not _RECIPES_ON or not passes or _run_chunks is not _RUN_CHUNKS:
        return None
    for _, idx, w in passes:
        if idx.flags.writeable or w.flags.writeable:
            return None
    limit = min(_RECIPE_MAX_BYTES, _STREAM_MIN_BYTES, _STREAM_ROWS_MIN_BYTES)
    out_bytes = out_shape[0] * out_shape[1] * data.shape[2] * np.dtype(out_dtype).itemsize
    if data.nbytes >= limit or out_bytes >= limit:
        return None
    tables = tuple((ax, id(idx), id(w)) for ax, idx, w in passes)
    return (get_num_threads(), tables, data.shape, data.dtype, out_shape, out_dtype, mid_dtype,
            maxval, out is None)


def _same_view(a, b):
    """Whether the arrays ``a`` and ``b`` are views of the same memory with the same layout."""
    return (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
            and a.ctypes.data == b.ctypes.data)


class _Recipe:
    """The kernel calls of one :func:`run_passes` call, to replay on another input and output.

    ``calls`` holds ``(kernel, nchunks, args, subs)``: the arguments of each
    :func:`_run_chunks` call, with those that were views of the input or the output replaced
    by ``None`` and listed in ``subs`` as ``(position, view)``, ``view`` indexing
    ``(input rows, input, output rows, output)`` (rows: the ``(H, W C)`` reshape).  Every
    other argument is kept: tables and plans (read-only), and work buffers the call allocated
    (accumulator rows, the row ring, the per-thread intermediate image), which the kernels
    overwrite before reading, as they do a fresh ``np.empty``."""

    __slots__ = ("tables", "calls", "shape", "dtype")

    def holds(self, passes):
        """Whether the recipe was recorded with these very tables (the key holds their ids)."""
        if len(passes) != len(self.tables):
            return False
        for (_, idx, w), (idx0, w0) in zip(passes, self.tables):
            if idx is not idx0 or w is not w0:
                return False
        return True

    @classmethod
    def record(cls, log, data, passes, result, out):
        """The recipe of a call that logged ``log`` and returned ``result``, or ``None`` when
        it cannot be replayed (no kernel call, an argument that is some other view of the
        input or output, arrays inside tuples, more than :data:`_RECIPE_KEPT_MAX` bytes of
        writeable arrays: work buffers, and tables this counts too)."""
        if (not log or result is data or (out is not None and result is not out)
                or not isinstance(result, np.ndarray) or result.ndim != 3
                or not result.flags.c_contiguous):
            return None
        views = (data.reshape(data.shape[0], -1), data,
                 result.reshape(result.shape[0], -1), result)
        kept = 0
        calls = []
        for kernel, nchunks, args in log:
            args = list(args)
            subs = []
            for i, a in enumerate(args):
                if isinstance(a, (tuple, list)):
                    if any(isinstance(e, np.ndarray) for e in a):
                        return None
                elif isinstance(a, np.ndarray):
                    if np.may_share_memory(a, data) or np.may_share_memory(a, result):
                        code = next((c for c, v in enumerate(views) if _same_view(a, v)), None)
                        if code is None:
                            return None
                        subs.append((i, code))
                        args[i] = None
                    elif a.flags.writeable:
                        kept += a.nbytes
            calls.append((kernel, nchunks, tuple(args), tuple(subs)))
        if kept > _RECIPE_KEPT_MAX:
            return None
        recipe = cls()
        recipe.tables = tuple((idx, w) for _, idx, w in passes)
        recipe.calls = tuple(calls)
        recipe.shape = result.shape
        recipe.dtype = result.dtype
        return recipe

    def replay(self, data, out):
        """Run the recorded calls on ``data`` into ``out`` (a new array when ``None``); return
        the output."""
        if out is None:
            out = new_output(self.shape, self.dtype)
        views = (data.reshape(data.shape[0], -1), data, out.reshape(out.shape[0], -1), out)
        for kernel, nchunks, args, subs in self.calls:
            if subs:
                args = list(args)
                for i, code in subs:
                    args[i] = views[code]
            _run_chunks(kernel, nchunks, args)
        return out


class _SwitchedModule(types.ModuleType):
    """The class of this module: an attribute set from outside (``monkeypatch.setattr`` of a
    switch, a threshold or a function) invalidates every thread's recipes."""

    def __setattr__(self, name, value):
        global _RECIPE_GEN
        super().__setattr__(name, value)
        _RECIPE_GEN += 1


sys.modules[__name__].__class__ = _SwitchedModule


def run_passes(data, passes, out_shape, out_dtype, mid_dtype, maxval, out=None, call=None):
    """Run the 1-D passes in order on ``data`` (H, W, C) contiguous.

    ``passes`` is a list of ``(axis, idx, wts)``; the last pass writes ``out_dtype``, earlier
    ones ``mid_dtype``.  ``maxval`` is the saturation value for unsigned destinations.
    ``out``: the destination, ``(H_out, W_out, C)`` C-contiguous, native, aligned, writeable
    ``out_dtype`` sharing no memory with ``data`` (checked by the caller), or ``None`` for a
    new array.  Returns the destination, or ``data`` itself when ``passes`` is empty (``out``
    is then left alone).

    Small resizes replay the kernel calls recorded on their first call (:class:`_Recipe`).
    ``call``: a hashable key of the caller's that fixes every other argument (the tables, as
    read-only arrays, the shapes and dtypes; :func:`classicsr.resize` passes its own call
    key), or ``None``.  A keyed call with ``out=None`` that had a recipe finds it again by
    that key and the thread count alone (:func:`_recipe_key` and the recipe lookup cost
    5-10 us, a fifth of a small image's call).
    """
    if call is not None and out is None and _RECIPES.gen == _RECIPE_GEN:
        calls = _RECIPES.calls
        hit = calls.get(call) if calls is not None else None
        if hit is not None and hit[0] == get_num_threads():
            return hit[1].replay(data, None)
    key = _recipe_key(data, passes, out_shape, out_dtype, mid_dtype, maxval, out)
    if key is None:
        return _run_passes(data, passes, out_shape, out_dtype, mid_dtype, maxval, out)
    recipes = _RECIPES.cache
    if recipes is None or _RECIPES.gen != _RECIPE_GEN:  # none yet, or a module attribute set
        recipes = _RECIPES.cache = OrderedDict()
        _RECIPES.calls = {}
        _RECIPES.gen = _RECIPE_GEN
    recipe = recipes.get(key)
    if recipe is not None and recipe.holds(passes):
        recipes.move_to_end(key)
        _keep_call(call, out, key, recipe)
        return recipe.replay(data, out)
    _RECIPES.log = log = []
    try:
        result = _run_passes(data, passes, out_shape, out_dtype, mid_dtype, maxval, out)
    finally:
        _RECIPES.log = None
    recipe = _Recipe.record(log, data, passes, result, out)
    if recipe is not None:
        if key in recipes:  # (a recipe of other tables whose ids these reuse)
            _RECIPES.calls.clear()
        recipes[key] = recipe
        if len(recipes) > _RECIPES_MAX:
            while len(recipes) > _RECIPES_MAX:
                recipes.popitem(last=False)
            _RECIPES.calls.clear()  # (it may hold the recipes just dropped)
        _keep_call(call, out, key, recipe)
    return result


def _keep_call(call, out, key, recipe):
    """Remember ``recipe`` (of recipe key ``key``) for the keyed call ``call`` with
    ``out=None`` (see :func:`run_passes`); at most :data:`_RECIPES_MAX` calls, so the recipes
    they hold stay within the bound of the recipe cache."""
    if call is None or out is not None:
        return
    calls = _RECIPES.calls
    if len(calls) >= _RECIPES_MAX:
        calls.clear()
    calls[call] = (key[0], recipe)


def _run_passes(data, passes, out_shape, out_dtype, mid_dtype, maxval, out=None):
    """:func:`run_passes`, planned on every call."""
    if np.dtype(out_dtype) == data.dtype:
        selected = _select_passes(data, passes, out_shape, out)
        if selected is not None:
            return selected
    nch = data.shape[2]
    dts = [np.dtype(mid_dtype)] * (len(passes) - 1) + [np.dtype(out_dtype)]
    src_dts = [data.dtype] + dts[:-1]
    passes = [(ax,) + _pad_taps(idx, w, sdt, ddt, maxval if ddt.kind == "u" else 0.0)
              for (ax, idx, w), sdt, ddt in zip(passes, src_dts, dts)]
    cols_first = len(passes) == 2 and passes[0][0] == 1
    mid_size = np.dtype(mid_dtype).itemsize
    mid_bytes = data.shape[0] * out_shape[1] * nch * mid_size
    ring_pays = mid_size >= _COLS_FIRST_MIN_ITEMSIZE and mid_bytes > _COLS_FIRST_MIN_MID
    if cols_first and ring_pays and _LANE_COLS:
        # the ring runs the columns pass row by row: it pays only on the interleaved path;
        # other tables run faster as separate passes, eight rows at a time (_cols_group):
        # 1000x1000x3 float32 at (1.5, 1.2) 14.8 -> 7.7 ms, (0.9, 0.7) 11.6 -> 5.3 ms
        cw = passes[0][2]
        ring_pays = _cols_kind(_plan(passes[0][1], cw), cw.dtype, data.shape[1], nch)[0] == "il"
    if _FUSED_PASSES and len(passes) == 2 and (not cols_first or ring_pays):
        mid = np.dtype(mid_dtype)
        out_dt = np.dtype(out_dtype)
        rows, cols = (passes[1], passes[0]) if cols_first else (passes[0], passes[1])
        if out is None:
            shape = (out_shape[0], out_shape[1], nch)
            out = new_output(shape, out_dt,
                             0 if cols_first else _align_for(shape, out_dt, cols[1:], data.shape[1]))
        fused_passes(data, out, rows[1:], cols[1:], mid,
                     float(maxval) if mid.kind == "u" else 0.0,
                     float(maxval) if out_dt.kind == "u" else 0.0, cols_first)
        return out
    cur = data
    for n, (ax, idx, w) in enumerate(passes):
        dtype = np.dtype(out_dtype if n == len(passes) - 1 else mid_dtype)
        mv = float(maxval) if dtype.kind == "u" else 0.0
        shape = (out_shape[0], cur.shape[1], nch) if ax == 0 else (cur.shape[0], out_shape[1], nch)
        last = n == len(passes) - 1
        # the intermediate never leaves this function: reuse a per-thread buffer for it
        if not last:
            dst = _scratch("mid", shape, dtype)
        elif out is None:
            dst = new_output(shape, dtype,
                             _align_for(shape, dtype, (idx, w), cur.shape[1]) if ax == 1 else 0)
        else:
            dst = out
        _run_pass(cur, dst, ax, idx, w, nch, mv)
        cur = dst
    return cur
