"""
Resizing in chunks with dask: the halo, and bit-exact results
=============================================================

:func:`classicsr.dask.resize` resizes a dask array block by block, so an image larger than
memory streams through a few chunks at a time.  Each output block reads the input rows and
columns its kernel taps touch: its own chunk plus a halo of a few pixels (for bicubic
upscaling by 2, two LR pixels on each side).  Because every output value depends only on its
own taps, the result equals the in-memory :func:`classicsr.resize` bit for bit, whatever the
chunking.
"""

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from skimage import data

import classicsr
import classicsr.dask

scale = 2
image = data.astronaut()[:384, :384]
lazy = da.from_array(image, chunks=(96, 96, 3))
out = classicsr.dask.resize(lazy, scale)  # lazy: nothing computed yet
print("input chunks:", lazy.chunks[:2])
print("output chunks:", out.chunks[:2])
result = out.compute()
reference = classicsr.resize(image, scale)
print("identical to the in-memory resize:", np.array_equal(result, reference))
assert np.array_equal(result, reference)

# %%
# The input rows one output block reads.  MATLAB's grid: output pixel ``y`` sits at input
# coordinate ``u = (y + 0.5) / scale - 0.5``, and the bicubic taps are ``floor(u) - 1`` to
# ``floor(u) + 2`` (clamped at the border, where the boundary rule mirrors the image).

block = (1, 2)  # the output block in row 1, column 2 of the block grid
rows = np.cumsum((0,) + out.chunks[0])
cols = np.cumsum((0,) + out.chunks[1])
y0, y1, x0, x1 = rows[block[0]], rows[block[0] + 1], cols[block[1]], cols[block[1] + 1]


def taps(lo, hi, n):
    u = (np.arange(lo, hi) + 0.5) / scale - 0.5
    return max(int(np.floor(u.min())) - 1, 0), min(int(np.floor(u.max())) + 2, n - 1)


(r0, r1), (c0, c1) = taps(y0, y1, image.shape[0]), taps(x0, x1, image.shape[1])
print(f"output block rows {y0}:{y1}, cols {x0}:{x1} reads input rows {r0}:{r1 + 1}, cols {c0}:{c1 + 1}")

fig, axes = plt.subplots(1, 3, figsize=(12, 4.4))
axes[0].imshow(image)
for edge in np.cumsum(lazy.chunks[0])[:-1]:
    axes[0].axhline(edge - 0.5, color="white", lw=0.8)
for edge in np.cumsum(lazy.chunks[1])[:-1]:
    axes[0].axvline(edge - 0.5, color="white", lw=0.8)
axes[0].add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0 + 1, r1 - r0 + 1, fill=False, edgecolor="yellow", lw=1.5))
axes[0].set_title(f"input {image.shape[:2]}, chunks of 96;\nyellow: the slab one output block reads (chunk + halo)",
                  fontsize=8)
axes[1].imshow(result)
for edge in rows[1:-1]:
    axes[1].axhline(edge - 0.5, color="white", lw=0.8)
for edge in cols[1:-1]:
    axes[1].axvline(edge - 0.5, color="white", lw=0.8)
axes[1].add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor="yellow", lw=1.5))
axes[1].set_title(f"classicsr.dask.resize x{scale}: output chunks;\nyellow: the block", fontsize=8)
diff = np.abs(result.astype(int) - reference.astype(int)).max(axis=-1)
axes[2].imshow(diff, cmap="magma", vmin=0, vmax=1)
axes[2].set_title(f"|dask - in-memory|: max {diff.max()} (bit exact)", fontsize=8)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
plt.show()
