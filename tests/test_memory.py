"""The pool of large output blocks (:mod:`classicsr._memory`).

What must hold: an output never shares memory with another live array from the pool (a block
is reused only once nothing refers to it: not the output, not a view of it), the pool keeps
to its bound, a reused block gives the same values as a fresh array (every element written,
checked against the pool turned off and with the block filled with NaN first), bad settings
fail with a clear error, and concurrent threads get disjoint outputs.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import classicsr
from classicsr import _memory as M

MiB = 1024**2


@pytest.fixture(autouse=True)
def fresh_pool():
    """Each test starts with an empty pool at the default bound and leaves it so."""
    previous = M.set_output_pool(0)
    M.set_output_pool(256 * MiB)
    yield
    M.set_output_pool(0)
    M.set_output_pool(previous)


def _addr(a):
    """The address of the memory that ``a`` views (its pooled block, where it is from one:
    a pooled output starts a few bytes into its block, see ``test_pooled_outputs_aligned``)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a.__array_interface__["data"][0]


def _pooled_bytes():
    return sum(b.size for b in M._BLOCKS)


def test_small_outputs_are_plain_arrays():
    a = M.new_output((1024, 1024, 3), np.float32)  # 12 MiB
    assert a.flags.owndata and a.flags.c_contiguous and a.dtype == np.float32
    assert _pooled_bytes() == 0


def test_block_reused_only_when_nothing_refers_to_it():
    shape = (2048, 2048, 3)  # 48 MiB of float32
    a = M.new_output(shape, np.float32)
    assert a.shape == shape and a.dtype == np.float32 and a.flags.c_contiguous
    assert a.flags.writeable and a.flags.aligned and not a.flags.owndata
    b = M.new_output(shape, np.float32)  # a is alive: a new block
    assert not np.shares_memory(a, b)
    del a, b


@pytest.mark.parametrize("view", [lambda x: x[::2, 1:, 0], lambda x: x.T,
                                  lambda x: x.view(np.uint8), lambda x: x.reshape(-1),
                                  lambda x: x[:0], memoryview, lambda x: np.asarray(memoryview(x))],
                         ids=["slice", "T", "view", "reshape", "empty", "memoryview", "asarray"])
def test_a_view_keeps_the_block_busy(view):
    shape = (2048, 2048, 3)
    a = M.new_output(shape, np.float32)
    where = _addr(a)
    v = view(a)
    del a
    c = M.new_output(shape, np.float32)
    assert _addr(c) != where  # the view still uses a's block
    del c
    d = M.new_output(shape, np.float32)  # c's block, free again
    assert _addr(d) != where
    del v, d
    assert _addr(M.new_output(shape, np.float32)) in {_addr(b) for b in M._BLOCKS}


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("align_at", [0, 8, 24, 72, 96, 1000])
def test_pooled_outputs_aligned(dtype, align_at):
    """A pooled output's byte ``align_at`` starts a 64-byte line (fresh block or reused one),
    the output lies inside its block and is item-aligned; small outputs ignore the hint."""
    shape = (33 * MiB // np.dtype(dtype).itemsize,)
    for _ in range(2):  # a new block, then the same block reused
        a = M.new_output(shape, dtype, align_at)
        block = a.base
        assert any(block is b for b in M._BLOCKS)
        assert (a.ctypes.data + align_at) % M.ALIGN == 0 and a.flags.aligned
        lo = a.ctypes.data - block.ctypes.data
        assert 0 <= lo and lo + a.nbytes <= block.nbytes
        del a, block
    assert len(M._BLOCKS) == 1
    small = M.new_output((1000,), dtype, align_at)
    assert small.flags.owndata


def test_reuse_after_the_output_is_dropped():
    a = M.new_output((4096, 4096), np.float32)  # 64 MiB
    where = _addr(a)
    del a
    b = M.new_output((4096, 4096), np.float32)
    assert _addr(b) == where  # no new mapping
    c = M.new_output((3000, 3000), np.float32)  # 34 MiB fits a free block? b holds the only one
    assert not np.shares_memory(b, c)


def test_size_window_and_bound():
    a = M.new_output((128 * MiB,), np.uint8)
    where = _addr(a)
    del a
    b = M.new_output((40 * MiB,), np.uint8)  # a 128 MiB block is more than twice as large
    assert _addr(b) != where
    del b
    M.set_output_pool(100 * MiB)  # drops free blocks above the bound
    assert _pooled_bytes() <= 100 * MiB
    x = M.new_output((60 * MiB,), np.uint8)
    y = M.new_output((60 * MiB,), np.uint8)  # x leaves the pool (still alive, not tracked)
    assert not np.shares_memory(x, y)
    assert [_addr(b) for b in M._BLOCKS] == [_addr(y)]
    x[:] = 1  # still usable
    z = M.new_output((200 * MiB,), np.uint8)  # larger than the bound: plain
    assert z.flags.owndata
    assert _pooled_bytes() <= 100 * MiB
    del x
    M.set_output_pool(0)
    assert _pooled_bytes() == 0
    assert M.new_output((60 * MiB,), np.uint8).flags.owndata


@settings(max_examples=40)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 6)), min_size=1, max_size=30),
       st.integers(0, 24))
