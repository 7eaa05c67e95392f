"""
Naive inverse filtering blows up; Wiener does not
=================================================

Blur scikit-image's *camera* with a Gaussian PSF (sigma 2 pixels, periodic boundary) and add
1 % Gaussian noise.  Dividing the spectrum by the optical transfer function ``H``
(:func:`classicsr.deconvolution.inverse_filter` without a threshold) would undo the blur
exactly without noise; with noise it divides the noise by ``|H|``, which is ``1e-10`` or
smaller at high frequencies, and the result is pure amplified noise.  The Wiener filter
``conj(H) / (|H|^2 + NSR)`` (:func:`classicsr.deconvolution.wiener`, noise level and NSR
estimated from the image) trades a little blur for bounded noise.
"""

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

from classicsr import deconvolution, metrics, psf
from classicsr.fft import fftconvolve_periodic, psf2otf

sharp = data.camera().astype(np.float64) / 255
kernel = psf.gaussian(2.0)
rng = np.random.default_rng(0)
blurred = fftconvolve_periodic(sharp, kernel) + rng.normal(0, 0.01, sharp.shape)

naive = deconvolution.inverse_filter(blurred, kernel, boundary="wrap")
restored, info = deconvolution.wiener(blurred, kernel, boundary="wrap", return_info=True)
print("noise sigma estimated:", info["noise_sigma"])


def score(img):
    return metrics.psnr(sharp, np.clip(img, 0, 1), data_range=1, crop_border=8)


print(f"blurred {score(blurred):.2f} dB, inverse filter {score(naive):.2f} dB "
      f"(values in [{naive.min():.3g}, {naive.max():.3g}]), Wiener {score(restored):.2f} dB")

# %%
# The images (the inverse filter is shown clipped to [0, 1]; its range is in the title) and,
# below, why: along one row of the spectrum, the gain of the inverse filter ``1 / |H|``
# grows without bound where the blur removed the signal, while the Wiener gain rises, then
# falls back to zero where the noise dominates.

H = psf2otf(kernel, sharp.shape)
freqs = np.fft.fftfreq(sharp.shape[1])[: sharp.shape[1] // 2]
h_row = np.abs(H[0, : sharp.shape[1] // 2])
nsr = 0.01 ** 2 / np.var(sharp)  # a scalar NSR for the plot: noise power / signal power
with np.errstate(divide="ignore"):
    inverse_gain = 1 / h_row
wiener_gain = h_row / (h_row ** 2 + nsr)

fig = plt.figure(figsize=(11, 6))
grid = fig.add_gridspec(2, 4, height_ratios=[1.2, 1])
crop = (slice(60, 220), slice(180, 340))
for col, (title, img) in enumerate((("sharp", sharp), (f"blurred + noise: {score(blurred):.2f} dB", blurred),
                                    (f"inverse filter: {score(naive):.2f} dB\nrange "
                                     f"[{naive.min():.2g}, {naive.max():.2g}]", naive),
                                    (f"Wiener (estimated NSR): {score(restored):.2f} dB", restored))):
    ax = fig.add_subplot(grid[0, col])
    ax.imshow(np.clip(img[crop], 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
ax = fig.add_subplot(grid[1, :])
ax.semilogy(freqs, h_row, label="|H| (Gaussian blur, sigma 2)")
ax.semilogy(freqs, inverse_gain, label="inverse filter gain 1/|H|")
ax.semilogy(freqs, wiener_gain, label=f"Wiener gain |H|/(|H|^2 + NSR), NSR = {nsr:.1e}")
ax.set_ylim(1e-6, 1e12)
ax.set_xlabel("horizontal frequency (cycles / pixel)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
