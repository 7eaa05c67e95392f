"""classicsr.nn: architectures, the TorchUpscaler adapter, weight loading, training.

Independent evidence used here: parameter counts published with the papers (SRCNN 9-5-5:
57,184; FSRCNN(56, 12, 4): 12,464 weights; ESRGAN's RRDBNet: 16,697,987 parameters), key names
of the public checkpoints written out by hand, np.repeat / np.rot90 / loops as references for
the adapter's plumbing, and an uninterrupted training run as the reference for resume.
"""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from classicsr.nn import TorchUpscaler, load_weights, train  # noqa: E402
from classicsr.nn.models import EDSR, ESPCN, FSRCNN, SRCNN, RRDBNet, build_model  # noqa: E402
from classicsr.nn.weights import load_state_dict  # noqa: E402


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)


# -- optional-dependency edges ---------------------------------------------------------------------
def test_import_classicsr_never_imports_torch_or_cv2():
    proc = _run("""
        import sys, classicsr
        import classicsr.degrade, classicsr.evaluate, classicsr.pixel_shuffle, classicsr.opencv
        import classicsr.commands.upscale
        print('torch' in sys.modules, 'cv2' in sys.modules)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


def test_nn_without_torch_names_the_extra():
    proc = _run("""
        import sys
        sys.modules['torch'] = None   # makes 'import torch' raise ImportError
        try:
            import classicsr.nn
        except ImportError as exc:
            print(exc)
    """)
    assert proc.returncode == 0, proc.stderr
    assert "classicsr[torch]" in proc.stdout and "PyTorch" in proc.stdout


# -- architectures -----------------------------------------------------------------------------
def _weight_count(model):
    return sum(p.numel() for name, p in model.named_parameters()
               if name.endswith("weight") and p.dim() == 4)


def test_published_parameter_counts():
    assert _weight_count(SRCNN(3)) == 57184            # Dong et al. 2016, 9-5-5 network
    assert _weight_count(FSRCNN(3)) == 12464           # Dong et al. 2016 (ECCV), FSRCNN(56,12,4)
    assert _weight_count(FSRCNN(3, d=32, s=5, m=1)) == 3937  # FSRCNN-s (paper: 3,937)
    assert sum(p.numel() for p in RRDBNet(4).parameters()) == 16697987  # ESRGAN generator
    # EDSR baseline x4: "1.5M" parameters (Lim et al. 2017, Table 1)
    edsr = sum(p.numel() for p in EDSR(4).parameters() if p.requires_grad)
    assert 1.45e6 < edsr < 1.55e6


def test_state_dict_keys_of_public_checkpoints():
    # yjn870/ESPCN-pytorch, yjn870/FSRCNN-pytorch, yjn870/SRCNN-pytorch
    assert list(ESPCN(3).state_dict()) == [
        "first_part.0.weight", "first_part.0.bias", "first_part.2.weight", "first_part.2.bias",
        "last_part.0.weight", "last_part.0.bias"]
    fs = list(FSRCNN(3).state_dict())
    assert fs[:3] == ["first_part.0.weight", "first_part.0.bias", "first_part.1.weight"]
    assert fs[3:6] == ["mid_part.0.weight", "mid_part.0.bias", "mid_part.1.weight"]
    assert fs[-5:] == ["mid_part.10.weight", "mid_part.10.bias", "mid_part.11.weight",
                       "last_part.weight", "last_part.bias"]
    assert list(SRCNN(3).state_dict()) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                           "conv3.weight", "conv3.bias"]
    # sanghyun-son/EDSR-PyTorch edsr_baseline_x4
    keys = list(EDSR(4).state_dict())
    assert keys[:4] == ["sub_mean.weight", "sub_mean.bias", "head.0.weight", "head.0.bias"]
    assert "body.15.body.2.weight" in keys and "body.16.weight" in keys
    assert keys[-8:] == ["tail.0.0.weight", "tail.0.0.bias", "tail.0.2.weight", "tail.0.2.bias",
                         "tail.1.weight", "tail.1.bias", "add_mean.weight", "add_mean.bias"]
    # xinntao BasicSR / Real-ESRGAN RRDBNet
    keys = list(RRDBNet(4, num_block=2).state_dict())
    assert keys[:2] == ["conv_first.weight", "conv_first.bias"]
    assert "body.1.rdb3.conv5.weight" in keys
    assert keys[-10:] == ["conv_body.weight", "conv_body.bias", "conv_up1.weight", "conv_up1.bias",
                          "conv_up2.weight", "conv_up2.bias", "conv_hr.weight", "conv_hr.bias",
                          "conv_last.weight", "conv_last.bias"]


@pytest.mark.parametrize("name,scales,channels", [
    ("espcn", (2, 3, 4), 1), ("fsrcnn", (2, 3, 4), 1), ("edsr", (2, 3, 4), 3), ("rrdbnet", (1, 2, 4), 3)])
def test_output_shapes(name, scales, channels):
    for s in scales:
        kwargs = {"num_block": 1} if name == "rrdbnet" else ({"n_resblocks": 2} if name == "edsr" else {})
        net = build_model(name, s, **kwargs).eval()
        with torch.no_grad():
            y = net(torch.rand(1, channels, 8, 12))
        assert tuple(y.shape) == (1, channels, 8 * s, 12 * s)


def test_srcnn_keeps_size_and_bad_names():
    with torch.no_grad():
        assert tuple(SRCNN(3)(torch.rand(1, 1, 15, 9)).shape) == (1, 1, 15, 9)
    with pytest.raises(ValueError, match="name must be one of"):
        build_model("vdsr", 2)
    with pytest.raises(ValueError, match="scale must be one of"):
        RRDBNet(3)
    with pytest.raises(ValueError, match="scale must be >= 1"):
        ESPCN(0)


def test_edsr_mean_shift_is_the_div2k_mean():
    net = EDSR(2, n_resblocks=1).eval()
    x = torch.full((1, 3, 4, 4), 100.0)
    out = net.sub_mean(x)
    expect = 100.0 - 255.0 * torch.tensor([0.4488, 0.4371, 0.4040])
    assert torch.allclose(out[0, :, 0, 0], expect)
    assert torch.allclose(net.add_mean(out), x)


# -- adapter: plumbing against independent references ------------------------------------------
class _Nearest(torch.nn.Module):
    """An 'SR network' with a known answer: nearest-neighbour upscaling."""

    def __init__(self, scale, color="rgb"):
        super().__init__()
        self.scale, self.color, self.data_range, self.pre_upsample = scale, color, 1.0, False
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x.repeat_interleave(self.scale, 2).repeat_interleave(self.scale, 3) + 0 * self.dummy


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_rgb_model_dtype_and_values(dtype):
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "u":
        x = rng.integers(0, np.iinfo(dtype).max + 1, (7, 5, 3), dtype=dtype)
    else:
        x = rng.random((7, 5, 3)).astype(dtype)
    before = x.copy()
    out = TorchUpscaler(_Nearest(3))(x)
    assert out.dtype == dtype and out.shape == (21, 15, 3)
    expect = np.repeat(np.repeat(x, 3, 0), 3, 1)
    if dtype == np.uint16:  # float32 network: exact to one grey level at 16 bits
        np.testing.assert_allclose(out.astype(float), expect.astype(float), atol=1)
    elif dtype == np.float64:
        np.testing.assert_allclose(out, expect, atol=1e-7)
    else:
        np.testing.assert_array_equal(out, expect)
    np.testing.assert_array_equal(x, before)


def test_float16_gives_float32_and_grayscale():
    x = np.random.default_rng(1).random((6, 4)).astype(np.float16)
    out = TorchUpscaler(_Nearest(2, "rgb"))(x)
    assert out.dtype == np.float32 and out.shape == (12, 8)
    np.testing.assert_allclose(out, np.repeat(np.repeat(x.astype(np.float32), 2, 0), 2, 1), atol=1e-6)
    out = TorchUpscaler(_Nearest(2, "y"))(x)
    np.testing.assert_allclose(out, np.repeat(np.repeat(x.astype(np.float32), 2, 0), 2, 1), atol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_channel_axis(axis):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    up = TorchUpscaler(ESPCN(2).eval(), tile=None)
    ref = up(x)
    out = up(np.moveaxis(x, -1, axis), channel_axis=axis)
    np.testing.assert_array_equal(np.moveaxis(out, axis, -1), ref)


def test_y_model_upscales_luma_with_the_net_and_chroma_bicubic():
    from classicsr.color import rgb_to_ycbcr, ycbcr_to_rgb
    from classicsr.resize import resize

    rng = np.random.default_rng(3)
    x = rng.random((6, 7, 3))
    out = TorchUpscaler(_Nearest(2, "y"))(x)
    ycc = rgb_to_ycbcr(x)
    expect = np.concatenate([np.repeat(np.repeat(ycc[..., :1], 2, 0), 2, 1), resize(ycc[..., 1:], 2)], axis=-1)
    np.testing.assert_allclose(out, ycbcr_to_rgb(expect), atol=1e-6)


def test_pre_upsample_model_gets_bicubic_input():
    from classicsr.resize import resize

    class Identity(torch.nn.Module):
        scale, color, data_range, pre_upsample = 3, "y", 1.0, True

        def forward(self, x):
            return x.clone()

    x = np.random.default_rng(4).random((5, 6))
    np.testing.assert_allclose(TorchUpscaler(Identity())(x), resize(x, 3), atol=1e-6)


# -- adapter: tiling -----------------------------------------------------------------------------
def _randomize(model):
    """Random weights with unit-gain fan-in scaling (outputs of order one), every layer active."""
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if p.dim() == 4:
            fan_in = p.shape[1] * p.shape[2] * p.shape[3]
            if isinstance(model, FSRCNN) and name.startswith("last_part"):
                fan_in = p.shape[0] * p.shape[2] * p.shape[3] / model.scale ** 2
            torch.nn.init.normal_(p, std=fan_in ** -0.5)
        elif name.endswith("bias"):
            torch.nn.init.normal_(p, std=0.1)
    return model


@pytest.mark.parametrize("model,overlap", [(ESPCN(3), 8), (FSRCNN(2), 16), (SRCNN(2), 16)])
@pytest.mark.parametrize("tile,batch", [(16, 1), (23, 3), (40, 2)])
def test_tiled_equals_untiled(model, overlap, tile, batch):
    _randomize(model)
    x = np.random.default_rng(5).random((45, 61)).astype(np.float32)
    if tile < 2 * overlap:
        with pytest.raises(ValueError, match="tile must be at least 2 \\* overlap"):
            TorchUpscaler(model, tile=tile, overlap=overlap)
        return
    whole = TorchUpscaler(model)(x)
    tiled = TorchUpscaler(model, tile=tile, overlap=overlap, batch=batch)(x)
    np.testing.assert_allclose(tiled, whole, atol=1e-5, rtol=0)


def test_tiles_without_enough_overlap_do_show_seams():
    """The check above can fail: with too little context the tile borders differ."""
    model = _randomize(FSRCNN(2))
    x = np.random.default_rng(5).random((45, 61)).astype(np.float32)
    whole = TorchUpscaler(model)(x)
    tiled = TorchUpscaler(model, tile=16, overlap=2)(x)
    assert np.abs(tiled - whole).max() > 1e-3


# -- adapter: self-ensemble ----------------------------------------------------------------------
def test_self_ensemble_is_the_mean_over_the_eight_dihedral_transforms():
    torch.manual_seed(1)
    model = ESPCN(2).eval()
    x = np.random.default_rng(6).random((9, 9)).astype(np.float32)
    plain = TorchUpscaler(model)
    outs = []
    for flip in (False, True):
        for k in range(4):
            t = np.fliplr(x) if flip else x
            y = plain(np.ascontiguousarray(np.rot90(t, k)))
            y = np.rot90(y, -k)
            outs.append(np.fliplr(y) if flip else y)
    expect = np.mean(outs, axis=0)
    got = TorchUpscaler(model, self_ensemble=True)(x)
    np.testing.assert_allclose(got, expect, atol=1e-6)
    assert np.abs(got - plain(x)).max() > 1e-4  # a random net is not equivariant


# -- adapter: bad input --------------------------------------------------------------------------
def test_adapter_bad_input():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        TorchUpscaler(lambda x: x, 2)
    with pytest.raises(ValueError, match="color must be one of"):
        TorchUpscaler(ESPCN(2), color="lab")
    with pytest.raises(TypeError, match="tile must be an integer"):
        TorchUpscaler(ESPCN(2), tile=3.5)
    up = TorchUpscaler(ESPCN(2))
    with pytest.raises(TypeError, match="image has dtype int32"):
        up(np.zeros((4, 4), np.int32))
    with pytest.raises(ValueError, match="channel_axis must be in"):
        up(np.zeros((4, 4, 3)), channel_axis=3)
    with pytest.raises(ValueError, match="needs 3 channels"):
        TorchUpscaler(_Nearest(2, "rgb"))(np.zeros((4, 4, 4)))
    with pytest.raises(ValueError, match="the model mapped an input"):
        TorchUpscaler(ESPCN(2), scale=3)(np.zeros((4, 4)))


# -- weights -----------------------------------------------------------------------------------
def test_load_weights_roundtrip_and_wrappers(tmp_path):
    a, b = ESPCN(3), ESPCN(3)
    path = tmp_path / "w.pt"
    torch.save({"params_ema": {"module." + k: v for k, v in a.state_dict().items()}}, path)
    load_weights(b, path)
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(v, w), k


def test_load_weights_clear_errors(tmp_path):
    a = ESPCN(3).state_dict()
    with pytest.raises(ValueError, match="mis-shaped: last_part.0.weight"):
        load_weights(ESPCN(2), a)
    missing = {k: v for k, v in a.items() if not k.startswith("last_part")}
    with pytest.raises(ValueError, match="missing: last_part.0.weight, last_part.0.bias"):
        load_weights(ESPCN(3), missing)
    extra = dict(a, **{"extra.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="unexpected: extra.weight"):
        load_weights(ESPCN(3), extra)
    load_weights(ESPCN(3), missing, strict=False)  # allowed when asked
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_weights(ESPCN(3), tmp_path / "nope.pt")
    with pytest.raises(TypeError, match="weights must be a path or a state dict"):
        load_weights(ESPCN(3), 3)


class _Evil:
    def __reduce__(self):
        return (print, ("unpickled code ran",))


def test_arbitrary_pickles_are_refused(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        pickle.dump({"conv.weight": _Evil()}, fh)
    with pytest.raises(ValueError, match="weights-only"):
        load_state_dict(path)
    assert "unpickled code ran" not in capsys.readouterr().out


def test_old_esrgan_keys_are_converted():
    net = RRDBNet(4, num_block=2)
    new = net.state_dict()
    old = {}
    names = {"conv_first": "model.0", "conv_up1": "model.3", "conv_up2": "model.6", "conv_hr": "model.8",
             "conv_last": "model.10", "conv_body": "model.1.sub.2"}
    for key, value in new.items():
        prefix, leaf = key.rsplit(".", 1)
        if prefix in names:
            old[f"{names[prefix]}.{leaf}"] = value
        else:  # body.i.rdbj.convk -> model.1.sub.i.RDBj.convk.0
            _, i, rdb, conv = prefix.split(".")
            old[f"model.1.sub.{i}.RDB{rdb[-1]}.{conv}.0.{leaf}"] = value
    other = RRDBNet(4, num_block=2)
    load_weights(other, old)
    for k in new:
        assert torch.equal(new[k], other.state_dict()[k])


# -- training --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from classicsr.io import write_image

    folder = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(0)
    for i in range(2):
        base = rng.random((12, 12, 3))
        img = np.kron(base, np.ones((4, 4, 1)))  # smooth-ish 48x48 images
        write_image(folder / f"im{i}.png", (img * 255).astype(np.uint8))
    return folder


def test_training_resume_equals_uninterrupted_run(tiny_folder, tmp_path, monkeypatch):
    T = importlib.import_module("classicsr.nn.train")  # the module (classicsr.nn.train is the function)

    kw = dict(batch_size=4, patch_size=8, progress=False, scale_augment=(1.0,), num_threads=1, seed=3,
              val_dir=tiny_folder, val_every=3, steps=6)
    full = train("espcn", 2, tiny_folder, checkpoint=tmp_path / "a.ckpt", **kw)
    assert full.step == 6
    assert train("espcn", 2, tiny_folder, checkpoint=tmp_path / "b.ckpt", time_limit=0.0, **kw).step == 0

    # Interrupt a 6-step run after 3 steps: a GAN hook that adds exactly zero counts the steps,
    # and the clock jumps past time_limit after the third.
    calls = {"n": 0}
    real = T.time.perf_counter

    class Counter:
        def generator_loss(self, sr):
            return sr.sum() * 0.0

        def discriminator_step(self, sr, hr):
            calls["n"] += 1

    monkeypatch.setattr(T.time, "perf_counter", lambda: real() + (1e9 if calls["n"] >= 3 else 0.0))
    ck = tmp_path / "c.ckpt"
    first = train("espcn", 2, tiny_folder, checkpoint=ck, time_limit=1e8, gan=Counter(), **kw)
    monkeypatch.setattr(T.time, "perf_counter", real)
    assert first.step == 3
    second = train("espcn", 2, tiny_folder, checkpoint=ck, **kw)  # resumes from the file
    assert second.step == 6
    for k, v in full.model.state_dict().items():
        torch.testing.assert_close(second.model.state_dict()[k], v, rtol=0, atol=0)
    assert [h["step"] for h in second.history] == [h["step"] for h in full.history]
    assert second.best_val_psnr == full.best_val_psnr


def test_training_reduces_the_loss_and_exports(tiny_folder, tmp_path):
    from classicsr.nn.train import export_weights

    res = train("fsrcnn", 2, tiny_folder, steps=40, batch_size=4, patch_size=8, progress=False,
                scale_augment=(1.0,), num_threads=1, log_every=10, loss="mse", lr=3e-3,
                checkpoint=tmp_path / "f.ckpt")
    losses = [h["loss"] for h in res.history]
    assert losses[-1] < losses[0]
    out = export_weights(tmp_path / "f.ckpt", tmp_path / "w.pt", which="last")
    net = load_weights(FSRCNN(2), out)
    for k, v in res.model.state_dict().items():
        assert torch.equal(net.state_dict()[k], v)


def test_training_hooks_and_bad_input(tiny_folder, tmp_path):
    seen = {"perc": 0}

    def perceptual(sr, hr):
        seen["perc"] += 1
        return (sr - hr).pow(2).mean()

    train("espcn", 2, tiny_folder, steps=2, batch_size=2, patch_size=8, progress=False,
          scale_augment=(1.0,), perceptual=perceptual)
    assert seen["perc"] == 2
    with pytest.raises(ValueError, match="not a folder"):
        train("espcn", 2, tmp_path / "missing")
    with pytest.raises(ValueError, match="loss must be one of"):
        train("espcn", 2, tiny_folder, loss="huber")
    with pytest.raises(TypeError, match="gan must have"):
        train("espcn", 2, tiny_folder, gan=object())
    with pytest.raises(ValueError, match="is for espcn x2"):
        train("espcn", 2, tiny_folder, steps=1, batch_size=1, patch_size=8, progress=False,
              scale_augment=(1.0,), checkpoint=tmp_path / "x.ckpt")
        train("fsrcnn", 2, tiny_folder, steps=1, checkpoint=tmp_path / "x.ckpt")


def test_training_device_is_checked_and_cpu_is_the_default(tiny_folder, tmp_path):
    kw = dict(steps=3, batch_size=2, patch_size=8, progress=False, scale_augment=(1.0,), num_threads=1,
              seed=5, val_dir=tiny_folder, val_every=2)
    a = train("espcn", 2, tiny_folder, **kw)
    b = train("espcn", 2, tiny_folder, device="cpu", checkpoint=tmp_path / "d.ckpt", **kw)
    for k, v in a.model.state_dict().items():
        assert torch.equal(b.model.state_dict()[k], v)
    assert a.best_val_psnr == b.best_val_psnr
    with pytest.raises(ValueError, match="device must be"):
        train("espcn", 2, tiny_folder, device="warp-drive", **kw)
    with pytest.raises(ValueError, match="device must be"):
        train("espcn", 2, tiny_folder, device=3.5, **kw)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda'.*no CUDA GPU"):
            train("espcn", 2, tiny_folder, device="cuda", **kw)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none seen by torch)")
def test_cuda_adapter_and_training_agree_with_the_cpu(tiny_folder, tmp_path):
    """On a GPU the adapter (whole, tiled, self-ensemble) gives the CPU's output, and a training
    run on the GPU checkpoints CPU tensors that a CPU run resumes (as docs/neural.md says).

    The CPU run is the reference; the tolerance allows TF32 convolutions (torch's default on
    Ampere and later GPUs: 10-bit mantissas), not a wrong tile or transform (errors of order 1).
    """
    model = _randomize(FSRCNN(2))
    x = np.random.default_rng(7).random((45, 61)).astype(np.float32)
    for kw in ({}, {"tile": 32, "overlap": 16, "batch": 2}, {"self_ensemble": True}):
        cpu = TorchUpscaler(model, **kw)(x)
        gpu = TorchUpscaler(model, device="cuda", **kw)(x)
        assert gpu.dtype == cpu.dtype == np.float32 and gpu.shape == cpu.shape == (90, 122)
        np.testing.assert_allclose(gpu, cpu, atol=2e-2, rtol=0)
        assert np.abs(gpu - cpu).mean() < 2e-3
    assert next(model.parameters()).device.type == "cuda"  # moved, as the docstring says
    u8 = (x * 255).astype(np.uint8)
    diff = TorchUpscaler(model, device="cuda")(u8).astype(int) - TorchUpscaler(model.cpu())(u8)
    assert np.abs(diff).max() <= 2 and np.mean(diff != 0) < 0.05

    kw = dict(batch_size=2, patch_size=8, progress=False, scale_augment=(1.0,), seed=5,
              val_dir=tiny_folder, val_every=2, checkpoint=tmp_path / "g.ckpt")
    res = train("espcn", 2, tiny_folder, steps=4, device="cuda", **kw)
    assert res.step == 4 and np.isfinite(res.best_val_psnr)
    assert all(p.device.type == "cuda" and torch.isfinite(p).all() for p in res.model.parameters())
    ckpt = torch.load(tmp_path / "g.ckpt", weights_only=True)
    assert {v.device.type for v in ckpt["model"].values()} == {"cpu"}
    resumed = train("espcn", 2, tiny_folder, steps=6, device="cpu", **kw)
    assert resumed.step == 6
    assert all(p.device.type == "cpu" for p in resumed.model.parameters())


def test_holdout_is_left_out_of_training_and_validates(tmp_path, monkeypatch):
    """A held-out split: its files make no training pair, and validation runs on exactly them."""
    from classicsr.io import write_image

    T = importlib.import_module("classicsr.nn.train")
    rng = np.random.default_rng(1)
    for i in range(3):
        write_image(tmp_path / f"t{i}.png", (rng.random((48, 48)) * 255).astype(np.uint8))
    assert len(T.prepare_pairs(tmp_path, 2, exclude=("t1.png",))) == 2
    seen = []
    real = T.validate_psnr
    def spy(net, imgs, s):
        seen.append(sorted(p.name for p in imgs))
        return real(net, imgs, s)

    monkeypatch.setattr(T, "validate_psnr", spy)
    kw = dict(batch_size=2, patch_size=8, progress=False, scale_augment=(1.0,))
    res = train("espcn", 2, tmp_path, steps=2, holdout=["t1.png"], val_every=1,
                checkpoint=tmp_path / "h.ckpt", **kw)
    assert seen == [["t1.png"], ["t1.png"]] and res.best_val_psnr is not None
    assert torch.load(tmp_path / "h.ckpt", weights_only=True)["config"]["holdout"] == ["t1.png"]
    with pytest.raises(ValueError, match="trained with holdout"):
        train("espcn", 2, tmp_path, steps=3, checkpoint=tmp_path / "h.ckpt", **kw)
    with pytest.raises(ValueError, match="holdout names files that are not in"):
        train("espcn", 2, tmp_path, steps=1, holdout=["t9.png"])
    with pytest.raises(TypeError, match="holdout must be a sequence"):
        train("espcn", 2, tmp_path, steps=1, holdout="t1.png")
    assert len(set(T.T91_HOLDOUT)) == 9


def test_t91_holdout_files_exist(shared_data):
    from classicsr.nn.train import T91_HOLDOUT

    assert all((shared_data / "T91" / name).is_file() for name in T91_HOLDOUT)


def test_schedule_start_restarts_the_cosine_schedule(tiny_folder, tmp_path):
    lines = []
    kw = dict(batch_size=2, patch_size=8, progress=False, scale_augment=(1.0,), log_every=1,
              lr=1e-3, lr_min=1e-5, checkpoint=tmp_path / "s.ckpt", log=lines.append)
    train("espcn", 2, tiny_folder, steps=2, **kw)
    train("espcn", 2, tiny_folder, steps=4, schedule_start=2, **kw)  # extends the finished run
    rates = [float(line.split(" lr ")[1].split()[0]) for line in lines]
    assert rates == pytest.approx([1e-3, 5.05e-4, 1e-3, 5.05e-4], rel=1e-3)
    with pytest.raises(ValueError, match="schedule_start must be smaller than steps=4, got 4"):
        train("espcn", 2, tiny_folder, steps=4, schedule_start=4)


def test_export_defaults_to_the_last_step(tiny_folder, tmp_path):
    from classicsr.nn.train import export_weights

    res = train("espcn", 2, tiny_folder, steps=4, batch_size=2, patch_size=8, progress=False,
                scale_augment=(1.0,), val_dir=tiny_folder, val_every=1,
                checkpoint=tmp_path / "e.ckpt")
    state = torch.load(export_weights(tmp_path / "e.ckpt", tmp_path / "e.pt"), weights_only=True)
    for k, v in res.model.state_dict().items():
        assert torch.equal(state[k], v)


def test_cli_train_hook(tiny_folder, tmp_path):
    import argparse

    from classicsr.nn.train import cli_train

    args = argparse.Namespace(method="espcn", data=str(tiny_folder), scale=[2], output=str(tmp_path / "m"),
                              seed=0, overwrite=False, quiet=True, steps=2, batch_size=2, patch_size=8)
    assert cli_train(args) == 0
    net = load_weights(ESPCN(2), tmp_path / "m" / "espcn_x2.pt")
    assert net.scale == 2
    assert (tmp_path / "m" / "espcn_x2.ckpt").is_file()
    args.output = str(tiny_folder / "im0.png")
    assert cli_train(args) == 2


@pytest.mark.parametrize("cls", [ESPCN, FSRCNN])
def test_residual_variant_adds_a_bicubic_skip(cls):
    """With the last layer zeroed, a residual net is bicubic upscaling (a = -0.75), which
    cv2.resize INTER_CUBIC computes independently."""
    cv2 = pytest.importorskip("cv2")
    net = cls(3, residual=True).eval()
    last = net.last_part[0] if cls is ESPCN else net.last_part
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)
    x = np.random.default_rng(7).random((11, 13)).astype(np.float32)
    with torch.no_grad():
        y = net(torch.from_numpy(x)[None, None])[0, 0].numpy()
    ref = cv2.resize(x, (39, 33), interpolation=cv2.INTER_CUBIC)
    np.testing.assert_allclose(y, ref, atol=1e-5)
    assert list(net.state_dict()) == list(cls(3).state_dict())  # same keys as the plain net
