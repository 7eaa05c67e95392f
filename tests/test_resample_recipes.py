"""Recorded kernel calls of small resizes (``_Recipe`` in ``classicsr._kernels.resample``).

A small resize records the kernel calls of its first call; the next call with the same key
(tables, shapes, dtypes, thread count, module switches) replays them on its own input and
output.  The replayed result must be the planned path's bits for every input (not the first
call's), every output must be a fresh array (or the caller's ``out``), the caller's arrays
must stay unchanged, a switch set on the module must drop the recipes, large images must not
be recorded, and threads must not share work buffers.  The planned path itself is checked
against ``tests/naive_resize.py`` elsewhere; here it is the independent side.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from classicsr import get_num_threads, resize, set_num_threads
from classicsr._kernels import resample as R

from .naive_resize import reference_resize

DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


def _image(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, np.iinfo(dtype).max, size=shape, endpoint=True).astype(dtype)
    return rng.uniform(-0.5, 1.5, size=shape).astype(dtype)


def _planned(monkeypatch, img, scale, **kw):
    """The result with recipes off (every call planned)."""
    monkeypatch.setattr(R, "_RECIPES_ON", False)
    try:
        return resize(img, scale, **kw)
    finally:
        monkeypatch.setattr(R, "_RECIPES_ON", True)


def _spy(monkeypatch, name):
    """Replace ``R.<name>`` by a wrapper that notes each call's first argument in the
    returned list and then calls the function."""
    seen = []
    func = getattr(R, name)

    def spy(*args, **kw):
        seen.append(args[0] if args else None)
        return func(*args, **kw)

    monkeypatch.setattr(R, name, spy)
    return seen


def _count_planned(monkeypatch):
    """Count the calls that plan (``_run_passes``) instead of replaying."""
    return _spy(monkeypatch, "_run_passes")


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


CASES = [
    # (shape, scale, options)
    ((9, 11), 2, {}),
    ((9, 11, 3), 2, {}),
    ((12, 10, 3), 0.5, {}),
    ((12, 10, 2), 1.5, {}),
    ((16, 13, 4), 3, {"method": "bilinear"}),
    ((13, 16, 3), (2, 0.75), {"boundary": "replicate"}),
    ((20, 9), (0.3, 1), {"method": "lanczos3"}),
    ((10, 10, 3), 4, {"method": "nearest"}),
    ((10, 12, 3), 2.5, {"method": "box"}),
    ((11, 9, 5), 2, {}),
    ((14, 15, 3), 1.25, {"boundary": "constant"}),
    ((8, 40, 3), (5, 1.5), {"boundary": "reflect"}),
    ((17, 12, 3), 0.25, {"method": "bicubic", "antialias": False}),
    ((12, 12, 3), 2, {"round_each_pass": False}),
    ((12, 14, 3), (1.5, 3), {"channel_axis": 0}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape, scale, kw", CASES)
def test_replay_gives_the_planned_bits_for_new_inputs(monkeypatch, dtype, shape, scale, kw):
    if kw.get("channel_axis") == 0:
        shape = shape[::-1]
    planned = _count_planned(monkeypatch)
    images = [_image(shape, dtype, seed) for seed in range(3)]
    results = [resize(img, scale, **kw) for img in images]
    assert len(planned) == 1, "only the first call plans, the others replay"
    for img, got in zip(images, results):
        want = _planned(monkeypatch, img, scale, **kw)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(_bits(got), _bits(want))
    # the replays read their own inputs: different images give different results
    assert not np.array_equal(results[1], results[2])


@pytest.mark.parametrize("dtype", (np.uint8, np.float64), ids=lambda d: np.dtype(d).name)
def test_replay_matches_the_naive_reference(monkeypatch, dtype):
    planned = _count_planned(monkeypatch)
    for seed in range(3):
        img = _image((13, 17, 3), dtype, seed)
        got = resize(img, 2.5, boundary="replicate")
        want = reference_resize(img, (2.5, 2.5), boundary="replicate")
        if dtype == np.uint8:
            assert np.array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert len(planned) == 1


def test_each_call_returns_a_fresh_array_and_leaves_the_input_alone():
    img = _image((10, 10, 3), np.float32, 0)
    img.setflags(write=False)
    before = img.copy()
    a = resize(img, 2)
    b = resize(img, 2)
    c = resize(img, 2)
    assert not np.shares_memory(a, b) and not np.shares_memory(b, c)
    a[...] = 7
    assert np.array_equal(b, c) and not np.array_equal(a, b)
    assert np.array_equal(img, before)


@pytest.mark.parametrize("channel_axis", (-1, 0))
def test_replay_writes_into_each_callers_out(monkeypatch, channel_axis):
    shape = (3, 9, 10) if channel_axis == 0 else (9, 10, 3)
    out_shape = (3, 18, 20) if channel_axis == 0 else (18, 20, 3)
    images = [_image(shape, np.uint8, seed) for seed in range(3)]
    wants = [_planned(monkeypatch, img, 2, channel_axis=channel_axis) for img in images]
    planned = _count_planned(monkeypatch)
    outs = [np.full(out_shape, 1, dtype=np.uint8) for _ in images]
    for img, out in zip(images, outs):
        assert resize(img, 2, out=out, channel_axis=channel_axis) is out
    assert len(planned) == 1
    for out, want in zip(outs, wants):
        assert np.array_equal(out, want)
    assert not np.array_equal(outs[0], outs[1])


def test_a_switch_set_on_the_module_drops_the_recipes(monkeypatch):
    img = _image((12, 12, 3), np.float32, 1)
    resize(img, 2)
    resize(img, 2)  # replayed
    seen = _spy(monkeypatch, "fused_passes")
    resize(img, 2)
    assert len(seen) == 1, "the recorded calls must not outlive a changed module attribute"
    # with the switch off, the separate passes run, and then replay from their own recipe
    monkeypatch.setattr(R, "_FUSED_PASSES", False)
    planned = _count_planned(monkeypatch)
    r1 = resize(img, 2)
    r2 = resize(img, 2)
    assert len(planned) == 1 and len(seen) == 1
    assert np.array_equal(_bits(r1), _bits(r2))


def test_no_recipes_while_the_chunk_runner_is_replaced(monkeypatch):
    kernels = _spy(monkeypatch, "_run_chunks")
    planned = _count_planned(monkeypatch)
    img = _image((10, 10, 3), np.uint8, 2)
    for _ in range(3):
        resize(img, 2)
    assert len(planned) == 3 and len(kernels) == 3


def test_large_images_are_not_recorded(monkeypatch):
    planned = _count_planned(monkeypatch)
    limit = min(R._RECIPE_MAX_BYTES, R._STREAM_ROWS_MIN_BYTES)
    side = int(np.sqrt(limit / 4)) + 1  # float32 gray input of at least the limit
    img = np.zeros((side, side), dtype=np.float32)
    resize(img, 0.5)
    resize(img, 0.5)
    assert len(planned) == 2
    small = np.zeros((side // 2, side // 2), dtype=np.float32)  # output 4x the input: too big
    resize(small, 2)
    resize(small, 2)
    assert len(planned) == 4


def test_calls_keeping_too_much_memory_are_not_recorded(monkeypatch):
    img = _image((40, 30, 3), np.float32, 5)
    monkeypatch.setattr(R, "_RECIPE_KEPT_MAX", 0)  # any work buffer or writeable table
    planned = _count_planned(monkeypatch)
    for _ in range(3):
        resize(img, (2, 0.5))  # columns first, separate passes: an intermediate buffer
    assert len(planned) == 3
    monkeypatch.setattr(R, "_RECIPE_KEPT_MAX", 1024 ** 2)
    planned.clear()
    for _ in range(3):
        resize(img, (2, 0.5))
    assert len(planned) == 1


def test_writeable_tables_are_analysed_on_every_call():
    # a caller may change a writeable table between calls: nothing derived from it is kept
    from classicsr.resize import contributions

    img = _image((10, 12, 3), np.float64, 6)
    passes = []
    for ax, (n_in, n_out) in enumerate(((10, 20), (12, 24))):
        idx, w = contributions(n_in, n_out, 2.0, "bicubic")
        passes.append((ax, np.ascontiguousarray(idx, dtype=np.intp), np.ascontiguousarray(w)))
    args = ((20, 24), np.dtype(np.float64), np.dtype(np.float64), 0.0)
    first = R.run_passes(img, passes, *args)
    assert np.array_equal(R.run_passes(img, passes, *args), first)
    passes[1][2][:] = passes[1][2][:, ::-1]  # the columns weights reversed, in place
    changed = R.run_passes(img, passes, *args)
    want = reference_resize(img, 2.0)
    np.testing.assert_allclose(first, want, rtol=0, atol=1e-12)
    assert not np.allclose(changed, first)
    R._RECIPES_ON = False
    try:
        planned = R._run_passes(img, passes, *args)
    finally:
        R._RECIPES_ON = True
    np.testing.assert_array_equal(changed, planned)
    passes[1][2][:] = passes[1][2][:, ::-1]
    np.testing.assert_array_equal(R.run_passes(img, passes, *args), first)


def test_the_recipes_per_thread_are_bounded(monkeypatch):
    monkeypatch.setattr(R, "_RECIPES_MAX", 5)
    img = _image((6, 6), np.float64, 3)
    for n in range(7, 20):
        resize(img, output_shape=(n, n))
    assert len(R._RECIPES.cache) <= 5


def test_thread_count_is_part_of_the_key(monkeypatch):
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)  # split even small passes
    threads = get_num_threads()
    img = _image((16, 16, 3), np.float32, 4)
    try:
        set_num_threads(1)
        one = [resize(img, 2) for _ in range(2)]
        set_num_threads(2)
        two = [resize(img, 2) for _ in range(2)]
    finally:
        set_num_threads(threads)
    assert {key[0] for key in R._RECIPES.cache} == {1, 2}
    want = _planned(monkeypatch, img, 2)
    for got in one + two:
        assert np.array_equal(_bits(got), _bits(want))


def test_python_threads_do_not_share_work_buffers():
    # the non-fused passes keep the intermediate image in a per-thread buffer: recipes are
    # per thread, so concurrent replays never write one buffer at once
    shapes = [(24, 20, 3), (24, 20, 3), (30, 14, 3), (24, 20, 1)]
    scales = [(2, 0.5), (3, 1.5), (0.5, 2), (2, 0.5)]
    errors = []

    def work(t):
        try:
            rng = np.random.default_rng(t)
            for i in range(40):
                k = (t + i) % len(shapes)
                img = rng.integers(0, 256, size=shapes[k], dtype=np.uint8)
                got = resize(img, scales[k], round_each_pass=False)
                want = reference_resize(img, scales[k], round_each_pass=False)
                if not np.array_equal(got, want):
                    errors.append((t, i))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_keyed_calls_find_their_recipe_without_the_recipe_key(monkeypatch, dtype):
    """``resize`` passes its call key: from the second call on, a call with ``out=None``
    finds its recipe by that key and the thread count, without building the recipe key,
    and gives the planned path's bits for each new input."""
    keyed = _spy(monkeypatch, "_recipe_key")
    planned = _count_planned(monkeypatch)
    images = [_image((9, 11, 3), dtype, seed) for seed in range(4)]
    results = [resize(img, 2) for img in images]
    assert len(planned) == 1 and len(keyed) == 1
    assert len(R._RECIPES.calls) == 1
    for img, got in zip(images, results):
        assert np.array_equal(_bits(got), _bits(_planned(monkeypatch, img, 2)))


