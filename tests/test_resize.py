"""classicsr.resize against the slow reference, MATLAB's files and mathematical properties."""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

import classicsr
from classicsr import resize
from classicsr.resize import contributions

from .naive_resize import reference_resize
from .strategies import BOUNDARIES, METHODS, images, scales


def _tol(dtype):
    return {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}.get(np.dtype(dtype), 0)


def assert_matches_reference(out, ref, dtype):
    assert out.shape == ref.shape
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        np.testing.assert_array_equal(out, ref)
    else:
        scale = max(1.0, float(np.nanmax(np.abs(ref))) if ref.size else 1.0)
        np.testing.assert_allclose(out, ref, rtol=0, atol=_tol(dtype) * scale)


# --- exhaustive small grid against the reference --------------------------------------------

GRID = list(itertools.product(METHODS, [0.5, 1 / 3, 2.0, 1.7, 0.6], [np.uint8, np.float64]))


@pytest.mark.nojit_subset
@pytest.mark.parametrize("method,scale,dtype", GRID[:6])
def test_reference_small_nojit_subset(method, scale, dtype):
    rng = np.random.default_rng(0)
    img = (rng.random((7, 9, 2)) * 255).astype(dtype)
    out = resize(img, scale, method=method)
    assert out.dtype == img.dtype
    assert_matches_reference(out, reference_resize(img, scale, method=method), dtype)


@pytest.mark.parametrize("method,scale,dtype", GRID)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_matches_reference_grid(method, scale, dtype, boundary):
    rng = np.random.default_rng(1)
    img = (rng.random((13, 10, 3)) * 255).astype(dtype)
    out = resize(img, scale, method=method, boundary=boundary)
    ref = reference_resize(img, scale, method=method, boundary=boundary)
    assert_matches_reference(out, ref, dtype)


@pytest.mark.parametrize("shape", [(9, 17), (9, 41, 3), (20, 41, 4), (33, 64, 3)])
@pytest.mark.parametrize("scale", [0.7, 1.5, 2.5, 3.7, (1.3, 0.6)])
@pytest.mark.parametrize("method", METHODS)
def test_uint8_small_images_match_reference(method, scale, shape):
    """uint8 at fractional scales on small images, where each axis's table is chosen on its
    own (float32 with checks, float64, fixed point): the mixes of a checked rows table
    before a float64 columns table (bilinear x0.7 of 9-row images, lanczos2 x1.5 of 20-row
    ones) raised a TypeError from the checked block until it stored float64 rows."""
    img = np.random.default_rng(len(shape) + shape[0]).integers(0, 256, size=shape,
                                                                dtype=np.uint8)
    out = resize(img, scale, method=method)
    np.testing.assert_array_equal(out, reference_resize(img, scale, method=method))


@given(img=images(), scale=st.tuples(scales, scales), method=st.sampled_from(METHODS),
       boundary=st.sampled_from(BOUNDARIES), antialias=st.booleans(), round_each_pass=st.booleans())
def test_matches_reference_property(img, scale, method, boundary, antialias, round_each_pass):
    out = resize(img, scale, method=method, boundary=boundary, antialias=antialias,
                 round_each_pass=round_each_pass)
    ref = reference_resize(img, scale, method=method, boundary=boundary, antialias=antialias,
                           round_each_pass=round_each_pass)
    assert out.dtype == img.dtype
    assert_matches_reference(out, ref, img.dtype)


@pytest.mark.parametrize("a", [-0.75, -0.5, -1.0, 0.0])
def test_cubic_a(a):
    rng = np.random.default_rng(2)
    img = rng.random((11, 8))
    assert_matches_reference(resize(img, 2.5, cubic_a=a), reference_resize(img, 2.5, cubic_a=a), np.float64)


