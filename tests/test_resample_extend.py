"""Interleaved float grids extended over the borders of the row (``resample._extend_grid``).

An integer-factor float columns pass filters the polyphase interior of each row by
fir-interleave blocks; its border outputs, whose taps ``contributions`` mapped back into the
row (mirrored, clamped, wrapped), were gathered one at a time from the table.  Where the
table allows it, the row is now padded with those mapped pixels instead, the grid runs over
(nearly) the whole row, and the few outputs left at each end are filtered from the padded row
with their phase's taps and weights.  Every output must keep its bits, so these tests compare
with the module switch ``_IL_EXTEND`` off bit for bit (a NaN only as a NaN, see
``test_resample_row_pairs._same``), with the independent reference (``tests/naive_resize.py``,
signed zeros included), and the padded row itself with the table.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R

from .naive_resize import reference_resize
from .test_resample_row_pairs import _image, _kernels, _on_off, _same

#: chunk kernels that run the interleaved columns pass (_cols_row_il)
IL_KERNELS = {"_fused_chunk_il", "_cols_chunk_il", "_fused_cols_first_il"}


@pytest.fixture(autouse=True)
def _interleaved_float32(monkeypatch):
    """The interleaved columns pass for float32 on every host.

    On AVX-512 targets most float32 periodic columns passes take the output-order blocks
    instead (``_fd_row``, tested in test_resample_float_direct.py), which gather their border
    outputs and never extend the grid: on the Emerald Rapids host of the thirty-fourth session
    19 of these cases ran no extended grid (and failed ``_extended``).  With ``_FLOAT_DIRECT``
    off every host runs the path these tests are about."""
    monkeypatch.setattr(R, "_FLOAT_DIRECT", False)


def _extended(seen):
    """Whether a recorded call ran an interleaved columns pass on an extended grid."""
    for name, args in seen:
        if name not in IL_KERNELS:
            continue
        for a in args:
            if (isinstance(a, np.ndarray) and a.dtype == np.intp and a.ndim == 1
                    and a.size > R._QS_NPADS and a[R._QS_EXT] == 1):
                return True
    return False


def _both(monkeypatch, img, scale, **kw):
    """``(extended, plain)``: the result with ``_IL_EXTEND`` on and off."""
    return _on_off(monkeypatch, "_IL_EXTEND", img, scale, **kw)


CASES = [
    # (dtype, shape, scale, options): fused rows-first, columns only, columns first; 1-4
    # channels; two and four taps; every boundary that maps taps back into the row
    (np.float32, (33, 29, 3), 2, {}),
    (np.float32, (33, 29), 2, {}),  # gray, shared taps
    (np.float32, (20, 31), 4, {}),
    (np.float32, (21, 17, 3), 3, {}),
    (np.float32, (19, 23, 2), 2, {}),  # no fir-interleave block for 2 channels
    (np.float32, (18, 30, 4), 4, {}),
    (np.float32, (19, 23, 3), 2, {"method": "lanczos2"}),
    (np.float32, (18, 30), 2, {"boundary": "replicate"}),
    (np.float32, (18, 30, 3), 4, {"boundary": "reflect"}),
    (np.float32, (18, 30, 3), 2, {"boundary": "wrap"}),
    (np.float32, (17, 26, 3), 2, {"method": "bilinear"}),  # two taps
    (np.float32, (17, 26), 3, {"method": "bilinear", "boundary": "replicate"}),
    (np.float32, (16, 24, 3), 2, {"cubic_a": -0.75}),
    (np.float32, (12, 40, 3), (1, 2), {}),  # columns pass alone (rows copied)
    (np.float32, (12, 40), (1, 4), {"boundary": "reflect"}),
    (np.float32, (30, 20, 3), (4, 2), {}),  # columns pass first
    (np.float32, (26, 18), (3, 2), {}),
    (np.float32, (19, 26), None, {"output_shape": (61, 52)}),
    (np.float64, (33, 29, 3), 2, {}),
    (np.float64, (17, 40), 4, {"boundary": "symmetric"}),
    (np.float64, (17, 22, 3), 4, {"method": "lanczos2", "boundary": "replicate"}),
    (np.float64, (12, 40, 3), (1, 2), {"boundary": "wrap"}),
]


@pytest.mark.parametrize("dtype,shape,scale,kw", CASES)
def test_extended_grid_gives_the_bits_of_the_gathers(monkeypatch, dtype, shape, scale, kw):
    """An extended grid gives every output the bits the plain grid and the border gathers
    give, on a call that runs one (so the case exercises it, not another path)."""
    img = _image(shape, dtype, seed=sum(shape), specials=True)
    seen = _kernels(monkeypatch)
    on, off = _both(monkeypatch, img, scale, **kw)
    assert _extended(seen), [name for name, _ in seen]
    assert _same(on, off)


@pytest.mark.parametrize("dtype,shape,scale,kw", CASES)
def test_extended_grid_against_the_reference(monkeypatch, dtype, shape, scale, kw):
    """The independent reference, to 1e-5 (float32) / 1e-12 (float64), and the same sign of
    every zero: a sum whose products are all ``-0`` is ``+0`` (the gathers gave ``-0``)."""
    img = _image(shape, dtype, seed=len(shape) + 7)
    img.reshape(-1)[::5] = -0.0
    seen = _kernels(monkeypatch)
    got = resize(img, scale, **kw)
    assert _extended(seen)
    want = reference_resize(img.astype(np.float64), scale, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    zeros = (got == 0) & (want == 0)
    assert np.array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))


def test_constant_boundary_keeps_the_gathers(monkeypatch):
    """``boundary="constant"`` border outputs have other weights than their phase: the grid
    is not extended, and the result is the plain one."""
    img = _image((18, 30, 3), np.float32, seed=3, specials=True)
    seen = _kernels(monkeypatch)
    on, off = _both(monkeypatch, img, 2, boundary="constant")
    assert not _extended(seen)
    assert _same(on, off)


def _pass_args(img, scale, **kw):
    """``(kernel name, args)`` of the interleaved columns pass of a call."""
    seen = []
    run = R._run_chunks

    def spy(kernel, nchunks, args):
        seen.append((getattr(kernel, "__name__", "?"), args))
        return run(kernel, nchunks, args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(R, "_run_chunks", spy)
        resize(img, scale, **kw)
    return next(s for s in seen if s[0] in IL_KERNELS)


@pytest.mark.parametrize("nch", [1, 2, 3, 4])
@pytest.mark.parametrize("method,scale,boundary,dtype", [
    ("bicubic", 2, "symmetric", np.float64), ("bicubic", 4, "replicate", np.float64),
    ("lanczos3", 4, "reflect", np.float64), ("bilinear", 2, "wrap", np.float64),
    ("lanczos2", 2, "symmetric", np.float32), ("bicubic", 3, "symmetric", np.float32),
    ("lanczos3", 5, "replicate", np.float32)])
def test_padded_row_reproduces_the_table(method, scale, boundary, dtype, nch):
    """The extended grid, built from the table alone: a random row padded by the pads, each
    output filtered from it with its phase's taps and weights (``offs``, ``wu``), equals the
    table's own sum over ``row[idx[j, k]]`` with ``w[j, k]``, every output and channel, in
    float64 (exactly: the same terms in the same order; float32 tables: their float32
    weights, as the float32 path has them).  The grid covers the row but at most ``P - 1``
    outputs at each end, and every virtual pixel is mapped into the row."""
    from classicsr.resize import contributions

    w_in = 23
    n_out = w_in * scale
    idx, w = contributions(w_in, n_out, float(scale), method, boundary=boundary)
    plan = R._TablePlan(np.ascontiguousarray(idx, dtype=np.intp),
                        np.ascontiguousarray(w, dtype=np.float64))
    got = R._extend_grid(plan, dtype, nch, w_in)
    assert got is not None
    js, mm, offs, tail = got
    w = plan.weights(dtype).astype(np.float64)
    p = plan.poly(dtype)[1]
    wu = plan.interleaved(dtype, nch)[1].astype(np.float64)
    assert 0 <= js < p and 0 <= n_out - (js + p * mm) < p
    assert tail[0] == 1
    xoff, extra, npads = int(tail[1]), int(tail[2]), int(tail[3])
    assert (xoff * np.dtype(dtype).itemsize) % 64 == 0  # the row starts on a line
    rng = np.random.default_rng(scale * 10 + nch)
    row = rng.standard_normal(w_in * nch)
    x = np.full(w_in * nch + extra, np.nan)
    x[xoff:xoff + row.size] = row
    pads = tail[4:].reshape(npads, 2)
    for d, b in pads:
        assert xoff <= b and b + nch <= xoff + row.size  # the source is in the row
        x[d:d + nch] = x[b:b + nch]
    for j in range(n_out):
        e = j - js
        ph, m = e % p, e // p
        for c in range(nch):
            s = 0.0
            for k in range(idx.shape[1]):
                s += wu[ph, k] * x[offs[ph, k] + m * nch + c]
            t = 0.0
            for k in range(idx.shape[1]):
                t += w[j, k] * row[idx[j, k] * nch + c]
            assert s == t, (j, c)


def test_extend_grid_refuses_tables_it_cannot_pad():
    """A border weight one ulp off its phase's, or one virtual pixel mapped to two source
    pixels, and the grid is not extended (``None``: the gathers stay)."""
    from classicsr.resize import contributions

    idx, w = contributions(20, 40, 2.0, "bicubic")
    idx = np.ascontiguousarray(idx, dtype=np.intp)
    w = np.ascontiguousarray(w, dtype=np.float64)
    assert R._extend_grid(R._TablePlan(idx, w), np.float64, 1, 20) is not None
    w2 = w.copy()
    w2[0, 0] = np.nextafter(w2[0, 0], 1.0)
    assert R._extend_grid(R._TablePlan(idx, w2), np.float64, 1, 20) is None
    idx2 = idx.copy()
    # virtual pixel -1 (mirrored to 0) is tap 1 of output 0 and tap 0 of output 1
    assert idx2[0, 1] == 0 and idx2[1, 0] == 0
    idx2[1, 0] = 3  # now -1 is mapped to 0 for output 0 and to 3 for output 1
    assert R._extend_grid(R._TablePlan(idx2, w), np.float64, 1, 20) is None
    # a table whose interior covers every output has nothing to extend
    inner_idx = np.arange(16, dtype=np.intp)[:, None] + np.arange(4, dtype=np.intp)[None, :]
    inner_w = np.tile(np.array([-0.125, 0.625, 0.625, -0.125]), (16, 1))
    assert R._extend_grid(R._TablePlan(inner_idx, inner_w), np.float64, 1, 20) is None


def test_gathered_borders_keep_positive_zeros(monkeypatch):
    """With the grid not extended, the border gathers start from ``+0`` as the blocks do:
    a columns pass over ``[-0, +0, ...]`` rows (rows copied, so the ``-0`` reach it) gives
    ``+0`` at the borders, as the reference and the lane path do."""
    img = np.zeros((6, 40), np.float32)
    img[:, 0] = -0.0
    img[:, -1] = -0.0
    want = reference_resize(img.astype(np.float64), (1, 4))
    assert not np.signbit(want).any()
    for extend in (False, True):
        monkeypatch.setattr(R, "_IL_EXTEND", extend)
        seen = _kernels(monkeypatch)
        got = resize(img, (1, 4))
        assert {name for name, _ in seen} & IL_KERNELS
        assert not np.signbit(got).any(), extend
        monkeypatch.undo()


def test_extended_grid_streamed_and_misaligned_out(monkeypatch):
    """A streamed output (placed for the extended grid's first block) and an ``out=`` array
    misaligned by 4 bytes (the grid then restarts on a line, :func:`_il_grid`): both give the
    plain grid's bits, and the streamed call runs an extended grid."""
    monkeypatch.setattr(R, "_STREAM_MIN_BYTES", 1 << 16)
    img = _image((60, 70, 3), np.float32, seed=5)
    seen = _kernels(monkeypatch)
    on, off = _both(monkeypatch, img, 2)
    assert _extended(seen)
    assert _same(on, off)
    buf = np.empty(on.size + 16, np.float32)
    start = (-buf.ctypes.data // 4) % 16 + 1
    out = buf[start:start + on.size].reshape(on.shape)
    assert resize(img, 2, out=out) is out
    assert _same(out, off)


def test_extended_grid_on_two_threads_matches_one(monkeypatch):
    from classicsr import get_num_threads, set_num_threads

    before = get_num_threads()
    img = _image((131, 77, 3), np.float32, seed=2)
    try:
        set_num_threads(1)
        one = resize(img, 2)
        set_num_threads(2)
        two = resize(img, 2)
    finally:
        set_num_threads(before)
    assert _same(one, two)


@settings(max_examples=25)  # each new shape of table compiles kernels: CI time
@given(h=st.integers(8, 40), w=st.integers(8, 40), nch=st.integers(0, 4),
       scale=st.sampled_from([2, 3, 4, (1, 2), (2, 3), (3, 1)]),
       method=st.sampled_from(["bicubic", "bilinear", "lanczos2", "lanczos3"]),
       boundary=st.sampled_from(["symmetric", "replicate", "reflect", "wrap", "constant"]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_extended_grid_property(h, w, nch, scale, method, boundary, dtype):
    """Any shape, scale, method, boundary and float dtype: the bits of the plain grid."""
    shape = (h, w) if nch == 0 else (h, w, nch)
    img = _image(shape, dtype, seed=h * 41 + w, specials=True)
    with pytest.MonkeyPatch.context() as mp:
        on, off = _both(mp, img, scale, method=method, boundary=boundary)
    assert _same(on, off)


@pytest.mark.nojit_subset
def test_extended_grid_small_nojit_subset(monkeypatch):
    """The Python path of the padded row and its edge outputs (``NUMBA_DISABLE_JIT=1`` runs
    this again; without the JIT the blocks are off and the phases are filtered one by one,
    from the same padded row): against the reference and with the switch off."""
    for dtype, kw in ((np.float32, {}), (np.float64, {"boundary": "replicate"}),
                      (np.float32, {"boundary": "wrap", "method": "bilinear"})):
        img = _image((10, 12, 3), dtype, seed=11)
        seen = _kernels(monkeypatch)
        got = resize(img, 2, **kw)
        assert _extended(seen), kw
        want = reference_resize(img, 2, **kw)
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
        with pytest.MonkeyPatch.context() as mp:
            on, off = _both(mp, img, 2, **kw)
        assert _same(on, off), (dtype, kw)
        monkeypatch.undo()
