"""``classicsr deblur``: non-blind deconvolution of image files (Wiener, Tikhonov, RL, inverse)."""

from __future__ import annotations

from pathlib import Path

from ._common import (EXIT_USAGE, Report, UsageError, add_common_options, error, expand_inputs,
                      is_batch, names_folder, output_targets, prepare_output_folder, run_batch)

NAME = "deblur"
HELP = "Deblur images with a known PSF (Wiener, Tikhonov, Richardson-Lucy, inverse filter)."
EXAMPLES = """examples:
  classicsr deblur in.png out.png --psf gaussian:2 --method wiener            (NSR estimated)
  classicsr deblur in.png out.png --psf gaussian:2 --method wiener --nsr 0.01
  classicsr deblur in.png out.png --psf motion:15,30 --method tikhonov --lam-method gcv
  classicsr deblur in.png out.png --psf disk:3 --method richardson_lucy --iterations 50
  classicsr deblur in.png out.png --psf kernel.npy --method wiener --boundary wrap
  classicsr deblur blurred/ sharp/ --psf gaussian:1.5,3,45 --overwrite          (every image of a folder)
  classicsr deblur blurred/ sharp/ --psf disk:3 --json        (JSON on stdout, with the chosen nsr/lam)

PSF specs: gaussian:SIGMA[,SIGMA_Y[,ANGLE]]  disk:RADIUS  motion:LENGTH[,ANGLE]  box:N[,M]
or a file: .npy array, or an image (normalised to sum 1).  Angles in degrees, counter-clockwise.
Images are processed in [0, 1] (8/16-bit values divided by 255/65535), clipped and written
back in the input's bit depth; an alpha channel is passed through unchanged.
"""

_METHODS = ("wiener", "tikhonov", "richardson_lucy", "inverse")


def parse_psf(spec: str):
    """A PSF from ``kind:params`` or a file path (see EXAMPLES)."""
    import numpy as np

    from .. import psf as psfs

    text = spec.strip()
    kind, _, params = text.partition(":")
    kind = kind.strip().lower()
    makers = {"gaussian": 3, "disk": 1, "motion": 2, "box": 2}
    if kind in makers and params:
        try:
            values = [float(v) for v in params.split(",")]
        except ValueError:
            raise UsageError(f"--psf {spec!r}: parameters must be numbers separated by commas") from None
        if not 1 <= len(values) <= makers[kind]:
            raise UsageError(f"--psf {kind} takes 1 to {makers[kind]} numbers, got {len(values)}")
        try:
            if kind == "gaussian":
                sy = values[1] if len(values) > 1 else None
                angle = values[2] if len(values) > 2 else 0.0
                return psfs.gaussian(values[0], sigma_y=sy, angle=angle)
            if kind == "disk":
                return psfs.disk(values[0])
            if kind == "motion":
                return psfs.motion(values[0], values[1] if len(values) > 1 else 0.0)
            if any(v != int(v) for v in values):
                raise UsageError(f"--psf box sizes must be integers, got {params!r}")
            size = (int(values[0]), int(values[-1]))
            return psfs.box(size)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"--psf {spec!r}: {exc}") from None
    path = Path(text)
    if path.is_file():
        try:
            if path.suffix.lower() == ".npy":
                arr = np.load(path, allow_pickle=False)
            else:
                from ..io import read_image

                arr = read_image(path)
                if arr.ndim == 3:
                    arr = arr[..., :3].mean(axis=-1)
            return psfs.validate_psf(arr, name=f"--psf {path}")
        except (ValueError, TypeError, OSError) as exc:
            raise UsageError(str(exc)) from None
    raise UsageError(f"--psf {spec!r} is neither a PSF spec (gaussian:SIGMA, disk:R, motion:LEN[,ANGLE], "
                     f"box:N[,M]) nor an existing file")


