"""Rows-pass rows in pairs (``resample._rows_pair``, ``_rows_pair_fixed``).

In an upscale, consecutive output rows often read the same four source rows (x2: rows
``2m + 1`` and ``2m + 2``; x4: four rows in turn).  The fused kernels then compute both
rows-pass rows in one sweep, each source element loaded once for both, and filter each row's
columns on its own.  Every output must keep its own arithmetic (same chain in tap order,
same fixed-point lanes and rounding), so these tests compare the results with the module
switch ``_ROW_PAIRS`` off (one row at a time) bit for bit (a NaN only as a NaN: see
:func:`_same`), with the independent reference (``tests/naive_resize.py``), and the pair
functions with two calls of the single-row ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from classicsr import resize
from classicsr._kernels import resample as R

from .naive_resize import reference_resize

PAIRED = {"_fused_chunk_il", "_fused_chunk_direct", "_fused_chunk_fixed", "_rows_chunk4",
          "_rows_chunk_fixed", "_fused_chunk_lanes"}


def _image(shape, dtype, seed, specials=False):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, np.iinfo(dtype).max, size=shape, endpoint=True).astype(dtype)
    img = rng.uniform(-0.5, 1.5, size=shape).astype(dtype)
    if specials:
        flat = img.reshape(-1)
        for v in (np.nan, np.inf, -np.inf, -0.0):
            flat[rng.integers(0, flat.size)] = v
    return img


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


def _same(a, b):
    """Equal dtype, shape and bits, except that a NaN only has to be a NaN at the same place:
    where two NaNs (or a NaN and ``inf - inf``) meet in one sum, x86 returns the first
    operand's, and the compiler orders the operands of a commutative operation as it likes,
    so the sign and payload of such a NaN differ between paths (the older switches
    ``_FUSED_ROWS`` and ``_LANE_COLS`` show it too)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    nan = np.isnan(a)
    if not np.array_equal(nan, np.isnan(b)):
        return False
    return np.array_equal(_bits(a[~nan]), _bits(b[~nan]))


def _kernels(monkeypatch):
    """``[(name, args)]`` of every chunk kernel a call runs."""
    seen = []
    run = R._run_chunks

    def spy(kernel, nchunks, args):
        seen.append((getattr(kernel, "__name__", "?"), args))
        return run(kernel, nchunks, args)

    monkeypatch.setattr(R, "_run_chunks", spy)
    return seen


def _on_off(monkeypatch, switch, img, scale, **kw):
    """``(on, off)``: the result with the module switch ``switch`` on and off (left on)."""
    monkeypatch.setattr(R, switch, True)
    on = resize(img, scale, **kw)
    monkeypatch.setattr(R, switch, False)
    off = resize(img, scale, **kw)
    monkeypatch.setattr(R, switch, True)
    return on, off


def _both(monkeypatch, img, scale, **kw):
    """``(paired, single)``: the result with ``_ROW_PAIRS`` on and off."""
    return _on_off(monkeypatch, "_ROW_PAIRS", img, scale, **kw)


