"""Shared hypothesis strategies (bounded shapes, all supported dtypes)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

METHODS = ("nearest", "bilinear", "bicubic", "lanczos2", "lanczos3", "box")
BOUNDARIES = ("symmetric", "replicate", "reflect", "wrap", "constant")
DTYPES = (np.uint8, np.uint16, np.float32, np.float64)

small_side = st.integers(min_value=1, max_value=12)
scales = st.one_of(
    st.sampled_from([0.25, 1 / 3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]),
    st.floats(min_value=0.2, max_value=4.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def images(draw, dtypes=DTYPES, max_side=12, channels=(None, 1, 3)):
    """Random (H, W) or (H, W, C) images with values spanning the dtype's usual range."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    c = draw(st.sampled_from(channels))
    shape = (h, w) if c is None else (h, w, c)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype.kind == "u":
        top = np.iinfo(dtype).max
        return rng.integers(0, top, size=shape, endpoint=True).astype(dtype)
    return rng.uniform(-1.0, 2.0, size=shape).astype(dtype)
