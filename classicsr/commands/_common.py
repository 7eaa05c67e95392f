"""Helpers shared by the subcommands: common options, input expansion, reporting, progress."""

from __future__ import annotations

import functools
import glob
import json
import os
import sys
from pathlib import Path

from ..io import IMAGE_SUFFIXES

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


def add_common_options(parser, *, overwrite=True, json_output=True):
    """``--quiet`` always; ``--overwrite`` where the command writes files; ``--json`` (see :class:`Report`)."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or informational output")
    if overwrite:
        parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    if json_output:
        parser.add_argument("--json", action="store_true",
                            help="print one JSON document on stdout (command, exit_code, results, failures) "
                                 "instead of the table / log lines; errors still go to stderr")


class Report:
    """What one command did, item by item; printed as JSON at the end with ``--json``.

    Every command prints the same document with ``--json``::

        {"command": "resize", "exit_code": 1,
         "results": [{"input": "a.png", "output": "out/a.png", ...}, ...],
         "failures": [{"file": "b.png", "error": "cannot read b.png: ..."}, ...],
         ...command-specific keys (e.g. evaluate's "summary")}

    ``results`` holds one object per item done (a file, a scale, a table row) and
    ``failures`` one per item that failed; the exit code is 0 without failures, else 1.
    The output is strict JSON: numpy numbers become plain numbers and non-finite ones
    (the infinite PSNR of identical images) become ``null``.
    Failures are also reported on stderr as they happen, so a run with ``--json`` reads the
    same to a person watching it.  Usage errors (exit code 2) print no JSON.
    """

    def __init__(self, command: str, args):
        self.command = command
        self.json = bool(getattr(args, "json", False))
        self.quiet = bool(getattr(args, "quiet", False))
        self.results: list[dict] = []
        self.failures: list[dict] = []

    def done(self, message: str | None = None, **record) -> None:
        """Record a finished item; ``message`` goes to stderr unless --quiet or --json."""
        self.results.append(record)
        if message and not self.json:
            info(message, self.quiet)

    def fail(self, file, exc, **record) -> None:
        """Record a failed item and print ``classicsr COMMAND: error: FILE: MESSAGE`` on stderr."""
        text = error_text(exc)
        message = text
        if file is not None and str(file) not in message:
            message = f"{file}: {message}"
        error(self.command, message)
        self.failures.append({"file": None if file is None else str(file), "error": text, **record})

    @property
    def exit_code(self) -> int:
        return EXIT_OK if not self.failures else EXIT_FAILURE

    def finish(self, **extra) -> int:
        """Print the JSON document when --json was given; return the exit code."""
        code = extra.pop("exit_code", self.exit_code)
        if self.json:
            print_json({"command": self.command, "exit_code": code, "results": self.results,
                        "failures": self.failures, **extra})
        return code


def progress(iterable, *, total=None, desc=None, quiet=False):
    """A tqdm progress bar on stderr, silent when quiet or when stderr is not a terminal."""
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=disable, file=sys.stderr, leave=False)


def error_text(exc) -> str:
    """The message of ``exc``, without the ``[Errno N]`` prefix of an ``OSError(errno, text)``.

    The prefix helps nobody on the command line: the text already says what went wrong.  An
    ``OSError`` that names a file (``filename``) keeps its full text, which includes the name.
    """
    if isinstance(exc, OSError) and exc.strerror and exc.filename is None:
        return str(exc.strerror)
    return str(exc)


def _path_errors(func):
    """``OSError`` from looking at a path (a name longer than the file system allows, a
    folder that cannot be listed) becomes a :class:`UsageError` naming the path."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            raise path_usage_error(exc) from None
    return wrapper


def path_usage_error(exc: OSError) -> UsageError:
    """The :class:`UsageError` of an ``OSError`` from looking at a path: ``PATH: reason``."""
    where = f"{exc.filename}: " if exc.filename is not None else ""
    return UsageError(f"{where}{exc.strerror or exc}")


def names_folder(item) -> bool:
    """Whether an output argument ends in a path separator (``out/``): it then names a folder,
    created when missing, even for one input."""
    text = str(item)
    return text.endswith("/") or text.endswith(os.sep)


def is_pattern(item) -> bool:
    """Whether a command-line input is a glob pattern (as :func:`expand_inputs` reads it)."""
    text = str(item)
    return any(ch in text for ch in "*?[") and not Path(text).exists()


@_path_errors
def is_batch(items, inputs) -> bool:
    """Whether the inputs make a batch, whose output is a folder.

    A batch is several inputs, or any folder or glob pattern among the input arguments,
    however many files it matched: ``'shots/*.png' big/`` writes ``big/<name>`` even when the
    pattern matches one file, as the help says.
    """
    return len(inputs) > 1 or any(Path(item).is_dir() or is_pattern(item) for item in items)


@_path_errors
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
        elif is_pattern(item):
            found = sorted(Path(q) for q in glob.glob(item))
            if not found:
                raise UsageError(f"{item}: the pattern matches no file")
            paths.extend(found)
        else:
            paths.append(p)  # missing files are reported per file, not as a usage error
    return paths


@_path_errors
def output_targets(inputs, output: Path, many: bool):
    """(input, output) path pairs: one input to a file (or into a folder), a batch into a folder.

    ``many`` says whether the inputs are a batch (:func:`is_batch`).  Raises
    :class:`UsageError` when a batch would go to an existing file, when two
    inputs of a batch share a name (``a/x.png`` and ``b/x.png`` would both become
    ``OUT/x.png``: the second would replace the first with ``--overwrite``), or when an
    output would be its own input.
    """
    if not many:
        pairs = [(inputs[0], output / inputs[0].name if output.is_dir() else output)]
    else:
        if output.exists() and not output.is_dir():
            raise UsageError(f"{output} is a file, but several inputs (or a folder or glob, or "
                             f"an output ending in '/') need an output folder")
        pairs = [(p, output / p.name) for p in inputs]
        seen = {}
        for src, dst in pairs:
            if dst.name in seen:
                raise UsageError(f"{seen[dst.name]} and {src} would both be written to {dst}; "
                                 f"process them in separate runs or rename one")
            seen[dst.name] = src
    for src, dst in pairs:
        if src.exists() and dst.exists() and src.resolve() == dst.resolve():
            raise UsageError(f"the output {dst} is the input file itself; choose another output")
    return pairs


def prepare_output_folder(output: Path) -> None:
    """Create the output folder of a batch; a clear ``OSError`` naming it when that fails."""
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot create the output folder {output}: {exc.strerror or exc}") from exc


def run_batch(report: Report, jobs, process, *, overwrite: bool, desc: str) -> None:
    """Read each input, ``process`` it, write the output; one bad file never stops the batch.

    ``process(image) -> (out, details, note)``: the output image, a dict merged into the
    file's JSON record and a short text for the log line (or ``""``).  Unreadable inputs,
    failed writes (read-only folder, full disk), existing outputs without ``--overwrite``,
    bad values and out-of-memory are reported per file (``report.fail``); the rest of the
    batch goes on.  ``KeyboardInterrupt`` stops it: the file being written is not left
    behind (:func:`classicsr.io.write_bytes`), the files already written stay complete.
    """
    from ..io import read_image, write_image

    for src, dst in progress(jobs, desc=desc, quiet=report.quiet):
        try:
            if dst.exists() and not overwrite:
                raise FileExistsError(f"{dst} exists; pass --overwrite to replace it")
            image = read_image(src)
            out, details, note = process(image)
            write_image(dst, out, overwrite=overwrite)
        except MemoryError:
            report.fail(src, "not enough memory to process it", output=str(dst))
            continue
        except (ValueError, TypeError, OSError) as exc:
            report.fail(src, exc, output=str(dst))
            continue
        report.done(f"{src} {image.shape} -> {dst} {out.shape}{f' ({note})' if note else ''}",
                    input=str(src), output=str(dst), input_shape=list(image.shape),
                    output_shape=list(out.shape), dtype=str(out.dtype), **details)


def error(command: str, message: str) -> None:
    print(f"classicsr {command}: error: {message}", file=sys.stderr)


def info(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(message, file=sys.stderr)


def _plain(obj):
    """``obj`` with numpy scalars/arrays as Python numbers/lists and non-finite floats as None."""
    import math

    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy scalar or array
        return _plain(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)  # paths, dtypes, ...


def print_json(obj) -> None:
    """Strict JSON on stdout: numpy values as numbers, paths as strings, inf/nan as null."""
    json.dump(_plain(obj), sys.stdout, indent=2, allow_nan=False)
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
