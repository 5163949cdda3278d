"""The documentation tells the truth and holds together.

Source checks (fast, no build): the API reference (docs/api.rst) lists every public
name and documents every public method; the guide's toctree is whole; no page retypes a
benchmark figure (they come from docs/_data/ records); the FAQ quotes messages skmm
really raises; user pages show no test internals.

Built-site checks (``test_built_*``): run on the HTML that CI's docs leg builds
(``SKMM_DOCS_HTML=docs/_build/html``), or on a build of their own when the docs extra
is installed: every internal link and anchor resolves, no page cites a private module,
outside names link to their documentation, the navbar shows the four sections, code
blocks hold straight quotes.
"""

import html
import importlib
import inspect
import json
import os
import pathlib
import re
import subprocess
import sys
import urllib.parse

import pytest

import skmm

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DATA = DOCS / "_data"
pytestmark = pytest.mark.skipif(not DOCS.exists(), reason="needs the checkout's docs/")

# modules whose __all__ is public API (constants aside)
PUBLIC_MODULES = ["architectures", "datasets", "heads", "history", "layers", "preprocessing",
                  "weights", "integrations.scikeras"]


def _listed():
    text = (DOCS / "api.rst").read_text()
    return set(re.findall(r"^   ([A-Za-z_][\w.]*)$", text, re.M))


def test_every_public_name_has_an_api_entry():
    listed = _listed()
    missing = [name for name in skmm.__all__
               if not isinstance(getattr(skmm, name), type(skmm)) and name not in listed]
    for module in PUBLIC_MODULES:
        mod = importlib.import_module(f"skmm.{module}")
        missing += [f"{module}.{name}" for name in mod.__all__
                    if callable(getattr(mod, name)) and not name.endswith("Mixin")
                    and f"{module}.{name}" not in listed
                    and not (name in listed and getattr(skmm, name, None) is getattr(mod, name))]
    assert not missing, f"add these to docs/api.rst: {missing}"


def test_api_entries_exist():
    unknown = []
    for entry in sorted(_listed()):
        module, _, name = f"skmm.{entry}".rpartition(".")
        if not hasattr(importlib.import_module(module), name):
            unknown.append(entry)
    assert not unknown, f"docs/api.rst lists names skmm does not have: {unknown}"


def _toctree_pages():
    """The guide pages named by a toctree: docs/guide/index.rst's, or the landing page's."""
    guide = (DOCS / "guide" / "index.rst").read_text()
    pages = {f"guide/{p}" for p in re.findall(r"^   (\w+)$", guide, re.M)}
    pages |= set(re.findall(r"^   (guide/\w+)$", (DOCS / "index.rst").read_text(), re.M))
    return pages - {"guide/index"}


def test_the_guide_toctree_names_existing_pages():
    pages = _toctree_pages()
    assert len(pages) >= 10
    for page in pages:
        assert (DOCS / f"{page}.rst").exists(), page
    on_disk = {f"guide/{p.stem}" for p in (DOCS / "guide").glob("*.rst")} - {"guide/index"}
    assert on_disk == pages, f"every guide page is in the toctree: {on_disk ^ pages}"
    assert "guide/missing_values" in pages and "guide/faq" in pages
    assert re.search(r"^   guide/index$", (DOCS / "index.rst").read_text(), re.M)


# -- public methods are documented -----------------------------------------------------------


def _api_objects():
    for entry in sorted(_listed()):
        module, _, name = f"skmm.{entry}".rpartition(".")
        yield entry, getattr(importlib.import_module(module), name)


def test_every_public_method_has_a_docstring_inherited_ones_included():
    undocumented = []
    for entry, obj in _api_objects():
        if not isinstance(obj, type):
            continue
        for name, member in inspect.getmembers(obj):
            if name.startswith("_") or (name.startswith("set_") and name.endswith("_request")):
                continue
            if not callable(member):
                continue
            where = getattr(member, "__module__", "") or ""
            if where.startswith(("keras", "tensorflow")):
                continue  # the docs hide what Keras documents
            if any(base.__module__.startswith("keras") and name in vars(base)
                   for base in obj.__mro__[1:]):
                continue  # a Keras hook (call, build...): the page points to Keras
            if not (inspect.getdoc(member) or "").strip():
                undocumented.append(f"{entry}.{name}")
    assert not undocumented, f"public methods without a docstring: {undocumented}"


def test_task_classes_show_the_estimator_parameters():
    # docs/conf.py copies FunctionalEstimator's Parameters section onto the task classes'
    # pages; it must find that section
    doc = inspect.cleandoc(skmm.FunctionalEstimator.__doc__)
    assert "\nParameters\n----------\n" in doc
    for name in ("router", "epochs", "batch_size", "random_state"):
        assert re.search(rf"^{name} :", doc, re.M), name


