"""Files and the command line under faults (issue #9, "Files and CLI").

Bad inputs (corrupt, truncated, zero-byte, wrong extension, decompression bomb, unreadable),
read-only and full output folders, and Ctrl-C in the middle of a batch, across the commands
that write files (resize, deblur, upscale, misr, evaluate).  The rules checked every time:
the message names the file, the rest of a batch is still processed (except after Ctrl-C),
the exit code is non-zero, and no partial, temporary or overwritten output is left.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import struct
import zlib

import numpy as np
import pytest

import classicsr.io as cio
from classicsr.cli import main
from classicsr.io import ImageReadError, read_image, write_image

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- fixtures and file makers ---------------------------------------------------------------

@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(24, 32, 3), endpoint=True).astype(np.uint8)


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def bomb_png(width=100_000, height=100_000, bit_depth=8, color_type=2) -> bytes:
    """A valid PNG header announcing width x height pixels, with a tiny IDAT (a 'bomb')."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))


def bomb_tiff(width=50_000, height=50_000) -> bytes:
    """A little-endian baseline TIFF header for width x height 8-bit grey pixels, without the pixels."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 12 * 10 + 4), (277, 3, 1, 1), (278, 4, 1, height),
               (279, 4, 1, width * height), (284, 3, 1, 1)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3
                                                        else struct.pack("<I", value))
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + b"\x00" * 16


def make_bad(folder, kind, good_png_bytes, monkeypatch=None):
    """Write one bad input of the given kind into folder; return its path."""
    if kind == "corrupt":
        path = folder / "b.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    elif kind == "truncated":
        path = folder / "b.png"
        path.write_bytes(good_png_bytes[: len(good_png_bytes) // 2])
    elif kind == "zero-byte":
        path = folder / "b.png"
        path.write_bytes(b"")
    elif kind == "wrong-extension":  # a text file named like an image
        path = folder / "b.jpg"
        path.write_text("this is not a JPEG\n" * 20)
    elif kind == "bomb":
        path = folder / "b.png"
        path.write_bytes(bomb_png())
    elif kind == "directory":  # a folder where a file is expected: fails for root too
        path = folder / "b.png"
        path.mkdir()
    elif kind == "unreadable":
        path = folder / "b.png"
        path.write_bytes(good_png_bytes)
        path.chmod(0)
    elif kind == "permission-denied":  # EACCES on open, simulated: the same path for root
        path = folder / "b.png"
        path.write_bytes(good_png_bytes)
        real_open = open

        def deny(file, *args, **kwargs):
            if os.fspath(file) == os.fspath(path):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(cio, "open", deny, raising=False)
    else:  # pragma: no cover
        raise AssertionError(kind)
    return path


UNREADABLE = pytest.param("unreadable", marks=pytest.mark.skipif(
    ROOT, reason="root reads a chmod 000 file; 'permission-denied' simulates EACCES for root"))
BAD_KINDS = ["corrupt", "truncated", "zero-byte", "wrong-extension", "bomb", "permission-denied", UNREADABLE]

BATCH_COMMANDS = {
    "resize": ["--scale", "2"],
    "deblur": ["--psf", "gaussian:1", "--nsr", "0.01"],
    "upscale": ["--model", "bicubic", "--scale", "2"],
}


def _listing(folder):
    """All names in folder, hidden (temporary) files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _batch(tmp_path, rgb):
    """An input folder a.png, c.png (b is added by the tests) and an output folder path."""
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "a.png", rgb)
    write_image(src / "c.png", rgb[::-1].copy())
    return src, tmp_path / "out"


# --- bad inputs --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", BAD_KINDS + ["directory"])
def test_read_image_bad_file_names_it(tmp_path, rgb, monkeypatch, kind):
    good = write_image(tmp_path / "good.png", rgb).read_bytes()
    path = make_bad(tmp_path, kind, good, monkeypatch)
    with pytest.raises(ImageReadError) as info:
        read_image(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("suffix,dtype", [(".png", np.uint8), (".png", np.uint16), (".jpg", np.uint8),
                                          (".tif", np.uint8), (".tif", np.uint16), (".bmp", np.uint8)])
@pytest.mark.parametrize("keep", [0.3, 0.95])
def test_truncated_file_of_every_format_is_refused(tmp_path, suffix, dtype, keep):
    if dtype == np.uint16 and suffix == ".png":
        pytest.importorskip("cv2", reason="16-bit colour PNG is read by OpenCV")
    rng = np.random.default_rng(2)
    img = rng.integers(0, np.iinfo(dtype).max, size=(64, 64, 3), endpoint=True).astype(dtype)
    data = write_image(tmp_path / f"full{suffix}", img).read_bytes()
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ImageReadError) as info:  # never a silently half-black image
        read_image(path)
    assert str(path) in str(info.value)


