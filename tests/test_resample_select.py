"""Resizes that only select pixels, a pixel at a time (``resample._select_px_chunk``).

``nearest`` at any scale and ``box`` upscales copy one source pixel per output pixel.  Pixels
of 2 to 32 bytes with more than one channel are copied as one unaligned move of the next power-of-two width, left to right, so a move wider
than the pixel writes the first bytes of the next pixel before that pixel's own move; the last
pixel of a row, and rows read from the image's last row, are copied element by element.
These tests hold the results to the independent reference (``tests/naive_resize.py``) and to
``np.repeat``, check that nothing outside the output is written and nothing past the input is
read (a guard page), and that the path is really taken.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R

from .naive_resize import reference_resize
from .test_resample_fast import _img

pytestmark = pytest.mark.skipif(not R._JIT, reason="the move intrinsics exist in compiled code")

DTYPES = [np.uint8, np.uint16, np.float32, np.float64]


def _moves(nch, dtype):
    """Whether the pixel-move kernel should run: pixels of several channels and 2-32 bytes
    (gray images and larger pixels keep the element gather)."""
    return nch > 1 and nch * np.dtype(dtype).itemsize <= 32


class _Spy:
    """Records the chunk kernels and the ``streamed`` flag of the pixel-move kernel."""

    def __init__(self):
        self.names = []
        self.streamed = []
        self.real = R._run_chunks

    def __call__(self, kernel, nchunks, args):
        self.names.append(kernel.__name__)
        if kernel.__name__ == "_select_px_chunk":
            self.streamed.append(bool(args[-1]))
        return self.real(kernel, nchunks, args)


def _with(attrs, fn):
    """``fn()`` with the module attributes ``attrs`` of ``resample`` set, then restored."""
    old = {k: getattr(R, k) for k in attrs}
    try:
        for k, v in attrs.items():
            setattr(R, k, v)
        return fn()
    finally:
        for k, v in old.items():
            setattr(R, k, v)


_SCALES = [2.0, 3.0, 4.0, 0.5, 0.3, 1.37, 0.7]


@given(h=st.integers(1, 24), w=st.integers(1, 24), nch=st.integers(1, 9),
       dtype=st.sampled_from(DTYPES), sy=st.sampled_from(_SCALES),
       sx=st.sampled_from(_SCALES), box=st.booleans(), streamed=st.booleans(),
       threads=st.sampled_from([1, 2]), seed=st.integers(0, 2**16))
def test_pixel_moves_equal_the_reference(h, w, nch, dtype, sy, sx, box, streamed, threads,
                                         seed):
    """Any shape, channel count, dtype and pair of scales (box only upscaling, where it
    selects): the reference's values exactly, the bits of the element gather, the input
    untouched, and the kernel the pixel's size calls for; streamed (threshold 0) or not, one
    or two threads with several chunks each."""
    numba = pytest.importorskip("numba")
    method = "box" if box and min(sy, sx) >= 1 else "nearest"
    img = _img((h, w, nch), dtype, seed)
    before = img.copy()
    spy = _Spy()
    attrs = {"_run_chunks": spy, "_MIN_CHUNK_WORK": 0,
             "_STREAM_MIN_BYTES": 0 if streamed else R._STREAM_MIN_BYTES}
    old = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        out = _with(attrs, lambda: resize(img, (sy, sx), method=method))
        gathered = _with({"_SELECT_PX": False}, lambda: resize(img, (sy, sx), method=method))
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(img, before)
    np.testing.assert_array_equal(out, reference_resize(img, (sy, sx), method=method))
    assert out.tobytes() == gathered.tobytes()
    want = "_select_px_chunk" if _moves(nch, dtype) else "_select_chunk"
    assert spy.names == [want], (spy.names, nch, dtype, streamed)
    assert all(s == streamed for s in spy.streamed)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_move_width_keeps_nan_and_negative_zero(dtype):
    """Every move width (2, 4, 8, 16, 32 bytes; exact and wider than the pixel) copies the
    pixel's bits: NaN, inf and -0.0 stay as they are; integer upscales equal ``np.repeat``."""
    for nch in range(2, 9):
        img = _img((9, 11, nch), dtype, seed=nch)
        if np.dtype(dtype).kind == "f":
            img[2, 3, 0] = np.nan
            img[4, 5, -1] = -np.inf
            img[6, 7, 1] = -0.0
        for scale in (2, 3):
            out = resize(img, scale, method="nearest")
            want = np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)
            assert out.tobytes() == want.tobytes(), (nch, scale)


@pytest.mark.parametrize("dtype,nch", [(np.uint8, 3), (np.uint16, 3), (np.float32, 3),
                                       (np.float64, 3), (np.float32, 1), (np.uint8, 5)])
