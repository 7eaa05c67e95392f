"""Score SR methods on image folders the way the SR literature does.

:func:`evaluate` runs any number of methods (any ``lr -> sr`` callable with a name) over one or
more test sets at several scales and returns an :class:`EvaluationResult`: per-image rows
(CSV), a summary table (mean PSNR/SSIM per set, method and scale; Markdown), a list of
failures, and optionally the SR images and a zoomed-crop comparison figure.

The protocol (defaults)
-----------------------
1. HR image -> ``modcrop(HR, s)`` (top-left anchored).
2. LR image: the given file (``LR_bicubic/X{s}`` layout) or, on the fly, MATLAB bicubic
   ``imresize(HR_s, 1/s)`` with replicate boundary and per-pass uint8 rounding (identical to
   the benchmark files).
3. SR = method(LR) (each method gets its own copy of the LR image); a floating-point
   output is taken on the HR's value scale (0..255 for uint8) and quantised to the HR dtype
   (rounded half away from zero, saturated), as saving the SR image would.  An output on
   another scale is recorded as a failure rather than scored: integers outside the HR
   dtype's range, or floats no larger than 1.0 for an HR image whose maximum is 16 or more
   (the [0, 1] scale of ``skimage.img_as_float``).
4. Score the BT.601 luma (MATLAB ``rgb2ycbcr`` uint8 path, Y rounded) with ``s`` pixels
   shaved from every border: PSNR with peak 255, SSIM of Wang et al. (Gaussian 11x11,
   sigma 1.5).  Grayscale images are scored as they are.
"""

from __future__ import annotations

import csv
import inspect
import io as _io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["evaluate", "Method", "EvaluationResult", "resolve_methods", "comparison_figure",
           "METRICS", "BUILTIN_METHODS"]


def _metric_table():
    from . import metrics

    return {"psnr": metrics.psnr, "ssim": metrics.ssim, "ms_ssim": metrics.ms_ssim, "gmsd": metrics.gmsd}


#: Metric names accepted by ``metrics=``.
METRICS = ("psnr", "ssim", "ms_ssim", "gmsd")
#: Names that resolve to :func:`classicsr.resize` upscalers.
BUILTIN_METHODS = ("nearest", "bilinear", "bicubic", "lanczos2", "lanczos3", "box")


@dataclass(frozen=True)
class Method:
    """An SR method: a name and a callable ``fn(lr) -> sr`` or ``fn(lr, scale) -> sr``.

    ``fn`` receives the LR image as read (uint8/uint16; (h, w) or (h, w, 3)) and must return
    the SR image of shape ``(h * scale, w * scale[, 3])``.  It is called with the scale as a
    second argument when its signature accepts one (a second positional parameter, a
    ``scale`` keyword, or ``*args``); otherwise it is called with the LR image alone (and then
    it must know its scale, e.g. a model trained for x4).

    Examples
    --------
    >>> import numpy as np
    >>> m = Method("repeat", lambda lr, scale: np.repeat(np.repeat(lr, scale, 0), scale, 1))
    >>> m(np.zeros((2, 3), np.uint8), 2).shape
    (4, 6)
    """

    name: str
    fn: Callable

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise TypeError(f"a method's name must be a non-empty string, got {self.name!r}")
        if not callable(self.fn):
            raise TypeError(f"method {self.name!r}: fn must be callable (lr -> sr), got {type(self.fn).__name__}")

    def _scale_passing(self) -> str | None:
        """How ``fn`` takes the scale: ``"positional"``, ``"keyword"`` or None (not at all)."""
        try:
            params = list(inspect.signature(self.fn).parameters.values())
        except (TypeError, ValueError):  # builtins without a signature
            return None
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params):
            return "positional"
        if any(p.name == "scale" and p.kind == p.KEYWORD_ONLY for p in params):
            return "keyword"
        return None

    @property
    def takes_scale(self) -> bool:
        return self._scale_passing() is not None

    def __call__(self, lr, scale):
        passing = self._scale_passing()
        if passing == "positional":
            return self.fn(lr, scale)
        if passing == "keyword":
            return self.fn(lr, scale=scale)
        return self.fn(lr)


