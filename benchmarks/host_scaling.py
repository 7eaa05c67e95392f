"""What a second thread can gain on this host, measured beside classicsr's own two-thread speed-ups.

Usage::

    python benchmarks/host_scaling.py                  # both parts, about 15 s
    python benchmarks/host_scaling.py --part resources # part 1 only
    python benchmarks/host_scaling.py --part resize --cases up4_rgb_f32 up2_rgb_u8

Issue 2 asks two threads to be at least 1.6x faster than one.  On a shared 2-vCPU machine the
answer depends on the host as much as on the code, so this script measures the host in the
same process:

1. **Resources.**  Small Numba loops, each bound by one resource: a vector polynomial on an
   L1-resident array (floating-point throughput), one dependent multiply-add chain (latency),
   vector sums over 256 KiB (L2), plain vector stores of 12 MiB (to L3) and streaming stores
   of 48 MiB (to memory), the last both as the write twin's stores (a float chain between
   lines) and in a tight loop (the write bandwidth one thread can use: on the Zen 4 host of
   session 25, 48 MiB in 1.8 ms on one thread and the same on two, 28 GB/s: one thread
   saturates it, so a result that size takes >= 1.8 ms whatever the thread count).  Each is
   timed alone and beside a copy of itself on the second vCPU (its own data); ``2 x alone /
   together`` is the throughput two threads get from that resource.  On dedicated cores
   every row would read 2.0x except the memory ones.  (Sums
   over 8 MiB were dropped: alone they took longer than beside a copy in five runs of six,
   "2.1-3.3x", so that row measured something other than L3 loads.)
2. **Resize cases.**  For each of issue 2's upscales (the ``peer_resize.py`` cases), in
   alternating rounds, classicsr at one and two threads beside:

   - *two calls at once*: two independent one-thread copies of the call (own image, own
     output) started together on the two vCPUs, timed until both finish; ``2 x alone / both``
     is what the host gives two writers of that call's output with nothing shared between
     them (a two-thread call, which also splits its rows and waits for its slower half, is
     not expected to do better);
   - the case's *write twin* (``_twin.py``: the call's output bytes written with classicsr's
     store kind, a multiply-add chain between two line stores, calibrated to take classicsr's
     one-thread time, no reads): what the host gives a kernel that only writes at that rate
     with a latency-bound chain between stores (an optimistic model: stalls on the stores
     hide behind the chain);
   - for float upscales by integer factors, the *compute-only run* (``_twin.ComputeOnly``):
     the call's own fused kernel and arguments, each chunk's output rows cycled through a
     few cache-resident rows: the arithmetic without the output traffic.

   The host switches, within seconds, between moments when the second vCPU gives a
   floating-point loop about 2.0x and moments when it gives about 1.0x (as if the two vCPUs
   shared one CPU).  So every round is bracketed by a probe (the vector polynomial alone and
   beside a copy, about 10 ms), and the table gives the speed-ups over the *dedicated*
   rounds (both probes at least ``--dedicated``, 1.8x by default) and over all rounds.

3. **Stack depths** (``--part stack``).  Each case at one thread, called from fresh threads
   at ``--depths`` C-stack depths (each level one more ``map`` call between the thread's start
   and the resize, a few hundred bytes of C stack): the best of ``--repeat`` calls per depth.
   A kernel whose speed depends on where its caller's stack lies shows here; a two-thread
   call runs half its chunks on a pool thread's stack and "two calls at once" on a second
   Python thread's, so such a kernel also looks like a host that does not scale (the
   thirty-third session: 512x512x3 float32 x4 took 23-27 ms on some depths, among them a
   fresh thread's, against 5-8 ms on the others, until the kernels realigned their frames).

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
from _twin import (  # noqa: E402
    LINE, ComputeOnly, WriteTwin, _store_nt, _twin_chunk, median_ms)
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
def _fill(buf, passes):
    """``passes`` sweeps of 64-byte streaming stores over ``buf``, nothing else in the loop:
    what one thread's stores can take from memory (the twin's stores carry a float chain)."""
    one = np.float32(1.0)
    for _ in range(passes):
        for line in range(buf.size // LINE):
            _store_nt(buf, line * LINE, one)
    return buf[0]


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

    def fill(nbytes, passes):
        def make():
            buf = WriteTwin(nbytes, True).buf
            return lambda: _fill(buf, max(1, int(passes * scale)))
        return make

    return {
        "vector polynomial, 16 KiB (FP throughput)": poly,
        "one multiply-add chain (FP latency)": chain,
        "vector sums over 256 KiB (L2 loads)": sums(256 * 1024, 200),
        "plain stores, 12 MiB": stores(12 * 1024 ** 2, False, 16),
        "streaming stores, 48 MiB": stores(48 * 1024 ** 2, True, 4),
        "streaming stores in a tight loop, 48 MiB (write bandwidth)": fill(48 * 1024 ** 2, 8),
    }


PROBE = "vector polynomial, 16 KiB (FP throughput)"


def _alone_and_together(make, repeat, until_both=False):
    """Median ms of a call alone and beside a copy (own data) running on another thread.

    ``until_both``: the calls run on one Numba thread each (a resize call), and "together" is
    the wall time from starting both to both finishing, the way a two-thread call waits for
    its slower thread; otherwise it is the time of this thread's call."""
    import numba

    mine, other = make(), make()
    if until_both:
        numba.set_num_threads(1)
    mine(), other()
    alone, together = [], []
    for r in range(repeat):
        t0 = time.perf_counter()
        mine()
        alone.append(time.perf_counter() - t0)
        barrier = threading.Barrier(2)

        def run_other():
            if until_both:
                numba.set_num_threads(1)  # thread-local: a new thread starts at NUMBA_NUM_THREADS
            barrier.wait()
            other()

        th = threading.Thread(target=run_other)
        th.start()
        barrier.wait()
        t0 = time.perf_counter()
        mine()
        if until_both:
            th.join()
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


