"""classicsr.misr.simulate_frames and register: accuracy on simulated sequences with known
motion, agreement with scikit-image's phase_cross_correlation, errors."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.registration import phase_cross_correlation

from classicsr.misr import RegistrationError, phase_correlation, register, simulate_frames
from classicsr.operators import Decimate

from . import naive_operators as naive


@pytest.fixture(scope="module")
def scene():
    return data.camera()[96:352, 96:352] / 255.0


def _rms_pixel_error(est, true, shape):
    h, w = shape
    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    P = np.stack([rr.ravel(), cc.ravel(), np.ones(rr.size)])
    d = np.einsum("kij,jn->kin", est - true, P)
    return float(np.sqrt((d ** 2).sum(1).mean()))


def test_simulate_matches_explicit_pipeline(scene):
    sim = simulate_frames(scene[:40, :40], 3, 2, noise_sigma=0.0, psf=1.0, seed=3)
    from classicsr.operators import lr_motion_to_hr

    ref = naive.observe(scene[:40, :40], 2, [lr_motion_to_hr(m, 2) for m in sim.motions], sim.psf)
    np.testing.assert_allclose(sim.frames, ref, atol=1e-12)
    np.testing.assert_array_equal(sim.motions[0], [[1, 0, 0], [0, 1, 0]])


def test_simulate_noise_and_seed(scene):
    a = simulate_frames(scene, 4, 2, noise_sigma=0.01, seed=7)
    b = simulate_frames(scene, 4, 2, noise_sigma=0.01, seed=7)
    c = simulate_frames(scene, 4, 2, noise_sigma=0.0, seed=7)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert abs(np.std(a.frames - c.frames) - 0.01) < 5e-4
    assert np.all(np.abs(a.motions[1:, :, 2]) <= 1.0)


def test_phase_correlation_integer_and_vs_skimage(scene):
    a = scene[:64, :64]
    b = np.roll(a, (5, -3), axis=(0, 1))
    np.testing.assert_allclose(phase_correlation(a, b, window=False), [5, -3])
    # sub-pixel: a band-limited shift made in the Fourier domain
    f = np.fft.fft2(a)
    kr = np.fft.fftfreq(64)[:, None]
    kc = np.fft.fftfreq(64)[None, :]
    d = (1.37, -0.62)
    shifted = np.fft.ifft2(f * np.exp(-2j * np.pi * (kr * d[0] + kc * d[1]))).real
    ours = phase_correlation(a, shifted, window=False, upsample_factor=100)
    np.testing.assert_allclose(ours, d, atol=0.011)
    peer, _, _ = phase_cross_correlation(a, shifted, upsample_factor=100)
    np.testing.assert_allclose(ours, -peer, atol=0.011)  # skimage returns the correcting shift


@pytest.mark.parametrize("scale, n, motion, target", [
    (2, 6, "translation", 0.03),
    (4, 8, "translation", 0.05),
    (2, 5, "euclidean", 0.05),
    (2, 5, "affine", 0.05),
])
def test_register_accuracy(scene, scale, n, motion, target):
    sim = simulate_frames(scene, n, scale, motion=motion, max_shift=2.0, noise_sigma=0.01, seed=11)
    est = register(sim.frames, model=motion)
    err = _rms_pixel_error(est[1:], sim.motions[1:], sim.frames.shape[1:])
    assert err <= target, err


def test_refinement_beats_plain_phase_correlation_at_x4(scene):
    sim = simulate_frames(scene, 8, 4, max_shift=1.0, noise_sigma=0.01, seed=5)
    plain = register(sim.frames, refine=False)
    refined = register(sim.frames)
    shape = sim.frames.shape[1:]
    assert _rms_pixel_error(refined[1:], sim.motions[1:], shape) < 0.5 * _rms_pixel_error(plain[1:], sim.motions[1:], shape)


def test_register_reference_and_colour(scene):
    rgb = np.stack([scene, scene ** 2, 1 - scene], axis=-1)
    sim = simulate_frames(rgb, 4, 2, max_shift=1.0, noise_sigma=0.0, seed=2)
    assert sim.frames.shape == (4, 128, 128, 3)
    est = register(sim.frames, reference=1)
    np.testing.assert_allclose(est[1], [[1, 0, 0], [0, 1, 0]])
    # frame 2 relative to frame 1 = shift2 - shift1 (translations compose by subtraction)
    np.testing.assert_allclose(est[2][:, 2], sim.motions[2][:, 2] - sim.motions[1][:, 2], atol=0.05)


def test_register_errors(scene):
    f = scene[:32, :32]
    with pytest.raises(ValueError, match="at least 2 frames"):
        register([f])
    with pytest.raises(ValueError, match="one shape"):
        register([f, scene[:30, :32]])
    with pytest.raises(TypeError, match="one dtype"):
        register([f, f.astype(np.float32)])
    with pytest.raises(RegistrationError, match="frame 1.*constant"):
        register([f, np.zeros_like(f)])
    with pytest.raises(RegistrationError, match="frame 2.*NaN"):
        register([f, f, np.full_like(f, np.nan)])
    with pytest.raises(ValueError, match="model"):
        register([f, f], model="projective")


def test_decimate_origin_documented():
    assert Decimate((8, 8), 4).origin == 0.0
    assert Decimate((8, 8), 4, mode="area").origin == 1.5


def test_phase_correlation_refuses_non_finite_and_complex_images():
    a = np.random.default_rng(0).random((32, 32))
    b = a.copy()
    b[3, 3] = np.nan
    with pytest.raises(ValueError, match="moving contains NaN"):
        phase_correlation(a, b)
    with pytest.raises(TypeError, match="reference must be a real image"):
        phase_correlation(a + 0j, a)
