"""Training SR networks on an image folder with the benchmark degradation.

Pairs are made exactly as the evaluation protocol makes them: ``hr = modcrop(image, s)``,
``lr = classicsr.resize(hr, 1/s, boundary="replicate")`` (MATLAB's bicubic, bit-exact, uint8
after each pass), optionally after shrinking the HR image by the scale augmentation factors
of FSRCNN (1, 0.9, 0.8, 0.7, 0.6).  Y-only networks are trained on the BT.601 luma in [0, 1].
Random LR patches get a random dihedral transform; Adam with a cosine learning rate; the
checkpoint stores the model, the optimiser, the RNG states, the history and the best
validation weights, so training resumes exactly where it stopped.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .._validate import check_choice, check_int, check_positive_number, round_half_away
from ._device import check_device

__all__ = ["train", "TrainResult", "prepare_pairs", "export_weights", "validate_psnr", "cli_train",
           "T91_HOLDOUT"]

#: The fixed validation split of T91 (9 of its 91 images; T91 names its files t1-t66 and
#: tt1-tt27, with t41 and tt11 absent).  With ``holdout=T91_HOLDOUT`` these files are left out
#: of training and validation runs on them, so the benchmark test sets (Set5, Set14, BSD100)
#: never select weights.
T91_HOLDOUT = ("t10.png", "t20.png", "t30.png", "t40.png", "t50.png", "t60.png",
               "tt5.png", "tt15.png", "tt25.png")


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The model with its last-step weights (the best validation weights stay in the checkpoint).
    step : int
        Steps done in total (including those of earlier, resumed runs).
    history : list of dict
        ``{"step", "loss", "val_psnr", "seconds"}`` per log interval.
    best_val_psnr : float or None
    seconds : float
        Wall time of this run.
    checkpoint : Path or None
    """

    model: torch.nn.Module
    step: int
    history: list = field(default_factory=list)
    best_val_psnr: float | None = None
    seconds: float = 0.0
    checkpoint: Path | None = None


def _y_float(image: np.ndarray) -> np.ndarray:
    """Luma on [0, 1] (float32) of a uint8 RGB or grayscale image, unrounded."""
    from ..color import rgb_to_y

    if image.ndim == 2:
        return image.astype(np.float32) / 255.0
    return rgb_to_y(image.astype(np.float32) / 255.0).astype(np.float32)


