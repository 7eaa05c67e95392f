"""asv benchmarks for classicsr.dask (chunked resize on dask arrays).

Bicubic x2 of a seeded uint8 RGB image, for several chunk edges and 1 or 2 workers, so the
timings show the chunk-size trade-off (per-task overhead and halo slabs against parallelism)
and the scaling with workers.  Data are built in ``setup`` from a fixed seed (only ever
appended to); the graph is built and computed once in ``setup`` so the Numba kernels are
compiled (or loaded from the cache) outside the timed region, and the resampler runs one
Numba thread per task (the workers are the parallelism).  The first call in a fresh
interpreter is timed in :class:`DaskFirstCall`.

Output megapixels/s = ``out_mp / time`` with ``out_mp`` in each class's docstring; the
measured tables (MP/s, CPU seconds per megapixel, same-process ratios) come from
``benchmarks/dask_throughput.py`` and are in ``docs/dask.md`` and ``docs/benchmarks.md``.
Sizes are class attributes (``side``) so tests can run every benchmark on a tiny image.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

_SEED = 20261126


def _image(side):
    rng = np.random.default_rng(_SEED)
    return rng.integers(0, 256, (side, side, 3), dtype=np.uint8)


def _one_numba_thread():
    import numba

    numba.set_num_threads(1)


class DaskResize:
    """``classicsr.dask.resize(x, 2)`` of a 2048 x 2048 x 3 uint8 dask array (in memory, chunked
    ``chunk`` x ``chunk``), computed to numpy on the threaded scheduler with ``workers``
    threads (16.8 output megapixels)."""

    params = ([256, 512, 1024, 2048], [1, 2])
    param_names = ["chunk", "workers"]
    side = 2048
    timeout = 300

    def setup(self, chunk, workers):
        import dask.array as da

        from classicsr.dask import resize

        # numba.set_num_threads is per thread: set it in each of the scheduler's threads
        self.pool = ThreadPoolExecutor(workers, initializer=_one_numba_thread)
        self.x = da.from_array(_image(self.side), chunks=(chunk, chunk, 3))
        self.y = resize(self.x, 2)
        self.y.compute(scheduler="threads", pool=self.pool)

    def teardown(self, chunk, workers):
        self.pool.shutdown()

    def time_compute(self, chunk, workers):
        self.y.compute(scheduler="threads", pool=self.pool)

    def peakmem_compute(self, chunk, workers):
        self.y.compute(scheduler="threads", pool=self.pool)


class DaskResizeGraph:
    """Building the lazy graph of that resize (per-block slabs and weight tables), by chunk edge."""

    params = ([256, 512, 1024, 2048],)
    param_names = ["chunk"]
    side = 2048

    def setup(self, chunk):
        import dask.array as da

        from classicsr.dask import resize

        self.x = da.from_array(_image(self.side), chunks=(chunk, chunk, 3))
        self.resize = resize
        resize(self.x, 2)

    def time_build_graph(self, chunk):
        self.resize(self.x, 2)


class DaskResizeDistributed:
    """The same resize on a ``LocalCluster`` of ``workers`` single-threaded worker processes:
    each block of a seeded random 2048 x 2048 x 3 image is generated on its worker and the x2 result reduced
    to a sum there, so what is timed is the chunked resampling plus scheduling, not data
    transfer (16.8 output megapixels; chunk 1024)."""

    params = ([1, 2],)
    param_names = ["workers"]
    side = 2048
    chunk = 1024
    timeout = 300

    def setup(self, workers):
        import dask.array as da
        from distributed import Client, LocalCluster

        from classicsr.dask import resize

        self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    dashboard_address=None,
                                    env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
        self.client = Client(self.cluster)
        c = min(self.chunk, self.side)
        n = self.side
        chunks = ((c,) * (n // c) + ((n % c,) if n % c else ()),) * 2 + ((3,),)
        # dask's own seeded generator: asv imports this file as ``benchmarks.bench_dask``, which
        # the worker processes cannot import, so the graph holds no function of this module
        x = da.random.default_rng(_SEED).integers(0, 256, size=(n, n, 3), chunks=chunks, dtype=np.uint8)
        self.total = resize(x, 2).sum(dtype=np.uint64)
        self.total.compute()  # JIT cache loaded on every worker that ran a task

    def teardown(self, workers):
        self.client.close()
        self.cluster.close()

    def time_compute(self, workers):
        self.total.compute()


class DaskFirstCall:
    """A fresh interpreter: import classicsr.dask (and dask.array), build and compute a small
    chunked resize with the cached kernels (what a script pays once)."""

    timeout = 300
    code = (
        "import numpy as np, dask.array as da\n"
        "from classicsr.dask import resize\n"
        "x = da.from_array(np.zeros((256, 256, 3), np.uint8), chunks=(128, 128, 3))\n"
        "resize(x, 2).compute(scheduler='threads')\n"
    )

    def setup_cache(self):
        import subprocess
        import sys

        subprocess.run([sys.executable, "-c", self.code], check=True)

    def timeraw_import_and_first_call(self):
        return self.code
