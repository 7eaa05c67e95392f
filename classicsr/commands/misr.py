"""``classicsr misr``: multi-frame super-resolution of a sequence of image files."""

from __future__ import annotations

from pathlib import Path

from ._common import (EXIT_USAGE, Report, UsageError, add_common_options, error, expand_inputs, info,
                      path_usage_error)

NAME = "misr"
HELP = "Multi-frame super-resolution: register several LR frames of one scene and reconstruct one HR image."
EXAMPLES = """examples:
  classicsr misr frames/ out.png --scale 4 --method btv
  classicsr misr f0.png f1.png f2.png f3.png out.png --scale 2 --method tikhonov
  classicsr misr 'seq/frame_*.png' out.png --scale 3 --method l1btv --motion euclidean --psf-sigma 1.5
  classicsr misr frames/ out.png --scale 2 --method median --reference 5 --overwrite
  classicsr misr frames/ out.png --scale 2 --json           (JSON on stdout: frames, motions, output)
methods: median / mean (shift-and-add), ibp (iterative back-projection), tikhonov (L2 + Laplacian,
CG), btv (L2 + bilateral TV), l1btv (robust L1 + bilateral TV; tolerates outlier frames).
"""

METHODS = ("median", "mean", "ibp", "tikhonov", "btv", "l1btv")


def add_arguments(parser):
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="input frames (files, a folder, or a glob; at least 2 frames), then the output file")
    parser.add_argument("--scale", type=int, required=True, help="integer magnification (>= 1)")
    parser.add_argument("--method", default="btv", choices=METHODS, help="reconstruction (default: btv)")
    parser.add_argument("--motion", default="translation", choices=("translation", "euclidean", "affine"),
                        help="motion model for registration (default: translation)")
    parser.add_argument("--reference", type=int, default=0,
                        help="index of the reference frame, 0 to N-1 in input order; negative "
                             "counts from the end, -1 is the last frame (default 0)")
    parser.add_argument("--psf-sigma", type=float, default=1.0,
                        help="Gaussian PSF sigma in HR pixels (default 1.0; 0 for no blur)")
    parser.add_argument("--iterations", type=int, default=None, help="solver iterations (default: per method)")
    parser.add_argument("--lam", type=float, default=None, help="regularisation weight (default: per method)")
    add_common_options(parser)


def _to_output_dtype(x, dtype):
    import numpy as np

    if dtype == np.uint8:
        return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
    if dtype == np.uint16:
        return np.clip(np.rint(x * 65535.0), 0, 65535).astype(np.uint16)
    return x


def run(args) -> int:
    import math

    import numpy as np

    from ..io import read_image, write_image
    from ..misr import RegistrationError, register
    from ..misr import iterative_back_projection, regularized_sr, shift_and_add

    if len(args.paths) < 2:
        error(NAME, "give the input frames and an output file (classicsr misr FRAME... OUT --scale S)")
        return EXIT_USAGE
    try:
        if args.scale < 1:
            raise UsageError(f"--scale must be an integer >= 1, got {args.scale}")
        if not (args.psf_sigma >= 0 and math.isfinite(args.psf_sigma)):  # nan fails both
            raise UsageError(f"--psf-sigma must be a finite number >= 0 (0 for no blur), "
                             f"got {args.psf_sigma}")
        inputs = expand_inputs(args.paths[:-1])
        output = Path(args.paths[-1])
        if len(inputs) < 2:
            raise UsageError(f"need at least 2 frames, got {len(inputs)}")
        if output.is_dir():
            raise UsageError(f"{output} is a folder; give an output file name")
        if output.exists() and not args.overwrite:
            raise UsageError(f"{output} exists; pass --overwrite to replace it")
        n = len(inputs)
        if not -n <= args.reference < n:
            raise UsageError(f"--reference must be a frame index in [0, {n - 1}] (or [-{n}, -1], "
                             f"counted from the end) for {n} frames, got {args.reference}")
        reference = args.reference % n  # the index used and reported
    except UsageError as exc:
        error(NAME, str(exc))
        return EXIT_USAGE
    except OSError as exc:  # looking at the output path (a name too long for the file system)
        error(NAME, str(path_usage_error(exc)))
        return EXIT_USAGE

    report = Report(NAME, args)
    frames = []
    for p in inputs:  # every unreadable frame is reported, not only the first
        try:
            frames.append(read_image(p))
        except (ValueError, OSError) as exc:
            report.fail(p, exc, output=str(output))
    if report.failures:
        return report.finish()
    for k, f in enumerate(frames[1:], start=1):
        if f.shape != frames[0].shape:
            error(NAME, f"frames must share one shape: {inputs[0]} is {frames[0].shape}, {inputs[k]} is {f.shape}")
            return EXIT_USAGE
        if f.dtype != frames[0].dtype:
            error(NAME, f"frames must share one dtype: {inputs[0]} is {frames[0].dtype}, {inputs[k]} is {f.dtype}")
            return EXIT_USAGE
    dtype = frames[0].dtype
    psf = args.psf_sigma if args.psf_sigma > 0 else None
    try:
        info(f"registering {len(frames)} frames ({args.motion})", args.quiet or report.json)
        motions = register(frames, reference, model=args.motion)
    except RegistrationError as exc:
        import re

        msg = str(exc)
        found = re.search(r"frame (\d+)", msg)
        if found and int(found.group(1)) < len(inputs):
            msg += f" [frame {found.group(1)} is {inputs[int(found.group(1))]}]"
        report.fail(None, f"registration failed: {msg}", output=str(output))
        return report.finish()
    except (ValueError, TypeError) as exc:  # frames that cannot be registered (e.g. 1 pixel high)
        report.fail(None, f"cannot register the frames: {exc}", output=str(output))
        return report.finish()
    common = dict(motions=motions, reference=reference, channel_axis=-1)
    try:
        if args.method in ("median", "mean"):
            out = shift_and_add(frames, args.scale, fusion=args.method, deblur=psf is not None,
                                psf=psf if psf is not None else 1.0, **common)
        elif args.method == "ibp":
            kw = {} if args.iterations is None else {"n_iter": args.iterations}
            out = iterative_back_projection(frames, args.scale, psf=psf, progress=not args.quiet, **kw, **common)
        else:
            data, prior = {"tikhonov": ("l2", "tikhonov"), "btv": ("l2", "btv"), "l1btv": ("l1", "btv")}[args.method]
            kw = {}
            if args.iterations is not None:
                kw["n_iter"] = args.iterations
            if args.lam is not None:
                kw["lam"] = args.lam
            out = regularized_sr(frames, args.scale, psf=psf, data=data, prior=prior, progress=not args.quiet,
                                 **kw, **common)
        out = _to_output_dtype(np.clip(out, 0.0, 1.0) if np.dtype(dtype).kind in "ui" else out, dtype)
        write_image(output, out, overwrite=args.overwrite)
    except MemoryError:
        report.fail(output, "not enough memory for the reconstruction", output=str(output))
        return report.finish()
    except (ValueError, TypeError, OSError) as exc:
        report.fail(output, exc, output=str(output))
        return report.finish()
    report.done(f"{len(frames)} frames {frames[0].shape} -> {output} {out.shape} ({args.method}, x{args.scale})",
                inputs=[str(p) for p in inputs], output=str(output), input_shape=list(frames[0].shape),
                output_shape=list(out.shape), dtype=str(out.dtype), method=args.method, scale=args.scale,
                reference=reference, motions=[np.asarray(m).tolist() for m in motions])
    return report.finish()