def _rgb_float(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return np.ascontiguousarray(np.moveaxis(image.astype(np.float32) / 255.0, -1, 0))


def prepare_pairs(folder, scale: int, *, color: str = "y", pre_upsample: bool = False,
                  scale_augment=(1.0,), boundary: str = "replicate", exclude=()):
    """Load every image of ``folder`` and make (LR input, HR target) float32 planes.

    Parameters
    ----------
    folder : str or Path
        A folder of images (uint8 RGB or grayscale).
    scale : int
    color : {"y", "rgb"}, keyword-only
    pre_upsample : bool, keyword-only
        Also upscale the LR image bicubically (SRCNN's input).
    scale_augment : sequence of float, keyword-only
        HR shrink factors; each makes one more pair per image (bicubic ``classicsr.resize``).
    boundary : str, keyword-only
        Boundary rule of the degradation (``"replicate"``: the benchmark LR files).
    exclude : sequence of str, keyword-only
        File names (e.g. :data:`T91_HOLDOUT`) to leave out: the held-out validation images.

    Returns
    -------
    list of (lr, hr) tuples
        ``lr`` : (C, h, w) float32 on [0, 1] (or (C, s h, s w) with ``pre_upsample``),
        ``hr`` : (C, s h, s w) float32, C = 1 for ``"y"`` and 3 for ``"rgb"``.
    """
    from ..datasets import list_images, load_image
    from ..degrade import make_lr
    from ..resize import resize

    s = check_int("scale", scale, minimum=1)
    color = check_choice("color", color, ("y", "rgb"))
    if isinstance(exclude, str):
        raise TypeError("exclude must be a sequence of file names, not a single string")
    exclude = set(exclude)
    pairs = []
    for path in list_images(folder):
        if Path(path).name in exclude:
            continue
        image = load_image(path)
        if image.dtype != np.uint8:
            raise ValueError(f"{path}: training images must be 8-bit, got {image.dtype}")
        if image.ndim == 3 and image.shape[-1] == 4:
            image = image[..., :3]
        for factor in scale_augment:
            hr = image if factor == 1 else resize(image, float(factor), boundary="symmetric")
            if min(hr.shape[:2]) < 4 * s:
                continue
            hr, lr = make_lr(hr, s, boundary=boundary)
            if pre_upsample:
                lr = resize(lr, s, boundary="symmetric")
            if color == "y":
                pairs.append((_y_float(lr)[None], _y_float(hr)[None]))
            else:
                pairs.append((_rgb_float(lr), _rgb_float(hr)))
    if not pairs:
        raise ValueError(f"folder {str(folder)!r} gave no training pairs (images smaller than {4 * s} px?)")
    return pairs


class _PatchSampler:
    """Random aligned LR/HR patches with random dihedral transforms."""

    def __init__(self, pairs, scale, patch, pre_upsample, rng):
        self.scale, self.patch, self.pre, self.rng = scale, patch, pre_upsample, rng
        self.pairs = [(lr, hr) for lr, hr in pairs if hr.shape[1] // scale >= patch and hr.shape[2] // scale >= patch]
        if not self.pairs:
            raise ValueError(f"no training image is at least patch_size={patch} LR pixels on each side")
        sizes = np.array([(hr.shape[1] // scale - patch + 1) * (hr.shape[2] // scale - patch + 1)
                          for _, hr in self.pairs], dtype=np.float64)
        self.p = sizes / sizes.sum()

    def batch(self, n):
        from ..degrade import dihedral

        s, p = self.scale, self.patch
        idx = self.rng.choice(len(self.pairs), size=n, p=self.p)
        ks = self.rng.integers(0, 8, size=n)
        xs, ys = [], []
        for i, k in zip(idx, ks):
            lr, hr = self.pairs[i]
            h, w = hr.shape[1] // s, hr.shape[2] // s
            r = int(self.rng.integers(0, h - p + 1))
            c = int(self.rng.integers(0, w - p + 1))
            y = hr[:, s * r:s * (r + p), s * c:s * (c + p)]
            x = lr[:, s * r:s * (r + p), s * c:s * (c + p)] if self.pre else lr[:, r:r + p, c:c + p]
            xs.append(np.ascontiguousarray(dihedral(x, int(k), channel_axis=0)))
            ys.append(np.ascontiguousarray(dihedral(y, int(k), channel_axis=0)))
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def validate_psnr(model, hr_folder, scale: int, *, max_images: int | None = None, device=None) -> float:
    """Mean Y PSNR (shave = scale) of ``model`` on the images of ``hr_folder``.

    ``hr_folder`` is a folder of HR images or a sequence of HR image paths (e.g. the held-out
    T91 images of :data:`T91_HOLDOUT`).  ``device`` (default: where the model's parameters
    are) is where the model runs; the model is left on that device.

    LR images are made with the benchmark degradation; Y-only models are scored on their luma
    output rounded to 8 bits (the value the protocol computes from an 8-bit RGB result, up to
    the rounding of the RGB round trip); RGB models through :class:`TorchUpscaler`.
    """
    from ..color import rgb_to_y
    from ..datasets import list_images, load_image
    from ..degrade import make_lr
    from ..metrics import psnr
    from .adapter import TorchUpscaler

    s = check_int("scale", scale, minimum=1)
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    up = TorchUpscaler(model, s, device=device)
    scores = []
    if isinstance(hr_folder, (str, Path)):
        paths = list_images(hr_folder)
    else:
        paths = [Path(p) for p in hr_folder]
    if not paths:
        raise ValueError(f"hr_folder {hr_folder!r} holds no images to validate on")
    for path in paths[:max_images]:
        hr, lr = make_lr(load_image(path), s)
        if getattr(model, "color", "y") == "y":
            y = up.upscale_y(_y_float(lr))
            sr = np.clip(round_half_away(y * 255.0), 0, 255).astype(np.uint8)
            ref = rgb_to_y(hr) if hr.ndim == 3 else hr
        else:
            sr, ref = up(lr), hr
        scores.append(psnr(ref, sr, crop_border=s, y_channel=ref.ndim == 3))
    return float(np.mean(scores))


def export_weights(checkpoint, path, *, which: str = "last") -> Path:
    """Write the model weights of a training checkpoint as a small plain state dict.

    Parameters
    ----------
    checkpoint : str or Path
        A file written by :func:`train`.
    path : str or Path
        Output ``.pt`` file (float32 tensors, loadable with ``torch.load(weights_only=True)``).
    which : {"last", "best"}, keyword-only
        The weights of the last step (default: no selection at all) or the best validation
        weights (falls back to the last when no validation ran).  Shipped weights are always
        the last step's.
    """
    which = check_choice("which", which, ("best", "last"))
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=True)
    state = ckpt.get("best_model") if which == "best" and ckpt.get("best_model") else ckpt["model"]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().clone().float() for k, v in state.items()}, path)
    return path


