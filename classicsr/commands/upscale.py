"""``classicsr upscale``: super-resolve image files with a network, an OpenCV model or a kernel."""

from __future__ import annotations

from pathlib import Path

from ._common import (EXIT_USAGE, Report, UsageError, add_common_options, error, expand_inputs, info,
                      is_batch, names_folder, output_targets, prepare_output_folder, run_batch)

NAME = "upscale"
HELP = "Super-resolve images with a neural model (shipped ESPCN/FSRCNN, your weights, OpenCV .pb) or a kernel."
EXAMPLES = """examples:
  classicsr upscale in.png out.png --model fsrcnn --scale 3         (shipped weights, offline)
  classicsr upscale in.png out.png --model fsrcnn --scale 2 --self-ensemble
  classicsr upscale in.png out.png --model edsr --scale 4 --weights edsr_baseline_x4.pt --tile 128
  classicsr upscale in.png out.png --model rrdbnet --scale 4 --weights RealESRGAN_x4plus.pth
  classicsr upscale in.png out.png --model ../shared/data/opencv_models/LapSRN_x4.pb
  classicsr upscale photos/ big/ --model bicubic --scale 2            (classicsr.resize kernels too)
  classicsr upscale photos/ big/ --model espcn --scale 2 --json       (JSON on stdout)
"""

_NETS = ("espcn", "fsrcnn", "srcnn", "edsr", "rrdbnet")


def add_arguments(parser):
    from ..resize import METHODS

    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="input file(s), folder(s) or glob(s), then the output file or folder")
    parser.add_argument("--model", required=True,
                        help=f"one of {', '.join(_NETS)} (torch), a resize kernel ({', '.join(METHODS)}), "
                             f"or an OpenCV dnn_superres .pb file (ESPCN_x3.pb, LapSRN_x4.pb, ...)")
    parser.add_argument("--scale", type=int, help="integer scale (read from the .pb name for OpenCV models)")
    parser.add_argument("--weights", help="weights file (.pt/.pth state dict or .safetensors); default: the "
                                          "shipped weights of espcn/fsrcnn")
    parser.add_argument("--residual", action="store_true",
                        help="with --weights: the espcn/fsrcnn weights were trained with the "
                             "global bicubic skip (classicsr train --residual, as the shipped "
                             "weights)")
    parser.add_argument("--tile", type=int, help="process in tiles of this many LR pixels (saves memory)")
    parser.add_argument("--overlap", type=int, default=16, help="LR pixels of context around tiles (default 16)")
    parser.add_argument("--self-ensemble", action="store_true", help="average over the 8 flips/rotations (x8 slower)")
    parser.add_argument("--device", default="cpu",
                        help="torch device of the neural models: cpu, cuda, cuda:1, mps or xpu, "
                             "if this machine has it (default cpu)")
    parser.add_argument("--color", choices=("opencv", "y"), default="opencv",
                        help="OpenCV models: OpenCV's colour pipeline or the BT.601 luma (default opencv)")
    add_common_options(parser)


def _build(args):
    """Return (callable image -> image, description); raises UsageError for bad options."""
    from ..resize import METHODS

    model = args.model
    if model.lower().endswith(".pb"):
        from ..opencv import OpenCVUpscaler

        if args.weights or args.residual or args.tile or args.device != "cpu":
            raise UsageError("--weights, --residual, --tile and --device do not apply to an "
                             "OpenCV .pb model (OpenCV runs it whole, on the CPU)")
        if args.scale is not None and args.scale < 1:
            raise UsageError(f"--scale must be a positive integer, got {args.scale}")

        up = OpenCVUpscaler(model, scale=args.scale, color=args.color) if args.scale else \
            OpenCVUpscaler(model, color=args.color)
        if args.self_ensemble:
            from ..degrade import self_ensemble

            return (lambda image: self_ensemble(up, image)), repr(up)
        return up, repr(up)
    if args.scale is None:
        raise UsageError("--scale is required (e.g. --scale 3)")
    if args.scale < 1:
        raise UsageError(f"--scale must be a positive integer, got {args.scale}")
    key = model.lower()
    if key in METHODS:
        from ..resize import resize

        if args.weights or args.tile or args.residual:
            raise UsageError(f"--weights, --tile and --residual do not apply to the resize kernel "
                             f"{model!r}")
        if args.self_ensemble:
            from ..degrade import self_ensemble

            return (lambda image: self_ensemble(lambda x: resize(x, args.scale, method=key), image)), key
        return (lambda image: resize(image, args.scale, method=key)), key
    if key not in _NETS:
        raise UsageError(f"--model must be one of {', '.join(_NETS + tuple(METHODS))} or a .pb file, got {model!r}")
    try:
        import classicsr.nn as nn
        from classicsr.nn._device import check_device
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    try:
        device = check_device(args.device, name="--device")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.residual and (not args.weights or key not in ("espcn", "fsrcnn")):
        raise UsageError("--residual applies to --weights of espcn or fsrcnn (the shipped "
                         "weights already use the skip)")
    if args.weights:
        kwargs = {"residual": True} if args.residual else {}
        net = nn.load_weights(nn.build_model(key, args.scale, **kwargs), args.weights)
    elif key in ("espcn", "fsrcnn"):
        net = nn.pretrained(key, args.scale)
    else:
        raise UsageError(f"--model {key} has no shipped weights; pass --weights FILE")
    up = nn.TorchUpscaler(net, args.scale, device=device, tile=args.tile, overlap=args.overlap,
                          self_ensemble=args.self_ensemble)
    return up, repr(up)


def run(args) -> int:
    if len(args.paths) < 2:
        error(NAME, "give at least one input and an output (classicsr upscale IN OUT --model fsrcnn --scale 3)")
        return EXIT_USAGE
    try:
        if args.tile is not None and args.tile < 1:
            raise UsageError(f"--tile must be a positive integer, got {args.tile}")
        inputs = expand_inputs(args.paths[:-1])
        output = Path(args.paths[-1])
        many = is_batch(args.paths[:-1], inputs) or names_folder(args.paths[-1])
        jobs = output_targets(inputs, output, many)
        upscale, description = _build(args)
    except UsageError as exc:
        error(NAME, str(exc))
        return EXIT_USAGE
    except (ValueError, TypeError, ImportError, FileNotFoundError) as exc:
        error(NAME, str(exc))
        return EXIT_USAGE
    report = Report(NAME, args)
    if many:
        try:
            prepare_output_folder(output)
        except OSError as exc:
            report.fail(None, exc)
            return report.finish()
    if not report.json:
        info(f"model: {description}", args.quiet)

    def process(image):
        if image.ndim == 3 and image.shape[-1] == 4:
            raise ValueError("images with an alpha channel are not supported; drop the alpha channel first")
        return upscale(image), {"model": description}, ""

    run_batch(report, jobs, process, overwrite=args.overwrite, desc=NAME)
    return report.finish()
