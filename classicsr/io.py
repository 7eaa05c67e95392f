"""Image files: reading with clear errors, and atomic, non-clobbering writes.

``read_image`` returns uint8 or uint16 arrays, (H, W) for grayscale and (H, W, C) otherwise,
with the EXIF orientation applied.  ``write_image`` writes through a temporary file in the
target folder and renames it into place, so an interrupted run never leaves a truncated image,
and refuses to replace an existing file unless ``overwrite=True``.
"""

from __future__ import annotations

import errno
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["ImageReadError", "read_image", "write_image", "write_bytes", "IMAGE_SUFFIXES",
           "MAX_IMAGE_PIXELS"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF


#: Largest image (height x width) :func:`read_image` decodes; larger headers are refused as
#: possible decompression bombs before any pixel is decoded.  Pillow's own hard limit
#: (2 x ``PIL.Image.MAX_IMAGE_PIXELS``, 178,956,970) by default; assign ``None`` for no limit.
#: The environment variable ``CLASSICSR_MAX_IMAGE_PIXELS`` (a number; ``0`` or ``none``: no
#: limit), when set, takes precedence, so the command line can raise it too.  Formats decoded
#: by Pillow (JPEG, BMP, 8-bit PNG) also stay under Pillow's global
#: ``PIL.Image.MAX_IMAGE_PIXELS`` (twice it is an error there).
MAX_IMAGE_PIXELS: int | None = 2 * 89_478_485


def _max_pixels():
    """The limit in force: ``CLASSICSR_MAX_IMAGE_PIXELS`` when set, else MAX_IMAGE_PIXELS."""
    text = os.environ.get("CLASSICSR_MAX_IMAGE_PIXELS", "").strip().lower()
    if not text:
        return MAX_IMAGE_PIXELS
    if text in ("0", "none", "off", "unlimited"):
        return None
    try:
        value = int(float(text))
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"the environment variable CLASSICSR_MAX_IMAGE_PIXELS must be a number of pixels "
                         f">= 0 or 'none' (0 and 'none': no limit), got {text!r}")
    return value


class ImageReadError(ValueError):
    """An image file could not be read; the message names the file and the reason."""


def _png_header(head: bytes):
    """(width, height, bit_depth, color_type) from a PNG file's first 29 bytes, or None."""
    if len(head) < 29 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height, head[24], head[25]


def _check_pixels(path: Path, height: int, width: int) -> None:
    """Refuse a header that announces more than MAX_IMAGE_PIXELS pixels (decompression bomb)."""
    limit = _max_pixels()
    if limit is not None and int(height) * int(width) > limit:
        raise ImageReadError(
            f"cannot read {path}: its header announces {height} x {width} = {int(height) * int(width):,} pixels, "
            f"more than the limit of {limit:,} (classicsr.io.MAX_IMAGE_PIXELS; a decompression bomb?); "
            f"raise that limit (environment variable CLASSICSR_MAX_IMAGE_PIXELS=N, or 'none') "
            f"only for files you trust")


