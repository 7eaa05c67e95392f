"""The output-order float32 columns pass (AVX-512 lane permutes, ``resample._fd_row``).

Float32 columns passes of periodic tables (integer and fractional upscales, 2-6 taps, any
channel count whose period fits the blocks) are computed sixteen outputs at a time in output
order: each lane gathers its own taps from a window of the source row.  Every lane must get
its own output's taps and weights, in tap order, so the results are the other paths' bits
exactly: these tests compare against those paths (module switch ``_FLOAT_DIRECT`` off), an
independent reference (``tests/naive_resize.py``) and the table itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R
from classicsr.resize import _tables

from .naive_resize import reference_resize
from .test_resample_fast import _spy_kernels

pytestmark = pytest.mark.skipif(not R._FD_OK, reason="needs Numba targeting AVX-512 (JIT on)")


def _table(n_in, scale, method="bicubic", boundary="symmetric"):
    n_out = int(np.ceil(n_in * scale))
    idx, w = _tables(n_in, n_out, scale, method, True, boundary, -0.5, np.dtype(np.float32))
    return np.ascontiguousarray(idx, dtype=np.intp), np.ascontiguousarray(w)


def _plan(n_in, scale, nch, method="bicubic", t_shift=0, boundary="symmetric"):
    idx, w = _table(n_in, scale, method, boundary)
    j0, p, q, m = R._plan(idx, w).poly(np.float32)[:4]
    t0 = max(j0 * nch, R._FD_LANES) + t_shift
    return idx, w, R._fd_plan(idx, w, nch, j0, p, q, j0 + p * m, t0)


def _lanes(fdi, fdw, nch, ntaps):
    """Every output element of a row as the descriptors describe it: ``{t: (src, w)}`` with
    the source elements and weights of its taps (later vectors overwrite earlier ones, as
    the stores do)."""
    lanes = R._FD_LANES
    kind = int(fdi[R._FD_KIND])
    nvec = R._FD_VS[(kind - 1) // 2 // len(R._FD_KS)]
    t0, count, stride, nx = (int(fdi[k]) for k in (R._FD_T0, R._FD_COUNT, R._FD_STRIDE,
                                                   R._FD_NX))
    bases = fdi[R._FD_HEAD:R._FD_HEAD + nvec]
    sel = fdi[R._FD_HEAD + nvec:R._FD_HEAD + nvec + nvec * ntaps * lanes]
    sel = sel.reshape(nvec, ntaps, lanes)
    wts = fdw[:nvec * ntaps * lanes].reshape(nvec, ntaps, lanes)
    got = {}
    for n in range(count):
        per, v = divmod(n, nvec)
        for lane in range(lanes):
            src = per * stride + bases[v] + sel[v, :, lane]
            got[t0 + lanes * n + lane] = (tuple(src), tuple(wts[v, :, lane]))
    rest = fdi[R._FD_HEAD + nvec + nvec * ntaps * lanes:].reshape(nx, 2 + ntaps * lanes)
    rw = fdw[nvec * ntaps * lanes:].reshape(nx, ntaps, lanes)
    for e in range(nx):
        t, base = int(rest[e, 0]), int(rest[e, 1])
        s = rest[e, 2:].reshape(ntaps, lanes)
        for lane in range(lanes):
            got[t + lane] = (tuple(base + s[:, lane]), tuple(rw[e, :, lane]))
    return got


@pytest.mark.parametrize("n_in,scale,nch,method", [
    (64, 4.0, 3, "bicubic"), (64, 3.0, 3, "bicubic"), (50, 2.0, 3, "bicubic"),
    (64, 1.5, 3, "bilinear"), (40, 2.0, 3, "lanczos3"), (64, 3.0, 1, "bicubic"),
    (64, 5.0, 1, "bicubic"), (64, 2.0, 4, "bicubic"), (64, 4.0, 4, "bicubic"),
    (37, 3.0, 2, "bicubic"), (64, 1.5, 1, "bilinear"), (30, 2.0, 2, "lanczos2")])
@pytest.mark.parametrize("t_shift", [0, 1, 5, 15])
def test_descriptors_give_every_output_its_own_taps(n_in, scale, nch, method, t_shift):
    """Read back from the descriptors alone, every output element of the row (borders
    included) has the tap indices and float32 weights of its own table row, in tap order."""
    idx, w, plan = _plan(n_in, scale, nch, method, t_shift)
    assert plan is not None
    fdi, fdw = plan
    got = _lanes(fdi, fdw, nch, idx.shape[1])
    n_out = idx.shape[0]
    assert sorted(got) == list(range(n_out * nch))
    # the border vectors never reach into the periodic ones (whose lines may be streamed)
    t0, tend = int(fdi[R._FD_T0]), int(fdi[R._FD_T0] + R._FD_LANES * fdi[R._FD_COUNT])
    nvec = R._FD_VS[(int(fdi[R._FD_KIND]) - 1) // 2 // len(R._FD_KS)]
    rest = fdi[R._FD_HEAD + nvec + nvec * idx.shape[1] * R._FD_LANES:]
    for t in rest.reshape(int(fdi[R._FD_NX]), -1)[:, 0]:
        assert t + R._FD_LANES <= t0 or t >= tend, (t, t0, tend)
    for t, (src, wts) in got.items():
        j, c = divmod(t, nch)
        assert src == tuple(idx[j] * nch + c), (t, src)
        assert np.array_equal(np.array(wts, np.float32).view(np.int32), w[j].view(np.int32))


def test_plan_refuses_what_the_blocks_cannot_do():
    # five phases of three channels: 15 vectors per period (no block)
    assert _plan(64, 5.0, 3)[2] is None
    # bilinear x2.5 in colour: the same
    assert _plan(64, 2.5, 3, "bilinear")[2] is None
    # rows narrower than one vector
    idx, w = _table(64, 3.0)
    j0 = R._plan(idx, w).poly(np.float32)[0]
    assert R._fd_plan(idx[:j0 + 12], w[:j0 + 12], 1, j0, 3, 1, j0 + 12, 16) is None
    # a table that is not periodic to the bit where the vectors would run
    idx, w = _table(64, 4.0)
    j0, p, q, m = R._plan(idx, w).poly(np.float32)[:4]
    w2 = w.copy()
    w2[j0 + p * 5, 1] = np.nextafter(w2[j0 + p * 5, 1], np.float32(1))
    t0 = max(3 * j0, 16)
    assert R._fd_plan(idx, w2, 3, j0, p, q, j0 + p * m, t0) is None
    assert R._fd_plan(idx, w, 3, j0, p, q, j0 + p * m, t0) is not None
    # gray: j0 < 16, and a start before element 16 leaves no room for a border vector
    assert j0 < 15 and R._fd_plan(idx, w, 1, j0, p, q, j0 + p * m, 16) is not None
    assert R._fd_plan(idx, w, 1, j0, p, q, j0 + p * m, 15) is None


def test_setup_chooses_the_blocks_only_where_they_apply(monkeypatch):
    idx, w = _table(64, 4.0)
    plan = R._plan(idx, w)
    dst = np.empty((8, 256 * 3), np.float32)
    assert R._fd_setup(plan, 3, dst, R.MODE_FLOAT, False)[0][R._FD_KIND] != 0
    # gray rows of an even factor keep the shared-taps blocks, unless streamed
    gray = np.empty((8, 256), np.float32)
    assert R._fd_setup(plan, 1, gray, R.MODE_FLOAT, False) is R._FD_NONE
    assert R._fd_setup(plan, 1, gray, R.MODE_FLOAT, True)[0][R._FD_KIND] != 0
    # float64 and integer outputs, rounding modes, no AVX-512 target, the switch
    assert R._fd_setup(plan, 3, dst.astype(np.float64), R.MODE_FLOAT, False) is R._FD_NONE
    assert R._fd_setup(plan, 3, dst, R.MODE_ROUND, False) is R._FD_NONE
    monkeypatch.setattr(R, "_FD_OK", False)
    assert R._fd_setup(plan, 3, dst, R.MODE_FLOAT, False) is R._FD_NONE
    monkeypatch.setattr(R, "_FD_OK", True)
    monkeypatch.setattr(R, "_FLOAT_DIRECT", False)
    assert R._fd_setup(plan, 3, dst, R.MODE_FLOAT, False) is R._FD_NONE


def test_setup_puts_vectors_on_cache_lines():
    """Rows that share one offset from a 64-byte line get vectors starting on a line (and
    streaming stores when asked); rows that do not share one get plain stores."""
    idx, w = _table(64, 4.0)
    plan = R._plan(idx, w)
    raw = np.empty(8 * 768 + 64, np.float32)
    for shift in range(16):
        off = (-raw.ctypes.data // 4 + shift) % 16
        dst = raw[off:off + 8 * 768].reshape(8, 768)
        fdi = R._fd_setup(plan, 3, dst, R.MODE_FLOAT, True)[0]
        assert (dst.ctypes.data + 4 * int(fdi[R._FD_T0])) % 64 == 0
        assert fdi[R._FD_NT] == 1
    odd = np.empty((8, 769), np.float32)[:, :765]  # 769 * 4 bytes apart: each row its own offset
    assert R._fd_setup(plan, 3, odd, R.MODE_FLOAT, True)[0][R._FD_NT] == 0


def _spy_setup(monkeypatch):
    kinds = []
    real = R._fd_setup

    def spy(*args):
        got = real(*args)
        kinds.append(int(got[0][R._FD_KIND]))
        return got

    monkeypatch.setattr(R, "_fd_setup", spy)
    return kinds


def _both(monkeypatch, img, scale, **kw):
    """``resize`` with the output-order blocks and without; asserts they ran."""
    kinds = _spy_setup(monkeypatch)
    out = resize(img, scale, **kw)
    assert any(kinds), (img.shape, scale, kw)
    monkeypatch.setattr(R, "_FLOAT_DIRECT", False)
    other = resize(img, scale, **kw)
    monkeypatch.setattr(R, "_FLOAT_DIRECT", True)
    return out, other


def _same_bits(a, b):
    assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))


_CASES = [((40, 53, 3), 4, "bicubic"), ((40, 53, 3), 3, "bicubic"), ((33, 70, 3), 2, "bicubic"),
          ((20, 64, 3), 1.5, "bilinear"), ((20, 64, 3), 1.5, "bicubic"), ((25, 31), 3, "bicubic"),
          ((25, 31), 5, "bicubic"), ((25, 61), 1.5, "bilinear"), ((19, 40, 4), 2, "bicubic"),
          ((19, 40, 4), 4, "bilinear"), ((19, 40, 2), 3, "bicubic"), ((30, 40, 3), 2, "lanczos3"),
          ((30, 40, 3), 3, "lanczos2"), ((30, 40, 3), (2, 3), "bicubic"),
          ((30, 40, 3), (4, 1.5), "bicubic"), ((30, 40, 3), (1, 4), "bicubic"),
          ((30, 40, 3), (0.5, 3), "bicubic")]


@pytest.mark.parametrize("shape,scale,method", _CASES)
@pytest.mark.parametrize("boundary", ["symmetric", "replicate"])
def test_resizes_equal_the_other_paths_and_the_reference(monkeypatch, shape, scale, method,
                                                         boundary):
    """Fused (rows first, or columns first where that axis scales less) and as separate
    passes: the same bits as the paths the blocks replace, and the reference to 1e-5."""
    img = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    ref = reference_resize(img, scale, method=method, boundary=boundary)
    for fused in (True, False):
        monkeypatch.setattr(R, "_FUSED_PASSES", fused)
        out, other = _both(monkeypatch, img, scale, method=method, boundary=boundary)
        _same_bits(out, other)
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_columns_first_and_source_rows_are_used(monkeypatch):
    """A scale pair whose columns scale less runs the columns pass first, into the ring."""
    seen = _spy_kernels(monkeypatch)
    monkeypatch.setattr(R, "_COLS_FIRST_MIN_MID", 0)  # fused whatever the intermediate's size
    img = np.random.default_rng(3).random((60, 50, 3)).astype(np.float32)
    out, other = _both(monkeypatch, img, (4, 2))
    assert "_fused_cols_first_il" in seen, seen
    _same_bits(out, other)


def test_nan_and_inf_propagate_as_in_the_other_paths(monkeypatch):
    img = np.random.default_rng(4).random((30, 60, 3)).astype(np.float32)
    img[5, 7, 1] = np.nan
    img[20, 30, 0] = np.inf
    img[10, 0, 2] = -np.inf
    img[0, 59, 0] = np.nan
    out, other = _both(monkeypatch, img, 4)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(other))
    assert np.isnan(out).any() and np.isinf(out).any()
    np.testing.assert_array_equal(out[~np.isnan(out)], other[~np.isnan(other)])


@pytest.mark.parametrize("nthreads", [1, 2])
def test_large_streamed_outputs_and_threads(monkeypatch, nthreads):
    """An output above the streaming threshold (streaming stores on lines), at one and two
    threads, into new arrays and ``out=`` arrays that start anywhere on a line."""
    import numba

    monkeypatch.setattr(R, "_STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)
    img = np.random.default_rng(5).random((64, 96, 3)).astype(np.float32)
    old = numba.get_num_threads()
    numba.set_num_threads(min(nthreads, numba.config.NUMBA_NUM_THREADS))
    try:
        out, other = _both(monkeypatch, img, 4)
        _same_bits(out, other)
        raw = np.empty(out.size + 16, np.float32)
        for shift in (0, 1, 3, 8):
            dst = raw[shift:shift + out.size].reshape(out.shape)
            dst[...] = -1
            got = resize(img, 4, out=dst)
            assert got is dst
            _same_bits(dst, other)
    finally:
        numba.set_num_threads(old)


def test_input_is_not_modified_and_may_be_read_only_or_strided(monkeypatch):
    base = np.random.default_rng(6).random((40, 100, 3)).astype(np.float32)
    img = base[:, ::2]
    keep = img.copy()
    img.flags.writeable = False if img.base is None else img.flags.writeable
    out, other = _both(monkeypatch, img, 3)
    _same_bits(out, other)
    np.testing.assert_array_equal(img, keep)
    ro = base.copy()
    ro.flags.writeable = False
    out, other = _both(monkeypatch, ro, 4)
    _same_bits(out, other)


@given(h=st.integers(1, 12), w=st.integers(6, 70), nch=st.integers(0, 5),
       sr=st.sampled_from([1, 2, 3, 4, 1.5]), sc=st.sampled_from([2, 3, 4, 5, 1.5, 2.5, 1.25]),
       method=st.sampled_from(["bicubic", "bilinear", "lanczos3", "lanczos2"]),
       boundary=st.sampled_from(["symmetric", "replicate"]), seed=st.integers(0, 2 ** 16))
def test_property_same_bits_as_the_other_paths(h, w, nch, sr, sc, method, boundary, seed):
    shape = (h, w) if nch == 0 else (h, w, nch)
    img = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    out = resize(img, (sr, sc), method=method, boundary=boundary)
    R._FLOAT_DIRECT = False
    try:
        other = resize(img, (sr, sc), method=method, boundary=boundary)
    finally:
        R._FLOAT_DIRECT = True
    _same_bits(out, other)
