"""Robustness fuzz suite (issue #9): every public array function under hostile input.

Each call must either return a result of the promised dtype and shape, or raise ``ValueError``
/ ``TypeError`` whose message names the offending parameter.  Never a Numba typing error, another
exception type, a crash, non-finite output from finite input, or a modified input array.

Inputs are drawn from every dtype (bool, int8 ... int64, float16/32/64, complex, object), shapes
including 0-size, 1x1, 1xN, Nx1 and very thin ones, NaN/inf values, and the layouts
C/Fortran/strided/read-only/big-endian/``np.memmap``.

The hypothesis profile of ``tests/conftest.py`` makes the run deterministic.  By default each
function gets ``FUZZ_EXAMPLES`` (20) examples so the whole file stays well under a minute on two
cores; ``CLASSICSR_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py`` runs a longer local campaign.
Every call is counted; with ``CLASSICSR_FUZZ_REPORT=path`` the per-function case counts are
appended to ``path`` as JSON lines (used for docs/robustness.md).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import classicsr
from classicsr import color, deconvolution, degrade, fft, metrics, misr, operators, pixel_shuffle, psf

FUZZ_EXAMPLES = int(os.environ.get("CLASSICSR_FUZZ_EXAMPLES", "20"))

ALL_DTYPES = ("bool", "int8", "uint8", "int16", "uint16", "int32", "int64", "float16", "float32",
              "float64", "complex64", "complex128", "object")
SUPPORTED = ("uint8", "uint16", "float16", "float32", "float64")
LAYOUTS = ("C", "F", "strided", "readonly", "bigendian", "memmap")
SPECIAL_SHAPES = ((0, 5), (5, 0), (1, 1), (1, 9), (9, 1), (2, 40), (40, 2), (1, 1, 3), (0, 4, 3),
                  (9, 8, 1), (9, 8, 4), (3,), (2, 3, 4, 5), (16, 16), (16, 16, 3))

_MEMMAP_DIR = tempfile.mkdtemp(prefix="classicsr-fuzz-")
COUNTS: Counter = Counter()
OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _cleanup_and_report():
    yield
    shutil.rmtree(_MEMMAP_DIR, ignore_errors=True)
    report = os.environ.get("CLASSICSR_FUZZ_REPORT")
    if report:
        with open(report, "a") as fh:
            fh.write(json.dumps({"cases": dict(COUNTS), "outcomes": dict(OUTCOMES)}) + "\n")


# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------

def _layout(a: np.ndarray, layout: str, seed: int) -> np.ndarray:
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "strided" and a.ndim >= 2:
        big = np.zeros((a.shape[0], 2 * a.shape[1]) + a.shape[2:], dtype=a.dtype)
        big[:, 1::2] = a
        return big[:, 1::2]
    if layout == "readonly":
        a = a.copy()
        a.flags.writeable = False
        return a
    if layout == "bigendian" and a.dtype.kind in "iufc" and a.dtype.itemsize > 1:
        return a.astype(a.dtype.newbyteorder(">"))
    if layout == "memmap" and a.dtype != object and a.size:
        path = os.path.join(_MEMMAP_DIR, f"m{seed}_{a.dtype.str.strip('<>|=')}_{'x'.join(map(str, a.shape))}")
        m = np.memmap(path, dtype=a.dtype, mode="w+", shape=a.shape)
        m[...] = a
        m.flush()
        return np.memmap(path, dtype=a.dtype, mode="r", shape=a.shape)  # read-only map
    return a


@st.composite
def hostile_arrays(draw, dtypes=ALL_DTYPES, shapes=None, value_range=(0.0, 1.0)):
    """An array of any dtype, an awkward shape, maybe NaN/inf, in an awkward layout."""
    # The supported dtypes are drawn more often, so the success paths get exercised too.
    dtype = np.dtype(draw(st.sampled_from(tuple(d for d in dtypes if d in SUPPORTED) * 3 + tuple(dtypes))))
    if shapes is None:
        shape = draw(st.one_of(
            st.sampled_from(SPECIAL_SHAPES),
            st.tuples(st.integers(0, 24), st.integers(0, 24)),
            st.tuples(st.integers(1, 24), st.integers(1, 24), st.sampled_from([1, 3, 4])),
        ))
    else:
        shape = draw(st.sampled_from(shapes))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    lo, hi = value_range
    if dtype.kind == "b":
        a = rng.random(shape) > 0.5
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        top = min(info.max, 255 if dtype.itemsize == 1 else 65535)
        a = rng.integers(max(info.min, 0), top, size=shape, endpoint=True).astype(dtype)
    else:
        # float data on the [0, 1] scale (what the float APIs expect), complex with an imag part
        a = rng.uniform(lo, hi, size=shape)
        if dtype.kind == "c":
            a = a + 1j * rng.uniform(lo, hi, size=shape)
        a = a.astype(dtype)
    special = draw(st.sampled_from([None] * 6 + ["nan", "inf", "-inf"]))
    if special is not None and a.size and dtype.kind in "fc":
        a.flat[int(rng.integers(a.size))] = float(special)
    if dtype == object:
        a = a.astype(object)
    return _layout(a, draw(st.sampled_from(LAYOUTS)), seed)


def _finite(a: np.ndarray) -> bool:
    return a.dtype == object or a.dtype.kind not in "fc" or bool(np.all(np.isfinite(a)))


# --------------------------------------------------------------------------------------------
# the rule
# --------------------------------------------------------------------------------------------

# what leaks from a Numba kernel called with bad types (not "NUMBA_NUM_THREADS" in a good message)
_NUMBA_NOISE = re.compile(r"nopython|TypingError|LoweringError|numba\.core|No implementation of function|"
                          r"Failed in \w+ mode|Cannot determine Numba type")
FLOAT_RULE = {np.dtype(np.float16): np.dtype(np.float32), np.dtype(np.float32): np.dtype(np.float32)}


def float_rule(dtype) -> np.dtype:
    """The documented dtype rule: float16/32 -> float32, everything else -> float64."""
    return FLOAT_RULE.get(np.dtype(dtype).newbyteorder("="), np.dtype(np.float64))


def keep_rule(dtype) -> np.dtype:
    """Resampling-style functions keep uint8/uint16/float32/float64; float16 -> float32."""
    d = np.dtype(dtype).newbyteorder("=")
    return np.dtype(np.float32) if d == np.float16 else d


_RAISED = object()


def check_call(name, params, func, inputs, expect=None):
    """Call ``func()``; apply the rule.  ``inputs`` are the arrays that must stay unchanged;
    ``expect(result)`` checks the dtype/shape of a result (and returns nothing)."""
    before = [(np.array(x, copy=True), x.flags.writeable) for x in inputs]
    COUNTS[name] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = func()
        except (ValueError, TypeError) as exc:
            msg = str(exc)
            assert not _NUMBA_NOISE.search(msg), f"{name}: Numba error leaked: {msg[:300]}"
            assert any(p in msg for p in params), (
                f"{name}: {type(exc).__name__} does not name a parameter {params}: {msg[:300]}")
            OUTCOMES[f"{name}:{type(exc).__name__}"] += 1
            result = _RAISED
        # anything else (MemoryError, KeyError, IndexError, ZeroDivisionError ...) propagates
        # and fails the test with its traceback
    for x, (b, writeable) in zip(inputs, before):
        assert x.flags.writeable == writeable, f"{name}: the input's writeable flag changed"
        if b.dtype == object:
            assert all(p is q or p == q or (p != p and q != q) for p, q in zip(b.ravel(), x.ravel())), \
                f"{name}: object input modified"
        else:
            assert np.array_equal(b, x, equal_nan=True), f"{name}: the input array was modified"
    if result is not _RAISED:
        OUTCOMES[f"{name}:ok"] += 1
        if expect is not None:
            expect(result)
    return result


def _expect_array(shape, dtype, finite_from=None):
    def check(result):
        assert isinstance(result, np.ndarray), type(result)
        assert result.shape == tuple(shape), (result.shape, shape)
        assert result.dtype == dtype, (result.dtype, dtype)
        for x in finite_from or ():  # a new array, never a view of the caller's buffer
            assert not np.shares_memory(result, x), "the result aliases the input"
        if finite_from is not None and all(_finite(x) for x in finite_from) and result.dtype.kind in "fc":
            assert np.all(np.isfinite(result)), "finite input gave non-finite output"
    return check


def _spatial(a, channel_axis=-1):
    return a.shape[:2] if a.ndim == 2 else tuple(s for i, s in enumerate(a.shape) if i != channel_axis % 3)


# --------------------------------------------------------------------------------------------
# resize and friends
# --------------------------------------------------------------------------------------------

SCALES = st.sampled_from([0.5, 1.0, 2.0, 3.0, 1 / 3, 0.75, 1.37, 4.0] * 3
                         + [1e-9, 1e9, 1e300, 5e-324, 0.0, -1.0, float("nan"), float("inf"), True, "2",
                            None, (2, 0.5), (2, 3, 4)])
METHODS = st.sampled_from(["nearest", "bilinear", "bicubic", "lanczos2", "lanczos3", "box"])


@settings(max_examples=FUZZ_EXAMPLES * 3)
@given(a=hostile_arrays(), scale=SCALES, method=METHODS,
       channel_axis=st.sampled_from([-1, 0, 2, None, 3]))
def test_fuzz_resize(a, scale, method, channel_axis):
    def expect(out):
        axis = None if a.ndim == 2 else channel_axis % 3
        sp = a.shape if a.ndim == 2 else tuple(s for i, s in enumerate(a.shape) if i != axis)
        pair = scale if isinstance(scale, tuple) else (scale, scale)
        shp = [math.ceil(s * n) for s, n in zip(pair, sp)]
        if a.ndim == 3:
            shp.insert(axis, a.shape[axis])
        _expect_array(shp, keep_rule(a.dtype), [a])(out)

    check_call("resize", ("image", "scale", "channel_axis", "output"),
               lambda: classicsr.resize(a, scale, method=method, channel_axis=channel_axis), [a], expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays(), shape=st.one_of(
    st.tuples(st.integers(-1, 40), st.integers(-1, 40)),
    st.sampled_from([(10**7, 10**7), (1, 1), (2.0, 3), (3,), "ab"])))
def test_fuzz_resize_output_shape(a, shape):
    def expect(out):
        assert out.shape[:2] == tuple(shape) and out.dtype == keep_rule(a.dtype)

    check_call("resize(output_shape)", ("image", "output_shape", "output"),
               lambda: classicsr.resize(a, output_shape=shape), [a], expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays(shapes=((9, 8, 3), (1, 1, 3), (3, 9, 8), (9, 8), (0, 4, 3), (4, 5, 4))),
       func=st.sampled_from(["rgb_to_ycbcr", "ycbcr_to_rgb", "rgb_to_y"]))
def test_fuzz_color(a, func):
    def expect(out):
        if func == "rgb_to_y":
            if a.ndim == 2:  # documented: a 2-D image is returned as it is (not copied)
                assert out.dtype == a.dtype and np.shares_memory(out, a) and np.array_equal(out, a, equal_nan=True)
                return
            _expect_array(a.shape[:2], keep_rule(a.dtype), [a])(out)
        else:
            _expect_array(a.shape, keep_rule(a.dtype), [a])(out)

    check_call(func, ("image", "channel_axis"), lambda: getattr(color, func)(a), [a], expect)


@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(a=hostile_arrays(), b_kind=st.sampled_from(["same", "copy", "other"]),
       func=st.sampled_from(["mse", "psnr", "ssim", "ms_ssim", "gmsd"]),
       data_range=st.sampled_from([None, 1.0, 255.0, 0.0, -1.0, float("nan")]),
       crop=st.sampled_from([0, 1, 4, -1, 100]), y_channel=st.booleans())
def test_fuzz_metrics(a, b_kind, func, data_range, crop, y_channel):
    b = a if b_kind == "same" else (np.array(a, copy=True) if b_kind == "copy"
                                    else np.clip(np.array(a, copy=True).astype(np.float64) * 0.5, 0, 1))
    kwargs = {"crop_border": crop, "y_channel": y_channel}
    if func != "mse":
        kwargs["data_range"] = data_range

    def expect(out):
        assert isinstance(out, float), type(out)
        if func == "psnr" and b_kind != "other":
            return  # identical inputs: psnr is +inf by definition
        if _finite(a) and _finite(b):
            assert math.isfinite(out), f"{func} gave {out} on finite input"

    check_call(func, ("reference", "test", "data_range", "crop_border", "y_channel", "channel_axis"),
               lambda: getattr(metrics, func)(a, b, **kwargs), [a, b], expect)


# --------------------------------------------------------------------------------------------
# degrade
# --------------------------------------------------------------------------------------------

@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(a=hostile_arrays(), scale=st.sampled_from([1, 2, 3, 4, 0, -2, 2.5, True, 10**9]),
       func=st.sampled_from(["modcrop", "downsample", "make_lr"]))
def test_fuzz_degrade_scale(a, scale, func):
    def expect(out):
        if func == "modcrop":  # a view, any dtype
            assert out.dtype == a.dtype and np.shares_memory(out, a) or out.size == 0
            return
        if func == "make_lr":  # (modcropped hr, lr)
            hr, out = out
            assert hr.shape[:2] == tuple(n - n % scale for n in a.shape[:2])
        sp = [n // scale for n in a.shape[:2]]
        if func in ("downsample", "make_lr"):
            assert tuple(out.shape[:2]) == tuple(sp)
        assert out.dtype == keep_rule(a.dtype)
        if _finite(a):
            assert _finite(out)

    fn = getattr(degrade, func)
    check_call(func, ("image", "hr", "scale", "channel_axis"), lambda: fn(a, scale), [a], expect)


@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(a=hostile_arrays(), func=st.sampled_from(["gaussian_noise", "poisson_noise", "jpeg", "dihedral",
                                                 "dihedral_inverse"]),
       p=st.sampled_from([0, 1, 3, 7, 8, 50, 0.1, -1.0, float("nan"), 101]))
def test_fuzz_degrade_other(a, func, p):
    def expect(out):
        if func.startswith("dihedral"):
            assert out.dtype == a.dtype and out.size == a.size
            return
        assert out.shape == a.shape
        if func == "jpeg":
            assert out.dtype == np.uint8
        else:
            assert out.dtype == keep_rule(a.dtype)

    if func == "gaussian_noise":
        call = lambda: degrade.gaussian_noise(a, p, seed=0)  # noqa: E731
    elif func == "poisson_noise":
        call = lambda: degrade.poisson_noise(a, p, seed=0)  # noqa: E731
    else:
        call = lambda: getattr(degrade, func)(a, p)  # noqa: E731
    check_call(func, ("image", "sigma", "peak", "quality", "k", "channel_axis", "data_range"), call, [a],
               expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays(), scale=st.sampled_from([2, 1e6]))
def test_fuzz_self_ensemble(a, scale):
    def expect(out):
        assert out.dtype == keep_rule(a.dtype)
        assert out.shape[:2] == tuple(math.ceil(scale * n) for n in a.shape[:2])

    check_call("self_ensemble", ("image", "channel_axis", "output", "scale"),
               lambda: degrade.self_ensemble(lambda x: classicsr.resize(x, scale), a), [a], expect)


# --------------------------------------------------------------------------------------------
# fft and psf
# --------------------------------------------------------------------------------------------

@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(a=hostile_arrays(), func=st.sampled_from(["rfft2", "psf2otf", "otf2psf", "conv_image", "conv_psf",
                                                 "validate_psf"]))
def test_fuzz_fft_psf(a, func):
    img = np.linspace(0, 1, 256).reshape(16, 16)
    k = psf.gaussian(1.0)
    calls = {
        "rfft2": (lambda: fft.rfft2(a), ("x",)),
        "psf2otf": (lambda: fft.psf2otf(a, (16, 16)), ("psf", "shape")),
        "otf2psf": (lambda: fft.otf2psf(a, (3, 3)), ("otf", "psf_shape")),
        "conv_image": (lambda: fft.fftconvolve_periodic(a, k), ("image", "psf", "channel_axis")),
        "conv_psf": (lambda: fft.fftconvolve_periodic(img, a), ("psf", "image")),
        "validate_psf": (lambda: psf.validate_psf(a), ("psf",)),
    }
    call, params = calls[func]

    def expect(out):
        assert isinstance(out, np.ndarray)
        if func == "rfft2":
            assert out.dtype.kind == "c" and out.shape == a.shape[:-2] + (a.shape[-2], a.shape[-1] // 2 + 1)
        elif func == "psf2otf":
            assert out.shape == (16, 16) and out.dtype == np.result_type(float_rule(a.dtype), np.complex64)
        elif func == "otf2psf":
            assert out.shape == (3, 3) and out.dtype.kind == "f"
        elif func == "conv_image":
            assert out.shape == a.shape and out.dtype == float_rule(a.dtype)
        elif func == "conv_psf":
            assert out.shape == img.shape and out.dtype == np.float64
        else:
            assert out.shape == a.shape and out.dtype == np.float64
            assert np.isclose(out.sum(), 1.0)
        if _finite(a) and func != "rfft2":
            assert np.all(np.isfinite(out))

    check_call(func, params, call, [a], expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(func=st.sampled_from(["gaussian", "disk", "motion", "box"]),
       value=st.sampled_from([0.5, 1, 2.5, 7, 0, -1, float("nan"), float("inf"), 1e6, 1e12, 10**6, True,
                              "3", None, (3, 5), (0, 2)]))
def test_fuzz_psf_builders(func, value):
    def expect(out):
        assert out.ndim == 2 and out.dtype == np.float64 and np.isclose(out.sum(), 1.0)
        assert np.all(np.isfinite(out)) and np.all(out >= 0)

    params = ("sigma", "radius", "length", "size", "PSF")
    check_call(f"psf.{func}", params, lambda: getattr(psf, func)(value), [], expect)


# --------------------------------------------------------------------------------------------
# deconvolution and operators
# --------------------------------------------------------------------------------------------

@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(a=hostile_arrays(), func=st.sampled_from(["inverse_filter", "wiener", "wiener_auto", "tikhonov",
                                                 "richardson_lucy", "edgetaper", "estimate_noise_sigma"]),
       boundary=st.sampled_from(["symmetric", "wrap", "replicate"]))
def test_fuzz_deconvolution_image(a, func, boundary):
    k = psf.gaussian(0.8)
    kw = {} if func in ("edgetaper", "estimate_noise_sigma") else {"boundary": boundary}
    calls = {
        "inverse_filter": lambda: deconvolution.inverse_filter(a, k, threshold=0.05, **kw),
        "wiener": lambda: deconvolution.wiener(a, k, nsr=0.01, **kw),
        "wiener_auto": lambda: deconvolution.wiener(a, k, **kw),
        "tikhonov": lambda: deconvolution.tikhonov(a, k, **kw),
        "richardson_lucy": lambda: deconvolution.richardson_lucy(a, k, iterations=3, **kw),
        "edgetaper": lambda: deconvolution.edgetaper(a, k),
        "estimate_noise_sigma": lambda: deconvolution.estimate_noise_sigma(a),
    }

    def expect(out):
        if func == "estimate_noise_sigma":
            vals = np.atleast_1d(out)
            assert _finite(vals) and np.all(vals >= 0) or not _finite(a)
            return
        _expect_array(a.shape, float_rule(a.dtype), [a])(out)

    check_call(func, ("image", "psf", "channel_axis", "boundary"), calls[func], [a], expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(k=hostile_arrays(), func=st.sampled_from(["wiener", "richardson_lucy", "Blur", "Deconvolver"]))
def test_fuzz_deconvolution_psf(k, func):
    img = np.linspace(0, 1, 24 * 24).reshape(24, 24)
    calls = {
        "wiener": lambda: deconvolution.wiener(img, k, nsr=0.01),
        "richardson_lucy": lambda: deconvolution.richardson_lucy(img, k, iterations=2),
        "Blur": lambda: operators.Blur(img.shape, k).forward(img),
        "Deconvolver": lambda: deconvolution.Deconvolver(k, method="tikhonov", lam=0.01)(img),
    }

    def expect(out):
        _expect_array(img.shape, np.float64, [k])(out)

    check_call(func, ("psf",), calls[func], [k], expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays(), op=st.sampled_from(["warp", "blur", "decimate", "model"]))
def test_fuzz_operators_apply(a, op):
    shape = (8, 8)
    ops = {
        "warp": lambda: operators.Warp(shape, operators.translation_matrix((0.3, -0.7))),
        "blur": lambda: operators.Blur(shape, psf.gaussian(0.7)),
        "decimate": lambda: operators.Decimate(shape, 2),
        "model": lambda: operators.ObservationModel(shape, 2, np.tile(np.eye(2, 3), (2, 1, 1)),
                                                    psf.gaussian(0.7)),
    }
    A = ops[op]()

    def expect(out):
        # (rows, cols) or, for the observation model, (frames, rows, cols); channels trail
        assert out.shape[:len(A.out_shape)] == tuple(A.out_shape), (out.shape, A.out_shape)
        assert out.shape[len(A.out_shape):] == a.shape[2:]
        assert out.dtype.kind == "f"
        if _finite(a):
            assert np.all(np.isfinite(out))

    check_call(f"operators.{op}.forward", ("x", "shape", "input"), lambda: A.forward(a), [a], expect)
    check_call(f"operators.{op}.adjoint", ("y", "x", "shape", "input"), lambda: A.adjoint(a), [a], None)


@settings(max_examples=FUZZ_EXAMPLES)
@given(shape=st.sampled_from([(8, 8), (1, 1), (0, 3), (10**7, 10**7), (8,), "x", (8.0, 8)]),
       factor=st.sampled_from([1, 2, 0, -1, 2.5, 10**6]))
def test_fuzz_operator_construction(shape, factor):
    check_call("operators.Decimate", ("shape", "factor", "offset"),
               lambda: operators.Decimate(shape, factor), [], None)
    check_call("operators.Blur", ("shape", "psf"), lambda: operators.Blur(shape, psf.box(3)), [], None)
    check_call("operators.ObservationModel", ("hr_shape", "shape", "factor", "motions"),
               lambda: operators.ObservationModel(shape, factor, np.tile(np.eye(2, 3), (2, 1, 1))), [], None)


# --------------------------------------------------------------------------------------------
# pixel shuffle, example-based, MISR
# --------------------------------------------------------------------------------------------

@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(a=hostile_arrays(), factor=st.sampled_from([1, 2, 3, 0, -1, 2.0, True, 10**6]),
       func=st.sampled_from(["pixel_shuffle", "pixel_unshuffle"]))
def test_fuzz_pixel_shuffle(a, factor, func):
    def expect(out):
        assert out.dtype == a.dtype.newbyteorder("=") and out.size == a.size and out.ndim == 3
        assert not np.shares_memory(out, a), "documented as a new array"

    check_call(func, ("image", "factor", "channel_axis"), lambda: getattr(pixel_shuffle, func)(a, factor),
               [a], expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays(), scale=st.sampled_from([2, 3, 4, 5, 0, 2.5, 10**6]),
       method=st.sampled_from(["aplus", "anr", "zeyde"]))
def test_fuzz_example_based(a, scale, method):
    from classicsr import example_based

    def expect(out):
        assert out.dtype == keep_rule(a.dtype)
        assert out.shape[:2] == (a.shape[0] * scale, a.shape[1] * scale)
        if _finite(a):
            assert _finite(out)

    check_call("example_based.upscale", ("image", "scale", "method", "channel_axis", "model"),
               lambda: example_based.upscale(a, scale, method=method), [a], expect)


def _frames(a, n=3):
    if a.ndim < 2 or a.dtype == object:
        return np.stack([a] * n) if a.dtype != object else [a] * n
    rng = np.random.default_rng(0)
    stack = [a]
    for _ in range(n - 1):
        shifted = np.roll(np.asarray(a), int(rng.integers(-1, 2)), axis=0)
        stack.append(shifted)
    return np.stack(stack)


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays(), func=st.sampled_from(["register", "shift_and_add", "ibp", "regularized_sr",
                                                 "simulate_frames"]),
       scale=st.sampled_from([2, 3, 0, 2.5, 10**6]))
def test_fuzz_misr(a, func, scale):
    frames = _frames(a)
    motions = np.tile(np.eye(2, 3), (3, 1, 1))
    calls = {
        "register": lambda: misr.register(frames),
        "shift_and_add": lambda: misr.shift_and_add(frames, scale, motions=motions),
        "ibp": lambda: misr.iterative_back_projection(frames, scale, motions=motions, n_iter=2),
        "regularized_sr": lambda: misr.regularized_sr(frames, scale, motions=motions, n_iter=2),
        "simulate_frames": lambda: misr.simulate_frames(a, 3, scale, seed=0),
    }

    def expect(out):
        if func == "register":
            assert np.asarray(out).shape[0] == 3
            return
        if func == "simulate_frames":
            out = out.frames
            assert out.shape[0] == 3 and out.dtype.kind == "f"
            return
        assert out.shape[:2] == (a.shape[0] * scale, a.shape[1] * scale)
        assert out.dtype.kind == "f"

    inputs = [a] + ([frames] if isinstance(frames, np.ndarray) else [])
    # "frame": RegistrationError (a ValueError) names the frame: "cannot register frame 0: ..."
    check_call(f"misr.{func}", ("frame", "hr", "scale", "motions", "channel_axis", "image", "reference",
                                "hr_shape"),
               calls[func], inputs, expect)


# --------------------------------------------------------------------------------------------
# neural and dask adapters
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_upscalers():
    torch = pytest.importorskip("torch")
    from classicsr import nn as cnn

    torch.manual_seed(0)
    return {c: cnn.TorchUpscaler(cnn.ESPCN(2, c, n1=4, n2=4).eval(), 2) for c in (1, 3)}


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays())
def test_fuzz_torch_upscaler(tiny_upscalers, a):
    for channels, up in tiny_upscalers.items():
        def expect(out):
            assert out.dtype == keep_rule(a.dtype)
            assert out.shape[:2] == (2 * a.shape[0], 2 * a.shape[1])
            if _finite(a):
                assert _finite(out)

        check_call(f"TorchUpscaler[{channels}ch]", ("image", "channel_axis", "channels"), lambda: up(a), [a],
                   expect)


@settings(max_examples=FUZZ_EXAMPLES)
@given(a=hostile_arrays(), scale=st.sampled_from([2, 0.5, 1e9, 0, "x"]), wrap=st.booleans())
def test_fuzz_dask_resize(a, scale, wrap):
    cd = pytest.importorskip("classicsr.dask")
    da = pytest.importorskip("dask.array")

    def call():
        src = da.from_array(a, chunks=7) if wrap and a.dtype != object else a
        return cd.resize(src, scale).compute()

    def expect(out):
        assert out.dtype == keep_rule(a.dtype)
        assert out.shape[:2] == tuple(math.ceil(scale * n) for n in a.shape[:2])
        if _finite(a):
            assert _finite(out)

    check_call("dask.resize", ("image", "scale", "channel_axis", "output"), call, [a], expect)


@pytest.mark.parametrize("shape", [(1, 9), (9, 1)])
def test_register_thin_frames_names_the_parameter(shape):
    frame = np.random.default_rng(0).random(shape)
    check_call("misr.register(thin)", ("frames",), lambda: misr.register(np.stack([frame] * 3)), [frame], None)


# --------------------------------------------------------------------------------------------
# scalar parameters of the public helpers
# --------------------------------------------------------------------------------------------

ODD_VALUES = [0, 1, 2, -1, 2.5, 1e9, 10**12, float("nan"), float("inf"), True, None, "3", (2, 2),
              np.int64(3), np.float32(2.0), np.array([2, 3]), np.ones((2, 2)), [], object()]


def _helpers():
    import importlib

    R = importlib.import_module("classicsr.resize")
    return {
        "resize.output_size(in_size)": (lambda v: R.output_size(v, 2.0), ("in_size",)),
        "resize.output_size(scale)": (lambda v: R.output_size(8, v), ("scale",)),
        "resize.contributions(in_length)": (lambda v: R.contributions(v, 8, 2.0), ("in_length", "GiB")),
        "resize.contributions(out_length)": (lambda v: R.contributions(4, v, 2.0), ("out_length", "GiB")),
        "resize.contributions(scale)": (lambda v: R.contributions(4, 8, v), ("scale",)),
        "resize.contributions(method)": (lambda v: R.contributions(4, 8, 2.0, v), ("method",)),
        "fft.next_fast_len": (lambda v: fft.next_fast_len(v), ("n",)),
        "fft.rfft2(s)": (lambda v: fft.rfft2(np.ones((4, 4)), s=v), ("s",)),
        "fft.irfft2(s)": (lambda v: fft.irfft2(np.ones((4, 3), complex), s=v), ("s", "X")),
        "operators.translation_matrix": (lambda v: operators.translation_matrix(v), ("shift",)),
        "operators.euclidean_matrix": (lambda v: operators.euclidean_matrix(v), ("angle",)),
        "operators.lr_motion_to_hr": (lambda v: operators.lr_motion_to_hr(np.eye(2, 3), v), ("factor",)),
        "operators.hr_motion_to_lr": (lambda v: operators.hr_motion_to_lr(v, 2), ("matrix",)),
        "operators.Decimate(offset)": (lambda v: operators.Decimate((8, 8), 2, offset=v), ("offset",)),
        "psf.gaussian(angle)": (lambda v: psf.gaussian(1.0, angle=v), ("angle",)),
        "psf.gaussian(sigma_y)": (lambda v: psf.gaussian(1.0, sigma_y=v), ("sigma_y",)),
        "misr.gaussian_psf": (lambda v: misr.gaussian_psf(v), ("sigma",)),
        "classicsr.set_num_threads": (lambda v: classicsr.set_num_threads(v), ("n",)),
    }


@pytest.mark.parametrize("helper", sorted(_helpers()))
def test_fuzz_scalar_parameters(helper):
    call, params = _helpers()[helper]
    try:
        for value in ODD_VALUES:
            check_call(helper, params, lambda: call(value), [], None)
    finally:
        classicsr.set_num_threads(classicsr.get_num_threads())


# --------------------------------------------------------------------------------------------
# layout invariance: no silent garbage from strided, Fortran, big-endian or memory-mapped input
# --------------------------------------------------------------------------------------------

def _layout_calls():
    from classicsr import example_based

    k = psf.gaussian(0.9)
    return {
        "resize": lambda x: classicsr.resize(x, 1.7),
        "resize_down": lambda x: classicsr.resize(x, 0.4, method="lanczos3"),
        "rgb_to_ycbcr": lambda x: color.rgb_to_ycbcr(x if x.ndim == 3 and x.shape[2] == 3
                                                     else np.stack([x.reshape(x.shape[:2])] * 3, axis=-1)),
        "ssim": lambda x: np.float64(metrics.ssim(x, x[::-1], data_range=1.0 if x.dtype.kind == "f" else None)),
        "downsample": lambda x: degrade.downsample(degrade.modcrop(x, 2), 2),
        "gaussian_noise": lambda x: degrade.gaussian_noise(x, 0.05, seed=1),
        "wiener": lambda x: deconvolution.wiener(x, k, nsr=0.01),
        "richardson_lucy": lambda x: deconvolution.richardson_lucy(x, k, iterations=3),
        "fftconvolve_periodic": lambda x: fft.fftconvolve_periodic(x, k),
        "pixel_unshuffle": lambda x: pixel_shuffle.pixel_unshuffle(degrade.modcrop(x, 2)[..., None]
                                                                    if x.ndim == 2 else degrade.modcrop(x, 2), 2),
        "example_based": lambda x: example_based.upscale(x, 2),
        "blur_operator": lambda x: operators.Blur(x.shape[:2], k).forward(x if x.ndim == 2 else x[..., 0]),
    }


@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(func=st.sampled_from(sorted(_layout_calls())),
       dtype=st.sampled_from(["uint8", "uint16", "float32", "float64"]),
       shape=st.sampled_from([(16, 14), (16, 18, 3), (13, 12, 1)]),
       layout=st.sampled_from(["F", "strided", "readonly", "bigendian", "memmap"]),
       seed=st.integers(0, 2**31 - 1))
def test_fuzz_layout_invariance(func, dtype, shape, layout, seed):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "u":
        base = rng.integers(0, np.iinfo(dt).max, size=shape, endpoint=True).astype(dt)
    else:
        base = rng.random(shape).astype(dt)
    odd = _layout(base.copy(), layout, seed)
    call = _layout_calls()[func]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(call(base))
        got = np.asarray(check_call(f"layout:{func}", (), lambda: call(odd), [odd], None))
    assert got.dtype == expected.dtype and got.dtype.isnative, (got.dtype, expected.dtype)
    assert not np.shares_memory(got, odd), f"{func} returned a view of its input"
    np.testing.assert_array_equal(got, expected, err_msg=f"{func} on a {layout} {dtype} array")
