"""Time classicsr's SSIM / PSNR against peers in one process and print the ratios.

Usage::

    python benchmarks/peer_metrics.py [--threads 1] [--repeat 15]

Peers: ``skimage.metrics.structural_similarity`` configured as the paper (Gaussian 11x11,
sigma 1.5, population covariance: the configuration classicsr matches to 1e-6), the same with
scikit-image's defaults (7x7 uniform window; a different, cheaper metric, for reference), and
an OpenCV implementation in the style of BasicSR's ``calculate_ssim`` (``cv2.GaussianBlur``
of the five moments, valid crop).  The thread count is fixed *before* numba / OpenCV load
(``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``, ``cv2.setNumThreads``).  Medians of ``--repeat``
runs after a warm-up; ratios are peer time / classicsr time measured in the same run.  By
default the clock is the process CPU time (``--clock cpu``): with one thread it measures the
work done, not the time spent waiting for a core on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="cpu: process CPU time (robust on a shared, overloaded machine when "
                             "everything runs on one thread); wall: perf_counter")
    args = parser.parse_args(argv)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import timeit

    import numpy as np
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from classicsr.metrics import psnr, ssim

    try:
        import cv2

        cv2.setNumThreads(args.threads)
    except ImportError:  # optional peer
        cv2 = None

    def cv2_ssim(a, b):
        # BasicSR-style: float64, GaussianBlur(11, 1.5) of the moments, 'valid' crop of 5 px.
        c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
        a = a.astype(np.float64)
        b = b.astype(np.float64)
        k = cv2.getGaussianKernel(11, 1.5)
        w = np.outer(k, k.transpose())
        mu1 = cv2.filter2D(a, -1, w)[5:-5, 5:-5]
        mu2 = cv2.filter2D(b, -1, w)[5:-5, 5:-5]
        s1 = cv2.filter2D(a * a, -1, w)[5:-5, 5:-5] - mu1 ** 2
        s2 = cv2.filter2D(b * b, -1, w)[5:-5, 5:-5] - mu2 ** 2
        s12 = cv2.filter2D(a * b, -1, w)[5:-5, 5:-5] - mu1 * mu2
        m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s1 + s2 + c2))
        return float(m.mean())

    import time

    timer = time.process_time if args.clock == "cpu" else time.perf_counter

    def median_ms(fn):
        fn()
        times = timeit.repeat(fn, number=1, repeat=args.repeat, timer=timer)
        return 1000 * float(np.median(times))

    import numba

    print(f"clock={args.clock}, threads={args.threads} (numba {numba.get_num_threads()}), repeat={args.repeat}, "
          f"python {sys.version.split()[0]}, numpy {np.__version__}")
    header = "| operation | classicsr ms | skimage (paper config) ms | ratio | skimage (defaults) ms | ratio | " \
             "OpenCV BasicSR-style ms | ratio |"
    print(header)
    print("|" + "---|" * 8)
    rng = np.random.default_rng(0)
    for size in args.sizes:
        for dtype in ("uint8", "float64"):
            a = rng.integers(0, 256, (size, size)).astype(np.uint8)
            b = np.clip(a.astype(np.int16) + rng.integers(-12, 13, a.shape), 0, 255).astype(np.uint8)
            if dtype == "float64":
                a, b = a.astype(np.float64), b.astype(np.float64)
            ours = median_ms(lambda: ssim(a, b, data_range=255))
            sk_paper = median_ms(lambda: structural_similarity(
                a.astype(np.float64), b.astype(np.float64), gaussian_weights=True, sigma=1.5,
                use_sample_covariance=False, data_range=255))
            sk_def = median_ms(lambda: structural_similarity(a, b, data_range=255))
            row = (f"| SSIM {size}x{size} gray {dtype} | {ours:.2f} | {sk_paper:.2f} | {sk_paper / ours:.1f}x "
                   f"| {sk_def:.2f} | {sk_def / ours:.1f}x |")
            if cv2 is not None:
                cv = median_ms(lambda: cv2_ssim(a, b))
                row += f" {cv:.2f} | {cv / ours:.1f}x |"
            else:
                row += " – | – |"
            print(row, flush=True)
    print()
    print("| operation | classicsr ms | skimage ms | ratio |")
    print("|---|---|---|---|")
    for size in args.sizes:
        a = rng.integers(0, 256, (size, size, 3)).astype(np.uint8)
        b = np.clip(a.astype(np.int16) + rng.integers(-12, 13, a.shape), 0, 255).astype(np.uint8)
        ours = median_ms(lambda: psnr(a, b))
        theirs = median_ms(lambda: peak_signal_noise_ratio(a, b, data_range=255))
        print(f"| PSNR {size}x{size}x3 uint8 | {ours:.2f} | {theirs:.2f} | {theirs / ours:.1f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
