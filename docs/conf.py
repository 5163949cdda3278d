"""Sphinx configuration of skmm's documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors).
The gallery runs ``examples/`` at build time on small samples
(``SKMM_EXAMPLE_ROWS``); ``SKMM_DOCS_GALLERY=0`` builds without running it.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# the examples import their shared loaders (examples/datasets.py) as ``datasets``
sys.path.insert(0, str(ROOT / "examples"))
# the examples read these: a small sample of each dataset, quiet TensorFlow, no windows
os.environ.setdefault("SKMM_EXAMPLE_ROWS", "3000")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import skmm  # noqa: E402

project = "skmm"
author = "the skmm developers"
copyright = "2026, the skmm developers"  # noqa: A001
release = skmm.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "sg_execution_times.rst"]
root_doc = "index"

# -- API reference ------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
# a method without its own docstring shows nothing, not Keras' or scikit-learn's
autodoc_inherit_docstrings = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# the docstrings' "See Also" and type names are prose, not cross-references to resolve
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# -- gallery --------------------------------------------------------------------------------
run_gallery = os.environ.get("SKMM_DOCS_GALLERY", "1") != "0"
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # every example runs, except the helper module they share
    "filename_pattern": r".*\.py$",
    "ignore_pattern": r"(datasets|__init__)\.py$",
    "plot_gallery": run_gallery,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": (),
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmm {release}"
html_static_path = ["_static"]
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


def _skip_generated_request_methods(app, what, name, obj, skip, options):
    """scikit-learn's generated ``set_*_request`` methods are documented by scikit-learn."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_generated_request_methods)
