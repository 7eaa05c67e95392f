"""evaluate() and `classicsr evaluate`: the published Bicubic column, failures, exports, CLI."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from classicsr.cli import main
from classicsr.evaluate import Method, comparison_figure, evaluate, resolve_methods

# Published Y-channel Bicubic PSNR/SSIM (VDSR / LapSRN / EDSR papers' tables).
PUBLISHED_BICUBIC = {
    ("Set5", 2): (33.66, 0.9299), ("Set5", 3): (30.39, 0.8682), ("Set5", 4): (28.42, 0.8104),
    ("Set14", 2): (30.24, 0.8688), ("Set14", 3): (27.55, 0.7742), ("Set14", 4): (26.00, 0.7027),
    ("BSD100", 2): (29.56, 0.8431), ("BSD100", 3): (27.21, 0.7385), ("BSD100", 4): (25.96, 0.6675),
}


def test_set5_reproduces_published_bicubic(shared_data):
    hr = shared_data / "Set5" / "HR"
    fly = evaluate("bicubic", hr, [2, 3, 4])
    given = evaluate("bicubic", hr, [2, 3, 4], lr_dir=shared_data / "Set5" / "LR_bicubic")
    assert fly.ok and given.ok and len(fly.records) == 15
    for s in (2, 3, 4):
        p, q = PUBLISHED_BICUBIC[("Set5", s)]
        for res in (fly, given):
            assert abs(res.mean("Set5", "bicubic", s, "psnr") - p) <= 0.03
            assert abs(res.mean("Set5", "bicubic", s, "ssim") - q) <= 0.002
    # LR made on the fly is identical to the given files, so every score is identical.
    for a, b in zip(fly.records, given.records):
        assert (a["image"], a["scale"], a["psnr"], a["ssim"]) == (b["image"], b["scale"], b["psnr"], b["ssim"])
    assert {r["lr"] for r in given.records} == {"file"} and {r["lr"] for r in fly.records} == {"on-the-fly"}


@pytest.fixture()
def hr_dir(tmp_path):
    rng = np.random.default_rng(0)
    d = tmp_path / "Toy" / "HR"
    d.mkdir(parents=True)
    from scipy import ndimage

    for i, shape in enumerate([(50, 61, 3), (47, 44, 3), (40, 40)]):
        img = ndimage.gaussian_filter(rng.uniform(0, 255, shape), 1.5 if len(shape) == 2 else (1.5, 1.5, 0))
        img = (img - img.min()) / np.ptp(img) * 255
        Image.fromarray(img.round().astype(np.uint8)).save(d / f"im{i}.png")
    return d


def _y_psnr(hr, sr, s):
    """Independent Y-PSNR: skimage's BT.601 conversion, MATLAB rounding, direct formula."""
    def y(x):
        return x.astype(float) if x.ndim == 2 else np.floor(skcolor.rgb2ycbcr(x)[..., 0] + 0.5)
    d = (y(hr) - y(sr))[s:-s, s:-s]
    return 10 * np.log10(255**2 / np.mean(d * d))


def test_records_match_independent_psnr(hr_dir):
    from classicsr.degrade import make_lr
    from classicsr.resize import resize

    res = evaluate(["bicubic"], hr_dir, [2, 3])
    assert len(res.records) == 6 and res.ok
    for r in res.records:
        full = np.asarray(Image.open(hr_dir / f"{r['image']}.png"))
        hr, lr = make_lr(full, r["scale"])
        sr = resize(lr, r["scale"])
        assert r["psnr"] == pytest.approx(_y_psnr(hr, sr, r["scale"]), abs=1e-9)
    # summary mean is the mean of the rows
    rows = [r["psnr"] for r in res.records if r["scale"] == 2]
    assert res.mean("Toy", "bicubic", 2) == pytest.approx(np.mean(rows))