@pytest.mark.parametrize("method", ["bicubic", "lanczos2", "lanczos3"])
def test_kernels_do_not_depend_on_numpy_simd(method):
    """The kernels' values equal the formulas evaluated one Python float at a time (the C
    library's ``pow`` and ``sin``) bit for bit: numpy's vector ``x ** 3`` differs from those
    in the last bit on AVX-512 machines, and weights must not depend on the CPU (a one-ulp
    weight moves MATLAB sums that lie on a rounding tie)."""
    import math

    from classicsr.resize import KERNELS

    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-3.2, 3.2, 20000), np.arange(-64, 61) / 16.0])  # 20125 = 7 * 2875
    got = KERNELS[method].func(x.reshape(-1, 7)).ravel()
    if method == "bicubic":
        a = -0.5

        def formula(t):
            t = abs(t)
            if t <= 1:
                return (a + 2) * t ** 3 - (a + 3) * (t * t) + 1
            if t <= 2:
                return a * t ** 3 - (5 * a) * (t * t) + (8 * a) * t - (4 * a)
            return 0.0
    else:
        n = int(method[-1])
        eps = np.finfo(np.float64).eps

        def formula(t):
            value = ((math.sin(math.pi * t) * math.sin(math.pi * t / n) + eps)
                     / ((math.pi ** 2 * (t * t) / n) + eps))
            return value if abs(t) < n else 0.0
    expect = np.array([formula(t) for t in x.tolist()])
    np.testing.assert_array_equal(got, expect)


def test_keys_square_is_the_correctly_rounded_product():
    """Keys' ``|x|^2`` is the IEEE product ``x * x`` in the kernels and in the reference.
    glibc's ``pow`` (Python's ``x ** 2``) is accurate to 0.52 ulp, not correctly rounded: for
    the tap distance 1.6249999999999991 of output row 80 of 13 -> 212 rows it is one ulp
    lower, which put the reference's sum of these four pixels at 181.49999999999994 (181)
    instead of 181.5 (182).  A random campaign against the reference found it (uint8, 7
    channels, ``output_shape=(212, 245)``)."""
    from fractions import Fraction

    from tests.naive_resize import axis_weights

    img = np.zeros((13, 1), dtype=np.uint8)
    img[3:7, 0] = (255, 192, 184, 255)
    row = [(j, wt) for j, wt in axis_weights(13, 212, 212 / 13, "bicubic", True, "symmetric")[79]
           if wt != 0.0]
    assert [j for j, _ in row] == [3, 4, 5, 6]
    d = 0.0
    for j, wt in row:
        d += wt * float(img[j, 0])  # MATLAB's float64 sum, in tap order
    assert d == 181.5 and Fraction(d) == Fraction(363, 2)
    out = resize(img, output_shape=(212, 1))
    assert out[79, 0] == 182
    np.testing.assert_array_equal(out, reference_resize(img, output_shape=(212, 1)))


def test_output_shape_and_large_taps():
    rng = np.random.default_rng(3)
    img = rng.random((60, 45))
    for shape in [(7, 50), (61, 44), (15, 9), (120, 3)]:
        for method in ("bicubic", "lanczos3", "box"):
            out = resize(img, output_shape=shape, method=method)
            assert_matches_reference(out, reference_resize(img, output_shape=shape, method=method), np.float64)


def test_float32_against_float64_reference():
    rng = np.random.default_rng(4)
    img = rng.random((64, 48, 3)).astype(np.float32)
    for s in (2, 4, 0.25, 0.3):
        out = resize(img, s)
        assert out.dtype == np.float32
        ref = reference_resize(img.astype(np.float64), s)
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5)


def test_uint16_exact():
    rng = np.random.default_rng(5)
    img = rng.integers(0, 65535, size=(20, 17, 3), endpoint=True).astype(np.uint16)
    for s in (2, 0.5, 1 / 3, 3.3):
        for rep in (True, False):
            out = resize(img, s, round_each_pass=rep)
            assert out.dtype == np.uint16
            np.testing.assert_array_equal(out, reference_resize(img, s, round_each_pass=rep))


# --- properties ---------------------------------------------------------------------------------

@given(value=st.floats(-1e3, 1e3, allow_nan=False), h=st.integers(1, 20), w=st.integers(1, 20),
       scale=scales, method=st.sampled_from(METHODS),
       boundary=st.sampled_from(["symmetric", "replicate", "reflect", "wrap"]))
