"""``classicsr.resize(..., out=)``: the same values as a new result, written where asked.

The independent check of the values themselves is the reference in ``test_resize.py``; here
the result written into ``out`` must equal (bit for bit) the one returned without it, on every
kernel path, whatever the layout of ``out``, and nothing else in ``out``'s buffer may change.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

from classicsr import resize
from classicsr._kernels import resample as K

from .strategies import METHODS, images, scales

R = importlib.import_module("classicsr.resize")  # the module (the package exports the function)


def _sentinel(shape, dtype):
    dtype = np.dtype(dtype)
    return np.full(shape, 7 if dtype.kind == "u" else np.nan, dtype=dtype)


def _check_into(img, scale, **kw):
    """``out=`` given C-contiguous, and as a strided view into a larger buffer."""
    ref = resize(img, scale, **kw)
    out = _sentinel(ref.shape, ref.dtype)
    before = img.copy()
    got = resize(img, scale, out=out, **kw)
    assert got is out
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(img, before)
    # every other element of a wider buffer: the kernels cannot write it directly (copied)
    buf = np.zeros(ref.shape[:-1] + (2 * ref.shape[-1],), dtype=ref.dtype)
    view = buf[..., 1::2]
    assert resize(img, scale, out=view, **kw) is view
    np.testing.assert_array_equal(view, ref)
    assert not buf[..., ::2].any()


@given(img=images(), scale=st.tuples(scales, scales), method=st.sampled_from(METHODS),
       round_each_pass=st.booleans())
def test_out_equals_new_result_property(img, scale, method, round_each_pass):
    _check_into(img, scale, method=method, round_each_pass=round_each_pass)


# sizes and scales that reach the fast paths (fused passes, pixel planes, fixed point,
# pmaddwd blocks, checked tables, polyphase planes)
FAST = [(2, (40, 48, 3)), (4, (40, 48, 3)), (0.5, (64, 80, 3)), (0.25, (64, 80, 3)),
        (1.5, (40, 48, 3)), (3, (24, 40)), ((2, 3), (30, 40, 3)), ((0.5, 1.7), (48, 40, 3)),
        ((1.3, 0.6), (48, 40, 2)), (1, (20, 30, 3))]


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("scale,shape", FAST)
def test_out_on_fast_paths(monkeypatch, scale, shape, dtype, fused):
    monkeypatch.setattr(K, "_FUSED_PASSES", fused)
    rng = np.random.default_rng(3)
    img = (rng.random(shape) * 255).astype(dtype)
    _check_into(img, scale)
    _check_into(img, scale, method="lanczos3")


def test_contiguous_out_written_in_place(monkeypatch):
    """A C-contiguous ``out`` is the kernels' destination (no new array, no copy)."""
    seen = []
    run = R._run_passes

    def spy(data, run_args, out, call=None):
        seen.append(out)
        return run(data, run_args, out, call)

    monkeypatch.setattr(R, "_run_passes", spy)
    monkeypatch.setattr(np, "copyto", None)  # any copy would fail
    img = np.random.default_rng(0).random((30, 40, 3)).astype(np.float32)
    out = np.empty((60, 80, 3), np.float32)
    resize(img, 2, out=out)
    assert np.shares_memory(seen[-1], out) and seen[-1].shape == (60, 80, 3)
    gray = np.empty((60, 80), np.float32)
    resize(img[..., 0], 2, out=gray)
    assert np.shares_memory(seen[-1], gray) and seen[-1].shape == (60, 80, 1)


@pytest.mark.nojit_subset
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_out_channel_axis(axis):
    img = np.moveaxis(np.random.default_rng(1).random((12, 14, 3)), -1, axis)
    ref = resize(img, 1.5, channel_axis=axis)
    out = np.empty(ref.shape, ref.dtype)
    assert resize(img, 1.5, channel_axis=axis, out=out) is out
    np.testing.assert_array_equal(out, ref)
    # Fortran order: channels-last but not C-contiguous, copied in
    outf = np.asfortranarray(np.empty_like(ref))
    resize(img, 1.5, channel_axis=axis, out=outf)
    np.testing.assert_array_equal(outf, ref)


def test_out_float16_input_writes_float32():
    img = np.random.default_rng(2).random((9, 11)).astype(np.float16)
    out = np.empty((18, 22), np.float32)
    assert resize(img, 2, out=out) is out
    np.testing.assert_array_equal(out, resize(img, 2))


def test_out_identity_resize_copies():
    img = np.arange(60, dtype=np.uint8).reshape(5, 12)
    out = np.zeros_like(img)
    assert resize(img, 1, out=out) is out
    np.testing.assert_array_equal(out, img)


