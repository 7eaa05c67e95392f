"""pixel_shuffle / pixel_unshuffle against PyTorch, and the sub-pixel convolution identity.

Shi et al. (2016) show that a transposed convolution with stride r equals r^2 ordinary
convolutions in LR space followed by a pixel shuffle.  The test builds the r^2 kernels from the
transposed convolution's kernel by the index formula (not by probing the operator) and checks
the identity numerically with PyTorch as the independent implementation of both operators.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classicsr.pixel_shuffle import pixel_shuffle, pixel_unshuffle


def _naive_shuffle(x, r):
    """out[r m + i, r n + j, c] = in[m, n, c r^2 + i r + j], by loops (channels last)."""
    m, n, cr2 = x.shape
    c = cr2 // (r * r)
    out = np.zeros((m * r, n * r, c), x.dtype)
    for mm in range(m):
        for nn in range(n):
            for cc in range(c):
                for i in range(r):
                    for j in range(r):
                        out[r * mm + i, r * nn + j, cc] = x[mm, nn, cc * r * r + i * r + j]
    return out


@given(r=st.integers(1, 4), c=st.integers(1, 3), m=st.integers(1, 6), n=st.integers(1, 6))
def test_matches_naive_loops_and_inverse(r, c, m, n):
    x = np.arange(m * n * c * r * r, dtype=np.int64).reshape(m, n, c * r * r)
    out = pixel_shuffle(x, r)
    np.testing.assert_array_equal(out, _naive_shuffle(x, r))
    np.testing.assert_array_equal(pixel_unshuffle(out, r), x)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_channel_axis_positions(axis):
    rng = np.random.default_rng(0)
    x = rng.random((5, 7, 8)).astype(np.float32)  # channels last
    ref = pixel_shuffle(x, 2)
    moved = np.moveaxis(x, -1, axis)
    out = pixel_shuffle(moved, 2, channel_axis=axis)
    np.testing.assert_array_equal(np.moveaxis(out, axis, -1), ref)
    np.testing.assert_array_equal(pixel_unshuffle(out, 2, channel_axis=axis), moved)
    assert out.dtype == np.float32


def test_matches_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    rng = np.random.default_rng(1)
    for r in (2, 3, 4):
        x = rng.random((2 * r * r, 5, 6))
        ours = pixel_shuffle(x, r, channel_axis=0)
        theirs = F.pixel_shuffle(torch.from_numpy(x)[None], r)[0].numpy()
        np.testing.assert_array_equal(ours, theirs)
        y = rng.random((3, 4 * r, 2 * r))
        np.testing.assert_array_equal(pixel_unshuffle(y, r, channel_axis=0),
                                      F.pixel_unshuffle(torch.from_numpy(y)[None], r)[0].numpy())


def test_bad_input():
    x = np.zeros((4, 4, 3))
    with pytest.raises(ValueError, match="multiple of factor"):
        pixel_shuffle(x, 2)
    with pytest.raises(ValueError, match="not a multiple of factor=3"):
        pixel_unshuffle(np.zeros((4, 6, 1)), 3)
    with pytest.raises(TypeError, match="factor must be an integer"):
        pixel_shuffle(np.zeros((2, 2, 4)), 2.0)
    with pytest.raises(ValueError, match="factor must be >= 1"):
        pixel_shuffle(np.zeros((2, 2, 4)), 0)
    with pytest.raises(ValueError, match="3-D"):
        pixel_shuffle(np.zeros((4, 4)), 2)
    x = np.arange(16.0).reshape(2, 2, 4)
    before = x.copy()
    pixel_shuffle(x, 2)
    np.testing.assert_array_equal(x, before)


def _subpixel_kernels(w, r, p, half):
    """The r^2 LR kernels (cross-correlation, window [-half, half]) of a transposed convolution.

    Transposed convolution (stride r, padding p): y[r q + i] = sum_m x[m] W[r q + i + p - r m].
    With a = (i + p) // r, b = (i + p) % r and t = m - q:  y[r q + i] = sum_t x[q + t] W[r (a - t) + b].
    """
    k = w.shape[0]
    out = np.zeros((r, r, 2 * half + 1, 2 * half + 1))
    for i in range(r):
        ai, bi = divmod(i + p, r)
        for j in range(r):
            aj, bj = divmod(j + p, r)
            for t in range(-half, half + 1):
                u_idx = r * (ai - t) + bi
                if not 0 <= u_idx < k:
                    continue
                for v in range(-half, half + 1):
                    v_idx = r * (aj - v) + bj
                    if 0 <= v_idx < k:
                        out[i, j, t + half, v + half] = w[u_idx, v_idx]
    return out


@pytest.mark.parametrize("r,k,p", [(2, 4, 1), (3, 9, 4), (4, 8, 2), (3, 5, 1)])
def test_transposed_conv_equals_subpixel_conv_equals_conv_plus_shuffle(r, k, p):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    rng = np.random.default_rng(r * 100 + k)
    w = rng.standard_normal((k, k))
    x = rng.standard_normal((9, 11))
    # 1) transposed convolution, output cropped to exactly r times the input
    op = (r * x.shape[0]) - ((x.shape[0] - 1) * r - 2 * p + k)
    assert 0 <= op < r, "test parameters must allow an output of exactly r x the input"
    deconv = F.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                                stride=r, padding=p, output_padding=op)[0, 0].numpy()
    assert deconv.shape == (r * 9, r * 11)
    # 2) r^2 convolutions in LR space (the "sub-pixel convolution"), interleaved by hand
    half = k // r + 2
    kernels = _subpixel_kernels(w, r, p, half)
    planes = F.conv2d(torch.from_numpy(x)[None, None],
                      torch.from_numpy(kernels.reshape(r * r, 1, 2 * half + 1, 2 * half + 1)),
                      padding=half)[0].numpy()
    interleaved = np.zeros_like(deconv)
    for i in range(r):
        for j in range(r):
            interleaved[i::r, j::r] = planes[i * r + j]
    # 3) the same convolutions followed by pixel_shuffle (ours, and torch's)
    shuffled = pixel_shuffle(planes, r, channel_axis=0)[0]
    torch_shuffled = F.pixel_shuffle(torch.from_numpy(planes)[None], r)[0, 0].numpy()
    np.testing.assert_allclose(interleaved, deconv, atol=1e-10)
    np.testing.assert_allclose(shuffled, deconv, atol=1e-10)
    np.testing.assert_allclose(torch_shuffled, deconv, atol=1e-10)
