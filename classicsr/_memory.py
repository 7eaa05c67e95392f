"""Reusable memory for large outputs.

A new numpy array of 32 MiB or more is mapped fresh by the C allocator on every call (glibc
serves smaller blocks from its heap, which it reuses) and the operating system zeroes each
page on first write.  On this project's reference machine (a virtual machine with huge pages)
that costs about 0.14 ms per MiB, measured: 9 ms for the 64 MiB output of a float32 x4 upscale
of 1024x1024, about as long as computing it.  Resizing frame after frame pays it every time.

:func:`new_output` keeps the blocks of such outputs in a small pool instead.  Each output is
a view of a block; once no array refers to a block any more (the caller dropped the output
and every view of it), the next output of a similar size reuses the block without new page
faults.  A block is never handed out twice while any array still uses it: its reference
count says whether one does.  The pool tracks at most ``max_bytes`` of blocks, in use or free
(default 256 MiB, :envvar:`CLASSICSR_OUTPUT_POOL_BYTES`), so it never keeps more than that
alive once the caller's arrays are gone; :func:`set_output_pool` changes the bound, and
``set_output_pool(0)`` turns the pool off and lets go of every block.

The arrays it returns are ordinary writeable, C-contiguous arrays whose ``base`` is the block
(``flags.owndata`` is False).
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from . import _config

__all__ = ["new_output", "set_output_pool", "get_output_pool"]

#: Outputs below this size come from ``np.empty`` (glibc's largest mmap threshold: smaller
#: blocks are reused from the heap by the C allocator itself).
MIN_BYTES = 32 * 1024**2

_BLOCKS: list = []  # 1-D uint8 arrays, least recently handed out first
_LOCK = threading.Lock()
_MAX_BYTES = [None]  # None: _config.OUTPUT_POOL_BYTES


def _free_refs():
    """The reference count ``sys.getrefcount(_BLOCKS[i])`` reads for a block nothing else uses,
    measured with the same expression; ``None`` (no pool) where reference counts do not say
    whether a view is alive (an interpreter without them)."""
    probe = [np.empty(1, dtype=np.uint8)]
    free = sys.getrefcount(probe[0])
    view = probe[0][:0]
    busy = sys.getrefcount(probe[0])
    del view
    again = sys.getrefcount(probe[0])
    return free if busy == free + 1 and again == free else None


_FREE = _free_refs()


def get_output_pool() -> int:
    """The most bytes the output pool may hold (0: no pool)."""
    limit = _MAX_BYTES[0]
    return int(_config.OUTPUT_POOL_BYTES if limit is None else limit)


def set_output_pool(max_bytes: int) -> int:
    """Set how many bytes of large output blocks classicsr may keep for reuse.

    Parameters
    ----------
    max_bytes : int
        Upper bound on the blocks the pool holds, in use or free (>= 0).  ``0`` turns the pool
        off: every output is a fresh ``np.empty`` array and the free blocks are released.
        Outputs below 32 MiB never use the pool.

    Returns
    -------
    int
        The previous bound.

    Raises
    ------
    TypeError
        If ``max_bytes`` is not an integer.
    ValueError
        If ``max_bytes`` is negative.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(f"max_bytes must be an integer number of bytes, got "
                        f"{type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0 (0 turns the pool off), got {max_bytes}")
    previous = get_output_pool()
    with _LOCK:
        _MAX_BYTES[0] = int(max_bytes)
        _trim(int(max_bytes))
    return previous


def _trim(limit):
    """Hold at most ``limit`` bytes: drop free blocks (least recently used first), which
    releases them, then stop tracking blocks still in use (their arrays keep them alive until
    dropped, as any numpy array's memory).  Call with the lock held."""
    total = sum(b.size for b in _BLOCKS)
    for only_free in (True, False):
        i = 0
        while total > limit and i < len(_BLOCKS):
            if not only_free or sys.getrefcount(_BLOCKS[i]) == _FREE:
                total -= _BLOCKS.pop(i).size
            else:
                i += 1


#: Pooled outputs are placed in their block so that their byte ``align_at`` starts a line of
#: this many bytes (a block has this much to spare).
ALIGN = 64


def new_output(shape, dtype, align_at=0):
    """An uninitialised C-contiguous array of ``shape`` and ``dtype`` for a function's result.

    Outputs of at least 32 MiB and at most the bound reuse a free pooled block of 1 to 2 times
    their size when there is one, else get a new block that joins the pool (older blocks leave
    it to make room, see :func:`_trim`).  Everything else is ``np.empty``.

    A pooled output is placed in its block so that its byte ``align_at`` (a multiple of the
    item size) is :data:`ALIGN`-byte aligned: the kernels stream whole aligned vectors to
    memory from there (``classicsr._kernels.resample._stream_align``).
    """
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= int(n)
    if nbytes < MIN_BYTES or _FREE is None:
        return np.empty(shape, dtype=dtype)
    limit = get_output_pool()
    with _LOCK:
        if nbytes + ALIGN > limit:
            _trim(limit)
            return np.empty(shape, dtype=dtype)
        need = nbytes + ALIGN
        for i in range(len(_BLOCKS)):
            if need <= _BLOCKS[i].size <= 2 * nbytes and sys.getrefcount(_BLOCKS[i]) == _FREE:
                block = _BLOCKS.pop(i)
                _BLOCKS.append(block)
                return _place(block, nbytes, dtype, shape, align_at)
        _trim(limit - need)
        block = np.empty(need, dtype=np.uint8)
        _BLOCKS.append(block)
        return _place(block, nbytes, dtype, shape, align_at)


def _place(block, nbytes, dtype, shape, align_at):
    """The ``nbytes`` of ``block`` at the first offset where byte ``align_at`` of them is
    :data:`ALIGN`-aligned and the items are aligned, as an array of ``shape``."""
    start = -(block.ctypes.data + int(align_at)) % ALIGN
    start -= start % dtype.alignment  # only when align_at is not a multiple of the item size
    return block[start:start + nbytes].view(dtype).reshape(shape)