def test_constant_stays_constant_float(value, h, w, scale, method, boundary):
    img = np.full((h, w), value)
    out = resize(img, scale, method=method, boundary=boundary)
    np.testing.assert_allclose(out, value, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [0.25, 0.5, 1 / 3, 2, 3, 4, 2.5])
@pytest.mark.parametrize("dtype,value", [(np.uint8, 0), (np.uint8, 173), (np.uint8, 255), (np.uint16, 40000)])
def test_constant_stays_constant_int(method, scale, dtype, value):
    img = np.full((17, 23, 3), value, dtype=dtype)
    out = resize(img, scale, method=method)
    assert out.dtype == dtype
    assert np.all(out == value)


@given(n_in=st.integers(1, 40), n_out=st.integers(1, 80), method=st.sampled_from(METHODS),
       antialias=st.booleans(), boundary=st.sampled_from(["symmetric", "replicate", "reflect", "wrap"]))
def test_weights_partition_of_unity(n_in, n_out, method, antialias, boundary):
    idx, w = contributions(n_in, n_out, n_out / n_in, method, antialias=antialias, boundary=boundary)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert idx.min() >= 0 and idx.max() < n_in


@given(img=images(), method=st.sampled_from(METHODS), boundary=st.sampled_from(BOUNDARIES))
def test_scale_one_is_identity(img, method, boundary):
    out = resize(img, 1.0, method=method, boundary=boundary)
    np.testing.assert_array_equal(out, img)
    assert not np.shares_memory(out, img)


@given(img=images(), f=st.tuples(st.integers(1, 5), st.integers(1, 5)))
def test_nearest_integer_upscale_is_repeat(img, f):
    out = resize(img, f, method="nearest")
    np.testing.assert_array_equal(out, np.repeat(np.repeat(img, f[0], axis=0), f[1], axis=1))


@given(a=images(dtypes=(np.float64,), channels=(None,)), seed=st.integers(0, 1000),
       scale=st.tuples(scales, scales), method=st.sampled_from(METHODS),
       boundary=st.sampled_from(BOUNDARIES))
def test_linear_for_float(a, seed, scale, method, boundary):
    rng = np.random.default_rng(seed)
    b = rng.standard_normal(a.shape)
    alpha, beta = rng.standard_normal(2)
    lhs = resize(alpha * a + beta * b, scale, method=method, boundary=boundary)
    rhs = alpha * resize(a, scale, method=method, boundary=boundary) + beta * resize(b, scale, method=method,
                                                                                      boundary=boundary)
    np.testing.assert_allclose(lhs, rhs, atol=1e-11 * (1 + np.abs(lhs).max()))


@given(img=images(dtypes=(np.float64, np.float32)), scale=st.tuples(scales, scales),
       method=st.sampled_from(METHODS), boundary=st.sampled_from(BOUNDARIES))
def test_transpose_commutes(img, scale, method, boundary):
    t = np.swapaxes(img, 0, 1)
    out_t = resize(t, (scale[1], scale[0]), method=method, boundary=boundary)
    out = resize(img, scale, method=method, boundary=boundary)
    tol = 1e-12 if img.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(np.swapaxes(out_t, 0, 1), out, atol=tol * 4)


# --- input handling ---------------------------------------------------------------------------

@pytest.mark.nojit_subset
def test_layouts_readonly_bigendian_not_mutated():
    rng = np.random.default_rng(6)
    base = rng.random((10, 14, 3))
    expected = resize(base, 1.5)
    big = base.astype(">f8")
    ro = base.copy()
    ro.setflags(write=False)
    strided = np.asfortranarray(base)
    view = np.zeros((20, 28, 3))
    view[::2, ::2] = base
    for variant in (big, ro, strided, view[::2, ::2]):
        before = variant.copy()
        out = resize(variant, 1.5)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(variant, before)
        assert out.dtype == np.float64 and out.dtype.isnative


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_channel_axis_positions(axis):
    rng = np.random.default_rng(7)
    img = rng.random((9, 11, 3))
    expected = resize(img, 2)
    moved = np.moveaxis(img, -1, axis)
    out = resize(moved, 2, channel_axis=axis)
    np.testing.assert_array_equal(np.moveaxis(out, axis, -1), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float16, np.float32, np.float64, ">f4"])
