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
]
extlinks = {"doi": ("https://doi.org/%s", "doi:%s")}
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "scripts", "figures/*.md", "**/.ipynb_checkpoints"]
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
