"""Safe weight loading and the small pretrained models shipped with classicsr.

Weights are read with ``torch.load(..., weights_only=True)`` (tensors and plain containers only:
never arbitrary pickled objects) or with ``safetensors`` when the file ends in
``.safetensors``.  Common checkpoint wrappers (``params_ema``, ``params``, ``state_dict``,
``model``) and ``module.`` prefixes (from ``DataParallel``) are unwrapped, ESRGAN's old key
names are converted, and a state dict that does not fit the model raises a ``ValueError``
that lists the missing, unexpected and mis-shaped keys.  A zip checkpoint whose members fail
their CRC-32, or whose tensors hold NaN/inf, is refused; a shipped file whose SHA-256 differs
from the one ``index.json`` records for it is refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from .._validate import check_choice, check_int

__all__ = ["load_state_dict", "load_weights", "pretrained", "available_pretrained", "WEIGHTS_DIR"]

#: Folder of the shipped weight files (package data).
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

_WRAPPERS = ("params_ema", "params", "state_dict", "model_state", "model", "net", "generator")


def _convert_old_esrgan(state: dict) -> dict:
    """ESRGAN's original ``RRDB_ESRGAN_x4.pth`` names (``model.0``, ``model.1.sub.i.RDBj.convk.0``)."""
    if not any(k.startswith("model.1.sub.") for k in state):
        return state
    fixed = {
        "model.0": "conv_first", "model.3": "conv_up1", "model.6": "conv_up2",
        "model.8": "conv_hr", "model.10": "conv_last",
    }
    out = {}
    n_blocks = 1 + max(int(m.group(1)) for k in state if (m := re.match(r"model\.1\.sub\.(\d+)\.", k)))
    for key, value in state.items():
        m = re.match(r"model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$", key)
        if m:
            out[f"body.{m.group(1)}.rdb{m.group(2)}.conv{m.group(3)}.{m.group(4)}"] = value
            continue
        m = re.match(r"model\.1\.sub\.(\d+)\.(weight|bias)$", key)
        if m and int(m.group(1)) == n_blocks - 1:
            out[f"conv_body.{m.group(2)}"] = value
            continue
        prefix, _, leaf = key.rpartition(".")
        out[f"{fixed.get(prefix, prefix)}.{leaf}"] = value
    return out


def load_state_dict(path) -> dict:
    """Read a state dict from a ``.pt``/``.pth`` (weights only) or ``.safetensors`` file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict of str to torch.Tensor
        Unwrapped from ``params_ema`` / ``params`` / ``state_dict`` / ``model`` containers,
        with ``module.`` prefixes removed and old ESRGAN names converted.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a weights-only checkpoint (``torch.load`` refuses pickled code),
        is a zip archive whose members fail their CRC-32 (tampered or corrupted), is a
        directory, or holds no tensors.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"weights file {str(path)!r} is a directory, not a checkpoint file")
    if not path.is_file():
        raise FileNotFoundError(f"weights file {str(path)!r} does not exist")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ImportError("reading .safetensors files needs the 'safetensors' package: "
                              "pip install safetensors") from None
        state = load_file(str(path), device="cpu")
    else:
        _check_zip_integrity(path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises UnpicklingError / RuntimeError variants
            raise ValueError(
                f"{path} could not be read as a weights-only checkpoint ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); classicsr never unpickles "
                f"arbitrary objects. Re-save it as a plain state dict "
                f"(torch.save(model.state_dict(), path)) or as .safetensors"
            ) from None
    for _ in range(3):
        if isinstance(state, dict) and not any(isinstance(v, torch.Tensor) for v in state.values()):
            inner = next((state[k] for k in _WRAPPERS if k in state and isinstance(state[k], dict)), None)
            if inner is None:
                break
            state = inner
    if not isinstance(state, dict) or not any(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} holds no state dict of tensors (found {type(state).__name__})")
    state = {(k[7:] if k.startswith("module.") else k): v for k, v in state.items() if isinstance(v, torch.Tensor)}
    return _convert_old_esrgan(state)


def _check_zip_integrity(path: Path) -> None:
    """Refuse a zip-format ``.pt`` whose members fail their CRC-32 (a tampered or corrupted
    file): ``torch.load`` itself does not check the tensor data's checksums."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return  # legacy (non-zip) checkpoints are left to torch.load's weights-only reader
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{path} is a corrupt checkpoint archive ({type(exc).__name__}: {exc})") from None
    if bad is not None:
        raise ValueError(f"{path} is corrupt or has been tampered with: member {bad!r} fails its "
                         f"CRC-32 checksum; re-download or re-save the weights")


