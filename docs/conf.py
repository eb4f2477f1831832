"""Sphinx configuration: the pages, the executed notebooks and the API reference."""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import jax  # noqa: E402

# Numbers and figures in the pages are computed while building, in float64 like the checks.
jax.config.update("jax_enable_x64", True)

import importlib.util  # noqa: E402

import divergences  # noqa: E402

# The lectures' proofs ship as ``divergences.lab.proofs``, which setuptools maps to the top-level
# proofs/ folder. The pages document this source tree: point that package at its proofs/ even
# where another checkout's editable install would map it elsewhere.
_proofs = importlib.util.spec_from_file_location(
    "divergences.lab.proofs",
    ROOT / "proofs" / "__init__.py",
    submodule_search_locations=[str(ROOT / "proofs")],
)
assert _proofs is not None and _proofs.loader is not None
sys.modules["divergences.lab.proofs"] = importlib.util.module_from_spec(_proofs)
_proofs.loader.exec_module(sys.modules["divergences.lab.proofs"])

project = "divergences"
author = "the divergences authors"
copyright = "2026, the divergences authors"
release = divergences.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # MathJax 3 from an installed package, copied into _static: the pages render math offline.
    "sphinx-mathjax-offline",
    "myst_nb",
    "matplotlib.sphinxext.plot_directive",
    "dvdocs",
    "sitecheck",  # checks of the finished site (a failed check is a warning, so -W fails)
]
exclude_patterns = ["_build", "notebooks/.ipynb_checkpoints", "**/.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
myst_enable_extensions = ["dollarmath", "amsmath"]

# Notebooks are stored without outputs and executed while building (this build is what runs them:
# the test suite does not), in a temporary directory so that nothing is written next to them; an
# error in a cell fails the build. Outputs are cached with jupyter-cache in
# ``build/jupyter-cache`` (ignored by git), keyed on the notebook's code cells: a build executes
# only the notebooks whose code is not there. That key does not see the package, so the cache is
# emptied whenever the package's sources (divergences/ and proofs/) differ from those of the build
# that filled it. No time-out: a loaded machine is slow, not wrong (-1 disables nbclient's
# per-cell limit). Nobody watches a notebook executed here: the training lab's live view
# (divergences.lab.training.live) draws its figures once, at the end, instead of after every
# readout. The kernels inherit this process's environment.
os.environ["DIVERGENCES_LIVE_VIEW"] = "0"
nb_execution_mode = "cache"
nb_execution_cache_path = str(ROOT / "build" / "jupyter-cache")


def _package_digest() -> str:
    """A digest of the package's sources: what the notebooks' cached outputs were computed with."""
    digest = hashlib.sha256()
    sources = [*(ROOT / "divergences").rglob("*.py"), *(ROOT / "proofs").rglob("*.py")]
    sources += (ROOT / "divergences" / "wasserstein" / "_native").glob("*.[ch]*")
    for path in sorted(sources):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_stamp = ROOT / "build" / "jupyter-cache.sha256"  # the digest of the build that filled the cache
_digest = _package_digest()
if not _stamp.is_file() or _stamp.read_text() != _digest:
    shutil.rmtree(nb_execution_cache_path, ignore_errors=True)
    _stamp.parent.mkdir(parents=True, exist_ok=True)
    _stamp.write_text(_digest)
nb_execution_in_temp = True
nb_execution_raise_on_error = True
nb_execution_timeout = -1
nb_execution_show_tb = True
# Notebook 09's controls (ipywidgets) need a live kernel: the page shows them as text and loads
# no widget scripts (myst-nb's default fetches require.js and the widget manager from a CDN).
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
# Every figure of a page is laid out to fit its labels (the plot directive saves without
# bbox_inches="tight", so a figure without a layout engine clips its x-label).
plot_rcparams = {"figure.constrained_layout.use": True}
plot_pre_code = (
    "import jax\njax.config.update('jax_enable_x64', True)\n"
    "import numpy as np\nimport matplotlib.pyplot as plt\nimport divergences as dv\n"
)

html_theme = "pydata_sphinx_theme"
html_title = "divergences"
html_static_path = ["_static"]
html_css_files = ["divergences.css"]
# Pages without sub-pages have no section navigation: no empty left sidebar beside them.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting_started",
        "conventions",
        "proofs",
        "verify_your_own",
        "api",
        "references",
    )
}
html_theme_options = {
    # No icon links, analytics or version switcher: a page fetches nothing from the network.
    "navigation_with_keys": False,
    "header_links_before_dropdown": 5,
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
suppress_warnings = ["mystnb.unknown_mime_type"]
