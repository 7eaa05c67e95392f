"""What a second thread can gain on this host, measured beside classicsr's own two-thread speed-ups.

Usage::

    python benchmarks/host_scaling.py                  # both parts, about 10 s
    python benchmarks/host_scaling.py --part resources # part 1 only
    python benchmarks/host_scaling.py --part resize --cases up4_rgb_f32 up2_rgb_u8

Issue 2 asks two threads to be at least 1.6x faster than one.  On a shared 2-vCPU machine the
answer depends on the host as much as on the code, so this script measures the host in the
same process:

1. **Resources.**  Small Numba loops, each bound by one resource: a vector polynomial on an
   L1-resident array (floating-point throughput), one dependent multiply-add chain (latency),
   vector sums over 256 KiB (L2), plain vector stores of 12 MiB (to L3) and streaming stores
   of 48 MiB (to memory).  Each is timed alone and beside a copy of itself on the second vCPU
   (its own data); ``2 x alone / together`` is the throughput two threads get from that
   resource.  On dedicated cores every row would read 2.0x except the memory ones.  (Sums
   over 8 MiB were dropped: alone they took longer than beside a copy in five runs of six,
   "2.1-3.3x", so that row measured something other than L3 loads.)
2. **Resize cases.**  For each of issue 2's upscales (the ``peer_resize.py`` cases),
   classicsr at one and two threads and the case's *write twin* (``_twin.py``: the call's
   output bytes written with classicsr's store kind, a multiply-add chain between two line
   stores, calibrated to take classicsr's one-thread time, no reads), in alternating rounds.
   The twin's speed-up is what this host gives a kernel that only writes at that call's rate;
   a resize also reads its input and tap rows, so it is not expected to do better.

Wall clock, medians; one-thread calls run on the calling thread, two-thread ones on
classicsr's thread pool (``_run_chunks``), as resize's passes do.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "2")

import numpy as np  # noqa: E402
from numba import jit  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _twin import WriteTwin, _twin_chunk, median_ms  # noqa: E402
from peer_resize import CASES, _image  # noqa: E402


@jit(nopython=True, nogil=True)
def _poly(src, dst, reps):
    for _ in range(reps):
        for i in range(src.size):
            x = src[i]
            y = x * np.float32(0.5) + np.float32(0.25)
            y = y * x + np.float32(0.125)
            y = y * x + np.float32(0.0625)
            y = y * x + np.float32(0.03125)
            y = y * x + np.float32(0.015625)
            dst[i] = y
    return dst[0]


@jit(nopython=True, nogil=True)
def _chain(n, x, y):
    a = x
    for _ in range(n):
        a = a * x + y
    return a


@jit(nopython=True, nogil=True)
def _vsum(buf, reps):
    acc = np.zeros(64, np.float32)
    for _ in range(reps):
        for i in range(0, buf.size - 63, 64):
            for k in range(64):
                acc[k] += buf[i + k]
    return acc.sum()


def _resources(scale):
    """name -> factory of a zero-argument callable with its own data (one per thread)."""
    def poly():
        a = np.random.default_rng(0).random(4096).astype(np.float32)
        d = np.empty_like(a)
        return lambda: _poly(a, d, int(4000 * scale))

    def chain():
        return lambda: _chain(int(10_000_000 * scale), np.float32(0.999), np.float32(0.001))

    def sums(nbytes, reps):
        def make():
            b = np.ones(nbytes // 4, np.float32)
            return lambda: _vsum(b, max(1, int(reps * scale)))
        return make

    def stores(nbytes, streamed, passes):
        def make():
            tw = WriteTwin(nbytes, streamed)
            one = np.float32(1.0)

            def call():
                for _ in range(max(1, int(passes * scale))):
                    _twin_chunk(tw.buf, 0, 0.0, one, one, streamed, 0, 1)
            return call
        return make

    return {
        "vector polynomial, 16 KiB (FP throughput)": poly,
        "one multiply-add chain (FP latency)": chain,
        "vector sums over 256 KiB (L2 loads)": sums(256 * 1024, 200),
        "plain stores, 12 MiB": stores(12 * 1024 ** 2, False, 16),
        "streaming stores, 48 MiB": stores(48 * 1024 ** 2, True, 4),
    }


def _alone_and_together(make, repeat):
    """Median ms of a call alone and beside a copy (own data) running on another thread."""
    mine, other = make(), make()
    mine(), other()
    alone, together = [], []
    for r in range(repeat):
        t0 = time.perf_counter()
        mine()
        alone.append(time.perf_counter() - t0)
        barrier = threading.Barrier(2)

        def run_other():
            barrier.wait()
            other()

        th = threading.Thread(target=run_other)
        th.start()
        barrier.wait()
        t0 = time.perf_counter()
        mine()
        together.append(time.perf_counter() - t0)
        th.join()
    return float(np.median(alone)) * 1e3, float(np.median(together)) * 1e3


def part_resources(repeat, scale):
    print("\n### Resources: one thread alone and beside a copy of itself (median ms)\n")
    print("| loop | alone | beside a copy | two-thread throughput |")
    print("|---|---|---|---|")
    rows = {}
    for name, make in _resources(scale).items():
        a, t = _alone_and_together(make, repeat)
        rows[name] = 2 * a / t
        print(f"| {name} | {a:.3g} | {t:.3g} | {2 * a / t:.2f}x |")
    return rows


def part_resize(cases, rounds, per_round):
    import numba

    import classicsr
    from classicsr._kernels import resample as K

    print("\n### Resize cases and their write twins, one and two threads in turns (median ms)\n")
    print("| operation | classicsr 1T | 2T | speed-up | twin 1T | 2T | twin speed-up |")
    print("|---|---|---|---|---|---|---|")
    rows = {}
    for case in cases:
        shape, dtype, scale, label = CASES[case]
        img = _image(shape, dtype)

        def call(img=img, scale=scale):
            classicsr.resize(img, scale)

        out = classicsr.resize(img, scale)
        streamed = out.dtype.kind == "f" and K._streamed(out, K.MODE_FLOAT)  # resize's rule
        twin = WriteTwin(out.nbytes, streamed)
        numba.set_num_threads(1)
        twin.calibrate(median_ms(call, 9))
        times = {}
        for _ in range(rounds):
            for nt in (1, 2):
                numba.set_num_threads(nt)
                call(), twin()  # untimed: wakes this thread count's workers
                for _ in range(per_round):
                    for name, f in (("classicsr", call), ("twin", twin)):
                        t0 = time.perf_counter()
                        f()
                        times.setdefault((name, nt), []).append(time.perf_counter() - t0)
        m = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
        rows[case] = (m[("classicsr", 1)] / m[("classicsr", 2)], m[("twin", 1)] / m[("twin", 2)])
        print(f"| {label} | {m[('classicsr', 1)]:.3g} | {m[('classicsr', 2)]:.3g}"
              f" | {rows[case][0]:.2f}x | {m[('twin', 1)]:.3g} | {m[('twin', 2)]:.3g}"
              f" | {rows[case][1]:.2f}x |")
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return rows


UPSCALES = [c for c in CASES if c.startswith("up")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["resources", "resize", "both"], default="both")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=UPSCALES)
    parser.add_argument("--repeat", type=int, default=7, help="alone / together pairs per resource")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="work per resource call (1: 2-20 ms)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=6)
    args = parser.parse_args(argv)
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        print("host_scaling needs NUMBA_NUM_THREADS >= 2", file=sys.stderr)
        return 2
    print(f"# host_scaling: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if args.part in ("resources", "both"):
        part_resources(args.repeat, args.scale)
    if args.part in ("resize", "both"):
        part_resize(args.cases, args.rounds, args.per_round)
    return 0


if __name__ == "__main__":
    sys.exit(main())