def test_keyed_calls_follow_the_thread_count(monkeypatch):
    monkeypatch.setattr(R, "_MIN_CHUNK_WORK", 0)  # split even small passes
    keyed = _spy(monkeypatch, "_recipe_key")
    threads = get_num_threads()
    img = _image((16, 16, 3), np.float32, 4)
    try:
        set_num_threads(1)
        one = [resize(img, 2) for _ in range(3)]
        set_num_threads(2)
        two = [resize(img, 2) for _ in range(3)]
        set_num_threads(1)
        again = resize(img, 2)
    finally:
        set_num_threads(threads)
    # recorded at one thread, at two (a miss by the thread count), then a one-thread recipe
    # again (the key's entry holds the last recipe only)
    assert len(keyed) == 3
    assert {key[0] for key in R._RECIPES.cache} == {1, 2}
    want = _planned(monkeypatch, img, 2)
    for got in one + two + [again]:
        assert np.array_equal(_bits(got), _bits(want))


def test_keyed_calls_are_bounded_with_the_recipes(monkeypatch):
    """At most ``_RECIPES_MAX`` keyed calls, each holding a recipe of the recipe cache (so the
    memory the recipes keep stays bounded): dropping recipes forgets the keyed calls."""
    monkeypatch.setattr(R, "_RECIPES_MAX", 5)
    img = _image((6, 6), np.float64, 3)
    for n in range(7, 20):
        resize(img, output_shape=(n, n))
        calls = R._RECIPES.calls
        assert len(calls) <= 5
        kept = list(R._RECIPES.cache.values())
        assert all(any(r is k for k in kept) for _, r in calls.values())
    want = _planned(monkeypatch, img, 2)
    assert np.array_equal(_bits(resize(img, 2)), _bits(want))


