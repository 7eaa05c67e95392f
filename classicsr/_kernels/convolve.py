"""Fused element-wise kernels for Fourier-domain deconvolution (Wiener, Tikhonov, inverse,
Richardson-Lucy).  Contiguous arrays and scalars in, nothing validated here.

Spectra are rfft2 half spectra ``(P, Q // 2 + 1)``; ``otf`` has the same shape.  ``scale`` is
the inverse-FFT normalisation ``1 / (P Q)`` folded into the filter so no separate pass is
needed.
"""

from __future__ import annotations

import math

from numba import prange

from .._config import jit
from ._frame import align_stack


@jit(parallel=True)
def regularized_inverse_scalar(spec, otf, lam, scale):
    """spec *= scale * conj(H) / (|H|^2 + lam)."""
    align_stack()
    m, n = spec.shape
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        for j in range(n):
            h = otf[i, j]
            hr = h.real
            hi = h.imag
            d = hr * hr + hi * hi + lam
            if d > 0.0:
                g = scale / d
                s = spec[i, j]
                # s * conj(h) * g
                spec[i, j] = complex((s.real * hr + s.imag * hi) * g, (s.imag * hr - s.real * hi) * g)
            else:
                spec[i, j] = 0.0


@jit(parallel=True)
def regularized_inverse_array(spec, otf, reg2, lam, scale):
    """spec *= scale * conj(H) / (|H|^2 + lam * reg2); reg2 has the spectrum's shape."""
    align_stack()
    m, n = spec.shape
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        for j in range(n):
            h = otf[i, j]
            hr = h.real
            hi = h.imag
            d = hr * hr + hi * hi + lam * reg2[i, j]
            if d > 0.0:
                g = scale / d
                s = spec[i, j]
                spec[i, j] = complex((s.real * hr + s.imag * hi) * g, (s.imag * hr - s.real * hi) * g)
            else:
                spec[i, j] = 0.0


@jit(parallel=True)
def thresholded_inverse(spec, otf, threshold, scale):
    """spec *= scale / H where |H| > threshold, else 0 (threshold 0: only exact zeros)."""
    align_stack()
    m, n = spec.shape
    t2 = threshold * threshold
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        for j in range(n):
            h = otf[i, j]
            a2 = h.real * h.real + h.imag * h.imag
            if a2 > t2 and a2 > 0.0:
                spec[i, j] = spec[i, j] * (scale / h)
            else:
                spec[i, j] = 0.0


@jit(parallel=True)
def filter_stats(y2, h2, reg2, weights, lam):
    """Sums for choosing lambda: (sum w |1 - a|^2 |Y|^2, sum w a) with a = h2 / (h2 + lam reg2).

    ``weights`` (one per column) counts each half-spectrum column once or twice so the sums
    run over the full spectrum.
    """
    align_stack()
    m, n = y2.shape
    res = 0.0
    tr = 0.0
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        r_row = 0.0
        t_row = 0.0
        for j in range(n):
            d = h2[i, j] + lam * reg2[i, j]
            if d > 0.0:
                a = h2[i, j] / d
            else:
                a = 0.0
            r_row += weights[j] * (1.0 - a) * (1.0 - a) * y2[i, j]
            t_row += weights[j] * a
        res += r_row
        tr += t_row
    return res, tr


@jit(parallel=True)
def rl_ratio(observed, reblurred, dampar22, tiny):
    """reblurred <- observed / reblurred (in place), 0 where reblurred <= tiny.

    With ``dampar22 > 0`` the ratio is damped where the model already fits (White 1994,
    MATLAB ``deconvlucy``): g = min(1, (y ln(y / b) + b - y) / dampar22),
    ratio = 1 + g^(N-1) (N - (N-1) g) (y / b - 1), N = 10.
    """
    align_stack()
    m, n = observed.shape
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        for j in range(n):
            b = reblurred[i, j]
            y = observed[i, j]
            if b <= tiny:
                reblurred[i, j] = 0.0
                continue
            r = y / b
            if dampar22 > 0.0:
                if y > 0.0:
                    g = (y * math.log(r) + b - y) / dampar22
                else:
                    g = b / dampar22
                if g > 1.0:
                    g = 1.0
                if g < 0.0:
                    g = 0.0
                g9 = g * g * g
                g9 = g9 * g9 * g9
                r = 1.0 + g9 * (10.0 - 9.0 * g) * (r - 1.0)
            reblurred[i, j] = r


@jit(parallel=True)
def multiply_nonnegative(x, corr):
    """x <- max(x * corr, 0) (the multiplicative RL update, kept non-negative)."""
    align_stack()
    m, n = x.shape
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        for j in range(n):
            v = x[i, j] * corr[i, j]
            x[i, j] = v if v > 0.0 else 0.0


@jit(parallel=True)
def blend(alpha_r, alpha_c, image, blurred, out):
    """out = a I + (1 - a) B with a[i, j] = alpha_r[i] * alpha_c[j] (edgetaper)."""
    align_stack()
    m, n = image.shape
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        ar = alpha_r[i]
        for j in range(n):
            a = ar * alpha_c[j]
            out[i, j] = a * image[i, j] + (1.0 - a) * blurred[i, j]


@jit(parallel=True)
def model_risk(h2, reg2, signal, weights, lam, noise_power):
    """Expected squared error of the filter conj(H) / (|H|^2 + lam reg2) under a signal power
    spectrum model: sum w [ (lam reg2 / d)^2 S + h2 / d^2 * noise_power ], d = h2 + lam reg2."""
    align_stack()
    m, n = h2.shape
    total = 0.0
    for i in prange(m):
        align_stack()  # the parallel body is its own function
        row = 0.0
        for j in range(n):
            r = lam * reg2[i, j]
            d = h2[i, j] + r
            if d > 0.0:
                row += weights[j] * ((r / d) ** 2 * signal[i, j] + h2[i, j] / (d * d) * noise_power)
            else:
                row += weights[j] * signal[i, j]
        total += row
    return total
