"""Image folders and HR/LR pairs for SR evaluation.

A test set is a folder of high-resolution images (PNG, JPEG, TIFF or BMP).  Its LR inputs are
either given as files, in the ``LR_bicubic/X{s}`` layout of the standard benchmarks::

    Set5/HR/baby.png
    Set5/LR_bicubic/X2/baby.png        # = downsample(modcrop(HR, 2), 2)

or made on the fly with :func:`classicsr.degrade.make_lr` (MATLAB bicubic with the
benchmark files' replicate boundary by default, which reproduces those files bit for bit).

Conventions
-----------
* Images are read with :func:`classicsr.io.read_image`: uint8 or uint16, ``(H, W)`` for
  grayscale, ``(H, W, 3)`` for colour.
* **Alpha**: an alpha channel is dropped (RGBA -> RGB, gray+alpha -> gray).  SR benchmarks
  score colour only, and the usual evaluation code (OpenCV ``IMREAD_COLOR``, MATLAB ``imread``
  without the alpha output) ignores alpha the same way; the pixels are *not* composited.
* The HR reference of scale ``s`` is ``modcrop(HR, s)`` (anchored top-left).  A given LR file
  must have exactly ``HR_s.shape // s``; otherwise :class:`DatasetError` names the file and
  both shapes.
* A given LR file is looked up by the HR file's stem, with any image suffix, as
  ``<stem>.*`` or ``<stem>x{s}.*`` (the DIV2K naming), in ``LR_DIR/X{s}/`` if that folder
  exists and in ``LR_DIR/`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .io import IMAGE_SUFFIXES

__all__ = ["DatasetError", "ImagePair", "SRDataset", "list_images", "load_image", "find_lr_file",
           "dataset_name", "IMAGE_SUFFIXES"]

class DatasetError(ValueError):
    """A file of a test set could not be used; the message names the file and the reason."""


def list_images(folder) -> list[Path]:
    """The image files (PNG/JPEG/TIFF/BMP, by suffix, any case) directly in ``folder``, sorted.

    Parameters
    ----------
    folder : str or os.PathLike

    Returns
    -------
    list of pathlib.Path
        Sorted by file name.  Hidden files (starting with ``.``) are skipped.

    Raises
    ------
    DatasetError
        When ``folder`` does not exist, is not a folder, or holds no image.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "b.png").touch(); (d / "a.JPG").touch(); (d / "notes.txt").touch()
    >>> [p.name for p in list_images(d)]
    ['a.JPG', 'b.png']
    """
    path = Path(folder)
    if not path.exists():
        raise DatasetError(f"image folder {path} does not exist")
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder")
    found = sorted(p for p in path.iterdir()
                   if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file())
    if not found:
        raise DatasetError(f"image folder {path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return found


def dataset_name(hr_dir) -> str:
    """A display name for a test set: the folder's name, or its parent's for ``.../Set5/HR``.

    Examples
    --------
    >>> dataset_name("data/Set5/HR"), dataset_name("photos")
    ('Set5', 'photos')
    """
    path = Path(hr_dir).resolve() if str(hr_dir) not in ("", ".") else Path.cwd()
    if path.name.upper() in ("HR", "GT", "HR_IMAGES") and path.parent.name:
        return path.parent.name
    return path.name


def load_image(path) -> np.ndarray:
    """Read an image file for evaluation: uint8/uint16, grayscale 2-D or RGB, alpha dropped.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    (M, N) or (M, N, 3) ndarray of uint8 or uint16

    Raises
    ------
    DatasetError
        Naming the file when it is missing, unreadable, truncated, or not a 1-, 2-, 3- or
        4-channel image.
    """
    from .io import read_image

    try:
        image = read_image(path)
    except (ValueError, OSError) as exc:  # io.ImageReadError is a ValueError naming the file
        raise DatasetError(str(exc)) from exc
    if image.ndim == 3:
        channels = image.shape[2]
        if channels == 4:
            image = image[:, :, :3]
        elif channels == 2:
            image = image[:, :, 0]
        elif channels != 3:
            raise DatasetError(f"cannot use {path}: {channels} channels (expected gray, RGB or RGBA)")
    return np.ascontiguousarray(image)


def find_lr_file(lr_dir, scale: int, stem: str) -> Path | None:
    """The given LR file for the HR image ``stem`` at ``scale``, or None when there is none.

    Looks in ``lr_dir/X{scale}`` (or ``x{scale}``) when that folder exists, else in
    ``lr_dir``, for ``<stem>.<ext>`` then ``<stem>x{scale}.<ext>``.
    """
    base = Path(lr_dir)
    for sub in (f"X{scale}", f"x{scale}"):
        if (base / sub).is_dir():
            base = base / sub
            break
    for candidate_stem in (stem, f"{stem}x{scale}"):
        for suffix in IMAGE_SUFFIXES:
            for variant in (suffix, suffix.upper()):
                p = base / f"{candidate_stem}{variant}"
                if p.is_file():
                    return p
    return None


@dataclass
class ImagePair:
    """One evaluation sample: the mod-cropped HR reference and its LR input.

    Attributes
    ----------
    name : str
        The HR file's stem.
    scale : int
    hr : ndarray
        ``modcrop(HR, scale)``; uint8/uint16, (H, W) or (H, W, 3).
    lr : ndarray
        ``hr.shape // scale`` spatially, same dtype and channels.
    hr_path, lr_path : pathlib.Path or None
        The files they came from (``lr_path`` is None for LR made on the fly).
    """

    name: str
    scale: int
    hr: np.ndarray
    lr: np.ndarray
    hr_path: Path | None = None
    lr_path: Path | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class SRDataset:
    """A folder of HR images, paired at each scale with given or on-the-fly LR images.

    Parameters
    ----------
    hr_dir : str or os.PathLike
        Folder of HR images.
    lr_dir : str or os.PathLike, optional
        Folder of given LR images (``LR_bicubic`` with ``X{s}`` sub-folders, or one folder for
        a single scale).  ``None`` makes the LR images on the fly.
    kernel, boundary : str
        Degradation of on-the-fly LR images, see :func:`classicsr.degrade.downsample`
        (default MATLAB bicubic with replicate boundary, the rule of the benchmark files).
    sigma : float, optional
        PSF standard deviation for ``kernel="gaussian"``.
    name : str, optional
        Display name (default :func:`dataset_name` of ``hr_dir``).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from classicsr.io import write_image
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_image(d / "a.png", np.zeros((9, 10, 3), np.uint8))
    >>> ds = SRDataset(d)
    >>> pair = ds.pair(0, 3)
    >>> pair.hr.shape, pair.lr.shape
    ((9, 9, 3), (3, 3, 3))
    """

    hr_dir: Path
    lr_dir: Path | None = None
    kernel: str = "bicubic"
    boundary: str = "replicate"
    sigma: float | None = None
    name: str | None = None
    hr_paths: list = field(init=False)

    def __post_init__(self):
        self.hr_dir = Path(self.hr_dir)
        if self.lr_dir is not None:
            self.lr_dir = Path(self.lr_dir)
            if not self.lr_dir.is_dir():
                raise DatasetError(f"LR folder {self.lr_dir} does not exist or is not a folder")
        self.hr_paths = list_images(self.hr_dir)
        if self.name is None:
            self.name = dataset_name(self.hr_dir)

    def __len__(self) -> int:
        return len(self.hr_paths)

    @property
    def names(self) -> list[str]:
        """The HR files' stems, in order."""
        return [p.stem for p in self.hr_paths]

    def load_hr(self, index: int) -> np.ndarray:
        """The full (uncropped) HR image ``index``; raises :class:`DatasetError` naming the file."""
        return load_image(self.hr_paths[index])

    def pair(self, index: int, scale: int, hr: np.ndarray | None = None) -> ImagePair:
        """The :class:`ImagePair` of image ``index`` at ``scale``.

        ``hr`` may pass the already loaded full HR image (to read it once for several scales).
        Raises :class:`DatasetError` naming the file for unreadable files, a missing LR file
        or an HR/LR shape mismatch.
        """
        from . import _validate as V
        from .degrade import make_lr, modcrop

        scale = V.check_int("scale", scale, minimum=1)
        path = self.hr_paths[index]
        full = self.load_hr(index) if hr is None else hr
        if full.shape[0] < scale or full.shape[1] < scale:
            raise DatasetError(f"{path}: HR image of shape {full.shape} is smaller than scale {scale}")
        if self.lr_dir is None:
            try:
                hr_s, lr = make_lr(full, scale, kernel=self.kernel, boundary=self.boundary, sigma=self.sigma)
            except (ValueError, TypeError) as exc:
                raise DatasetError(f"{path}: cannot make the x{scale} LR image: {exc}") from exc
            return ImagePair(path.stem, scale, np.ascontiguousarray(hr_s), lr, path, None)
        hr_s = np.ascontiguousarray(modcrop(full, scale))
        lr_path = find_lr_file(self.lr_dir, scale, path.stem)
        if lr_path is None:
            raise DatasetError(
                f"{path}: no x{scale} LR file named {path.stem}.* or {path.stem}x{scale}.* in "
                f"{self.lr_dir} (or its X{scale} sub-folder)"
            )
        lr = load_image(lr_path)
        expected = (hr_s.shape[0] // scale, hr_s.shape[1] // scale) + hr_s.shape[2:]
        if lr.shape != expected:
            raise DatasetError(
                f"{lr_path}: LR shape {lr.shape} does not match HR {path.name} of shape {full.shape} "
                f"(mod-cropped to {hr_s.shape}, so x{scale} LR should be {expected})"
            )
        if lr.dtype != hr_s.dtype:
            raise DatasetError(f"{lr_path}: LR dtype {lr.dtype} differs from HR {path.name} dtype {hr_s.dtype}")
        return ImagePair(path.stem, scale, hr_s, lr, path, lr_path)

    def pairs(self, scale: int):
        """Iterate over the :class:`ImagePair` of every image at ``scale`` (errors propagate)."""
        for i in range(len(self)):
            yield self.pair(i, scale)
