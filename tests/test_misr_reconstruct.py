"""classicsr.misr reconstruction: quality vs single-frame bicubic on simulated data, identities
(noise-free exact recovery), robustness to an outlier frame, kernels vs slow references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from skimage import data

import classicsr
from classicsr._kernels import btv as kbtv
from classicsr.metrics import psnr
from classicsr.misr import (bicubic_reference, iterative_back_projection, regularized_sr, shift_and_add,
                            simulate_frames)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # these small problems run fastest single-threaded; a shared, loaded CI box makes the
    # thread pool spin (restored afterwards so other modules are unaffected)
    before = classicsr.get_num_threads()
    classicsr.set_num_threads(1)
    yield
    classicsr.set_num_threads(before)


@pytest.fixture(scope="module")
def sim2():
    hr = data.camera()[144:240, 144:240] / 255.0
    return hr, simulate_frames(hr, 8, 2, max_shift=1.0, noise_sigma=0.01, seed=1)


def _p(hr, x, s):
    return psnr(hr[: x.shape[0], : x.shape[1]], np.clip(x, 0, 1), data_range=1.0, crop_border=s)


def test_bicubic_reference_equals_imresize_on_area_grid():
    f = np.random.default_rng(0).random((11, 9))
    for s in (2, 3, 4):
        np.testing.assert_allclose(bicubic_reference(f, s, origin=(s - 1) / 2), classicsr.resize(f, s), atol=1e-12)


@pytest.mark.parametrize("method, margin", [
    ("tikhonov", 2.5), ("l2btv", 3.0), ("l1btv", 3.0), ("ibp", 2.0), ("sa_deblur", 1.5),
])
def test_quality_above_bicubic_x2(sim2, method, margin):
    hr, sim = sim2
    base = _p(hr, bicubic_reference(sim.frames[0], 2), 2)
    m = sim.motions
    if method == "tikhonov":
        x = regularized_sr(sim.frames, 2, motions=m)
    elif method == "l2btv":
        x = regularized_sr(sim.frames, 2, motions=m, prior="btv")
    elif method == "l1btv":
        x = regularized_sr(sim.frames, 2, motions=m, prior="btv", data="l1")
    elif method == "ibp":
        x = iterative_back_projection(sim.frames, 2, motions=m)
    else:
        x = shift_and_add(sim.frames, 2, motions=m, deblur=True)
    assert x.shape == (96, 96) and x.dtype == np.float64
    assert _p(hr, x, 2) >= base + margin


def test_registered_close_to_known_motion(sim2):
    hr, sim = sim2
    known = _p(hr, regularized_sr(sim.frames, 2, motions=sim.motions, prior="btv"), 2)
    reg = _p(hr, regularized_sr(sim.frames, 2, prior="btv"), 2)
    assert reg >= known - 1.0


def test_noise_free_cg_recovers_scene():
    hr = data.camera()[128:176, 128:176] / 255.0
    sim = simulate_frames(hr, 8, 2, max_shift=1.0, noise_sigma=0.0, seed=1)
    x = regularized_sr(sim.frames, 2, motions=sim.motions, lam=1e-8, n_iter=200, tol=0)
    assert _p(hr, x, 2) > 38


def test_outlier_frame_does_not_wreck_robust_methods(sim2):
    hr, sim = sim2
    frames = sim.frames.copy()
    frames[5] = np.clip(np.random.default_rng(0).random(frames[5].shape), 0, 1)  # a frame of another "scene"
    m = sim.motions
    clean = _p(hr, regularized_sr(sim.frames, 2, motions=m, prior="btv", data="l1"), 2)
    robust = _p(hr, regularized_sr(frames, 2, motions=m, prior="btv", data="l1"), 2)
    l2 = _p(hr, regularized_sr(frames, 2, motions=m, prior="btv", data="l2"), 2)
    med = _p(hr, shift_and_add(frames, 2, motions=m, fusion="median"), 2)
    mean = _p(hr, shift_and_add(frames, 2, motions=m, fusion="mean"), 2)
    assert robust >= clean - 1.0
    assert robust >= l2 + 2.0
    assert med > mean


def test_shift_and_add_integer_shifts_is_interleaving():
    # x2, four frames shifted by half an LR pixel: each HR pixel gets exactly one sample
    hr = np.random.default_rng(0).random((16, 16))
    shifts = [(0, 0), (0.5, 0), (0, 0.5), (0.5, 0.5)]
    from classicsr.operators import translation_matrix

    m = np.stack([translation_matrix(s) for s in shifts])
    frames = [np.roll(hr, (-int(2 * a), -int(2 * b)), axis=(0, 1))[::2, ::2] for a, b in shifts]
    # frame k samples hr[2u + 2 d] ... so the motion of content is -d: build from the model instead
    from classicsr.operators import ObservationModel

    frames = ObservationModel((16, 16), 2, m, boundary="wrap").forward(hr)
    out = shift_and_add(frames, 2, motions=m, fusion="mean")
    # interior pixels are exactly the HR image (whole-HR-pixel shifts, no blur)
    np.testing.assert_allclose(out[2:-2, 2:-2], hr[2:-2, 2:-2], atol=1e-12)


def test_colour_channelwise_and_dtype():
    hr = data.astronaut()[100:164, 100:164] / 255.0
    sim = simulate_frames(hr, 4, 2, noise_sigma=0.0, seed=0)
    x = regularized_sr(sim.frames.astype(np.float32), 2, motions=sim.motions, n_iter=5)
    assert x.shape == (64, 64, 3) and x.dtype == np.float32
    x1 = regularized_sr(sim.frames[..., 1].astype(np.float32), 2, motions=sim.motions, n_iter=5)
    np.testing.assert_allclose(x[..., 1], x1, atol=1e-5)
    xc = regularized_sr(np.moveaxis(sim.frames, -1, 1), 2, motions=sim.motions, n_iter=5, channel_axis=0)
    assert xc.shape == (3, 64, 64)


def test_callback_and_errors(sim2):
    _, sim = sim2
    seen = []
    regularized_sr(sim.frames[:3], 2, motions=sim.motions[:3], n_iter=4, callback=lambda i, x: seen.append(i))
    assert seen == [0, 1, 2, 3]
    seen.clear()
    regularized_sr(sim.frames[:3], 2, motions=sim.motions[:3], prior="btv", n_iter=5,
                   callback=lambda i, x: seen.append(i) or i == 1)
    assert seen == [0, 1]
    with pytest.raises(ValueError, match="scale"):
        regularized_sr(sim.frames, 0, motions=sim.motions)
    with pytest.raises(ValueError, match="motions must have shape"):
        regularized_sr(sim.frames, 2, motions=sim.motions[:2])
    with pytest.raises(ValueError, match="solver='cg'"):
        regularized_sr(sim.frames, 2, motions=sim.motions, prior="btv", solver="cg")
    with pytest.raises(ValueError, match="step"):
        iterative_back_projection(sim.frames, 2, motions=sim.motions, step=2.5)


def _btv_naive(x, P, alpha):
    H, W = x.shape
    total = 0.0
    for l, m in itertools.product(range(-P, P + 1), range(-P, P + 1)):
        if (l, m) <= (0, 0) and not (l > 0 or (l == 0 and m > 0)):
            continue
        if not (l > 0 or (l == 0 and m > 0)):
            continue
        for i in range(H):
            for j in range(W):
                if 0 <= i + l < H and 0 <= j + m < W:
                    total += alpha ** (abs(l) + abs(m)) * abs(x[i, j] - x[i + l, j + m])
    return total


def test_btv_kernels_vs_naive_and_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.random((7, 9))
    for P in (1, 2, 3):
        assert abs(kbtv.btv_value(x, P, 0.7) - _btv_naive(x, P, 0.7)) < 1e-10
        g = np.empty_like(x)
        kbtv.btv_sign_gradient(x, P, 0.7, g)
        num = np.empty_like(x)
        h = 1e-7
        for idx in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[idx] = h
            num[idx] = (_btv_naive(x + e, P, 0.7) - _btv_naive(x - e, P, 0.7)) / (2 * h)
        np.testing.assert_allclose(g, num, atol=1e-5)
        # IRLS quadratic form: weights at x give grad of sum w/2 d^2 == weighted apply
        wts = np.empty((kbtv.n_offsets(P),) + x.shape)
        kbtv.btv_irls_weights(x, P, 0.7, 1e-3, wts)
        out = np.empty_like(x)
        kbtv.btv_weighted_apply(x, wts, P, out)
        v = rng.random(x.shape)
        out_v = np.empty_like(x)
        kbtv.btv_weighted_apply(v, wts, P, out_v)
        # symmetric: <A v, x> == <v, A x>
        assert abs(np.vdot(out_v, x) - np.vdot(v, out)) < 1e-9 * np.abs(out).sum()


def _rms_motion_error(est, true, shape):
    h, w = shape
    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    pts = np.stack([rr.ravel(), cc.ravel(), np.ones(rr.size)])
    d = np.einsum("kij,jn->kin", est - true, pts)
    return float(np.sqrt((d ** 2).sum(1).mean()))


def test_joint_motion_refinement_recovers_motion_and_quality():
    # x4 from 8 frames, motions off by a fixed 0.15 LR px per axis (about the error of plain
    # phase correlation at x4): the truth (from the simulator) is the independent reference
    from classicsr.misr import refine_motions

    hr = data.camera()[128:224, 128:224] / 255.0
    sim = simulate_frames(hr, 8, 4, max_shift=1.0, noise_sigma=0.01, seed=3)
    bad = sim.motions.copy()
    signs = np.where(np.arange(8) % 2 == 0, 1.0, -1.0)
    bad[1:, 0, 2] += 0.15 * signs[1:]
    bad[1:, 1, 2] -= 0.15 * signs[1:]
    shape = sim.frames.shape[1:]
    e0 = _rms_motion_error(bad, sim.motions, shape)
    # one alternation by hand, through the public pieces
    x_bad = regularized_sr(sim.frames, 4, motions=bad)
    m1 = refine_motions(sim.frames, x_bad, sim.model.with_motions(bad))
    assert np.array_equal(m1[0], bad[0])  # the reference keeps its motion
    assert _rms_motion_error(m1, sim.motions, shape) < 0.75 * e0
    x_ref = regularized_sr(sim.frames, 4, motions=bad, refine_motion=True, refine_rounds=3)
    x_true = regularized_sr(sim.frames, 4, motions=sim.motions)
    p_bad, p_ref, p_true = _p(hr, x_bad, 4), _p(hr, x_ref, 4), _p(hr, x_true, 4)
    assert p_ref > p_bad + 1.0, (p_bad, p_ref, p_true)
    assert p_ref > p_true - 3.0, (p_bad, p_ref, p_true)  # measured: 22.6 -> 27.2, true motion 29.8
    # with the true motion as the start, refinement must not drift away from it
    m_true = refine_motions(sim.frames, x_true, sim.model)
    assert _rms_motion_error(m_true, sim.motions, shape) < 0.05


def test_ibp_stops_on_divergence_and_returns_best_iterate(sim2, monkeypatch):
    """An IBP step far above 2 / ||A||^2 (forced by under-reporting ||A||^2) blows up; the guard
    stops it with a RuntimeWarning and returns the smallest-misfit iterate, which is the
    bicubic start here (the first step already overshoots)."""
    import classicsr.misr.reconstruct as rc

    _, sim = sim2

    monkeypatch.setattr(rc, "_power_norm_sq", lambda op, dtype: 1e-3)
    with pytest.warns(RuntimeWarning, match="diverged"):
        out = iterative_back_projection(sim.frames, 2, motions=sim.motions, n_iter=40)
    assert np.all(np.isfinite(out)) and np.abs(out).max() < 2
    start = bicubic_reference(sim.frames[0], 2)
    np.testing.assert_allclose(out, start, atol=1e-12)


def test_converging_runs_raise_no_divergence_warning(sim2):
    import warnings

    _, sim = sim2
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        iterative_back_projection(sim.frames, 2, motions=sim.motions, n_iter=20)
        regularized_sr(sim.frames, 2, motions=sim.motions, solver="descent", prior="btv", data="l1",
                       n_iter=30)


def test_tikhonov_default_lam_adapts_to_the_scene():
    # lam=None estimates lam = c r / (K E) from a pilot solve (noise variance r from the residual,
    # prior variance E from the Laplacian energy): a smooth scene gets a larger weight than the fixed
    # 5e-4 (which amplifies noise there, below single-frame bicubic), a textured one a smaller
    from classicsr.misr.reconstruct import _adaptive_lam, _default_lam

    lam0 = _default_lam("tikhonov", 2)
    for crop, larger, gain in ((data.camera()[0:96, 0:96], True, 3.0), (data.grass()[:96, :96], False, 0.2)):
        hr = crop / 255.0
        sim = simulate_frames(hr, 8, 2, max_shift=1.0, noise_sigma=0.01, seed=1)
        fixed = regularized_sr(sim.frames, 2, motions=sim.motions, lam=lam0)
        auto = regularized_sr(sim.frames, 2, motions=sim.motions)
        lam = _adaptive_lam(sim.model, sim.frames, fixed, 8, lam0)
        assert (lam > 2 * lam0) if larger else (lam < lam0 / 2)
        assert _p(hr, auto, 2) >= _p(hr, fixed, 2) + gain
        assert _p(hr, auto, 2) >= _p(hr, bicubic_reference(sim.frames[0], 2), 2)


def test_adaptive_lam_falls_back_and_clips():
    from classicsr.misr.reconstruct import _adaptive_lam
    from classicsr.operators import ObservationModel, translation_matrix

    op = ObservationModel((16, 16), 2, [translation_matrix((0, 0)), translation_matrix((0.5, 0.5))], np.ones((1, 1)))
    flat = np.full((16, 16), 0.5)
    assert _adaptive_lam(op, op.forward(flat) + 0.01, flat, 2, 1e-3) == 1e-3  # no Laplacian energy: keep lam0
    rough = np.random.default_rng(0).random((16, 16))
    assert _adaptive_lam(op, op.forward(rough), rough, 2, 1e-3) == 1e-3  # zero residual: keep lam0
    y = op.forward(flat) + np.random.default_rng(1).normal(0, 1.0, op.out_shape)
    assert _adaptive_lam(op, y, flat + 1e-6 * rough, 2, 1e-3) == pytest.approx(2e-2)  # clipped at 20 lam0


def _btv_numpy(x, P, alpha):
    # every unordered pair (p, p + o) inside the image once: o over the half window
    H, W = x.shape
    total = 0.0
    for l in range(0, P + 1):
        for m in range(-P, P + 1):
            if l == 0 and m <= 0:
                continue
            a = x[: H - l, max(0, -m): W - max(0, m)]
            b = x[l:, max(0, m): W + min(0, m)]
            total += alpha ** (l + abs(m)) * np.abs(a - b).sum()
    return total


def test_btv_numpy_helper_matches_the_loop_reference():
    x = np.random.default_rng(3).random((6, 8))
    assert _btv_numpy(x, 2, 0.7) == pytest.approx(_btv_naive(x, 2, 0.7), rel=1e-12)


def test_l1_btv_irls_lowers_the_objective_as_written(sim2):
    # (1/K) ||A x - y||_1 + lam BTV(x): the IRLS result must score below its bicubic start
    # (the earlier IRLS divided the data weights by their mean each round, i.e. minimised
    # another function: at lam=3e-3 it ended at 2.7x its start's objective)
    from classicsr.misr.reconstruct import _initial

    _, sim = sim2
    op, y, K = sim.model, sim.frames, sim.frames.shape[0]

    def objective(x, lam):
        return np.abs(op.forward(x) - y).sum() / K + lam * _btv_numpy(x, 2, 0.7)

    start = _initial(y, 0, op)
    for lam in (3e-4, 3e-3):
        x = regularized_sr(y, 2, motions=sim.motions, data="l1", prior="btv", lam=lam, n_iter=20)
        assert objective(x, lam) < 0.8 * objective(start, lam)


def test_l1_btv_descent_default_step_improves_on_its_start(sim2):
    # the sign gradient does not shrink: at the L2 step (0.5) every pixel kept moving by ~1/8
    # of the range and the result was worse than the bicubic start (x2: 0.070 vs 0.039 RMSE)
    from classicsr.misr.reconstruct import _initial

    hr, sim = sim2
    rmse = lambda x: float(np.sqrt(np.mean((x - hr) ** 2)))  # noqa: E731
    start = rmse(_initial(sim.frames, 0, sim.model))
    descent = rmse(regularized_sr(sim.frames, 2, motions=sim.motions, data="l1", prior="btv",
                                  solver="descent"))
    irls = rmse(regularized_sr(sim.frames, 2, motions=sim.motions, data="l1", prior="btv"))
    assert descent < 0.7 * start
    assert descent < 1.3 * irls


def test_shift_and_add_half_pixel_frames_land_on_distinct_pixels():
    # area grid at s = 2: origin 0.5, so shifts {0, 0.5}^2 put samples exactly halfway between
    # HR pixels; halves rounded up keep the four frames apart (ties to even merged them)
    rng = np.random.default_rng(0)
    frames = rng.random((4, 12, 12))
    shifts = [(0.0, 0.0), (0.0, -0.5), (-0.5, 0.0), (-0.5, -0.5)]
    motions = np.array([[[1, 0, r], [0, 1, c]] for r, c in shifts], float)
    out = shift_and_add(frames, 2, motions=motions, fusion="mean", decimation="area")
    found = np.isin(frames.ravel(), out.ravel()).mean()
    # every sample kept as is except the 47 of 576 whose half-up position, 2 u + 2 for the last
    # row or column u = 11 of a shifted frame, lies past the 24-pixel edge
    assert found == pytest.approx(1 - 47 / 576)


def test_bad_motions_and_origin_are_named():
    frames = np.zeros((2, 8, 8))
    with pytest.raises(TypeError, match="motions"):
        regularized_sr(frames, 2, motions="abc")
    with pytest.raises(TypeError, match="motions"):
        shift_and_add(frames, 2, motions=[np.eye(3)[:2], np.eye(2)])
    with pytest.raises(ValueError, match="origin"):
        bicubic_reference(frames[0], 2, origin=np.nan)
    with pytest.raises(TypeError, match="origin"):
        bicubic_reference(frames[0], 2, origin="x")
    with pytest.raises(ValueError, match="psf"):
        simulate_frames(np.zeros((16, 16)), 2, 2, psf=0)
