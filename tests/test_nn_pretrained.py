"""The shipped weights: offline loading, and the bar of issue 6 re-checked on Set5.

Bar: Y PSNR (shave = scale) on Set5 at least 1.5 dB above bicubic at x2 and x3 (1.0 dB at x4),
ESPCN x3 >= 32.3 dB and FSRCNN x3 >= 32.5 dB.  Bicubic is scored in the same run, so the
margin does not depend on a typed number.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from classicsr.nn import TorchUpscaler, available_pretrained, pretrained  # noqa: E402
from classicsr.nn.weights import WEIGHTS_DIR  # noqa: E402

SHIPPED = sorted(available_pretrained())
TARGETS = {"espcn_x3": 32.3, "fsrcnn_x3": 32.5}
MARGIN = {2: 1.5, 3: 1.5, 4: 1.0}


def test_index_lists_existing_small_files():
    for key, entry in available_pretrained().items():
        path = WEIGHTS_DIR / entry["file"]
        assert path.is_file(), key
        assert path.stat().st_size < 200_000, f"{key}: shipped weights must stay small"


def test_unshipped_model_names_what_is_shipped():
    with pytest.raises(ValueError, match="no shipped weights for srcnn x3; shipped models:"):
        pretrained("srcnn", 3)
    with pytest.raises(ValueError, match="name must be one of"):
        pretrained("vdsr", 3)


@pytest.mark.parametrize("key", SHIPPED)
def test_shipped_model_meets_the_bar_on_set5(key, shared_data):
    from classicsr.evaluate import evaluate

    name, scale = key.split("_x")
    scale = int(scale)
    net = pretrained(name, scale)
    assert net.scale == scale and not net.training
    res = evaluate({"ours": TorchUpscaler(net), "bicubic": "bicubic"}, shared_data / "Set5" / "HR", [scale],
                   lr_dir="auto", metrics=("psnr",))
    assert res.ok, res.failures
    ours, bicubic = res.mean("Set5", "ours", scale, "psnr"), res.mean("Set5", "bicubic", scale, "psnr")
    assert ours >= bicubic + MARGIN[scale]
    assert ours >= TARGETS.get(key, 0.0)
    assert ours == pytest.approx(available_pretrained()[key]["set5_psnr_y"], abs=0.01)