def add_arguments(parser):
    from ..deconvolution import _BOUNDARIES

    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="input file(s), folder(s) or glob(s), then the output file or folder")
    parser.add_argument("--psf", required=True, help="the blur: gaussian:2, disk:3, motion:15,30, box:5 or a file")
    parser.add_argument("--method", default="wiener", choices=_METHODS, help="deconvolution method (default: wiener)")
    parser.add_argument("--nsr", type=float, help="Wiener noise-to-signal ratio (default: estimated from the image)")
    parser.add_argument("--lam", type=float, help="Tikhonov weight (default: chosen by --lam-method)")
    parser.add_argument("--lam-method", default="power-law", choices=("power-law", "gcv", "discrepancy"),
                        help="automatic Tikhonov weight (default: power-law spectrum model)")
    parser.add_argument("--regularizer", default="laplacian", choices=("laplacian", "identity", "gradient"),
                        help="Tikhonov regulariser (default: laplacian)")
    parser.add_argument("--noise-sigma", type=float,
                        help="known noise standard deviation on the [0, 1] scale (default: estimated)")
    parser.add_argument("--iterations", type=int, default=30, help="Richardson-Lucy iterations (default: 30)")
    parser.add_argument("--damping", type=float, default=0.0, help="Richardson-Lucy damping, [0, 1] scale")
    parser.add_argument("--threshold", type=float, help="inverse filter: zero frequencies with |OTF| <= this")
    parser.add_argument("--boundary", default="symmetric", choices=_BOUNDARIES,
                        help="edge handling (default: symmetric padding; 'wrap' = periodic)")
    add_common_options(parser)


def _to_unit(image):
    import numpy as np

    scale = float(np.iinfo(image.dtype).max) if image.dtype.kind in "ui" else 1.0
    return image.astype(np.float64) / scale, scale


def _from_unit(values, dtype, scale):
    import numpy as np

    if np.dtype(dtype).kind in "ui":
        return np.clip(np.round(values * scale), 0, scale).astype(dtype)
    return np.clip(values, 0.0, 1.0).astype(dtype)


def run(args) -> int:
    import numpy as np

    from ..deconvolution import Deconvolver

    if len(args.paths) < 2:
        error(NAME, "give at least one input and an output (classicsr deblur IN OUT --psf gaussian:2)")
        return EXIT_USAGE
    try:
        kernel = parse_psf(args.psf)
        for flag, value in (("--nsr", args.nsr), ("--lam", args.lam), ("--noise-sigma", args.noise_sigma),
                            ("--damping", args.damping), ("--threshold", args.threshold)):
            if value is not None and not (value >= 0 and np.isfinite(value)):
                raise UsageError(f"{flag} must be a finite number >= 0, got {value}")
        if args.iterations < 0:
            raise UsageError(f"--iterations must be >= 0, got {args.iterations}")
        engine = Deconvolver(kernel, method=args.method, nsr=args.nsr, lam=args.lam,
                             lam_method=args.lam_method, regularizer=args.regularizer,
                             noise_sigma=args.noise_sigma, iterations=args.iterations, damping=args.damping,
                             threshold=args.threshold, boundary=args.boundary, channel_axis=-1)
        inputs = expand_inputs(args.paths[:-1])
        output = Path(args.paths[-1])
        many = is_batch(args.paths[:-1], inputs) or names_folder(args.paths[-1])
        jobs = output_targets(inputs, output, many)
    except UsageError as exc:
        error(NAME, str(exc))
        return EXIT_USAGE
    report = Report(NAME, args)
    if many:
        try:
            prepare_output_folder(output)
        except OSError as exc:
            report.fail(None, exc)
            return report.finish()

    def process(image):
        unit, scale = _to_unit(image)
        if unit.ndim == 3 and unit.shape[-1] in (2, 4):  # grey/colour + alpha: alpha passes through
            restored = np.concatenate([engine(unit[..., :-1]), unit[..., -1:]], axis=-1)
        else:
            restored = engine(unit)
        details = {k: v for k, v in engine.info.items() if k in ("nsr", "lam", "noise_sigma")}
        note = ", ".join([args.method] + [f"{k}={_fmt(v)}" for k, v in details.items()])
        return _from_unit(restored, image.dtype, scale), {"method": args.method, **_jsonable(details)}, note

    run_batch(report, jobs, process, overwrite=args.overwrite, desc=NAME)
    return report.finish()


def _jsonable(details):
    """Numbers and per-channel lists as floats, labels as strings."""
    def one(v):
        if isinstance(v, (list, tuple)):
            return [one(x) for x in v]
        return v if isinstance(v, str) else float(v)

    return {k: one(v) for k, v in details.items()}


def _fmt(value):
    """A number, a per-channel list, or a label such as 'per-frequency', for the log line."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return "/".join(v if isinstance(v, str) else f"{float(v):.3g}" for v in values)
