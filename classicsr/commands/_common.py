"""Helpers shared by the subcommands: common options, input expansion, reporting, progress."""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path

from ..io import IMAGE_SUFFIXES

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


def add_common_options(parser, *, overwrite=True, json_output=False):
    """``--quiet`` always; ``--overwrite`` and ``--json`` where the command writes files / tables."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or informational output")
    if overwrite:
        parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    if json_output:
        parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")


def progress(iterable, *, total=None, desc=None, quiet=False):
    """A tqdm progress bar on stderr, silent when quiet or when stderr is not a terminal."""
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=disable, file=sys.stderr, leave=False)


def expand_inputs(items):
    """Expand files, directories (their images, sorted) and glob patterns into a list of paths.

    Raises :class:`UsageError` when a pattern or directory matches nothing.
    """
    paths = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES and q.is_file())
            if not found:
                raise UsageError(f"{item}: the folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
            paths.extend(found)
        elif any(ch in item for ch in "*?[") and not p.exists():
            found = sorted(Path(q) for q in glob.glob(item))
            if not found:
                raise UsageError(f"{item}: the pattern matches no file")
            paths.extend(found)
        else:
            paths.append(p)  # missing files are reported per file, not as a usage error
    return paths


def output_targets(inputs, output: Path, many: bool):
    """(input, output) path pairs: one input to a file (or into a folder), several into a folder.

    Raises :class:`UsageError` when several inputs would go to one existing file.
    """
    if not many:
        if output.is_dir():
            return [(inputs[0], output / inputs[0].name)]
        return [(inputs[0], output)]
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file, but several inputs need an output folder")
    return [(p, output / p.name) for p in inputs]


def error(command: str, message: str) -> None:
    print(f"classicsr {command}: error: {message}", file=sys.stderr)


def info(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(message, file=sys.stderr)


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def parse_scale(text: str):
    """'2', '0.5', '1/3' or '2,3' (rows,cols) into a float or a pair."""
    def one(t):
        t = t.strip()
        if "/" in t:
            num, den = t.split("/", 1)
            return float(num) / float(den)
        return float(t)

    try:
        parts = [one(t) for t in text.split(",")]
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"--scale must be a number, a fraction like 1/3, or ROWS,COLS; got {text!r}") from None
    if any(not (v > 0 and v < float("inf")) for v in parts):
        raise UsageError(f"--scale must be > 0 and finite; got {text!r}")
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return tuple(parts)
    raise UsageError(f"--scale takes one number or ROWS,COLS; got {text!r}")
