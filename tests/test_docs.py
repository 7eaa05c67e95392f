"""The documentation builds with warnings as errors (API pages and the example gallery included).

The build runs every gallery example (sphinx-gallery; an example that raises fails it) and
writes their figures to ``docs/auto_examples/`` (git-ignored); unchanged examples are not
re-run on a later build.  ``tests/test_examples.py`` runs each example as a test of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_sphinx_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    pytest.importorskip("myst_parser", reason="the docs extra is not installed")
    pytest.importorskip("numpydoc", reason="the docs extra is not installed")
    pytest.importorskip("sphinx_gallery", reason="the docs extra is not installed")
    pytest.importorskip("matplotlib", reason="the gallery needs matplotlib")
    pytest.importorskip("dask.array", reason="the gallery's dask example needs the dask extra")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (tmp_path / "html" / "resize.html").exists()
    assert (tmp_path / "html" / "generated" / "classicsr.resize.html").exists()
    # the gallery: an index and one page per example, each with its figure
    html = tmp_path / "html"
    assert (html / "auto_examples" / "index.html").exists()
    for script in sorted((DOCS.parent / "examples").glob("plot_*.py")):
        page = (html / "auto_examples" / f"{script.stem}.html").read_text()
        assert f"sphx_glr_{script.stem}_001.png" in page, script.name
    # every module page shows at least one figure (its own or a gallery one)
    for name in ("getting_started", "resize", "evaluation", "deconvolution", "misr", "example_based", "dask"):
        assert "<img" in (html / f"{name}.html").read_text(), f"docs/{name}.md shows no figure"
