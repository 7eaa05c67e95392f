"""``classicsr evaluate --scheduler distributed --workers N`` (and ``--scheduler ADDRESS``) gives
the same table as the single-process run, exactly: the JSON summary (full float precision),
the per-image CSV and the Markdown table, with only the timing columns dropped."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import classicsr

pytest.importorskip("dask.array")
pytest.importorskip("distributed")

TIMEOUT = 120  # seconds per CLI call: a hung cluster fails the test instead of hanging CI
SCALES = (2, 3)
METHODS = ("nearest", "bicubic")


def _hr(shape, seed):
    """A smooth ramp with seeded noise (so the methods score differently)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    base = 128 + 70 * np.sin(xx / 5.0 + seed) * np.cos(yy / 7.0)
    if len(shape) == 3:
        base = np.stack([base, 0.7 * base + 30, 255 - base], axis=-1)
    return np.clip(base + rng.normal(0, 12, shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Two tiny test sets, ``<set>/HR`` and ``<set>/LR_bicubic/X{s}`` with LR made by
    classicsr.resize (modcrop, x1/s, replicate boundary: the benchmark degradation)."""
    from classicsr.io import write_image

    root = tmp_path_factory.mktemp("cli_sets")
    shapes = {"SetA": [(48, 42, 3), (36, 36), (30, 54, 3)], "SetB": [(40, 40, 3), (33, 45, 3)]}
    hr_dirs = []
    for k, (name, sizes) in enumerate(shapes.items()):
        hr_dir = root / name / "HR"
        hr_dir.mkdir(parents=True)
        for i, shape in enumerate(sizes):
            hr = _hr(shape, seed=10 * k + i)
            write_image(hr_dir / f"im{i}.png", hr)
            for s in SCALES:
                crop = hr[: hr.shape[0] - hr.shape[0] % s, : hr.shape[1] - hr.shape[1] % s]
                lr = classicsr.resize(crop, 1 / s, boundary="replicate")
                (root / name / "LR_bicubic" / f"X{s}").mkdir(parents=True, exist_ok=True)
                write_image(root / name / "LR_bicubic" / f"X{s}" / f"im{i}.png", lr)
        hr_dirs.append(str(hr_dir))
    return hr_dirs


def _cli(tmp_path, tag, hr_dirs, *extra):
    """Run ``classicsr evaluate`` in a fresh interpreter; returns (json, csv rows, markdown)."""
    csv_path, md_path = tmp_path / f"{tag}.csv", tmp_path / f"{tag}.md"
    cmd = [sys.executable, "-m", "classicsr.cli", "evaluate", *hr_dirs, "--lr-dir", "auto",
           "--scale", *map(str, SCALES), "--method", *METHODS, "--csv", str(csv_path),
           "--markdown", str(md_path), "--json", *extra]
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    return json.loads(proc.stdout), rows, md_path.read_text()


def _drop_seconds(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.fixture(scope="module")
def single(dataset, tmp_path_factory):
    return _cli(tmp_path_factory.mktemp("single"), "single", dataset)


def _assert_identical(single, got):
    ref_json, ref_rows, ref_md = single
    got_json, got_rows, got_md = got
    # 5 images x 2 scales x 2 methods scored, from the LR files (not on the fly)
    assert len(ref_rows) == 20 and {r["lr"] for r in ref_rows} == {"file"}
    assert len(ref_json["summary"]) == 2 * 2 * 2 and ref_json["failures"] == []
    assert _drop_seconds(got_json["summary"]) == _drop_seconds(ref_json["summary"])  # exact floats
    assert got_json["failures"] == ref_json["failures"]
    assert _drop_seconds(got_rows) == _drop_seconds(ref_rows)  # same rows, same order
    assert got_md == ref_md


def test_cli_distributed_local_cluster_identical(dataset, single, tmp_path):
    got = _cli(tmp_path, "dist", dataset, "--scheduler", "distributed", "--workers", "2")
    _assert_identical(single, got)


def test_cli_existing_scheduler_address_identical(dataset, single, tmp_path):
    """``--scheduler tcp://...``: the CLI connects to a running cluster (here a LocalCluster of
    two single-threaded worker processes started by the test) and leaves it running."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        got = _cli(tmp_path, "addr", dataset, "--scheduler", cluster.scheduler_address)
        # the tasks ran on this cluster's workers, and the cluster outlives the call
        assert len(client.scheduler_info()["workers"]) == 2
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
        assert "evaluate_task" in prefixes  # key prefix of _evaluate_task
    _assert_identical(single, got)


def test_cli_scheduler_rejects_bad_workers(dataset, tmp_path):
    cmd = [sys.executable, "-m", "classicsr.cli", "evaluate", dataset[0], "--scale", "2",
           "--scheduler", "distributed", "--workers", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 2 and "--workers" in proc.stderr
