"""Test-set folders: listing, reading (alpha, gray, broken files), HR/LR pairing and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from classicsr.datasets import (DatasetError, SRDataset, dataset_name, find_lr_file, list_images,
                                load_image)


def _write(path, array):
    Image.fromarray(array).save(path)
    return path


@pytest.fixture()
def rgb():
    return np.random.default_rng(0).integers(0, 256, (13, 14, 3), dtype=np.uint8)


def test_list_images_sorted_and_filtered(tmp_path, rgb):
    for name in ("b.png", "a.BMP", "c.jpg", ".hidden.png"):
        _write(tmp_path / name, rgb)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.BMP", "b.png", "c.jpg"]
    with pytest.raises(DatasetError, match="does not exist"):
        list_images(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="holds no images"):
        list_images(empty)


def test_dataset_name(tmp_path):
    assert dataset_name(tmp_path / "Set5" / "HR") == "Set5"
    assert dataset_name(tmp_path / "photos") == "photos"


def test_load_image_alpha_dropped_and_gray(tmp_path, rgb):
    alpha = np.full(rgb.shape[:2] + (1,), 7, np.uint8)
    rgba = np.concatenate([rgb, alpha], axis=2)
    out = load_image(_write(tmp_path / "rgba.png", rgba))
    np.testing.assert_array_equal(out, rgb)  # alpha dropped, colour not composited
    la = np.stack([rgb[..., 0], alpha[..., 0]], axis=2)
    np.testing.assert_array_equal(load_image(_write(tmp_path / "la.png", la)), rgb[..., 0])
    gray = load_image(_write(tmp_path / "g.png", rgb[..., 1]))
    assert gray.shape == rgb.shape[:2]


def test_load_image_truncated_names_file(tmp_path, rgb):
    good = _write(tmp_path / "x.png", rgb)
    bad = tmp_path / "broken.png"
    bad.write_bytes(good.read_bytes()[:60])
    with pytest.raises(DatasetError, match="broken.png"):
        load_image(bad)


def test_on_the_fly_pair(tmp_path, rgb):
    from classicsr.degrade import downsample

    _write(tmp_path / "a.png", rgb)
    ds = SRDataset(tmp_path)
    pair = ds.pair(0, 3)
    np.testing.assert_array_equal(pair.hr, rgb[:12, :12])
    np.testing.assert_array_equal(pair.lr, downsample(rgb[:12, :12], 3))
    assert pair.lr_path is None and pair.name == "a" and len(ds) == 1 and ds.names == ["a"]


def test_given_lr_layouts(tmp_path, rgb):
    hr_dir = tmp_path / "HR"
    hr_dir.mkdir()
    _write(hr_dir / "a.png", rgb)
    lr = rgb[:6, :7]  # shape of modcrop(hr, 2) // 2
    (tmp_path / "LR" / "X2").mkdir(parents=True)
    _write(tmp_path / "LR" / "X2" / "a.png", lr)
    flat = tmp_path / "flat"
    flat.mkdir()
    _write(flat / "ax2.png", lr)  # DIV2K naming, no X2 sub-folder
    for lr_dir in (tmp_path / "LR", flat):
        pair = SRDataset(hr_dir, lr_dir).pair(0, 2)
        np.testing.assert_array_equal(pair.lr, lr)
        np.testing.assert_array_equal(pair.hr, rgb[:12, :14])
    assert find_lr_file(tmp_path / "LR", 3, "a") is None


def test_given_lr_errors_name_file_and_shapes(tmp_path, rgb):
    hr_dir = tmp_path / "HR"
    hr_dir.mkdir()
    _write(hr_dir / "a.png", rgb)
    lr_dir = tmp_path / "LR"
    (lr_dir / "X2").mkdir(parents=True)
    _write(lr_dir / "X2" / "a.png", rgb[:5, :7])
    ds = SRDataset(hr_dir, lr_dir)
    with pytest.raises(DatasetError, match=r"a\.png: LR shape \(5, 7, 3\).*\(13, 14, 3\).*\(6, 7, 3\)"):
        ds.pair(0, 2)
    with pytest.raises(DatasetError, match="no x3 LR file named a"):
        ds.pair(0, 3)
    with pytest.raises(DatasetError, match="LR folder .* does not exist"):
        SRDataset(hr_dir, tmp_path / "nope")


def test_benchmark_pairs_on_the_fly_equal_given(shared_data):
    # Set14 includes a grayscale image (bridge) and odd sizes; both ways must agree exactly.
    hr_dir = shared_data / "Set14" / "HR"
    fly = SRDataset(hr_dir)
    given = SRDataset(hr_dir, shared_data / "Set14" / "LR_bicubic")
    for i in (fly.names.index("bridge"), fly.names.index("comic")):
        for s in (3, 4):
            a, b = fly.pair(i, s), given.pair(i, s)
            np.testing.assert_array_equal(a.hr, b.hr)
            np.testing.assert_array_equal(a.lr, b.lr)
    assert fly.pair(fly.names.index("bridge"), 2).hr.ndim == 2
