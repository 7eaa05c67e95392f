"""Command-line fixes: globs with one match, ``demo --json`` refusals, ``--device``, ``misr``
edge cases, ``train`` option values and output folders, ``[Errno N]`` prefixes."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from classicsr.cli import main
from classicsr.io import read_image, write_image

KEYS = {"command", "exit_code", "results", "failures"}


def _run_json(argv, capsys):
    code = main(argv + ["--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # stdout holds the JSON document and nothing else
    assert KEYS <= set(report) and report["exit_code"] == code
    assert "Traceback" not in captured.err
    return report, captured.err


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(12, 16, 3), endpoint=True).astype(np.uint8)


@pytest.fixture
def hr_folder(tmp_path):
    rng = np.random.default_rng(1)
    data = tmp_path / "hr"
    data.mkdir()
    for i in range(2):
        image = rng.integers(0, 255, size=(48, 48, 3), endpoint=True).astype(np.uint8)
        write_image(data / f"im{i}.png", image)
    return data


# --- item 6: a glob is a batch, its OUT a folder, whatever the number of matches -------------

@pytest.mark.parametrize("command,options,shape", [
    ("resize", ["--scale", "2"], (24, 32, 3)),
    ("deblur", ["--psf", "gaussian:1"], (12, 16, 3)),
    ("upscale", ["--model", "bicubic", "--scale", "2"], (24, 32, 3)),
])
@pytest.mark.parametrize("out_name", ["big", "big.png"])
def test_glob_with_one_match_writes_into_the_output_folder(tmp_path, rgb, command, options,
                                                            shape, out_name):
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "a.png", rgb)
    out = tmp_path / out_name  # missing; even a name with an image suffix is a folder here
    assert main([command, str(shots / "*.png"), str(out), *options, "-q"]) == 0
    assert out.is_dir() and [p.name for p in out.iterdir()] == ["a.png"]
    assert read_image(out / "a.png").shape == shape


def test_glob_with_one_match_refuses_an_existing_output_file(tmp_path, rgb, capsys):
    write_image(tmp_path / "a.png", rgb)
    out = tmp_path / "o.png"
    write_image(out, rgb)
    argv = ["resize", str(tmp_path / "a*.png"), str(out), "--scale", "2", "--overwrite"]
    assert main(argv) == 2
    assert "need an output folder" in capsys.readouterr().err
    np.testing.assert_array_equal(read_image(out), rgb)  # untouched


def test_a_single_file_still_goes_to_the_output_file(tmp_path, rgb):
    write_image(tmp_path / "a.png", rgb)
    argv = ["resize", str(tmp_path / "a.png"), str(tmp_path / "o.png"), "--scale", "2", "-q"]
    assert main(argv) == 0
    assert read_image(tmp_path / "o.png").shape == (24, 32, 3)


# --- item 7: demo --json prints its document when it refuses -------------------------------

def test_demo_json_refusal_prints_json(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "demo_results.csv").write_text("mine")
    report, err = _run_json(["demo", "--output", str(out), "--quiet"], capsys)
    assert report["command"] == "demo" and report["exit_code"] == 1 and report["results"] == []
    [failure] = report["failures"]
    assert "demo_results.csv exists" in failure["error"] and "--overwrite" in failure["error"]
    assert "demo_results.csv" in err
    assert (out / "demo_results.csv").read_text() == "mine"


# --- item 9: --device --------------------------------------------------------------------

def test_upscale_bad_device_is_a_usage_error(tmp_path, rgb, capsys):
    pytest.importorskip("torch")
    write_image(tmp_path / "in.png", rgb)
    argv = ["upscale", str(tmp_path / "in.png"), str(tmp_path / "o.png"), "--model", "espcn",
            "--scale", "2"]
    assert main(argv + ["--device", "bogus"]) == 2
    err = capsys.readouterr().err
    assert "--device must be 'cpu', 'cuda'" in err and "'bogus'" in err
    assert "available here: cpu" in err
    assert "Traceback" not in err and not (tmp_path / "o.png").exists()


def test_upscale_missing_cuda_is_a_usage_error(tmp_path, rgb, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    write_image(tmp_path / "in.png", rgb)
    argv = ["upscale", str(tmp_path / "in.png"), str(tmp_path / "o.png"), "--model", "espcn",
            "--scale", "2"]
    assert main(argv + ["--device", "cuda", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # a usage error: no JSON
    assert "--device cuda was asked for but torch sees no CUDA GPU" in captured.err
    assert "use --device cpu" in captured.err


def test_torch_upscaler_checks_device():
    pytest.importorskip("torch")
    from classicsr.nn import ESPCN, TorchUpscaler

    with pytest.raises(ValueError, match="device must be .*got 'nope'; available here: cpu"):
        TorchUpscaler(ESPCN(2), device="nope")
    with pytest.raises(ValueError, match="device must be"):
        TorchUpscaler(ESPCN(2), device=2.5)
    assert TorchUpscaler(ESPCN(2), device="cpu").device.type == "cpu"


# --- item 11: misr edge cases ---------------------------------------------------------------

def _frames(tmp_path, shape, n=3):
    rng = np.random.default_rng(2)
    paths = []
    for k in range(n):
        p = tmp_path / f"f{k}.png"
        write_image(p, rng.integers(0, 255, size=shape, endpoint=True).astype(np.uint8))
        paths.append(str(p))
    return paths


def test_misr_frames_one_pixel_high_fail_cleanly(tmp_path, capsys):
    out = tmp_path / "o.png"
    report, err = _run_json(["misr", *_frames(tmp_path, (1, 20)), str(out), "--scale", "2"], capsys)
    assert report["exit_code"] == 1 and report["results"] == []
    [failure] = report["failures"]
    assert "cannot register the frames" in failure["error"] and "2 pixels" in failure["error"]
    assert not out.exists()


@pytest.mark.parametrize("sigma", ["nan", "inf", "-1"])
def test_misr_psf_sigma_must_be_finite(tmp_path, capsys, sigma):
    frames = _frames(tmp_path, (16, 16))
    argv = ["misr", *frames, str(tmp_path / "o.png"), "--scale", "2", f"--psf-sigma={sigma}"]
    assert main(argv) == 2
    assert "--psf-sigma must be a finite number >= 0" in capsys.readouterr().err


def test_misr_negative_reference_counts_from_the_end(tmp_path, capsys):
    from classicsr.misr import simulate_frames

    sim = simulate_frames(np.random.default_rng(3).random((32, 32)), 3, 2, noise_sigma=0.0, seed=0)
    frames = []
    for k, f in enumerate(sim.frames):
        frames.append(str(tmp_path / f"s{k}.png"))
        write_image(frames[-1], np.clip(np.rint(f * 255), 0, 255).astype(np.uint8))
    out = tmp_path / "o.png"
    report, _ = _run_json(["misr", *frames, str(out), "--scale", "2", "--method", "median",
                           "--reference", "-1"], capsys)
    assert report["exit_code"] == 0 and report["results"][0]["reference"] == 2
    np.testing.assert_allclose(report["results"][0]["motions"][2], np.eye(2, 3), atol=1e-12)
    argv = ["misr", *frames, str(tmp_path / "p.png"), "--scale", "2", "--reference", "-4"]
    assert main(argv) == 2
    assert "[0, 2] (or [-3, -1]" in capsys.readouterr().err


# --- items 12 and 13: train ------------------------------------------------------------------

@pytest.mark.parametrize("option,value,message", [
    ("--steps", "0", "--steps must be an integer >= 1, got 0"),
    ("--batch-size", "0", "--batch-size must be an integer >= 1, got 0"),
    ("--lr", "0", "--lr must be a finite number > 0, got 0.0"),
    ("--lr", "nan", "--lr must be a finite number > 0, got nan"),
    ("--threads", "0", "--threads must be an integer >= 1, got 0"),
])
def test_train_zero_is_refused_not_replaced_by_the_default(hr_folder, tmp_path, capsys, option,
                                                            value, message):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    argv = ["train", "--method", "espcn", "--data", str(hr_folder), "--scale", "2",
            "--output", str(out), "--steps", "1", "--batch-size", "2", "--patch-size", "8",
            "--time-limit", "1", "-q"]
    assert main(argv + [option, value]) == 2
    assert message in capsys.readouterr().err
    assert not (out / "espcn_x2.pt").exists()


def test_cli_train_passes_zero_to_the_library(hr_folder, tmp_path, capsys):
    pytest.importorskip("torch")
    from classicsr.nn.train import cli_train

    args = argparse.Namespace(method="espcn", data=str(hr_folder), scale=[2],
                              output=str(tmp_path / "o"), seed=0, overwrite=False, quiet=True,
                              steps=1, batch_size=2, patch_size=8, lr=0.0, time_limit=1.0,
                              threads=None)
    assert cli_train(args) == 1  # lr=0 reaches train(), which refuses it
    assert "lr must be" in capsys.readouterr().err
    assert not (tmp_path / "o" / "espcn_x2.pt").exists()


@pytest.mark.parametrize("method", ["espcn", "aplus"])
def test_train_output_under_a_file_fails_cleanly(hr_folder, tmp_path, capsys, method):
    if method == "espcn":
        pytest.importorskip("torch")
    afile = tmp_path / "afile"
    afile.write_text("x")
    report, err = _run_json(["train", "--method", method, "--data", str(hr_folder), "--scale", "2",
                             "--output", str(afile / "sub"), "--steps", "1", "-q"], capsys)
    assert report["exit_code"] == 1 and report["results"] == []
    [failure] = report["failures"]
    assert failure["error"].startswith(f"cannot create the output folder {afile / 'sub'}")
    assert "[Errno" not in err and afile.read_text() == "x"


# --- item 18: no "[Errno N]" prefix in command-line errors -----------------------------------

def test_errors_have_no_errno_prefix(tmp_path, rgb, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    write_image(folder / "a.png", rgb)
    afile = tmp_path / "afile"
    afile.write_text("x")
    report, err = _run_json(["resize", str(folder), str(afile / "sub"), "--scale", "2"], capsys)
    assert report["exit_code"] == 1
    expected = f"cannot create the output folder {afile / 'sub'}: Not a directory"
    assert report["failures"][0]["error"] == expected
    assert "[Errno" not in err


# --- twenty-second session: path names the file system refuses, "OUT/" for one input -------

@pytest.mark.parametrize("command", [["resize", "--scale", "2"], ["deblur", "--psf", "gaussian:1"],
                                     ["misr", "--scale", "2"]])
@pytest.mark.parametrize("where", ["input", "output"])
def test_names_too_long_for_the_file_system_are_usage_errors(tmp_path, rgb, capsys, command, where):
    src = tmp_path / "rgb.png"
    write_image(src, rgb)
    (tmp_path / "out").mkdir()
    long = "a" * 300 + ".png"  # one component over the 255 bytes of common file systems
    inputs = [str(src)] * (2 if command[0] == "misr" else 1)
    if where == "input":
        inputs[0] = str(tmp_path / long)
    output = str(tmp_path / "out" / (long if where == "output" else "x.png"))
    code = main([command[0]] + inputs + [output] + command[1:])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "too long" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "rgb.png"]
    assert not any((tmp_path / "out").iterdir())


def test_an_output_ending_in_a_separator_is_a_folder_even_for_one_input(tmp_path, rgb, capsys):
    src = tmp_path / "rgb.png"
    write_image(src, rgb)
    code = main(["resize", str(src), str(tmp_path / "new") + "/", "--scale", "2"])
    assert code == 0, capsys.readouterr().err
    np.testing.assert_array_equal(read_image(tmp_path / "new" / "rgb.png"),
                                  __import__("classicsr").resize(rgb, 2))
    # an existing file named like that folder is refused before anything is read or written
    before = src.read_bytes()
    code = main(["resize", str(src), str(src) + "/", "--scale", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "output folder" in err and src.read_bytes() == before