def _probe(repeat=3):
    """The host's two-thread throughput for the floating-point loop right now (2 x alone /
    together of the vector polynomial; about 10 ms)."""
    alone, together = _alone_and_together(_resources(0.5)[PROBE], repeat)
    return 2 * alone / together


def _speedup(times, name):
    """``(1T median ms, 2T median ms, speed-up)`` of ``name`` in ``times``, or ``None``."""
    if (name, 1) not in times:
        return None
    one, two = (float(np.median(times[(name, nt)])) * 1e3 for nt in (1, 2))
    return one, two, one / two


COLUMNS = ("classicsr", "two calls at once", "twin", "compute-only")


def part_resize(cases, rounds, per_round, dedicated=1.8):
    import numba

    import classicsr
    from classicsr._kernels import resample as K

    print("\n### Resize cases, their write twins and compute-only runs, one and two threads in "
          "turns (median ms)\n")
    print(f"A round counts as *dedicated* when the host probe (the FP-throughput loop alone "
          f"and beside a copy) read at least {dedicated}x both before and after it.\n")
    print("| operation | dedicated rounds | classicsr 1T | 2T | speed-up | two calls at once "
          "| twin | compute-only | all rounds: classicsr | two calls at once | twin "
          "| compute-only |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
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
        fns = {"classicsr": call, "twin": twin}
        compute = ComputeOnly.of(call)
        if compute is not None:
            fns["compute-only"] = compute

        def copy(shape=shape, dtype=dtype, scale=scale):
            own = _image(shape, dtype)
            dst = classicsr.resize(own, scale)
            return lambda: classicsr.resize(own, scale, out=dst)

        every, good = {}, {}
        for _ in range(rounds):
            before = _probe()
            alone, both = _alone_and_together(copy, per_round, until_both=True)
            # two calls in the wall time of "both": half of it per call, as a 2T call's time
            times = {("two calls at once", 1): [alone / 1e3],
                     ("two calls at once", 2): [both / 2e3]}
            for nt in (1, 2):
                numba.set_num_threads(nt)
                for f in fns.values():
                    f()  # untimed: wakes this thread count's workers
                for _ in range(per_round):
                    for name, f in fns.items():
                        t0 = time.perf_counter()
                        f()
                        times.setdefault((name, nt), []).append(time.perf_counter() - t0)
            kept = min(before, _probe()) >= dedicated
            for key, v in times.items():
                every.setdefault(key, []).extend(v)
                if kept:
                    good.setdefault(key, []).extend(v)
        ngood = len(good.get(("classicsr", 1), [])) // per_round
        row = {(part, name): _speedup(t, name) for part, t in (("dedicated", good), ("all", every))
               for name in COLUMNS}
        rows[case] = row

        def ratio(part, name):
            r = row[(part, name)]
            return "-" if r is None else f"{r[2]:.2f}x"

        main = row[("dedicated", "classicsr")]
        ms = "| - | - " if main is None else f"| {main[0]:.3g} | {main[1]:.3g} "
        print(f"| {label} | {ngood} of {rounds} {ms}| "
              + " | ".join(ratio(part, name) for part in ("dedicated", "all") for name in COLUMNS)
              + " |")
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return rows


UPSCALES = [c for c in CASES if c.startswith("up")]


def _nested(depth, f):
    """``f()`` called through ``depth`` more C frames (``map`` calls) on this thread's stack."""
    if depth == 0:
        return f()
    return list(map(lambda _: _nested(depth - 1, f), [0]))[0]


def part_stack(cases, depths, repeat):
    import numba

    import classicsr

    print(f"\n### Stack depths: one thread, from fresh threads at {depths} C-stack depths (best "
          f"of {repeat} calls per depth, ms)\n")
    print("| operation | min | median | max | max / min | per depth |")
    print("|---|---|---|---|---|---|")
    rows = {}
    for case in cases:
        shape, dtype, scale, label = CASES[case]
        img = _image(shape, dtype)
        out = classicsr.resize(img, scale)
        times = []

        def timed():
            classicsr.resize(img, scale, out=out)
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                classicsr.resize(img, scale, out=out)
                best = min(best, time.perf_counter() - t0)
            return best * 1e3

        def run(depth):
            numba.set_num_threads(1)  # thread-local: a new thread starts at NUMBA_NUM_THREADS
            times.append(_nested(depth, timed))

        for depth in range(depths):
            th = threading.Thread(target=run, args=(depth,))
            th.start()
            th.join()
        t = np.array(times)
        rows[case] = t
        print(f"| {label} | {t.min():.3g} | {np.median(t):.3g} | {t.max():.3g} "
              f"| {t.max() / t.min():.2f} | {' '.join(f'{v:.3g}' for v in t)} |")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["resources", "resize", "stack", "both", "all"],
                        default="both", help="both: resources and resize; all: the three")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=UPSCALES)
    parser.add_argument("--repeat", type=int, default=7, help="alone / together pairs per resource")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="work per resource call (1: 2-20 ms)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=6)
    parser.add_argument("--dedicated", type=float, default=1.8,
                        help="probe reading (both sides of a round) for a dedicated round")
    parser.add_argument("--depths", type=int, default=8, help="stack depths (--part stack)")
    args = parser.parse_args(argv)
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2 and args.part != "stack":  # stack: one thread
        print("host_scaling needs NUMBA_NUM_THREADS >= 2", file=sys.stderr)
        return 2
    print(f"# host_scaling: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if args.part in ("resources", "both", "all"):
        part_resources(args.repeat, args.scale)
    if args.part in ("resize", "both", "all"):
        part_resize(args.cases, args.rounds, args.per_round, args.dedicated)
    if args.part in ("stack", "all"):
        part_stack(args.cases, args.depths, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
