"""Neural baselines: ship weights that meet the bar, and regenerate the neural section of docs/results.md.

Usage::

    # 1) check training checkpoints against the bar on Set5 and ship those that pass
    python docs/scripts/neural_results.py ship --checkpoints /work/nn_runs
    # 2) the results table (replaces the text between the neural markers of docs/results.md)
    python docs/scripts/neural_results.py table --checkpoints /work/nn_runs \\
        [--sets Set5 Set14 BSD100] [--reuse-fixed]

Every number comes from :func:`classicsr.evaluate` on the benchmark LR files (Y channel,
shave = scale); nothing is typed in.  Models are the shipped weights when present, otherwise
the last-step weights of a training checkpoint, labelled "(checkpoint, not shipped)".  Only
last-step weights are ever shipped or reported: no weights are selected on a test set (the
training runs validate on a held-out split of T91, ``classicsr.nn.train.T91_HOLDOUT``, for
monitoring only), and Set5 is measured once, here, after training.
The bar (issue 6): every shipped model at least 1.5 dB above bicubic on Set5 at x2 and x3
(x4: 1.0 dB, and above OpenCV's LapSRN x4), ESPCN x3 >= 32.3 dB, FSRCNN x3 >= 32.5 dB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- BEGIN neural -->", "<!-- END neural -->"
NAMED_TARGETS = {("espcn", 3): 32.3, ("fsrcnn", 3): 32.5}
MARGIN = {2: 1.5, 3: 1.5, 4: 1.0}
OPENCV = ("ESPCN", "FSRCNN", "FSRCNN-small", "LapSRN")


def _threads_one():
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2
    import torch

    import classicsr

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    classicsr.set_num_threads(1)


def _our_model(name: str, scale: int, checkpoints: Path | None):
    """(model, label): shipped weights, else a checkpoint's last-step weights, else None."""
    import torch

    from classicsr.nn import available_pretrained, build_model, load_weights, pretrained

    if f"{name}_x{scale}" in available_pretrained():
        return pretrained(name, scale), f"{name} (ours)"
    if checkpoints is None:
        return None
    path = checkpoints / f"{name}_x{scale}.ckpt"
    if not path.is_file():
        return None
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    kwargs = ckpt["config"].get("model_kwargs", {})
    net = load_weights(build_model(name, scale, **kwargs), ckpt["model"]).eval()
    return net, f"{name} (ours, checkpoint step {ckpt['step']}, not shipped)"


def _set5_psnr(method, data: Path, scale: int) -> float:
    from classicsr.evaluate import evaluate

    res = evaluate({"m": method}, data / "Set5" / "HR", [scale], lr_dir="auto", metrics=("psnr",))
    if not res.ok:
        raise SystemExit(f"evaluation failures: {res.failures}")
    return res.mean("Set5", "m", scale, "psnr")


def ship(args) -> int:
    import torch

    from classicsr.nn import TorchUpscaler
    from classicsr.nn.train import export_weights
    from classicsr.nn.weights import WEIGHTS_DIR
    from classicsr.opencv import OpenCVUpscaler

    index_path = WEIGHTS_DIR / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    lapsrn4 = _set5_psnr(OpenCVUpscaler(args.data / "opencv_models" / "LapSRN_x4.pb"), args.data, 4)
    for ckpt_path in sorted(args.checkpoints.glob("*_x*.ckpt")):
        name, scale = ckpt_path.stem.split("_x")
        if args.only and ckpt_path.stem not in args.only:
            continue
        scale = int(scale)
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        from classicsr.nn import build_model, load_weights

        kwargs = ckpt["config"].get("model_kwargs", {})
        # the last step's weights: no selection
        net = load_weights(build_model(name, scale, **kwargs), ckpt["model"]).eval()
        ours = _set5_psnr(TorchUpscaler(net), args.data, scale)
        bicubic = _set5_psnr("bicubic", args.data, scale)
        need = bicubic + MARGIN[scale]
        if scale == 4:
            need = max(need, lapsrn4 + 0.01)
        need = max(need, NAMED_TARGETS.get((name, scale), 0.0))
        verdict = "PASS" if ours >= need else "below the bar"
        hist = ckpt["history"]
        seconds = ckpt.get("elapsed", hist[-1]["seconds"] if hist else 0)
        print(f"{name} x{scale}: step {ckpt['step']}, Set5 {ours:.2f} dB (bicubic {bicubic:.2f}, bar {need:.2f}): {verdict}")
        if ours >= need and not args.dry_run:
            fname = f"{name}_x{scale}.pt"
            export_weights(ckpt_path, WEIGHTS_DIR / fname, which="last")
            import hashlib

            digest = hashlib.sha256((WEIGHTS_DIR / fname).read_bytes()).hexdigest()
            holdout = ckpt["config"].get("holdout", [])
            index[f"{name}_x{scale}"] = {"file": fname, "set5_psnr_y": round(ours, 2), "steps": int(ckpt["step"]),
                                         "train_seconds": round(float(seconds)), "kwargs": kwargs,
                                         "data": "T91" + (f" minus {len(holdout)} held-out images"
                                                          if holdout else ""),
                                         "weights": "last step", "config": ckpt["config"],
                                         "trained_on": args.trained_on, "sha256": digest}
    if not args.dry_run:
        index_path.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    return 0


