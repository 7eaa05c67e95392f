"""`classicsr misr` subcommand: success path and the documented errors (exit codes)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from classicsr.commands import misr as cmd


def _run(argv):
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    return cmd.run(parser.parse_args(argv))


@pytest.fixture()
def frames(tmp_path):
    from classicsr.io import write_image
    from classicsr.misr import simulate_frames
    from skimage import data

    sim = simulate_frames(data.camera()[128:192, 128:192] / 255.0, 4, 2, noise_sigma=0.0, seed=0)
    paths = []
    for k, f in enumerate(sim.frames):
        p = tmp_path / f"f{k}.png"
        write_image(p, np.clip(np.rint(f * 255), 0, 255).astype(np.uint8))
        paths.append(str(p))
    return paths


def test_cli_success(frames, tmp_path):
    from classicsr.io import read_image

    out = tmp_path / "out.png"
    assert _run(frames + [str(out), "--scale", "2", "--method", "tikhonov", "-q", "--iterations", "5"]) == 0
    img = read_image(out)
    assert img.shape == (64, 64) and img.dtype == np.uint8
    assert _run(frames + [str(out), "--scale", "2", "-q"]) == 2  # exists, no --overwrite


def test_cli_errors(frames, tmp_path, capsys):
    from classicsr.io import write_image

    out = str(tmp_path / "o.png")
    assert _run(frames[:1] + [out, "--scale", "2", "-q"]) == 2
    assert "at least 2 frames" in capsys.readouterr().err
    assert _run(frames + [out, "--scale", "0", "-q"]) == 2
    odd = tmp_path / "odd.png"
    write_image(odd, np.zeros((10, 10), np.uint8))
    assert _run(frames[:2] + [str(odd), out, "--scale", "2", "-q"]) == 2
    assert "one shape" in capsys.readouterr().err
    flat = tmp_path / "flat.png"
    write_image(flat, np.full((32, 32), 7, np.uint8))
    assert _run(frames[:2] + [str(flat), out, "--scale", "2", "-q"]) == 1
    err = capsys.readouterr().err
    assert "registration failed" in err and "flat.png" in err and "constant" in err
