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
    for entry in _listed():
        obj = skmm
        for part in entry.split("."):
            obj = getattr(obj, part, None) or importlib.import_module(
                f"{obj.__name__}.{part}")
        assert obj is not None, entry


def test_the_guide_toctree_names_existing_pages():
    index = (DOCS / "index.rst").read_text()
    pages = re.findall(r"^   (guide/\w+)$", index, re.M)
    assert len(pages) >= 10
    for page in pages:
        assert (DOCS / f"{page}.rst").exists(), page
    on_disk = {f"guide/{p.stem}" for p in (DOCS / "guide").glob("*.rst")}
    assert on_disk == set(pages), "every guide page is in the toctree"
