"""``classicsr evaluate``: score SR methods on folders of HR images (the SR literature's protocol)."""

from __future__ import annotations

import sys
from pathlib import Path

from ._common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Report, add_common_options, error, info

NAME = "evaluate"
HELP = "Score SR methods on HR image folders: Y-channel PSNR/SSIM per image and per set (CSV, Markdown, figure)."
EXAMPLES = """examples:
  classicsr evaluate data/Set5/HR --scale 2 3 4 --method bicubic
  classicsr evaluate data/Set5/HR data/Set14/HR --scale 2 4 --method nearest bilinear bicubic lanczos3
  classicsr evaluate data/Set5/HR --scale 4 --method bicubic --lr-dir data/Set5/LR_bicubic
  classicsr evaluate data/Set5/HR data/Set14/HR --scale 2 --lr-dir auto     (LR_bicubic next to each HR)
  classicsr evaluate data/Set5/HR --scale 4 --method bicubic mypkg.sr:upscale --csv scores.csv \\
      --markdown summary.md --save-images out/ --figure crops.png
  classicsr evaluate data/Set5/HR --scale 2 --json     (JSON: per-image results, per-set summary, failures)

Methods: nearest, bilinear, bicubic, lanczos2, lanczos3, box (classicsr.resize upscaling), or
MODULE:FUNCTION naming a callable fn(lr) -> sr or fn(lr, scale) -> sr.
Protocol: modcrop HR to the scale, LR = MATLAB bicubic (replicate boundary, per-pass uint8
rounding; identical to the benchmark LR_bicubic files) or the given files, SR quantised to
uint8, BT.601 Y channel, `scale` pixels shaved, PSNR (peak 255) and SSIM (Wang et al. 2004).
Exit status: 0 all scored, 1 some files or methods failed (reported, the rest scored), 2 usage.
"""


def add_arguments(parser):
    from ..degrade import DOWNSAMPLE_KERNELS
    from ..evaluate import BUILTIN_METHODS, METRICS
    from ..resize import BOUNDARIES

    parser.add_argument("hr_dirs", nargs="+", metavar="HR_DIR", help="folder(s) of HR images, one test set each")
    parser.add_argument("--scale", nargs="+", type=int, default=[2, 3, 4], metavar="S",
                        help="integer scale factors (default: 2 3 4)")
    parser.add_argument("--method", nargs="+", default=["bicubic"], metavar="M",
                        help=f"methods: {', '.join(BUILTIN_METHODS)} or MODULE:FUNCTION (default: bicubic)")
    parser.add_argument("--lr-dir", nargs="+", metavar="DIR",
                        help="given LR files (LR_bicubic/X{s} layout): one folder, one per HR_DIR, or 'auto' "
                             "(the LR_bicubic folder next to each HR_DIR); default: make LR on the fly")
    parser.add_argument("--kernel", default="bicubic", choices=DOWNSAMPLE_KERNELS,
                        help="on-the-fly degradation kernel (default: bicubic)")
    parser.add_argument("--sigma", type=float, help="Gaussian PSF sigma in HR pixels for --kernel gaussian")
    parser.add_argument("--boundary", default="replicate", choices=BOUNDARIES,
                        help="on-the-fly degradation boundary (default: replicate, as the benchmark files)")
    parser.add_argument("--metric", nargs="+", default=["psnr", "ssim"], choices=METRICS, metavar="NAME",
                        help=f"metrics: {', '.join(METRICS)} (default: psnr ssim)")
    parser.add_argument("--rgb", action="store_true", help="score all colour channels instead of the Y channel")
    parser.add_argument("--crop-border", type=int, metavar="N", help="pixels shaved per border (default: the scale)")
    parser.add_argument("--no-quantize", action="store_true",
                        help="score SR outputs as floats instead of quantising them to the HR dtype")
    parser.add_argument("--csv", metavar="FILE", help="write the per-image scores as CSV")
    parser.add_argument("--markdown", metavar="FILE", help="write the summary table as Markdown")
    parser.add_argument("--save-images", metavar="DIR", help="write SR images to DIR/<set>/<method>/x<s>/<image>.png")
    parser.add_argument("--figure", metavar="FILE", help="save a zoomed-crop comparison figure (PNG/PDF/SVG)")
    parser.add_argument("--figure-image", metavar="NAME", help="image (file stem) for --figure (default: the first)")
    parser.add_argument("--figure-scale", type=int, metavar="S", help="scale for --figure (default: the largest)")
    # -- dask.distributed (classicsr.dask.evaluate_distributed) --------------------------
    parser.add_argument("--scheduler", default="local", metavar="WHERE",
                        help="'local' (default: this process), 'distributed' (a dask LocalCluster of "
                             "--workers workers) or a running scheduler's address, e.g. tcp://host:8786")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="workers of the LocalCluster for --scheduler distributed (default 2)")
    add_common_options(parser, overwrite=True, json_output=True)


