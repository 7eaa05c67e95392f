"""classicsr.dask.resize equals classicsr.resize bit for bit for any chunking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import classicsr

da = pytest.importorskip("dask.array")
cdask = pytest.importorskip("classicsr.dask")

from .strategies import BOUNDARIES, METHODS, images, scales  # noqa: E402


@st.composite
def chunkings(draw, length):
    """Random chunk sizes summing to ``length`` (sizes 1..length)."""
    sizes, left = [], length
    while left:
        s = draw(st.integers(1, left))
        sizes.append(s)
        left -= s
    return tuple(sizes)


@settings(max_examples=40)
@given(data=st.data(), img=images(max_side=16), scale=st.tuples(scales, scales),
       method=st.sampled_from(METHODS), boundary=st.sampled_from(BOUNDARIES),
       round_each_pass=st.booleans())
def test_any_chunking_is_bit_exact(data, img, scale, method, boundary, round_each_pass):
    chunks = (data.draw(chunkings(img.shape[0])), data.draw(chunkings(img.shape[1]))) + (
        ((img.shape[2],),) if img.ndim == 3 else ())
    x = da.from_array(img, chunks=chunks)
    out = cdask.resize(x, scale, method=method, boundary=boundary, round_each_pass=round_each_pass)
    expected = classicsr.resize(img, scale, method=method, boundary=boundary, round_each_pass=round_each_pass)
    got = out.compute(scheduler="sync")
    assert got.dtype == expected.dtype and out.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert out.shape == expected.shape


def test_chunks_aligned_and_smaller_than_kernel():
    rng = np.random.default_rng(0)
    img = (rng.random((40, 30, 3)) * 255).astype(np.uint8)
    x = da.from_array(img, chunks=(10, 1, 3))  # 1-pixel-wide chunks: far smaller than lanczos3's 6 taps
    out = cdask.resize(x, 2, method="lanczos3")
    assert out.chunks[0] == (20, 20, 20, 20) and out.chunks[1] == (2,) * 30
    np.testing.assert_array_equal(out.compute(scheduler="sync"), classicsr.resize(img, 2, method="lanczos3"))


def test_channel_axis_and_numpy_input():
    rng = np.random.default_rng(1)
    img = rng.random((3, 20, 24))
    out = cdask.resize(img, 0.5, channel_axis=0)
    np.testing.assert_array_equal(out.compute(), classicsr.resize(img, 0.5, channel_axis=0))


def test_zarr_roundtrip(tmp_path):
    pytest.importorskip("zarr")
    img = np.arange(24 * 18, dtype=np.uint16).reshape(24, 18)
    x = da.from_array(img, chunks=(7, 5))
    cdask.write_zarr(cdask.resize(x, 1.5), tmp_path / "out.zarr")
    back = cdask.read_zarr(tmp_path / "out.zarr")
    np.testing.assert_array_equal(back.compute(), classicsr.resize(img, 1.5))
    with pytest.raises(FileExistsError):
        cdask.write_zarr(x, tmp_path / "out.zarr")


@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(scale=0), ValueError, "scale"),
    (dict(scale=2, method="cubic"), ValueError, "method"),
    (dict(), ValueError, "exactly one"),
])
def test_errors(kwargs, exc, word):
    x = da.zeros((8, 8), chunks=4)
    with pytest.raises(exc, match=word):
        cdask.resize(x, **kwargs)


def test_unsupported_dtype():
    with pytest.raises(TypeError, match="int32"):
        cdask.resize(da.zeros((8, 8), dtype=np.int32, chunks=4), 2)


def test_import_classicsr_does_not_import_dask():
    import subprocess
    import sys

    code = "import sys, classicsr, numpy as np; classicsr.resize(np.ones((4, 4)), 2); " \
           "assert 'dask' not in sys.modules and 'torch' not in sys.modules and 'cv2' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _count_plans(monkeypatch):
    """A list that gets the ``idx`` shape of every table plan the kernels build from now on."""
    from classicsr._kernels import resample as R

    built = []
    real = R._TablePlan.__init__

    def counting(self, idx, w):
        built.append(idx.shape)
        real(self, idx, w)

    monkeypatch.setattr(R._TablePlan, "__init__", counting)
    return built


def test_unpickled_block_tables_are_shared_by_content(monkeypatch):
    """A task run in another process (distributed, ``processes`` scheduler) gets unpickled,
    writeable copies of its tables; ``_block`` interns them by content, so that process builds
    each distinct table's plan once (without it: a plan per table per block), leaves the
    task's arrays as they were, and gives the same bits.  A changed table is a new entry."""
    import pickle

    from classicsr._kernels import resample as R

    calls = []
    real_block = cdask._block
    results = []

    def recording(*a):
        calls.append(pickle.dumps(a))
        results.append(real_block(*a))
        return results[-1]

    monkeypatch.setattr(cdask, "_block", recording)
    img = (np.random.default_rng(4).random((64, 64, 3)) * 255).astype(np.uint8)
    x = da.from_array(img, chunks=(16, 16, 3))  # 4 x 4 blocks
    ref = cdask.resize(x, 3).compute(scheduler="sync")
    np.testing.assert_array_equal(ref, classicsr.resize(img, 3))
    assert len(calls) == 16
    built = _count_plans(monkeypatch)
    shared = cdask._shared_table
    for interned in (False, True):
        monkeypatch.setattr(cdask, "_shared_table", shared if interned else lambda idx, w: (idx, w))
        cdask._TABLES.clear()
        R._PLANS.clear()
        del built[:]
        for c, expect in zip(calls, results):
            args = pickle.loads(c)
            assert all(t.flags.writeable for p in args[1] for t in p[1:])
            np.testing.assert_array_equal(real_block(*args), expect)
            assert all(t.flags.writeable for p in args[1] for t in p[1:])  # not modified
        if interned:
            # 4 row bands + 4 column bands at most, fewer where bands share a table
            assert len(built) <= 8, built
        else:
            assert len(built) >= 32, len(built)  # each block analyses its two tables
    idx, w = pickle.loads(calls[0])[1][0][1:]
    a = cdask._shared_table(idx, w)
    assert cdask._shared_table(idx.copy(), w.copy())[0] is a[0]
    w2 = w.copy()
    w2[0, 0] += 1e-9
    b = cdask._shared_table(idx, w2)
    assert b[1] is not a[1] and np.array_equal(b[1], w2) and not b[1].flags.writeable


def test_block_tables_are_analysed_once_per_band(monkeypatch):
    """The blocks of one row band share its rows table and those of one column band its
    columns table (read-only arrays), so each table's plan is built once, not once per block;
    the result stays bit-exact."""
    from classicsr._kernels import resample as R

    built = _count_plans(monkeypatch)
    R._PLANS.clear()
    img = (np.random.default_rng(3).random((64, 64, 3)) * 255).astype(np.uint8)
    x = da.from_array(img, chunks=(16, 16, 3))  # 4 x 4 blocks
    got = cdask.resize(x, 3).compute(scheduler="sync")
    np.testing.assert_array_equal(got, classicsr.resize(img, 3))
    # 4 row bands + 4 column bands, plus whatever the in-memory resize above added (2 tables)
    assert len(built) <= 4 + 4 + 2, built
