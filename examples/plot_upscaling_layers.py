"""
Upscaling layers: one operator, three implementations
=====================================================

A *transposed convolution* with stride ``r`` (insert ``r - 1`` zeros between LR pixels,
then convolve with a ``K x K`` kernel ``W`` in HR space), a *sub-pixel convolution*
(a convolution with fractional stride ``1/r`` evaluated directly at each HR pixel) and a
*convolution to* ``r^2`` *channels followed by pixel shuffle* (ESPCN's layer) compute the
same linear operator (Shi et al. 2016, "Is the deconvolution layer the same as a
convolutional layer?").  HR pixel ``(r a + i, r b + j)`` only ever meets the kernel taps
``W[r s + i, r t + j]``: the ``r^2`` polyphase sub-kernels ``W_ij = W[i::r, j::r]``.
Convolving the LR image with each ``W_ij`` at LR resolution and interleaving the ``r^2``
results with :func:`classicsr.pixel_shuffle.pixel_shuffle` is the transposed convolution,
without multiplying by the inserted zeros (``r^2`` times fewer operations).

All three are written here in numpy and agree to rounding error.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.signal import convolve2d
from skimage import data

from classicsr import resize
from classicsr.pixel_shuffle import pixel_shuffle

r = 3
lr = resize(data.camera()[100:280, 150:330].astype(np.float64) / 255, 1 / r)  # 60 x 60
h, w = lr.shape


def keys_cubic(x, a=-0.5):
    x = np.abs(x)
    return np.where(x <= 1, (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1,
                    np.where(x < 2, a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a, 0.0))


# An interpolating kernel: the bicubic kernel sampled every 1/r LR pixel, K = 4r - 1 taps.
K = 4 * r - 1
taps = keys_cubic((np.arange(K) - (K - 1) / 2) / r)
W = np.outer(taps, taps)

# %%
# 1. Transposed convolution: zero insertion, then a convolution in HR space.

up = np.zeros((h * r, w * r))
up[::r, ::r] = lr
transposed = convolve2d(up, W, mode="full")[: h * r, : w * r]

# %%
# 2. Sub-pixel convolution: each HR pixel ``p = r a + i`` is a weighted sum of the LR pixels
# ``a - s`` with the weights ``W[r s + i]`` its sub-pixel phase ``i`` selects (a stride-1/r
# convolution, evaluated directly; written as a sum over taps, vectorised over pixels).

p = np.arange(h * r)
q = np.arange(w * r)
subpixel = np.zeros((h * r, w * r))
for ks in range(K):
    for kt in range(K):
        # the LR sample that tap (ks, kt) multiplies at HR pixel (p, q), if any
        m, di = np.divmod(p - ks, r)
        n, dj = np.divmod(q - kt, r)
        rows = (di == 0) & (m >= 0) & (m < h)
        cols = (dj == 0) & (n >= 0) & (n < w)
        subpixel[np.ix_(rows, cols)] += W[ks, kt] * lr[np.ix_(m[rows], n[cols])]

# %%
# 3. Convolution to r^2 channels at LR resolution, then pixel shuffle.  Channel ``i r + j``
# is the LR image convolved with the sub-kernel ``W[i::r, j::r]``.

channels = np.stack([convolve2d(lr, W[i::r, j::r], mode="full")[:h, :w]
                     for i in range(r) for j in range(r)], axis=-1)  # (h, w, r^2)
shuffled = pixel_shuffle(channels, r)[..., 0]

for name, out in (("sub-pixel convolution", subpixel), ("conv + pixel shuffle", shuffled)):
    print(f"max |{name} - transposed convolution| = {np.max(np.abs(out - transposed)):.2e}")
assert np.allclose(subpixel, transposed) and np.allclose(shuffled, transposed)

# The same holds for any kernel, e.g. a random one (as a trained network layer would have):
rng = np.random.default_rng(0)
R = rng.normal(size=(K, K))
t = convolve2d(up, R, mode="full")[: h * r, : w * r]
s = pixel_shuffle(np.stack([convolve2d(lr, R[i::r, j::r], mode="full")[:h, :w]
                            for i in range(r) for j in range(r)], axis=-1), r)[..., 0]
print(f"random kernel: max difference {np.max(np.abs(s - t)):.2e}")

# %%
# The figure: the kernel and its ``r^2`` sub-kernels, the ``r^2`` LR feature maps, and the
# three outputs with their differences.

fig = plt.figure(figsize=(11, 6.2))
grid = fig.add_gridspec(3, 7)
ax = fig.add_subplot(grid[0:2, 0:2])
ax.imshow(W, cmap="RdBu_r", vmin=-1, vmax=1)
ax.set_title(f"kernel W ({K}x{K}), r = {r}; dot colour:\nthe channel i r + j its tap feeds", fontsize=8)
for i in range(r):
    for j in range(r):
        ax.plot(np.arange(j, K, r).repeat(len(range(i, K, r))),
                np.tile(np.arange(i, K, r), len(range(j, K, r))), ".", ms=3, color=f"C{i * r + j}")
ax.set_axis_off()
for k in range(r * r):
    ax = fig.add_subplot(grid[k // r, 2 + k % r])
    ax.imshow(channels[..., k], cmap="gray")
    ax.set_title(f"channel {k} = W[{k // r}::{r}, {k % r}::{r}] * LR", fontsize=6, color=f"C{k}")
    ax.set_axis_off()
for col, (title, img) in enumerate((("transposed conv", transposed), ("sub-pixel conv", subpixel),
                                    ("conv + pixel shuffle", shuffled))):
    ax = fig.add_subplot(grid[col, 5])
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
for row, (title, diff) in enumerate((("sub-pixel - transposed", subpixel - transposed),
                                     ("shuffle - transposed", shuffled - transposed))):
    ax = fig.add_subplot(grid[row, 6])
    ax.imshow(diff, cmap="RdBu_r", vmin=-1e-12, vmax=1e-12)
    ax.set_title(f"{title}\nmax {np.max(np.abs(diff)):.1e}", fontsize=7)
    ax.set_axis_off()
ax = fig.add_subplot(grid[2, 0:2])
ax.plot(transposed[90, :], label="transposed conv, row 90")
ax.plot(shuffled[90, :], "--", label="conv + pixel shuffle, row 90")
ax.legend(fontsize=6)
ax.set_xlabel("HR column")
fig.tight_layout()
plt.show()
