"""classicsr.dask: TIFF/Zarr streaming, resize_file, chunked neural upscaling, and the
distributed evaluation (identical numbers to classicsr.evaluate)."""

from __future__ import annotations

import numpy as np
import pytest

import classicsr

da = pytest.importorskip("dask.array")
cdask = pytest.importorskip("classicsr.dask")


def _img(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# ---------------------------------------------------------------------------------- TIFF
@pytest.mark.parametrize("shape", [(70, 50, 3), (45, 33)])
def test_tiff_roundtrip_against_tifffile(tmp_path, shape):
    tifffile = pytest.importorskip("tifffile")
    img = _img(shape)
    cdask.write_tiff(da.from_array(img, chunks=17), tmp_path / "a.tif", tile=(16, 32))
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "a.tif"), img)  # read by the peer
    tifffile.imwrite(tmp_path / "b.tif", img, tile=(32, 16))                  # written by the peer
    lazy = cdask.read_tiff(tmp_path / "b.tif")
    assert isinstance(lazy, da.Array) and lazy.chunks[0][0] == 32
    np.testing.assert_array_equal(lazy.compute(), img)
    with pytest.raises(FileExistsError):
        cdask.write_tiff(img, tmp_path / "a.tif")
    with pytest.raises(ValueError, match="tile"):
        cdask.write_tiff(img, tmp_path / "c.tif", tile=(10, 16))


@pytest.mark.parametrize("src_ext,dst_ext,scale,method", [
    (".tif", ".tif", 2, "bicubic"), (".tif", ".zarr", 1.5, "lanczos3"),
    (".zarr", ".tiff", 0.5, "bicubic"), (".zarr", ".zarr", 3, "bilinear")])
def test_resize_file_equals_in_memory(tmp_path, src_ext, dst_ext, scale, method):
    tifffile = pytest.importorskip("tifffile")
    img = _img((61, 47, 3), seed=3)
    src, dst = tmp_path / f"in{src_ext}", tmp_path / f"out{dst_ext}"
    if src_ext == ".zarr":
        cdask.write_zarr(da.from_array(img, chunks=(20, 20, 3)), src)
    else:
        tifffile.imwrite(src, img, tile=(16, 16))
    cdask.resize_file(src, dst, scale, chunks=13, method=method)
    got = tifffile.imread(dst) if dst_ext != ".zarr" else da.from_zarr(str(dst)).compute()
    np.testing.assert_array_equal(got, classicsr.resize(img, scale, method=method))
    with pytest.raises(FileExistsError):
        cdask.resize_file(src, dst, scale)


# ---------------------------------------------------------------------------------- torch
def test_upscale_torch_equals_in_memory():
    torch = pytest.importorskip("torch")
    nn = pytest.importorskip("classicsr.nn")
    from classicsr.nn.models import ESPCN

    torch.manual_seed(0)
    up = nn.TorchUpscaler(ESPCN(2, 3), color="rgb")
    x = np.random.default_rng(0).random((50, 44, 3)).astype(np.float32)
    ref = up(x)
    # ESPCN's receptive-field radius is 2 + 1 + 1 = 4 LR pixels (5x5, 3x3, 3x3 convolutions)
    for chunks in [(25, 22, 3), (13, 30, 3), (50, 7, 3)]:
        y = cdask.upscale(da.from_array(x, chunks=chunks), up, halo=4)
        got = y.compute(scheduler="sync")
        assert got.shape == ref.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, ref, atol=2e-6)
    bad = cdask.upscale(da.from_array(x, chunks=(25, 22, 3)), up, halo=0).compute(scheduler="sync")
    assert np.abs(bad - ref).max() > 1e-3  # context matters: the halo is not decorative
    with pytest.raises(TypeError, match="upscaler"):
        cdask.upscale(x, lambda a: a)


# ---------------------------------------------------------------------------------- distributed
def _same_numbers(a, b):
    assert len(a.records) == len(b.records) > 0
    for r, s in zip(a.records, b.records):
        r, s = dict(r), dict(s)
        r.pop("seconds"), s.pop("seconds")
        assert r == s
    assert a.failures == b.failures


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    from classicsr.io import write_image

    d = tmp_path_factory.mktemp("set")
    for k, shape in enumerate([(48, 40, 3), (36, 36), (30, 54, 3)]):
        write_image(d / f"im{k}.png", _img(shape, seed=10 + k))
    return d


def test_evaluate_distributed_identical_numbers(tiny_set):
    pytest.importorskip("distributed")
    kw = dict(metrics=("psnr", "ssim"))
    ref = classicsr.evaluate(["nearest", "bicubic"], tiny_set, scales=[2, 3], **kw)
    got = cdask.evaluate_distributed(["nearest", "bicubic"], tiny_set, scales=[2, 3], workers=2,
                                     processes=False, **kw)
    _same_numbers(ref, got)
    strip = [{k: v for k, v in row.items() if "second" not in k} for row in ref.summary()]
    assert strip == [{k: v for k, v in row.items() if "second" not in k} for row in got.summary()]


def test_evaluate_distributed_set5(shared_data):
    pytest.importorskip("distributed")
    hr = shared_data / "Set5" / "HR"
    ref = classicsr.evaluate(["bicubic"], hr, scales=[2, 4])
    got = cdask.evaluate_distributed(["bicubic"], hr, scales=[2, 4], workers=2, processes=False)
    _same_numbers(ref, got)


def test_evaluate_distributed_refuses_figure(tiny_set):
    with pytest.raises(ValueError, match="figure"):
        cdask.evaluate_distributed(["bicubic"], tiny_set, scales=[2], figure="x.png")
