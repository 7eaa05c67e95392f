"""Make the figures and the 'other settings vs MATLAB' table of docs/resize.md.

Usage: python docs/scripts/resize_report.py [--data ../shared/data]
Writes docs/figures/resize_kernels.png, docs/figures/resize_methods.png and replaces the
section between the markers in docs/resize.md.  Needs matplotlib; OpenCV, Pillow and torch
rows appear when those packages are installed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import classicsr
from classicsr.io import read_image
from classicsr.resize import KERNELS, _make_cubic

DOCS = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN generated: matlab-files -->", "<!-- END generated: matlab-files -->"


def kernels_figure(path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.linspace(-3.5, 3.5, 1401)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name in ("nearest", "bilinear", "bicubic", "lanczos2", "lanczos3"):
        ax.plot(x, KERNELS[name].func(x), label=f"{name} (width {KERNELS[name].width:g})")
    ax.plot(x, _make_cubic(-0.75)(x),
            "--", color="gray", label="cubic a=-0.75 (OpenCV, torch)")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("distance in input pixels")
    ax.legend(fontsize=8)
    ax.set_title("Interpolation kernels (MATLAB definitions)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def methods_figure(path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage import data

    hr = data.astronaut()[40:232, 140:332]  # the face, 192x192
    lr = classicsr.resize(hr, 1 / 4, boundary="replicate")
    names = ["nearest", "bilinear", "bicubic", "lanczos2", "lanczos3", "box"]
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(2.4 * (len(names) + 1), 2.8))
    axes[0].imshow(hr)
    axes[0].set_title("HR crop")
    for ax, name in zip(axes[1:], names):
        sr = classicsr.resize(lr, 4, method=name)
        psnr = classicsr.metrics.psnr(hr, sr, crop_border=4, y_channel=True)
        ax.imshow(sr)
        ax.set_title(f"{name}\n{psnr:.2f} dB (Y)", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("x4 upscaling of a MATLAB-bicubic LR crop (48x48) with each kernel", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _peers():
    peers = {}
    try:
        import cv2

        peers["OpenCV INTER_CUBIC"] = lambda hr, s: cv2.resize(hr, (hr.shape[1] // s, hr.shape[0] // s),
                                                               interpolation=cv2.INTER_CUBIC)
        peers["OpenCV INTER_AREA"] = lambda hr, s: cv2.resize(hr, (hr.shape[1] // s, hr.shape[0] // s),
                                                              interpolation=cv2.INTER_AREA)
    except ImportError:
        pass
    try:
        from PIL import Image

        def pil(hr, s):
            return np.asarray(Image.fromarray(hr).resize((hr.shape[1] // s, hr.shape[0] // s), Image.BICUBIC))
        peers["Pillow BICUBIC"] = pil
    except ImportError:
        pass
    try:
        import torch

        def tor(hr, s):
            t = torch.from_numpy(np.ascontiguousarray(hr if hr.ndim == 3 else hr[..., None])).permute(2, 0, 1)[None].float()
            o = torch.nn.functional.interpolate(t, size=(hr.shape[0] // s, hr.shape[1] // s), mode="bicubic",
                                                antialias=True, align_corners=False)
            o = o.round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0).numpy()
            return o if hr.ndim == 3 else o[..., 0]
        peers["torch bicubic antialias"] = tor
    except ImportError:
        pass
    return peers


def matlab_table(data_dir: Path):
    settings = {
        "classicsr replicate (MATLAB < 2014)": lambda hr, s: classicsr.resize(hr, 1 / s, boundary="replicate"),
        "classicsr symmetric (current MATLAB)": lambda hr, s: classicsr.resize(hr, 1 / s),
        "classicsr replicate, round once": lambda hr, s: classicsr.resize(hr, 1 / s, boundary="replicate",
                                                                         round_each_pass=False),
    }
    settings.update(_peers())
    stats = {name: [0, 0, 0] for name in settings}  # identical, total, max abs diff
    for dataset in ("Set5", "Set14", "BSD100"):
        for s in (2, 3, 4):
            for path in sorted((data_dir / dataset / "HR").glob("*.png")):
                hr = read_image(path)
                hr = hr[: hr.shape[0] - hr.shape[0] % s, : hr.shape[1] - hr.shape[1] % s]
                lr = read_image(data_dir / dataset / "LR_bicubic" / f"X{s}" / path.name)
                for name, f in settings.items():
                    out = f(hr, s)
                    d = np.abs(out.astype(np.int32) - lr.astype(np.int32))
                    st = stats[name]
                    st[0] += int((d == 0).sum())
                    st[1] += d.size
                    st[2] = max(st[2], int(d.max()))
    lines = ["| setting | identical pixels | max abs difference (grey levels) |", "|---|---|---|"]
    for name, (same, total, mx) in stats.items():
        lines.append(f"| {name} | {100 * same / total:.3f}% | {mx} |")
    return "\n".join(lines) + f"\n\n({stats[next(iter(stats))][1]:,} pixels: Set5, Set14, BSD100 at x2, x3, x4.)"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(DOCS.parents[0].parent / "shared" / "data"))
    args = parser.parse_args(argv)
    (DOCS / "figures").mkdir(exist_ok=True)
    kernels_figure(DOCS / "figures" / "resize_kernels.png")
    methods_figure(DOCS / "figures" / "resize_methods.png")
    data_dir = Path(args.data)
    if not data_dir.is_dir():
        print(f"{data_dir} absent: figures written, table not regenerated", file=sys.stderr)
        return 0
    table = matlab_table(data_dir)
    page = DOCS / "resize.md"
    text = page.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    page.write_text(head + BEGIN + "\n" + table + "\n" + END + tail)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