def _loss_fn(loss):
    if callable(loss):
        return loss
    name = check_choice("loss", loss, ("l1", "mse"))
    return torch.nn.L1Loss() if name == "l1" else torch.nn.MSELoss()


def _to_cpu(obj):
    """A copy of a (nested) state dict with every tensor on the CPU."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu")
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def _save(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def train(model="espcn", scale: int = 3, data=None, *, checkpoint=None, steps: int = 100_000,
          batch_size: int = 32, patch_size: int = 24, lr: float = 1e-3, lr_min: float = 1e-5,
          schedule_start: int = 0, loss="mse", perceptual=None, perceptual_weight: float = 1.0,
          gan=None, gan_weight: float = 1e-3,
          seed: int = 0, resume: bool = True, scale_augment=(1.0, 0.9, 0.8, 0.7, 0.6),
          val_dir=None, holdout=None, val_every: int = 1000, checkpoint_every: int = 500,
          log_every: int = 100,
          time_limit: float | None = None, num_threads: int | None = None, progress: bool = True,
          log=None, model_kwargs=None, device="cpu") -> TrainResult:
    """Train an SR network on patches of an image folder.

    Parameters
    ----------
    model : str or torch.nn.Module
        An architecture name of :data:`classicsr.nn.models.MODELS` (``"espcn"``, ``"fsrcnn"``,
        ``"srcnn"``, ``"edsr"``, ``"rrdbnet"``) or a module with ``scale``, ``color``,
        ``data_range`` and ``pre_upsample`` attributes.
    scale : int
    data : str or Path
        Folder of HR training images (e.g. ``T91``).
    checkpoint : str or Path, keyword-only
        Checkpoint file, written every ``checkpoint_every`` steps and at the end; with
        ``resume`` an existing one is continued (same model and seed).
    steps : int, keyword-only
        Total number of steps (the cosine schedule runs from ``lr`` to ``lr_min`` over them).
    batch_size, patch_size : int, keyword-only
        Patches per step and LR patch side.
    lr, lr_min : float, keyword-only
        Peak and final learning rate of the cosine schedule.
    schedule_start : int, keyword-only
        Step at which the cosine schedule starts (default 0).  To extend a finished run with
        a new schedule (a warm restart), resume its checkpoint with ``steps`` larger than its
        step and ``schedule_start`` equal to it: the learning rate goes from ``lr`` at
        ``schedule_start`` to ``lr_min`` at ``steps``.
    loss : {"mse", "l1"} or callable, keyword-only
        Pixel loss ``loss(sr, hr) -> scalar tensor``.  MSE (the default) is what PSNR
        measures; with these small networks it also converged much faster than L1 here
        (docs/neural.md).
    perceptual : callable, optional, keyword-only
        Extra loss ``perceptual(sr, hr) -> scalar`` (e.g. a VGG/LPIPS feature loss the user
        builds from their own backbone; none is downloaded), weighted by ``perceptual_weight``.
    gan : object, optional, keyword-only
        Adversarial hook with ``generator_loss(sr) -> scalar`` (added with ``gan_weight``) and
        ``discriminator_step(sr_detached, hr) -> float`` (its own optimiser step).
    seed : int, keyword-only
        Seeds torch and the patch sampler (and is checked on resume).
    scale_augment : sequence of float, keyword-only
        HR shrink factors for data augmentation (FSRCNN's 1, 0.9, 0.8, 0.7, 0.6).
    val_dir : str or Path, optional, keyword-only
        HR folder for validation.  Do not pass a benchmark test set: choosing weights on it
        leaks the test set into the model.  The best validated weights are kept in the
        checkpoint next to the last ones.
    holdout : sequence of str, optional, keyword-only
        File names of ``data`` (e.g. :data:`T91_HOLDOUT`) left out of training; without
        ``val_dir``, validation runs on them (a held-out split of the training folder).
    val_every, checkpoint_every, log_every : int, keyword-only
    time_limit : float, optional, keyword-only
        Stop (and checkpoint) after this many seconds; resume later with the same call.
    num_threads : int, optional, keyword-only
        ``torch.set_num_threads`` for this run.
    progress : bool, keyword-only
        A tqdm bar on stderr (when stderr is a terminal).
    log : callable, optional, keyword-only
        ``log(str)`` receives one line per ``log_every`` steps (e.g. ``print``).
    model_kwargs : dict, optional, keyword-only
        Constructor options when ``model`` is a name.
    device : str or torch.device, keyword-only
        Where the network trains (``"cpu"``, the default, or e.g. ``"cuda"``).  Patches are
        drawn on the CPU either way, and checkpoints hold CPU tensors, so a run may be resumed
        on another device (it then continues the same schedule, not bit-identically).

    Returns
    -------
    TrainResult

    Notes
    -----
    Each step draws ``batch_size`` LR patches (images picked in proportion to their area, a
    random dihedral transform each), computes
    :math:`L = \\ell(f(x), y) + \\lambda_p P(f(x), y) + \\lambda_g G(f(x))` and takes one Adam
    step with learning rate
    :math:`\\eta_t = \\eta_{min} + (\\eta - \\eta_{min})(1 + \\cos(\\pi (t - t_0) / (T - t_0))) / 2`,
    :math:`t_0` = ``schedule_start``.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    .. [2] C. Dong, C. C. Loy and X. Tang, "Accelerating the super-resolution convolutional
           neural network", ECCV 2016 (scale augmentation, T91).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from classicsr.io import write_image
    >>> from classicsr.nn import train
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = write_image(folder / "a.png", (np.random.default_rng(0).random((48, 48, 3)) * 255).astype(np.uint8))
    >>> result = train("espcn", 2, folder, steps=3, batch_size=2, patch_size=8, progress=False)
    >>> result.step
    3
    """
    from .models import build_model

    if data is None:
        raise ValueError("data must be a folder of training images, got None")
    if not Path(data).is_dir():
        raise ValueError(f"data must be a folder of training images, got {str(data)!r} (not a folder)")
    s = check_int("scale", scale, minimum=1)
    if isinstance(holdout, str):
        raise TypeError("holdout must be a sequence of file names (e.g. T91_HOLDOUT), "
                        "not a single string")
    holdout = tuple(sorted(holdout or ()))
    if holdout:
        missing = [n for n in holdout if not (Path(data) / n).is_file()]
        if missing:
            raise ValueError(f"holdout names files that are not in {str(data)!r}: {missing}")
        if val_dir is None:
            val_dir = [Path(data) / n for n in holdout]
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    patch_size = check_int("patch_size", patch_size, minimum=2)
    lr = check_positive_number("lr", lr)
    lr_min = check_positive_number("lr_min", lr_min, allow_zero=True)
    schedule_start = check_int("schedule_start", schedule_start, minimum=0)
    if schedule_start >= steps:
        raise ValueError(f"schedule_start must be smaller than steps={steps}, got {schedule_start}")
    seed = check_int("seed", seed, minimum=0)
    dev = check_device(device)
    if num_threads is not None:
        torch.set_num_threads(check_int("num_threads", num_threads, minimum=1))
    criterion = _loss_fn(loss)
    if perceptual is not None and not callable(perceptual):
        raise TypeError(f"perceptual must be callable (sr, hr) -> scalar, got {type(perceptual).__name__}")
    if gan is not None and not (hasattr(gan, "generator_loss") and hasattr(gan, "discriminator_step")):
        raise TypeError("gan must have generator_loss(sr) and discriminator_step(sr, hr) methods")

    torch.manual_seed(seed)
    if isinstance(model, str):
        name = model.lower()
        net = build_model(model, s, **(model_kwargs or {}))
    elif isinstance(model, torch.nn.Module):
        name = type(model).__name__.lower()
        net = model
    else:
        raise TypeError(f"model must be an architecture name or a torch.nn.Module, got {type(model).__name__}")
    if getattr(net, "scale", s) != s:
        raise ValueError(f"model has scale {net.scale} but scale={s} was asked for")
    color = getattr(net, "color", "y")
    pre = bool(getattr(net, "pre_upsample", False))
    data_range = float(getattr(net, "data_range", 1.0))
    net.to(dev)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
    rng = np.random.default_rng(seed)

    config = {"model": name, "scale": s, "seed": seed, "batch_size": batch_size, "patch_size": patch_size,
              "loss": loss if isinstance(loss, str) else "custom",
              "model_kwargs": dict(model_kwargs or {}), "holdout": list(holdout)}
    step, history, best, best_state, elapsed_before = 0, [], None, None, 0.0
    ckpt_path = Path(checkpoint) if checkpoint is not None else None
    if ckpt_path is not None and resume and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        if (ckpt["config"]["model"] != name or ckpt["config"]["scale"] != s
                or ckpt["config"].get("model_kwargs", {}) != config["model_kwargs"]):
            raise ValueError(f"checkpoint {ckpt_path} is for {ckpt['config']['model']} x{ckpt['config']['scale']} "
                             f"{ckpt['config'].get('model_kwargs', {})}, not {name} x{s} {config['model_kwargs']}; "
                             f"pass another checkpoint path or resume=False")
        if list(ckpt["config"].get("holdout", [])) != config["holdout"]:
            raise ValueError(f"checkpoint {ckpt_path} was trained with "
                             f"holdout={ckpt['config'].get('holdout', [])}, not {config['holdout']}; "
                             f"pass the same holdout or resume=False")
        net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, history = int(ckpt["step"]), list(ckpt["history"])
        best, best_state = ckpt.get("best_val_psnr"), ckpt.get("best_model")
        elapsed_before = float(ckpt.get("elapsed", history[-1]["seconds"] if history else 0.0))
        rng.bit_generator.state = ckpt["numpy_rng"]
        torch.set_rng_state(ckpt["torch_rng"])

    pairs = prepare_pairs(data, s, color=color, pre_upsample=pre,
                          scale_augment=tuple(scale_augment), exclude=holdout)
    sampler = _PatchSampler(pairs, s, patch_size, pre, rng)

    def save():
        if ckpt_path is None:
            return
        ckpt_path.parent.mkdir(parents=True, exist_ok=True)
        _save(ckpt_path, {"config": config, "model": _to_cpu(net.state_dict()),
                          "optimizer": _to_cpu(opt.state_dict()),
                          "step": step, "history": history, "best_val_psnr": best, "best_model": best_state,
                          "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                          "elapsed": elapsed_before + time.perf_counter() - start})

    start = time.perf_counter()
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=steps, initial=step, desc=f"train {name} x{s}", file=sys.stderr)
    running, count = 0.0, 0
    net.train()
    while step < steps:
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
        rate = lr_min + (lr - lr_min) * 0.5 * (1 + math.cos(math.pi * max(step - schedule_start, 0)
                                                             / (steps - schedule_start)))
        for group in opt.param_groups:
            group["lr"] = rate
        x, y = sampler.batch(batch_size)
        if dev.type != "cpu":
            x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
        if data_range != 1.0:
            x, y = x * data_range, y * data_range
        sr = net(x)
        total = criterion(sr, y)
        if perceptual is not None:
            total = total + perceptual_weight * perceptual(sr, y)
        if gan is not None:
            total = total + gan_weight * gan.generator_loss(sr)
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        if gan is not None:
            gan.discriminator_step(sr.detach(), y)
        step += 1
        running += float(total.detach())
        count += 1
        if bar is not None:
            bar.update(1)
        val = None
        if val_dir is not None and (step % val_every == 0 or step == steps):
            net.eval()
            with torch.no_grad():
                val = validate_psnr(net, val_dir, s)
            net.train()
            if best is None or val > best:
                best = val
                best_state = {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}
        if step % log_every == 0 or val is not None or step == steps:
            entry = {"step": step, "loss": running / max(count, 1), "val_psnr": val,
                     "seconds": round(time.perf_counter() - start, 1)}
            history.append(entry)
            running, count = 0.0, 0
            if log is not None:
                log(f"step {step} loss {entry['loss']:.5f} lr {rate:.2e}"
                    + (f" val {val:.3f} best {best:.3f}" if val is not None else "")
                    + f" t {entry['seconds']}s")
        if step % checkpoint_every == 0:
            save()
    save()
    if bar is not None:
        bar.close()
    net.eval()
    return TrainResult(model=net, step=step, history=history, best_val_psnr=best,
                       seconds=time.perf_counter() - start, checkpoint=ckpt_path)


def cli_train(args) -> int:
    """The neural trainer of ``classicsr train --method espcn|fsrcnn|srcnn`` (exit code).

    Reads ``args.method``, ``args.data``, ``args.scale`` (list), ``args.output`` (folder),
    ``args.seed``, ``args.overwrite``, ``args.quiet`` and, when the command defines them,
    ``steps``, ``batch_size``, ``patch_size``, ``lr``, ``loss``, ``val_dir``, ``time_limit``,
    ``threads``, ``holdout``, ``device`` (defaults: 100000, 32, 24, 1e-3, "mse", none, none, 1,
    none, "cpu").  For
    each scale it trains (resuming ``OUTPUT/<method>_x<s>.ckpt`` when present, unless
    ``--overwrite``) and writes the last-step weights to ``OUTPUT/<method>_x<s>.pt`` (no
    selection on a validation set).
    """
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        print(f"classicsr train: error: --output {out_dir} is a file; give a folder", file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    quiet = bool(getattr(args, "quiet", False))

    def option(name, default):  # a missing or None option takes the default; 0 stays 0
        value = getattr(args, name, None)
        return default if value is None else value

    failures = 0
    for s in args.scale:
        ckpt = out_dir / f"{args.method}_x{s}.ckpt"
        weights = out_dir / f"{args.method}_x{s}.pt"
        if weights.exists() and not getattr(args, "overwrite", False) and not ckpt.exists():
            print(f"classicsr train: error: {weights} exists; pass --overwrite to replace", file=sys.stderr)
            failures += 1
            continue
        try:
            result = train(args.method, s, args.data, checkpoint=ckpt,
                           resume=not getattr(args, "overwrite", False),
                           steps=option("steps", 100_000), batch_size=option("batch_size", 32),
                           patch_size=option("patch_size", 24), lr=option("lr", 1e-3),
                           loss=option("loss", "mse"), seed=option("seed", 0),
                           val_dir=getattr(args, "val_dir", None),
                           holdout=getattr(args, "holdout", None),
                           time_limit=getattr(args, "time_limit", None),
                           num_threads=option("threads", 1), progress=not quiet,
                           device=option("device", "cpu"),
                           log=None if quiet else (lambda line: print(line, file=sys.stderr)))
            export_weights(ckpt, weights, which="last")
        except (ValueError, TypeError, OSError) as exc:
            print(f"classicsr train: error: x{s}: {exc}", file=sys.stderr)
            failures += 1
            continue
        if not quiet:
            best = f", best validation {result.best_val_psnr:.2f} dB" if result.best_val_psnr else ""
            best += ", last-step weights"
            print(f"x{s}: {result.step} steps{best}; wrote {weights} (checkpoint {ckpt}) "
                  f"in {result.seconds:.0f} s", file=sys.stderr)
    return 0 if failures == 0 else 1


def _last_val(history):
    vals = [h["val_psnr"] for h in history if h.get("val_psnr") is not None]
    return vals[-1] if vals else None


def main(argv=None) -> int:
    """``python -m classicsr.nn.train MODEL SCALE DATA CHECKPOINT [--steps N ...]`` (background runs)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m classicsr.nn.train")
    p.add_argument("model")
    p.add_argument("scale", type=int)
    p.add_argument("data")
    p.add_argument("checkpoint")
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--patch-size", type=int, default=24)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-min", type=float, default=1e-5)
    p.add_argument("--schedule-start", type=int, default=0,
                   help="step where the cosine schedule starts "
                        "(a warm restart when extending a finished run)")
    p.add_argument("--loss", default="mse")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--val-dir", help="HR folder for validation (not a benchmark test set)")
    p.add_argument("--holdout", nargs="?", const="t91", default=None, metavar="NAMES",
                   help="leave files of DATA out of training and validate on them: 't91' "
                        "(the default when the flag is given) is T91_HOLDOUT (t10, ..., t60, tt5, tt15, tt25), "
                        "else comma-separated names")
    p.add_argument("--val-every", type=int, default=1000)
    p.add_argument("--time-limit", type=float)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", help="torch device to train on (default cpu)")
    p.add_argument("--residual", action="store_true", help="ESPCN/FSRCNN with a global bicubic skip")
    args = p.parse_args(argv)
    holdout = None
    if args.holdout is not None:
        names = tuple(n for n in args.holdout.split(",") if n)
        holdout = T91_HOLDOUT if args.holdout == "t91" else names
    result = train(args.model, args.scale, args.data, checkpoint=args.checkpoint, steps=args.steps,
                   batch_size=args.batch_size, patch_size=args.patch_size, lr=args.lr, lr_min=args.lr_min,
                   schedule_start=args.schedule_start,
                   loss=args.loss, seed=args.seed, val_dir=args.val_dir, holdout=holdout,
                   val_every=args.val_every,
                   time_limit=args.time_limit, num_threads=args.threads, progress=False,
                   log=lambda line: print(line, flush=True), device=args.device,
                   model_kwargs={"residual": True} if args.residual else None)
    print(f"done: step {result.step}, last val {_last_val(result.history)}, "
          f"best val {result.best_val_psnr}, {result.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