def test_bomb_refused_from_the_header_before_decoding(tmp_path):
    png = tmp_path / "bomb.png"
    png.write_bytes(bomb_png())
    png16 = tmp_path / "bomb16.png"  # 16-bit colour goes to OpenCV: the header check comes first
    png16.write_bytes(bomb_png(40_000, 40_000, bit_depth=16, color_type=2))
    tif = tmp_path / "bomb.tif"
    tif.write_bytes(bomb_tiff())
    jpg = tmp_path / "bomb.jpg"  # a PNG named .jpg: recognised by content, refused all the same
    jpg.write_bytes(bomb_png())
    for path in (png, png16, tif, jpg):
        with pytest.raises(ImageReadError, match="decompression bomb") as info:
            read_image(path)
        assert str(path) in str(info.value) and "MAX_IMAGE_PIXELS" in str(info.value)


def test_bomb_limit_is_adjustable(tmp_path, rgb, monkeypatch):
    path = write_image(tmp_path / "a.png", rgb)
    monkeypatch.setattr(cio, "MAX_IMAGE_PIXELS", 24 * 32 - 1)
    with pytest.raises(ImageReadError, match="24 x 32"):
        read_image(path)
    monkeypatch.setattr(cio, "MAX_IMAGE_PIXELS", None)
    np.testing.assert_array_equal(read_image(path), rgb)


def test_bomb_limit_from_the_environment(tmp_path, rgb, monkeypatch, capsys):
    path = write_image(tmp_path / "a.png", rgb)  # 24 x 32 = 768 pixels
    monkeypatch.setenv("CLASSICSR_MAX_IMAGE_PIXELS", "700")
    with pytest.raises(ImageReadError, match="limit of 700"):
        read_image(path)
    monkeypatch.setattr(cio, "MAX_IMAGE_PIXELS", 100)
    for value in ("none", "0", "768"):  # the environment wins over the module attribute
        monkeypatch.setenv("CLASSICSR_MAX_IMAGE_PIXELS", value)
        np.testing.assert_array_equal(read_image(path), rgb)
    monkeypatch.setenv("CLASSICSR_MAX_IMAGE_PIXELS", "lots")
    with pytest.raises(ValueError, match="CLASSICSR_MAX_IMAGE_PIXELS"):
        read_image(path)
    # the command line follows the variable
    monkeypatch.setenv("CLASSICSR_MAX_IMAGE_PIXELS", "700")
    assert main(["resize", str(path), str(tmp_path / "out.png"), "--scale", "2", "-q"]) == 1
    assert "decompression bomb" in capsys.readouterr().err
    monkeypatch.setenv("CLASSICSR_MAX_IMAGE_PIXELS", "none")
    assert main(["resize", str(path), str(tmp_path / "out.png"), "--scale", "2", "-q"]) == 0


