"""Throughput of classicsr.dask.resize (bicubic x2, uint8 RGB): output megapixels/s and CPU
seconds per output megapixel, for 1 and 2 workers and several chunk edges.

    python benchmarks/dask_throughput.py [--side 4096] [--chunks 256 512 1024 2048 4096]
        [--workers 1 2] [--rounds 3] [--cluster-chunks 512 1024 2048] [--no-cluster]

Three measurements, all in this one process (so the ratios between rows are same-process,
same-minutes ratios; rounds are interleaved round-robin over the configurations so load from
other jobs falls on all of them alike; medians are reported):

* **in-memory baseline**: ``classicsr.resize`` on the numpy image (one Numba thread).
* **threads**: ``classicsr.dask.resize`` of the image wrapped by ``dask.array.from_array``,
  computed to a numpy array on the threaded scheduler with ``num_workers`` threads.  CPU time
  is this process's (all threads).
* **processes** (``distributed.LocalCluster``, ``workers`` single-threaded worker processes):
  each input block is generated on the worker that uses it and the x2 result is summed there,
  so only the resampling and the scheduling are measured, not moving 200 MB to the client.
  CPU time is the sum over the worker processes and this process (which runs the scheduler)
  (``psutil``).  The same generate-resize-sum graph is also run on the threaded scheduler
  (rows "threads, generated") to separate the process overhead from the pipeline.

Every resampler call uses one Numba thread (``NUMBA_NUM_THREADS=1``, set here before numba is
imported and passed to the workers): the dask workers are the parallelism.  The machine's load
average (1 min) is printed at the start and after every round; report it with the numbers.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

_SEED = 20261126


def _image(side):
    return np.random.default_rng(_SEED).integers(0, 256, (side, side, 3), dtype=np.uint8)


def _generated_block(block_info=None):
    (r0, r1), (c0, c1), _ = block_info[None]["array-location"]
    rng = np.random.default_rng(_SEED + r0 * 100003 + c0)
    return rng.integers(0, 256, (r1 - r0, c1 - c0, 3), dtype=np.uint8)


def _chunks(n, c):
    c = min(c, n)
    return (c,) * (n // c) + ((n % c,) if n % c else ())


def _generated_graph(side, chunk):
    import dask.array as da

    from classicsr.dask import resize

    x = da.map_blocks(_generated_block, chunks=(_chunks(side, chunk),) * 2 + ((3,),), dtype=np.uint8,
                      meta=np.empty((0, 0, 0), np.uint8))
    return resize(x, 2).sum(dtype=np.uint64)


def _cpu_seconds_of_processes(pids):
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def _load():
    return os.getloadavg()[0]


def _fmt(x, digits=1):
    return f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=4096)
    ap.add_argument("--chunks", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cluster-chunks", type=int, nargs="+", default=[512, 1024, 2048])
    ap.add_argument("--no-cluster", action="store_true")
    args = ap.parse_args()

    import dask.array

    import classicsr
    from classicsr.dask import resize

    side = args.side
    out_mp = (2 * side) ** 2 / 1e6
    img = _image(side)
    loads = [_load()]
    print(f"# classicsr.dask.resize x2 bicubic, {side} x {side} x 3 uint8 -> {2 * side} x {2 * side} x 3 "
          f"({out_mp:.1f} output MP); NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}; "
          f"{os.cpu_count()} CPUs; load average at start {loads[0]:.2f}\n", flush=True)

    # ---- in-memory baseline and threaded scheduler (this process) ------------------------
    def baseline():
        classicsr.resize(img, 2)

    graphs = {}
    for c in args.chunks:
        graphs[c] = resize(dask.array.from_array(img, chunks=(c, c, 3)), 2)
    configs = [("in-memory classicsr.resize", None, 1, baseline)]
    for c in args.chunks:
        for w in args.workers:
            configs.append(("threads", c, w,
                            lambda c=c, w=w: graphs[c].compute(scheduler="threads", num_workers=w)))
    for _, _, _, fn in configs:  # JIT cache load, first-touch allocations
        fn()
    wall = {i: [] for i in range(len(configs))}
    cpu = {i: [] for i in range(len(configs))}
    for r in range(args.rounds):
        for i, (_, _, _, fn) in enumerate(configs):
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[i].append(time.perf_counter() - t0)
            cpu[i].append(time.process_time() - c0)
        loads.append(_load())
        print(f"round {r + 1}/{args.rounds} done, load average {loads[-1]:.2f}", flush=True)

    def table(rows, title):
        print(f"\n## {title}\n")
        print("| mode | chunk | workers | wall s | output MP/s | CPU s | CPU s / output MP | "
              "speed-up vs 1 worker (same chunk) |")
        print("|---|---|---|---|---|---|---|---|")
        by = {(m, c, w): (ws, cs) for m, c, w, ws, cs in rows}
        for m, c, w, ws, cs in rows:
            one = by.get((m, c, 1))
            ratio = f"{one[0] / ws:.2f}x" if one and w != 1 else "–"
            print(f"| {m} | {c or '–'} | {w} | {ws:.2f} | {_fmt(out_mp / ws)} | {cs:.2f} | "
                  f"{cs / out_mp:.3f} | {ratio} |")

    rows = [(m, c, w, statistics.median(wall[i]), statistics.median(cpu[i]))
            for i, (m, c, w, _) in enumerate(configs)]
    table(rows, f"Threaded scheduler, image in memory, result to numpy (median of {args.rounds})")

    # ---- processes: LocalCluster, blocks generated and reduced on the workers --------------
    if not args.no_cluster:
        from distributed import Client, LocalCluster

        gen = {c: _generated_graph(side, c) for c in args.cluster_chunks}
        expected = {}  # the generated image depends on the chunking, not on where it runs
        crow = []
        for c in args.cluster_chunks:  # same graph on the threaded scheduler, for comparison
            for w in args.workers:
                v = gen[c].compute(scheduler="threads", num_workers=w)
                assert expected.setdefault(c, v) == v, "threads: a sum that depends on the workers"
        tw = {(c, w): [] for c in args.cluster_chunks for w in args.workers}
        tc = {(c, w): [] for c in args.cluster_chunks for w in args.workers}
        for r in range(args.rounds):
            for c in args.cluster_chunks:
                for w in args.workers:
                    c0, t0 = time.process_time(), time.perf_counter()
                    gen[c].compute(scheduler="threads", num_workers=w)
                    tw[(c, w)].append(time.perf_counter() - t0)
                    tc[(c, w)].append(time.process_time() - c0)
        for c in args.cluster_chunks:
            for w in args.workers:
                crow.append(("threads, generated", c, w, statistics.median(tw[(c, w)]),
                             statistics.median(tc[(c, w)])))
        env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        for w in args.workers:
            with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None,
                              env=env) as cluster, Client(cluster) as client:
                pids = list(client.run(os.getpid).values())
                ws = {c: [] for c in args.cluster_chunks}
                cs = {c: [] for c in args.cluster_chunks}
                for c in args.cluster_chunks:  # warm: JIT cache load on every worker
                    assert client.compute(gen[c]).result() == expected[c]
                for r in range(args.rounds):
                    for c in args.cluster_chunks:
                        p0 = _cpu_seconds_of_processes(pids)
                        c0, t0 = time.process_time(), time.perf_counter()
                        v = client.compute(gen[c]).result()
                        ws[c].append(time.perf_counter() - t0)
                        cs[c].append(time.process_time() - c0 + _cpu_seconds_of_processes(pids) - p0)
                        assert v == expected[c]
                    loads.append(_load())
                    print(f"cluster {w} worker(s) round {r + 1}/{args.rounds}, load average {loads[-1]:.2f}",
                          flush=True)
                for c in args.cluster_chunks:
                    crow.append(("processes (LocalCluster)", c, w, statistics.median(ws[c]),
                                 statistics.median(cs[c])))
        crow.sort(key=lambda t: (t[0], t[1], t[2]))
        table(crow, f"Blocks generated and summed on the workers (median of {args.rounds}; CPU s of the "
                    f"processes: client + workers)")
    print(f"\nload average (1 min) over the run: min {min(loads):.2f}, max {max(loads):.2f}, "
          f"median {statistics.median(loads):.2f}")


if __name__ == "__main__":
    main()