def _time_ms_per_mp(fn, lr, repeats: int = 3) -> float:
    fn(lr)  # warm-up (JIT, graph init)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn(lr)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times) / (out.shape[0] * out.shape[1] / 1e6)


def _lpips_status() -> str:
    import importlib.util

    if importlib.util.find_spec("lpips") is None:
        return "unavailable: the `lpips` package is not installed"
    hub = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "hub" / "checkpoints"
    if not any(hub.glob("alexnet-*.pth")):
        return "unavailable: lpips is installed but its AlexNet backbone weights are not cached (no download is attempted)"
    return "available"


def _previous_rows(out: Path, sets) -> dict:
    """``{(scale, label): cells}`` of the fixed rows (kernels, OpenCV) of the table in ``out``."""
    if not out.is_file() or BEGIN not in out.read_text():
        return {}
    block = out.read_text().split(BEGIN, 1)[1].split(END, 1)[0]
    rows, scale, header = {}, None, None
    for line in block.splitlines():
        if line.startswith("### x"):
            scale = int(line[5:])
        elif line.startswith("| method |"):
            header = [c.strip() for c in line.strip("|").split("|")]
        elif line.startswith("| ") and scale is not None and header:
            cells = [c.strip() for c in line.strip("|").split("|")]
            label = cells[0]
            if label in ("bicubic", "lanczos3") or label.startswith("OpenCV "):
                named = dict(zip(header, cells))
                if all(f"{d} PSNR" in named for d in sets):
                    rows[(scale, label)] = named
    return rows


def _previous_sections(out: Path) -> dict:
    """``{scale: lines}``: the ``### xS`` sections of the table in ``out``."""
    if not out.is_file() or BEGIN not in out.read_text():
        return {}
    block = out.read_text().split(BEGIN, 1)[1].split(END, 1)[0]
    sections, current = {}, None
    for line in block.splitlines():
        if line.startswith("### x"):
            current = int(line[5:])
            sections[current] = []
        elif line.startswith("ms/MP:"):
            current = None
        if current is not None:
            sections[current].append(line)
    return sections


