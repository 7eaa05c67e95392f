"""The ``classicsr`` command line.

Subcommands live in :mod:`classicsr.commands`, one module each, and are discovered here: a
module defines ``NAME``, ``HELP``, ``EXAMPLES``, ``add_arguments(parser)`` and
``run(args) -> int``.  Exit codes: 0 success, 1 failure or partial failure (some inputs
failed, the rest were processed), 2 usage error, 130 interrupted by Ctrl-C (SIGINT) and 143
by SIGTERM: the file being written is removed with its temporary file; files already written
are complete.  Every
command takes ``--json`` (:class:`classicsr.commands._common.Report`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys
import threading

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _command_modules():
    from . import commands

    modules = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if all(hasattr(module, attr) for attr in ("NAME", "HELP", "add_arguments", "run")):
            modules.append(module)
    order = ["demo", "resize", "evaluate", "deblur", "misr", "train", "upscale"]
    modules.sort(key=lambda m: (order.index(m.NAME) if m.NAME in order else len(order), m.NAME))
    return modules


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="classicsr",
        description="Classical image super-resolution: resampling, evaluation, multi-frame SR, deblurring.",
        epilog="Run 'classicsr COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"classicsr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        p = sub.add_parser(
            module.NAME, help=module.HELP, description=module.HELP,
            epilog=getattr(module, "EXAMPLES", None), formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that the same clean-up runs as for Ctrl-C."""

    signum = int(signal.SIGTERM)


def _raise_terminated(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return int(args._run(args))
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", int(signal.SIGINT))
        print(f"classicsr: {'terminated' if signum == signal.SIGTERM else 'interrupted'}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:  # e.g. piping --json into head
        return EXIT_FAILURE
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
