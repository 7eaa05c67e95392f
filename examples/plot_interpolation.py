"""
Interpolation methods side by side
==================================

The SR protocol's degradation (MATLAB ``imresize`` bicubic, 1/4, replicate boundary) and the
classical kernels that upscale the result back: nearest, bilinear, bicubic (Keys, a = -0.5)
and Lanczos-3, all through :func:`classicsr.resize` with MATLAB's grid convention.  The
bottom row zooms on the same crop; the titles give the Y-channel PSNR with the border shaved
by the scale, as in the SR papers (:func:`classicsr.metrics.psnr`).
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from skimage import data

from classicsr import degrade, metrics
from classicsr import resize

scale = 4
hr = degrade.modcrop(data.astronaut(), scale)
lr = resize(hr, 1 / scale, boundary="replicate")  # the benchmark LR files' own rule

methods = ["nearest", "bilinear", "bicubic", "lanczos3"]
outputs = {m: resize(lr, output_shape=hr.shape[:2], method=m) for m in methods}
scores = {m: metrics.psnr(hr, sr, crop_border=scale, y_channel=True) for m, sr in outputs.items()}
for m in methods:
    print(f"{m:9s} {scores[m]:.2f} dB")

# %%
# The figure: full images on top (the yellow box marks the crop), zoomed crops below.

y0, x0, size = 60, 170, 96  # the face and the helmet rim
panels = [("HR", hr), (f"LR (1/{scale}), shown nearest", resize(lr, output_shape=hr.shape[:2], method="nearest"))]
panels += [(f"{m} x{scale}: {scores[m]:.2f} dB", outputs[m]) for m in methods]
fig, axes = plt.subplots(2, len(panels), figsize=(2.6 * len(panels), 5.6))
for col, (title, img) in enumerate(panels):
    axes[0, col].imshow(img)
    axes[0, col].add_patch(Rectangle((x0, y0), size, size, fill=False, edgecolor="yellow", lw=1.2))
    axes[0, col].set_title(title, fontsize=8)
    axes[1, col].imshow(img[y0:y0 + size, x0:x0 + size], interpolation="nearest")
for ax in axes.ravel():
    ax.set_axis_off()
fig.tight_layout()
plt.show()

# %%
# The kernels themselves: the weight each method gives to an LR sample at distance ``x``
# (in LR pixels).  Wider kernels with negative lobes (bicubic, Lanczos) keep edges sharper
# and ring a little; nearest and bilinear blur or block.

x = np.linspace(-3.5, 3.5, 701)
kernels = {
    "nearest": (np.abs(x) < 0.5).astype(float),
    "bilinear": np.clip(1 - np.abs(x), 0, None),
    "bicubic (a=-0.5)": np.where(np.abs(x) <= 1, 1.5 * np.abs(x) ** 3 - 2.5 * x ** 2 + 1,
                                 np.where(np.abs(x) < 2, -0.5 * np.abs(x) ** 3 + 2.5 * x ** 2 - 4 * np.abs(x) + 2, 0)),
    "lanczos3": np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0),
}
fig, ax = plt.subplots(figsize=(6, 3))
for name, k in kernels.items():
    ax.plot(x, k, label=name)
ax.axhline(0, color="gray", lw=0.5)
ax.set_xlabel("distance (LR pixels)")
ax.set_ylabel("weight")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
