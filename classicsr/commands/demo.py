"""``classicsr demo``: the main job on built-in data, in well under a minute.

Takes scikit-image's bundled images (no download), degrades them with the SR protocol
(MATLAB bicubic downscale), upscales them back with every classical kernel, scores PSNR/SSIM
on the Y channel with the border shaved; reconstructs x2 from 8 simulated shifted, blurred,
noisy frames (registered, Tikhonov); deblurs a Gaussian-blurred noisy image with Wiener.
Prints the table and writes two figures with zoomed crops plus the table as CSV and JSON to
an output folder.
"""

from __future__ import annotations

import csv
import io as _io
import json
import time
from pathlib import Path

import numpy as np

from ._common import Report, add_common_options, info, prepare_output_folder

NAME = "demo"
HELP = ("Run the main job on scikit-image's bundled images: downscale, upscale with every method, "
        "multi-frame SR, deblurring; score and plot.")
EXAMPLES = """examples:
  classicsr demo                          (writes ./classicsr-demo/)
  classicsr demo --output out/ --scale 3 --overwrite
  classicsr demo --json --quiet           (machine-readable results on stdout)
"""

METHODS = ("nearest", "bilinear", "bicubic", "lanczos2", "lanczos3", "box")
OUTPUT_FILES = ("demo_comparison.png", "demo_misr_deblur.png", "demo_results.csv", "demo_results.json")


def add_arguments(parser):
    parser.add_argument("--output", default="classicsr-demo", help="output folder (default: ./classicsr-demo)")
    parser.add_argument("--scale", type=int, default=4, choices=(2, 3, 4), help="SR scale (default: 4)")
    add_common_options(parser, json_output=True)


def _images():
    from skimage import data

    return {"astronaut": data.astronaut(), "camera": data.camera(), "coffee": data.coffee()}


def _upscaling_rows(images, scale):
    from .. import degrade, metrics
    from ..resize import resize

    rows, outputs = [], {}
    for name, image in images.items():
        hr = degrade.modcrop(image, scale)
        lr = resize(hr, 1 / scale, boundary="replicate")  # the benchmark files' own rule
        outputs[name] = {"HR": hr, "LR": lr}
        for method in METHODS:
            t0 = time.perf_counter()
            sr = resize(lr, output_shape=hr.shape[:2], method=method)
            ms = (time.perf_counter() - t0) * 1e3
            outputs[name][method] = sr
            rows.append({
                "image": name, "task": f"x{scale} upscale", "method": method,
                "psnr": metrics.psnr(hr, sr, crop_border=scale, y_channel=True),
                "ssim": metrics.ssim(hr, sr, crop_border=scale, y_channel=True),
                "ms": ms,
            })
    return rows, outputs


def _misr_deblur_rows():
    """MISR x2 from 8 simulated frames, and Wiener deblurring, on a crop of 'camera'."""
    from skimage import data

    from .. import deconvolution, metrics, misr, psf
    from ..fft import fftconvolve_periodic
    from ..resize import resize

    rows, shown = [], {}
    hr = data.camera()[96:224, 160:288].astype(np.float64) / 255  # 128 x 128, the cameraman
    t0 = time.perf_counter()
    sim = misr.simulate_frames(hr, 8, 2, psf=1.0, noise_sigma=0.01, seed=0, decimation="area")
    motions = misr.register(sim.frames)
    sr = misr.regularized_sr(sim.frames, 2, motions=motions, psf=1.0, decimation="area")
    ms = (time.perf_counter() - t0) * 1e3
    base = resize(sim.frames[0], 2)  # single-frame bicubic of the reference frame, same grid
    def add(image, task, ref, crop, method, img, t):
        img = np.clip(img, 0, 1)
        shown[method] = img
        rows.append({"image": image, "task": task, "method": method,
                     "psnr": metrics.psnr(ref, img, data_range=1, crop_border=crop),
                     "ssim": metrics.ssim(ref, img, data_range=1, crop_border=crop), "ms": t})

    for method, img, t in (("bicubic (frame 0)", base, 0.0), ("MISR Tikhonov, 8 frames", sr, ms)):
        add("camera crop", "x2 multi-frame", hr, 2, method, img, t)
    shown["frame 0"] = sim.frames[0]

    sharp = data.camera().astype(np.float64) / 255
    kernel = psf.gaussian(2.0)
    rng = np.random.default_rng(0)
    blurred = fftconvolve_periodic(sharp, kernel) + rng.normal(0, 0.01, sharp.shape)
    t0 = time.perf_counter()
    restored = deconvolution.wiener(blurred, kernel)  # noise level and NSR estimated from the image
    ms = (time.perf_counter() - t0) * 1e3
    for method, img, t in (("blurred (sigma 2, noise 0.01)", blurred, 0.0), ("Wiener, automatic NSR", restored, ms)):
        add("camera", "deblur", sharp, 8, method, img, t)
    shown["sharp"] = sharp
    shown["HR crop"] = hr
    return rows, shown