def test_calls_into_out_are_not_keyed(monkeypatch):
    img = _image((10, 12, 3), np.uint8, 5)
    out = np.empty((20, 24, 3), np.uint8)
    keyed = _spy(monkeypatch, "_recipe_key")
    for _ in range(3):
        assert resize(img, 2, out=out) is out
    assert len(keyed) == 3 and not R._RECIPES.calls
    assert np.array_equal(out, _planned(monkeypatch, img, 2))


@settings(max_examples=60)
@given(
    h=st.integers(1, 30), w=st.integers(1, 30), nch=st.integers(0, 4),
    sy=st.sampled_from([0.25, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]),
    sx=st.sampled_from([0.25, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]),
    dtype=st.sampled_from(DTYPES),
    method=st.sampled_from(["bicubic", "bilinear", "nearest", "lanczos2", "box"]),
    boundary=st.sampled_from(["symmetric", "replicate", "reflect", "wrap", "constant"]),
    seed=st.integers(0, 2**16),
)
def test_replay_property(h, w, nch, sy, sx, dtype, method, boundary, seed):
    shape = (h, w) if nch == 0 else (h, w, nch)
    kw = {"method": method, "boundary": boundary}
    first = _image(shape, dtype, seed)
    second = _image(shape, dtype, seed + 1)
    resize(first, (sy, sx), **kw)  # recorded (or planned: identity, too large)
    got = resize(second, (sy, sx), **kw)
    R._RECIPES_ON = False
    try:
        want = resize(second, (sy, sx), **kw)
    finally:
        R._RECIPES_ON = True
    assert np.array_equal(_bits(got), _bits(want))