def read_image(path) -> np.ndarray:
    """Read an image file into a numpy array.

    Parameters
    ----------
    path : str or os.PathLike
        PNG, JPEG, TIFF or BMP file.

    Returns
    -------
    image : (M, N) or (M, N, C) ndarray of uint8 or uint16
        16-bit PNG and TIFF files stay 16-bit.  EXIF (and TIFF) orientation is applied, to
        16-bit files too.  A TIFF must hold one 2-D image (gray, or samples interleaved or
        planar; the first image of a multi-image file); stacks are refused.  CMYK (and
        YCbCr, LAB, HSV) files are converted to RGB by Pillow; gray + alpha files give
        (M, N, 2).

    Raises
    ------
    ImageReadError
        (a ``ValueError``) naming the file when it is missing, unreadable, truncated, not an
        image, or larger than :data:`MAX_IMAGE_PIXELS` (checked from the header, before
        decoding).

    Notes
    -----
    The format is recognised from the file's first bytes, not its suffix: a PNG named
    ``.jpg`` or a TIFF named ``.png`` is read as what it is.
    """
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"cannot read {path}: no such file")
    if path.is_dir():
        raise ImageReadError(f"cannot read {path}: it is a directory")
    if not os.access(path, os.R_OK):
        raise ImageReadError(f"cannot read {path}: permission denied")
    if path.stat().st_size == 0:
        raise ImageReadError(f"cannot read {path}: the file is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(33)
    except OSError as exc:  # e.g. permission denied for root-squashed mounts, EIO
        raise ImageReadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        if head.startswith(_TIFF_SIGNATURES):
            image = _read_tiff(path)
        else:
            header = _png_header(head)
            if header is not None:
                _check_pixels(path, header[1], header[0])
            if header is not None and header[2] == 16 and header[3] in (2, 4, 6):
                image = _orient(_read_png16_color(path, gray_alpha=header[3] == 4),
                                _png_orientation(path))
            else:
                image = _read_pillow(path)
    except ImageReadError:
        raise
    except MemoryError as exc:
        raise ImageReadError(f"cannot read {path}: not enough memory to decode it") from exc
    except Exception as exc:  # imageio/Pillow/tifffile raise many types; report them uniformly
        raise ImageReadError(f"cannot read {path}: {type(exc).__name__}: {exc}") from exc
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.dtype not in (np.uint8, np.uint16):
        raise ImageReadError(f"cannot read {path}: unsupported pixel type {image.dtype} "
                             f"(classicsr reads 8- and 16-bit images)")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3):
        raise ImageReadError(f"cannot read {path}: expected a single 2-D image, got shape {image.shape}")
    return image


def _read_tiff(path: Path) -> np.ndarray:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        # drop length-1 axes, then accept one 2-D image: gray (YX), interleaved samples (YXS)
        # or planar samples (SYX); stacks of pages, volumes, time series are refused
        axes = "".join(a for a, n in zip(series.axes, series.shape) if n != 1)
        shape = tuple(n for n in series.shape if n != 1)
        if axes not in ("YX", "YXS", "SYX"):
            raise ImageReadError(f"cannot read {path}: a TIFF of shape {series.shape} (axes "
                                 f"{series.axes!r}, {len(tif.pages)} page(s)) is not a single 2-D "
                                 f"image; classicsr reads one gray or colour image per file")
        _check_pixels(path, *(shape[1:3] if axes == "SYX" else shape[:2]))
        image = series.asarray().reshape(shape)
        if axes == "SYX":
            image = np.moveaxis(image, 0, -1)
        tag = tif.pages[0].tags.get(274)  # Orientation
        return _orient(image, None if tag is None else tag.value)


