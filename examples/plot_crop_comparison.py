"""
Crop comparisons with the evaluation protocol's scores
======================================================

The figure the SR papers print: the HR image with a box, and the same zoomed crop of every
method's output, each with the score ``classicsr evaluate`` would give it (Y channel of
BT.601, ``scale`` pixels shaved, PSNR with peak 255 and SSIM of Wang et al.).  The LR input
is made with the benchmark files' own rule (MATLAB bicubic, replicate boundary, uint8
rounding), and every output is quantised to uint8 before scoring, as in the protocol.
Methods: the classical kernels of :func:`classicsr.resize` and the example-based A+
(:func:`classicsr.example_based.upscale`, with the shipped x3 model).
"""

import matplotlib.pyplot as plt
from skimage import data

from classicsr import degrade, metrics
from classicsr import resize
from classicsr.evaluate import comparison_figure
from classicsr.example_based import upscale as example_based_upscale

scale = 3
hr = degrade.modcrop(data.coffee()[:300, 150:450], scale)
lr = resize(hr, 1 / scale, boundary="replicate")
outputs = {m: resize(lr, output_shape=hr.shape[:2], method=m) for m in ("nearest", "bilinear", "bicubic", "lanczos3")}
outputs["A+"] = example_based_upscale(lr, scale, method="aplus")
scores = {m: {"psnr": metrics.psnr(hr, sr, crop_border=scale, y_channel=True),
              "ssim": metrics.ssim(hr, sr, crop_border=scale, y_channel=True)} for m, sr in outputs.items()}
for m, s in scores.items():
    print(f"{m:9s} PSNR {s['psnr']:.2f} dB  SSIM {s['ssim']:.4f}")

# %%
# :func:`classicsr.evaluate.comparison_figure` picks the crop with the most gradient energy
# when no box is given; ``classicsr evaluate --figure crops.png`` draws the same figure.

fig = comparison_figure(hr, outputs, scores=scores, columns=3,
                        title=f"coffee x{scale}: Y-channel PSNR / SSIM, {scale} pixels shaved")
# in a script: fig.savefig("crops.png")

# %%
# ``comparison_figure`` builds its figure without pyplot (no global state, no display
# needed).  To show it in a pyplot session (and in this gallery), render it and hand the
# pixels to a pyplot figure.

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

canvas = FigureCanvasAgg(fig)
canvas.draw()
pixels = np.asarray(canvas.buffer_rgba())
shown = plt.figure(figsize=(pixels.shape[1] / fig.dpi, pixels.shape[0] / fig.dpi), dpi=fig.dpi)
shown.figimage(pixels)
plt.show()
