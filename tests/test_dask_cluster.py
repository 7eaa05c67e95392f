"""classicsr.dask on a process-based ``LocalCluster`` (2 worker processes, 1 thread each): the
distributed evaluation gives the single-process table exactly and the chunked resize is bit
exact.  Every cluster call is guarded by a timeout so a hung cluster fails instead of hanging."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import classicsr

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
cdask = pytest.importorskip("classicsr.dask")

TIMEOUT = 60  # seconds for any one call on the cluster


def _within(seconds, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in a daemon thread; fail the test if it takes over ``seconds``."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not finish within {seconds} s on the LocalCluster")
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture(scope="module")
def client():
    cluster = _within(TIMEOUT, distributed.LocalCluster, n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    c = distributed.Client(cluster, timeout=TIMEOUT)
    try:
        yield c
    finally:
        c.close(timeout=TIMEOUT)
        cluster.close(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    from classicsr.io import write_image

    d = tmp_path_factory.mktemp("cluster_set")
    rng = np.random.default_rng(7)
    for k, shape in enumerate([(48, 40, 3), (36, 36), (30, 54, 3), (44, 44, 3)]):
        yy, xx = np.mgrid[: shape[0], : shape[1]]
        base = 128 + 80 * np.sin(xx / (4.0 + k)) * np.cos(yy / 6.0)
        img = base[..., None] * np.ones(shape[2:] or (1,)) if len(shape) == 3 else base
        write_image(d / f"im{k}.png", np.clip(img + rng.normal(0, 10, shape), 0, 255).astype(np.uint8))
    return d


def test_workers_are_separate_processes(client):
    import os

    pids = _within(TIMEOUT, client.run, os.getpid)
    assert len(pids) == 2 and len(set(pids.values())) == 2 and os.getpid() not in pids.values()


def _strip(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def test_evaluate_distributed_processes_identical_table(client, tiny_set):
    kw = dict(metrics=("psnr", "ssim"))
    methods = ["nearest", "bicubic", "lanczos3"]
    ref = classicsr.evaluate(methods, tiny_set, scales=[2, 3, 4], **kw)
    got = _within(TIMEOUT, cdask.evaluate_distributed, methods, tiny_set, scales=[2, 3, 4], client=client, **kw)
    assert len(ref.records) == 4 * 3 * 3 and not ref.failures and not got.failures
    assert _strip(got.records) == _strip(ref.records)  # every value exact, same order
    assert _strip(got.summary()) == _strip(ref.summary())
    assert got.to_markdown() == ref.to_markdown()
    assert got.metrics == ref.metrics
    # the cluster survives a call that was given its client
    assert len(client.scheduler_info()["workers"]) == 2


@pytest.mark.parametrize("dtype,chunks,scale,method", [
    ("uint8", (17, 23, 3), 2, "bicubic"),
    ("float32", (40, 9, 3), 1 / 3, "lanczos3"),
    ("uint16", (13, 64, 3), 1.7, "bilinear"),
])
def test_resize_on_process_workers_bit_exact(client, dtype, chunks, scale, method):
    rng = np.random.default_rng(3)
    img = rng.random((64, 64, 3))
    img = (img * np.iinfo(dtype).max).round().astype(dtype) if dtype != "float32" else img.astype(dtype)
    out = cdask.resize(da.from_array(img, chunks=chunks), scale, method=method)
    got = _within(TIMEOUT, lambda: client.compute(out).result(timeout=TIMEOUT))
    expected = classicsr.resize(img, scale, method=method)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
