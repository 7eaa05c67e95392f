"""Issue #9, weights: malicious, tampered and mis-shaped checkpoints are refused with clear
messages, and no pickled code ever runs."""

from __future__ import annotations

import json
import os
import pickle
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from classicsr import nn as cnn  # noqa: E402
from classicsr.nn import weights as W  # noqa: E402


def _tiny(scale=2):
    torch.manual_seed(0)
    return cnn.ESPCN(scale, 1, n1=4, n2=4)


class _Payload:
    """Unpickling this runs ``open(marker, 'w')``: the test fails if the marker appears."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.pt"
    torch.save(_tiny().state_dict(), path)
    return path


@pytest.mark.parametrize("container", ["zip", "legacy-pickle", "inside-state-dict"])
def test_pickled_code_is_refused_and_never_runs(tmp_path, container):
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.pth"
    if container == "zip":
        torch.save(_Payload(marker), path)
    elif container == "legacy-pickle":
        with open(path, "wb") as fh:
            pickle.dump({"weight": _Payload(marker)}, fh)
    else:
        state = dict(_tiny().state_dict())
        state["extra"] = _Payload(marker)
        torch.save({"state_dict": state}, path)
    with pytest.raises(ValueError, match="weights-only checkpoint") as info:
        cnn.load_weights(_tiny(), path)
    assert "evil.pth" in str(info.value)
    assert not marker.exists(), "the pickled payload ran"
    # sanity: the payload does run when unpickled without the guard (so the test can fail)
    if container == "legacy-pickle":
        with open(path, "rb") as fh:
            pickle.load(fh)  # noqa: S301 - deliberate, in a temp dir
        assert marker.exists()


def test_good_checkpoint_loads(good):
    model = cnn.load_weights(_tiny(), good)
    ref = _tiny().state_dict()
    for k, v in model.state_dict().items():
        assert torch.equal(v, ref[k])


def test_flipped_bytes_are_detected(good, tmp_path):
    data = bytearray(good.read_bytes())
    # zero 16 bytes inside the last tensor's data: torch.load alone would not notice
    import zipfile

    with zipfile.ZipFile(good) as z:
        info = [i for i in z.infolist() if "/data/" in i.filename][-1]
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)  # local header
    start = info.header_offset + 30 + name_len + extra_len
    assert info.file_size >= 16
    data[start:start + 16] = bytes(16) if data[start:start + 16] != bytes(16) else b"\x01" * 16
    bad = tmp_path / "tampered.pt"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="tampered.pt.*CRC-32"):
        cnn.load_weights(_tiny(), bad)


@pytest.mark.parametrize("how", ["truncated", "empty", "garbage", "directory"])
def test_corrupt_files_are_refused(good, tmp_path, how):
    path = tmp_path / f"{how}.pt"
    if how == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    else:
        path.mkdir()
    with pytest.raises(ValueError, match=f"{how}.pt"):
        cnn.load_weights(_tiny(), path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        cnn.load_weights(_tiny(), "nope.pt")


def test_non_finite_weights_are_refused(tmp_path):
    state = {k: v.clone() for k, v in _tiny().state_dict().items()}
    state["last_part.0.bias"][1] = float("inf")
    with pytest.raises(ValueError, match=r"NaN or inf.*last_part\.0\.bias"):
        cnn.load_weights(_tiny(), state)
    path = tmp_path / "nan.pt"
    state["last_part.0.bias"][1] = float("nan")
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"nan\.pt hold NaN or inf values in: last_part\.0\.bias"):
        cnn.load_weights(_tiny(), path)


def test_bad_state_dict_types():
    state = _tiny().state_dict()
    with pytest.raises(TypeError, match=r"first_part\.0\.weight \(ndarray\).*torch\.from_numpy"):
        cnn.load_weights(_tiny(), {k: v.numpy() for k, v in state.items()})
    with pytest.raises(TypeError, match="string keys"):
        cnn.load_weights(_tiny(), {1: torch.zeros(1)})
    with pytest.raises(TypeError, match="weights must be a path or a state dict"):
        cnn.load_weights(_tiny(), 3)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        cnn.load_weights("espcn", state)


def test_shape_mismatch_is_reported_precisely():
    x3 = _tiny(3).state_dict()
    with pytest.raises(ValueError) as info:
        cnn.load_weights(_tiny(2), x3)
    msg = str(info.value)
    # ESPCN's last conv has scale**2 output channels: 4 at x2, 9 at x3
    assert "mis-shaped: last_part.0.weight (model (4, 4, 3, 3), weights (9, 4, 3, 3))" in msg
    assert "last_part.0.bias (model (4,), weights (9,))" in msg
    assert "first_part" not in msg  # the matching tensors are not listed
    model = _tiny(2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError):
        cnn.load_weights(model, x3)
    for k, v in model.state_dict().items():  # a refused load leaves the model untouched
        assert torch.equal(v, before[k])


def test_missing_and_unexpected_keys_are_listed():
    state = dict(_tiny().state_dict())
    state.pop("first_part.2.bias")
    state["head.weight"] = torch.zeros(3)
    with pytest.raises(ValueError, match=r"missing: first_part\.2\.bias; unexpected: head\.weight"):
        cnn.load_weights(_tiny(), state)
    cnn.load_weights(_tiny(), state, strict=False)  # documented escape hatch


def test_pretrained_checks_recorded_sha256(tmp_path, monkeypatch):
    torch.save(_tiny().state_dict(), tmp_path / "espcn_x2.pt")
    import hashlib

    digest = hashlib.sha256((tmp_path / "espcn_x2.pt").read_bytes()).hexdigest()
    entry = {"file": "espcn_x2.pt", "kwargs": {"n1": 4, "n2": 4}, "sha256": digest}
    (tmp_path / "index.json").write_text(json.dumps({"espcn_x2": entry}))
    monkeypatch.setattr(W, "WEIGHTS_DIR", tmp_path)
    net = cnn.pretrained("espcn", 2)
    assert not net.training
    # re-save different (valid) weights under the same name: the recorded digest no longer matches
    torch.manual_seed(1)
    torch.save(cnn.ESPCN(2, 1, n1=4, n2=4).state_dict(), tmp_path / "espcn_x2.pt")
    with pytest.raises(ValueError, match="espcn_x2.pt fail their integrity check"):
        cnn.pretrained("espcn", 2)


def test_shipped_weights_load():
    shipped = cnn.available_pretrained()
    if not shipped:
        pytest.skip("no shipped weights")
    name = sorted(shipped)[0]
    key, _, scale = name.partition("_x")
    assert os.path.isfile(W.WEIGHTS_DIR / shipped[name]["file"])
    cnn.pretrained(key, int(scale))


def test_every_shipped_weight_file_records_its_sha256():
    """index.json records a SHA-256 for every shipped file, and it matches the file, so
    pretrained() can detect a corrupted or swapped file."""
    import hashlib
    import json
    from importlib import resources

    root = resources.files("classicsr.nn").joinpath("weights")
    index = json.loads(root.joinpath("index.json").read_text())
    assert index
    for name, entry in index.items():
        assert "sha256" in entry, f"{name}: no sha256 recorded in index.json"
        assert hashlib.sha256(root.joinpath(entry["file"]).read_bytes()).hexdigest() == entry["sha256"], name
