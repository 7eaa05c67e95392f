"""Time A+ / ANR / Zeyde inference against reference points in one process; print ratios.

Usage::

    python benchmarks/peer_example_based.py [--threads 1] [--repeat 7] [--size 512]
                                            [--data ../shared/data]

No maintained Python library implements A+, ANR or Zeyde, so there is no like-for-like peer.
Reference points, timed on the same 512x512 grayscale uint8 LR image in the same run:
MATLAB bicubic (``classicsr.resize``), ``cv2.resize`` INTER_CUBIC, and the learned CPU
upscalers of OpenCV's ``dnn_superres`` (FSRCNN and ESPCN graphs from ``../shared/data``,
when present), which reach a similar or better PSNR.  Thread counts are fixed before numba /
BLAS / OpenCV load.  Reported: median wall and CPU (process) ms -- on a shared machine the
CPU time of a one-thread run is the robust number -- CPU ms per output megapixel, and CPU
time / A+ CPU time.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--no-zeyde", action="store_true", help="skip Zeyde (slow: OMP per patch)")
    args = parser.parse_args(argv)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import time

    import numpy as np

    from classicsr import resize
    from classicsr.example_based import pretrained

    try:
        import cv2

        cv2.setNumThreads(args.threads)
    except ImportError:
        cv2 = None

    rng = np.random.default_rng(2024)
    n = args.size
    yy, xx = np.mgrid[:n, :n]
    lr = np.clip(128 + 50 * np.sin(xx / 7.0) * np.cos(yy / 11.0) + 20 * rng.normal(size=(n, n)), 0, 255)
    lr = lr.astype(np.uint8)

    def bench(fn):
        fn()  # warm-up: JIT / cache load / model load
        wall, cpu = [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        return float(np.median(wall)) * 1e3, float(np.median(cpu)) * 1e3

    print(f"# example-based SR inference, {n}x{n} grayscale uint8 LR, threads={args.threads}, "
          f"median of {args.repeat}")
    print("| scale | method | wall ms | CPU ms | CPU ms / output MP | CPU time / A+ |")
    print("|---|---|---|---|---|---|")
    data = Path(args.data) / "opencv_models"
    for s in args.scales:
        rows = []
        mp = (n * s) ** 2 / 1e6
        for m in ("aplus", "anr") + (() if args.no_zeyde else ("zeyde",)):
            f = pretrained(m, s)
            rows.append((f"classicsr {m}", bench(lambda f=f: f(lr))))
        rows.append(("classicsr.resize bicubic (MATLAB)", bench(lambda: resize(lr, s))))
        if cv2 is not None:
            rows.append(("cv2.resize INTER_CUBIC", bench(lambda: cv2.resize(lr, None, fx=s, fy=s,
                                                                           interpolation=cv2.INTER_CUBIC))))
            sr_mod = getattr(cv2, "dnn_superres", None)
            for algo in ("fsrcnn", "espcn"):
                path = data / f"{algo.upper()}_x{s}.pb"
                if sr_mod is None or not path.is_file():
                    continue
                net = sr_mod.DnnSuperResImpl_create()
                net.readModel(str(path))
                net.setModel(algo, s)
                rgb = np.repeat(lr[..., None], 3, axis=-1)
                rows.append((f"cv2.dnn_superres {algo.upper()}", bench(lambda net=net: net.upsample(rgb))))
        ref = rows[0][1][1]
        for name, (wall, cpu) in rows:
            print(f"| x{s} | {name} | {wall:.1f} | {cpu:.1f} | {cpu / mp:.1f} | {cpu / ref:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