def _orient(image: np.ndarray, orientation) -> np.ndarray:
    """Apply an EXIF / TIFF orientation (1-8) as Pillow's ``ImageOps.exif_transpose`` does."""
    try:
        orientation = int(orientation)
    except (TypeError, ValueError):
        return image
    if orientation == 2:
        image = image[:, ::-1]
    elif orientation == 3:
        image = image[::-1, ::-1]
    elif orientation == 4:
        image = image[::-1]
    elif orientation == 5:
        image = image.swapaxes(0, 1)
    elif orientation == 6:
        image = np.rot90(image, -1)
    elif orientation == 7:
        image = image[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        image = np.rot90(image, 1)
    return np.ascontiguousarray(image)


def _png_orientation(path: Path):
    from PIL import Image

    with Image.open(path) as im:
        return im.getexif().get(0x0112)


def _read_pillow(path: Path) -> np.ndarray:
    import imageio.v3 as iio
    from PIL import Image

    try:
        with Image.open(path) as im:  # lazy: reads the header only
            width, height = im.size
            mode = im.mode
            transparent_palette = mode == "P" and "transparency" in im.info
    except Image.DecompressionBombError as exc:  # over Pillow's own (global) limit
        raise ImageReadError(f"cannot read {path}: {exc}") from exc
    _check_pixels(path, height, width)
    if mode in _CONVERT_TO_RGB:  # CMYK (e.g. print JPEGs), YCbCr, LAB, HSV: not RGB samples
        return iio.imread(path, plugin="pillow", rotate=True, mode="RGB")
    if transparent_palette:  # keep the palette's transparency as an alpha channel
        return iio.imread(path, plugin="pillow", rotate=True, mode="RGBA")
    return iio.imread(path, plugin="pillow", rotate=True)


#: Pillow modes whose samples are not RGB; read_image converts them to RGB.
_CONVERT_TO_RGB = ("CMYK", "YCbCr", "LAB", "HSV")


def _read_png16_color(path: Path, gray_alpha: bool = False) -> np.ndarray:
    # Pillow truncates 16-bit colour and gray + alpha PNGs to 8 bits; OpenCV reads them
    # exactly (gray + alpha as BGRA with the gray value in B, G and R).
    try:
        import cv2
    except ImportError:
        kind = "gray + alpha" if gray_alpha else "colour"
        raise ImageReadError(
            f"cannot read {path}: 16-bit {kind} PNG needs OpenCV "
            f"(pip install 'classicsr[opencv]'); 16-bit TIFF works without it") from None
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageReadError(f"cannot read {path}: OpenCV could not decode it (truncated or corrupt?)")
    if gray_alpha:
        if image.ndim != 3 or image.shape[2] != 4:
            raise ImageReadError(f"cannot read {path}: OpenCV decoded a 16-bit gray + alpha PNG "
                                 f"as shape {image.shape}, expected (H, W, 4)")
        image = image[:, :, [0, 3]]
    elif image.ndim == 3:
        image = image[:, :, 2::-1] if image.shape[2] == 3 else image[:, :, [2, 1, 0, 3]]
    return np.ascontiguousarray(image)


def _png16_bytes(image: np.ndarray) -> bytes:
    """Encode a uint16 (H, W) or (H, W, C<=4) array as a 16-bit PNG (filter 0, zlib level 6)."""
    h, w = image.shape[:2]
    c = 1 if image.ndim == 2 else image.shape[2]
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.ascontiguousarray(image, dtype=">u2").reshape(h, w * c).view(np.uint8).reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    return _PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def write_image(path, image, *, overwrite: bool = False) -> Path:
    """Write ``image`` to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; the format follows the suffix (.png, .jpg/.jpeg, .tif/.tiff, .bmp).
    image : (M, N) or (M, N, C) ndarray of uint8 or uint16
        uint16 is kept 16-bit in PNG and TIFF (JPEG and BMP need uint8 and have no alpha:
        2- and 4-channel images go to PNG or TIFF).
    overwrite : bool
        Replace an existing file.  Without it an existing ``path`` raises ``FileExistsError``.

    Returns
    -------
    pathlib.Path
        The written path.

    Notes
    -----
    The data go to a temporary file in the same folder, which is flushed, fsynced and then
    renamed onto ``path`` (``os.replace``, or ``os.link`` when not overwriting, which fails
    rather than replacing a file that appeared meanwhile).  Interrupting the call leaves
    either no file or the complete one.
    """
    path = Path(path)
    image = np.asarray(image)
    if image.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"image must be uint8 or uint16 to be written to {path}, got {image.dtype} "
                        f"(convert floats with skimage.util.img_as_ubyte or np.clip + round)")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"image must be (H, W) or (H, W, C) with C in 1..4, got shape {image.shape}")
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"cannot write {path}: unknown image suffix {path.suffix!r}; use one of {IMAGE_SUFFIXES}")
    if image.dtype == np.uint16 and suffix not in (".png", ".tif", ".tiff"):
        raise ValueError(f"cannot write 16-bit data to {path}: {suffix} holds 8 bits; use .png or .tif")
    if image.ndim == 3 and image.shape[2] in (2, 4) and suffix not in (".png", ".tif", ".tiff"):
        colour = "gray + alpha" if image.shape[2] == 2 else "RGBA"
        raise ValueError(f"cannot write a {colour} image to {path}: {suffix} has no alpha "
                         f"channel; use .png or .tif, or drop the alpha first "
                         f"(image[..., :{image.shape[2] - 1}])")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    if suffix in (".tif", ".tiff"):
        import io as _io

        import tifffile

        buffer = _io.BytesIO()
        # say what the samples are, or readers guess: tifffile itself took (H, W, 2) for
        # H pages of W x 2 and (4, W, 2) for four planar samples
        pixels = image[:, :, 0] if image.ndim == 3 and image.shape[2] == 1 else image
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        options = {"photometric": "minisblack" if channels <= 2 else "rgb"}
        if channels > 1:
            options["planarconfig"] = "contig"
        if channels in (2, 4):
            options["extrasamples"] = ("unassalpha",)
        tifffile.imwrite(buffer, pixels, **options)
        data = buffer.getvalue()
    elif suffix == ".png" and image.dtype == np.uint16:
        data = _png16_bytes(image)
    else:
        import imageio.v3 as iio

        pixels = image[:, :, 0] if image.ndim == 3 and image.shape[2] == 1 else image
        data = iio.imwrite("<bytes>", pixels, extension=suffix, plugin="pillow")
    return write_bytes(path, data, overwrite=overwrite)


