"""``benchmarks/peer_resize.py``'s ``--scales`` survey: its cases, its argument checks, and a
run that prints one row per case with cv2's output of classicsr's (MATLAB's) size.  Timing
itself is not asserted (speed lives in the benchmarks)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def peer():
    name = "_classicsr_bench_peer_resize"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH / "peer_resize.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_survey_cases_cover_every_scale_shape_and_dtype(peer):
    cases = peer.survey_cases([1.5, 0.75], ["uint8", "uint16"])
    assert len(cases) == 2 * len(peer.SURVEY_SHAPES) * 2
    got = {(shape, dtype, scale) for shape, dtype, scale, _ in cases.values()}
    assert got == {(s, d, x) for s in peer.SURVEY_SHAPES for d in ("uint8", "uint16")
                   for x in (1.5, 0.75)}
    labels = [label for *_, label in cases.values()]
    assert len(set(labels)) == len(labels)
    assert all(lab.startswith("antialiased") == ("x0.75" in lab) for lab in labels)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_survey_labels_name_the_method(peer, method):
    labels = [label for *_, label in peer.survey_cases([2.5, 0.5], ["uint8"], method).values()]
    assert labels and all(method in lab and "bicubic" not in lab for lab in labels)
    # nearest never antialiases (as classicsr.resize), so its downscale label does not say so
    assert any(lab.startswith("antialiased") for lab in labels) == (method != "nearest")


def test_issue_cases_name_the_method(peer):
    assert peer.method_cases("bicubic") == peer.CASES
    for method in ("bilinear", "nearest"):
        cases = peer.method_cases(method)
        assert list(cases) == list(peer.CASES)
        for name, (shape, dtype, scale, label) in cases.items():
            assert (shape, dtype, scale) == peer.CASES[name][:3]
            assert method in label and "bicubic" not in label, label
            assert label.startswith("antialiased") == (scale < 1 and method != "nearest")


def test_survey_shapes_replace_the_default_ones(peer):
    shapes = [peer._shape_arg("8x8x3"), peer._shape_arg("32X48")]
    assert shapes == [(8, 8, 3), (32, 48)]
    cases = peer.survey_cases([2, 0.5], ["float32"], shapes=shapes)
    assert {c[0] for c in cases.values()} == {(8, 8, 3), (32, 48)}
    assert any("8x8x3 float32" in c[3] for c in cases.values())


@pytest.mark.parametrize("text", ["8", "8x0", "axb", "8x8x3x2", "-4x4", ""])
def test_shape_argument_rejects_bad_values(peer, text):
    with pytest.raises(argparse.ArgumentTypeError, match="HxW"):
        peer._shape_arg(text)


@pytest.mark.parametrize("text, value", [("1.5", 1.5), ("4/3", 4 / 3), ("0.25", 0.25)])
def test_scale_argument_accepts_numbers_and_fractions(peer, text, value):
    assert peer._scale_arg(text) == value


@pytest.mark.parametrize("text", ["0", "-2", "abc", "1/0", "100", "nan"])
def test_scale_argument_rejects_bad_values(peer, text):
    with pytest.raises(argparse.ArgumentTypeError, match="scale|number"):
        peer._scale_arg(text)


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_survey_images_span_the_dtype(peer, dtype):
    img = peer._image((64, 64), dtype)
    assert img.dtype == dtype
    assert img.max() > np.iinfo(dtype).max * 0.9


def test_survey_run_prints_a_row_per_case(peer, capsys, monkeypatch):
    # main() raises NUMBA_NUM_THREADS to the largest --threads: keep this process's value
    monkeypatch.setenv("NUMBA_NUM_THREADS", str(numba.config.NUMBA_NUM_THREADS))
    peers = [p for p, mod in (("cv2", "cv2"), ("pillow", "PIL")) if importlib.util.find_spec(mod)]
    assert peer.main(["--scales", "4/3", "--dtypes", "uint8", "uint16", "--threads", "1",
                      "--repeat", "1", "--peers", *peers]) == 0
    out = capsys.readouterr().out
    for dims in ("512x512x3", "1024x1024"):
        for dtype in ("uint8", "uint16"):
            assert f"| bicubic x1.333, {dims} {dtype} |" in out
    if peers:
        img = peer._image((512, 512, 3), "uint8")
        fns = peer._callables(img, 4 / 3, peers)
        assert fns["cv2"]().shape == fns["classicsr"]().shape == (683, 683, 3)


@pytest.mark.parametrize("argv", [["--repeat", "0"], ["--threads", "0"], ["--rounds", "0"],
                                  ["--slow-repeat", "-1"], ["--no-slow", "--peers", "scipy"]])
def test_arguments_that_would_time_nothing_are_refused(peer, argv, capsys):
    with pytest.raises(SystemExit) as info:
        peer.main(argv)
    assert info.value.code == 2 and "error:" in capsys.readouterr().err