def test_channels_first_planes_equal_channels_last(monkeypatch, dtype):
    """``channel_axis=0`` images large enough are resized plane by plane into a channels-first
    result (no transposing copies): bit for bit the channels-last result, for one or two
    passes, identity, nearest (the gather path), downscales, strided and read-only inputs
    (never modified) and ``out=`` (channels-first contiguous: written in place; a strided
    view: filled by a copy)."""
    R = importlib.import_module("classicsr.resize")
    monkeypatch.setattr(R, "_PLANES_MIN_OUTPUT", 0)
    planes = []
    real = R._resize_planes
    monkeypatch.setattr(R, "_resize_planes", lambda *a: planes.append(1) or real(*a))
    rng = np.random.default_rng(3)
    base = (rng.random((3, 26, 37)) * 200).astype(dtype)
    strided = np.asarray(np.repeat(base, 2, axis=2))[:, :, ::2]
    assert not strided.flags.c_contiguous
    for img in (base, strided):
        img.setflags(write=False)
        before = img.copy()
        for scale, method in ((2, "bicubic"), ((2, 1), "bicubic"), (1, "bicubic"), (3, "nearest"),
                              (0.5, "bilinear"), ((1.5, 2.5), "lanczos3")):
            expected = resize(np.moveaxis(img, 0, -1), scale, method=method)
            planes.clear()
            got = resize(img, scale, method=method, channel_axis=0)
            assert planes and got.flags.c_contiguous
            np.testing.assert_array_equal(got, np.moveaxis(expected, -1, 0))
            out = np.full_like(got, 7)
            assert resize(img, scale, method=method, channel_axis=0, out=out) is out
            np.testing.assert_array_equal(out, got)
            holder = np.full(got.shape[:2] + (2 * got.shape[2],), 7, dtype=got.dtype)
            view = holder[:, :, ::2]
            assert resize(img, scale, method=method, channel_axis=0, out=view) is view
            np.testing.assert_array_equal(view, got)
            assert np.all(holder[:, :, 1::2] == 7)
        np.testing.assert_array_equal(img, before)


def test_channels_first_planes_only_for_large_outputs(monkeypatch):
    """Below ``_PLANES_MIN_OUTPUT`` output elements a channels-first image moves its channels
    last and back (the per-plane calls would cost more than the copies)."""
    R = importlib.import_module("classicsr.resize")
    planes = []
    real = R._resize_planes
    monkeypatch.setattr(R, "_resize_planes", lambda *a: planes.append(1) or real(*a))
    resize(np.zeros((3, 32, 32), np.float32), 2, channel_axis=0)
    assert not planes
    resize(np.zeros((3, 256, 256), np.float32), 2, channel_axis=0)
    assert planes


def test_float16_computed_as_float32():
    img = np.linspace(0, 1, 48, dtype=np.float16).reshape(6, 8)
    out = resize(img, 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, resize(img.astype(np.float32), 2))


def test_nan_inf_propagate():
    img = np.zeros((10, 10))
    img[5, 5] = np.nan
    img[0, 0] = np.inf
    out = resize(img, 2)
    assert np.isnan(out[10, 10]) and np.isnan(out).sum() < out.size
    assert np.isfinite(out[-1, -1])


def test_matlab_ceil_output_size_and_scale_pair():
    img = np.zeros((7, 9))
    assert resize(img, 0.5).shape == (4, 5)
    assert resize(img, (2, 0.5)).shape == (14, 5)
    assert resize(img, output_shape=(3, 30)).shape == (3, 30)


