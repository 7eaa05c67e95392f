"""classicsr.opencv: OpenCV dnn_superres models as upscalers.

The reference is OpenCV itself (``DnnSuperResImpl.upsample`` called directly) and the Set5
numbers measured with the protocol in the issue (x2: FSRCNN 34.81, ESPCN 34.72; x3: ESPCN
30.51, FSRCNN 30.57; x4: LapSRN 28.73).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
if not hasattr(cv2, "dnn_superres"):  # pragma: no cover
    pytest.skip("cv2 without the contrib dnn_superres module", allow_module_level=True)

from classicsr.opencv import OpenCVUpscaler, parse_model_name  # noqa: E402


def test_parse_model_name():
    assert parse_model_name("x/ESPCN_x3.pb") == ("espcn", 3)
    assert parse_model_name("FSRCNN-small_x2.pb") == ("fsrcnn", 2)
    assert parse_model_name("LapSRN_x8.pb") == ("lapsrn", 8)
    with pytest.raises(ValueError, match="cannot tell the algorithm"):
        parse_model_name("model.pb")


def test_missing_cv2_names_the_extra():
    code = ("import sys; sys.modules['cv2'] = None\n"
            "from classicsr.opencv import OpenCVUpscaler\n"
            "try:\n    OpenCVUpscaler('ESPCN_x2.pb')\nexcept ImportError as e:\n    print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "classicsr[opencv]" in proc.stdout


def test_bad_arguments(tmp_path, shared_data):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        OpenCVUpscaler(tmp_path / "ESPCN_x2.pb")
    pb = shared_data / "opencv_models" / "ESPCN_x2.pb"
    with pytest.raises(ValueError, match="scale must be one of"):
        OpenCVUpscaler(pb, scale=8)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        OpenCVUpscaler(pb, algorithm="vdsr")
    with pytest.raises(ValueError, match="color must be one of"):
        OpenCVUpscaler(pb, color="lab")
    bad = tmp_path / "ESPCN_x2.pb"
    bad.write_bytes(b"not a graph")
    with pytest.raises(ValueError, match="OpenCV could not read"):
        OpenCVUpscaler(bad)
    with pytest.raises(ValueError, match="cannot run ESPCN_x3.pb as algorithm='espcn', scale=2"):
        OpenCVUpscaler(shared_data / "opencv_models" / "ESPCN_x3.pb", scale=2)  # fails at setup
    png = tmp_path / "picture.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match="picture.png"):
        OpenCVUpscaler(png, algorithm="espcn", scale=2)
    up = OpenCVUpscaler(pb)
    with pytest.raises(ValueError, match="3 \\(RGB\\) channels"):
        up(np.zeros((8, 8, 4), np.uint8))


def test_matches_opencv_called_directly_and_dtypes(shared_data):
    pb = shared_data / "opencv_models" / "FSRCNN_x3.pb"
    up = OpenCVUpscaler(pb)
    impl = cv2.dnn_superres.DnnSuperResImpl_create()
    impl.readModel(str(pb))
    impl.setModel("fsrcnn", 3)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    before = x.copy()
    ref = impl.upsample(np.ascontiguousarray(x[..., ::-1]))[..., ::-1]  # OpenCV is BGR
    out = up(x)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(x, before)
    # channels first
    np.testing.assert_array_equal(up(np.moveaxis(x, -1, 0), channel_axis=0), np.moveaxis(ref, -1, 0))
    # other dtypes go through 8 bits and come back in their own dtype
    out16 = up(x.astype(np.uint16) * 257)
    assert out16.dtype == np.uint16
    np.testing.assert_array_equal(out16, ref.astype(np.uint16) * 257)
    outf = up(x.astype(np.float32) / 255)
    assert outf.dtype == np.float32
    np.testing.assert_allclose(outf, ref / 255.0, atol=1e-7)
    assert up(x.astype(np.float16) / 255).dtype == np.float32
    gray = up(x[..., 0])
    assert gray.shape == (39, 51) and gray.dtype == np.uint8


@pytest.mark.parametrize("scale,name,expected", [
    (2, "FSRCNN", 34.81), (2, "ESPCN", 34.72), (3, "ESPCN", 30.51), (3, "FSRCNN", 30.57), (4, "LapSRN", 28.73)])
def test_set5_numbers_of_the_issue(shared_data, scale, name, expected):
    from classicsr.evaluate import evaluate

    up = OpenCVUpscaler(shared_data / "opencv_models" / f"{name}_x{scale}.pb")
    res = evaluate({"m": up}, shared_data / "Set5" / "HR", [scale], lr_dir="auto", metrics=("psnr",))
    assert res.ok, res.failures
    assert res.mean("Set5", "m", scale, "psnr") == pytest.approx(expected, abs=0.006)


def test_y_mode_runs_the_net_on_bt601_luma(shared_data):
    from classicsr.color import rgb_to_ycbcr

    up = OpenCVUpscaler(shared_data / "opencv_models" / "ESPCN_x2.pb", color="y")
    from classicsr.io import read_image

    x = read_image(shared_data / "Set5" / "LR_bicubic" / "X2" / "baby.png")[40:64, 50:80]
    out = up(x)
    assert out.shape == (48, 60, 3) and out.dtype == np.uint8
    # the luma of the result is the network's output on the BT.601 luma, up to the RGB round
    # trip (8-bit rounding; natural colours stay inside the RGB cube)
    y_net = OpenCVUpscaler(shared_data / "opencv_models" / "ESPCN_x2.pb")(rgb_to_ycbcr(x)[..., 0])
    y_out = rgb_to_ycbcr(out)[..., 0].astype(int)
    assert np.abs(y_out - y_net.astype(int)).max() <= 1
