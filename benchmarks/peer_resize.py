"""Time classicsr.resize against OpenCV, Pillow, torch, scipy and scikit-image in one process.

Usage::

    python benchmarks/peer_resize.py                       # 1 and 2 threads, all peers
    python benchmarks/peer_resize.py --threads 1 --repeat 31 --no-slow
    python benchmarks/peer_resize.py --cases up2_rgb_u8 down4_rgb_u8
    python benchmarks/peer_resize.py --method bilinear --threads 1 --no-slow
    python benchmarks/peer_resize.py --scales 1.5 3 4/3 0.75 --dtypes uint8 uint16 --peers cv2
    python benchmarks/peer_resize.py --threads 1 --scales 2 0.5 --shapes 8x8x3 128x128x3 --no-slow

The cases are those of issue 2 (bicubic upscales of 512x512x3 and 1024x1024 gray, antialiased
bicubic downscale x4 of 2048x2048x3).  ``--scales`` replaces them by other factors (fractions
such as ``4/3`` allowed) applied to 512x512x3 and 1024x1024 gray images of each of
``--dtypes``: a survey of where classicsr stands beyond the issue's cases; ``--shapes``
replaces those two shapes (``--shapes 8x8x3 32x32x3 128x128x3`` times the per-call overhead
of small images).  Output sizes are MATLAB's ``ceil(scale * in)`` for every library.

Peers, as configured in ``/work/shared/docs/PEERS.md``: ``cv2.resize`` (INTER_CUBIC when
upscaling, INTER_AREA when downscaling), Pillow ``Image.resize(BICUBIC)`` (float32 / uint16
colour images as three ``"F"`` / ``"I;16"`` bands, all timed),
``torch.nn.functional.interpolate(mode="bicubic", antialias=<downscale>)`` on a channels-last
view, ``scipy.ndimage.zoom(order=3)`` and ``skimage.transform.resize(order=3)`` ("slow" peers,
timed with fewer repeats; ``--no-slow`` skips them).  Only classicsr computes MATLAB's
``imresize``; the peers compute related but different things (see PEERS.md), so this is a
speed comparison only.

``--method bilinear`` / ``nearest`` runs the same cases with that kernel everywhere: cv2
INTER_LINEAR / INTER_NEAREST (INTER_AREA for bilinear downscales, as above), Pillow BILINEAR /
NEAREST, torch ``"bilinear"`` / ``"nearest"`` (antialiased bilinear downscales), scipy and
scikit-image ``order=1`` / ``0``; the labels name that method (``nearest up x2, ...``;
nearest downscales are not antialiased, so their labels do not say so).

Thread counts are applied with ``numba.set_num_threads``, ``cv2.setNumThreads``,
``torch.set_num_threads`` and ``threadpoolctl.threadpool_limits`` (when installed);
``NUMBA_NUM_THREADS`` is raised to the largest requested count before Numba loads.  Every
timing is the median of ``--repeat`` calls after a warm-up; the libraries are called
round-robin (one call each, repeated) so that load changes on a shared machine hit all of
them alike, and all ratios are computed from medians measured in the same process.
``--clock cpu`` uses the process CPU time instead of wall time (only meaningful with one
thread, where it discounts waiting for a core on an overloaded machine).

``--rounds N`` (N > 1) takes the thread counts in turns instead of one after the other: for
each case, N rounds in which every thread count in turn gets one untimed call per library
(waking its threads) and then ``repeat / N`` timed round-robin calls.  The one- and two-
thread timings of a case are then minutes closer in time than in the default order (all
cases at one thread, then all at two), so a change of the shared host's state in between
does not land on one thread count only; the speed-up is the ratio of the medians as before.

``--reuse-output`` times classicsr with ``out=`` and cv2 with ``dst=`` given a preallocated
array (as a loop over frames would): this drops the allocation and, for outputs above 32 MiB
(which glibc maps fresh on every call), the page faults and zeroing of a new output.  Pillow
and torch have no such argument and are timed as before.

Results of 32 MiB or more come from classicsr's output pool (blocks reused once dropped, see
``classicsr.set_output_pool``), which the calls here drop at once; ``--no-pool`` turns it off,
so that every classicsr result is a fresh ``np.empty`` array paying its page faults as the
peers' do.

The DRAM floor is (bytes read + bytes written) / 28 GB/s, the single-thread copy bandwidth
measured in PEERS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

BANDWIDTH = 28e9  # bytes/s, numpy copy of 512 MiB on this machine kind (PEERS.md)

CASES = {
    # name: (shape, dtype, scale, label)
    "up2_rgb_u8": ((512, 512, 3), "uint8", 2, "bicubic up x2, 512x512x3 uint8"),
    "up2_rgb_f32": ((512, 512, 3), "float32", 2, "bicubic up x2, 512x512x3 float32"),
    "up4_rgb_u8": ((512, 512, 3), "uint8", 4, "bicubic up x4, 512x512x3 uint8"),
    "up4_rgb_f32": ((512, 512, 3), "float32", 4, "bicubic up x4, 512x512x3 float32"),
    "up2_gray_u8": ((1024, 1024), "uint8", 2, "bicubic up x2, 1024x1024 gray uint8"),
    "up4_gray_f32": ((1024, 1024), "float32", 4, "bicubic up x4, 1024x1024 gray float32"),
    "down4_rgb_u8": ((2048, 2048, 3), "uint8", 0.25, "antialiased down x4, 2048x2048x3 uint8"),
    "down4_rgb_f32": ((2048, 2048, 3), "float32", 0.25, "antialiased down x4, 2048x2048x3 float32"),
}
PEERS = ("cv2", "pillow", "torch", "scipy", "skimage")
SLOW = ("scipy", "skimage")


SURVEY_SHAPES = ((512, 512, 3), (1024, 1024))
DTYPES = ("uint8", "uint16", "float32", "float64")


def _scale_arg(text):
    """A ``--scales`` value: a positive number or fraction (``4/3``)."""
    from fractions import Fraction

    try:
        value = float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"not a number or fraction: {text!r}") from None
    if not 0 < value < 64:
        raise argparse.ArgumentTypeError(f"scale must be in (0, 64), got {text!r}")
    return value


def _shape_arg(text):
    """A ``--shapes`` value: ``HxW`` or ``HxWxC`` with positive sides (``8x8x3``)."""
    try:
        shape = tuple(int(n) for n in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"a shape is HxW or HxWxC, got {text!r}")
    return shape


def survey_cases(scales, dtypes, method="bicubic", shapes=SURVEY_SHAPES):
    """Cases like ``CASES`` for each scale, dtype and survey shape (``--scales``,
    ``--shapes``), labelled with ``method``."""
    cases = {}
    for scale in scales:
        kind = method if scale >= 1 or method == "nearest" else f"antialiased {method}"
        for shape in shapes:
            for dtype in dtypes:
                dims = "x".join(map(str, shape))
                name = f"x{scale:.4g}_{dims}_{dtype}"
                cases[name] = (shape, dtype, scale, f"{kind} x{scale:.4g}, {dims} {dtype}")
    return cases


def method_cases(method):
    """``CASES`` with the labels of ``method`` (``"bilinear up x2, ..."``, ``"antialiased
    bilinear down x4, ..."``; ``nearest`` never antialiases: ``"nearest down x4, ..."``)."""
    if method == "bicubic":
        return dict(CASES)
    down = "nearest down" if method == "nearest" else f"antialiased {method} down"
    return {name: (shape, dtype, scale, label.replace("bicubic up", f"{method} up")
                   .replace("antialiased down", down))
            for name, (shape, dtype, scale, label) in CASES.items()}


def _image(shape, dtype):
    import numpy as np

    rng = np.random.default_rng(20240611)
    img = rng.random(shape)
    if dtype in ("uint8", "uint16"):
        return (img * np.iinfo(dtype).max).round().astype(dtype)
    return img.astype(dtype)


METHODS = ("bicubic", "bilinear", "nearest")


def _callables(img, scale, peers, reuse_output=False, method="bicubic"):
    """name -> zero-argument callable computing the resize of ``img`` by ``scale`` with
    ``method`` (``reuse_output``: classicsr and cv2 write into preallocated arrays)."""
    import numpy as np

    import classicsr

    h, w = img.shape[:2]
    oh, ow = math.ceil(h * scale), math.ceil(w * scale)  # MATLAB's size, as classicsr's
    down = scale < 1
    order = METHODS.index(method)
    order = {0: 3, 1: 1, 2: 0}[order]  # scipy / skimage spline order
    if reuse_output:
        dst = classicsr.resize(img, scale, method=method)
        fns = {"classicsr": lambda: classicsr.resize(img, scale, method=method, out=dst)}
    else:
        fns = {"classicsr": lambda: classicsr.resize(img, scale, method=method)}
    if "cv2" in peers:
        import cv2

        if method == "nearest":
            interp = cv2.INTER_NEAREST
        else:
            interp = cv2.INTER_AREA if down else {"bicubic": cv2.INTER_CUBIC,
                                                  "bilinear": cv2.INTER_LINEAR}[method]
        if reuse_output:
            cdst = cv2.resize(img, (ow, oh), interpolation=interp)
            fns["cv2"] = lambda: cv2.resize(img, (ow, oh), dst=cdst, interpolation=interp)
        else:
            fns["cv2"] = lambda: cv2.resize(img, (ow, oh), interpolation=interp)
    if "pillow" in peers:
        from PIL import Image

        resample = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR,
                    "nearest": Image.NEAREST}[method]
        if img.dtype == np.uint8:
            pim = Image.fromarray(img)
            fns["pillow"] = lambda: pim.resize((ow, oh), resample)
        else:
            # float32 as "F" bands, uint16 as "I;16" bands (Pillow's own mode for them)
            kw = {} if img.dtype == np.uint16 else {"mode": "F"}
            bands = [Image.fromarray(np.ascontiguousarray(img[..., c]) if img.ndim == 3 else img,
                                     **kw) for c in range(img.shape[2] if img.ndim == 3 else 1)]
            fns["pillow"] = lambda: [b.resize((ow, oh), resample) for b in bands]
    if "torch" in peers:
        import torch
        import torch.nn.functional as F

        t = torch.from_numpy(img)
        t = t.permute(2, 0, 1)[None] if img.ndim == 3 else t[None, None]  # channels-last view
        if method == "nearest":
            fns["torch"] = lambda: F.interpolate(t, size=(oh, ow), mode="nearest")
        else:
            fns["torch"] = lambda: F.interpolate(t, size=(oh, ow), mode=method,
                                                 align_corners=False, antialias=down)
    if "scipy" in peers:
        from scipy import ndimage

        zoom = (scale, scale) + ((1,) if img.ndim == 3 else ())
        fns["scipy"] = lambda: ndimage.zoom(img, zoom, order=order)
    if "skimage" in peers:
        from skimage.transform import resize as skresize

        shape = (oh, ow) + img.shape[2:]
        fns["skimage"] = lambda: skresize(img, shape, order=order,
                                          anti_aliasing=down and method != "nearest",
                                          preserve_range=True)
    return fns