def _check_output(path, overwrite: bool):
    if path is None:
        return None
    p = Path(path)
    if p.exists() and not overwrite:
        raise FileExistsError(f"{p} exists; pass --overwrite to replace it")
    if not (p.parent if str(p.parent) else Path(".")).is_dir():
        raise FileNotFoundError(f"cannot write {p}: folder {p.parent} does not exist")
    return p


def _write_text(path: Path, text: str, overwrite: bool) -> None:
    from ..io import write_bytes

    write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def run(args) -> int:
    from ..evaluate import evaluate, resolve_methods

    if any(s < 1 for s in args.scale):
        error(NAME, f"--scale takes integers >= 1, got {args.scale}")
        return EXIT_USAGE
    if args.crop_border is not None and args.crop_border < 0:
        error(NAME, f"--crop-border must be >= 0, got {args.crop_border}")
        return EXIT_USAGE
    lr_dir = None
    if args.lr_dir:
        if len(args.lr_dir) == 1:
            lr_dir = args.lr_dir[0]
        elif len(args.lr_dir) == len(args.hr_dirs):
            lr_dir = list(args.lr_dir)
        else:
            error(NAME, f"--lr-dir takes one folder, 'auto', or one folder per HR_DIR ({len(args.hr_dirs)}), "
                        f"got {len(args.lr_dir)}")
            return EXIT_USAGE
    try:
        methods = resolve_methods(args.method)
        csv_path = _check_output(args.csv, args.overwrite)
        md_path = _check_output(args.markdown, args.overwrite)
        fig_path = _check_output(args.figure, args.overwrite)
    except (ValueError, TypeError) as exc:
        error(NAME, str(exc))
        return EXIT_USAGE
    except (FileExistsError, FileNotFoundError) as exc:
        report = Report(NAME, args)
        report.fail(None, exc)
        return report.finish()
    if args.scheduler != "local":  # -- dask.distributed ---------------------------------
        if args.workers < 1:
            error(NAME, f"--workers must be >= 1, got {args.workers}")
            return EXIT_USAGE
        if fig_path is not None:
            error(NAME, "--figure is not supported with --scheduler; run without it for figures")
            return EXIT_USAGE
        try:
            from ..dask import evaluate_distributed
        except ImportError as exc:
            error(NAME, f"--scheduler needs the dask extra: {exc}")
            return EXIT_USAGE

        def evaluate(methods, hr_dirs, scales, *, figure, figure_image, figure_scale, progress, **kw):
            return evaluate_distributed(
                methods, hr_dirs, scales, workers=args.workers,
                scheduler=None if args.scheduler == "distributed" else args.scheduler, **kw)
    try:
        result = evaluate(
            methods, args.hr_dirs, args.scale, lr_dir=lr_dir, kernel=args.kernel, boundary=args.boundary,
            sigma=args.sigma, y_channel=not args.rgb, crop_border=args.crop_border, metrics=args.metric,
            quantize=not args.no_quantize, save_images=args.save_images, overwrite=args.overwrite,
            figure=fig_path, figure_image=args.figure_image, figure_scale=args.figure_scale,
            progress=not args.quiet and sys.stderr.isatty(),
        )
    except (ValueError, TypeError) as exc:  # bad folders, bad options: nothing was scored
        error(NAME, str(exc))
        return EXIT_USAGE
    except OSError as exc:  # e.g. --figure in a read-only folder or on a full disk
        report = Report(NAME, args)
        report.fail(fig_path if fig_path is not None and str(fig_path) not in str(exc) else None, exc)
        return report.finish()

    report = Report(NAME, args)
    for failure in result.failures:
        where = failure["file"]
        what = " ".join(x for x in (f"x{failure['scale']}" if failure["scale"] != "" else "",
                                    failure["method"]) if x)
        error(NAME, f"{where}{' [' + what + ']' if what else ''}: {failure['error']}")
    report.failures.extend(result.failures)
    report.results.extend(result.records)
    try:
        if csv_path is not None:
            _write_text(csv_path, result.to_csv(), args.overwrite)
        if md_path is not None:
            _write_text(md_path, result.to_markdown(), args.overwrite)
    except OSError as exc:
        report.fail(None, exc)
        return report.finish(summary=result.summary())
    if not args.json:
        sys.stdout.write(result.to_markdown())
    n_images = len({(r["dataset"], r["image"]) for r in result.records})
    info(f"scored {n_images} image(s), {len(result.records)} result(s); {len(result.failures)} failure(s)",
         args.quiet)
    code = EXIT_OK if result.ok and not report.failures else EXIT_FAILURE
    return report.finish(summary=result.summary(), exit_code=code)
