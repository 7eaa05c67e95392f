"""The one check of a torch device argument, shared by :class:`TorchUpscaler`, :func:`train`
and the ``--device`` option of the command line."""

from __future__ import annotations

import torch

#: Device types the networks run on (optionally with an index, e.g. ``cuda:1``).
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")


def available_devices() -> list[str]:
    """The device types this torch build can use here, ``cpu`` first."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    xpu = getattr(torch, "xpu", None)
    if xpu is not None and xpu.is_available():
        found.append("xpu")
    return found


def check_device(device, name: str = "device") -> torch.device:
    """``device`` as a :class:`torch.device`, or a ValueError that names ``name`` and the choices.

    ``name`` is the parameter (``device``) or the command-line option (``--device``) the
    value came from; the message is worded for it.  A well-formed device that this machine
    lacks (``cuda`` on a CPU-only torch) is refused here rather than failing later inside
    torch with an AssertionError.
    """
    option = name.startswith("-")

    def given(value):
        return f"{name} {value}" if option else f"{name}={str(value)!r}"

    available = available_devices()
    choices = f"available here: {', '.join(available)}"
    bad = ValueError(f"{name} must be 'cpu', 'cuda', 'mps' or 'xpu' (optionally with an index, "
                     f"e.g. 'cuda:1'), got {device!r}; {choices}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise bad from None
    if dev.type not in DEVICE_TYPES:
        raise bad
    if dev.type not in available:
        what = {"cuda": "CUDA GPU", "mps": "Apple MPS device", "xpu": "Intel XPU"}[dev.type]
        raise ValueError(f"{given(device)} was asked for but torch sees no {what} "
                         f"(torch {torch.__version__}); {choices}; use {given('cpu')}")
    return dev