# -- one source for every benchmark figure -------------------------------------------------

# a figure: a number with a unit of time, speed, size, ratio or share
FIGURE = re.compile(r"(?<![\w.,/-])(\d+(?:[.,]\d+)*)(?:\s?-\s?\d+(?:\.\d+)?)?\s?"
                    r"(ms|s|x|×|%|MiB|GiB|k samples/s|samples/s)(?![\w/])")
# numbers that are not benchmark results: parameters, data facts, settings (page, phrase)
ALLOWED = {
    ("docs/guide/missing_values.rst", "With 30% of the"),
    ("docs/guide/routing.rst", "holds 95% of the"),
    ("docs/guide/default_model.rst", "held-out 20%"),
    ("docs/guide/default_model.rst", "10% of the"),
    ("examples/plot_default_model.py", "missing for 17%"),
    ("examples/plot_default_model.py", "holds out 10%"),
    ("docs/guide/default_model.rst", "missing for 17%"),
    # nominal levels and goals of the quantile heads' coverage, not measurements
    ("docs/guide/uncertainty.rst", "should hold 90% of new rows"),
    ("docs/guide/uncertainty.rst", "least 90% of new rows"),
    ("docs/guide/uncertainty.rst", "How often the 90% interval"),
    ("docs/guide/uncertainty.rst", "goal is 88-92%"),
}


def _user_texts():
    """(path, text) of every page a user reads: guide, landing page, README, examples."""
    paths = [p for p in DOCS.rglob("*.rst")
             if not {"generated", "auto_examples", "_build"} & set(p.parts)]
    paths += [ROOT / "README.md", *sorted((ROOT / "examples").glob("*.py")),
              *sorted((ROOT / "examples").glob("*.rst"))]
    for path in paths:
        text = path.read_text()
        if path.suffix == ".py":  # what a reader reads: the docstring and the comments
            docstring = re.match(r'\s*"""(.*?)"""', text, re.S)
            comments = re.findall(r"^\s*#(.*)$", text, re.M)
            text = (docstring.group(1) if docstring else "") + "\n".join(comments)
        yield path.relative_to(ROOT).as_posix(), text


