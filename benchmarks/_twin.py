"""Write twins: what this host lets a kernel of a given output rate gain from more threads.

A *write twin* of a resize call writes the call's output bytes (into one reused, 64-byte
aligned buffer, as the output pool and glibc reuse the real outputs' memory) with the store
kind classicsr uses for that output (streaming stores from ``_STREAM_MIN_BYTES`` up for float
results, plain vector stores below) and, between two 64-byte stores, a chain of ``F``
dependent float32 multiply-adds.  It reads no input, so it does nothing that two threads
could share or contend for except the writes themselves.  ``F`` (fractional: one more
multiply-add on a fraction of the lines) is calibrated on one thread so that the twin takes
as long as the resize call it models; its two-thread speed-up is then what this host gives a
kernel with that call's output rate, measured in the same process and rounds as the call.

It runs on classicsr's own thread pool (``_run_chunks`` with the chunk count a resize pass of
that size gets), so thread wake-ups and chunk hand-out cost the twin what they cost classicsr.
A *compute-only run* (:class:`ComputeOnly`) of a float upscale by an integer factor runs
that call's own fused kernel with its own arguments, but cycles each chunk's output rows
through a few cache-resident rows: the arithmetic of the call without its output traffic.

Used by ``host_scaling.py``; not an asv benchmark (asv reads ``benchmarks/benchmarks``).
"""

from __future__ import annotations

import time

import numba
import numpy as np
from llvmlite import ir
from numba import jit, types
from numba.extending import intrinsic

from classicsr._kernels import resample as K

LINE = 16  # float32 values per 64-byte line


def _store_line(nontemporal):
    @intrinsic
    def store(typingctx, arr, start, value):
        sig = types.void(arr, start, value)

        def codegen(context, builder, signature, args):
            a, i, v = args
            ary = context.make_array(signature.args[0])(context, builder, a)
            vt = ir.VectorType(ir.FloatType(), LINE)
            vec = ir.Constant(vt, ir.Undefined)
            for k in range(LINE):
                vec = builder.insert_element(vec, v, ir.Constant(ir.IntType(32), k))
            ptr = builder.bitcast(builder.gep(ary.data, [i]), vt.as_pointer())
            st = builder.store(vec, ptr, align=64)
            if nontemporal:
                one = ir.Constant(ir.IntType(32), 1)
                st.set_metadata("nontemporal", builder.module.add_metadata([one]))
            return context.get_dummy_value()

        return sig, codegen

    return store


_store_nt = _store_line(True)
_store_plain = _store_line(False)