def table(args) -> int:
    from classicsr.evaluate import evaluate
    from classicsr.io import read_image
    from classicsr.nn import TorchUpscaler
    from classicsr.opencv import OpenCVUpscaler
    from classicsr.resize import resize

    _threads_one()
    hr_dirs = [args.data / s / "HR" for s in args.sets]
    previous = _previous_rows(args.out, args.sets) if args.reuse_fixed else {}
    sections, timing_rows, notes = [], [], []
    for s in args.scales:
        methods = {"bicubic": "bicubic", "lanczos3": "lanczos3"}
        ensembles = {}
        for name in ("espcn", "fsrcnn"):
            found = _our_model(name, s, args.checkpoints)
            if found is None:
                notes.append(f"{name} x{s}: no shipped weights and no checkpoint")
                continue
            net, label = found
            methods[label] = TorchUpscaler(net)
            ensembles[label + " +SE"] = TorchUpscaler(net, self_ensemble=True)
        for name in OPENCV:
            pb = args.data / "opencv_models" / f"{name}_x{s}.pb"
            if pb.is_file():
                methods[f"OpenCV {name}"] = OpenCVUpscaler(pb)
        reused = {label: previous[(s, label)] for label in methods if (s, label) in previous}
        run = {label: m for label, m in methods.items() if label not in reused}
        t0 = time.perf_counter()
        res = evaluate(run, hr_dirs, [s], lr_dir="auto")
        se_dirs = [args.data / d / "HR" for d in args.sets if d in args.ensemble_sets]
        if ensembles and se_dirs:
            res = res + evaluate(ensembles, se_dirs, [s], lr_dir="auto")
        print(f"x{s}: {len(run) + len(ensembles)} methods in {time.perf_counter() - t0:.0f} s "
              f"({len(reused)} rows reused)", file=sys.stderr)
        if not res.ok:
            raise SystemExit(f"evaluation failures: {res.failures}")
        values = {}
        for label in list(run) + list(ensembles):
            values[label] = {d: (f"{res.mean(d, label, s, 'psnr'):.2f}",
                                 f"{res.mean(d, label, s, 'ssim'):.4f}")
                             for d in args.sets
                             if not label.endswith("+SE") or d in args.ensemble_sets}
        for label, named in reused.items():
            values[label] = {d: (named[f"{d} PSNR"], named[f"{d} SSIM"]) for d in args.sets}
        names = list(methods)
        for label in ensembles:  # each ensemble row right after its plain model
            names.insert(names.index(label[:-4]) + 1, label)
        methods.update(ensembles)
        sections.append((s, values, names))
        lr = read_image(args.data / "Set14" / "LR_bicubic" / f"X{s}" / "monarch.png")
        for label, m in methods.items():
            if label.endswith("+SE"):
                continue
            if label in reused:
                timing_rows.append((s, label, float(reused[label]["ms/MP"].rstrip("*"))))
                continue
            fn = (lambda x, k=m: resize(x, s, method=k)) if isinstance(m, str) else m
            timing_rows.append((s, label, _time_ms_per_mp(fn, lr)))

    lines = [BEGIN, "",
             "## Neural baselines (generated by `docs/scripts/neural_results.py table`)", "",
             "Y-channel PSNR (dB) / SSIM, shave = scale, benchmark LR files (`LR_bicubic`), "
             "`classicsr.evaluate`.  \"+SE\" is the geometric self-ensemble (8 dihedral transforms). "
             "Our models are last-step weights (no selection on any test set).  Models marked "
             "\"not shipped\" are training checkpoints that have not met the bar "
             "(see docs/neural.md).", ""]
    if previous:
        lines += ["The bicubic, lanczos3 and OpenCV rows (scores and times) were carried over "
                  "from the "
                  "previous run of this script (`--reuse-fixed`: those methods did not change); "
                  "our rows were measured in this run, under another machine load, so compare "
                  "times only between rows measured in the same run.", ""]
    kept = _previous_sections(args.out) if args.keep_other_scales else {}
    kept = {s: body for s, body in kept.items() if s not in args.scales}
    if kept:
        lines += [f"Kept from earlier runs of this script (`--keep-other-scales`): "
                  f"{', '.join(f'x{s}' for s in sorted(kept))}; measured in this run: "
                  f"{', '.join(f'x{s}' for s in args.scales)}.", ""]
    built = {}
    for s, values, names in sections:
        header = "| method | " + " | ".join(f"{d} PSNR | {d} SSIM" for d in args.sets) + " | ms/MP |"
        body = [f"### x{s}", "", header, "|---|" + "---|---|" * len(args.sets) + "---|"]
        times = {label: ms for sc, label, ms in timing_rows if sc == s}
        for label in names:
            cells = []
            for d in args.sets:
                cells += list(values[label].get(d, ("–", "–")))
            ms = times.get(label, times.get(label[:-4], 0.0) * 8)
            star = "*" if label not in times else ""
            body.append(f"| {label} | " + " | ".join(cells) + f" | {ms:.0f}{star} |")
        built[s] = body + [""]
    for s in sorted(set(built) | set(kept)):
        lines += built.get(s) or kept[s]
    lines += ["ms/MP: median of 3 runs (after one warm-up) on Set14 `monarch` LR, milliseconds per output "
              "megapixel, one thread (torch, OpenCV and Numba), on "
              f"{platform.machine()} {platform.processor() or ''} shared with other jobs: compare "
              "within one column only.", "",
              "\\* +SE rows: 8 x the plain model's time (not measured separately).", "",
              f"LPIPS: {_lpips_status()}.", ""]
    if notes:
        lines += ["Missing: " + "; ".join(notes) + ".", ""]
    lines.append(END)
    block = "\n".join(lines)
    out = args.out
    text = out.read_text() if out.is_file() else "# Results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    out.write_text(text)
    print(block)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("ship", "table"))
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--checkpoints", type=Path, default=None)
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14", "BSD100"])
    parser.add_argument("--scales", nargs="+", type=int, default=[2, 3, 4])
    parser.add_argument("--ensemble-sets", nargs="*", default=["Set5", "Set14"],
                        help="sets on which the (8x slower) self-ensemble rows are computed")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "results.md")
    parser.add_argument("--reuse-fixed", action="store_true",
                        help="table: carry the bicubic, lanczos3 and OpenCV rows over "
                             "from the previous table in --out")
    parser.add_argument("--keep-other-scales", action="store_true",
                        help="table: keep the sections of scales not in --scales from the previous table")
    parser.add_argument("--dry-run", action="store_true", help="ship: report only, write nothing")
    parser.add_argument("--trained-on", default="CPU (2 cores)",
                        help="ship: where the checkpoints were trained, recorded in index.json")
    parser.add_argument("--only", nargs="*", default=None,
                        help="ship: only these checkpoints (e.g. fsrcnn_x3)")
    args = parser.parse_args(argv)
    return ship(args) if args.command == "ship" else table(args)


if __name__ == "__main__":
    raise SystemExit(main())
