"""The API reference (docs/api.rst) lists every public name; the guide's toctree is whole.

CI builds the documentation itself with warnings as errors (``.ci/run``); these
checks catch a public name added without a reference entry before that.
"""

import importlib
import pathlib
import re

import skmm

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"

# modules whose __all__ is public API (constants aside)
PUBLIC_MODULES = ["architectures", "heads", "history", "layers", "preprocessing", "weights",
                  "integrations.scikeras"]


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


def test_the_guide_toctree_names_existing_pages():
    index = (DOCS / "index.rst").read_text()
    pages = re.findall(r"^   (guide/\w+)$", index, re.M)
    assert len(pages) >= 10
    for page in pages:
        assert (DOCS / f"{page}.rst").exists(), page
    on_disk = {f"guide/{p.stem}" for p in (DOCS / "guide").glob("*.rst")}
    assert on_disk == set(pages), "every guide page is in the toctree"