def test_exported_at_top_level():
    assert classicsr.resize is resize
    import classicsr.resize as module  # noqa: F401
    assert callable(classicsr.resize)


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,exc,words", [
    (dict(image=np.zeros(5), scale=2), ValueError, ["image", "1-D"]),
    (dict(image=np.zeros((2, 2, 2, 2)), scale=2), ValueError, ["image", "4-D"]),
    (dict(image=np.zeros((0, 4)), scale=2), ValueError, ["empty"]),
    (dict(image=np.zeros((4, 4)), scale=0), ValueError, ["scale", "> 0"]),
    (dict(image=np.zeros((4, 4)), scale=-1), ValueError, ["scale"]),
    (dict(image=np.zeros((4, 4)), scale=float("nan")), ValueError, ["scale", "nan"]),
    (dict(image=np.zeros((4, 4)), scale=float("inf")), ValueError, ["scale", "inf"]),
    (dict(image=np.zeros((4, 4)), scale="2"), TypeError, ["scale"]),
    (dict(image=np.zeros((4, 4)), scale=True), TypeError, ["scale"]),
    (dict(image=np.zeros((4, 4)), scale=(1, 2, 3)), ValueError, ["scale", "pair"]),
    (dict(image=np.zeros((4, 4))), ValueError, ["exactly one", "neither"]),
    (dict(image=np.zeros((4, 4)), scale=2, output_shape=(8, 8)), ValueError, ["exactly one", "both"]),
    (dict(image=np.zeros((4, 4)), output_shape=(0, 8)), ValueError, ["output_shape"]),
    (dict(image=np.zeros((4, 4)), output_shape=(2.5, 8)), TypeError, ["output_shape"]),
    (dict(image=np.zeros((4, 4)), scale=2, method="cubic"), ValueError, ["method", "bicubic", "lanczos3"]),
    (dict(image=np.zeros((4, 4)), scale=2, method=3), TypeError, ["method"]),
    (dict(image=np.zeros((4, 4)), scale=2, boundary="mirror"), ValueError, ["boundary", "symmetric"]),
    (dict(image=np.zeros((4, 4), dtype=np.int32), scale=2), TypeError, ["int32", "uint8", "float32"]),
    (dict(image=np.zeros((4, 4), dtype=bool), scale=2), TypeError, ["bool"]),
    (dict(image=np.zeros((4, 4), dtype=complex), scale=2), TypeError, ["complex"]),
    (dict(image=np.array([["a"]], dtype=object), scale=2), TypeError, ["object"]),
    (dict(image="img.png", scale=2), TypeError, ["image"]),
    (dict(image=np.zeros((4, 4, 3)), scale=2, channel_axis=None), ValueError, ["channel_axis"]),
    (dict(image=np.zeros((4, 4, 3)), scale=2, channel_axis=3), ValueError, ["channel_axis"]),
    (dict(image=np.zeros((4, 4)), scale=2, antialias="yes"), TypeError, ["antialias"]),
    (dict(image=np.zeros((4, 4)), scale=2, cubic_a=float("nan")), ValueError, ["cubic_a"]),
    (dict(image=np.zeros((4, 4)), scale=1e9), ValueError, ["GiB", "CLASSICSR_MAX_OUTPUT_BYTES"]),
    # a finite scale whose output length overflows a float; an int beyond the float range
    (dict(image=np.zeros((8, 8)), scale=1e308), ValueError, ["scale=1e+308", "GiB",
                                                             "CLASSICSR_MAX_OUTPUT_BYTES"]),
    (dict(image=np.zeros((8, 8)), scale=(1e308, 1)), ValueError, ["scale=1e+308", "GiB"]),
    (dict(image=np.zeros((8, 8)), scale=10**400), ValueError, ["scale", "401 digits"]),
    (dict(image=np.zeros((8, 8)), scale=(2, 10**400)), ValueError, ["scale[1]", "401 digits"]),
    (dict(image=np.zeros((8, 8)), scale=2, cubic_a=10**400), ValueError, ["cubic_a", "401 digits"]),
    # weights that overflow to inf / NaN (formerly NaN images, or zeros for uint8)
    (dict(image=np.zeros((8, 8), np.float32), scale=2.5, cubic_a=1e308), ValueError,
     ["cubic_a=1e+308", "non-finite"]),
    (dict(image=np.zeros((8, 8), np.uint8), scale=2.5, cubic_a=-1e308), ValueError,
     ["cubic_a=-1e+308", "non-finite"]),
])
def test_errors(kwargs, exc, words):
    with pytest.raises(exc) as info:
        resize(**kwargs)
    msg = str(info.value)
    for word in words:
        assert word in msg, (word, msg)