def _figure_misr_deblur(shown, path: Path, overwrite: bool):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("HR crop", None), ("frame 0", None), ("bicubic (frame 0)", None), ("MISR Tikhonov, 8 frames", None),
              ("sharp", (slice(60, 220), slice(180, 340))), ("blurred (sigma 2, noise 0.01)", (slice(60, 220), slice(180, 340))),
              ("Wiener, automatic NSR", (slice(60, 220), slice(180, 340)))]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.0))
    for ax, (key, crop) in zip(axes, panels):
        img = shown[key] if crop is None else shown[key][crop]
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(key, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Multi-frame SR x2 (8 simulated frames) and Wiener deblurring on scikit-image's camera", fontsize=9)
    fig.tight_layout()
    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    _atomic_bytes(path, buffer.getvalue(), overwrite)


def _figure(outputs, scale, path: Path, overwrite: bool):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from ..resize import resize

    name = "astronaut"
    hr = outputs[name]["HR"]
    y0, x0, size = 60, 170, 96  # the face and the helmet rim
    shown = ["HR", "LR", "nearest", "bilinear", "bicubic", "lanczos3"]
    fig, axes = plt.subplots(2, len(shown), figsize=(3 * len(shown), 6.4))
    for col, key in enumerate(shown):
        img = outputs[name][key]
        if key == "LR":  # show the LR image at HR size without interpolation
            img = resize(img, output_shape=hr.shape[:2], method="nearest")
        axes[0, col].imshow(img)
        axes[0, col].set_title(key if key in ("HR", "LR") else f"{key} x{scale}")
        axes[0, col].add_patch(Rectangle((x0, y0), size, size, fill=False, edgecolor="yellow", lw=1.5))
        axes[1, col].imshow(img[y0:y0 + size, x0:x0 + size], interpolation="nearest")
        for ax in axes[:, col]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"classicsr demo: {name}, MATLAB-bicubic LR (x1/{scale}) upscaled back; bottom: zoomed crops")
    fig.tight_layout()
    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    _atomic_bytes(path, buffer.getvalue(), overwrite)


def _atomic_bytes(path: Path, data: bytes, overwrite: bool):
    from ..io import write_bytes

    write_bytes(path, data, overwrite=overwrite)


def _table(rows):
    lines = ["| image | task | method | PSNR (dB) | SSIM | ms |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['image']} | {r['task']} | {r['method']} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['ms']:.1f} |")
    return "\n".join(lines)


def run(args) -> int:
    out_dir = Path(args.output)
    targets = [out_dir / f for f in OUTPUT_FILES]
    report = Report(NAME, args)
    if not args.overwrite:
        existing = [str(t) for t in targets if t.exists()]
        if existing:  # refused before any work; with --json still one document (exit code 1)
            verb = "exists" if len(existing) == 1 else "exist"
            report.fail(None, f"{', '.join(existing)} {verb}; pass --overwrite or choose another "
                              f"--output")
            return report.finish(files=[], seconds=0.0)
    try:
        prepare_output_folder(out_dir)
    except OSError as exc:
        report.fail(None, exc)
        return report.finish(files=[], seconds=0.0)

    t_start = time.perf_counter()
    info(f"classicsr demo: x{args.scale} on scikit-image's astronaut, camera and coffee", args.quiet)
    rows, outputs = _upscaling_rows(_images(), args.scale)
    info("classicsr demo: multi-frame SR x2 from 8 simulated frames, and Wiener deblurring", args.quiet)
    more, shown = _misr_deblur_rows()
    rows += more
    buffer = _io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    writes = [(targets[0], lambda path: _figure(outputs, args.scale, path, args.overwrite)),
              (targets[1], lambda path: _figure_misr_deblur(shown, path, args.overwrite)),
              (targets[2], lambda path: _atomic_bytes(path, buffer.getvalue().encode(), args.overwrite)),
              (targets[3], lambda path: _atomic_bytes(path, json.dumps(rows, indent=2).encode(), args.overwrite))]
    for path, write in writes:  # a failed write (read-only folder, full disk) spares the others
        try:
            write(path)
        except OSError as exc:
            report.fail(path, exc)
    elapsed = time.perf_counter() - t_start

    report.results.extend(rows)
    if not args.json:
        print(_table(rows))
        written = [str(t) for t in targets if str(t) not in {f["file"] for f in report.failures}]
        print(f"\nwrote {', '.join(written) or 'nothing'} in {elapsed:.1f} s")
    best = max(rows, key=lambda r: r["psnr"] if r["image"] == "astronaut" else -np.inf)
    info(f"best on astronaut: {best['method']} ({best['psnr']:.2f} dB)", args.quiet)
    failed = {f["file"] for f in report.failures}
    return report.finish(files=[str(t) for t in targets if str(t) not in failed], seconds=elapsed)
