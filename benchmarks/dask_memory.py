"""Disk-to-disk x2 upscale of a generated 20000 x 20000 x 3 uint8 image with classicsr.dask,
reporting peak RSS and time; plus throughput (megapixels/s) for 1 and 2 workers and the
chunk-size trade-off on a smaller image.

    NUMBA_NUM_THREADS=1 python benchmarks/dask_memory.py [--side 20000] [--small 4096]
        [--chunks 512 1024 2048 4096] [--repeat 3] [--workdir /tmp/classicsr_dask_bench]

Every measurement runs in a fresh subprocess (so its peak RSS, ``ru_maxrss``, is its own and
the JIT cache is warm from the generation step); the input is generated chunk by chunk into a
Zarr store under --workdir (never committed) and deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, os, resource, sys, time
import dask
from classicsr.dask import resize_file
import numpy as np, classicsr
src, dst, chunks, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
classicsr.resize(np.zeros((16, 16, 3), np.uint8), 2)  # load the JIT cache outside the timing
t = time.perf_counter()
with dask.config.set(scheduler="threads", num_workers=workers):
    resize_file(src, dst, 2, chunks=chunks, overwrite=True)
sec = time.perf_counter() - t
print(json.dumps({"seconds": sec, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate(path, side, chunk=2048):
    """A smooth colour ramp plus seeded noise, written chunk by chunk (memory ~ one chunk)."""
    import dask.array as da
    import numpy as np

    def block(block_info=None):
        info = block_info[None]
        (r0, r1), (c0, c1), _ = info["array-location"]
        rng = np.random.default_rng(r0 * 100003 + c0)
        r = np.arange(r0, r1, dtype=np.float32)[:, None, None]
        c = np.arange(c0, c1, dtype=np.float32)[None, :, None]
        k = np.arange(3, dtype=np.float32)[None, None, :]
        base = 127.5 + 100 * np.sin(r / 97.0 + k) * np.cos(c / 131.0 - k)
        noise = rng.integers(-20, 21, size=(r1 - r0, c1 - c0, 3), dtype=np.int16)
        return np.clip(base + noise, 0, 255).astype(np.uint8)

    x = da.map_blocks(block, chunks=((chunk,) * (side // chunk) + ((side % chunk,) if side % chunk else ()),) * 2
                      + ((3,),), dtype=np.uint8, meta=np.empty((0, 0, 0), np.uint8))
    da.to_zarr(x, path, overwrite=True)


def run_child(src, dst, chunks, workers):
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, src, dst, str(chunks), str(workers)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=20000)
    ap.add_argument("--big-chunks", type=int, default=1024)
    ap.add_argument("--big-workers", type=int, default=2)
    ap.add_argument("--small", type=int, default=4096)
    ap.add_argument("--chunks", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/classicsr_dask_bench")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    w = args.workdir
    try:
        if not args.skip_big:
            t = time.perf_counter()
            generate(f"{w}/big.zarr", args.side)
            gen = time.perf_counter() - t
            r = run_child(f"{w}/big.zarr", f"{w}/big_x2.zarr", args.big_chunks, args.big_workers)
            mp = args.side * args.side * 4 / 1e6
            print(f"## {args.side} x {args.side} x 3 uint8 -> x2 bicubic, Zarr to Zarr "
                  f"(chunks {args.big_chunks}, {args.big_workers} workers; generation took {gen:.0f} s)\n")
            print("| peak RSS (MB) | seconds | output MP/s |\n|---|---|---|")
            print(f"| {r['peak_rss_mb']:.0f} | {r['seconds']:.1f} | {mp / r['seconds']:.1f} |\n", flush=True)
            shutil.rmtree(f"{w}/big_x2.zarr", ignore_errors=True)
            shutil.rmtree(f"{w}/big.zarr", ignore_errors=True)

        generate(f"{w}/small.zarr", args.small)
        run_child(f"{w}/small.zarr", f"{w}/small_x2.zarr", 1024, 1)  # warm caches
        mp = args.small * args.small * 4 / 1e6
        print(f"## {args.small} x {args.small} x 3 uint8 -> x2 bicubic, Zarr to Zarr "
              f"(median of {args.repeat}; output megapixels/s; NUMBA_NUM_THREADS=1)\n")
        print("| chunk | 1 worker MP/s | 2 workers MP/s | 2 / 1 | peak RSS 2 workers (MB) |\n|---|---|---|---|---|")
        for c in args.chunks:
            res = {}
            for nw in (1, 2):
                runs = [run_child(f"{w}/small.zarr", f"{w}/small_x2.zarr", c, nw) for _ in range(args.repeat)]
                res[nw] = (statistics.median(r["seconds"] for r in runs), max(r["peak_rss_mb"] for r in runs))
            print(f"| {c} | {mp / res[1][0]:.1f} | {mp / res[2][0]:.1f} | {res[1][0] / res[2][0]:.2f} | "
                  f"{res[2][1]:.0f} |", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    main()