def _builtin(name: str) -> Method:
    def upscale(lr, scale):
        from .resize import resize

        return resize(lr, scale, method=name)

    upscale.__name__ = name
    return Method(name, upscale)


def resolve_methods(methods) -> list[Method]:
    """Normalise ``methods`` into a list of :class:`Method` with distinct names.

    Accepts a :class:`Method`, a built-in name (:data:`BUILTIN_METHODS`: ``classicsr.resize``
    upscaling with that kernel), a ``"module:function"`` string naming an importable callable,
    a callable (named by its ``__name__``), a ``(name, callable or string)`` pair, a dict
    ``{name: callable or string}``, or a list of any of these.
    """
    if isinstance(methods, (str, Method)) or callable(methods):
        items = [methods]
    elif isinstance(methods, dict):
        items = list(methods.items())
    elif isinstance(methods, tuple) and len(methods) == 2 and isinstance(methods[0], str) and callable(methods[1]):
        items = [methods]
    else:
        try:
            items = list(methods)
        except TypeError:
            raise TypeError(f"methods must be a name, a callable, a Method or a list of them, got "
                            f"{type(methods).__name__}") from None
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Method):
            out.append(item)
        elif isinstance(item, str):
            key = item.strip()
            if key.lower() in BUILTIN_METHODS:
                out.append(_builtin(key.lower()))
            elif ":" in key:
                out.append(Method(key.split(":", 1)[1], _import_callable(key)))
            else:
                raise ValueError(f"unknown method {item!r}: use one of {list(BUILTIN_METHODS)}, "
                                 f"'module:function', or pass a callable")
        elif isinstance(item, tuple) and len(item) == 2:
            fn = resolve_methods(item[1])[0].fn if isinstance(item[1], str) else item[1]
            out.append(Method(item[0], fn))
        elif callable(item):
            name = getattr(item, "__name__", None) or type(item).__name__
            out.append(Method(f"method{i + 1}" if name == "<lambda>" else name, item))
        else:
            raise TypeError(f"methods[{i}] must be a name, a callable, a (name, callable) pair or a "
                            f"Method, got {type(item).__name__}")
    if not out:
        raise ValueError("methods must name at least one method, got none")
    names = [m.name for m in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"method names must be distinct, got {dupes} more than once; pass (name, fn) pairs")
    return out


def _import_callable(spec: str):
    import importlib

    module_name, _, attr = spec.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"method {spec!r}: cannot import module {module_name!r}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"method {spec!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"method {spec!r} is not callable")
    return obj


def _check_value_scale(sr: np.ndarray, hr: np.ndarray) -> None:
    """Refuse SR outputs on another value scale than the HR's, which quantising would hide:
    integers outside the HR dtype's range (a uint16 output for a uint8 set would saturate),
    and floats on [0, 1] for an HR image on 0..255 (or 0..65535) that is not nearly black."""
    top = np.iinfo(hr.dtype).max
    if sr.size == 0:
        return
    if sr.dtype.kind in "ui":
        low, high = int(sr.min()), int(sr.max())
        if low < 0 or high > top:
            raise ValueError(f"returned {sr.dtype} values in [{low}, {high}], outside the HR "
                             f"dtype {hr.dtype}'s [0, {top}]; return the HR's value scale")
    elif sr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            high = float(np.nanmax(sr)) if not np.isnan(sr).all() else math.nan
        if high <= 1.0 and int(hr.max()) >= 16:
            raise ValueError(f"returned a float image with maximum {high:.4g}, which looks like "
                             f"the [0, 1] scale, for an HR image of dtype {hr.dtype} on [0, {top}] "
                             f"(maximum {int(hr.max())}); return values on the HR's scale "
                             f"(e.g. multiply by {top})")


