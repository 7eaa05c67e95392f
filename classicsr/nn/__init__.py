"""Neural super-resolution through PyTorch (the optional ``torch`` extra).

``import classicsr`` never imports torch; ``import classicsr.nn`` does, and fails with an
ImportError that names the extra when torch is missing.

* :class:`TorchUpscaler` turns any ``nn.Module`` (LR tensor -> SR tensor) into a numpy-in,
  numpy-out upscaler with the dtype and ``channel_axis`` rules of :func:`classicsr.resize`,
  with tiling, batching and the geometric self-ensemble.
* :mod:`classicsr.nn.models`: SRCNN, FSRCNN, ESPCN, EDSR (baseline) and RRDBNet (ESRGAN's
  generator), with the state-dict key names of common public checkpoints.
* :func:`load_weights` (``torch.load(weights_only=True)`` or safetensors, never arbitrary
  pickles) and :func:`pretrained` (the small models shipped in the package, offline).
* :func:`train`: patches from an image folder with the benchmark degradation, Adam,
  checkpoint/resume.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "classicsr.nn needs PyTorch, which is not installed. Install the 'torch' extra: "
        "pip install 'classicsr[torch]' (for the CPU-only wheel run "
        "'pip install torch --index-url https://download.pytorch.org/whl/cpu' first)."
    ) from exc

from .adapter import TorchUpscaler  # noqa: E402
from .models import EDSR, ESPCN, FSRCNN, SRCNN, RRDBNet, build_model  # noqa: E402
from .weights import available_pretrained, load_weights, pretrained  # noqa: E402
from .train import TrainResult, train  # noqa: E402

__all__ = [
    "TorchUpscaler",
    "SRCNN",
    "FSRCNN",
    "ESPCN",
    "EDSR",
    "RRDBNet",
    "build_model",
    "load_weights",
    "pretrained",
    "available_pretrained",
    "train",
    "TrainResult",
]