# ---------------------------------------------------------------------------------------------
# classicsr.resize's own memo of validated, planned calls (``_CALLS``)

RZ = __import__("sys").modules["classicsr.resize"]


@pytest.mark.parametrize("good, bad, error", [
    ({"scale": 1}, {"scale": True}, TypeError),
    ({"scale": (1, 2)}, {"scale": (True, 2)}, TypeError),
    ({"scale": 2, "antialias": True}, {"scale": 2, "antialias": 1}, TypeError),
    ({"scale": 2, "round_each_pass": False}, {"scale": 2, "round_each_pass": 0}, TypeError),
    ({"output_shape": (16, 16)}, {"output_shape": (16.0, 16)}, TypeError),
    ({"scale": 2, "channel_axis": 1}, {"scale": 2, "channel_axis": True}, TypeError),
    ({"scale": 2, "method": "bicubic"}, {"scale": 2, "method": "bicubicx"}, ValueError),
    ({"scale": 2}, {"scale": 2, "cubic_a": float("nan")}, ValueError),
])
def test_a_kept_call_never_accepts_what_the_checks_refuse(good, bad, error):
    img = np.zeros((8, 8, 3), dtype=np.uint8)
    for _ in range(2):
        resize(img, **good)
        with pytest.raises(error):
            resize(img, **bad)


def test_kept_calls_follow_the_output_bound(monkeypatch):
    img = np.zeros((8, 8), dtype=np.float32)
    resize(img, 4)
    monkeypatch.setattr(RZ._config, "MAX_OUTPUT_BYTES", 32 * 32 * 4 - 1)
    with pytest.raises(ValueError, match="CLASSICSR_MAX_OUTPUT_BYTES"):
        resize(img, 4)


def test_kept_calls_are_bounded_and_other_types_are_checked_each_time(monkeypatch):
    monkeypatch.setattr(RZ, "_CALLS", {})
    monkeypatch.setattr(RZ, "_CALLS_MAX", 4)
    img = np.zeros((6, 6), dtype=np.float64)
    for n in range(7, 17):
        resize(img, output_shape=(n, n))
        assert len(RZ._CALLS) <= 4
    size = len(RZ._CALLS)
    resize(img, np.float64(2))  # a numpy scalar: checked in full, not kept
    resize(img, [2, 2])
    assert len(RZ._CALLS) == size
    assert resize(img, np.float64(2)).shape == resize(img, 2).shape == (12, 12)