def _quantise(sr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if sr.dtype == dtype:
        return sr
    top = float(np.iinfo(dtype).max)
    values = sr.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("the SR output contains NaN or infinite values")
    from . import _validate as V

    return np.clip(V.round_half_away(values), 0, top).astype(dtype)


@dataclass
class EvaluationResult:
    """What :func:`evaluate` returns.

    Attributes
    ----------
    records : list of dict
        One row per (set, image, scale, method): ``dataset, image, scale, method, lr``
        (``"file"`` or ``"on-the-fly"``), one column per metric, ``seconds`` (wall time of
        the method call; the first call of a Numba-based method includes its compilation,
        so the summary reports the median).
    failures : list of dict
        ``dataset, file, scale, method, error`` for every file or call that failed; those
        were skipped and the rest scored.
    metrics : tuple of str
        The metric columns.
    """

    records: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    metrics: tuple = ("psnr", "ssim")

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def __add__(self, other: "EvaluationResult") -> "EvaluationResult":
        return EvaluationResult(self.records + other.records, self.failures + other.failures,
                                tuple(dict.fromkeys(self.metrics + other.metrics)))

    def summary(self) -> list[dict]:
        """Mean of every metric per (dataset, method, scale), in first-seen order.

        Each row has ``dataset, method, scale, n`` (images scored), the metric means and
        ``seconds`` (median time per image).
        """
        groups: dict = {}
        for r in self.records:
            groups.setdefault((r["dataset"], r["method"], r["scale"]), []).append(r)
        rows = []
        for (ds, method, scale), rs in groups.items():
            row = {"dataset": ds, "method": method, "scale": scale, "n": len(rs)}
            for m in self.metrics:
                vals = [r[m] for r in rs if r.get(m) is not None and not math.isnan(r[m])]
                row[m] = float(np.mean(vals)) if vals else math.nan
            row["seconds"] = float(np.median([r["seconds"] for r in rs]))
            rows.append(row)
        return rows

    def mean(self, dataset: str, method: str, scale: int, metric: str = "psnr") -> float:
        """One summary number, e.g. ``result.mean("Set5", "bicubic", 4, "ssim")``."""
        for row in self.summary():
            if (row["dataset"], row["method"], row["scale"]) == (dataset, method, scale):
                return row[metric]
        raise KeyError(f"no results for dataset={dataset!r}, method={method!r}, scale={scale!r}")

    def to_csv(self, path=None) -> str:
        """The per-image rows as CSV text; also written to ``path`` when given."""
        columns = ["dataset", "image", "scale", "method", "lr", *self.metrics, "seconds"]
        buffer = _io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in self.records:
            row = dict(r)
            for m in self.metrics:
                v = row.get(m)
                row[m] = "" if v is None else (f"{v:.6f}" if math.isfinite(v) else str(v))
            row["seconds"] = f"{row['seconds']:.6f}"
            writer.writerow(row)
        text = buffer.getvalue()
        if path is not None:
            Path(path).write_text(text)
        return text

    def to_markdown(self, *, digits: int = 2, ssim_digits: int = 4) -> str:
        """The summary as a Markdown table: one row per (dataset, method), one column per
        scale and metric (PSNR with ``digits`` decimals, SSIM-like metrics with ``ssim_digits``)."""
        summary = self.summary()
        if not summary:
            return "(no results)\n"
        scales = sorted({r["scale"] for r in summary})
        header = ["set", "method"] + [f"x{s} {m.upper().replace('_', '-')}" for s in scales for m in self.metrics]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        keys = list(dict.fromkeys((r["dataset"], r["method"]) for r in summary))
        index = {(r["dataset"], r["method"], r["scale"]): r for r in summary}
        for ds, method in keys:
            cells = [ds, method]
            for s in scales:
                for m in self.metrics:
                    row = index.get((ds, method, s))
                    v = None if row is None else row[m]
                    if v is None or (isinstance(v, float) and math.isnan(v)):
                        cells.append("–")
                    else:
                        cells.append(f"{v:.{digits if m == 'psnr' else ssim_digits}f}")
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def _parse_sets(hr_dir, lr_dir):
    hr_dirs = [hr_dir] if isinstance(hr_dir, (str, Path)) else list(hr_dir)
    if not hr_dirs:
        raise ValueError("hr_dir must name at least one folder")
    if lr_dir is None or isinstance(lr_dir, (str, Path)):
        lr_dirs = [lr_dir] * len(hr_dirs)
    else:
        lr_dirs = list(lr_dir)
        if len(lr_dirs) != len(hr_dirs):
            raise ValueError(f"lr_dir must be one folder, 'auto', or one per hr_dir ({len(hr_dirs)}), "
                             f"got {len(lr_dirs)}")
    out = []
    for h, l in zip(hr_dirs, lr_dirs):
        if isinstance(l, str) and l == "auto":
            guess = Path(h).resolve().parent / "LR_bicubic"
            if not guess.is_dir():
                raise ValueError(f"lr_dir='auto': {guess} (next to {h}) does not exist")
            l = guess
        out.append((Path(h), None if l is None else Path(l)))
    return out


def evaluate(methods, hr_dir, scales=(2, 3, 4), *, lr_dir=None, kernel: str = "bicubic",
             boundary: str = "replicate", sigma=None, y_channel: bool = True, crop_border=None,
             metrics=("psnr", "ssim"), quantize: bool = True, save_images=None, overwrite: bool = False,
             figure=None, figure_image=None, figure_scale=None, progress: bool = False) -> EvaluationResult:
    """Score SR methods on one or more folders of HR images.

    Parameters
    ----------
    methods : str, callable, Method, (name, callable), dict or list of these
        See :func:`resolve_methods`.  Built-in names (``"bicubic"``, ``"lanczos3"``, ...)
        upscale with :func:`classicsr.resize`.
    hr_dir : path or list of paths
        Folder(s) of HR images (one test set each), named by
        :func:`classicsr.datasets.dataset_name`; a name already taken gets a suffix
        (``T``, ``T-2``).
    scales : int or sequence of int
        Integer scale factors (default 2, 3, 4).
    lr_dir : path, ``"auto"``, list of those, or None, keyword-only
        Given LR files (``LR_bicubic`` with ``X{s}`` sub-folders); ``"auto"`` uses the
        ``LR_bicubic`` folder next to each ``hr_dir``; None (default) makes LR on the fly.
    kernel, boundary, sigma : keyword-only
        On-the-fly degradation (:func:`classicsr.degrade.downsample`); default MATLAB bicubic
        with replicate boundary, which reproduces the benchmark files.  ``sigma`` is the PSF
        width for ``kernel="gaussian"`` (blur + decimation).
    y_channel : bool, keyword-only
        Score the BT.601 luma (default True, the SR protocol) or all channels.
    crop_border : int or None, keyword-only
        Pixels shaved from every border; None (default) shaves ``scale``.
    metrics : sequence of str, keyword-only
        Any of :data:`METRICS` (default PSNR and SSIM).
    quantize : bool, keyword-only
        Convert SR outputs to the HR dtype before scoring (default True, see the module notes).
        With False, HR and SR are scored as floats on [0, 1] (the HR's scale divided by its
        dtype's maximum) and the luma is not rounded.
    save_images : path or None, keyword-only
        Write every SR image (quantised) to ``save_images/<set>/<method>/x<s>/<image>.png``.
    overwrite : bool, keyword-only
        Allow replacing existing files under ``save_images`` and ``figure``.
    figure : path or None, keyword-only
        Save a zoomed-crop comparison figure (:func:`comparison_figure`) of one image.
    figure_image, figure_scale : keyword-only
        Which image (file stem; default the first of the first set) and scale (default the
        largest) the figure shows.
    progress : bool, keyword-only
        Show a tqdm progress bar over images on stderr.

    Returns
    -------
    EvaluationResult
        Per-image records, failures, summary and export helpers.  Unreadable or truncated
        files, missing or mis-sized LR files and methods that raise or return a wrong shape
        are recorded in ``failures`` (naming the file) and skipped; the rest is scored.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from classicsr.io import write_image
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> _ = write_image(d / "a.png", rng.integers(0, 256, (48, 48, 3), dtype=np.uint8))
    >>> res = evaluate(["nearest", "bicubic"], d, scales=[2])
    >>> [row["method"] for row in res.summary()]
    ['nearest', 'bicubic']
    >>> res.ok, res.records[0]["psnr"] > 0
    (True, True)
    """
    from . import _validate as V
    from .datasets import DatasetError, SRDataset

    method_list = resolve_methods(methods)
    scale_list = [scales] if not isinstance(scales, (list, tuple, range, np.ndarray)) else list(scales)
    scale_list = [V.check_int("scales", s, minimum=1) for s in scale_list]
    if not scale_list:
        raise ValueError("scales must contain at least one integer scale, got none")
    scale_list = list(dict.fromkeys(scale_list))
    table = _metric_table()
    metric_names = [metrics] if isinstance(metrics, str) else list(metrics)
    metric_names = list(dict.fromkeys(V.check_choice("metrics", m, METRICS) for m in metric_names))
    if not metric_names:
        raise ValueError(f"metrics must name at least one of {list(METRICS)}")
    y_channel = V.check_bool("y_channel", y_channel)
    quantize = V.check_bool("quantize", quantize)
    if crop_border is not None:
        crop_border = V.check_int("crop_border", crop_border, minimum=0)
    from .degrade import DOWNSAMPLE_KERNELS
    from .resize import BOUNDARIES

    kernel = V.check_choice("kernel", kernel, DOWNSAMPLE_KERNELS)  # fail before any work
    boundary = V.check_choice("boundary", boundary, BOUNDARIES)
    if (kernel == "gaussian") != (sigma is not None):
        raise ValueError("sigma must be given with kernel='gaussian' and only then, got "
                         f"kernel={kernel!r}, sigma={sigma!r}")
    datasets = [SRDataset(h, l, kernel=kernel, boundary=boundary, sigma=sigma)
                for h, l in _parse_sets(hr_dir, lr_dir)]
    used: set = set()
    for ds in datasets:  # two sets named alike (x/T/HR, y/T/HR) must not merge: "T", "T-2"
        base, k = ds.name, 1
        while ds.name in used:
            k += 1
            ds.name = f"{base}-{k}"
        used.add(ds.name)
    save_root = None if save_images is None else Path(save_images)
    if figure is not None:
        figure = Path(figure)
        if figure.exists() and not overwrite:
            raise FileExistsError(f"{figure} exists; pass overwrite=True (--overwrite) to replace it")
        fig_scale = max(scale_list) if figure_scale is None else V.check_int("figure_scale", figure_scale, minimum=1)
        fig_image = datasets[0].names[0] if figure_image is None else str(figure_image)
        if fig_scale not in scale_list:
            raise ValueError(f"figure_scale={fig_scale} is not among scales {scale_list}")
        if not any(fig_image in ds.names for ds in datasets):
            raise ValueError(f"figure_image={fig_image!r} is not an image stem of the test set(s)")
    kept = {}

    result = EvaluationResult(metrics=tuple(metric_names))
    for ds in datasets:
        iterator = range(len(ds))
        if progress:
            import sys

            from tqdm import tqdm

            iterator = tqdm(iterator, desc=f"evaluate {ds.name}", unit="img", file=sys.stderr, leave=False)
        for i in iterator:
            path = ds.hr_paths[i]
            try:
                full = ds.load_hr(i)
            except DatasetError as exc:
                result.failures.append({"dataset": ds.name, "file": str(path), "scale": "", "method": "",
                                        "error": str(exc)})
                continue
            for s in scale_list:
                try:
                    pair = ds.pair(i, s, hr=full)
                except DatasetError as exc:
                    result.failures.append({"dataset": ds.name, "file": str(path), "scale": s, "method": "",
                                            "error": str(exc)})
                    continue
                crop = s if crop_border is None else crop_border
                want_fig = figure is not None and pair.name == fig_image and s == fig_scale and fig_image not in kept
                outputs = {}
                for method in method_list:
                    try:
                        lr = pair.lr.copy()  # a method that writes into its input spoils no other
                        start = time.perf_counter()
                        sr = np.asarray(method(lr, s))
                        seconds = time.perf_counter() - start
                        if sr.shape != pair.hr.shape:
                            raise ValueError(f"returned shape {sr.shape}, expected {pair.hr.shape} "
                                             f"(LR {pair.lr.shape} x{s})")
                        if sr.dtype.kind not in "uif":
                            raise TypeError(f"returned dtype {sr.dtype}, expected a numeric image")
                        _check_value_scale(sr, pair.hr)
                        sr_q = _quantise(sr, pair.hr.dtype)
                        scores = _score(pair.hr, sr_q if quantize else sr, crop, y_channel,
                                        metric_names, table, quantize)
                    except Exception as exc:  # a user method may raise anything: report, go on
                        result.failures.append({"dataset": ds.name, "file": str(path), "scale": s,
                                                "method": method.name, "error": f"{type(exc).__name__}: {exc}"})
                        continue
                    record = {"dataset": ds.name, "image": pair.name, "scale": s, "method": method.name,
                              "lr": "file" if pair.lr_path is not None else "on-the-fly", **scores,
                              "seconds": seconds}
                    result.records.append(record)
                    if save_root is not None:
                        _save(save_root / ds.name / method.name / f"x{s}" / f"{pair.name}.png", sr_q,
                              overwrite, result, ds.name, path, s, method.name)
                    if want_fig:
                        outputs[method.name] = (sr_q, scores)
                if want_fig:
                    kept[fig_image] = (pair, outputs, crop)
    if figure is not None and (fig_image not in kept or not kept[fig_image][1]):
        result.failures.append({"dataset": datasets[0].name, "file": fig_image, "scale": fig_scale, "method": "",
                                "error": f"figure {figure} not made: no method was scored on this image"})
    elif figure is not None:
        pair, outputs, crop = kept[fig_image]
        fig = comparison_figure(pair.hr, {k: v[0] for k, v in outputs.items()},
                                scores={k: v[1] for k, v in outputs.items()},
                                title=f"{pair.name} x{pair.scale}")
        _save_figure(fig, figure, overwrite)
    return result


def _score(hr, sr, crop, y_channel, names, table, quantize):
    if quantize:
        return {m: float(table[m](hr, sr, crop_border=crop, y_channel=y_channel)) for m in names}
    top = float(np.iinfo(hr.dtype).max)
    ref = hr.astype(np.float64) / top
    test = sr.astype(np.float64) / top
    return {m: float(table[m](ref, test, data_range=1.0, crop_border=crop, y_channel=y_channel)) for m in names}


def _save(path: Path, image, overwrite, result, dataset, src, scale, method):
    from .io import write_image

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_image(path, image, overwrite=overwrite)
    except (OSError, ValueError, TypeError) as exc:
        result.failures.append({"dataset": dataset, "file": str(src), "scale": scale, "method": method,
                                "error": f"cannot save {path}: {exc}"})


def _save_figure(fig, path: Path, overwrite: bool) -> None:
    """Render ``fig`` to memory, then write it with :func:`classicsr.io.write_bytes` (atomic,
    fsynced, never replacing an existing file without ``overwrite``)."""
    import io as _io

    from .io import write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    buf = _io.BytesIO()
    fmt = path.suffix.lstrip(".").lower() or "png"
    fig.savefig(buf, format=fmt, dpi=fig.dpi, bbox_inches="tight")
    write_bytes(path, buf.getvalue(), overwrite=overwrite)


def _auto_box(hr: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` x ``size`` window with the most gradient energy."""
    from scipy import ndimage

    from .color import rgb_to_y

    y = (rgb_to_y(hr) if hr.ndim == 3 else hr).astype(np.float64)
    gy, gx = np.gradient(y)
    energy = ndimage.uniform_filter(gx * gx + gy * gy, size=size, mode="constant")
    h, w = y.shape
    half = size // 2
    valid = energy[half:h - size + half + 1, half:w - size + half + 1]
    r, c = np.unravel_index(int(np.argmax(valid)), valid.shape)
    return int(r), int(c)


def comparison_figure(hr, outputs: dict, *, box=None, scores=None, title=None, columns: int = 4,
                      panel_inches: float = 2.2):
    """A side-by-side zoomed-crop figure like the SR papers': the HR image with the crop box,
    then the same crop of the HR and of every method's output.

    Parameters
    ----------
    hr : (H, W) or (H, W, 3) ndarray of uint8/uint16
        The (mod-cropped) HR reference.
    outputs : dict
        ``{method name: SR image}``, each of ``hr``'s shape.
    box : (row, col, size) or None, keyword-only
        The square crop; default: the ``min(H, W) // 4`` window with the most gradient energy.
    scores : dict or None, keyword-only
        ``{method name: {"psnr": .., "ssim": ..}}`` printed under each crop.
    title : str, keyword-only
    columns : int, keyword-only
        Crops per row.
    panel_inches : float, keyword-only
        Size of one crop panel.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no global state, no display needed); save it with
        ``fig.savefig(path)``.

    Examples
    --------
    >>> import numpy as np
    >>> hr = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> fig = comparison_figure(hr, {"same": hr}, box=(8, 8, 16))
    >>> len(fig.axes)
    3
    """
    import operator

    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    hr = np.asarray(hr)
    h, w = hr.shape[:2]
    if box is None:
        size = max(8, min(h, w) // 4)
        r, c = _auto_box(hr, size)
    else:
        try:
            r, c, size = (operator.index(v) for v in box)
        except (TypeError, ValueError):
            raise TypeError(f"box must be three integers (row, col, size) or None, got {box!r}") from None
    if not (0 <= r and 0 <= c and size >= 1 and r + size <= h and c + size <= w):
        raise ValueError(f"box {(r, c, size)} does not fit in the image of size {h}x{w}")
    for name, img in outputs.items():
        if np.shape(img) != hr.shape:
            raise ValueError(f"output {name!r} has shape {np.shape(img)}, expected {hr.shape}")
    panels = [("HR", hr, None)] + [(n, np.asarray(o), (scores or {}).get(n)) for n, o in outputs.items()]
    cols = max(1, min(int(columns), len(panels)))
    rows = -(-len(panels) // cols)
    full_w = panel_inches * rows * w / h
    fig = Figure(figsize=(full_w + panel_inches * cols, panel_inches * rows + 0.5), dpi=100)
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=[full_w] + [panel_inches] * cols)
    vmax = float(np.iinfo(hr.dtype).max) if hr.dtype.kind == "u" else 1.0

    def show(ax, img):
        img = img.astype(np.float64) / vmax
        ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])

    ax0 = fig.add_subplot(grid[:, 0])
    show(ax0, hr)
    ax0.add_patch(Rectangle((c - 0.5, r - 0.5), size, size, fill=False, edgecolor="red", linewidth=1.5))
    if title:
        ax0.set_title(title, fontsize=9)
    for k, (name, img, sc) in enumerate(panels):
        ax = fig.add_subplot(grid[k // cols, 1 + k % cols])
        show(ax, img[r:r + size, c:c + size])
        label = name
        if sc:
            parts = [f"{sc['psnr']:.2f} dB" if "psnr" in sc else None,
                     f"{sc['ssim']:.4f}" if "ssim" in sc else None]
            label += "\n" + " / ".join(p for p in parts if p)
        ax.set_xlabel(label, fontsize=8)
    return fig