@jit(nopython=True, nogil=True)
def _twin_chunk(buf, fi, frac, a, b, streamed, ch, nchunks):
    """Lines ``[ch * L // nchunks, (ch + 1) * L // nchunks)`` of ``buf`` (``L`` 64-byte lines):
    ``fi`` multiply-adds (one more on a ``frac`` share of the lines), then one line store."""
    nlines = buf.size // LINE
    f = np.float32(1.0)
    carry = 0.0
    for line in range(ch * nlines // nchunks, (ch + 1) * nlines // nchunks):
        n = fi
        carry += frac
        if carry >= 1.0:
            carry -= 1.0
            n += 1
        for _ in range(n):
            f = f * a + b
        if streamed:
            _store_nt(buf, line * LINE, f)
        else:
            _store_plain(buf, line * LINE, f)
    return f


def median_ms(f, repeat):
    """Median wall time of ``repeat`` calls of ``f()`` after an untimed one, in ms."""
    f()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3


class WriteTwin:
    """The write twin of a resize call whose result has ``nbytes`` bytes (see the module)."""

    def __init__(self, nbytes, streamed):
        n = -(-int(nbytes) // 64) * LINE
        raw = np.empty(n + LINE, dtype=np.float32)
        off = (-raw.ctypes.data // 4) % LINE
        self.buf = raw[off:off + n]
        self.streamed = bool(streamed)
        self.fi, self.frac = 0, 0.0
        self._a, self._b = np.float32(0.999), np.float32(0.001)

    def __call__(self):
        nlines = self.buf.size // LINE
        nchunks = K._nchunks(numba.get_num_threads(), nlines, 1 << 62)
        K._run_chunks(_twin_chunk, nchunks,
                      (self.buf, self.fi, self.frac, self._a, self._b, self.streamed))

    def _time(self, f, repeat):
        self.fi, self.frac = int(f), float(f - int(f))
        return median_ms(self, repeat)

    def calibrate(self, target_ms, repeat=7, steps=10):
        """Set ``F`` so that one call takes ``target_ms`` on the current thread count (call it
        with one thread): F doubled from 4 until a call takes longer than the target, then
        ``steps`` bisections (the time grows with F).  Returns the twin's measured time at the
        chosen ``F`` (ms); when the stores alone (``F = 0``) take longer than ``target_ms``, F
        stays 0 and that time is above the target."""
        t = self._time(0.0, repeat)
        if t >= target_ms:
            return t
        lo, hi = 0.0, 4.0
        while self._time(hi, repeat) < target_ms and hi < 4096:
            lo, hi = hi, hi * 2
        for _ in range(steps):
            mid = (lo + hi) / 2
            if self._time(mid, repeat) < target_ms:
                lo = mid
            else:
                hi = mid
        return self._time((lo + hi) / 2, repeat)


# ---------------------------------------------------------------------------------------------
# compute-only runs: a resize's own fused kernel writing into a few cache-resident rows

RING = 4  # output rows per chunk that a compute-only run cycles through


@jit(nopython=True, nogil=True)
def _ring_chunk(src, dst, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, nch, idx, w, w64, mode,
                consts, maxval, j0, nphase, mper, offs, wu, qs, fma, accs, fdi, fdw, pairs, ring,
                ch, nchunks):
    """``resample._fused_chunk_il`` with output row ``i`` written to ``ring[ch, i % RING]``
    instead of ``dst[i]`` (same calls, rows-pass rows in pairs where the kernel pairs them,
    same arguments otherwise): every row's arithmetic, none of its memory traffic."""
    h_out = dst.shape[0]
    length = src.shape[1]
    x, r = K._il_scratch(length, nch, nphase, mper, w, dst, qs)
    x2, _ = K._il_scratch(length, nch, nphase, mper, w, dst, qs)
    racc = np.empty(max(length, 1), dtype=rw.dtype)
    xo = qs[K._QS_XOFF]  # the row after its left border pads (resample._extend_grid)
    xr = (x[xo:xo + length] if qs[0] == 1
          else np.empty(max(length, 1) + K._FD_PAD, dtype=w.dtype)[:length])
    xr2 = x2[xo:xo + length] if qs[0] == 1 else np.empty(length + K._FD_PAD, dtype=w.dtype)[:length]
    hi = (ch + 1) * h_out // nchunks
    i = ch * h_out // nchunks
    while i < hi:
        pair = K._row_pair(ridx, i, hi, rw64, None, pairs)
        if pair:
            K._rows_pair(src, xr, xr2, i, ridx, rw, rmode, rconsts, rfma)
        else:
            K._rows_row(src, xr, i, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma, racc)
        for second in range(2 if pair else 1):
            row = xr2 if second else xr
            xx = x2 if second else x
            o = ring[ch, i % ring.shape[1]]
            if accs is None:
                K._cols_row_il(row, xx, False, o, None, r, nch, idx, w, w64, mode, consts,
                               maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
            else:
                K._cols_row_il(row, xx, False, o, accs[ch], r, nch, idx, w, w64, mode, consts,
                               maxval, j0, nphase, mper, offs, wu, qs, fma, fdi, fdw)
            i += 1


class ComputeOnly:
    """A resize call's arithmetic without its output traffic, or ``None`` from :meth:`of`.

    For calls that run the fused interleaved-row kernel (``resample._fused_chunk_il``: float
    upscales by integer factors), :meth:`of` captures that kernel's arguments from one real
    call; calling the object then runs :func:`_ring_chunk` with them on classicsr's pool, with
    the chunk count the call gets at the current thread count (taken from a real call at that
    count): every output row is computed as in the call, but written (with plain stores) into
    ``RING`` rows per chunk that stay in cache.  Its two-thread speed-up is the one the
    kernel's arithmetic gets; the gap to the call's is what the output's memory traffic costs
    on two threads."""

    def __init__(self, call, args):
        qs = args[21]
        # plain stores: the ring stays in cache (streaming stores would send it to memory);
        # args[24:26] are the output-order descriptors (streaming flag cleared likewise),
        # args[26] is the row-pairs switch, args[27] (the source-ordered rows plan) is None for
        # upscales
        fdi = args[24].copy()
        fdi[K._FD_NT] = 0
        qs = qs.copy()
        qs[3] = 0
        self.args = (args[:21] + (qs,) + args[22:24]
                     + (fdi, args[25], args[26]))
        self.ring = np.empty((0, RING, args[1].shape[1]), dtype=args[1].dtype)
        self._call = call
        self._nchunks = {}  # thread count -> the call's chunk count

    @staticmethod
    def _kernels(call):
        """``[(kernel, nchunks, args)]`` that ``call()`` hands to ``_run_chunks``."""
        seen = []
        run = K._run_chunks

        def spy(kernel, nchunks, args):
            seen.append((kernel, nchunks, args))
            return run(kernel, nchunks, args)

        K._run_chunks = spy
        try:
            call()
        finally:
            K._run_chunks = run
        return seen

    @classmethod
    def of(cls, call):
        """The compute-only run of ``call()`` (a resize), or ``None`` if it runs another kernel."""
        seen = cls._kernels(call)
        if len(seen) != 1 or seen[0][0] is not K._fused_chunk_il:
            return None
        return cls(call, seen[0][2])

    def __call__(self):
        nt = numba.get_num_threads()
        if nt not in self._nchunks:
            self._nchunks[nt] = self._kernels(self._call)[0][1]
        nchunks = self._nchunks[nt]
        if nchunks > self.ring.shape[0]:
            self.ring = np.empty((nchunks,) + self.ring.shape[1:], dtype=self.ring.dtype)
        accs = self.args[23]  # one accumulator row per chunk, or None
        if accs is not None and accs.shape[0] < nchunks:
            accs = np.empty((nchunks, accs.shape[1]), dtype=accs.dtype)
            self.args = self.args[:23] + (accs,) + self.args[24:]
        K._run_chunks(_ring_chunk, nchunks, self.args + (self.ring,))