def _check_state(state: dict, source: str) -> dict:
    """Keys must be strings and values tensors; floating-point tensors must be finite."""
    bad_keys = [k for k in state if not isinstance(k, str)]
    if bad_keys:
        raise TypeError(f"weights from {source} must have string keys, got {bad_keys[:5]!r}")
    not_tensors = [f"{k} ({type(v).__name__})" for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise TypeError(f"weights from {source} must map names to torch.Tensor values; not tensors: "
                        + ", ".join(not_tensors[:8]) + (" ..." if len(not_tensors) > 8 else "")
                        + " (convert numpy arrays with torch.from_numpy)")
    non_finite = [k for k, v in state.items()
                  if (v.is_floating_point() or v.is_complex()) and not bool(torch.isfinite(v).all())]
    if non_finite:
        raise ValueError(f"weights from {source} hold NaN or inf values in: " + ", ".join(non_finite[:8])
                         + (" ..." if len(non_finite) > 8 else "")
                         + " (a diverged training run or a corrupted file); refusing to load them")
    return state


def load_weights(model: torch.nn.Module, weights, *, strict: bool = True) -> torch.nn.Module:
    """Load weights into ``model`` (in place), with a clear error when they do not fit.

    Parameters
    ----------
    model : torch.nn.Module
    weights : str, Path or dict
        A file (see :func:`load_state_dict`) or a state dict.
    strict : bool, keyword-only
        When True (default) missing or unexpected keys are an error; mis-shaped tensors are
        always an error.

    Returns
    -------
    model : torch.nn.Module
        The same module, for chaining.

    Raises
    ------
    ValueError
        Listing the missing, unexpected and mis-shaped keys, or the tensors holding NaN/inf.
    TypeError
        When a state dict has non-string keys or non-tensor values.

    Examples
    --------
    >>> from classicsr.nn.models import ESPCN
    >>> from classicsr.nn import load_weights
    >>> a, b = ESPCN(3), ESPCN(3)
    >>> _ = load_weights(b, a.state_dict())
    >>> load_weights(ESPCN(2), a.state_dict())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the weights do not fit ESPCN: mis-shaped: last_part.0.weight ...
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(weights, dict):
        _check_state(weights, "the given state dict")
        state = {(k[7:] if k.startswith("module.") else k): v for k, v in weights.items()}
        state = _convert_old_esrgan(state)
    elif isinstance(weights, (str, Path)):
        state = _check_state(load_state_dict(weights), str(weights))
    else:
        raise TypeError(f"weights must be a path or a state dict, got {type(weights).__name__}")
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shaped = [f"{k} (model {tuple(own[k].shape)}, weights {tuple(state[k].shape)})"
              for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
    problems = []
    if shaped:
        problems.append("mis-shaped: " + ", ".join(shaped))
    if strict and missing:
        problems.append("missing: " + ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else ""))
    if strict and unexpected:
        problems.append("unexpected: " + ", ".join(unexpected[:12]) + (" ..." if len(unexpected) > 12 else ""))
    if problems:
        raise ValueError(
            f"the weights do not fit {type(model).__name__}: " + "; ".join(problems)
            + ". Check the architecture, its scale and its options (e.g. num_block, n_feats), "
              "or pass strict=False to ignore missing/unexpected keys"
        )
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    return model


def _index() -> dict:
    path = WEIGHTS_DIR / "index.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def available_pretrained() -> dict:
    """The shipped pretrained models: ``{"espcn_x3": {"file": ..., "set5_psnr_y": ...}, ...}``.

    Examples
    --------
    >>> from classicsr.nn import available_pretrained
    >>> isinstance(available_pretrained(), dict)
    True
    """
    return {k: dict(v) for k, v in _index().items()}


def pretrained(name: str, scale: int, *, device="cpu") -> torch.nn.Module:
    """A shipped model with its weights loaded, in eval mode (offline; nothing is downloaded).

    Parameters
    ----------
    name : str
        ``"espcn"`` or ``"fsrcnn"``.
    scale : int
        2, 3 or 4 (only the scales listed by :func:`available_pretrained` are shipped).
    device : str or torch.device, keyword-only

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        When that model/scale is not shipped (the message lists what is), or when the file's
        SHA-256 differs from the ``sha256`` recorded for it in ``index.json``.

    Examples
    --------
    >>> from classicsr.nn import pretrained, available_pretrained
    >>> if "espcn_x3" in available_pretrained():
    ...     net = pretrained("espcn", 3)
    ...     print(net.scale)
    ... else:
    ...     print(3)
    3
    """
    from .models import MODELS

    key = check_choice("name", name, MODELS)
    s = check_int("scale", scale, minimum=1)
    index = _index()
    entry = index.get(f"{key}_x{s}")
    if entry is None:
        shipped = ", ".join(sorted(index)) or "none"
        raise ValueError(f"no shipped weights for {key} x{s}; shipped models: {shipped}. "
                         f"Train one with classicsr.nn.train({key!r}, scale={s}, ...)")
    model = MODELS[key](s, **entry.get("kwargs", {}))
    path = WEIGHTS_DIR / entry["file"]
    expected = entry.get("sha256")
    if expected is not None:
        import hashlib

        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != str(expected).lower():
            raise ValueError(f"shipped weights {path.name} fail their integrity check (sha256 {digest}, "
                             f"index.json records {expected}): the file was modified or corrupted")
    load_weights(model, path)
    return model.to(device).eval()
