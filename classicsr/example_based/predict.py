"""Zeyde sparse coding, ANR and A+ upscaling of images with an :class:`ExampleBasedModel`."""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from . import features as F
from .model import PRETRAINED_SCALES, ExampleBasedModel, load_model

__all__ = ["upscale", "pretrained", "ExampleBasedSR", "METHODS", "predict_residual"]

#: Predictors of this module.
METHODS = ("zeyde", "anr", "aplus")
_COLOR = ("ycbcr", "channelwise")
_CHUNK = 32768


def _nearest_atoms(feats: np.ndarray, dict_lo: np.ndarray, block: int = 256) -> np.ndarray:
    """Index of the atom with the largest absolute correlation, per feature row.

    Correlations by BLAS over blocks of rows small enough to stay in cache; ``abs`` in place
    and NumPy's SIMD arg-max (faster here than a scalar Numba loop)."""
    out = np.empty(feats.shape[0], dtype=np.int64)
    dt = np.ascontiguousarray(dict_lo.T)
    buf = np.empty((min(block, feats.shape[0]), dt.shape[1]), dtype=np.result_type(feats, dt))
    for start in range(0, feats.shape[0], block):
        stop = min(feats.shape[0], start + block)
        corr = buf[: stop - start]
        np.matmul(feats[start:stop], dt, out=corr)
        np.abs(corr, out=corr)
        out[start:stop] = corr.argmax(axis=1)
    return out


def predict_residual(y_bicubic: np.ndarray, model: ExampleBasedModel, method: str = "aplus") -> np.ndarray:
    """High-frequency residual predicted for a bicubic-upscaled 2-D image (model grid).

    Parameters
    ----------
    y_bicubic : (H, W) ndarray
        The bicubic upscaled single-channel image, any value scale.
    model : ExampleBasedModel
    method : {'zeyde', 'anr', 'aplus'}

    Returns
    -------
    residual : (H, W) float32 ndarray
        To be added to ``y_bicubic``.  Every pixel is covered by at least one patch.
    """
    from .._kernels import example_based as _k
    from .dictionary import omp

    s = model.scale
    size = F.patch_size(s)
    y = np.ascontiguousarray(y_bicubic, dtype=np.float32)
    # symmetric padding by s: one patch per LR pixel, corners (k s, l s) of the padded image
    pad = np.pad(y, s, mode="symmetric")
    planes = F.filter_planes(pad, s)
    rows, cols = F.patch_grid(pad.shape, size, s)
    acc = np.zeros(pad.shape, dtype=np.float64)
    weight = np.zeros(pad.shape, dtype=np.float64)
    pca = np.ascontiguousarray(model.pca, dtype=np.float32)
    dict_lo = np.ascontiguousarray(model.dict_lo, dtype=np.float32)
    if method == "zeyde":
        d64 = model.dict_lo.astype(np.float64)
        d64 /= np.linalg.norm(d64, axis=1, keepdims=True)
        dict_hi = model.dict_hi.astype(np.float32)
    else:
        reg_t = model.regressors_t(method)
    for start in range(0, rows.shape[0], _CHUNK):
        rr = rows[start:start + _CHUNK]
        cc = cols[start:start + _CHUNK]
        feats = F.extract_patches(planes, rr, cc, size) @ pca
        if method == "zeyde":
            idx, coef = omp(feats, d64, model.sparsity)
            patches = np.zeros((feats.shape[0], size * size), dtype=np.float32)
            for j in range(idx.shape[1]):
                used = idx[:, j] >= 0
                patches[used] += coef[used, j, None].astype(np.float32) * dict_hi[idx[used, j]]
        else:
            atoms = _nearest_atoms(feats, dict_lo)
            patches = np.empty((feats.shape[0], size * size), dtype=np.float32)
            _k.apply_regressors(np.ascontiguousarray(feats), atoms, reg_t, patches)
        _k.aggregate_patches(patches, rr, cc, size, acc, weight)
    out = acc[s:s + y.shape[0], s:s + y.shape[1]] / weight[s:s + y.shape[0], s:s + y.shape[1]]
    return out.astype(np.float32)


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "u":
        top = float(np.iinfo(dtype).max)
        return np.clip(V.round_half_away(np.asarray(values, dtype=np.float64)), 0,
                       top).astype(dtype)
    return values.astype(dtype, copy=False)