def test_random_sequences_never_share_live_memory(ops, bound_kib):
    """Allocate (True) or drop (False) outputs in any order, with a small block threshold:
    live outputs never overlap, and the pool stays within its bound."""
    old_min = M.MIN_BYTES
    M.MIN_BYTES = 1024
    M.set_output_pool(0)
    M.set_output_pool(bound_kib * 1024)
    try:
        live = []
        for alloc, kib in ops:
            if alloc:
                a = M.new_output((kib * 256,), np.float32)  # kib KiB
                a.fill(len(live))
                live.append(a)
            elif live:
                live.pop(kib % len(live))
            for i, x in enumerate(live):
                for y in live[i + 1:]:
                    assert not np.shares_memory(x, y)
            assert _pooled_bytes() <= bound_kib * 1024
    finally:
        M.MIN_BYTES = old_min
        M.set_output_pool(0)


def test_threads_get_disjoint_outputs():
    errors = []
    barrier = threading.Barrier(4)

    def work(tid):
        try:
            for _ in range(5):
                barrier.wait()
                a = M.new_output((33 * MiB,), np.uint8)
                a.fill(tid)
                barrier.wait()
                if not (a == tid).all():
                    errors.append(tid)
                del a
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("dtype,scale,shape", [
    (np.float32, 4, (1024, 1024)),       # rows then interleaved columns, 64 MiB
    (np.float32, 4, (512, 512, 3)),      # fused passes, 48 MiB
    (np.uint8, 8, (800, 800, 3)),        # 117 MiB of uint8
    (np.float64, 3, (700, 700, 2)),      # 67 MiB
])
def test_resize_from_a_dirty_block_equals_a_fresh_array(dtype, scale, shape):
    rng = np.random.default_rng(0)
    img = (rng.random(shape) * 255).astype(dtype)
    out_shape = tuple(s * scale for s in shape[:2]) + shape[2:]
    # leave a free block full of NaN (0xFF bytes) for the resize to pick up
    dirty = M.new_output((int(np.prod(out_shape)) * np.dtype(dtype).itemsize,), np.uint8)
    dirty.fill(255)
    where = _addr(dirty)
    del dirty
    got = classicsr.resize(img, scale)
    assert _addr(got) == where
    M.set_output_pool(0)
    ref = classicsr.resize(img, scale)
    assert _pooled_bytes() == 0  # a fresh array
    np.testing.assert_array_equal(got, ref)


def test_nearest_gather_uses_the_pool():
    img = np.arange(512 * 512 * 3, dtype=np.float32).reshape(512, 512, 3)
    got = classicsr.resize(img, 4, method="nearest")
    assert any(np.shares_memory(got, b) for b in M._BLOCKS)
    np.testing.assert_array_equal(got, np.repeat(np.repeat(img, 4, 0), 4, 1))


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), ("1", TypeError), (1.5, TypeError),
                                      (True, TypeError), (None, TypeError)])
def test_bad_bounds(bad, exc):
    with pytest.raises(exc, match="max_bytes"):
        M.set_output_pool(bad)


def test_set_returns_previous_and_is_exported():
    assert classicsr.set_output_pool is M.set_output_pool
    assert classicsr.set_output_pool(10 * MiB) == 256 * MiB
    assert classicsr.get_output_pool() == 10 * MiB