def _prose(text):
    """Text without code: code blocks, literals and Python code lines of examples dropped."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"(::\n\n|\.\. code-block::[^\n]*\n\n?)((?:[ \t]+.*\n|\n)+)", r"\1",
                  text)
    text = re.sub(r"``[^`]*``|`[^`]*`", "", text)
    return text


def _recorded_values():
    values = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, bool):
            return
        elif isinstance(value, (int, float)):
            values.append(float(value))
        elif isinstance(value, str):
            values.extend(float(n) for n in re.findall(r"-?\d+\.\d+", value))

    for path in DATA.glob("*.json"):
        walk(json.loads(path.read_text()))
    return values


def _in_records(number, values):
    shown = number.replace(",", "")
    decimals = len(shown.partition(".")[2])
    target = float(shown)
    return any(round(v, decimals) == target for v in values)


def test_pages_never_retype_a_benchmark_figure():
    values = _recorded_values()
    stray = []
    for path, text in _user_texts():
        prose = _prose(text)
        for match in FIGURE.finditer(prose):
            context = prose[max(0, match.start() - 40):match.end() + 20]
            if any(path == page and phrase in " ".join(context.split())
                   for page, phrase in ALLOWED):
                continue
            if _in_records(match.group(1), values):
                continue
            stray.append(f"{path}: {match.group(0)!r} in ...{' '.join(context.split())}...")
    assert not stray, ("benchmark figures typed into pages (use .. bench-table:: or :bench: "
                       "from docs/_data/, or allow-list a non-benchmark number here):\n"
                       + "\n".join(stray))


def test_figure_detection_catches_a_retyped_number():
    assert FIGURE.search("The fit takes about 7 s on 2 cores")
    assert FIGURE.search("from 26.6 s (batch 32) to 5.8 s")
    assert FIGURE.search("trains 9.4x faster") and FIGURE.search("one row costs 4.2 ms")
    assert not FIGURE.search("Keras 3.15 on TensorFlow 2.21") and not FIGURE.search("epochs=5")
    assert not _in_records("123456.789", _recorded_values())


def test_every_bench_reference_names_a_record():
    for path, text in _user_texts():
        for name in re.findall(r"bench-table:: (\S+)", text) + re.findall(r":bench:`([^:`]+):",
                                                                           text):
            assert (DATA / name).exists(), f"{path} reads docs/_data/{name}, which is missing"
    for path in DATA.glob("*.json"):
        record = json.loads(path.read_text())
        if path.name != "features.json":
            assert {"benchmark", "date", "machine", "quick"} <= set(record), path.name


# -- the FAQ quotes real messages -----------------------------------------------------------


def _source_patterns():
    import ast

    patterns = []
    for path in pathlib.Path(skmm.__file__).parent.rglob("*.py"):  # the skmm under test
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+?"
                         for v in node.values]
                patterns.append("".join(parts))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                patterns.append(re.sub(r"%\\\(\w+\\\)s", ".+?", re.escape(node.value)))
    return [p for p in patterns if len(p) > 20]


def test_faq_quotes_messages_skmm_raises():
    faq = (DOCS / "guide" / "faq.rst").read_text()
    quoted = re.findall(r"\.\. code-block:: text\n\n   (\w+): (.+)\n", faq)
    assert len(quoted) >= 10, "the FAQ covers the ten most frequent errors"
    patterns = [re.compile(p, re.S) for p in _source_patterns()]
    stale = [message for _, message in quoted
             if not any(p.fullmatch(message) for p in patterns)]
    assert not stale, f"the FAQ quotes messages skmm no longer raises: {stale}"


# -- the landing page's comparison ------------------------------------------------------------


def test_feature_table_rows_are_backed_by_tests():
    table = json.loads((DATA / "features.json").read_text())["features"]
    assert len(table) >= 6
    for row in table:
        assert {"feature", "skmm", "scikeras", "skorch", "evidence"} <= set(row)
        for evidence in row["evidence"]:
            file, _, test = evidence.partition("::")
            text = (ROOT / file).read_text()
            assert not test or f"def {test}(" in text, evidence


def test_scikeras_is_not_a_classifier_to_this_scikit_learn():
    wrappers = pytest.importorskip("scikeras.wrappers")
    from sklearn.base import is_classifier

    row = next(r for r in json.loads((DATA / "features.json").read_text())["features"]
               if r["feature"].startswith("is_classifier"))
    assert row["skmm"] == "yes" and is_classifier(skmm.FunctionalClassifier())
    assert (row["scikeras"] == "no") == (not is_classifier(wrappers.KerasClassifier()))


# -- user pages show no test internals -----------------------------------------------------


def _test_internal_patterns():
    """What a user page must not name: the test suite's files, its test functions (all of
    tests/, and any ``test_...`` literal), and conftest's helpers and fixtures."""
    import ast

    patterns = [r"conftest", r"\btests/", r"\bspy\b", r"``test_\w+``"]
    tests = ROOT / "tests"
    names = set()
    for path in tests.glob("test_*.py"):
        names |= {node.name for node in ast.walk(ast.parse(path.read_text()))
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.name.startswith("test_")}
    patterns += [rf"\b{name}\b" for name in sorted(names)]
    # conftest's helpers and fixtures (make_est, reviews...), named as code: in a literal
    # or called; as plain words ("reviews") they are ordinary English
    conftest = ast.parse((tests / "conftest.py").read_text())
    helpers = [node.name for node in conftest.body if isinstance(node, ast.FunctionDef)]
    patterns += [rf"``{name}``|\b{name}\(" for name in helpers]
    return patterns


def _test_internals(text, patterns):
    return [p for p in patterns if re.search(p, text)]


def test_user_pages_show_no_test_internals():
    patterns = _test_internal_patterns()
    found = [f"{path}: {hit}" for path, text in _user_texts()
             for hit in _test_internals(text, patterns)]
    assert not found, ("user pages name test internals; say what the recipe does, not which "
                       f"test runs it: {found}")


def test_test_internals_are_detected():
    patterns = _test_internal_patterns()
    assert any("test_cross_val_predict_probabilities" in p for p in patterns)
    assert any("make_est" in p for p in patterns) and any("reviews" in p for p in patterns)
    for leak in ("``test_probability_calibration``: calibrate a head",
                 "as test_cross_val_predict_probabilities shows", "see tests/test_crash.py",
                 "the ``reviews`` fixture", "est = make_est(epochs=4)",
                 "a ``test_renamed_long_ago`` recipe", "with a spy layer"):
        assert _test_internals(leak, patterns), leak
    for fine in ("train_test_split(X, y, test_size=0.25)", "X_test, y_test",
                 "product reviews in free text", "mean_test_rating"):
        assert not _test_internals(fine, patterns), fine


# -- the built site ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    given = os.environ.get("SKMM_DOCS_HTML")
    if given:
        return pathlib.Path(given)
    pytest.importorskip("sphinx_copybutton", reason="the docs extra builds the site")
    pytest.importorskip("myst_parser", reason="the docs extra builds the site")
    out = tmp_path_factory.mktemp("html")
    env = {**os.environ, "SKMM_DOCS_GALLERY": "0"}
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html",
                           str(DOCS), str(out)], capture_output=True, text=True, env=env,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _pages(site):
    return [p for p in site.rglob("*.html") if "_modules" not in p.parts]