def _resolve_model(model, scale) -> ExampleBasedModel:
    if model is not None:
        if not isinstance(model, ExampleBasedModel):
            raise TypeError(f"model must be an ExampleBasedModel (from train() or ExampleBasedModel.load), "
                            f"got {type(model).__name__}")
        if scale is not None and V.check_int("scale", scale, minimum=2) != model.scale:
            raise ValueError(f"scale={scale} does not match the model's scale {model.scale}")
        return model
    if scale is None:
        raise ValueError("give scale (one of the shipped scales "
                         f"{list(PRETRAINED_SCALES)}) or a trained model")
    scale = V.check_int("scale", scale, minimum=2)
    return load_model(scale)


def upscale(image, scale=None, *, method: str = "aplus", model=None, channel_axis: int = -1,
            color: str = "ycbcr") -> np.ndarray:
    """Upscale an image with an example-based method (Zeyde, ANR or A+).

    Parameters
    ----------
    image : (M, N) or (M, N, C) ndarray
        uint8, uint16, float16, float32 or float64; colour along ``channel_axis``.
    scale : int, optional
        Integer factor; selects the shipped model (2, 3 or 4) when ``model`` is not given.
    method : {'aplus', 'anr', 'zeyde'}
        ``'aplus'``: adjusted anchored neighbourhood regression [3]_; ``'anr'``: anchored
        neighbourhood regression with global (dictionary) neighbourhoods [2]_; ``'zeyde'``:
        sparse coding on coupled dictionaries [1]_.
    model : ExampleBasedModel, optional
        A model from :func:`classicsr.example_based.train` (default: the shipped one).
    channel_axis : int, keyword-only
        Axis of the colour channels for 3-D images (default -1); 2-D images are grayscale.
    color : {'ycbcr', 'channelwise'}
        3-channel images: ``'ycbcr'`` (default, as the papers) upscales the BT.601 luma with the
        method and the chroma with bicubic; ``'channelwise'`` applies the method to each channel.
        Images with another number of channels are always processed channel-wise.

    Returns
    -------
    sr : (M * s, N * s[, C]) ndarray
        uint8/uint16/float32/float64 input keeps its dtype (integers rounded half away from
        zero and saturated); float16 gives float32.

    Notes
    -----
    The LR image is upscaled with MATLAB bicubic (:func:`classicsr.resize`), features are the
    PCA-projected gradient/Laplacian patches of that image (:mod:`.features`), and each patch
    of side :math:`3s` gets a predicted residual :math:`\\hat r`:

    - Zeyde: :math:`\\hat r = D_h \\alpha` with :math:`\\alpha` the OMP code of the feature on
      :math:`D_l`;
    - ANR / A+: :math:`\\hat r = P_j f` with :math:`j = \\arg\\max_k |d_k^T f|` and
      :math:`P_j` the ridge regressor anchored at atom :math:`j`.

    Overlapping residual patches are averaged and added to the bicubic image.  All three
    predictors are positively homogeneous and ignore constant offsets, so any value range
    works.  Internal arithmetic is float32 (the precision the model is stored in).

    References
    ----------
    .. [1] R. Zeyde, M. Elad, M. Protter, "On Single Image Scale-Up Using
           Sparse-Representations", Curves and Surfaces 2010, LNCS 6920, 2012.
    .. [2] R. Timofte, V. De Smet, L. Van Gool, "Anchored Neighborhood Regression for Fast
           Example-Based Super-Resolution", ICCV 2013.
    .. [3] R. Timofte, V. De Smet, L. Van Gool, "A+: Adjusted Anchored Neighborhood Regression
           for Fast Super-Resolution", ACCV 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.example_based import upscale
    >>> lr = (np.arange(64 * 48) % 251).reshape(64, 48).astype(np.uint8)
    >>> upscale(lr, 2).shape
    (128, 96)
    """
    from ..resize import resize

    method = V.check_choice("method", method, METHODS)
    color = V.check_choice("color", color, _COLOR)
    array = V.as_image(image, "image")
    axis = V.check_channel_axis(channel_axis, array.ndim)
    mdl = _resolve_model(model, scale)
    if method not in mdl.methods:
        raise ValueError(f"method={method!r} is not available in this model; it supports {list(mdl.methods)}")
    s = mdl.scale
    dtype = array.dtype.newbyteorder("=")
    out_dtype = np.dtype(np.float32) if dtype == np.float16 else dtype
    work = V.supported_float_type(dtype)
    V.check_output_size((array.shape[0] * s, array.shape[1] * s) + array.shape[2:], work, "the SR image")
    if not np.isfinite(array).all() if array.dtype.kind == "f" else False:
        raise ValueError("image contains NaN or infinite values")

    def one(plane):
        up = resize(plane.astype(work, copy=False), s)
        return up + predict_residual(up, mdl, method).astype(work)

    if axis is None:
        return _to_dtype(one(array), out_dtype)
    moved = np.moveaxis(array, axis, -1).astype(work)
    if moved.shape[-1] == 3 and color == "ycbcr":
        from ..color import rgb_to_ycbcr, ycbcr_to_rgb

        if dtype.kind == "u":
            moved = moved / float(np.iinfo(dtype).max)
        ycc = rgb_to_ycbcr(moved)
        up = resize(ycc, s)
        up[..., 0] += predict_residual(up[..., 0], mdl, method).astype(work)
        rgb = ycbcr_to_rgb(up)
        if dtype.kind == "u":
            rgb = rgb * float(np.iinfo(dtype).max)
    else:
        rgb = np.stack([one(moved[..., c]) for c in range(moved.shape[-1])], axis=-1)
    return np.moveaxis(_to_dtype(rgb, out_dtype), -1, axis)


