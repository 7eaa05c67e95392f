"""OpenCV's ``dnn_superres`` models (ESPCN, FSRCNN, FSRCNN-small, LapSRN, EDSR) as upscalers.

Needs the ``opencv`` extra (``opencv-contrib-python-headless`` 4.x: the ``dnn_superres``
module, which also registers the DepthToSpace layer these graphs use, is in the contrib build
only).  ``import classicsr`` never imports cv2; this module imports it when an upscaler is
built.  Nothing is downloaded: pass the path of a frozen ``.pb`` graph, e.g. the GSoC-2019
models ``ESPCN_x3.pb`` or ``LapSRN_x4.pb``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from . import _validate as V

__all__ = ["OpenCVUpscaler", "ALGORITHMS", "parse_model_name"]

#: Algorithms of ``cv2.dnn_superres`` and their scales.
ALGORITHMS = {"espcn": (2, 3, 4), "fsrcnn": (2, 3, 4), "lapsrn": (2, 4, 8), "edsr": (2, 3, 4)}

_INT_MAX = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def _cv2():
    try:
        import cv2
    except ImportError:
        raise ImportError(
            "classicsr.opencv needs OpenCV's contrib build. Install the 'opencv' extra: "
            "pip install 'classicsr[opencv]' (opencv-contrib-python-headless 4.x)"
        ) from None
    if not hasattr(cv2, "dnn_superres"):
        raise ImportError(
            f"cv2 {cv2.__version__} has no dnn_superres module (it is in the contrib build only); "
            f"pip uninstall opencv-python opencv-python-headless && pip install 'classicsr[opencv]'"
        )
    return cv2


def parse_model_name(path) -> tuple[str, int]:
    """Guess ``(algorithm, scale)`` from a file name such as ``FSRCNN-small_x3.pb``.

    Examples
    --------
    >>> from classicsr.opencv import parse_model_name
    >>> parse_model_name("models/FSRCNN-small_x3.pb")
    ('fsrcnn', 3)
    >>> parse_model_name("LapSRN_x8.pb")
    ('lapsrn', 8)
    """
    stem = Path(path).stem.lower()
    m = re.match(r"([a-z]+)(?:-small)?_x(\d+)$", stem)
    if not m or m.group(1) not in ALGORITHMS:
        raise ValueError(
            f"cannot tell the algorithm and scale from the file name {Path(path).name!r} (expected "
            f"e.g. ESPCN_x3.pb, FSRCNN-small_x2.pb, LapSRN_x4.pb); pass algorithm= and scale="
        )
    return m.group(1), int(m.group(2))


class OpenCVUpscaler:
    """An upscaler backed by a ``cv2.dnn_superres`` frozen graph.

    Parameters
    ----------
    path : str or Path
        A ``.pb`` file of OpenCV's dnn_superres models.
    algorithm : {"espcn", "fsrcnn", "lapsrn", "edsr"}, optional, keyword-only
        Read from the file name when omitted (``FSRCNN-small`` is ``"fsrcnn"``).
    scale : int, optional, keyword-only
        Read from the file name when omitted.
    color : {"opencv", "y"}, keyword-only
        ``"opencv"`` (default): OpenCV's own pipeline (``DnnSuperResImpl.upsample``: its
        full-range YCrCb, CrCb upscaled with ``cv2.resize`` bicubic).  ``"y"``: the network
        runs on the BT.601 luma of :func:`classicsr.color.rgb_to_ycbcr` (rounded to 8 bits) and
        Cb/Cr are upscaled with :func:`classicsr.resize` (the protocol's colour handling).
        ``"y"`` applies to ESPCN/FSRCNN/LapSRN only, which are Y networks.

    Notes
    -----
    The graphs work on 8-bit images.  uint8 input is passed as it is; other dtypes are
    quantised to 8 bits first (uint16 divided by 257, floats on [0, 1] times 255, rounded) and
    the 8-bit result is converted back to the input's dtype (float16 gives float32).
    2-D images are grayscale.  3-D images need 3 channels along ``channel_axis`` (RGB order;
    the BGR order of OpenCV is handled here).

    The GSoC-2019 graphs were trained elsewhere (ESPCN and LapSRN on DIV2K, FSRCNN on T91 +
    General100 with Set14 as validation), and under the SR protocol they are weak: see
    ``docs/neural.md`` for the measured table.

    References
    ----------
    .. [1] OpenCV ``dnn_superres`` module, GSoC 2019 (X. Wu, F. Monori, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.opencv import OpenCVUpscaler
    >>> up = OpenCVUpscaler("ESPCN_x3.pb")  # doctest: +SKIP
    >>> up(np.zeros((10, 12, 3), np.uint8)).shape  # doctest: +SKIP
    (30, 36, 3)
    """

    def __init__(self, path, *, algorithm=None, scale=None, color: str = "opencv"):
        cv2 = _cv2()
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a str or Path to a .pb file, got {type(path).__name__}")
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"OpenCV model file {str(path)!r} does not exist")
        if algorithm is None or scale is None:
            guess_alg, guess_scale = parse_model_name(path)
            algorithm = guess_alg if algorithm is None else algorithm
            scale = guess_scale if scale is None else scale
        self.algorithm = V.check_choice("algorithm", algorithm, ALGORITHMS)
        self.scale = V.check_int("scale", scale, minimum=2)
        if self.scale not in ALGORITHMS[self.algorithm]:
            raise ValueError(f"scale must be one of {ALGORITHMS[self.algorithm]} for {self.algorithm}, got {self.scale}")
        self.color = V.check_choice("color", color, ("opencv", "y"))
        if self.color == "y" and self.algorithm == "edsr":
            raise ValueError("color='y' needs a Y network (espcn, fsrcnn, lapsrn); EDSR works on BGR")
        self.path = path
        self._impl = cv2.dnn_superres.DnnSuperResImpl_create()
        try:
            self._impl.readModel(str(path))
        except cv2.error as exc:
            raise ValueError(f"OpenCV could not read {path}: {str(exc).strip().splitlines()[-1]}") from None
        self._impl.setModel(self.algorithm, self.scale)
        # OpenCV checks neither the graph nor the scale until the first call: probe now so
        # that a wrong file or scale fails here, naming them, not inside cv2 later
        probe = np.zeros((8, 8, 3), np.uint8)
        try:
            shape = self._upsample(probe).shape
        except cv2.error as exc:
            raise ValueError(
                f"OpenCV cannot run {path.name} as algorithm={self.algorithm!r}, "
                f"scale={self.scale}: {str(exc).strip().splitlines()[-1]} (is the file a "
                f"{self.algorithm} x{self.scale} model?)") from None
        if shape[:2] != (8 * self.scale, 8 * self.scale):
            raise ValueError(f"{path.name} upscales 8x8 to {shape[0]}x{shape[1]}, not by "
                             f"scale={self.scale}; pass the model's own scale")

    def __repr__(self) -> str:
        return f"OpenCVUpscaler({self.path.name!r}, algorithm={self.algorithm!r}, scale={self.scale}, color={self.color!r})"

    def _upsample(self, image8: np.ndarray) -> np.ndarray:
        return self._impl.upsample(np.ascontiguousarray(image8))

    def __call__(self, image, *, channel_axis=-1):
        """Upscale an image.

        Parameters
        ----------
        image : (M, N) or (M, N, 3) ndarray
            uint8 (native), uint16, float16/32/64 (floats on [0, 1]).
        channel_axis : int or None, keyword-only
            Axis of the channels of a 3-D image (default -1).

        Returns
        -------
        sr : (s M, s N[, 3]) ndarray
            Same dtype as ``image`` (float16 gives float32).
        """
        array = V.as_image(image, "image")
        axis = V.check_channel_axis(channel_axis, array.ndim)
        dtype = array.dtype.newbyteorder("=")
        if axis is not None:
            array = np.moveaxis(array, axis, -1)
            if array.shape[-1] != 3:
                raise ValueError(f"image must have 3 (RGB) channels along channel_axis={channel_axis}, "
                                 f"got {array.shape[-1]}")
        out_shape = list(array.shape)
        out_shape[0] *= self.scale
        out_shape[1] *= self.scale
        V.check_output_size(out_shape, np.uint8, "the upscaled image")
        if dtype == np.uint8:
            image8 = array
        else:
            peak = _INT_MAX.get(dtype, 1.0)
            scaled = array.astype(np.float64) * (255.0 / peak)
            image8 = np.clip(V.round_half_away(scaled), 0, 255).astype(np.uint8)

        if image8.ndim == 2:
            sr8 = self._upsample(image8)
        elif self.color == "opencv":
            sr8 = self._upsample(image8[..., ::-1])[..., ::-1]
        else:
            from .color import rgb_to_ycbcr, ycbcr_to_rgb
            from .resize import resize

            ycc = rgb_to_ycbcr(image8)
            y_sr = self._upsample(np.ascontiguousarray(ycc[..., 0]))
            cbcr = resize(np.ascontiguousarray(ycc[..., 1:]), self.scale)
            sr8 = ycbcr_to_rgb(np.concatenate([y_sr[..., None], cbcr], axis=-1))
        sr8 = np.ascontiguousarray(sr8)

        if dtype == np.uint8:
            out = sr8
        elif dtype in _INT_MAX:
            out = (sr8.astype(np.uint32) * 257).astype(dtype)
        else:
            out = (sr8.astype(np.float64) / 255.0).astype(V.supported_float_type(dtype))
        if axis is not None:
            out = np.moveaxis(out, -1, axis)
        return np.ascontiguousarray(out)