CASES = [
    # (dtype, shape, scale, options): every kernel and rows-pass kind that pairs rows
    (np.float32, (33, 29, 3), 2, {}),
    (np.float32, (33, 29), 4, {}),
    (np.float32, (20, 40, 2), (3, 2), {}),
    (np.float32, (21, 17, 4), 1.5, {}),
    (np.float32, (19, 23, 3), 2, {"method": "lanczos2"}),
    (np.float32, (18, 30), 2, {"boundary": "replicate"}),
    (np.float32, (25, 25, 3), 2.5, {}),
    (np.float32, (20, 23, 3), 2.2, {}),  # no period: eight rows in lanes
    (np.float64, (19, 26), None, {"output_shape": (61, 40)}),
    (np.uint8, (24, 22, 3), 3, {"round_each_pass": False}),
    (np.float64, (33, 29, 3), 2, {}),
    (np.float64, (17, 40), 4, {"boundary": "reflect"}),
    (np.float32, (31, 29, 3), 2, {"boundary": "constant"}),
    (np.uint8, (33, 29, 3), 2, {}),  # 16-bit lanes
    (np.uint8, (35, 70), 2, {}),
    (np.uint8, (33, 29, 3), 4, {}),  # pmaddwd
    (np.uint8, (33, 29, 3), 2, {"cubic_a": -0.75}),
    (np.uint8, (27, 31, 3), 2, {"round_each_pass": False}),  # float rows pass
    (np.uint16, (33, 29, 3), 2, {}),  # pmaddwd, 16-bit pixels
    (np.uint16, (30, 41), 3, {}),  # numerators: two single rows
    (np.uint16, (21, 19, 3), 5, {}),  # tie-checked numerators: two single rows
    (np.uint16, (33, 29, 3), 2, {"method": "lanczos2"}),  # float32 rows pass, rounded
    (np.uint16, (24, 26, 2), 4, {"channel_axis": -1}),
]


@pytest.mark.parametrize("dtype,shape,scale,kw", CASES)
def test_pairs_give_the_bits_of_single_rows(monkeypatch, dtype, shape, scale, kw):
    """Paired rows give every output the bits it gets one row at a time, on a kernel that
    pairs (so the case exercises the pairs, not another path)."""
    img = _image(shape, dtype, seed=sum(shape), specials=True)
    seen = _kernels(monkeypatch)
    on, off = _both(monkeypatch, img, scale, **kw)
    assert {name for name, _ in seen} & PAIRED, [name for name, _ in seen]
    assert _same(on, off)


