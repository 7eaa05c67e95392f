"""``classicsr train``: learn SR models offline from a folder of HR images.

Trainers are registered in :data:`TRAINERS` (method name -> function ``(args) -> int``); the
example-based methods (Zeyde, ANR, A+) are here, the neural ones (ESPCN, FSRCNN, SRCNN) in
:mod:`classicsr.nn.train`.  Methods listed in :data:`PLANNED` are
recognised and refused with a clear message until their trainer is registered.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

from ._common import (EXIT_USAGE, Report, UsageError, add_common_options, error, info,
                      prepare_output_folder)

NAME = "train"
HELP = "Train SR models offline on an image folder (example-based: aplus, anr, zeyde)."
EXAMPLES = """examples:
  classicsr train --method aplus --data ../shared/data/T91 --scale 2 --output models/
  classicsr train --method aplus --data ../shared/data/T91 --scale 2 3 4 --output models/ --overwrite
  classicsr train --method anr --data photos/ --scale 3 --atoms 512 --iterations 10 --output m/
  classicsr train --method anr --data photos/ --scale 2 --output m/ --json    (JSON on stdout)
  (then: classicsr.example_based.ExampleBasedModel.load('models/x2.npz'))

Methods: aplus (fits the dictionary, Zeyde's HR dictionary, ANR and A+ regressors; the file
serves all three), anr and zeyde (dictionary only; no A+ regressors).  Pairs follow the
evaluation protocol: modcrop, MATLAB bicubic 1/s with replicate boundary, uint8 rounding.
Each scale is written to OUTPUT/x<s>.npz.  Runs are seeded (--seed) and reproducible.
"""

#: Example-based methods (one shared trainer).
EXAMPLE_BASED = ("aplus", "anr", "zeyde")
#: Neural methods, trained by :func:`classicsr.nn.train.cli_train` (needs the torch extra).
NEURAL = ("espcn", "fsrcnn", "srcnn")
#: Methods known to the command but without a trainer yet.
PLANNED = ("vdsr", "edsr")


def _check_neural_options(args) -> None:
    """Usage errors for the neural options; 0 is refused, never replaced by the default."""
    for flag, attr, minimum in (("--steps", "steps", 1), ("--batch-size", "batch_size", 1),
                                ("--patch-size", "patch_size", 2), ("--threads", "threads", 1)):
        value = getattr(args, attr, None)
        if value is not None and value < minimum:
            raise UsageError(f"{flag} must be an integer >= {minimum}, got {value}")
    lr = getattr(args, "lr", None)
    if lr is not None and not (lr > 0 and math.isfinite(lr)):
        raise UsageError(f"--lr must be a finite number > 0, got {lr}")
    limit = getattr(args, "time_limit", None)
    if limit is not None and not (limit >= 0 and math.isfinite(limit)):  # nan would never stop
        raise UsageError(f"--time-limit must be a finite number of seconds >= 0, got {limit}")


def _output_folder(args, report) -> bool:
    """Create ``--output``; on failure report it (JSON, exit code 1) and return False."""
    try:
        prepare_output_folder(Path(args.output))
    except OSError as exc:
        report.fail(None, exc)
        return False
    return True


def _train_neural(args) -> int:
    try:
        _check_neural_options(args)
    except UsageError as exc:
        error(NAME, str(exc))
        return EXIT_USAGE
    try:
        from ..nn.train import cli_train  # imported lazily: the CLI never loads torch otherwise
    except ImportError as exc:
        error(NAME, f"--method {args.method} needs torch: {exc}")
        return EXIT_USAGE
    report = Report(NAME, args)
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        error(NAME, f"--output {out_dir} is a file; give a folder")
        return EXIT_USAGE
    if not _output_folder(args, report):
        return report.finish()
    targets = [(s, Path(args.output) / f"{args.method}_x{s}.pt") for s in args.scale]
    before = {p: p.stat().st_mtime_ns if p.exists() else None for _, p in targets}
    t0 = time.perf_counter()
    code = cli_train(args)  # logs and errors go to stderr
    if code == EXIT_USAGE:
        return code
    for s, path in targets:  # the JSON record of each scale: written now, or failed (see stderr)
        if path.exists() and path.stat().st_mtime_ns != before[path]:
            report.results.append({"method": args.method, "scale": s, "output": str(path),
                                   "bytes": path.stat().st_size})
        else:
            report.failures.append({"file": None, "error": f"x{s}: no weights written (see the error above)",
                                    "scale": s})
    return report.finish(exit_code=code, seconds=time.perf_counter() - t0)


def _train_example_based(args) -> int:
    from ..example_based import train
    from ..example_based.train import TRAINABLE

    data = Path(args.data)
    if not data.exists():
        error(NAME, f"--data {data} does not exist")
        return EXIT_USAGE
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        error(NAME, f"--output {out_dir} is a file; give a folder (models are written as x<s>.npz)")
        return EXIT_USAGE
    targets = [(s, out_dir / f"x{s}.npz") for s in args.scale]
    clash = [str(p) for _, p in targets if p.exists()]
    if clash and not args.overwrite:
        error(NAME, f"{', '.join(clash)} exist(s); pass --overwrite to replace")
        return EXIT_USAGE
    methods = TRAINABLE if args.method == "aplus" else ("zeyde", "anr")
    report = Report(NAME, args)
    if not _output_folder(args, report):
        return report.finish()
    for s, path in targets:
        t0 = time.perf_counter()
        try:
            model = train(data, s, methods=methods, n_atoms=args.atoms, sparsity=args.sparsity,
                          ksvd_iterations=args.iterations, dictionary_samples=args.dictionary_samples,
                          aplus_samples=args.aplus_samples, aplus_neighbors=args.neighbors,
                          aplus_lambda=args.aplus_lambda, pyramid_levels=args.levels,
                          pca_energy=args.pca_energy, seed=args.seed,
                          progress=not args.quiet and sys.stderr.isatty(),
                          log=lambda m: info(m, args.quiet or report.json))
            model.save(path, overwrite=args.overwrite, aplus_dtype=args.aplus_dtype)
        except (ValueError, TypeError, OSError) as exc:
            report.fail(None, f"x{s}: {exc}", scale=s)
            continue
        size = path.stat().st_size
        seconds = time.perf_counter() - t0
        report.done(f"x{s}: wrote {path} ({size / 1024:.0f} KiB) in {seconds:.1f} s",
                    method=args.method, scale=s, output=str(path), bytes=size, seconds=seconds)
    return report.finish()


#: method name -> trainer(args) -> exit code.  Register new methods here.
TRAINERS = {name: _train_example_based for name in EXAMPLE_BASED}
TRAINERS.update({name: _train_neural for name in NEURAL})


def add_arguments(parser):
    parser.add_argument("--method", required=True, metavar="METHOD",
                        help=f"what to train: {', '.join(TRAINERS)}")
    parser.add_argument("--data", required=True, metavar="DIR", help="folder of HR training images (e.g. T91)")
    parser.add_argument("--scale", nargs="+", type=int, default=[2], metavar="S",
                        help="integer scale factor(s), one model each (default: 2)")
    parser.add_argument("--output", required=True, metavar="DIR", help="output folder (x<s>.npz per scale)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    eb = parser.add_argument_group("example-based options (aplus, anr, zeyde)")
    eb.add_argument("--atoms", type=int, default=1024, help="dictionary atoms (default 1024)")
    eb.add_argument("--sparsity", type=int, default=3, help="OMP sparsity (default 3)")
    eb.add_argument("--iterations", type=int, default=20, help="K-SVD iterations (default 20)")
    eb.add_argument("--dictionary-samples", type=int, default=100_000, metavar="N",
                    help="patches for PCA and K-SVD (default 100000)")
    eb.add_argument("--aplus-samples", type=int, default=1_000_000, metavar="N",
                    help="patches in the A+ neighbourhood pool (default 1000000)")
    eb.add_argument("--neighbors", type=int, default=2048, help="A+ neighbourhood size (default 2048)")
    eb.add_argument("--aplus-lambda", type=float, default=0.1, help="A+ ridge parameter (default 0.1)")
    eb.add_argument("--levels", type=int, default=12, help="scale-augmentation pyramid levels, factor 0.98 (default 12)")
    eb.add_argument("--pca-energy", type=float, default=0.999, help="PCA energy kept (default 0.999)")
    eb.add_argument("--aplus-dtype", default="int8", choices=("int8", "float16", "float32"),
                    help="storage of the A+ regressors (default int8 with a float32 scale per output row: "
                         "Set5 PSNR identical to float32 to 0.001 dB at a third of the size)")
    nn = parser.add_argument_group("neural options (espcn, fsrcnn, srcnn; the torch extra)")
    nn.add_argument("--steps", type=int, default=100_000, help="training steps (default 100000; resumes OUTPUT/<method>_x<s>.ckpt)")
    nn.add_argument("--batch-size", type=int, default=32, help="patches per step (default 32)")
    nn.add_argument("--patch-size", type=int, default=24, help="LR patch size (default 24)")
    nn.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    nn.add_argument("--loss", default="mse", choices=("mse", "l1"), help="loss (default mse)")
    nn.add_argument("--val-dir", default=None, metavar="DIR", help="HR folder scored during training (not a benchmark test set: that leaks it into the model)")
    nn.add_argument("--time-limit", type=float, default=None, metavar="SECONDS", help="stop (and checkpoint) after this long")
    nn.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    nn.add_argument("--device", default="cpu", help="torch device to train on, e.g. cuda (default cpu)")
    add_common_options(parser, overwrite=True)


def run(args) -> int:
    method = str(args.method).strip().lower()
    if method in PLANNED:
        error(NAME, f"--method {method}: training for this method is not available yet; "
                    f"available: {', '.join(TRAINERS)}")
        return EXIT_USAGE
    if method not in TRAINERS:
        error(NAME, f"--method {args.method!r} is unknown; available: {', '.join(TRAINERS)}")
        return EXIT_USAGE
    bad = [s for s in args.scale if s < 2 or s > 16]
    if bad:
        error(NAME, f"--scale must be integers in 2..16, got {bad}")
        return EXIT_USAGE
    args.method = method
    return TRAINERS[method](args)
