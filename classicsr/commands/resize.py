"""``classicsr resize``: resize image files with exact MATLAB imresize semantics."""

from __future__ import annotations

from pathlib import Path

from ._common import (EXIT_USAGE, Report, UsageError, add_common_options, error, expand_inputs,
                      is_batch, names_folder, output_targets, parse_scale, prepare_output_folder,
                      run_batch)

NAME = "resize"
HELP = "Resize images (MATLAB imresize semantics; nearest/bilinear/bicubic/lanczos/box)."
EXAMPLES = """examples:
  classicsr resize in.png out.png --scale 2
  classicsr resize in.png out.png --scale 1/3 --method bicubic --boundary replicate
  classicsr resize in.png out.png --size 480 640 --method lanczos3
  classicsr resize photos/ small/ --scale 0.5 --overwrite      (every image of a folder)
  classicsr resize 'shots/*.png' big/ --scale 4                  (a glob; OUT is a folder)
  classicsr resize photos/ small/ --scale 0.5 --json             (one JSON document on stdout)
"""


def add_arguments(parser):
    from ..resize import BOUNDARIES, METHODS

    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="input file(s), folder(s) or glob(s), then the output file or folder")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--scale", help="scale factor: 2, 0.5, 1/3, or ROWS,COLS")
    group.add_argument("--size", nargs=2, type=int, metavar=("ROWS", "COLS"), help="output size in pixels")
    parser.add_argument("--method", default="bicubic", choices=METHODS, help="kernel (default: bicubic)")
    parser.add_argument("--boundary", default="symmetric", choices=BOUNDARIES,
                        help="edge handling (default: symmetric; 'replicate' reproduces the benchmark LR files)")
    parser.add_argument("--no-antialias", action="store_true", help="do not widen the kernel when downscaling")
    parser.add_argument("--round-once", action="store_true",
                        help="integer images: round once at the end instead of after each pass")
    add_common_options(parser)


def run(args) -> int:
    from ..resize import resize

    if len(args.paths) < 2:
        error(NAME, "give at least one input and an output (classicsr resize IN OUT --scale S)")
        return EXIT_USAGE
    try:
        scale = parse_scale(args.scale) if args.scale is not None else None
        if args.size is not None and min(args.size) < 1:
            raise UsageError(f"--size must be two positive integers, got {args.size}")
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
    shape = tuple(args.size) if args.size is not None else None

    def process(image):
        out = resize(image, scale, output_shape=shape, method=args.method, boundary=args.boundary,
                     antialias=not args.no_antialias, round_each_pass=not args.round_once, channel_axis=-1)
        return out, {}, ""

    run_batch(report, jobs, process, overwrite=args.overwrite, desc=NAME)
    return report.finish()