def _bad_out_cases():
    img = np.zeros((10, 12, 3), np.float32)
    buf = np.zeros((40, 12, 3), np.float32)
    return [
        (img, 2, [0], TypeError, ["out", "ndarray", "list"]),
        (img, 2, np.zeros((20, 24, 3)), TypeError, ["out", "float32", "float64"]),
        (img, 2, np.zeros((20, 24, 3), ">f4"), TypeError, ["out", "native", ">f4"]),
        (img, 2, np.zeros((20, 24), np.float32), ValueError, ["out", "(20, 24, 3)", "(20, 24)"]),
        (img, 2, np.zeros((24, 20, 3), np.float32), ValueError, ["out", "shape"]),
        (img, 2, np.broadcast_to(np.float32(0), (20, 24, 3)), ValueError, ["out", "read-only"]),
        (img, 1, img, ValueError, ["out", "share memory", "image"]),
        (buf[:10], 1, buf[5:15], ValueError, ["out", "share memory"]),
    ]


@pytest.mark.parametrize("img,scale,out,exc,words", _bad_out_cases())
def test_out_errors(img, scale, out, exc, words):
    keep = out.copy() if isinstance(out, np.ndarray) else None
    before = img.copy()
    with pytest.raises(exc) as info:
        resize(img, scale, out=out)
    for word in words:
        assert word in str(info.value)
    np.testing.assert_array_equal(img, before)
    if keep is not None:
        np.testing.assert_array_equal(out, keep)


def test_out_disjoint_parts_of_one_buffer():
    buf = np.random.default_rng(4).random((40, 12, 3))
    ref = resize(buf[:10].copy(), 1.7)
    out = np.empty_like(ref)
    resize(buf[:10], 1.7, out=out)
    np.testing.assert_array_equal(out, ref)
    big = np.zeros((40, 40, 3))
    big[:10, :12] = buf[:10]
    resize(big[:10, :12], 1, out=big[20:30, 20:32])
    np.testing.assert_array_equal(big[20:30, 20:32], buf[:10])


def test_out_memmap(tmp_path):
    """A disk-backed output (``np.memmap``) is filled as any array is."""
    img = np.random.default_rng(5).random((40, 48, 3)).astype(np.float32)
    ref = resize(img, 2)
    mm = np.memmap(tmp_path / "out.f32", dtype=np.float32, mode="w+", shape=ref.shape)
    assert resize(img, 2, out=mm) is mm
    mm.flush()
    back = np.memmap(tmp_path / "out.f32", dtype=np.float32, mode="r", shape=ref.shape)
    np.testing.assert_array_equal(back, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nch", [0, 1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4, 1.5, 2.5, (2, 3)])
def test_streamed_out_at_every_alignment(monkeypatch, dtype, nch, scale):
    """Streamed fir-interleave blocks need a 32-byte aligned start; an ``out`` that lacks it
    starts its block grid later (``K._il_grid``: rotated phases, the skipped outputs
    gathered).  Every alignment gives the bits of the plain-store path exactly."""
    monkeypatch.setattr(K, "_STREAM_MIN_BYTES", 0)  # stream these small outputs too
    monkeypatch.setattr(K, "_STREAM_ROWS_MIN_BYTES", 0)
    grids = []
    real = K._il_grid

    def spy(plan, acc_dt, nch_, dst, streamed, w_in=None):
        got = real(plan, acc_dt, nch_, dst, streamed, w_in)
        plain = real(plan, acc_dt, nch_, dst, False, w_in)  # the grid before any shift
        grids.append(got[0] != plain[0])
        return got

    monkeypatch.setattr(K, "_il_grid", spy)
    rng = np.random.default_rng(5)
    shape = (21, 48) if nch == 0 else (21, 48, nch)
    img = rng.standard_normal(shape).astype(dtype)
    img[3, 7] = np.inf  # non-finite values follow the same arithmetic on every path
    monkeypatch.setattr(K, "_STREAM", False)
    want = resize(img, scale)
    monkeypatch.setattr(K, "_STREAM", True)
    item = np.dtype(dtype).itemsize
    for offset in range(0, 64, item):
        raw = np.zeros(want.nbytes + 128, np.uint8)
        start = (-raw.ctypes.data) % 64 + offset
        out = raw[start:start + want.nbytes].view(dtype).reshape(want.shape)
        got = resize(img, scale, out=out)
        assert got is out
        np.testing.assert_array_equal(got, want, err_msg=f"offset {offset}")
    if dtype == np.float32 or scale in (2, 4):  # the tables with streamed blocks here
        assert any(grids), "no out= took a shifted grid"