class ExampleBasedSR:
    """A callable upscaler ``lr -> sr`` bound to a method and a model (see :func:`upscale`).

    Usable directly as a method of :func:`classicsr.evaluate`.

    Examples
    --------
    >>> from classicsr.example_based import pretrained
    >>> sr = pretrained("aplus", scale=2)
    >>> sr.name, sr.scale
    ('aplus_x2', 2)
    """

    def __init__(self, method: str, model: ExampleBasedModel, *, color: str = "ycbcr"):
        self.method = V.check_choice("method", method, METHODS)
        self.model = model
        self.color = V.check_choice("color", color, _COLOR)
        if self.method not in model.methods:
            raise ValueError(f"method={method!r} is not available in this model; it supports {list(model.methods)}")

    @property
    def scale(self) -> int:
        return self.model.scale

    @property
    def name(self) -> str:
        return f"{self.method}_x{self.scale}"

    @property
    def __name__(self) -> str:  # so evaluate() names it
        return self.name

    def __call__(self, image, *, channel_axis: int = -1):
        return upscale(image, method=self.method, model=self.model, channel_axis=channel_axis, color=self.color)

    def __repr__(self) -> str:
        return f"ExampleBasedSR(method={self.method!r}, scale={self.scale}, atoms={self.model.n_atoms})"


def pretrained(method: str = "aplus", scale: int = 2, *, color: str = "ycbcr") -> ExampleBasedSR:
    """The shipped Zeyde / ANR / A+ upscaler for ``scale`` (2, 3 or 4), trained on T91.

    Parameters
    ----------
    method : {'aplus', 'anr', 'zeyde'}
    scale : {2, 3, 4}
    color : {'ycbcr', 'channelwise'}

    Returns
    -------
    ExampleBasedSR
        Callable ``sr = f(lr, *, channel_axis=-1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.example_based import pretrained
    >>> f = pretrained("anr", scale=3)
    >>> f(np.zeros((10, 12, 3), np.uint8)).shape
    (30, 36, 3)
    """
    method = V.check_choice("method", method, METHODS)
    scale = V.check_int("scale", scale)
    return ExampleBasedSR(method, load_model(scale), color=color)
