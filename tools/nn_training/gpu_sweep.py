"""Train several ESPCN configurations side by side on one GPU inside a fixed time budget.

Used once on a lent GPU (session 3) to find out whether ESPCN x3 stops at ~31.6 dB on Set5
because of too few steps or because of the recipe.  Every run trains on T91 minus
``T91_HOLDOUT`` and validates on those 9 images only (never on a benchmark set); the caller
picks a configuration by that validation PSNR and scores Set5 once, afterwards, on the CPU.

Each configuration runs in its own process.  A process first times ``--probe`` steps (all
processes probe at the same time, so the rate includes the sharing of the GPU), then trains a
fresh run whose cosine schedule is sized to end inside the remaining budget.

    python tools/nn_training/gpu_sweep.py DATA/T91 OUTDIR --budget 420 --device cuda
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path

CONFIGS = {
    # name: (model kwargs, train kwargs)
    "res_b32_lr1e-3": ({"residual": True}, {"batch_size": 32, "lr": 1e-3}),
    "plain_b32_lr1e-3": ({}, {"batch_size": 32, "lr": 1e-3}),
    "res_b128_lr1e-3": ({"residual": True}, {"batch_size": 128, "lr": 1e-3}),
    "res_b32_lr3e-3": ({"residual": True}, {"batch_size": 32, "lr": 3e-3}),
    "plain_b128_lr3e-3": ({}, {"batch_size": 128, "lr": 3e-3}),
    "res_b64_p32_lr1e-3": ({"residual": True}, {"batch_size": 64, "lr": 1e-3, "patch_size": 32}),
}
# The second sweep: the recipe picked above (by held-out validation) for the other models.
# Names are MODEL_xSCALE; --only picks them.
RECIPE = ({"residual": True}, {"batch_size": 64, "lr": 1e-3, "patch_size": 32})
for _m in ("espcn", "fsrcnn"):
    for _s in (2, 3, 4):
        CONFIGS[f"{_m}_x{_s}"] = RECIPE


def _run(name, data, out, budget, probe, device, scale, threads):
    import torch

    from classicsr.nn.train import T91_HOLDOUT, train

    torch.set_num_threads(threads)
    model_kwargs, kw = CONFIGS[name]
    model = "espcn"
    if "_x" in name:
        model, scale = name.split("_x")[0], int(name.split("_x")[1])
    t0 = time.perf_counter()
    common = dict(model_kwargs=model_kwargs or None, holdout=T91_HOLDOUT, progress=False, device=device,
                  seed=0, loss="mse", **kw)
    probe_run = train(model, scale, data, steps=probe, val_dir=None, checkpoint=None, **common)
    rate = probe_run.seconds / probe  # seconds per step (TrainResult.seconds excludes data preparation)
    prep = time.perf_counter() - t0 - probe_run.seconds  # patch-pair preparation, paid again below
    left = budget - (time.perf_counter() - t0) - prep
    steps = max(1000, int(0.85 * left / rate))
    lines = []
    res = train(model, scale, data, steps=steps, checkpoint=Path(out) / f"{name}.ckpt",
                val_every=max(steps // 8, 1), time_limit=left, log_every=max(steps // 40, 1),
                log=lines.append, resume=False, **common)
    return {"name": name, "probe_s_per_step": rate, "planned_steps": steps, "steps": res.step,
            "seconds": res.seconds, "val": [(h["step"], h["val_psnr"]) for h in res.history
                                            if h.get("val_psnr") is not None],
            "best_val": res.best_val_psnr, "log": lines}


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("--budget", type=float, default=420.0, help="seconds per configuration, all in parallel")
    p.add_argument("--probe", type=int, default=200)
    p.add_argument("--device", default="cuda")
    p.add_argument("--scale", type=int, default=3, help="scale of the ESPCN sweep configurations")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--only", nargs="*", default=None)
    a = p.parse_args(argv)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    names = a.only or [n for n in CONFIGS if "_x" not in n]
    ctx = mp.get_context("spawn")
    with ctx.Pool(len(names)) as pool:
        jobs = [pool.apply_async(_run, (n, a.data, a.out, a.budget, a.probe, a.device, a.scale, a.threads))
                for n in names]
        results = []
        for n, j in zip(names, jobs):
            try:
                results.append(j.get())
            except Exception as exc:  # report and go on: one bad configuration must not lose the rest
                results.append({"name": n, "error": repr(exc)})
    (Path(a.out) / "sweep.json").write_text(json.dumps(results, indent=1))
    for r in results:
        if "error" in r:
            print(r["name"], "ERROR", r["error"])
        else:
            print(f"{r['name']:22s} {r['steps']:7d} steps ({r['probe_s_per_step'] * 1e3:.1f} ms/step probe) "
                  f"val {' '.join(f'{v:.2f}' for _, v in r['val'])}")


if __name__ == "__main__":
    main()