@pytest.mark.parametrize("streamed", [False, True])
def test_out_at_every_offset_is_written_exactly(dtype, nch, streamed):
    """``out=`` at every element offset from a 64-byte line (streamed: the head, the whole
    lines and the tail of each row), one and two threads: the result equals the element
    gather's and the elements around ``out`` keep their values (no move writes past a row or
    past the output)."""
    numba = pytest.importorskip("numba")
    itemsize = np.dtype(dtype).itemsize
    img = _img((21, 27, nch), dtype, seed=5)
    for scale in [(2.0, 3.0), (0.5, 1.37), (3.0, 0.7)]:
        want = _with({"_SELECT_PX": False}, lambda: resize(img, scale, method="nearest"))
        n = want.size
        old = numba.get_num_threads()
        try:
            for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
                numba.set_num_threads(threads)
                for offset in range(0, 64 // itemsize):
                    raw = np.full(n + 256 // itemsize, 7, dtype=dtype)
                    start = (-raw.ctypes.data % 64) // itemsize + offset
                    out = raw[start:start + n].reshape(want.shape)
                    spy = _Spy()
                    attrs = {"_run_chunks": spy, "_MIN_CHUNK_WORK": 0,
                             "_STREAM_MIN_BYTES": 0 if streamed else R._STREAM_MIN_BYTES}
                    _with(attrs, lambda: resize(img, scale, method="nearest", out=out))
                    assert spy.streamed == ([streamed] if _moves(nch, dtype)
                                            else []), spy.names
                    np.testing.assert_array_equal(out, want)
                    assert (raw[:start] == 7).all() and (raw[start + n:] == 7).all()
        finally:
            numba.set_num_threads(old)


def test_large_outputs_stream():
    """A 48 MiB float32 colour x4 output (over ``_STREAM_MIN_BYTES``) streams its rows; it
    equals ``np.repeat``, as the 12 MiB uint8 one of 512x512x3, which does not stream."""
    for dtype, side, streamed in [(np.float32, 1024, True), (np.uint8, 512, False)]:
        img = _img((side, side, 3), dtype, seed=1)
        spy = _Spy()
        out = _with({"_run_chunks": spy}, lambda: resize(img, 4, method="nearest"))
        assert spy.names == ["_select_px_chunk"] and spy.streamed == [streamed]
        assert (out.nbytes >= R._STREAM_MIN_BYTES) == streamed
        want = np.repeat(np.repeat(img, 4, axis=0), 4, axis=1)
        np.testing.assert_array_equal(out, want)
        del out, want


_GUARD = r"""
import ctypes, mmap, sys
import numpy as np
sys.path.insert(0, sys.argv[2])
import classicsr
from classicsr._kernels import resample as R
from naive_resize import reference_resize

libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
page = mmap.PAGESIZE


def guarded(shape, dtype, fill=None):
    # an array whose last byte is the last byte before a page that cannot be read or written
    dtype = np.dtype(dtype)
    n = int(np.prod(shape)) * dtype.itemsize
    pages = -(-n // page) + 1
    m = mmap.mmap(-1, pages * page)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    assert libc.mprotect(base + (pages - 1) * page, page, 0) == 0, ctypes.get_errno()
    a = np.frombuffer(m, dtype=dtype, count=n // dtype.itemsize,
                      offset=(pages - 1) * page - n).reshape(shape)
    keep.append(m)
    return a


keep = []
seen = []
run = R._run_chunks
def spy(kernel, nchunks, args):
    seen.append((kernel.__name__, args[0].ctypes.data, args[1].ctypes.data))
    return run(kernel, nchunks, args)
R._run_chunks = spy
R._STREAM_MIN_BYTES = int(sys.argv[1])
for dtype, nch in [("uint8", 3), ("uint8", 5), ("uint8", 7), ("uint16", 3), ("uint16", 5),
                   ("float32", 3), ("float32", 5), ("float32", 7), ("float64", 3),
                   ("float32", 1), ("uint16", 1)]:
    for scale in [(2.0, 3.0), (0.5, 0.5), (1.0, 1.5), (0.3, 0.9)]:
        src = guarded((13, 17, nch), dtype)
        src[...] = np.arange(src.size).reshape(src.shape) % 200
        ref = reference_resize(np.array(src), scale, method="nearest")
        out = guarded(ref.shape, dtype)
        del seen[:]
        classicsr.resize(src, scale, method="nearest", out=out)
        name, s_ptr, d_ptr = seen[-1]
        assert s_ptr == src.ctypes.data and d_ptr == out.ctypes.data, "copied"
        assert np.array_equal(out, ref), (dtype, nch, scale)
        print(dtype, nch, scale, name)
print("done")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mprotect via libc (Linux)")
@pytest.mark.parametrize("streamed", [False, True])
def test_no_move_reads_past_the_input_or_writes_past_the_output(streamed):
    """The input and the output each end where a page that cannot be touched begins: every
    move width, upscales and downscales whose last output pixel is the last source pixel,
    finish without a fault (in a subprocess, so a fault fails the test instead of pytest),
    and the kernel is given those very buffers (not copies)."""
    tests = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.run([sys.executable, "-c", _GUARD, "0" if streamed else str(2**62),
                           tests], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONFAULTHANDLER="1"))
    assert proc.returncode == 0, textwrap.shorten(proc.stdout + proc.stderr, 3000)
    lines = proc.stdout.splitlines()
    assert lines[-1] == "done" and len(lines) == 45
    # eleven pixel kinds x four scales; the two gray ones gather element by element
    moved = sum(line.endswith("_select_px_chunk") for line in lines)
    assert moved == 36, lines


@pytest.mark.parametrize("width", [0, 1, 3, 64])
def test_a_width_without_a_move_copies_every_pixel_element_by_element(width):
    """``_move_pixels`` with a width it has no move for copies every pixel element by element
    (it never leaves the first ``nmove`` pixels unwritten)."""
    r = np.arange(30, dtype=np.uint8)
    pidx = np.array([9, 0, 4, 4, 2], dtype=np.intp)
    o = np.zeros(15, dtype=np.uint8)
    R._move_pixels(o, r, pidx, 3, width, 4)
    np.testing.assert_array_equal(o, r.reshape(10, 3)[pidx].ravel())
