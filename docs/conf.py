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
# skmm_docs: benchmark tables from docs/_data, CI's matrix, links to outside docs (offline)
sys.path.insert(0, str(Path(__file__).parent / "_ext"))
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
    "sphinx_copybutton",
    "sphinx_design",
    "myst_parser",
    "skmm_docs",
]
# straight quotes everywhere: a pasted ``pip install -e ".[examples]"`` must run
smartquotes = False
# the copy button copies code without its prompts and without the output lines
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
myst_enable_extensions = []

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "sg_execution_times.rst"]
root_doc = "index"

# -- API reference ------------------------------------------------------------------------
autosummary_generate = True
# inherited methods (score, get_params, set_params...) are documented on every class;
# members skmm's layers inherit from Keras are hidden (_skip_members below)
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
autodoc_inherit_docstrings = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# parameter types link to the outside docs (skmm_docs resolves them without network)
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "DataFrame": "pandas.DataFrame", "Series": "pandas.Series", "ndarray": "numpy.ndarray",
    "Pipeline": "sklearn.pipeline.Pipeline",
    "ColumnTransformer": "sklearn.compose.ColumnTransformer",
    "keras.Model": "keras.Model", "Model": "keras.Model",
    **{name: f"skmm.{name}" for name in ("InputRouter", "TargetSplitter", "TextSequencer",
                                         "ModelMeta", "InputSpec", "HeadSpec", "EpochLog",
                                         "FunctionalEstimator")},
}
numpydoc_xref_ignore = "all"
numpydoc_validation_checks = set()

# -- gallery --------------------------------------------------------------------------------
run_gallery = os.environ.get("SKMM_DOCS_GALLERY", "1") != "0"
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # every example runs
    "filename_pattern": r".*\.py$",
    "ignore_pattern": r"__init__\.py$",
    # the quickstart first, then the main job; the rest after
    "within_subsection_order": "skmm_docs.GalleryOrder",
    # matplotlib's defaults before each example, with figures at 150 dpi
    "reset_modules": ("skmm_docs.reset_matplotlib",),
    "plot_gallery": run_gallery,
    "download_all_examples": False,
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": (),
    "show_memory": False,
    "min_reported_time": 1,
}
# figures sharp enough for high-density screens
import matplotlib  # noqa: E402

matplotlib.rcParams.update({"figure.dpi": 150, "savefig.dpi": 150})

# -- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmm {release}"
html_static_path = ["_static"]
html_css_files = ["skmm.css"]
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    # Guide, API, Gallery and Changelog all in the navbar, none under "More"
    "header_links_before_dropdown": 6,
}
html_show_sourcelink = False
# "On this page" of a class page lists fit(), predict()... not FunctionalClassifier.fit()
toc_object_entries_show_parents = "hide"


def _skip_members(app, what, name, obj, skip, options):
    """Hide what Keras documents: members skmm's layers inherit from Keras.

    scikit-learn's generated ``set_*_request`` methods are left to scikit-learn too;
    everything else inherited from scikit-learn (``score``, ``get_params``...) stays.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    target = obj.fget if isinstance(obj, property) else obj
    module = getattr(target, "__module__", None) or ""
    if module.startswith(("keras", "tensorflow", "jax", "torch", "optree")):
        return True
    return None


def _task_class_parameters(app, what, name, obj, options, lines):
    """The task classes take FunctionalEstimator's parameters: show them on their pages."""
    if what != "class" or name not in ("skmm.FunctionalClassifier", "skmm.FunctionalRegressor"):
        return
    import inspect

    base = inspect.cleandoc(skmm.FunctionalEstimator.__doc__).splitlines()
    start = base.index("Parameters")
    end = next((i for i in range(start + 2, len(base))
                if i + 1 < len(base) and set(base[i + 1]) == {"-"} and base[i + 1]
                and base[i] in ("Attributes", "Examples", "See Also", "Notes")), len(base))
    section = base[start:end]
    where = lines.index("Examples") if "Examples" in lines else len(lines)
    lines[where:where] = [*section, ""]


def _keras_hooks(app, what, name, obj, options, lines):
    """A Keras hook skmm overrides without a docstring: point to Keras, not its raw text."""
    if what != "method" or getattr(obj, "__doc__", None) is not None:
        return
    import keras

    owner = name.rpartition(".")[0]
    module, _, cls_name = owner.rpartition(".")
    cls = getattr(sys.modules.get(module), cls_name, None)
    for base, page in ((keras.callbacks.Callback, "keras.callbacks.Callback"),
                       (keras.layers.Layer, "keras.layers.Layer")):
        hook = name.rpartition(".")[2]
        if isinstance(cls, type) and issubclass(cls, base) and hasattr(base, hook):
            lines[:] = [f"The Keras hook of the same name; see :class:`{page}`."]
            return


def _viewcode_backlinks(app, exception):
    """Point the source pages' "[docs]" links at the anchors the API pages really have.

    viewcode names every object of a module after the first name it was documented
    under: ``skmm.history`` holds ``EpochLog``, documented as ``skmm.EpochLog``, so its
    backlink to ``plot_history`` reads ``#skmm.plot_history`` where the page has
    ``#skmm.history.plot_history``.
    """
    if exception is not None or app.builder.format != "html":
        return
    import re
    from pathlib import Path

    out = Path(app.outdir)
    for page in (out / "_modules").rglob("*.html"):
        text = page.read_text()

        def fix(match, page=page):
            path, anchor = match.group(1), match.group(2)
            target = (page.parent / path).resolve()
            if not target.exists():
                return match.group(0)
            ids = set(re.findall(r'\sid="([^"]+)"', target.read_text()))
            if anchor in ids:
                return match.group(0)
            tail = anchor.split(".", 1)[1] if "." in anchor else anchor
            while tail:  # the object itself, else what holds it (a class for its __init__)
                found = sorted(i for i in ids if i == tail or i.endswith("." + tail))
                if found:
                    return f'href="{path}#{found[0]}"'
                tail = tail.rpartition(".")[0]
            return match.group(0)

        fixed = re.sub(r'href="([^"#]+\.html)#([^"]+)"', fix, text)
        if fixed != text:
            page.write_text(fixed)


def setup(app):
    app.connect("build-finished", _viewcode_backlinks)
    app.connect("autodoc-process-docstring", _keras_hooks, priority=400)
    app.connect("autodoc-skip-member", _skip_members)
    # before numpydoc (priority 500) parses the sections
    app.connect("autodoc-process-docstring", _task_class_parameters, priority=400)
