"""``--json``: every command prints one JSON document with the same top-level schema."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from classicsr.cli import _command_modules, main
from classicsr.io import read_image, write_image

KEYS = {"command", "exit_code", "results", "failures"}


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b"):
        write_image(src / f"{name}.png", rng.integers(0, 255, size=(24, 32, 3), endpoint=True).astype(np.uint8))
    return src


def _run_json(argv, capsys):
    code = main(argv + ["--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # stdout holds the JSON document and nothing else
    assert KEYS <= set(report) and report["exit_code"] == code
    return report, captured.err


def test_every_command_has_json_option():
    for module in _command_modules():
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        options = {s for a in parser._actions for s in a.option_strings}
        assert "--json" in options, module.NAME


@pytest.mark.parametrize("command,options", [
    ("resize", ["--scale", "2"]),
    ("deblur", ["--psf", "gaussian:1"]),
    ("upscale", ["--model", "bicubic", "--scale", "2"]),
])
def test_batch_commands_json(images, tmp_path, capsys, command, options):
    out = tmp_path / "out"
    (images / "zz.png").write_bytes(b"")  # one failure, the rest succeeds
    report, err = _run_json([command, str(images), str(out), *options], capsys)
    assert report["command"] == command and report["exit_code"] == 1
    assert [r["output"] for r in report["results"]] == [str(out / "a.png"), str(out / "b.png")]
    for r in report["results"]:
        assert r["output_shape"] == list(read_image(r["output"]).shape) and r["dtype"] == "uint8"
    assert report["failures"] == [{"file": str(images / "zz.png"), "output": str(out / "zz.png"),
                                   "error": report["failures"][0]["error"]}]
    assert "empty" in report["failures"][0]["error"] and "zz.png" in err
    if command == "deblur":
        assert all(r["method"] == "wiener" and r["nsr"] and np.all(np.asarray(r["noise_sigma"]) > 0) for r in report["results"])
    # without -q the log lines stay off stdout (JSON only) and off stderr too
    assert "->" not in err


def test_misr_json(tmp_path, capsys):
    from classicsr.misr import simulate_frames
    from skimage import data

    sim = simulate_frames(data.camera()[128:192, 128:192] / 255.0, 4, 2, noise_sigma=0.0, seed=0)
    frames = []
    for k, f in enumerate(sim.frames):
        frames.append(str(write_image(tmp_path / f"f{k}.png", np.clip(np.rint(f * 255), 0, 255).astype(np.uint8))))
    out = tmp_path / "sr.png"
    report, _ = _run_json(["misr", *frames, str(out), "--scale", "2", "--method", "mean"], capsys)
    assert report["exit_code"] == 0 and report["failures"] == []
    (result,) = report["results"]
    assert result["output"] == str(out) and result["output_shape"] == [64, 64] and result["inputs"] == frames
    motions = np.array(result["motions"])
    assert motions.shape == (4, 2, 3)
    # the registered shifts are the simulated ones (LR pixels, reference frame 0)
    np.testing.assert_allclose(motions[:, :, 2] - motions[0, :, 2], sim.motions[:, :, 2] - sim.motions[0, :, 2],
                               atol=0.1)


def test_evaluate_json(images, capsys):
    report, _ = _run_json(["evaluate", str(images), "--scale", "2"], capsys)
    assert report["command"] == "evaluate" and report["exit_code"] == 0
    assert len(report["results"]) == 2 and {r["image"] for r in report["results"]} == {"a", "b"}
    assert report["summary"][0]["n"] == 2
    assert report["summary"][0]["psnr"] == pytest.approx(np.mean([r["psnr"] for r in report["results"]]))


def test_train_json(tmp_path, capsys):
    rng = np.random.default_rng(1)
    data = tmp_path / "data"
    data.mkdir()
    for i in range(2):
        base = rng.random((10, 10))
        img = np.kron(base, np.ones((4, 4)))  # blocky: learnable structure
        write_image(data / f"im{i}.png", (img * 255).astype(np.uint8))
    out = tmp_path / "models"
    report, _ = _run_json(["train", "--method", "anr", "--data", str(data), "--scale", "2", "--output", str(out),
                           "--atoms", "8", "--iterations", "1", "--levels", "1", "--dictionary-samples", "300",
                           "--aplus-samples", "600", "--neighbors", "64"], capsys)
    assert report["exit_code"] == 0
    (result,) = report["results"]
    assert result["output"] == str(out / "x2.npz") and result["bytes"] == (out / "x2.npz").stat().st_size


def test_usage_error_prints_no_json(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["resize", "nomatch*.png", "out", "--scale", "2", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "matches no file" in captured.err


def test_json_is_strict_with_numpy_and_infinite_values(capsys):
    from pathlib import Path

    from classicsr.commands._common import print_json

    print_json({"psnr": np.float64(np.inf), "ssim": np.float32(0.5), "shape": np.array([2, 3]),
                "n": np.int64(3), "path": Path("a/b.png"), "nan": float("nan")})
    text = capsys.readouterr().out
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}")) == {
        "psnr": None, "ssim": 0.5, "shape": [2, 3], "n": 3, "path": str(Path("a/b.png")), "nan": None}


def test_evaluate_identical_images_gives_strict_json(images, tmp_path, capsys, monkeypatch):
    """An SR method that returns the HR image exactly: PSNR is infinite, the JSON still strict."""
    import sys
    import types

    from classicsr import degrade

    module = types.ModuleType("oracle_sr")
    hr = {p.stem: read_image(p) for p in images.glob("*.png")}

    def cheat(lr, scale):  # look the HR image up by its LR (the protocol's own downscale)
        from classicsr import resize

        for img in hr.values():
            crop = degrade.modcrop(img, scale)
            if np.array_equal(resize(crop, 1 / scale, boundary="replicate"), lr):
                return crop
        raise AssertionError("unknown LR")

    module.cheat = cheat
    monkeypatch.setitem(sys.modules, "oracle_sr", module)
    code = main(["evaluate", str(images), "--scale", "2", "--method", "oracle_sr:cheat", "--json"])
    text = capsys.readouterr().out
    report = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert code == 0 and all(r["psnr"] is None for r in report["results"])


def test_train_neural_json(tmp_path, capsys):
    pytest.importorskip("torch", reason="the torch extra is not installed")
    rng = np.random.default_rng(0)
    data = tmp_path / "hr"
    data.mkdir()
    for i in range(2):
        write_image(data / f"im{i}.png", rng.integers(0, 255, size=(48, 48, 3), endpoint=True).astype(np.uint8))
    out = tmp_path / "out"
    argv = ["train", "--method", "espcn", "--data", str(data), "--scale", "2", "--output", str(out),
            "--steps", "2", "--batch-size", "2", "--patch-size", "8"]
    report, _ = _run_json(argv, capsys)
    assert report["exit_code"] == 0 and report["failures"] == []
    (result,) = report["results"]
    assert result["output"] == str(out / "espcn_x2.pt") and result["bytes"] == (out / "espcn_x2.pt").stat().st_size
    # a second run without --overwrite writes nothing: reported as a failure of that scale
    (out / "espcn_x2.ckpt").unlink()
    report, err = _run_json(argv, capsys)
    assert report["exit_code"] == 1 and report["results"] == [] and report["failures"][0]["scale"] == 2
    assert "exists" in err
