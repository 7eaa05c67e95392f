"""A numpy-in, numpy-out upscaler around any PyTorch SR network."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import _validate as V
from ._device import check_device

__all__ = ["TorchUpscaler"]

_INT_MAX = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def _ramp(length: int, scale: int, start: int, stop: int, size: int, overlap: int) -> np.ndarray:
    """1-D blending weights over the output pixels of one tile.

    The tile's core is LR ``[start, stop)`` of an axis of LR length ``size``; its output covers
    output pixels ``[s * lo, s * hi)`` (``length`` of them, ``lo = max(0, start - overlap)``).  The
    weight rises linearly from 0 to 1 over LR ``[start - overlap/2, start + overlap/2]`` (unless the
    core starts at the image edge) and falls over ``[stop - overlap/2, stop + overlap/2]``;
    neighbouring tiles' ramps sum to one.
    """
    lo = max(0, start - overlap)
    u = (np.arange(length, dtype=np.float64) + 0.5) / scale + lo  # LR coordinate of each output pixel
    w = np.ones(length)
    if overlap == 0:
        if start > 0:
            w[u < start] = 0.0
        if stop < size:
            w[u >= stop] = 0.0
        return w
    if start > 0:
        w = np.minimum(w, np.clip((u - (start - overlap / 2)) / overlap, 0.0, 1.0))
    if stop < size:
        w = np.minimum(w, np.clip(((stop + overlap / 2) - u) / overlap, 0.0, 1.0))
    return w


def _cores(size: int, tile: int) -> list[tuple[int, int]]:
    n = max(1, math.ceil(size / tile))
    edges = np.round(np.linspace(0, size, n + 1)).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


class TorchUpscaler:
    """Turn a PyTorch SR network into a numpy upscaler with classicsr's dtype and axis rules.

    Parameters
    ----------
    model : torch.nn.Module
        LR batch ``(B, C, h, w)`` to SR batch ``(B, C, s h, s w)`` (or, for pre-upsampling
        networks such as SRCNN, bicubic-upscaled input to refined output of the same size).
        It is put in eval mode and moved to ``device``/``dtype``.
    scale : int, optional
        Upscaling factor; defaults to ``model.scale``.
    device : str or torch.device, keyword-only
        Default ``"cpu"``.  A ValueError names the devices available here when the value is
        not a device (``"nope"``) or this machine lacks it (``"cuda"`` on a CPU-only torch).
    dtype : torch.dtype, keyword-only
        Precision of the network (default ``torch.float32``).
    tile : int, optional, keyword-only
        Process the image in tiles of about ``tile`` x ``tile`` LR pixels (each extended by
        ``overlap`` on every side); ``None`` (default) runs the whole image at once.
    overlap : int, keyword-only
        LR pixels of context around each tile (default 16).  Neighbouring outputs are blended
        with linear ramps ``overlap`` wide centred on the tile boundaries; the tiled result
        equals the untiled one (to rounding) when the network's receptive-field radius is at
        most ``overlap / 2`` LR pixels.  ``tile`` must be at least ``2 * overlap``.
    batch : int, keyword-only
        Tiles of equal size sent through the network together (default 1).
    self_ensemble : bool, keyword-only
        Average the outputs over the 8 dihedral transforms
        (:func:`classicsr.degrade.self_ensemble`), the "+" / "x8" results of the literature.
    color : {"y", "rgb"}, optional, keyword-only
        ``"y"``: the network sees the BT.601 luma; Cb and Cr are upscaled with bicubic
        :func:`classicsr.resize`.  ``"rgb"``: the network sees RGB.  Defaults to
        ``model.color`` (``"y"`` when absent).
    data_range : float, optional, keyword-only
        Value of white at the network's input/output (1.0, or 255 for EDSR checkpoints);
        defaults to ``model.data_range`` (1.0 when absent).
    pre_upsample : bool, optional, keyword-only
        Feed the network a bicubic upscaling (SRCNN); defaults to ``model.pre_upsample``.

    Notes
    -----
    Calling the upscaler on an image of shape ``(M, N[, C])`` returns ``(s M, s N[, C])``:

    * uint8 / uint16 are read on [0, 255] / [0, 65535] and the result is rounded half away from
      zero and saturated to the same dtype; float images are taken on [0, 1], float16 gives
      float32, float32/float64 keep their dtype, and float results are not clipped (as
      :func:`classicsr.resize`).
    * 2-D images are grayscale: Y networks see them as the luma; RGB networks see three equal
      channels and the channel mean is returned.
    * With ``color="y"`` a 3-channel image is converted with
      :func:`classicsr.color.rgb_to_ycbcr` and back; other channel counts are processed channel
      by channel.  ``color="rgb"`` needs 3 channels.

    Tiling: an LR axis of length ``n`` is cut into ``ceil(n / tile)`` cores; a tile is its core
    extended by ``overlap`` LR pixels (clipped at the image edge).  Each output pixel ``x`` has
    LR coordinate :math:`u = (x + 1/2) / s`; its weight in a tile is
    :math:`\\min(r_{a}(u), f_{b}(u))` with the rising ramp
    :math:`r_a(u) = \\mathrm{clip}((u - a + o/2) / o, 0, 1)` at the core start :math:`a` and the
    falling ramp :math:`f_b(u) = \\mathrm{clip}((b + o/2 - u) / o, 0, 1)` at its end :math:`b`
    (none at the image edge); two neighbours' ramps sum to one, so wherever both tiles see
    enough context the blend is exact.

    References
    ----------
    .. [1] B. Lim et al., "Enhanced deep residual networks for single image super-resolution",
           CVPRW 2017 (geometric self-ensemble).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.nn import TorchUpscaler
    >>> from classicsr.nn.models import ESPCN
    >>> up = TorchUpscaler(ESPCN(2), tile=16, overlap=8)
    >>> up(np.zeros((20, 30, 3), np.uint8)).shape
    (40, 60, 3)
    """

    def __init__(self, model, scale=None, *, device="cpu", dtype=None, tile=None, overlap: int = 16,
                 batch: int = 1, self_ensemble: bool = False, color=None, data_range=None, pre_upsample=None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if scale is None:
            scale = getattr(model, "scale", None)
            if scale is None:
                raise ValueError("scale is required: the model has no 'scale' attribute")
        self.scale = V.check_int("scale", scale, minimum=1)
        if dtype is None:
            dtype = torch.float32
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
        self.device = check_device(device)
        self.dtype = dtype
        self.overlap = V.check_int("overlap", overlap, minimum=0)
        if tile is not None:
            tile = V.check_int("tile", tile, minimum=1)
            if tile < 2 * self.overlap:
                raise ValueError(f"tile must be at least 2 * overlap = {2 * self.overlap}, got tile={tile}; "
                                 f"use a larger tile or a smaller overlap")
        self.tile = tile
        self.batch = V.check_int("batch", batch, minimum=1)
        self.self_ensemble = V.check_bool("self_ensemble", self_ensemble)
        self.color = V.check_choice("color", color if color is not None else getattr(model, "color", "y"),
                                    ("y", "rgb"))
        self.data_range = V.check_positive_number(
            "data_range", data_range if data_range is not None else float(getattr(model, "data_range", 1.0)))
        self.pre_upsample = V.check_bool(
            "pre_upsample", pre_upsample if pre_upsample is not None else bool(getattr(model, "pre_upsample", False)))
        self.model = model.to(device=self.device, dtype=self.dtype).eval()

    def __repr__(self) -> str:
        return (f"TorchUpscaler({type(self.model).__name__}, scale={self.scale}, color={self.color!r}, "
                f"tile={self.tile}, overlap={self.overlap}, self_ensemble={self.self_ensemble})")

    # -- the network on (C, h, w) float planes ------------------------------------------------
    def _forward(self, x: np.ndarray) -> np.ndarray:
        """(B, C, h, w) float array on [0, 1] -> (B, C, s h, s w) float32 on [0, 1]."""
        t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device, self.dtype)
        if self.data_range != 1.0:
            t = t * self.data_range
        with torch.inference_mode():
            y = self.model(t)
        if self.data_range != 1.0:
            y = y / self.data_range
        expect = (x.shape[2] * (1 if self.pre_upsample else self.scale),
                  x.shape[3] * (1 if self.pre_upsample else self.scale))
        if tuple(y.shape[2:]) != expect or y.shape[:2] != x.shape[:2]:
            raise ValueError(
                f"the model mapped an input of shape {tuple(x.shape)} to {tuple(y.shape)}, but scale="
                f"{self.scale} needs {(x.shape[0], x.shape[1]) + expect}; check scale and pre_upsample"
            )
        return y.to("cpu", torch.float32).numpy()

    def _prepare_input(self, planes: np.ndarray) -> np.ndarray:
        if not self.pre_upsample:
            return planes
        from ..resize import resize

        return resize(planes.astype(np.float32, copy=False), (self.scale, self.scale), channel_axis=0)

    def _net_planes(self, planes: np.ndarray) -> np.ndarray:
        """(C, h, w) -> (C, s h, s w) float32, tiled when asked."""
        c, h, w = planes.shape
        s = self.scale
        if self.tile is None or (h <= self.tile and w <= self.tile):
            return self._forward(self._prepare_input(planes)[None])[0]
        V.check_output_size((c, s * h, s * w), np.float64, "the tiled output")
        out = np.zeros((c, s * h, s * w), np.float64)
        wsum = np.zeros((s * h, s * w), np.float64)
        o = self.overlap
        jobs = []
        for r0, r1 in _cores(h, self.tile):
            for c0, c1 in _cores(w, self.tile):
                jobs.append((max(0, r0 - o), min(h, r1 + o), max(0, c0 - o), min(w, c1 + o), r0, r1, c0, c1))
        groups: dict = {}
        for job in jobs:
            groups.setdefault((job[1] - job[0], job[3] - job[2]), []).append(job)
        for group in groups.values():
            for i in range(0, len(group), self.batch):
                chunk = group[i:i + self.batch]
                x = np.stack([self._prepare_input(planes[:, a:b, p:q]) for a, b, p, q, *_ in chunk])
                y = self._forward(x)
                for (a, b, p, q, r0, r1, c0, c1), tile_out in zip(chunk, y):
                    wr = _ramp(s * (b - a), s, r0, r1, h, o)
                    wc = _ramp(s * (q - p), s, c0, c1, w, o)
                    weight = np.outer(wr, wc)
                    out[:, s * a:s * b, s * p:s * q] += tile_out * weight
                    wsum[s * a:s * b, s * p:s * q] += weight
        out /= wsum
        return out.astype(np.float32)

    def _planes(self, planes: np.ndarray) -> np.ndarray:
        if self.self_ensemble:
            from ..degrade import self_ensemble

            return self_ensemble(self._net_planes, planes, channel_axis=0)
        return self._net_planes(planes)

    def upscale_y(self, y: np.ndarray) -> np.ndarray:
        """Run the network on one plane on [0, 1]: (h, w) float -> (s h, s w) float32.

        Parameters
        ----------
        y : (h, w) ndarray
            A luma (or any single) plane on [0, 1].

        Returns
        -------
        (s h, s w) float32 ndarray
        """
        array = V.as_image(y, "y", ndims=(2,), dtypes=(np.float32, np.float64))
        return self._planes(np.asarray(array, dtype=np.float32)[None])[0]

    # -- the public numpy interface -----------------------------------------------------------
    def __call__(self, image, *, channel_axis=-1):
        """Upscale an image.

        Parameters
        ----------
        image : (M, N) or (M, N, C) ndarray
            uint8, uint16, float16, float32 or float64 (floats on [0, 1]).
        channel_axis : int or None, keyword-only
            Axis of the channels of a 3-D image (default -1); ignored for 2-D images.

        Returns
        -------
        sr : (s M, s N) or (s M, s N, C) ndarray
            Same dtype as ``image`` (float16 gives float32); see the class Notes.
        """
        array = V.as_image(image, "image")
        axis = V.check_channel_axis(channel_axis, array.ndim)
        dtype = array.dtype.newbyteorder("=")
        work = V.supported_float_type(dtype)
        out_dtype = dtype if dtype != np.float16 else np.dtype(np.float32)
        s = self.scale
        shape = list(array.shape)
        for ax in range(array.ndim):
            if ax != axis:
                shape[ax] *= s
        V.check_output_size(shape, out_dtype, "the upscaled image")

        peak = _INT_MAX.get(dtype, 1.0)
        data = array.astype(work) / work.type(peak) if dtype in _INT_MAX else array.astype(work)
        if axis is None:
            planes = data[None]
        else:
            planes = np.moveaxis(data, axis, 0)
        result = self._upscale_planes(planes, work)
        if axis is None:
            result = result[0]
        else:
            result = np.moveaxis(result, 0, axis)
        if dtype in _INT_MAX:
            scaled = result.astype(np.float64) * peak
            scaled = np.clip(V.round_half_away(scaled), 0.0, peak)
            return np.ascontiguousarray(scaled.astype(dtype))
        return np.ascontiguousarray(result.astype(out_dtype, copy=False))

    def _upscale_planes(self, planes: np.ndarray, work: np.dtype) -> np.ndarray:
        """(C, h, w) float -> (C, s h, s w) float (``work`` precision)."""
        from ..color import rgb_to_ycbcr, ycbcr_to_rgb
        from ..resize import resize

        c = planes.shape[0]
        if self.color == "rgb":
            if c == 1:
                sr = self._planes(np.repeat(planes, 3, axis=0).astype(np.float32))
                return sr.mean(axis=0, keepdims=True).astype(work)
            if c != 3:
                raise ValueError(f"this model works on RGB (color='rgb') and needs 3 channels, got {c}")
            return self._planes(planes.astype(np.float32)).astype(work)
        if c != 3:
            return np.stack([self._planes(p[None].astype(np.float32))[0] for p in planes]).astype(work)
        ycc = rgb_to_ycbcr(planes, channel_axis=0)
        y_sr = self._planes(ycc[:1].astype(np.float32))[0].astype(work)
        cbcr = resize(np.ascontiguousarray(ycc[1:]), (self.scale, self.scale), channel_axis=0)
        return ycbcr_to_rgb(np.concatenate([y_sr[None], cbcr.astype(work)], axis=0), channel_axis=0)
