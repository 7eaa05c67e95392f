"""Issue #9, memory: a call whose output (or working set) would not fit fails fast, before
allocating, with a ValueError that names the parameter and gives the size it would need."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

import classicsr
from classicsr import deconvolution, degrade, fft, misr, operators, pixel_shuffle, psf

IMG = np.linspace(0, 1, 64).reshape(8, 8)
FRAMES = np.stack([IMG] * 3)
MOTIONS = np.tile(np.eye(2, 3), (3, 1, 1))

CASES = {
    "resize scale=1e6": (lambda: classicsr.resize(IMG, 1e6), "shape (8000000, 8000000)"),
    "resize output_shape": (lambda: classicsr.resize(IMG, output_shape=(10**6, 10**6)), "(1000000, 1000000)"),
    "resize scale=1e300": (lambda: classicsr.resize(IMG, 1e300), "~10^300"),
    "resize scale=1e-9 (tables)": (lambda: classicsr.resize(IMG, 1e-9), "scale=1e-09"),
    "resize scale=5e-324": (lambda: classicsr.resize(IMG, 5e-324), "scale=5e-324"),
    "self_ensemble": (lambda: degrade.self_ensemble(lambda x: classicsr.resize(x, 1e5), IMG), "GiB"),
    "psf.gaussian sigma": (lambda: psf.gaussian(1e6), "sigma=1000000.0"),
    "psf.gaussian size": (lambda: psf.gaussian(1.0, size=10**6), "size=(1000000, 1000000)"),
    "psf.disk": (lambda: psf.disk(1e6), "radius=1000000.0"),
    "psf.motion": (lambda: psf.motion(1e9), "length=1000000000.0"),
    "psf.box": (lambda: psf.box(10**6), "size=1000000"),
    "psf2otf": (lambda: fft.psf2otf(np.ones((3, 3)), (10**6, 10**6)), "shape=(1000000, 1000000)"),
    "wiener pad_width": (lambda: deconvolution.wiener(IMG, psf.box(3), nsr=0.1, pad_width=10**6),
                         "pad_width=1000000"),
    "Blur shape": (lambda: operators.Blur((10**6, 10**6), psf.box(3)), "shape=(1000000, 1000000)"),
    "Warp shape": (lambda: operators.Warp((10**6, 10**6), np.eye(2, 3)), "shape=(1000000, 1000000)"),
    "ObservationModel": (lambda: operators.ObservationModel((10**6, 10**6), 2, MOTIONS), "hr_shape="),
    "shift_and_add": (lambda: misr.shift_and_add(FRAMES, 10**6, motions=MOTIONS), "GiB"),
    "iterative_back_projection": (lambda: misr.iterative_back_projection(FRAMES, 10**6, motions=MOTIONS),
                                  "GiB"),
    "regularized_sr": (lambda: misr.regularized_sr(FRAMES, 10**6, motions=MOTIONS), "GiB"),
    "phase_correlation upsample_factor": (lambda: misr.phase_correlation(IMG, IMG, upsample_factor=10**12),
                                          "upsample_factor=1000000000000"),
    "bicubic_reference": (lambda: misr.bicubic_reference(IMG, 10**12), "scale=1000000000000"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_oversized_calls_fail_fast_before_allocating(name):
    call, must_contain = CASES[name]
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ValueError) as info:
            call()
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert must_contain in msg, msg
    # the size it would need, and the limit (or, for a kernel of infinite width, that it is unbounded)
    assert ("GiB" in msg and "limit" in msg) or "unbounded memory" in msg, msg
    assert peak < 64 * 2**20, f"{name} allocated {peak / 2**20:.0f} MiB before refusing"
    assert elapsed < 5.0, f"{name} took {elapsed:.1f} s to refuse"


def test_limit_is_the_configured_one(monkeypatch):
    from classicsr import _config

    monkeypatch.setattr(_config, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(ValueError, match=r"shape \(32, 32\) and need 8192 bytes, more than the limit"):
        classicsr.resize(IMG, 4)  # 32 * 32 * 8 bytes > 1000 bytes
    assert classicsr.resize(IMG, 1.0).shape == (8, 8)  # 512 bytes fit


def test_pixel_shuffle_absurd_factor_is_refused_by_name():
    # pixel (un)shuffle never changes the number of elements; an absurd factor is a bad value
    with pytest.raises(ValueError, match="factor"):
        pixel_shuffle.pixel_shuffle(np.zeros((4, 4, 4)), 10**6)
    with pytest.raises(ValueError, match="factor|smaller|multiple"):
        pixel_shuffle.pixel_unshuffle(np.zeros((4, 4, 1)), 10**6)


def test_torch_upscaler_absurd_scale_fails_fast():
    pytest.importorskip("torch")
    from classicsr import nn as cnn

    up = cnn.TorchUpscaler(cnn.ESPCN(2, 1, n1=4, n2=4), scale=10**5)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="GiB"):
        up(np.zeros((64, 64), np.float32))
    assert time.perf_counter() - t0 < 5.0


def test_dask_resize_absurd_scale_fails_fast():
    cd = pytest.importorskip("classicsr.dask")
    with pytest.raises(ValueError, match="GiB"):
        cd.resize(IMG, 1e7)


def test_simulate_frames_absurd_frame_count_fails_fast():
    script = textwrap.dedent("""
        import numpy as np
        from classicsr import misr
        try:
            misr.simulate_frames(np.ones((16, 16)), 10**9, 2, seed=0)
        except ValueError as exc:
            print("REFUSED", exc)
    """)
    try:
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("simulate_frames(n_frames=10**9) did not refuse within 15 s")
    assert "REFUSED" in proc.stdout and "GiB" in proc.stdout, proc.stdout + proc.stderr[-2000:]
