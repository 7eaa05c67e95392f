"""Every gallery example (examples/plot_*.py) runs as a script and draws at least one figure.

The docs build runs them too (sphinx-gallery, ``tests/test_docs.py``); here each is a test of
its own, in a fresh process with the non-interactive Agg backend, so a failure names the
example and shows its traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("plot_*.py"))

RUNNER = """
import runpy, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.show = lambda *args, **kwargs: None  # the gallery's scraper collects the open figures instead
runpy.run_path(sys.argv[1], run_name="__main__")
print("FIGURES", len(plt.get_fignums()))
"""


def test_examples_found():
    assert len(EXAMPLES) >= 5, EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    pytest.importorskip("matplotlib")
    if "import dask" in script.read_text():
        pytest.importorskip("dask.array", reason="the dask extra is not installed")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    figures = int(proc.stdout.rsplit("FIGURES", 1)[1])
    assert figures >= 1, f"{script.name} drew no figure"
    assert list(tmp_path.iterdir()) == [], f"{script.name} wrote files into its working folder"
    # the gallery needs a title: a module docstring whose first line is followed by '===='
    head = script.read_text().lstrip().splitlines()
    assert head[0] == '"""' and set(head[2]) == {"="}, f"{script.name}: no gallery title"
