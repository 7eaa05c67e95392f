"""Image I/O and the command line (classicsr resize, classicsr demo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from classicsr import resize
from classicsr.cli import main
from classicsr.io import ImageReadError, read_image, write_image


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(20, 30, 3), endpoint=True).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".bmp"])
def test_roundtrip_lossless_8bit(tmp_path, rgb, suffix):
    path = write_image(tmp_path / f"a{suffix}", rgb)
    np.testing.assert_array_equal(read_image(path), rgb)
    np.testing.assert_array_equal(read_image(write_image(tmp_path / f"g{suffix}", rgb[..., 0])), rgb[..., 0])


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("channels", [None, 2, 3, 4])
def test_16bit_stays_16bit(tmp_path, suffix, channels):
    rng = np.random.default_rng(1)
    shape = (9, 7) if channels is None else (9, 7, channels)
    img = rng.integers(0, 65535, size=shape, endpoint=True).astype(np.uint16)
    back = read_image(write_image(tmp_path / f"x{suffix}", img))
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, img)


def test_cmyk_jpeg_is_read_as_rgb(tmp_path):
    from PIL import Image

    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 50, 10
    path = tmp_path / "print.jpg"
    Image.fromarray(rgb).convert("CMYK").save(path, quality=100)
    with Image.open(path) as im:
        assert im.mode == "CMYK"
        expected = np.asarray(im.convert("RGB"))
    back = read_image(path)
    assert back.shape == (16, 16, 3)
    np.testing.assert_array_equal(back, expected)
    assert np.abs(back.astype(int) - rgb).max() <= 3


def test_16bit_png_readable_by_pillow(tmp_path):
    from PIL import Image

    img = (np.arange(12, dtype=np.uint16) * 5000).reshape(3, 4)
    write_image(tmp_path / "g.png", img)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "g.png")).astype(np.uint16), img)


def test_write_refuses_overwrite_and_leaves_no_temp(tmp_path, rgb):
    path = write_image(tmp_path / "a.png", rgb)
    with pytest.raises(FileExistsError, match="overwrite"):
        write_image(path, rgb[::-1])
    np.testing.assert_array_equal(read_image(path), rgb)
    write_image(path, rgb[::-1].copy(), overwrite=True)
    np.testing.assert_array_equal(read_image(path), rgb[::-1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_write_errors(tmp_path, rgb):
    with pytest.raises(TypeError, match="uint8 or uint16"):
        write_image(tmp_path / "f.png", rgb.astype(np.float32))
    with pytest.raises(ValueError, match="suffix"):
        write_image(tmp_path / "f.xyz", rgb)
    with pytest.raises(ValueError, match="16-bit"):
        write_image(tmp_path / "f.jpg", rgb.astype(np.uint16))
    with pytest.raises(FileNotFoundError, match="folder"):
        write_image(tmp_path / "nope" / "f.png", rgb)


def test_read_errors_name_the_file(tmp_path, rgb):
    good = write_image(tmp_path / "good.png", rgb)
    trunc = tmp_path / "trunc.png"
    trunc.write_bytes(good.read_bytes()[:80])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "text.png"
    text.write_text("not an image")
    for path, words in [(trunc, "trunc.png"), (empty, "empty"), (text, "text.png"),
                        (tmp_path / "missing.png", "no such file"), (tmp_path, "directory")]:
        with pytest.raises(ImageReadError) as info:
            read_image(path)
        assert words in str(info.value) and str(path) in str(info.value)


def test_exif_orientation_applied(tmp_path):
    from PIL import Image

    img = np.zeros((10, 20, 3), np.uint8)
    img[:, :5] = 255  # left band
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    Image.fromarray(img).save(tmp_path / "o.jpg", exif=exif, quality=95)
    out = read_image(tmp_path / "o.jpg")
    assert out.shape[:2] == (20, 10)
    assert out[:5].mean() > 200 and out[-5:].mean() < 50  # the band is now on top


def _png_with_exif(png: bytes, exif: bytes) -> bytes:
    # an eXIf chunk before the first IDAT (PNG 1.5), as cameras and Pillow write it
    import struct
    import zlib

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    i = png.index(b"IDAT") - 4
    return png[:i] + chunk(b"eXIf", exif) + png[i:]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_of_16bit_png_and_tiff_as_pillow_applies_it(tmp_path, orientation):
    import tifffile
    from PIL import Image, ImageOps

    from classicsr.io import _png16_bytes

    rng = np.random.default_rng(orientation)
    img16 = rng.integers(0, 65536, (4, 6, 3), dtype=np.uint16)
    img8 = (img16 >> 8).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    with Image.fromarray(img8) as im:  # the reference: Pillow's own transpose of the 8-bit image
        im.info["exif"] = exif.tobytes()
        expected8 = np.asarray(ImageOps.exif_transpose(im.copy()))
    raw = exif.tobytes()
    raw = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    (tmp_path / "o16.png").write_bytes(_png_with_exif(_png16_bytes(img16), raw))
    tifffile.imwrite(tmp_path / "o16.tif", img16, photometric="rgb",
                     extratags=[(274, "H", 1, orientation, True)])
    for name in ("o16.png", "o16.tif"):
        out = read_image(tmp_path / name)
        assert out.dtype == np.uint16
        np.testing.assert_array_equal((out >> 8).astype(np.uint8), expected8)


def test_tiff_layouts(tmp_path):
    import tifffile

    rng = np.random.default_rng(0)
    planar = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "planar.tif", planar, photometric="rgb", planarconfig="separate")
    np.testing.assert_array_equal(read_image(tmp_path / "planar.tif"), np.moveaxis(planar, 0, -1))
    stack = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")  # 3 pages
    with pytest.raises(ImageReadError, match="not a single 2-D image"):
        read_image(tmp_path / "stack.tif")
    for c in (2, 4):  # alpha written as an extra sample: one page of (H, W, c) for any reader
        path = write_image(tmp_path / f"a{c}.tif", rng.integers(0, 256, (5, 7, c), dtype=np.uint8))
        with tifffile.TiffFile(path) as tif:
            assert tif.series[0].axes == "YXS" and len(tif.pages) == 1


def test_alpha_is_not_dropped_silently(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    for suffix in (".bmp", ".jpg"):
        with pytest.raises(ValueError, match="no alpha channel"):
            write_image(tmp_path / f"x{suffix}", rgba)
        with pytest.raises(ValueError, match="no alpha channel"):
            write_image(tmp_path / f"y{suffix}", rgba[..., :2])
    assert list(tmp_path.iterdir()) == []


def test_long_file_names_write(tmp_path):
    name = "n" * (250 - len(".png")) + ".png"  # 250 characters: valid on common file systems
    out = write_image(tmp_path / name, np.zeros((2, 2), np.uint8))
    assert out.name == name and [p.name for p in tmp_path.iterdir()] == [name]


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_resize_file(tmp_path, rgb, capsys):
    src = write_image(tmp_path / "in.png", rgb)
    dst = tmp_path / "out.png"
    assert main(["resize", str(src), str(dst), "--scale", "2", "--method", "lanczos3", "-q"]) == 0
    np.testing.assert_array_equal(read_image(dst), resize(rgb, 2, method="lanczos3"))
    # no overwrite without --overwrite: exit 1, file untouched
    before = dst.read_bytes()
    assert main(["resize", str(src), str(dst), "--scale", "3", "-q"]) == 1
    assert "exists" in capsys.readouterr().err
    assert dst.read_bytes() == before
    assert main(["resize", str(src), str(dst), "--scale", "1/2", "--overwrite", "-q"]) == 0
    assert read_image(dst).shape == (10, 15, 3)


def test_cli_resize_batch_continues_after_bad_file(tmp_path, rgb, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    write_image(folder / "a.png", rgb)
    (folder / "b.png").write_bytes(b"\x89PNG broken")
    write_image(folder / "c.png", rgb[:10])
    out = tmp_path / "out"
    code = main(["resize", str(folder), str(out), "--size", "8", "9", "-q"])
    assert code == 1
    err = capsys.readouterr().err
    assert "b.png" in err
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
    assert read_image(out / "c.png").shape == (8, 9, 3)


def test_cli_resize_glob(tmp_path, rgb):
    for n in "ab":
        write_image(tmp_path / f"{n}.png", rgb)
    out = tmp_path / "o"
    assert main(["resize", str(tmp_path / "*.png"), str(out), "--scale", "0.5", "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]


@pytest.mark.parametrize("argv", [
    ["resize", "a.png", "b.png", "--scale", "0"],
    ["resize", "a.png", "b.png", "--scale", "x"],
    ["resize", "a.png", "--scale", "2"],
    ["resize", "a.png", "b.png", "--size", "0", "3"],
    ["resize", "nomatch*.png", "out", "--scale", "2"],
])
def test_cli_usage_errors_exit_2(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2


def test_cli_argparse_usage_error_exit_2():
    with pytest.raises(SystemExit) as info:
        main(["resize", "a.png", "b.png", "--method", "cubic", "--scale", "2"])
    assert info.value.code == 2


def test_python_m_classicsr_help():
    proc = subprocess.run([sys.executable, "-m", "classicsr", "resize", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "examples:" in proc.stdout


def test_demo_writes_results_and_refuses_overwrite(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--output", str(out), "--json", "--quiet", "--scale", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["demo_comparison.png", "demo_misr_deblur.png", "demo_results.csv", "demo_results.json"]
    assert report["command"] == "demo" and report["exit_code"] == 0 and report["failures"] == []
    rows = {(r["image"], r["method"]): r for r in report["results"]}
    # Sanity against independent expectations: bicubic beats nearest on natural images at x4,
    # and the PSNR matches skimage's formula on the Y channel computed here.
    for image in ("astronaut", "camera", "coffee"):
        assert rows[image, "bicubic"]["psnr"] > rows[image, "nearest"]["psnr"]
        assert 0 < rows[image, "bicubic"]["ssim"] < 1
    from skimage import data

    hr = data.astronaut()[:512 - 512 % 4, :512 - 512 % 4]
    sr = resize(resize(hr, 0.25, boundary="replicate"), 4)

    def y(img):  # MATLAB rgb2ycbcr's uint8 path: T = (1/255) * origT; imlincomb(T, rgb, 16), rounded
        img = img.astype(np.float64)
        k = 1 / 255
        v = img[..., 0] * (k * 65.481) + img[..., 1] * (k * 128.553) + img[..., 2] * (k * 24.966) + 16
        return np.floor(v + 0.5)[4:-4, 4:-4]

    expected = 10 * np.log10(255 ** 2 / np.mean((y(hr) - y(sr)) ** 2))
    assert abs(rows["astronaut", "bicubic"]["psnr"] - expected) < 1e-9
    assert read_image(out / "demo_comparison.png").ndim == 3
    # multi-frame SR and deblurring improve on their single-frame / blurred baselines
    assert rows["camera crop", "MISR Tikhonov, 8 frames"]["psnr"] > rows["camera crop", "bicubic (frame 0)"]["psnr"] + 2
    assert rows["camera", "Wiener, automatic NSR"]["psnr"] > rows["camera", "blurred (sigma 2, noise 0.01)"]["psnr"] + 1
    stamp = os.stat(out / "demo_results.csv").st_mtime_ns
    assert main(["demo", "--output", str(out), "--quiet"]) == 1
    assert os.stat(out / "demo_results.csv").st_mtime_ns == stamp


def test_palette_transparency_becomes_alpha(tmp_path):
    from PIL import Image

    idx = np.array([[0, 1], [1, 0]], np.uint8)
    im = Image.fromarray(idx, mode="P")
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    im.save(tmp_path / "p.png", transparency=0)  # index 0 fully transparent
    with Image.open(tmp_path / "p.png") as ref:
        expected = np.asarray(ref.convert("RGBA"))
    out = read_image(tmp_path / "p.png")
    np.testing.assert_array_equal(out, expected)
    assert out[0, 0, 3] == 0 and out[0, 1, 3] == 255