def test_wrong_extension_with_real_image_data_is_read_by_content(tmp_path, rgb):
    png_as_jpg = tmp_path / "really_png.jpg"
    png_as_jpg.write_bytes(write_image(tmp_path / "x.png", rgb).read_bytes())
    np.testing.assert_array_equal(read_image(png_as_jpg), rgb)
    img16 = (np.arange(24 * 32 * 3, dtype=np.uint16) * 80).reshape(24, 32, 3)
    tif_as_png = tmp_path / "really_tiff.png"
    tif_as_png.write_bytes(write_image(tmp_path / "x.tif", img16).read_bytes())
    back = read_image(tif_as_png)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, img16)


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("command", sorted(BATCH_COMMANDS))
def test_batch_with_a_bad_input(tmp_path, rgb, capsys, monkeypatch, command, kind):
    src, out = _batch(tmp_path, rgb)
    bad = make_bad(src, kind, (src / "a.png").read_bytes(), monkeypatch)
    # a folder input only picks image files; name every input so the bad one is really tried
    inputs = [str(src / "a.png"), str(bad), str(src / "c.png")]
    code = main([command, *inputs, str(out), *BATCH_COMMANDS[command], "-q", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert str(bad) in captured.err  # the message names the file
    report = json.loads(captured.out)
    assert report["exit_code"] == 1 and [f["file"] for f in report["failures"]] == [str(bad)]
    assert [r["input"] for r in report["results"]] == [str(src / "a.png"), str(src / "c.png")]
    assert _listing(out) == ["a.png", "c.png"]  # the rest was processed; nothing partial or hidden
    assert read_image(out / "c.png").shape[:2] == ((48, 64) if command != "deblur" else (24, 32))


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "zero-byte", "bomb", "permission-denied"])
def test_misr_with_a_bad_frame(tmp_path, rgb, capsys, monkeypatch, kind):
    frames = [write_image(tmp_path / f"f{k}.png", np.roll(rgb[..., 0], k, axis=1)) for k in range(3)]
    bad = make_bad(tmp_path, kind, frames[0].read_bytes(), monkeypatch)
    out = tmp_path / "sr.png"
    code = main(["misr", *map(str, frames), str(bad), str(out), "--scale", "2", "--method", "mean", "-q"])
    assert code == 1
    assert str(bad) in capsys.readouterr().err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "zero-byte", "bomb", "permission-denied"])
def test_evaluate_with_a_bad_hr_image(tmp_path, rgb, capsys, monkeypatch, kind):
    hr = tmp_path / "Toy"
    hr.mkdir()
    write_image(hr / "a.png", rgb)
    write_image(hr / "c.png", rgb[::-1].copy())
    bad = make_bad(hr, kind, (hr / "a.png").read_bytes(), monkeypatch)
    csv_path = tmp_path / "scores.csv"
    code = main(["evaluate", str(hr), "--scale", "2", "--csv", str(csv_path), "-q", "--json"])
    captured = capsys.readouterr()
    assert code == 1 and bad.name in captured.err
    report = json.loads(captured.out)
    assert report["summary"][0]["n"] == 2  # the two good images were scored
    assert len(csv_path.read_text().splitlines()) == 1 + 2


# --- read-only output folders ----------------------------------------------------------------

