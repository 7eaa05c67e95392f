"""``classicsr upscale``: the command against the library calls it wraps."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from classicsr.cli import main  # noqa: E402
from classicsr.io import read_image, write_image  # noqa: E402


@pytest.fixture()
def rgb(tmp_path):
    rng = np.random.default_rng(0)
    img = (np.kron(rng.random((6, 5, 3)), np.ones((3, 3, 1))) * 255).astype(np.uint8)
    path = tmp_path / "in.png"
    write_image(path, img)
    return path, img


def test_upscale_with_user_weights_matches_the_library(tmp_path, rgb):
    from classicsr.nn import TorchUpscaler
    from classicsr.nn.models import FSRCNN

    src, img = rgb
    torch.manual_seed(0)
    net = FSRCNN(2)
    weights = tmp_path / "w.pt"
    torch.save(net.state_dict(), weights)
    dst = tmp_path / "out.png"
    assert main(["upscale", str(src), str(dst), "--model", "fsrcnn", "--scale", "2",
                 "--weights", str(weights), "--tile", "8", "--overlap", "4", "-q"]) == 0
    np.testing.assert_array_equal(read_image(dst), TorchUpscaler(net, tile=8, overlap=4)(img))
    # refuses to overwrite, then does when told
    assert main(["upscale", str(src), str(dst), "--model", "fsrcnn", "--scale", "2",
                 "--weights", str(weights), "-q"]) == 1
    assert main(["upscale", str(src), str(dst), "--model", "fsrcnn", "--scale", "2",
                 "--weights", str(weights), "--overwrite", "-q"]) == 0


def test_upscale_with_a_resize_kernel(tmp_path, rgb):
    from classicsr.resize import resize

    src, img = rgb
    dst = tmp_path / "b.png"
    assert main(["upscale", str(src), str(dst), "--model", "bicubic", "--scale", "3", "-q"]) == 0
    np.testing.assert_array_equal(read_image(dst), resize(img, 3))


def test_upscale_usage_errors(tmp_path, rgb, capsys):
    src, _ = rgb
    dst = tmp_path / "o.png"
    assert main(["upscale", str(src), str(dst), "--model", "vdsr", "--scale", "2"]) == 2
    assert "--model must be one of" in capsys.readouterr().err
    assert main(["upscale", str(src), str(dst), "--model", "espcn"]) == 2
    assert "--scale is required" in capsys.readouterr().err
    assert main(["upscale", str(src), str(dst), "--model", "edsr", "--scale", "2"]) == 2
    assert "pass --weights" in capsys.readouterr().err
    assert main(["upscale", str(src), str(dst), "--model", "espcn", "--scale", "7"]) == 2
    assert "no shipped weights for espcn x7" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    torch.save({"x": torch.zeros(1)}, bad)
    assert main(["upscale", str(src), str(dst), "--model", "espcn", "--scale", "2", "--weights", str(bad)]) == 2
    assert "the weights do not fit ESPCN" in capsys.readouterr().err


def test_upscale_opencv_model(tmp_path, rgb, shared_data):
    from classicsr.opencv import OpenCVUpscaler

    src, img = rgb
    pb = shared_data / "opencv_models" / "ESPCN_x2.pb"
    dst = tmp_path / "cv.png"
    assert main(["upscale", str(src), str(dst), "--model", str(pb), "-q"]) == 0
    np.testing.assert_array_equal(read_image(dst), OpenCVUpscaler(pb)(img))


def test_upscale_residual_weights_need_and_get_the_skip(tmp_path, rgb, capsys):
    from classicsr.nn import TorchUpscaler
    from classicsr.nn.models import ESPCN

    src, img = rgb
    torch.manual_seed(0)
    net = ESPCN(2, residual=True)  # as `classicsr train --residual` and the shipped weights
    weights = tmp_path / "res.pt"
    torch.save(net.state_dict(), weights)  # the skip has no parameters: nothing in the file says so
    dst = tmp_path / "res.png"
    assert main(["upscale", str(src), str(dst), "--model", "espcn", "--scale", "2",
                 "--weights", str(weights), "--residual", "-q"]) == 0
    np.testing.assert_array_equal(read_image(dst), TorchUpscaler(net)(img))
    assert main(["upscale", str(src), str(tmp_path / "k.png"), "--model", "bicubic", "--scale", "2",
                 "--residual"]) == 2
    assert "--residual" in capsys.readouterr().err
    assert main(["upscale", str(src), str(tmp_path / "s.png"), "--model", "espcn", "--scale", "2",
                 "--residual"]) == 2  # the shipped weights carry it already


def test_upscale_options_a_pb_model_cannot_use_are_refused(tmp_path, rgb, shared_data, capsys):
    src, _ = rgb
    pb = str(shared_data / "opencv_models" / "ESPCN_x2.pb")
    for extra in (["--tile", "8"], ["--device", "cuda"], ["--residual"]):
        assert main(["upscale", str(src), str(tmp_path / "o.png"), "--model", pb] + extra) == 2
        assert "do not apply to an OpenCV .pb model" in capsys.readouterr().err
    assert main(["upscale", str(src), str(tmp_path / "o.png"), "--model", pb, "--scale", "0"]) == 2
    assert "--scale must be a positive integer" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()
