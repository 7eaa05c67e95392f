"""L1-BTV multi-frame SR (Farsiu et al. steepest descent): classicsr vs the same algorithm written
with scipy.ndimage (shift, gaussian_filter, slicing), timed in one process.

Problem: K frames of h x w, x4, random translations, Gaussian PSF sigma 1 HR pixel, P = 2,
alpha = 0.7, fixed iteration count.  Prints seconds per run, per-iteration cost, the ratio
peer / classicsr, and seconds / (frames x HR pixels x iterations) for two sizes (linear
scaling shows as a constant).

Usage: NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/peer_misr.py [--iterations 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.ndimage as ndi

from classicsr.misr import regularized_sr, simulate_frames
from classicsr.misr.reconstruct import _DEFAULT_STEP, _default_lam


def ndimage_l1_btv(frames, scale, shifts_lr, n_iter, lam, beta, P=2, alpha=0.7, sigma=1.0):
    """The same L1-BTV steepest descent with scipy.ndimage: shift -> gaussian_filter -> slicing."""
    K, h, w = frames.shape
    H, W = h * scale, w * scale
    x = ndi.zoom(frames[0], scale, order=3, mode="reflect", grid_mode=False)[:H, :W]
    for _ in range(n_iter):
        grad = np.zeros((H, W))
        for k in range(K):
            d = shifts_lr[k] * scale
            sim = ndi.gaussian_filter(ndi.shift(x, d, order=3, mode="reflect"), sigma, mode="reflect", truncate=4.0)
            r = np.sign(sim[::scale, ::scale] - frames[k])
            up = np.zeros((H, W))
            up[::scale, ::scale] = r
            grad += ndi.shift(ndi.gaussian_filter(up, sigma, mode="reflect", truncate=4.0), -d, order=3, mode="reflect")
        grad /= K
        g = np.zeros((H, W))
        for l in range(0, P + 1):
            for m in range(-P, P + 1):
                if l == 0 and m <= 0:
                    continue
                wgt = alpha ** (abs(l) + abs(m))
                a = x[: H - l, max(0, -m): W - max(0, m)]
                b = x[l:H, max(0, m): W + min(0, m)]
                s = np.sign(a - b)
                g[: H - l, max(0, -m): W - max(0, m)] += wgt * s
                g[l:H, max(0, m): W + min(0, m)] -= wgt * s
        x = x - beta * (grad + lam * g)
    return x


def run_case(K, h, scale, n_iter, repeat, peer=True):
    rng = np.random.default_rng(0)
    hr = ndi.gaussian_filter(rng.random((h * scale, h * scale)), 2.0)
    sim = simulate_frames(hr, K, scale, max_shift=1.0, noise_sigma=0.01, seed=1)
    kw = dict(motions=sim.motions, prior="btv", data="l1", solver="descent", n_iter=n_iter, tol=0.0)
    regularized_sr(sim.frames, scale, **dict(kw, n_iter=1))  # JIT / caches warm
    ours = []
    for _ in range(repeat):
        t = time.perf_counter()
        regularized_sr(sim.frames, scale, **kw)
        ours.append(time.perf_counter() - t)
    theirs = []
    if peer:
        # classicsr's defaults for L1-BTV descent, so both sides run the same iteration
        beta = _DEFAULT_STEP["l1"] * scale ** 2 / 4.0
        lam = _default_lam("btv", scale, "l1")
        for _ in range(max(1, repeat // 3)):
            t = time.perf_counter()
            ndimage_l1_btv(sim.frames, scale, sim.motions[:, :, 2], n_iter, lam, beta)
            theirs.append(time.perf_counter() - t)
    return float(np.median(ours)), (float(np.median(theirs)) if theirs else float("nan"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-iterations", type=int, default=None,
                    help="iterations for the (slow) peer; its time is scaled to --iterations")
    args = ap.parse_args()
    import classicsr

    print(f"numba threads {classicsr.get_num_threads()}; {args.iterations} iterations; medians of {args.repeat}")
    print("| frames | LR size | HR size | classicsr s | scipy.ndimage s | ratio | classicsr ns/(frame*HRpx*it) |")
    print("|---|---|---|---|---|---|---|")
    for K, h in [(16, 64), (8, 128), (16, 128)]:
        ours, _ = run_case(K, h, 4, args.iterations, args.repeat, peer=False)
        pit = args.peer_iterations or args.iterations
        _, theirs = run_case(K, h, 4, pit, 1, peer=True)
        theirs *= args.iterations / pit
        unit = ours / (K * (4 * h) ** 2 * args.iterations) * 1e9
        print(f"| {K} | {h}x{h} | {4 * h}x{4 * h} | {ours:.2f} | {theirs:.1f} | {theirs / ours:.1f} | {unit:.2f} |")


if __name__ == "__main__":
    main()
