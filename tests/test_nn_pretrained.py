"""The shipped weights: offline loading, and the bar of issue 6 re-checked on Set5.

Bar: Y PSNR (shave = scale) on Set5 at least 1.5 dB above bicubic at x2 and x3; at x4 1.0 dB
above bicubic and 0.3 dB above OpenCV's LapSRN x4 (28.73 here); ESPCN x3 >= 32.3 dB and
FSRCNN x3 >= 32.5 dB.  Bicubic and LapSRN are scored in the same run, so the margins do not
depend on typed numbers.  Shipped weights are last-step weights (no selection on a test set).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from classicsr.nn import TorchUpscaler, available_pretrained, pretrained  # noqa: E402
from classicsr.nn.weights import WEIGHTS_DIR  # noqa: E402

SHIPPED = sorted(available_pretrained())
TARGETS = {"espcn_x3": 32.3, "fsrcnn_x3": 32.5}
MARGIN = {2: 1.5, 3: 1.5, 4: 1.0}
LAPSRN_MARGIN = 0.3  # x4: "beat OpenCV LapSRN x4 clearly"


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
    methods = {"ours": TorchUpscaler(net), "bicubic": "bicubic"}
    if scale == 4:
        opencv = pytest.importorskip("classicsr.opencv")
        methods["lapsrn"] = opencv.OpenCVUpscaler(shared_data / "opencv_models" / "LapSRN_x4.pb")
    res = evaluate(methods, shared_data / "Set5" / "HR", [scale], lr_dir="auto", metrics=("psnr",))
    assert res.ok, res.failures
    ours, bicubic = res.mean("Set5", "ours", scale, "psnr"), res.mean("Set5", "bicubic", scale, "psnr")
    assert ours >= bicubic + MARGIN[scale]
    assert ours >= TARGETS.get(key, 0.0)
    if scale == 4:
        assert ours >= res.mean("Set5", "lapsrn", 4, "psnr") + LAPSRN_MARGIN
    assert ours == pytest.approx(available_pretrained()[key]["set5_psnr_y"], abs=0.01)


def test_shipped_weights_are_last_step_weights():
    for key, entry in available_pretrained().items():
        assert entry.get("weights") == "last step", \
            f"{key}: shipped weights must not be selected on a test set"