def test_axis_helpers_refuse_overflowing_scales_by_name():
    from classicsr.resize import output_size

    for call in (lambda: output_size(5, 1e308), lambda: output_size(5, 10**400),
                 lambda: contributions(5, 10, 10**400)):
        with pytest.raises(ValueError, match="scale"):
            call()
    assert output_size(5, 1e300) == int(np.ceil(5e300))  # large but finite: exact as before


def test_function_not_shadowed_by_module_import():
    import subprocess
    import sys

    code = ("from classicsr.resize import KERNELS\nimport classicsr, classicsr.resize\n"
            "import numpy as np\nassert callable(classicsr.resize)\n"
            "assert classicsr.resize(np.ones((2, 2)), 2).shape == (4, 4)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_zero_d_array_scale_is_a_number():
    img = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(resize(img, np.array(2.0)), resize(img, 2.0))
    np.testing.assert_array_equal(resize(img, np.array([2.0, 3.0])), resize(img, (2.0, 3.0)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [3, 0.7, (2.5, 1 / 3)])
def test_non_finite_pixels_reach_the_outputs_whose_taps_read_them(method, scale):
    """docs/resize.md step 8.  Against the reference, which skips zero weights: every output
    the reference makes non-finite is non-finite, every other one is finite and equal, or
    non-finite because a zero weight of its table row reads a NaN or inf (interior kernel
    zeros, as bicubic's at distance 3 when downscaling by 3; ``boundary='constant'`` rows
    wholly outside the image).  Where neither applies the outputs are exactly the
    reference's non-finite ones, and no +-inf changes sign."""
    rng = np.random.default_rng(11)
    for dtype in (np.float64, np.float32):
        for boundary in ("symmetric", "constant"):
            img = rng.random((13, 11)).astype(dtype)
            spots = rng.random(img.shape) < 0.04
            img[spots] = rng.choice([np.nan, np.inf, -np.inf], size=int(spots.sum()))
            img[6, 5] = np.inf  # one inf with finite neighbours, on the x3 grid
            got = resize(img, scale, method=method, boundary=boundary)
            with np.errstate(invalid="ignore"):
                ref = reference_resize(img, scale, method=method, boundary=boundary)
            fin = np.isfinite(got)
            assert not (fin & ~np.isfinite(ref)).any()
            tol = 1e-12 if dtype == np.float64 else 1e-5
            np.testing.assert_allclose(got[fin], ref[fin], rtol=tol, atol=tol)
            if boundary == "symmetric" and scale != (2.5, 1 / 3):
                np.testing.assert_array_equal(fin, np.isfinite(ref))
            assert not (np.isinf(ref) & np.isinf(got) & (got != ref)).any()


@pytest.mark.parametrize("shape,scale", [((1, 32), (1, 2)), ((4, 32), 2), ((6, 40, 3), (1, 3))])
def test_uint8_sums_beyond_int32_saturate(shape, scale):
    """Weights so large (cubic_a=-1e8) that 8-bit sums pass 2**31: the float64 output-order
    blocks convert to int32 before saturating, which is undefined there (255 came out 0);
    such tables take another path.  MATLAB saturates: the reference."""
    x = np.tile(np.array([0, 255, 255, 0], np.uint8), shape[1] // 4)
    img = np.broadcast_to(x.reshape((1, -1) + (1,) * (len(shape) - 2)), shape).copy()
    got = resize(img, scale, cubic_a=-1e8)
    np.testing.assert_array_equal(got, reference_resize(img, scale, cubic_a=-1e8))
    assert got.max() == 255
