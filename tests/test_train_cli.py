"""``classicsr train --method espcn``: the neural trainer is reachable from the command."""

from __future__ import annotations

import numpy as np
import pytest

from classicsr.cli import main
from classicsr.io import write_image

torch = pytest.importorskip("torch", reason="the torch extra is not installed")


def test_train_espcn_tiny_run_writes_weights(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "hr"
    data.mkdir()
    for i in range(2):
        write_image(data / f"im{i}.png", rng.integers(0, 255, size=(48, 48, 3), endpoint=True).astype(np.uint8))
    out = tmp_path / "out"
    argv = ["train", "--method", "espcn", "--data", str(data), "--scale", "2", "--output", str(out),
            "--steps", "3", "--batch-size", "2", "--patch-size", "8", "-q"]
    assert main(argv) == 0
    weights = out / "espcn_x2.pt"
    assert weights.exists() and (out / "espcn_x2.ckpt").exists()
    from classicsr.nn.weights import load_state_dict

    state = load_state_dict(weights)  # weights-only load of what the command wrote
    assert state and all(isinstance(v, torch.Tensor) for v in state.values())
