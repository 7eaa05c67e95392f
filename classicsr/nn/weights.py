"""Safe weight loading and the small pretrained models shipped with classicsr.

Weights are read with ``torch.load(..., weights_only=True)`` (tensors and plain containers only:
never arbitrary pickled objects) or with ``safetensors`` when the file ends in
``.safetensors``.  Common checkpoint wrappers (``params_ema``, ``params``, ``state_dict``,
``model``) and ``module.`` prefixes (from ``DataParallel``) are unwrapped, ESRGAN's old key
names are converted, and a state dict that does not fit the model raises a ``ValueError``
that lists the missing, unexpected and mis-shaped keys.
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
        When the file is not a weights-only checkpoint (``torch.load`` refuses pickled code)
        or holds no tensors.
    """
    path = Path(path)
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
        Listing the missing, unexpected and mis-shaped keys.

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
        state = {(k[7:] if k.startswith("module.") else k): v for k, v in weights.items()}
        state = _convert_old_esrgan(state)
    elif isinstance(weights, (str, Path)):
        state = load_state_dict(weights)
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
        When that model/scale is not shipped (the message lists what is).

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
    load_weights(model, WEIGHTS_DIR / entry["file"])
    return model.to(device).eval()
