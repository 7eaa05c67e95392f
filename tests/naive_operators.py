"""Slow, obviously-correct references for classicsr.operators (explicit loops, no Numba).

Each builds its matrix explicitly, one row per output pixel, from the written-down
definition; tests compare the fast operators against these and against peer libraries.
"""

from __future__ import annotations

import math

import numpy as np

NP_PAD_MODE = {"zero": "constant", "replicate": "edge", "symmetric": "symmetric",
               "reflect": "reflect", "wrap": "wrap"}


def map_index(i, n, boundary):
    """Index rule written as a loop: walk back into the image step by step."""
    if 0 <= i < n:
        return i
    if boundary == "zero":
        return None
    if boundary == "replicate":
        return 0 if i < 0 else n - 1
    if boundary == "wrap":
        return i % n
    if boundary == "symmetric":  # c b a | a b c | c b a
        while not 0 <= i < n:
            i = -1 - i if i < 0 else 2 * n - 1 - i
        return i
    if boundary == "reflect":  # c b | a b c | b a
        if n == 1:
            return 0
        while not 0 <= i < n:
            i = -i if i < 0 else 2 * n - 2 - i
        return i
    raise ValueError(boundary)


def keys(t, a=-0.5):
    t = abs(t)
    if t <= 1:
        return (a + 2) * t**3 - (a + 3) * t**2 + 1
    if t < 2:
        return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return 0.0


def warp_matrix(shape, matrix, interpolation="bicubic", boundary="symmetric"):
    """Dense matrix of the warp: output p samples input at inv(A)(p - b)."""
    H, W = shape
    A = np.asarray(matrix, float)[:2]
    Ainv = np.linalg.inv(A[:, :2])
    M = np.zeros((H * W, H * W))
    for r in range(H):
        for c in range(W):
            q = Ainv @ (np.array([r, c], float) - A[:, 2])
            taps = []
            for axis in range(2):
                i0 = math.floor(q[axis])
                f = q[axis] - i0
                if interpolation == "bilinear":
                    taps.append([(i0, 1 - f), (i0 + 1, f)])
                else:
                    taps.append([(i0 + t, keys(f - t)) for t in (-1, 0, 1, 2)])
            for (ir, wr) in taps[0]:
                rr = map_index(ir, H, boundary)
                for (ic, wc) in taps[1]:
                    cc = map_index(ic, W, boundary)
                    if rr is None or cc is None:
                        continue
                    M[r * W + c, rr * W + cc] += wr * wc
    return M


def blur(x, psf, boundary="symmetric"):
    """Convolution by explicit summation over np.pad'ed input (an independent boundary rule)."""
    kh, kw = psf.shape
    ch, cw = kh // 2, kw // 2
    pad = ((kh - 1 - ch, ch), (kw - 1 - cw, cw))
    mode = NP_PAD_MODE[boundary]
    xp = np.pad(x, pad, mode=mode)
    H, W = x.shape
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            # (B x)[i, j] = sum psf[a, b] x[i + ch - a, j + cw - b]
            acc = 0.0
            for a in range(kh):
                for b in range(kw):
                    acc += psf[a, b] * xp[i + ch - a + pad[0][0], j + cw - b + pad[1][0]]
            out[i, j] = acc
    return out


def decimate(x, factor, mode="sample", offset=0):
    if mode == "sample":
        return x[offset::factor, offset::factor].copy()
    H, W = (x.shape[0] // factor) * factor, (x.shape[1] // factor) * factor
    return x[:H, :W].reshape(H // factor, factor, W // factor, factor).mean(axis=(1, 3))


def observe(x, factor, hr_matrices, psf, interpolation="bicubic", boundary="symmetric"):
    """Explicit warp -> blur -> decimate for each frame (HR-unit motion matrices)."""
    frames = []
    for A in hr_matrices:
        M = warp_matrix(x.shape, A, interpolation, boundary)
        w = (M @ x.ravel()).reshape(x.shape)
        b = blur(w, psf, boundary) if psf is not None else w
        frames.append(decimate(b, factor))
    return np.stack(frames)
