"""Sphinx helpers for skmm's documentation: figures from files, CI's matrix, outside links.

* ``.. bench-table:: run-quick.json`` renders a table from a benchmark record in
  ``docs/_data/`` (written by ``benchmarks/*.py`` through ``_common.write_record``),
  with a caption naming the script, the date, the machine and whether it was a quick
  run. Pages never retype a measured figure (``tests/test_docs.py`` checks it).
* ``:bench:`file.json:path.to.value:format``` puts one figure of such a record in
  running text, e.g. ``:bench:`run-quick.json:results.2.skmm_value:.1f```.
* ``.. ci-matrix::`` renders the backends and versions CI tests, read from ``.ci/run``
  and ``pyproject.toml`` (through ``.ci/oldest.py``'s rule) at build time.
* Outside names (``sklearn.*``, ``keras.*``, ``pandas.*``, ``numpy.*``, Python's own)
  resolve to their documented pages without network access: no inventory is
  downloaded, a name is mapped to its URL pattern instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import tomllib
from docutils import nodes
from docutils.parsers.rst import Directive, directives

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
DATA = DOCS / "_data"


# -- benchmark records ------------------------------------------------------------------------

def load_record(name):
    path = DATA / name
    if not path.exists():
        raise ValueError(f"no benchmark record {name!r} in docs/_data/ (run the benchmark that "
                         "writes it)")
    return json.loads(path.read_text())


def lookup(record, dotted):
    """The value at ``a.b.0.c`` in a record.

    List items are picked by index (``results.2``) or by a field's value in brackets
    (``results[goal=first predict after fit]``: the first row whose ``goal`` is that);
    keys may hold spaces.
    """
    value = record
    parts = [m.group(1) if m.group(1) is not None else m.group(2)
             for m in re.finditer(r"\[([^\]]*)\]|([^.\[\]]+)", dotted)]
    for part in parts:
        if isinstance(value, list) and "=" in part:
            key, _, wanted = part.partition("=")
            matches = [row for row in value if str(row.get(key)) == wanted]
            if not matches:
                raise KeyError(f"{dotted!r}: no row with {key} = {wanted!r}")
            value = matches[0]
        elif isinstance(value, list):
            value = value[int(part)]
        else:
            if part not in value:
                raise KeyError(f"{dotted!r}: no {part!r} among {sorted(value)}")
            value = value[part]
    return value


def format_value(value, fmt=""):
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "-"}[value]
    if isinstance(value, float):
        return format(value, fmt or ".3g")
    if isinstance(value, list):
        return ", ".join(format_value(v, fmt) for v in value)
    return format(value, fmt) if fmt and isinstance(value, int) else str(value)


def provenance(record):
    machine = record.get("machine", {})
    versions = record.get("versions", {})
    run = "quick run (small inputs)" if record.get("quick") else "full run"
    flag = " --quick" if record.get("quick") else ""
    parts = [f"``python {record.get('benchmark', '?')}{flag}``", run, record.get("date", "undated")]
    if machine:
        parts.append(f"{machine.get('cpus', '?')} CPU cores, Python {machine.get('python', '?')}")
    if versions:
        parts.append(f"Keras {versions.get('keras', '?')} on {versions.get('backend', '?')}")
    return "Measured by " + ", ".join(parts) + "."


class BenchTable(Directive):
    """A table from a benchmark record.

    Options: ``rows`` (dotted path to a list of dicts, default ``results``),
    ``columns`` (``key[:format][=Header]`` separated by ``,``; keys may be dotted paths
    into each row), ``filter`` (``key=value``: keep matching rows only), ``class``
    (more CSS classes for the table, e.g. ``fit-on-phones``: words wrap, no sideways scroll).
    """

    required_arguments = 1
    has_content = False
    option_spec = {"rows": directives.unchanged, "columns": directives.unchanged_required,
                   "filter": directives.unchanged, "no-caption": directives.flag,
                   "class": directives.class_option}

    def run(self):
        env = self.state.document.settings.env
        name = self.arguments[0]
        env.note_dependency(str(DATA / name))
        try:
            record = load_record(name)
            rows = lookup(record, self.options.get("rows", "results"))
        except (ValueError, KeyError, IndexError) as exc:
            raise self.error(f"bench-table: {exc}") from None
        if "filter" in self.options:
            key, _, wanted = self.options["filter"].partition("=")
            rows = [r for r in rows if str(lookup(r, key.strip())) == wanted.strip()]
        columns = []
        for spec in self.options["columns"].split(","):
            spec = spec.strip()
            spec, _, header = spec.partition("=")
            key, _, fmt = spec.partition(":")
            columns.append((key.strip(), fmt.strip(), header.strip() or key.strip()))
        table = nodes.table(classes=["bench-table", *self.options.get("class", [])])
        group = nodes.tgroup(cols=len(columns))
        table += group
        for _ in columns:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        group += head
        head += self._row([header for _, _, header in columns])
        body = nodes.tbody()
        group += body
        for row in rows:
            cells = []
            for key, fmt, _ in columns:
                try:
                    cells.append(format_value(lookup(row, key), fmt))
                except (KeyError, IndexError):
                    cells.append("-")
            body += self._row(cells)
        out = [table]
        if "no-caption" not in self.options:
            caption = nodes.paragraph(classes=["bench-provenance"])
            text = provenance(record)
            parsed, _ = self.state.inline_text(text, self.lineno)
            caption.extend(parsed)
            out.append(caption)
        return out

    @staticmethod
    def _row(cells):
        row = nodes.row()
        for text in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=text)
            row += entry
        return row


def bench_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:bench:`file.json:dotted.path[:format]```: one figure of a record."""
    file, _, rest = text.partition(":")
    path, _, fmt = rest.partition(":")
    try:
        value = format_value(lookup(load_record(file), path), fmt)
    except (ValueError, KeyError, IndexError) as exc:
        msg = inliner.reporter.error(f"bench: {exc}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    inliner.document.settings.env.note_dependency(str(DATA / file))
    return [nodes.inline(rawtext, value, classes=["bench-figure"])], []


# -- CI's matrix ------------------------------------------------------------------------------

def ci_legs():
    """(backend, versions, tests) for each leg ``.ci/run`` runs, read from the script."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    legs = []
    for before, line in zip(lines, lines[1:], strict=False):
        match = re.match(r'\s*echo "CI: (.*)"\s*$', line)
        if match and before.strip() == "legs_start=$SECONDS":
            legs.append(match.group(1))
    return legs


def floors(extras=("plot",)):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    out = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?>=([0-9.]+)",
                             requirement.replace(" ", ""))
        if match:
            out[match.group(1)] = match.group(3)
    return out


def python_versions():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = [c.rsplit(":: ", 1)[1] for c in project.get("classifiers", [])
              if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    return project.get("requires-python", "?"), listed


class CIMatrix(Directive):
    """The legs of ``.ci/run`` and the version floors of ``pyproject.toml``, as tables."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(str(ROOT / ".ci" / "run"))
        env.note_dependency(str(ROOT / "pyproject.toml"))
        requires, listed = python_versions()
        script = (ROOT / ".ci" / "run").read_text()
        torch = re.search(r"torch==([0-9.]+)", script)
        rows = []
        for leg in ci_legs():
            low = leg.lower()
            pytorch = f"PyTorch {torch.group(1) if torch else ''}".strip()
            backend = "JAX" if "jax" in low else pytorch if "pytorch" in low else "TensorFlow"
            versions = ("floors of pyproject.toml" if "oldest" in low or "floors" in low
                        else "newest releases pip resolves")
            if "wheel" in low:
                versions = "the built wheel, newest releases"
            rows.append([leg, backend, versions])
        floor = floors()
        text = ", ".join(f"{name} {version}" for name, version in floor.items())
        out = [self._table(["CI leg (from .ci/run)", "Keras backend", "versions"], rows)]
        para = nodes.paragraph()
        para += nodes.strong(text="Supported Python: ")
        para += nodes.Text(f"{requires} (classifiers: {', '.join(listed) or 'none'}). ")
        para += nodes.strong(text="Oldest versions tested: ")
        para += nodes.Text(text + ".")
        out.append(para)
        return out

    @staticmethod
    def _table(header, rows):
        table = nodes.table(classes=["ci-matrix"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for _ in header:
            group += nodes.colspec(colwidth=1)
        thead = nodes.thead()
        group += thead
        thead += BenchTable._row(header)
        tbody = nodes.tbody()
        group += tbody
        for row in rows:
            tbody += BenchTable._row(row)
        return table


# -- outside links without inventories ------------------------------------------------------------

PYTHON_BUILTINS = {"int", "float", "str", "bool", "dict", "list", "tuple", "set", "bytes",
                   "callable", "object", "type", "slice", "range", "iter", "len"}
PYTHON_EXCEPTIONS = {"ValueError", "TypeError", "KeyError", "ImportError", "RuntimeError",
                     "NotImplementedError", "AttributeError", "IndexError", "OSError",
                     "FileNotFoundError", "Exception", "UserWarning", "RuntimeWarning",
                     "DeprecationWarning", "Warning"}
KERAS_PAGES = {
    "keras.Model": "https://keras.io/api/models/model/",
    "keras.Input": "https://keras.io/api/layers/core_layers/input/",
    "keras.layers.Layer": "https://keras.io/api/layers/base_layer/",
    "keras.layers.Dense": "https://keras.io/api/layers/core_layers/dense/",
    "keras.layers.Embedding": "https://keras.io/api/layers/core_layers/embedding/",
    "keras.layers.LSTM": "https://keras.io/api/layers/recurrent_layers/lstm/",
    "keras.layers.GRU": "https://keras.io/api/layers/recurrent_layers/gru/",
    "keras.callbacks.Callback": "https://keras.io/api/callbacks/base_callback/",
    "keras.callbacks.EarlyStopping": "https://keras.io/api/callbacks/early_stopping/",
    "keras.callbacks.History": "https://keras.io/api/models/model_training_apis/",
    "keras.optimizers.Optimizer": "https://keras.io/api/optimizers/",
    "keras.losses.Loss": "https://keras.io/api/losses/",
    "keras.metrics.Metric": "https://keras.io/api/metrics/",
    "keras.ops": "https://keras.io/api/ops/",
}
ALIASES = {
    "DataFrame": "pandas.DataFrame", "pd.DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series", "pd.Series": "pandas.Series",
    "ndarray": "numpy.ndarray", "np.ndarray": "numpy.ndarray", "array-like": None,
    "Pipeline": "sklearn.pipeline.Pipeline",
    "ColumnTransformer": "sklearn.compose.ColumnTransformer",
    "GridSearchCV": "sklearn.model_selection.GridSearchCV",
    "keras.Model": "keras.Model", "Model": "keras.Model",
}


def outside_url(target):
    """The documented URL of an outside name, or None when skmm does not know it."""
    target = ALIASES.get(target, target) or ""
    first = target.split(".")[0]
    if first == "sklearn":
        parts = target.split(".")
        if len(parts) == 2:
            return f"https://scikit-learn.org/stable/api/{target}.html"
        return f"https://scikit-learn.org/stable/modules/generated/{target}.html"
    if first == "pandas":
        if target == "pandas":
            return "https://pandas.pydata.org/docs/reference/index.html"
        return f"https://pandas.pydata.org/docs/reference/api/{target}.html"
    if first in ("numpy", "np"):
        target = "numpy" + target[len(first):]
        if target == "numpy":
            return "https://numpy.org/doc/stable/reference/index.html"
        return f"https://numpy.org/doc/stable/reference/generated/{target}.html"
    if first == "keras":
        for name in sorted(KERAS_PAGES, key=len, reverse=True):
            if target == name or target.startswith(name + "."):
                return KERAS_PAGES[name]
        return "https://keras.io/api/"
    if target in ("None", "True", "False"):
        return f"https://docs.python.org/3/library/constants.html#{target}"
    if target in PYTHON_BUILTINS:
        return f"https://docs.python.org/3/library/functions.html#{target}"
    if target in PYTHON_EXCEPTIONS:
        return f"https://docs.python.org/3/library/exceptions.html#{target}"
    if first in ("os", "pathlib", "pickle", "json", "functools", "threading", "typing", "gc",
                 "collections", "dataclasses", "io"):
        return f"https://docs.python.org/3/library/{first}.html#{target}"
    return None


# labels and glossary terms of other projects' docs that numpydoc or the docstrings
# skmm inherits from scikit-learn refer to
OUTSIDE_LABELS = {
    "python:bltin-boolean-values": "https://docs.python.org/3/library/stdtypes.html#boolean-type-bool",
    "python:sequence": "https://docs.python.org/3/glossary.html#term-sequence",
    "numpy:array_like": "https://numpy.org/doc/stable/glossary.html#term-array_like",
    "metadata_routing": "https://scikit-learn.org/stable/metadata_routing.html",
    "df_output_transform": "https://scikit-learn.org/stable/auto_examples/miscellaneous/"
                           "plot_set_output.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py":
        "https://scikit-learn.org/stable/auto_examples/miscellaneous/plot_set_output.html",
}


def _shown(contnode, prefix):
    """The link text without an intersphinx prefix (``python:None`` reads ``None``)."""
    text = contnode.astext()
    if not prefix or not text.startswith(prefix):
        return contnode
    return contnode.__class__("", text[len(prefix):], classes=contnode.get("classes", []))


def resolve_outside(app, env, node, contnode):
    target = node.get("reftarget", "")
    prefix = next((p for p in ("python:", "numpy:") if target.startswith(p)), "")
    if node.get("refdomain") == "std" and node.get("reftype") in ("ref", "term"):
        url = OUTSIDE_LABELS.get(target) or OUTSIDE_LABELS.get(target.lower())
        if url is None and prefix:
            url = outside_url(target[len(prefix):])
        if url is None:
            return None
        contnode = _shown(contnode, prefix)
        ref = nodes.reference("", "", internal=False, refuri=url, classes=["outside-ref"])
        ref += contnode
        return ref
    if node.get("refdomain") != "py":
        return None
    if target.startswith("skmm"):
        return None
    url = outside_url(target[len(prefix):])
    if url is None:
        return None
    contnode = _shown(contnode, prefix)
    ref = nodes.reference("", "", internal=False, refuri=url, reftitle=target,
                          classes=["outside-ref"])
    ref += contnode
    return ref


def setup(app):
    app.add_directive("bench-table", BenchTable)
    app.add_role("bench", bench_role)
    app.add_directive("ci-matrix", CIMatrix)
    app.connect("missing-reference", resolve_outside)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}


# -- the gallery's order ----------------------------------------------------------------------

GALLERY_FIRST = ["quickstart.py", "tweets.py", "seed_multi_input.py", "seed_multi_output.py",
                 "plot_default_model.py", "plot_permutation_importance.py", "out_of_core.py",
                 "distributed_search.py"]


class GalleryOrder:
    """sphinx-gallery's ``within_subsection_order``: the main job first, Dask last."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        rank = GALLERY_FIRST.index(name) if name in GALLERY_FIRST else len(GALLERY_FIRST)
        return f"{rank:03d}-{name}"

    def __repr__(self):
        return "GalleryOrder"


def reset_matplotlib(gallery_conf, fname):
    """sphinx-gallery's reset before each example: matplotlib's defaults, at 150 dpi."""
    import matplotlib

    matplotlib.rcdefaults()
    matplotlib.rcParams.update({"figure.dpi": 150, "savefig.dpi": 150})