def _deny_mkstemp(monkeypatch):
    """Every temporary file in an output folder fails as in a read-only folder (works as root too)."""
    def mkstemp(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(cio.tempfile, "mkstemp", mkstemp)


@pytest.mark.parametrize("command", sorted(BATCH_COMMANDS))
def test_batch_into_read_only_folder(tmp_path, rgb, capsys, monkeypatch, command):
    src, out = _batch(tmp_path, rgb)
    out.mkdir()
    _deny_mkstemp(monkeypatch)
    code = main([command, str(src), str(out), *BATCH_COMMANDS[command], "-q"])
    err = capsys.readouterr().err
    assert code == 1
    for name in ("a.png", "c.png"):  # each file is tried and reported with its output path
        assert f"cannot write {out / name}" in err
    assert "writable" in err and _listing(out) == []


@pytest.mark.skipif(ROOT, reason="root may write into a chmod 555 folder; the monkeypatched test covers it")
def test_resize_into_really_read_only_folder(tmp_path, rgb, capsys):
    src, out = _batch(tmp_path, rgb)
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(["resize", str(src), str(out), "--scale", "2", "-q"]) == 1
        assert f"cannot write {out / 'a.png'}" in capsys.readouterr().err
        assert _listing(out) == []
    finally:
        out.chmod(0o755)


def test_output_folder_cannot_be_created(tmp_path, rgb, capsys):
    src, _ = _batch(tmp_path, rgb)
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    out = blocker / "sub"  # mkdir fails for root too
    assert main(["resize", str(src), str(out), "--scale", "2", "-q"]) == 1
    assert f"cannot create the output folder {out}" in capsys.readouterr().err


def test_misr_and_evaluate_into_read_only_folder(tmp_path, rgb, capsys, monkeypatch):
    frames = [write_image(tmp_path / f"f{k}.png", np.roll(rgb[..., 0], k, axis=1)) for k in range(3)]
    hr = tmp_path / "Toy"
    hr.mkdir()
    write_image(hr / "a.png", rgb)
    _deny_mkstemp(monkeypatch)
    out = tmp_path / "sr.png"
    assert main(["misr", *map(str, frames), str(out), "--scale", "2", "--method", "mean", "-q"]) == 1
    assert f"cannot write {out}" in capsys.readouterr().err and not out.exists()
    csv_path = tmp_path / "scores.csv"
    saved = tmp_path / "saved"
    code = main(["evaluate", str(hr), "--scale", "2", "--csv", str(csv_path), "--save-images", str(saved), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and f"cannot write {csv_path}" in err and "cannot save" in err
    assert not csv_path.exists() and not list(saved.rglob("*.png"))


# --- a full disk ----------------------------------------------------------------------------

def _full_disk(monkeypatch, fail_on=lambda call: True):
    """The data write of classicsr.io.write_bytes fails with ENOSPC (flush/fsync is where a full
    disk shows); ``fail_on(call_number)`` picks which writes fail."""
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync(fd):
        calls["n"] += 1
        if fail_on(calls["n"]):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(cio.os, "fsync", fsync)


@pytest.mark.parametrize("command", sorted(BATCH_COMMANDS))
def test_batch_on_a_full_disk(tmp_path, rgb, capsys, monkeypatch, command):
    src, out = _batch(tmp_path, rgb)
    write_image(src / "b.png", rgb[:, ::-1].copy())
    out.mkdir()
    write_image(out / "b.png", rgb[:4, :4].copy())  # an existing output that must survive --overwrite
    before = (out / "b.png").read_bytes()
    _full_disk(monkeypatch, fail_on=lambda n: n == 2)  # the disk is full while b.png is written
    code = main([command, str(src), str(out), *BATCH_COMMANDS[command], "--overwrite", "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot write {out / 'b.png'}" in err and "No space left on device" in err
    assert _listing(out) == ["a.png", "b.png", "c.png"]  # no temporary file left behind
    assert (out / "b.png").read_bytes() == before  # the old file is intact, not half-replaced
    assert read_image(out / "c.png") is not None  # the batch went on after the failure


def test_misr_and_evaluate_on_a_full_disk(tmp_path, rgb, capsys, monkeypatch):
    frames = [write_image(tmp_path / f"f{k}.png", np.roll(rgb[..., 0], k, axis=1)) for k in range(3)]
    hr = tmp_path / "Toy"
    hr.mkdir()
    write_image(hr / "a.png", rgb)
    names = sorted(p.name for p in tmp_path.iterdir())
    _full_disk(monkeypatch)
    out = tmp_path / "sr.png"
    assert main(["misr", *map(str, frames), str(out), "--scale", "2", "--method", "mean", "-q"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {out}" in err and "No space left" in err
    csv_path = tmp_path / "scores.csv"
    assert main(["evaluate", str(hr), "--scale", "2", "--csv", str(csv_path), "-q"]) == 1
    assert f"cannot write {csv_path}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no output, no temporary file


# --- Ctrl-C in the middle of a batch ---------------------------------------------------------

def _interrupt_fsync(monkeypatch, on_call=2):
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] == on_call:
            raise KeyboardInterrupt
        return real_fsync(fd)

    monkeypatch.setattr(cio.os, "fsync", fsync)


@pytest.mark.parametrize("command", sorted(BATCH_COMMANDS))
def test_ctrl_c_while_writing_the_second_file(tmp_path, rgb, capsys, monkeypatch, command):
    src, out = _batch(tmp_path, rgb)
    write_image(src / "b.png", rgb[:, ::-1].copy())
    _interrupt_fsync(monkeypatch, on_call=2)
    code = main([command, str(src), str(out), *BATCH_COMMANDS[command], "-q"])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert _listing(out) == ["a.png"]  # b.png half-written: removed with its temp file; c.png never started
    assert read_image(out / "a.png").shape[2] == 3  # the first file is complete


def test_ctrl_c_while_computing_the_second_file(tmp_path, rgb, capsys, monkeypatch):
    src, out = _batch(tmp_path, rgb)
    write_image(src / "b.png", rgb[:, ::-1].copy())
    module = importlib.import_module("classicsr.resize")
    real, calls = module.resize, {"n": 0}

    def resize(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "resize", resize)
    assert main(["resize", str(src), str(out), "--scale", "2", "-q"]) == 130
    assert _listing(out) == ["a.png"]


def test_ctrl_c_during_misr_and_evaluate_writes(tmp_path, rgb, capsys, monkeypatch):
    frames = [write_image(tmp_path / f"f{k}.png", np.roll(rgb[..., 0], k, axis=1)) for k in range(3)]
    hr = tmp_path / "Toy"
    hr.mkdir()
    write_image(hr / "a.png", rgb)
    names = sorted(p.name for p in tmp_path.iterdir())
    _interrupt_fsync(monkeypatch, on_call=1)
    out = tmp_path / "sr.png"
    assert main(["misr", *map(str, frames), str(out), "--scale", "2", "--method", "mean", "-q"]) == 130
    _interrupt_fsync(monkeypatch, on_call=1)
    csv_path = tmp_path / "scores.csv"
    assert main(["evaluate", str(hr), "--scale", "2", "--csv", str(csv_path), "-q"]) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == names


@pytest.mark.parametrize("signame,code,word", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_signal_in_a_real_process_leaves_no_partial_file(tmp_path, rgb, signame, code, word):
    """SIGINT (Ctrl-C) or SIGTERM to a real ``classicsr resize`` while it writes its second file."""
    import subprocess
    import sys

    src, out = _batch(tmp_path, rgb)
    write_image(src / "b.png", rgb[:, ::-1].copy())
    # The child pauses inside the second fsync so the signal arrives mid-write, deterministically.
    # It starts with Python's own SIGINT handler, as under a terminal: a test run started in the
    # background by a non-interactive shell has SIGINT ignored, and children inherit that.
    child = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import classicsr.io as cio\n"
        "real, n = os.fsync, [0]\n"
        "def fsync(fd):\n"
        "    n[0] += 1\n"
        "    if n[0] == 2:\n"
        f"        os.kill(os.getpid(), signal.{signame}); time.sleep(5)\n"
        "    return real(fd)\n"
        "cio.os.fsync = fsync\n"
        "from classicsr.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", child, "resize", str(src), str(out), "--scale", "2", "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == code, proc.stderr
    assert word in proc.stderr
    assert _listing(out) == ["a.png"]  # no b.png, no hidden temporary file, c.png never started


def test_sigterm_handler_is_restored_after_main(tmp_path, rgb):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    src = write_image(tmp_path / "a.png", rgb)
    assert main(["resize", str(src), str(tmp_path / "b.png"), "--scale", "2", "-q"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before


# --- outputs are never overwritten by accident ----------------------------------------------

def test_batch_never_overwrites_without_flag(tmp_path, rgb, capsys):
    src, out = _batch(tmp_path, rgb)
    out.mkdir()
    (out / "a.png").write_bytes(b"precious")
    assert main(["resize", str(src), str(out), "--scale", "2", "-q"]) == 1
    assert "exists" in capsys.readouterr().err
    assert (out / "a.png").read_bytes() == b"precious" and _listing(out) == ["a.png", "c.png"]


def test_batch_refuses_two_inputs_with_one_output_name(tmp_path, rgb, capsys):
    for d in ("d1", "d2"):
        (tmp_path / d).mkdir()
        write_image(tmp_path / d / "x.png", rgb)
    out = tmp_path / "out"
    code = main(["resize", str(tmp_path / "d1" / "x.png"), str(tmp_path / "d2" / "x.png"), str(out),
                 "--scale", "2", "--overwrite", "-q"])
    assert code == 2 and "both be written" in capsys.readouterr().err
    assert _listing(out) == []


def test_output_is_its_own_input_refused(tmp_path, rgb, capsys):
    path = write_image(tmp_path / "a.png", rgb)
    before = path.read_bytes()
    assert main(["resize", str(path), str(path), "--scale", "2", "--overwrite", "-q"]) == 2
    assert "input file itself" in capsys.readouterr().err and path.read_bytes() == before