def _ids(page, cache={}):  # noqa: B006 - a per-run cache of each page's anchors
    if page not in cache:
        text = page.read_text(errors="replace")
        cache[page] = set(re.findall(r'\sid="([^"]+)"', text)) | set(
            re.findall(r'\sname="([^"]+)"', text))
    return cache[page]


@pytest.mark.slow
def test_built_internal_links_and_anchors_resolve(site):
    broken = []
    for page in site.rglob("*.html"):
        if page.parent == site / "_static":
            continue  # the theme's raw Jinja templates, not pages
        text = page.read_text(errors="replace")
        for _attr, url in re.findall(r'\s(href|src)="([^"]*)"', text):
            url = html.unescape(url)
            parts = urllib.parse.urlsplit(url)
            if parts.scheme or url.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = page if not parts.path else (page.parent / urllib.parse.unquote(parts.path))
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {url}")
                continue
            if parts.fragment and target.suffix == ".html" and parts.fragment not in _ids(target):
                broken.append(f"{page.relative_to(site)} -> {url} (no such anchor)")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:40])


@pytest.mark.slow
def test_built_pages_cite_no_private_module(site):
    cited = []
    for page in _pages(site):
        text = re.sub(r"<[^>]+>", "", page.read_text(errors="replace"))
        cited += [f"{page.relative_to(site)}: {m}"
                  for m in set(re.findall(r"\bskmm\._\w+", text))]
    assert not cited, cited


@pytest.mark.slow
def test_built_api_pages_are_complete(site):
    def text(name):
        return re.sub(r"<[^>]+>", "", (site / "generated" / f"{name}.html").read_text())

    for task in ("skmm.FunctionalClassifier", "skmm.FunctionalRegressor"):
        page = text(task)
        assert "Parameters" in page and "random_state" in page, task
        for method in ("fit", "predict", "score", "score_per_head", "plot_history",
                       "get_params", "set_params"):
            assert f"{task}.{method}" in (site / "generated" / f"{task}.html").read_text(), (
                task, method)
    layer = (site / "generated" / "skmm.layers.MaskedMean.html").read_text()
    for keras_member in ("add_weight", "trainable_weights", "get_build_config", "quantize"):
        assert f"MaskedMean.{keras_member}" not in layer, keras_member
    kind = (site / "generated" / "skmm.heads.BinaryKind.html").read_text()
    assert "*args" not in re.sub(r"<[^>]+>", "", kind)


@pytest.mark.slow
def test_built_outside_names_link_to_their_docs(site):
    hrefs = set()
    for page in (site / "generated").glob("*.html"):
        hrefs |= set(re.findall(r'href="(https?://[^"]+)"', page.read_text()))
    for host in ("scikit-learn.org", "keras.io", "pandas.pydata.org", "numpy.org",
                 "docs.python.org"):
        assert any(host in h for h in hrefs), f"no link to {host} in the API reference"


@pytest.mark.slow
def test_built_navbar_sections_and_straight_quotes(site):
    index = (site / "index.html").read_text()
    navbar = index[index.index("navbar-nav"):index.index("</ul>", index.index("navbar-nav"))]
    for section in ("User guide", "API reference", "Gallery", "Changelog"):
        assert section in navbar, section
    assert "More" not in navbar
    for page in _pages(site):
        for block in re.findall(r"<pre>(.*?)</pre>", page.read_text(errors="replace"), re.S):
            assert not set("\u201c\u201d\u2018\u2019") & set(html.unescape(block)), page
    assert "copybutton" in index


@pytest.mark.slow
def test_built_phone_layout_rules_are_in_place(site):
    # what a 420 px screen needs (checked by eye with headless Chromium): the landing
    # page's comparison fits the screen, and skmm.css holds the phone rules for it, for
    # API summaries and for the previous/next links
    index = (site / "index.html").read_text()
    assert re.search(r'<table class="[^"]*\bbench-table fit-on-phones\b', index)
    css = (site / "_static" / "skmm.css").read_text()
    phone = css[css.index("@media (max-width: 575.98px)"):]
    for rule in ("table.bench-table.fit-on-phones", "table.autosummary", "prev-next-title",
                 "dl.field-list"):
        assert rule in phone, rule


@pytest.mark.slow
def test_built_guide_pages_have_section_navigation(site):
    page = (site / "guide" / "routing.html").read_text()
    nav = page[page.index("bd-sidebar-primary"):page.index("bd-main")]
    assert "missing_values.html" in nav and "faq.html" in nav
