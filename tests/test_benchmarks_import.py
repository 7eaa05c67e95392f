"""Every asv benchmark module imports cleanly and is well formed; the cheap benchmarks (the dask
suite on a tiny image, a few classes of the others on their first parameters) run their
``setup`` and one call of every benchmark method.

The modules are imported from their files under a name the dask worker processes cannot
import, as asv does (``benchmarks.bench_<module>``), so a graph that ships a function of a
benchmark module to a worker process fails here rather than hanging asv.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "benchmarks"
MODULES = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
PREFIXES = ("time_", "timeraw_", "peakmem_", "mem_", "track_")


def _load(stem):
    name = f"_classicsr_asv_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _benchmark_classes(module):
    for name, obj in vars(module).items():
        if inspect.isclass(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
            methods = [m for m in dir(obj) if m.startswith(PREFIXES) and callable(getattr(obj, m))]
            if methods:
                yield name, obj, methods


def _params(cls):
    """asv's normalisation: a flat list is one parameter."""
    params = list(getattr(cls, "params", []))
    if params and not isinstance(params[0], (list, tuple)):
        params = [params]
    return params


def test_there_are_benchmark_modules():
    assert "bench_dask" in MODULES and "bench_resize" in MODULES


@pytest.mark.parametrize("stem", MODULES)
def test_module_imports_and_is_well_formed(stem):
    module = _load(stem)
    classes = list(_benchmark_classes(module))
    assert classes, f"{stem} defines no benchmark"
    for name, cls, methods in classes:
        params = _params(cls)
        names = list(getattr(cls, "param_names", []))
        if params:
            assert len(names) == len(params), f"{stem}.{name}: {len(params)} params, param_names {names}"
            assert all(len(p) > 0 for p in params), f"{stem}.{name}: an empty parameter list"
        n = len(params)
        for meth in methods + [m for m in ("setup", "teardown") if hasattr(cls, m)]:
            sig = inspect.signature(getattr(cls, meth))
            args = [None] * (n + 1)  # self + one value per parameter
            try:
                sig.bind(*args)
            except TypeError as exc:
                pytest.fail(f"{stem}.{name}.{meth} does not take the {n} parameter(s) {names}: {exc}")
        for meth in methods:
            if meth.startswith("timeraw_"):
                code = getattr(cls(), meth)(*[p[0] for p in params])
                compile(code, f"{stem}.{name}.{meth}", "exec")


def test_asv_check():
    """asv's own discovery and signature check of the whole suite (no benchmark is run)."""
    asv = shutil.which("asv") or str(Path(sys.executable).with_name("asv"))
    if not Path(asv).exists():
        pytest.skip("asv is not installed")
    proc = subprocess.run([asv, "check", "--python=same"], cwd=BENCH_DIR.parent, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "No problems found" in proc.stdout, proc.stdout + proc.stderr


def _run_once(cls, values):
    bench = cls()
    if hasattr(bench, "setup"):
        bench.setup(*values)
    try:
        for meth in dir(bench):
            if meth.startswith(("time_", "peakmem_", "mem_", "track_")):
                getattr(bench, meth)(*values)
    finally:
        if hasattr(bench, "teardown"):
            bench.teardown(*values)


def _dask_cases():
    pytest.importorskip("dask.array")
    module = _load("bench_dask")
    return module


@pytest.mark.parametrize("chunk,workers", [(32, 1), (32, 2), (96, 2)])
def test_dask_resize_benchmark_runs_tiny(monkeypatch, chunk, workers):
    module = _dask_cases()
    monkeypatch.setattr(module.DaskResize, "side", 80)
    _run_once(module.DaskResize, (chunk, workers))


def test_dask_distributed_benchmark_runs_tiny(monkeypatch):
    """Two worker processes that cannot import this benchmark module (see the module doc)."""
    pytest.importorskip("distributed")
    module = _dask_cases()
    monkeypatch.setattr(module.DaskResizeDistributed, "side", 80)
    monkeypatch.setattr(module.DaskResizeDistributed, "chunk", 32)
    box = {}

    def go():
        try:
            _run_once(module.DaskResizeDistributed, (2,))
            box["ok"] = True
        except BaseException as exc:  # re-raised below, in the test's thread
            box["error"] = exc

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(120)
    if "error" in box:
        raise box["error"]
    assert box.get("ok"), "DaskResizeDistributed did not finish within 120 s (a worker failing to unpickle a task?)"


def test_dask_first_call_code_runs():
    pytest.importorskip("dask.array")
    module = _dask_cases()
    code = module.DaskFirstCall().timeraw_import_and_first_call()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


# classes of the other suites that are cheap on their first parameters (about a second each)
CHEAP = [("bench_resize", "ResizeMethods"), ("bench_resize", "ResizeDtypes"), ("bench_metrics", "PSNR")]


@pytest.mark.parametrize("stem,name", CHEAP)
def test_cheap_benchmark_runs_first_parameters(stem, name):
    cls = getattr(_load(stem), name)
    values = next(itertools.product(*_params(cls))) if _params(cls) else ()
    _run_once(cls, values)
