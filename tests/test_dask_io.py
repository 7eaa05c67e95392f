"""classicsr.dask: TIFF/Zarr streaming, resize_file, chunked neural upscaling, and the
distributed evaluation (identical numbers to classicsr.evaluate)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

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


def _failing(shape, chunks, exc, dtype=np.uint8):
    """A dask array whose block (1, 0) raises ``exc`` when computed."""
    def block(b, block_info=None):
        if block_info[0]["chunk-location"][:2] == (1, 0):
            raise exc("block (1, 0) failed")
        return b

    return da.from_array(_img(shape), chunks=chunks).map_blocks(
        block, dtype=dtype, meta=np.empty((0, 0), dtype=dtype))


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("kind", ["tif", "zarr"])
@pytest.mark.parametrize("existing", [False, True])
def test_failed_write_leaves_no_temporary_and_no_target(tmp_path, exc, kind, existing):
    """A block that raises mid-stream: no temporary is left, and the target is absent (or,
    with overwrite=True, the old one is untouched)."""
    tifffile = pytest.importorskip("tifffile")
    old = _img((32, 32), seed=5)
    dst = tmp_path / f"out.{kind}"
    if existing:
        (tifffile.imwrite(dst, old) if kind == "tif" else
         cdask.write_zarr(da.from_array(old, chunks=16), dst))
    before = sorted(p.name for p in tmp_path.iterdir())
    y = _failing((64, 48), 16, exc)
    with pytest.raises(exc, match="failed"):
        if kind == "tif":
            cdask.write_tiff(y, dst, tile=(16, 16), scheduler="sync", overwrite=existing)
        else:
            import dask

            with dask.config.set(scheduler="sync"):
                cdask.write_zarr(y, dst, overwrite=existing)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if existing:
        got = tifffile.imread(dst) if kind == "tif" else cdask.read_zarr(dst).compute()
        np.testing.assert_array_equal(got, old)


@pytest.mark.parametrize("kind", ["tif", "zarr"])
def test_write_touches_no_other_file(tmp_path, kind):
    """Files named like the old fixed temporary (``out.tif.partial``) are the user's: left as
    they were.  Replacing works, and leaves only the target behind."""
    tifffile = pytest.importorskip("tifffile")
    dst = tmp_path / f"out.{kind}"
    mine = {tmp_path / f"out.{kind}.partial": b"precious user data",
            tmp_path / f".out.{kind}.partial": b"also mine"}
    for p, data in mine.items():
        p.write_bytes(data)
    for k, seed in enumerate([1, 2]):  # create, then replace
        img = _img((40, 24, 3), seed=seed)
        if kind == "tif":
            cdask.write_tiff(da.from_array(img, chunks=13), dst, tile=(16, 16), overwrite=k == 1)
            got = tifffile.imread(dst)
        else:
            cdask.write_zarr(da.from_array(img, chunks=13), dst, overwrite=k == 1)
            got = cdask.read_zarr(dst).compute()
        np.testing.assert_array_equal(got, img)
        assert sorted(tmp_path.iterdir()) == sorted([dst, *mine])
        assert all(p.read_bytes() == data for p, data in mine.items())
    with pytest.raises(FileExistsError, match="overwrite=True"):
        (cdask.write_tiff(img, dst) if kind == "tif" else cdask.write_zarr(da.from_array(img), dst))


def test_write_into_missing_folder_names_the_target(tmp_path):
    dst = tmp_path / "nodir" / "out.tif"
    with pytest.raises(FileNotFoundError, match=r"cannot write .*nodir.out\.tif: folder"):
        cdask.write_tiff(_img((16, 16)), dst, tile=(16, 16))
    with pytest.raises(FileNotFoundError, match="nodir"):
        cdask.write_zarr(da.from_array(_img((16, 16))), tmp_path / "nodir" / "out.zarr")
    assert list(tmp_path.iterdir()) == []


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


@pytest.mark.parametrize("shape,chunks,halo", [
    ((33, 41), 10, 8),                    # the report's case: last row chunk (3) below the halo
    ((33, 41), (11, 7), 8),               # every chunk of both axes below the halo
    ((37, 29), ((30, 3, 4), (1, 27, 1)), 5),
    ((9, 13), 4, 12),                     # halo larger than the image
    ((23, 41, 3), (10, 16, 3), 6),
])
def test_upscale_torch_any_chunking_and_halo(shape, chunks, halo):
    torch = pytest.importorskip("torch")
    nn = pytest.importorskip("classicsr.nn")
    from classicsr.nn.models import ESPCN

    torch.manual_seed(0)
    colour = len(shape) == 3
    up = nn.TorchUpscaler(ESPCN(2, 3 if colour else 1), color="rgb" if colour else "y")
    x = np.random.default_rng(1).random(shape).astype(np.float32)
    ref = up(x)
    y = cdask.upscale(da.from_array(x, chunks=chunks), up, halo=halo)  # halo >= ESPCN's 4
    got = y.compute(scheduler="sync")
    assert got.shape == ref.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, atol=2e-6)


class _BoxUpscaler:
    """Sum over the ``(2 r + 1)^2`` window (zeros outside the image), each pixel then repeated
    ``scale`` times along both axes: a receptive-field radius of exactly ``r`` LR pixels, and
    every output value summed in the same order whatever block it is computed in."""

    def __init__(self, scale, radius):
        self.scale, self.radius = scale, radius

    def __call__(self, image, channel_axis=-1):
        x = np.moveaxis(image, channel_axis, -1) if image.ndim == 3 else image[:, :, None]
        r, (h, w) = self.radius, x.shape[:2]
        p = np.pad(x.astype(np.float64), ((r, r), (r, r), (0, 0)))
        acc = np.zeros((h, w, x.shape[2]))
        for dy in range(2 * r + 1):
            for dx in range(2 * r + 1):
                acc += p[dy: dy + h, dx: dx + w]
        out = np.repeat(np.repeat(acc, self.scale, axis=0), self.scale, axis=1)
        return np.moveaxis(out, -1, channel_axis) if image.ndim == 3 else out[:, :, 0]


@st.composite
def _chunking(draw, length):
    sizes, left = [], length
    while left:
        sizes.append(draw(st.integers(1, left)))
        left -= sizes[-1]
    return tuple(sizes)


@settings(max_examples=60)
@given(data=st.data(), h=st.integers(1, 40), w=st.integers(1, 40), scale=st.integers(1, 3),
       radius=st.integers(0, 3), extra=st.integers(0, 12), axis=st.sampled_from([None, 0, -1]))
def test_upscale_any_size_chunking_and_halo(data, h, w, scale, radius, extra, axis):
    """Every image size, chunking and halo >= the receptive-field radius gives the in-memory
    result exactly (chunks smaller than the halo are merged with a neighbour)."""
    halo = radius + extra
    up = _BoxUpscaler(scale, radius)
    x = np.random.default_rng(h * 41 + w).random((h, w) if axis is None else (h, w, 2))
    chunks = [data.draw(_chunking(h)), data.draw(_chunking(w))]
    if axis is not None:
        x = np.moveaxis(x, -1, axis)
        chunks.insert(axis % 3, (2,))
    y = cdask.upscale(da.from_array(x, chunks=tuple(chunks)), up, halo=halo,
                      channel_axis=-1 if axis is None else axis)
    got = y.compute(scheduler="sync")
    np.testing.assert_array_equal(got, up(x, channel_axis=-1 if axis is None else axis))
    spatial = [k for k in range(x.ndim) if axis is None or k != axis % 3]
    assert all(min(y.chunks[k]) >= scale * min(halo, x.shape[k]) for k in spatial)


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
