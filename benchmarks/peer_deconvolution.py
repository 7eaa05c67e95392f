"""Time classicsr's deconvolution against scikit-image in one process and print ratios.

1024x1024 float32 (and float64), Gaussian PSF sigma 2.  Contenders run round-robin (one call
each per round, ``--rounds`` rounds) so load from other users of a shared machine hits all of
them alike; the table reports medians and the ratios of medians.

    NUMBA_NUM_THREADS=1 python benchmarks/peer_deconvolution.py            # one thread
    NUMBA_NUM_THREADS=2 python benchmarks/peer_deconvolution.py --threads 2

Threads: ``--threads`` sets classicsr's FFT threads; NUMBA_NUM_THREADS must be set in the
environment before start-up (Numba reads it once).  scikit-image runs scipy.fft with its
default single worker.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _median_times(contenders, rounds):
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: 1e3 * float(np.median(v)) for name, v in times.items()}


def _bare_pyfftw_pair(x, threads):
    import pyfftw

    a = pyfftw.empty_aligned(x.shape, x.dtype)
    spec_dtype = np.complex64 if x.dtype == np.float32 else np.complex128
    b = pyfftw.empty_aligned((x.shape[0], x.shape[1] // 2 + 1), spec_dtype)
    fwd = pyfftw.FFTW(a, b, axes=(0, 1), flags=("FFTW_MEASURE",), threads=threads)
    inv = pyfftw.FFTW(b, a, axes=(0, 1), direction="FFTW_BACKWARD", flags=("FFTW_MEASURE", "FFTW_DESTROY_INPUT"),
                      threads=threads)
    a[...] = x

    def pair():
        fwd.execute()
        inv.execute()

    return pair


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rl-rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--skip-rl", action="store_true")
    parser.add_argument("--skip-fft", action="store_true", help="skip the FFT backend table")
    args = parser.parse_args(argv)

    from scipy import ndimage
    from skimage import restoration

    from classicsr import deconvolution, fft, psf

    fft.set_backend(threads=args.threads)
    h = psf.gaussian(2.0)
    rng = np.random.default_rng(0)
    base = ndimage.gaussian_filter(rng.random((args.size, args.size)), 2.0) + rng.normal(0, 0.01, (args.size,) * 2)
    print(f"# {args.size}x{args.size}, Gaussian PSF sigma 2, classicsr FFT threads {args.threads}, "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'default')}, backend {fft.get_backend()['backend']}")
    for dtype in args.dtypes.split(","):
        x = base.astype(dtype)
        hd = h.astype(dtype)
        wrap = deconvolution.Deconvolver(hd, nsr=0.01, boundary="wrap")
        sym = deconvolution.Deconvolver(hd, nsr=0.01)
        contenders = {
            "skimage.restoration.wiener": lambda: restoration.wiener(x, hd, 0.01),
            "classicsr wiener, wrap (uncached)": lambda: deconvolution.wiener(x, hd, nsr=0.01, boundary="wrap"),
            "classicsr wiener, symmetric pad (uncached)": lambda: deconvolution.wiener(x, hd, nsr=0.01),
            "classicsr wiener, auto NSR, wrap": lambda: deconvolution.wiener(x, hd, boundary="wrap"),
            "classicsr tikhonov, auto lambda, wrap": lambda: deconvolution.tikhonov(x, hd, boundary="wrap"),
            "classicsr Deconvolver, wrap (cached)": lambda: wrap(x),
            "classicsr Deconvolver, symmetric pad (cached)": lambda: sym(x),
            "bare pyFFTW rfft2+irfft2 (plan reused)": _bare_pyfftw_pair(x, args.threads),
        }
        for fn in contenders.values():
            fn()  # plans, JIT
        res = _median_times(contenders, args.rounds)
        sk = res["skimage.restoration.wiener"]
        bare = res["bare pyFFTW rfft2+irfft2 (plan reused)"]
        print(f"\n## Wiener, {dtype} (median of {args.rounds} rounds)\n")
        print("| contender | ms | skimage / this | this / bare pyFFTW pair |")
        print("|---|---|---|---|")
        for name, ms in res.items():
            print(f"| {name} | {ms:.2f} | {sk / ms:.2f} | {ms / bare:.2f} |")

        if not args.skip_rl:
            contenders = {
                "skimage.restoration.richardson_lucy, 30 it.": lambda: restoration.richardson_lucy(x, hd, 30),
                "classicsr richardson_lucy, 30 it., wrap": lambda: deconvolution.richardson_lucy(
                    x, hd, iterations=30, boundary="wrap"),
                "classicsr richardson_lucy, 30 it., symmetric pad": lambda: deconvolution.richardson_lucy(
                    x, hd, iterations=30),
            }
            deconvolution.richardson_lucy(x, hd, iterations=1, boundary="wrap")
            deconvolution.richardson_lucy(x, hd, iterations=1)
            res = _median_times(contenders, args.rl_rounds)
            sk = res["skimage.restoration.richardson_lucy, 30 it."]
            print(f"\n## Richardson-Lucy, {dtype} (median of {args.rl_rounds} rounds)\n")
            print("| contender | ms | skimage / this |")
            print("|---|---|---|")
            for name, ms in res.items():
                print(f"| {name} | {ms:.1f} | {sk / ms:.2f} |")

    if args.skip_fft:
        return
    # FFT backends inside classicsr
    print(f"\n## rfft2 + irfft2 inside classicsr, {args.size}x{args.size} and 2048x2048 "
          f"(median of {args.rounds} rounds)\n")
    print("| size | dtype | numpy | scipy | pyfftw |")
    print("|---|---|---|---|---|")
    for size in (args.size, 2048):
        for dtype in args.dtypes.split(","):
            x = np.random.default_rng(1).random((size, size)).astype(dtype)
            res = {}
            for backend in ("numpy", "scipy", "pyfftw"):
                with fft.backend(backend, threads=args.threads):
                    fft.irfft2(fft.rfft2(x), x.shape)
                    res[backend] = _median_times({"p": lambda: fft.irfft2(fft.rfft2(x), x.shape)},
                                                 max(3, args.rounds // 2))["p"]
            print(f"| {size} | {dtype} | {res['numpy']:.1f} | {res['scipy']:.1f} | {res['pyfftw']:.1f} |")


if __name__ == "__main__":
    main()
