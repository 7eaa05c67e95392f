"""Sphinx configuration for the classicsr docs (build: sphinx-build -W -b html docs docs/_build/html)."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import classicsr  # noqa: E402

project = "classicsr"
author = "classicsr developers"
copyright = "2026, classicsr developers"
release = classicsr.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.extlinks",
    "sphinx_gallery.gen_gallery",
]
extlinks = {"doi": ("https://doi.org/%s", "doi:%s")}
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "scripts", "figures/*.md", "**/.ipynb_checkpoints",
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
root_doc = "index"

autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
myst_heading_anchors = 3
# Markdown pages link to repository files (scripts, tests) that are not documents, and some
# pages start their sections below level 2; neither is an error in the content.
suppress_warnings = ["myst.header", "myst.xref_missing"]

html_theme = "alabaster"
html_static_path: list[str] = []
html_title = f"classicsr {release}"

# -- Example gallery (sphinx-gallery) --------------------------------------------------------
# Every examples/plot_*.py runs during the build (an example that raises fails the build) and
# its figures land in docs/auto_examples/ (generated, git-ignored).  Unchanged examples are not
# re-run on a rebuild (sphinx-gallery's md5 cache).  CLASSICSR_DOCS_PLOT_GALLERY=0 skips the
# execution for a quick text-only build; the module pages then lack the gallery figures they
# show, so that build is not -W clean and is not what CI runs.
sphinx_gallery_conf = {
    "examples_dirs": os.path.join("..", "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "plot_gallery": os.environ.get("CLASSICSR_DOCS_PLOT_GALLERY", "1").lower() not in ("0", "false", "no"),
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "write_computation_times": True,
}
