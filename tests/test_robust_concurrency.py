"""Issue #9, concurrency: the same calls from 8 threads and from 2 processes give identical
results, and Numba's on-disk cache stays sound when two processes compile into an empty cache
at the same time (as CI does on a cold start)."""

from __future__ import annotations

import concurrent.futures as cf
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

# One definition of the workload, exec'd here and in the child processes.
WORKLOAD = textwrap.dedent('''
    import hashlib
    import numpy as np
    import classicsr
    from classicsr import deconvolution, degrade, fft, metrics, operators, pixel_shuffle, psf
    from classicsr import example_based

    _rng = np.random.default_rng(0)
    IMG8 = _rng.integers(0, 256, (40, 36, 3), dtype=np.uint8)
    IMG16 = _rng.integers(0, 65536, (24, 30), dtype=np.uint16)
    IMGF = _rng.random((40, 36))
    IMG32 = IMGF.astype(np.float32)
    K = psf.gaussian(1.2)
    CALLS = {
        "resize_u8": lambda: classicsr.resize(IMG8, 1.7),
        "resize_u16": lambda: classicsr.resize(IMG16, 0.45, method="lanczos3"),
        "resize_f32": lambda: classicsr.resize(IMG32, 2, method="bilinear"),
        "resize_f64": lambda: classicsr.resize(IMGF, 0.6, method="box"),
        "wiener": lambda: deconvolution.wiener(IMGF, K),
        "tikhonov_u8": lambda: deconvolution.tikhonov(IMG8, K),
        "richardson_lucy": lambda: deconvolution.richardson_lucy(IMG32, K, iterations=5),
        "ssim": lambda: np.float64(metrics.ssim(IMG8, IMG8[::-1].copy())),
        "psnr": lambda: np.float64(metrics.psnr(IMG16, IMG16[::-1].copy())),
        "fftconv": lambda: fft.fftconvolve_periodic(IMGF, K),
        "downsample": lambda: degrade.downsample(IMG8, 2),
        "example_based": lambda: example_based.upscale(IMG8[:16, :16], 2),
        "blur_operator": lambda: operators.Blur(IMGF.shape, K).forward(IMGF),
        "warp_adjoint": lambda: operators.Warp(IMGF.shape, operators.translation_matrix((0.3, -1.2))).adjoint(IMGF),
        "pixel_shuffle": lambda: pixel_shuffle.pixel_shuffle(np.ascontiguousarray(IMG8[:, :, :1].repeat(4, 2)), 2),
    }

    def digests():
        return {name: hashlib.sha256(np.ascontiguousarray(f()).tobytes()).hexdigest()
                for name, f in CALLS.items()}
''')


def _workload():
    namespace: dict = {}
    exec(WORKLOAD, namespace)  # noqa: S102 - our own text
    return namespace


# FFT-based calls: with pyFFTW's default FFTW_MEASURE planner each process times candidate
# plans and may pick a different one, so these agree across processes only to rounding (1 ulp);
# with CLASSICSR_FFT_PLANNER=FFTW_ESTIMATE the plan, and so the result, is deterministic.
FFT_CALLS = {"wiener", "tikhonov_u8", "richardson_lucy", "fftconv"}


def _child_script(out_path, names=None, record_compiles=False) -> str:
    lines = [WORKLOAD, "import json, numba.core.event as ev",
             f"names = {sorted(names) if names else None!r} or sorted(CALLS)",
             "with ev.install_recorder('numba:compile') as rec:",
             "    results = {n: np.asarray(CALLS[n]()) for n in names}",
             f"np.savez({str(out_path)!r}, **results)"]
    if record_compiles:
        lines.append("print('COMPILES', len(rec.buffer))")
    return "\n".join(lines) + "\n"


def _spawn(script: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc, out_path, timeout=900):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    compiles = [int(line.split()[1]) for line in out.splitlines() if line.startswith("COMPILES ")]
    with np.load(out_path) as data:
        return {k: data[k] for k in data.files}, (compiles[0] if compiles else None)


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env.update(extra)
    return env


def test_eight_threads_give_identical_results():
    ns = _workload()
    calls = ns["CALLS"]
    serial = {name: np.asarray(f()).copy() for name, f in calls.items()}
    names = list(calls) * 4  # every call 4 times, interleaved over 8 threads

    def job(name):
        return name, np.asarray(calls[name]())

    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(job, names))
    assert len(results) == len(names)
    for name, out in results:
        assert out.dtype == serial[name].dtype, name
        np.testing.assert_array_equal(out, serial[name], err_msg=name)


@pytest.mark.parametrize("planner", ["FFTW_ESTIMATE", "default"])
def test_two_processes_give_identical_results(tmp_path, planner):
    extra = {} if planner == "default" else {"CLASSICSR_FFT_PLANNER": planner}
    procs = [(_spawn(_child_script(tmp_path / f"p{i}.npz"), _env(**extra)), tmp_path / f"p{i}.npz")
             for i in range(2)]
    first, second = (_finish(p, path)[0] for p, path in procs)
    here = {n: np.asarray(f()) for n, f in _workload()["CALLS"].items()}
    for name, ref in here.items():
        assert first[name].dtype == second[name].dtype == ref.dtype, name
        if name not in FFT_CALLS:  # no plan involved: bit-identical to this process too
            np.testing.assert_array_equal(first[name], ref, err_msg=name)
            np.testing.assert_array_equal(second[name], ref, err_msg=name)
        elif planner == "default":  # timing-dependent FFTW_MEASURE plans: equal to rounding
            eps = np.finfo(ref.dtype).eps
            np.testing.assert_allclose(first[name], second[name], rtol=64 * eps,
                                       atol=64 * eps * float(np.abs(ref).max()), err_msg=name)
        else:  # a deterministic planner: the two processes agree bit for bit
            np.testing.assert_array_equal(first[name], second[name], err_msg=name)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="needs the JIT")
def test_two_processes_compiling_into_an_empty_cache(tmp_path):
    """Both processes start with an empty NUMBA_CACHE_DIR and compile at once; then a third
    process must load every kernel from that cache (no compilation) and all three agree."""
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    env = _env(NUMBA_CACHE_DIR=str(cache))
    names = ["resize_u8", "resize_f32", "resize_u16", "ssim", "downsample", "warp_adjoint"]
    paths = [tmp_path / f"c{i}.npz" for i in range(3)]
    procs = [_spawn(_child_script(paths[i], names, record_compiles=True), env) for i in range(2)]
    (r1, c1), (r2, c2) = (_finish(p, path) for p, path in zip(procs, paths))
    assert any(cache.rglob("*.nbi")), "nothing was cached in NUMBA_CACHE_DIR"
    assert c1 > 0 and c2 > 0  # both really compiled (the cache was empty when they started)
    r3, c3 = _finish(_spawn(_child_script(paths[2], names, record_compiles=True), env), paths[2])
    assert c3 == 0, f"the third process compiled {c3} kernels instead of loading them from the cache"
    here = _workload()["CALLS"]
    for name in names:
        ref = np.asarray(here[name]())  # this process, default cache
        for res in (r1, r2, r3):
            np.testing.assert_array_equal(res[name], ref, err_msg=name)