def test_same_tells_values_apart():
    a = np.array([1.0, -0.0, np.inf, np.nan], dtype=np.float32)
    assert _same(a, a.copy())
    b = a.copy()
    b.view(np.uint32)[3] ^= 0x80000000  # the NaN's sign only
    assert _same(a, b)
    for i, v in ((0, np.nextafter(np.float32(1), np.float32(2))), (1, 0.0), (2, -np.inf),
                 (3, 0.0)):
        c = a.copy()
        c[i] = v
        assert not _same(a, c), i
    assert not _same(a, a.astype(np.float64))
    assert not _same(np.array([1, 2], np.uint8), np.array([1, 3], np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale,method", [(2, "bicubic"), (2.2, "lanczos2"), (4, "bicubic")])
def test_many_nans_and_infinities_stay_where_they_are(monkeypatch, dtype, scale, method):
    """One pixel in ten NaN or infinite (NaNs meeting infinities and each other in the
    sums): the same values everywhere, NaNs at the same places."""
    rng = np.random.default_rng(31)
    img = _image((40, 37, 3), dtype, seed=7)
    flat = img.reshape(-1)
    hit = rng.random(flat.size) < 0.1
    flat[hit] = rng.choice(np.array([np.nan, np.inf, -np.inf], dtype=dtype), size=hit.sum())
    on, off = _both(monkeypatch, img, scale, method=method)
    assert np.isnan(on).any() and np.isfinite(on).any()
    assert _same(on, off)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("scale", [2, 4, (2, 3), 1.5])
def test_paired_results_match_the_reference(dtype, scale):
    img = _image((23, 19, 3), dtype, seed=5)
    got = resize(img, scale)
    want = reference_resize(img, scale)
    if np.dtype(dtype).kind == "u":
        assert np.array_equal(got, want)
    else:
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_pairs_are_the_rows_with_the_same_source_rows():
    """``_row_pair`` pairs row ``i`` with ``i + 1`` exactly when both read the same four
    source rows and ``i + 1`` is in the chunk; never with the switch off, a checked table
    (``w64``) or a source-order plan."""
    from classicsr.resize import _tables

    for n_in, scale in ((40, 2.0), (40, 4.0), (40, 3.0), (40, 1.5)):
        idx, w = _tables(n_in, int(np.ceil(n_in * scale)), scale, "bicubic", True, "symmetric",
                         -0.5, np.dtype(np.float32))
        idx = np.ascontiguousarray(idx, dtype=np.intp)
        n_out = idx.shape[0]
        for hi in (n_out, n_out - 1, 7):
            for i in range(hi):
                same = i + 1 < hi and np.array_equal(idx[i], idx[i + 1])
                assert R._row_pair(idx, i, hi, None, None, True) == same, (scale, hi, i)
                assert not R._row_pair(idx, i, hi, None, None, False)
                assert not R._row_pair(idx, i, hi, w.astype(np.float64), None, True)
                assert not R._row_pair(idx, i, hi, None, np.zeros(6, np.intp), True)
        if scale in (2.0, 4.0):
            pairs = sum(R._row_pair(idx, i, n_out, None, None, True) for i in range(n_out))
            assert pairs >= n_out // 2 - 2, pairs  # most rows have a twin


def _chunk_args(monkeypatch, img, scale, name, **kw):
    seen = _kernels(monkeypatch)
    resize(img, scale, **kw)
    monkeypatch.undo()
    args = [a for n, a in seen if n == name]
    assert args, [n for n, _ in seen]
    return args[0]


@pytest.mark.parametrize("dtype,scale,name", [
    (np.float32, 2, "_fused_chunk_il"), (np.float32, 4, "_fused_chunk_il"),
    (np.uint8, 2, "_fused_chunk_direct"), (np.uint8, 4, "_fused_chunk_direct"),
    (np.uint16, 2, "_fused_chunk_fixed"), (np.float32, (3, 2), "_rows_chunk4"),
    (np.float32, 2.2, "_fused_chunk_lanes"),
    (np.uint8, (4, 2), "_rows_chunk_fixed")])
@pytest.mark.parametrize("nchunks", [1, 2, 3, 5, 8])
def test_a_chunk_writes_only_its_own_rows(monkeypatch, dtype, scale, name, nchunks):
    """A pair never reaches past its chunk (another thread's rows): each chunk run alone
    into a sentinel-filled output writes exactly its rows, with the values of the whole
    kernel run as one chunk."""
    img = _image((21, 26, 3), dtype, seed=3)
    args = _chunk_args(monkeypatch, img, scale, name)
    kernel = getattr(R, name)
    want = np.full_like(args[1], 7)
    kernel(args[0], want, *args[2:], 0, 1)
    assert not (want == 7).all(axis=tuple(range(1, want.ndim))).any()
    h_out = want.shape[0]
    for ch in range(nchunks):
        dst = np.full_like(want, 7)
        kernel(args[0], dst, *args[2:], ch, nchunks)
        lo, hi = ch * h_out // nchunks, (ch + 1) * h_out // nchunks
        assert _same(dst[lo:hi], want[lo:hi]), (ch, lo, hi)
        assert (dst[:lo] == 7).all() and (dst[hi:] == 7).all(), (ch, lo, hi)


def _float_rows_args(monkeypatch, dtype, **kw):
    args = _chunk_args(monkeypatch, _image((20, 24, 3), dtype, seed=1), 2, "_fused_chunk_il",
                       **kw)
    src, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma = (args[0],) + args[2:9]
    return src, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma


@pytest.mark.parametrize("dtype,kw", [
    (np.float32, {}), (np.float64, {}), (np.uint16, {"method": "lanczos2"}),
    (np.uint8, {"round_each_pass": False})])
@pytest.mark.parametrize("fma", [False, True])
def test_float_pair_equals_two_single_rows(monkeypatch, dtype, kw, fma):
    """``_rows_pair`` (both modes, plain and contracted) against two ``_rows_row`` calls on
    the same rows, with NaN, infinities and negative zeros in float sources."""
    src, ridx, rw, rw64, rmode, rconsts, rmaxval, rfma = _float_rows_args(monkeypatch, dtype,
                                                                          **kw)
    assert rw64 is None
    if src.dtype.kind == "f":
        src = _image(src.shape, src.dtype, seed=4, specials=True)
    length = src.shape[1]
    acc = np.empty(length, dtype=rw.dtype)
    n_pairs = 0
    for i in range(ridx.shape[0] - 1):
        if not R._row_pair(ridx, i, ridx.shape[0], None, None, True):
            continue
        n_pairs += 1
        o0, o1 = (np.full(length, 3, dtype=rw.dtype) for _ in range(2))
        R._rows_pair(src, o0, o1, i, ridx, rw, rmode, rconsts, fma)
        for o, row in ((o0, i), (o1, i + 1)):
            want = np.full(length, 5, dtype=rw.dtype)
            R._rows_row(src, want, row, ridx, rw, None, rmode, rconsts, rmaxval, fma, acc)
            assert _same(o, want), (i, row)
    assert n_pairs >= 15


def _fixed_rows(monkeypatch, dtype, scale, **kw):
    name = "_fused_chunk_direct" if dtype == np.uint8 else "_fused_chunk_fixed"
    args = _chunk_args(monkeypatch, _image((20, 40, 3), dtype, seed=2), scale, name, **kw)
    if name == "_fused_chunk_direct":
        src, ridx, rwi, rfc = args[0], args[2], args[3], args[4]
        mid = src.dtype
    else:
        src, mid, ridx, rwi, rfc = args[0], args[2].dtype, args[3], args[4], args[5]
    return src, mid, ridx, rwi, rfc


FIXED = [  # (dtype, scale, options, kind of the rows plan, run in 32-bit lanes)
    (np.uint8, 2, {}, 16, False), (np.uint8, 2, {}, 16, True),
    (np.uint8, 2, {"cubic_a": -0.75}, R._PMADD, False), (np.uint8, 4, {}, R._PMADD, False),
    (np.uint16, 2, {}, R._PMADD16, False), (np.uint16, 3, {}, R._NUMER16, False),
    (np.uint16, 5, {}, R._TIES16, False)]


@pytest.mark.parametrize("dtype,scale,kw,kind,lanes32", FIXED)
@pytest.mark.parametrize("length", [None, 31, 17, 5])
def test_fixed_pair_equals_two_single_rows(monkeypatch, dtype, scale, kw, kind, lanes32, length):
    """``_rows_pair_fixed`` against two ``_rows_row_fixed`` calls: each block kind (16- and
    32-bit lanes, pmaddwd for 8- and 16-bit pixels), the kinds that fall back to single rows,
    and rows shorter than a block.  ``lanes32``: a 16-bit plan run in 32-bit lanes (the same
    exact values in wider lanes), for the 32-bit pair block."""
    src, mid, ridx, rwi, rfc = _fixed_rows(monkeypatch, dtype, scale, **kw)
    assert rfc[4] == kind
    if lanes32:
        rfc = rfc.copy()
        rfc[4] = 32
    if length is not None:
        src = np.ascontiguousarray(src[:, :length])
    src = _image(src.shape, src.dtype, seed=int(kind) + src.shape[1])
    n = src.shape[1]
    n_pairs = 0
    for i in range(ridx.shape[0] - 1):
        if not R._row_pair(ridx, i, ridx.shape[0], None, None, True):
            continue
        n_pairs += 1
        o0, o1 = (np.full(n, 3, dtype=mid) for _ in range(2))
        R._rows_pair_fixed(src, o0, o1, i, ridx, rwi, rfc)
        for o, row in ((o0, i), (o1, i + 1)):
            want = np.full(n, 5, dtype=mid)
            R._rows_row_fixed(src, want, row, ridx, rwi, rfc)
            assert np.array_equal(o, want), (i, row)
    assert n_pairs >= 10


def test_a_16_bit_pair_starts_each_row_from_its_own_weights(monkeypatch):
    """16-bit pixels enter the pmaddwd lanes as ``x - 32768``, so each row's sums start from
    ``bias + 32768 sum_k W_k`` with its own weights.  A table's rows all sum to ``2**q``, so
    give the second row of every pair another sum (one weight changed by 1): the pair must
    still equal two single rows, each computing its own start."""
    src, mid, ridx, rwi, rfc = _fixed_rows(monkeypatch, np.uint16, 2)
    assert rfc[4] == R._PMADD16
    src = _image(src.shape, src.dtype, seed=8)
    n_pairs = 0
    for i in range(ridx.shape[0] - 1):
        if not R._row_pair(ridx, i, ridx.shape[0], None, None, True):
            continue
        n_pairs += 1
        wi = rwi.copy()
        wi[i + 1, 1] += 1
        o0, o1 = (np.empty(src.shape[1], dtype=mid) for _ in range(2))
        R._rows_pair_fixed(src, o0, o1, i, ridx, wi, rfc)
        for o, row in ((o0, i), (o1, i + 1)):
            want = np.empty(src.shape[1], dtype=mid)
            R._rows_row_fixed(src, want, row, ridx, wi, rfc)
            assert np.array_equal(o, want), (i, row)
    assert n_pairs >= 10


@pytest.mark.nojit_subset
def test_pairs_small_nojit_subset(monkeypatch):
    """The pair functions' Python path (``NUMBA_DISABLE_JIT=1`` runs this again): float rows
    (``_fir4x2``), float rows rounded into integers (uint16 lanczos2, uint8 without rounding
    between the passes) and fixed-point rows (single rows without the vector blocks), against
    the reference and with pairs off.  Without the JIT the kernels call the module's
    functions, so a spy counts the pairs."""
    calls = []
    if not R._JIT:
        for name in ("_rows_pair", "_rows_pair_fixed"):
            func = getattr(R, name)

            def spy(*args, _func=func, _name=name):
                calls.append(_name)
                return _func(*args)

            monkeypatch.setattr(R, name, spy)
    for dtype, kw in ((np.float32, {}), (np.float64, {"boundary": "replicate"}),
                      (np.uint16, {"method": "lanczos2"}), (np.uint8, {}),
                      (np.uint8, {"round_each_pass": False})):
        img = _image((10, 12, 3), dtype, seed=11)
        got = resize(img, 2, **kw)
        want = reference_resize(img, 2, **kw)
        if np.dtype(dtype).kind == "u":
            assert np.array_equal(got, want), (dtype, kw)
        else:
            tol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
        with pytest.MonkeyPatch.context() as mp:
            on, off = _both(mp, img, 2, **kw)
        assert _same(on, off), (dtype, kw)
    if not R._JIT:
        assert {"_rows_pair", "_rows_pair_fixed"} <= set(calls), calls


def test_pairs_on_two_threads_match_one(monkeypatch):
    from classicsr import get_num_threads, set_num_threads

    before = get_num_threads()
    try:
        for dtype in (np.uint8, np.uint16, np.float32):
            img = _image((131, 77, 3), dtype, seed=9)
            set_num_threads(1)
            one = resize(img, 2)
            set_num_threads(2)
            two = resize(img, 2)
            assert _same(one, two)
    finally:
        set_num_threads(before)


@given(h=st.integers(2, 24), w=st.integers(1, 40), nch=st.integers(0, 4),
       sr=st.sampled_from([1.5, 2, 2.5, 3, 4, 5]), sc=st.sampled_from([1, 2, 3, 4, 0.5]),
       dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.float64]),
       method=st.sampled_from(["bicubic", "lanczos2", "bilinear"]),
       boundary=st.sampled_from(["symmetric", "replicate", "reflect", "constant"]),
       seed=st.integers(0, 2 ** 16))
def test_property_pairs_change_no_bit(h, w, nch, sr, sc, dtype, method, boundary, seed):
    img = _image((h, w, nch) if nch else (h, w), dtype, seed, specials=True)
    with pytest.MonkeyPatch.context() as mp:
        on, off = _both(mp, img, (sr, sc), method=method, boundary=boundary)
    assert _same(on, off)