def _set_threads(n):
    import numba

    numba.set_num_threads(n)
    try:
        import cv2

        cv2.setNumThreads(n)
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def _time_round_robin(fns, repeat, slow_repeat, clock):
    import numpy as np

    tick = time.process_time if clock == "cpu" else time.perf_counter
    for f in fns.values():  # warm-up (JIT cache load, tables, lazy imports)
        f()
    times = {name: [] for name in fns}
    for r in range(repeat):
        for name, f in fns.items():
            if name in SLOW and r >= slow_repeat:
                continue
            t0 = tick()
            f()
            times[name].append(tick() - t0)
    return {name: float(np.median(v)) * 1e3 for name, v in times.items()}


def _time_in_rounds(make_fns, threads, rounds, repeat, slow_repeat, clock, limits):
    """``{nt: {name: median ms}}`` with the thread counts taken in turns (``--rounds``)."""
    import numpy as np

    tick = time.process_time if clock == "cpu" else time.perf_counter
    per = max(1, repeat // rounds)
    fns = make_fns()
    times = {nt: {name: [] for name in fns} for nt in threads}
    for r in range(rounds):
        for nt in threads:
            _set_threads(nt)
            ctx = limits(limits=nt) if limits else None
            if ctx is not None:
                ctx.__enter__()
            try:
                for f in fns.values():  # untimed: wakes this thread count's workers
                    f()
                for k in range(per):
                    for name, f in fns.items():
                        if name in SLOW and r * per + k >= slow_repeat:
                            continue
                        t0 = tick()
                        f()
                        times[nt][name].append(tick() - t0)
            finally:
                if ctx is not None:
                    ctx.__exit__(None, None, None)
    return {nt: {name: float(np.median(v)) * 1e3 for name, v in t.items() if v}
            for nt, t in times.items()}


def _fmt(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def _versions():
    import numba
    import numpy as np

    out = [f"python {sys.version.split()[0]}", f"numpy {np.__version__}", f"numba {numba.__version__}"]
    for mod, attr in (("cv2", "__version__"), ("PIL", "__version__"), ("torch", "__version__"),
                      ("scipy", "__version__"), ("skimage", "__version__")):
        try:
            out.append(f"{mod} {getattr(__import__(mod), attr)}")
        except ImportError:
            pass
    return ", ".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts to time (default: 1 2)")
    parser.add_argument("--repeat", type=int, default=21,
                        help="timed calls per case for classicsr, OpenCV, Pillow and torch")
    parser.add_argument("--slow-repeat", type=int, default=3, help="repeats for scipy/skimage")
    parser.add_argument("--no-slow", action="store_true", help="skip scipy and scikit-image")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--scales", nargs="+", type=_scale_arg,
                        help="survey these factors instead of the cases (see the docstring "
                             "of benchmarks/peer_resize.py)")
    parser.add_argument("--shapes", nargs="+", type=_shape_arg, default=list(SURVEY_SHAPES),
                        help="image shapes of the --scales survey, HxW or HxWxC (default: "
                             "512x512x3 1024x1024; small ones time the per-call overhead)")
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=["uint8", "float32"],
                        help="dtypes of the --scales survey (default: uint8 float32)")
    parser.add_argument("--peers", nargs="*", choices=PEERS, default=list(PEERS),
                        help="peers to time (none: classicsr alone, e.g. for its own thread scaling)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall-clock time (default) or this process's CPU time")
    parser.add_argument("--rounds", type=int, default=1,
                        help="take the thread counts in turns, N rounds per case (see the "
                             "docstring of benchmarks/peer_resize.py)")
    parser.add_argument("--method", choices=METHODS, default="bicubic",
                        help="kernel for every library (default: the issue's bicubic)")
    parser.add_argument("--reuse-output", action="store_true",
                        help="classicsr out= and cv2 dst= into preallocated arrays")
    parser.add_argument("--no-pool", action="store_true",
                        help="classicsr without its output pool (fresh arrays, as the peers)")
    args = parser.parse_args(argv)
    if min(args.threads) < 1 or args.repeat < 1 or args.slow_repeat < 1 or args.rounds < 1:
        parser.error(f"--threads, --repeat, --slow-repeat and --rounds must be >= 1, got "
                     f"{args.threads}, {args.repeat}, {args.slow_repeat}, {args.rounds}")
    dropped = [p for p in args.peers if args.no_slow and p in SLOW]
    if dropped and "--peers" in (sys.argv[1:] if argv is None else argv):
        parser.error(f"--no-slow skips {', '.join(dropped)}, which --peers asks for")
    cases = method_cases(args.method)
    if args.scales:
        cases = survey_cases(args.scales, args.dtypes, args.method, args.shapes)
        args.cases = list(cases)
    os.environ["NUMBA_NUM_THREADS"] = str(max(max(args.threads), int(os.environ.get("NUMBA_NUM_THREADS", "0") or 0)))
    peers = [p for p in args.peers if not (args.no_slow and p in SLOW)]
    available = []
    for p in peers:
        try:
            __import__({"pillow": "PIL"}.get(p, p))
            available.append(p)
        except ImportError:
            print(f"# {p} is not installed: skipped", file=sys.stderr)

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: scipy/skimage run single-threaded here anyway
        threadpool_limits = None

    import platform

    print(f"# classicsr.resize vs peers; {platform.machine()}, {os.cpu_count()} CPUs; clock={args.clock}"
          + ("; classicsr out= and cv2 dst= reused" if args.reuse_output else "")
          + ("; classicsr output pool off" if args.no_pool else "")
          + ("" if args.method == "bicubic" else f"; method={args.method} for every library"))
    print(f"# {_versions()}")
    if args.no_pool:
        import classicsr

        classicsr.set_output_pool(0)
    results = {}
    if args.rounds > 1:
        for case in args.cases:
            shape, dtype, scale, _ = cases[case]
            img = _image(shape, dtype)
            meds = _time_in_rounds(
                lambda: _callables(img, scale, available, args.reuse_output, args.method),
                args.threads, args.rounds, args.repeat, min(args.slow_repeat, args.repeat),
                args.clock, threadpool_limits)
            out = _callables(img, scale, [], args.reuse_output, args.method)["classicsr"]()
            for nt, med in meds.items():
                med["floor"] = (img.nbytes + out.nbytes) / BANDWIDTH * 1e3
                results[(nt, case)] = med
    for nt in (args.threads if args.rounds <= 1 else ()):
        _set_threads(nt)
        ctx = threadpool_limits(limits=nt) if threadpool_limits else None
        if ctx is not None:
            ctx.__enter__()
        try:
            for case in args.cases:
                shape, dtype, scale, _ = cases[case]
                img = _image(shape, dtype)
                fns = _callables(img, scale, available, args.reuse_output, args.method)
                med = _time_round_robin(fns, args.repeat, min(args.slow_repeat, args.repeat), args.clock)
                out = fns["classicsr"]()
                med["floor"] = (img.nbytes + out.nbytes) / BANDWIDTH * 1e3
                results[(nt, case)] = med
        finally:
            if ctx is not None:
                ctx.__exit__(None, None, None)

    cols = ["classicsr"] + available + ["floor"]
    names = {"classicsr": "classicsr", "cv2": "cv2", "pillow": "Pillow", "torch": "torch",
             "scipy": "scipy zoom o3", "skimage": "skimage", "floor": "DRAM floor"}
    for nt in args.threads:
        print(f"\n### {nt} thread{'s' if nt > 1 else ''} (median ms)\n")
        head = ["operation"] + [names[c] for c in cols]
        ratio_cols = [p for p in ("cv2", "pillow", "torch") if p in available]
        head += [f"{names[p]} / classicsr" for p in ratio_cols]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for case in args.cases:
            med = results[(nt, case)]
            row = [cases[case][3]] + [_fmt(med.get(c)) for c in cols]
            row += [f"{med[p] / med['classicsr']:.2f}" for p in ratio_cols]
            print("| " + " | ".join(row) + " |")
    if len(args.threads) > 1:
        base = min(args.threads)
        print(f"\n### speed-up of classicsr over {base} thread (same process)\n")
        others = [t for t in args.threads if t != base]
        print("| operation | " + " | ".join(f"{t} threads" for t in others) + " |")
        print("|---|" + "---|" * len(others))
        for case in args.cases:
            b = results[(base, case)]["classicsr"]
            print(f"| {cases[case][3]} | " + " | ".join(
                f"{b / results[(t, case)]['classicsr']:.2f}x" for t in others) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
