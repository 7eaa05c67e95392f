"""A slow, obviously-correct reference resampler written from the MATLAB rules in PROTOCOL.md.

Independent of ``classicsr.resize``: plain Python loops over output samples, scalar kernel
functions, and ``math`` only.  Used by the tests to check the fast kernels.
"""

from __future__ import annotations

import math

import numpy as np

EPS = 2.220446049250313e-16

# Squares are the IEEE product ``x * x``: the correctly rounded square, which fdlibm's ``pow``
# returns for an exponent of 2.  Python's ``x ** 2`` calls the C library's ``pow``, which glibc
# computes to within 0.52 ulp only: ``1.6249999999999991 ** 2`` is one ulp below
# ``1.6249999999999991 * 1.6249999999999991``, and the Keys weight of that tap distance moved
# a bicubic sum (13 -> 212 rows) from 181.5 to 181.49999999999994.  Cubes keep ``** 3``.


def k_box(x):
    return 1.0 if -0.5 <= x < 0.5 else 0.0


def k_triangle(x):
    if -1 <= x < 0:
        return x + 1
    if 0 <= x <= 1:
        return 1 - x
    return 0.0


def make_k_cubic(a):
    def k(x):
        ax = abs(x)
        if ax <= 1:
            return (a + 2) * ax ** 3 - (a + 3) * (ax * ax) + 1
        if ax <= 2:
            return a * ax ** 3 - 5 * a * (ax * ax) + 8 * a * ax - 4 * a
        return 0.0
    return k


def make_k_lanczos(n):
    def k(x):
        if abs(x) >= n:
            return 0.0
        return ((math.sin(math.pi * x) * math.sin(math.pi * x / n) + EPS)
                / (math.pi ** 2 * (x * x) / n + EPS))
    return k


KERNELS = {
    "nearest": (k_box, 1.0, False),
    "box": (k_box, 1.0, True),
    "bilinear": (k_triangle, 2.0, True),
    "bicubic": (make_k_cubic(-0.5), 4.0, True),
    "lanczos2": (make_k_lanczos(2), 4.0, True),
    "lanczos3": (make_k_lanczos(3), 6.0, True),
}


def map_index(i, n, boundary):
    """Map a 0-based, possibly out-of-range index; ``None`` means 'reads zero'."""
    if 0 <= i < n:
        return i
    if boundary == "replicate":
        return min(max(i, 0), n - 1)
    if boundary == "symmetric":
        period = 2 * n
        i %= period
        return i if i < n else period - 1 - i
    if boundary == "reflect":
        if n == 1:
            return 0
        period = 2 * n - 2
        i %= period
        return i if i < n else period - i
    if boundary == "wrap":
        return i % n
    if boundary == "constant":
        return None
    raise ValueError(boundary)


def axis_weights(n_in, n_out, scale, method, antialias, boundary, cubic_a=-0.5):
    """For each output sample: list of (input index or None, weight)."""
    k, width, can_aa = KERNELS[method]
    if method == "bicubic":
        k = make_k_cubic(cubic_a)
    if scale < 1 and antialias and can_aa:
        base = k

        def k(x):
            return scale * base(scale * x)
        width = width / scale
    rows = []
    for x in range(1, n_out + 1):
        u = x / scale + 0.5 * (1 - 1 / scale)
        left = math.floor(u - width / 2)
        taps = [left + p for p in range(int(math.ceil(width)) + 2)]
        w = [k(u - t) for t in taps]
        s = 0.0
        for v in w:
            s += v
        w = [v / s for v in w]
        rows.append([(map_index(t - 1, n_in, boundary), wt) for t, wt in zip(taps, w)])
    return rows


def _pass(img, axis, rows, int_max):
    """Resample a float64 (H, W, C) array along ``axis``; round/saturate if int_max."""
    img = np.moveaxis(img, axis, 0)
    out = np.zeros((len(rows),) + img.shape[1:])
    for i, taps in enumerate(rows):
        acc = np.zeros(img.shape[1:])
        for j, wt in taps:
            if wt == 0.0:
                continue
            if j is not None:
                acc = acc + wt * img[j]
        out[i] = acc
    if int_max:
        # Saturate, then round half away from zero exactly (v - floor(v) is exact in float64).
        out = np.clip(out, 0.0, int_max)
        fl = np.floor(out)
        out = fl + (out - fl >= 0.5)
    return np.moveaxis(out, 0, axis)


def reference_resize(image, scale=None, output_shape=None, method="bicubic", antialias=True,
                     boundary="symmetric", cubic_a=-0.5, round_each_pass=True):
    """Resize an (H, W) or (H, W, C) image the slow way; returns float64 for float input and
    the integer dtype for uint8/uint16 input."""
    image = np.asarray(image)
    gray = image.ndim == 2
    img = image[:, :, None] if gray else image
    h, w = img.shape[:2]
    if output_shape is None:
        sr, sc = (scale, scale) if np.isscalar(scale) else scale
        out_shape = (int(math.ceil(sr * h)), int(math.ceil(sc * w)))
    else:
        out_shape = tuple(output_shape)
        sr, sc = out_shape[0] / h, out_shape[1] / w
    int_max = float(np.iinfo(image.dtype).max) if image.dtype.kind == "u" else 0.0
    order = [0, 1] if sr <= sc else [1, 0]
    scales = {0: sr, 1: sc}
    cur = img.astype(np.float64)
    # documented: an axis at scale 1 (same length) is copied, not resampled
    active = [ax for ax in order if not (scales[ax] == 1.0 and out_shape[ax] == cur.shape[ax])]
    for n, ax in enumerate(active):
        rows = axis_weights(cur.shape[ax], out_shape[ax], scales[ax], method, antialias, boundary, cubic_a)
        last = n == len(active) - 1
        cur = _pass(cur, ax, rows, int_max if (round_each_pass or last) else 0.0)
    if int_max:
        cur = cur.astype(image.dtype)
    return cur[:, :, 0] if gray else cur