def _new_temporary(path: Path, *, suffix: str, folder: bool = False) -> Path:
    """Create a hidden temporary file (mode 644) or, with ``folder``, an empty folder (755)
    beside ``path``, exclusively, named ``.<name>.<random><suffix>``; the name is cut so that
    a valid long file name does not give an overlong temporary."""
    prefix = f".{path.name[:100]}."
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=path.parent))
        os.chmod(tmp, 0o755)
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        os.chmod(tmp, 0o644)
    return tmp


#: errnos of ``os.link`` on file systems without hard links (FAT, some network shares)
_NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)


def _place_file(tmp, path, *, overwrite: bool) -> None:
    """Move the complete file ``tmp`` onto ``path`` (same folder): ``os.replace`` with
    ``overwrite``, else ``os.link`` (then ``tmp`` is left for the caller to remove), which
    fails rather than replace a ``path`` that appeared meanwhile; where there are no hard
    links, a rename after a last check."""
    path = Path(path)
    if overwrite:
        os.replace(tmp, path)
        return
    exists = f"{path} exists; pass overwrite=True (--overwrite) to replace it"
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(exists) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if path.exists():
            raise FileExistsError(exists) from None
        os.replace(tmp, path)


def write_bytes(path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (the writer behind :func:`write_image`).

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its folder must exist.
    data : bytes
        The complete file contents.
    overwrite : bool
        Replace an existing file.  Without it an existing ``path`` raises ``FileExistsError``.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is false (also when it appears during the write).
    OSError
        The folder is missing or not writable, the disk is full, ...: the message starts with
        ``cannot write <path>``, and neither ``path`` nor a temporary file is left behind.

    Notes
    -----
    The data go to a hidden temporary file in the same folder, which is flushed, fsynced
    and then renamed onto ``path`` (``os.replace``, or ``os.link`` when not overwriting,
    which fails rather than replacing a file that appeared meanwhile).  Any exception,
    ``KeyboardInterrupt`` included, removes the temporary file: an interrupted or failed
    call leaves either no file or the complete one, and never touches an existing file
    it was not allowed to replace.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"cannot write {path}: it is a directory")
    tmp = None
    try:
        tmp = _new_temporary(path, suffix=f".tmp{path.suffix[:16]}")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _place_file(tmp, path, overwrite=overwrite)
    except FileExistsError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason += f" (is the folder {folder} writable?)"
        raise OSError(exc.errno, f"cannot write {path}: {reason}") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return path