def test_user_methods_float_output_and_identity(hr_dir):
    from classicsr.degrade import modcrop
    from classicsr.resize import resize

    truth = {}

    def oracle(lr, scale):  # returns the HR itself: PSNR must be inf, SSIM 1
        return truth[(lr.shape, scale)]

    for p in sorted(hr_dir.iterdir()):
        full = np.asarray(Image.open(p))
        for s in (2,):
            hr = modcrop(full, s)
            truth[((hr.shape[0] // s, hr.shape[1] // s) + hr.shape[2:], s)] = hr

    def float_bicubic(lr):  # one-argument method: knows its scale; returns float on 0..255
        return resize(lr.astype(np.float64), 2)

    res = evaluate({"oracle": oracle, "fb": float_bicubic, "bicubic": "bicubic"}, hr_dir, 2)
    assert res.ok
    for r in res.records:
        if r["method"] == "oracle":
            assert r["psnr"] == math.inf and r["ssim"] == 1.0
    fb = res.mean("Toy", "fb", 2)
    bic = res.mean("Toy", "bicubic", 2)
    assert abs(fb - bic) < 0.05  # float path quantised: within rounding of the uint8 path


def test_failures_are_reported_and_rest_scored(hr_dir):
    (hr_dir / "zz_truncated.png").write_bytes((hr_dir / "im0.png").read_bytes()[:80])

    def broken(lr, scale):
        raise RuntimeError("boom")

    def wrong_shape(lr, scale):
        return lr

    res = evaluate([("broken", broken), ("wrong", wrong_shape), "nearest"], hr_dir, [2])
    assert not res.ok
    assert len(res.records) == 3  # nearest on the 3 readable images
    files = [f["file"] for f in res.failures]
    assert any(f.endswith("zz_truncated.png") for f in files)
    msgs = " ".join(f["error"] for f in res.failures)
    assert "RuntimeError: boom" in msgs and "returned shape" in msgs


def test_csv_markdown_and_options(hr_dir, tmp_path):
    res = evaluate(["nearest", "bicubic"], hr_dir, [2, 4], metrics=["psnr", "ssim", "gmsd"], y_channel=False)
    rows = list(csv.DictReader(io.StringIO(res.to_csv())))
    assert len(rows) == 12
    assert list(rows[0]) == ["dataset", "image", "scale", "method", "lr", "psnr", "ssim", "gmsd", "seconds"]
    md = res.to_markdown()
    assert md.splitlines()[0] == "| set | method | x2 PSNR | x2 SSIM | x2 GMSD | x4 PSNR | x4 SSIM | x4 GMSD |"
    assert len(md.splitlines()) == 4
    path = tmp_path / "out.csv"
    res.to_csv(path)
    assert path.read_text() == res.to_csv()
    nq = evaluate(["bicubic"], hr_dir, [2], quantize=False)
    q = evaluate(["bicubic"], hr_dir, [2])
    assert abs(nq.mean("Toy", "bicubic", 2) - q.mean("Toy", "bicubic", 2)) < 0.1


def test_save_images_and_figure(hr_dir, tmp_path):
    out = tmp_path / "sr"
    fig = tmp_path / "fig.png"
    res = evaluate(["bicubic"], hr_dir, [2], save_images=out, figure=fig, figure_image="im1")
    assert res.ok
    saved = sorted(p.name for p in (out / "Toy" / "bicubic" / "x2").iterdir())
    assert saved == ["im0.png", "im1.png", "im2.png"]
    assert fig.stat().st_size > 1000
    with pytest.raises(FileExistsError):
        evaluate(["bicubic"], hr_dir, [2], figure=fig)
    again = evaluate(["bicubic"], hr_dir, [2], save_images=out)  # refuses to overwrite, reports
    assert len(again.failures) == 3 and "exists" in again.failures[0]["error"]


def test_figure_write_is_atomic(hr_dir, tmp_path, monkeypatch):
    """A failing write leaves neither the figure nor a temporary file; an existing figure
    survives a refused write byte for byte."""
    import classicsr.io as cio

    fig = tmp_path / "figs" / "fig.png"

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cio.os, "fsync", full_disk)
    with pytest.raises(OSError, match="cannot write"):
        evaluate(["bicubic"], hr_dir, [2], figure=fig, figure_image="im1")
    assert list(fig.parent.iterdir()) == []
    monkeypatch.undo()
    fig.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        evaluate(["bicubic"], hr_dir, [2], figure=fig, figure_image="im1")
    assert fig.read_bytes() == b"keep"


def test_comparison_figure_layout():
    hr = np.zeros((40, 60, 3), np.uint8)
    fig = comparison_figure(hr, {"a": hr, "b": hr}, box=(5, 5, 10), scores={"a": {"psnr": 30.0, "ssim": 0.9}})
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="does not fit"):
        comparison_figure(hr, {}, box=(35, 0, 10))
    for bad in [(1, 2), (1, 2, 3, 4), (1.5, 2, 3), ("a", 2, 3), 5, None.__class__]:
        with pytest.raises(TypeError, match="box must be three integers"):
            comparison_figure(hr, {}, box=bad)


def test_resolve_methods_and_bad_input(hr_dir):
    ms = resolve_methods(["bicubic", ("mine", lambda lr: lr), Method("m2", lambda lr, scale: lr),
                          "numpy:copy"])
    assert [m.name for m in ms] == ["bicubic", "mine", "m2", "copy"]
    assert not ms[1].takes_scale and ms[2].takes_scale
    with pytest.raises(ValueError, match="unknown method 'bicubik'"):
        resolve_methods("bicubik")
    with pytest.raises(ValueError, match="distinct"):
        resolve_methods(["bicubic", "bicubic"])
    with pytest.raises(ValueError, match="metrics must be one of"):
        evaluate("bicubic", hr_dir, [2], metrics=["lpips"])
    with pytest.raises(TypeError, match="scales must be an integer"):
        evaluate("bicubic", hr_dir, [2.5])
    with pytest.raises(ValueError, match="sigma must be given with kernel='gaussian'"):
        evaluate("bicubic", hr_dir, [2], kernel="gaussian")


# ---------------------------------------------------------------- the command line

def test_cli_ok_and_outputs(hr_dir, tmp_path, capsys):
    csv_path, md_path = tmp_path / "s.csv", tmp_path / "s.md"
    rc = main(["evaluate", str(hr_dir), "--scale", "2", "3", "--method", "nearest", "bicubic",
               "--csv", str(csv_path), "--markdown", str(md_path), "-q"])
    assert rc == 0
    out = capsys.readouterr().out
    assert out == md_path.read_text() and "| Toy | bicubic |" in out
    assert len(csv_path.read_text().splitlines()) == 1 + 3 * 2 * 2
    # refuses to overwrite without --overwrite
    rc = main(["evaluate", str(hr_dir), "--scale", "2", "--csv", str(csv_path), "-q"])
    assert rc == 1 and "exists" in capsys.readouterr().err


def test_cli_partial_failure_and_usage(hr_dir, capsys):
    (hr_dir / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    rc = main(["evaluate", str(hr_dir), "--scale", "2", "-q", "--json"])
    captured = capsys.readouterr()
    assert rc == 1 and "bad.png" in captured.err
    import json

    payload = json.loads(captured.out)
    assert len(payload["summary"]) == 1 and payload["summary"][0]["n"] == 3
    assert main(["evaluate", str(hr_dir), "--scale", "0", "-q"]) == 2
    assert main(["evaluate", str(hr_dir), "--method", "nosuch", "-q"]) == 2
    assert main(["evaluate", str(hr_dir / "missing"), "-q"]) == 2
    capsys.readouterr()


def test_cli_given_lr_auto(shared_data, capsys):
    rc = main(["evaluate", str(shared_data / "Set5" / "HR"), "--scale", "4", "--lr-dir", "auto", "-q"])
    assert rc == 0
    assert "| Set5 | bicubic | 28.42 | 0.8101 |" in capsys.readouterr().out


def test_keyword_only_scale_is_passed_by_keyword():
    from classicsr.resize import resize

    def kw_only(lr, *, scale):
        return resize(lr, scale)

    m = Method("kw", kw_only)
    assert m.takes_scale
    lr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(m(lr, 2), resize(lr, 2))


def test_repeated_metric_names_are_scored_once(hr_dir):
    res = evaluate("bicubic", hr_dir, [2], metrics=["psnr", "PSNR", "ssim"])
    assert res.metrics == ("psnr", "ssim")
    header = res.to_csv().splitlines()[0].split(",")
    assert header.count("psnr") == 1 and header.count("ssim") == 1


def test_a_method_writing_into_its_input_spoils_no_other(hr_dir):
    from classicsr.resize import resize

    def vandal(lr, scale):
        out = resize(lr, scale)
        lr[...] = 0
        return out

    alone = evaluate("bicubic", hr_dir, [2]).mean("Toy", "bicubic", 2)
    both = evaluate([("vandal", vandal), "bicubic"], hr_dir, [2])
    assert both.ok
    assert both.mean("Toy", "bicubic", 2) == alone
    assert both.mean("Toy", "vandal", 2) == alone


def test_outputs_on_another_value_scale_are_failures(hr_dir):
    from classicsr.resize import resize

    def sixteen_bit(lr, scale):  # uint16 on 0..65535 for a uint8 set
        return resize(lr, scale).astype(np.uint16) * 257

    def unit_float(lr, scale):  # skimage's [0, 1] convention
        return resize(lr, scale).astype(np.float64) / 255

    res = evaluate([("u16", sixteen_bit), ("unit", unit_float), "bicubic"], hr_dir, [2])
    assert not res.records or {r["method"] for r in res.records} == {"bicubic"}
    errors = {f["method"]: f["error"] for f in res.failures}
    assert "outside the HR dtype uint8" in errors["u16"]
    assert "[0, 1] scale" in errors["unit"]
    assert len(res.failures) == 2 * 3  # every image, both methods


def test_two_sets_with_one_name_stay_apart(hr_dir, tmp_path):
    other = tmp_path / "elsewhere" / "Toy" / "HR"
    other.mkdir(parents=True)
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(other / "x.png")
    res = evaluate("bicubic", [hr_dir, other], [2])
    rows = {r["dataset"]: r["n"] for r in res.summary()}
    assert rows == {"Toy": 3, "Toy-2": 1}
