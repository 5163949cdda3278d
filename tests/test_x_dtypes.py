"""X's dtypes: the same values give the same arrays, whatever container holds them.

Router only (no Keras training): numbers as NumPy int/float, nullable
``Int64``/``Float64``, pyarrow and polars, with and without gaps; bools;
categories whose dtype changes between fit and predict; text as object,
``string`` (python and pyarrow) and polars with None, ``pd.NA`` and "". Every
check runs on both sides of the small-batch boundary (``SMALL_BATCH`` rows
take the direct path, one more row the general one) and the two agree bit for
bit.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skmm import InputRouter, TextSequencer, routing
from skmm._small_batch import SMALL_BATCH

pl = pytest.importorskip("polars", reason="polars is in the dev extra (CI has it)")
pytest.importorskip("pyarrow", reason="pyarrow is in the dev extra (CI has it)")

# -- containers -------------------------------------------------------------------

NUMBER_KINDS = ["int64", "float64", "float32", "Int64", "Float64", "int64[pyarrow]",
                "double[pyarrow]", "polars-int", "polars-float"]
NO_GAPS = {"int64"}  # a NumPy int column cannot hold a gap


def column(values, kind):
    """``values`` (numbers, bools or strings; None for a gap) as a column of ``kind``.

    pandas kinds give a Series; ``polars-*`` kinds a polars Series.
    """
    if kind.startswith("polars-"):
        dtype = {"polars-int": pl.Int64, "polars-float": pl.Float64, "polars-bool": pl.Boolean,
                 "polars-str": pl.String}[kind]
        return pl.Series(values, dtype=dtype)
    if kind in ("float64", "float32"):
        return pd.Series([np.nan if v is None else v for v in values], dtype=kind)
    if kind in ("int64", "bool"):
        assert None not in values
        return pd.Series(values, dtype=kind)
    if kind == "object-nan":  # gaps as NaN in an object column
        return pd.Series([np.nan if v is None else v for v in values], dtype=object)
    if kind == "object-na":
        return pd.Series([pd.NA if v is None else v for v in values], dtype=object)
    if kind == "category":
        return pd.Series(pd.Categorical(values))
    return pd.Series(values, dtype=kind)  # Int64, Float64, boolean, string, pyarrow types


def frame(columns):
    """A DataFrame of columns made by :func:`column`: polars if any of them is."""
    if any(isinstance(c, pl.Series) for c in columns.values()):
        return pl.DataFrame({name: c if isinstance(c, pl.Series) else pl.from_pandas(c)
                             for name, c in columns.items()})
    return pd.DataFrame(columns)


def head(X, n):
    return X.head(n) if isinstance(X, pl.DataFrame) else X.iloc[:n]


def tile(X, n):
    """X's rows repeated up to n rows."""
    reps = -(-n // len(X))
    if isinstance(X, pl.DataFrame):
        return pl.concat([X] * reps).head(n)
    return pd.concat([X] * reps, ignore_index=True).iloc[:n]


def transform_both_paths(router, X):
    """``router.transform`` of X tiled to SMALL_BATCH + 1 rows, checked against the
    direct path on the first SMALL_BATCH rows (and against the general path forced)."""
    big = tile(X, SMALL_BATCH + 1)
    general = router.transform(big)
    small = router.transform(head(big, SMALL_BATCH))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(routing, "SMALL_BATCH", 0)
        forced = router.transform(head(big, SMALL_BATCH))
    assert list(small) == list(general) == list(forced)
    for name in general:
        np.testing.assert_array_equal(small[name], general[name][:SMALL_BATCH], strict=True)
        np.testing.assert_array_equal(small[name], forced[name], strict=True)
    return {name: array[:len(X)] for name, array in general.items()}


def assert_same_arrays(a, b):
    assert list(a) == list(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], strict=True)


# -- numbers ----------------------------------------------------------------------

VALUES = [float(v) for v in np.random.default_rng(0).integers(-50, 200, size=120)]
GAPS = [i % 7 == 3 or i % 11 == 0 for i in range(120)]


def _numbers(kind, gaps):
    values = [None if gap and gaps else (int(v) if kind in ("int64", "Int64", "int64[pyarrow]",
                                                            "polars-int") else v)
              for v, gap in zip(VALUES, GAPS, strict=True)]
    return column(values, kind)


@pytest.mark.parametrize("kind, gaps", [(k, g) for k in NUMBER_KINDS for g in (False, True)
                                         if not (g and k in NO_GAPS)])
def test_numbers_give_the_same_float32_arrays_in_every_container(kind, gaps):
    other = np.arange(120) % 13 * 0.5
    X = frame({"x": _numbers(kind, gaps), "other": column(list(other), "float64")})
    reference = pd.DataFrame({"x": _numbers("float64", gaps), "other": other})
    router = InputRouter.from_columns(numeric=["x", "other"], bins=8)
    expected = transform_both_paths(router.fit(reference), reference)
    got = transform_both_paths(router.fit(X), X)
    assert_same_arrays(got, expected)
    bins = router.named_transformers_["numeric"]
    present = np.array([v for v, gap in zip(VALUES, GAPS, strict=True) if not (gap and gaps)])
    assert bins.medians_[0] == np.median(present)
    assert bins.indicator_features_.tolist() == ([0] if gaps else [])
    assert router.input_specs_["numeric"].n_values == 2
    out = got["numeric"]
    if gaps:
        mask = np.array(GAPS)
        # a gap is the median, standardised; its indicator (the last feature) is 1
        filled = np.float32((np.median(present) - bins.mean_[0]) / bins.scale_[0])
        np.testing.assert_array_equal(out[mask, 0], filled)
        np.testing.assert_array_equal(out[:, -1], mask.astype(np.float32))
        np.testing.assert_allclose(bins.mean_[0], present.mean(), rtol=1e-12)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("kind", ["float64", "Int64", "Float64", "int64[pyarrow]",
                                  "double[pyarrow]", "polars-int", "polars-float"])
def test_a_gap_only_at_predict_is_filled_without_an_indicator(kind):
    fit = pd.DataFrame({"x": _numbers("float64", gaps=False)})
    router = InputRouter.from_columns(numeric=["x"], bins=8).fit(fit)
    n_features = router.input_specs_["numeric"].shape[0]
    X = frame({"x": _numbers(kind, gaps=True)})
    out = transform_both_paths(router, X)["numeric"]
    assert out.shape == (120, n_features)  # no indicator: the features are fixed by fit
    complete = router.transform(fit.fillna(np.median(VALUES)))["numeric"]
    filled = router.transform(pd.DataFrame({"x": [np.median(VALUES)]}))["numeric"][0]
    mask = np.array(GAPS)
    np.testing.assert_array_equal(out[mask], np.broadcast_to(filled, (mask.sum(), n_features)))
    np.testing.assert_array_equal(out[~mask], complete[~mask])


BOOL_KINDS = ["bool", "boolean", "bool[pyarrow]", "polars-bool"]


@pytest.mark.parametrize("kind", BOOL_KINDS)
def test_bools_are_numbers_in_every_container(kind):
    flags = [bool(v % 3) for v in range(120)]
    with_gaps = [None if gap and kind != "bool" else f for f, gap in zip(flags, GAPS,
                                                                           strict=True)]
    X = frame({"flag": column(with_gaps, kind), "n": column(VALUES, "float64")})
    reference = pd.DataFrame({"flag": [np.nan if v is None else float(v) for v in with_gaps],
                              "n": VALUES})
    assert [name for name, _, _ in InputRouter.from_frame(X).transformers] == ["numeric"]
    router = InputRouter.from_columns(numeric=["flag", "n"], bins=4)
    expected = transform_both_paths(router.fit(reference), reference)
    assert_same_arrays(transform_both_paths(router.fit(X), X), expected)
    assert router.named_transformers_["numeric"].indicator_features_.tolist() == (
        [] if kind == "bool" else [0])


@pytest.mark.parametrize("kind", ["float64", "Int64", "double[pyarrow]", "polars-float"])
def test_impute_false_refuses_gaps_naming_the_column(kind):
    X = frame({"price": _numbers(kind, gaps=True), "n": column(VALUES, "float64")})
    with pytest.raises(ValueError, match=r"NaN or infinite values in column\(s\) \['price'\]"):
        InputRouter.from_columns(numeric=["n", "price"], impute=False).fit(X)


@pytest.mark.parametrize("kwargs", [{"bins": None}, {"scale": False}])
@pytest.mark.parametrize("kind", ["Int64", "int64[pyarrow]", "polars-float"])
def test_simple_imputer_blocks_take_every_container(kind, kwargs):
    X = frame({"x": _numbers(kind, gaps=True)})
    reference = pd.DataFrame({"x": _numbers("float64", gaps=True)})
    router = InputRouter.from_columns(numeric=["x"], **kwargs)
    expected = transform_both_paths(router.fit(reference), reference)
    assert_same_arrays(transform_both_paths(router.fit(X), X), expected)
    assert expected["numeric"].shape == (120, 2)  # the value and its indicator


CONTAINERS = st.sampled_from(["float64", "Int64", "Float64", "double[pyarrow]",
                              "int64[pyarrow]", "polars-float", "polars-int"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6)), min_size=1,
                       max_size=40),
       kind=CONTAINERS, bins=st.sampled_from([2, 32]))
def test_any_numbers_same_arrays_as_float64(values, kind, bins):
    as_kind = [v if v is None or "int" in kind else float(v) for v in values]
    X = frame({"x": column(as_kind, kind)})
    reference = pd.DataFrame({"x": column(values, "float64")})
    router = InputRouter.from_columns(numeric=["x"], bins=bins)
    expected = router.fit(reference).transform(reference)
    got = router.fit(X).transform(X)
    assert_same_arrays(got, expected)
    present = [v for v in values if v is not None]
    bins_ = router.named_transformers_["numeric"]
    assert bins_.medians_[0] == (np.median(present) if present else 0.0)
    if None in values:
        np.testing.assert_array_equal(got["numeric"][:, -1], [v is None for v in values])
    with pytest.MonkeyPatch.context() as mp:  # the general path agrees
        mp.setattr(routing, "SMALL_BATCH", 0)
        assert_same_arrays(router.transform(X), got)


# -- categories ---------------------------------------------------------------------

ZIPS = [10115, 2139, 94103, 501, 10115, 2139, 10115]
CATEGORY_KINDS = ["int64", "float64", "Int64", "int64[pyarrow]", "double[pyarrow]",
                  "category-int", "category-float", "object", "polars-int", "polars-float"]


def _zips(kind, values=ZIPS):
    as_float = "float" in kind
    values = [float(v) if as_float and v is not None else v for v in values]
    if kind.startswith("category-"):
        return column(values, "category")
    return column(values, kind)


@pytest.mark.parametrize("predict_kind", CATEGORY_KINDS)
@pytest.mark.parametrize("fit_kind", CATEGORY_KINDS)
def test_a_number_is_one_category_whatever_the_dtype_at_fit_and_predict(fit_kind,
                                                                       predict_kind):
    seq = TextSequencer(split="whole", standardize=None, sequence_length=1)
    seq.fit(_zips(fit_kind))
    assert seq.vocabulary_ == {"10115": 2, "2139": 3, "501": 4, "94103": 5}
    unseen = [2139, 10115, 60601]
    ids = seq.transform(_zips(predict_kind, unseen)).ravel().tolist()
    assert ids == [3, 2, 1]


@pytest.mark.parametrize("fit_kind, predict_kind", [
    ("float64", "int64"), ("int64", "float64"), ("category-float", "Int64"),
    ("polars-float", "int64[pyarrow]"), ("double[pyarrow]", "polars-int"),
])
def test_router_categories_keep_their_ids_when_the_dtype_changes(fit_kind, predict_kind):
    # a gap in a CSV chunk turns an int column into floats: the ids must not move
    fit = frame({"zip": _zips(fit_kind), "n": column([1.0] * len(ZIPS), "float64")})
    predict = frame({"zip": _zips(predict_kind), "n": column([1.0] * len(ZIPS), "float64")})
    router = InputRouter.from_columns(numeric=["n"], categorical=["zip"]).fit(fit)
    expected = router.transform(fit)
    got = transform_both_paths(router, predict)
    assert_same_arrays(got, expected)
    assert (got["zip"] > 1).all()  # no out-of-vocabulary id


@pytest.mark.parametrize("kind", ["float64", "Int64", "double[pyarrow]", "category-float",
                                  "object-nan", "object-na", "polars-float"])
def test_missing_category_is_padding(kind):
    values = [None if i % 3 == 0 else z for i, z in enumerate(ZIPS)]
    if kind.startswith("object"):
        col = column(values, kind)
    else:
        col = _zips(kind, values)
    X = frame({"zip": col})
    router = InputRouter.from_columns(categorical=["zip"]).fit(X)
    out = transform_both_paths(router, X)["zip"].ravel()
    np.testing.assert_array_equal(out == 0, [v is None for v in values])
    assert set(router.named_transformers_["zip"].vocabulary_) == {
        str(v) for v in values if v is not None}


def test_strings_stay_separate_from_numbers():
    # strings are kept as they are: "10115.0" is not the number 10115
    seq = TextSequencer(split="whole", standardize=None, sequence_length=1)
    seq.fit(pd.Series(["10115.0", "2139", "abc"]))
    ids = seq.transform(pd.Series([10115.0, 10115, 2139.0, "10115.0"], dtype=object))
    assert ids.ravel().tolist() == [1, 1, seq.vocabulary_["2139"], seq.vocabulary_["10115.0"]]
    # a string category column and a numeric one are different columns of documents
    strings = TextSequencer(split="whole", standardize=None).fit(pd.Series(["1", "1.0"]))
    assert set(strings.vocabulary_) == {"1", "1.0"}
    numbers = TextSequencer(split="whole", standardize=None).fit(pd.Series([1, 1.0]))
    assert set(numbers.vocabulary_) == {"1"}


@pytest.mark.parametrize("kind", ["object", "category", "string[python]", "string[pyarrow]",
                                  "polars-str"])
def test_string_categories_in_every_container(kind):
    values = ["red", "blue", None, "red", "green", ""]
    X = frame({"color": column(values, kind)})
    reference = pd.DataFrame({"color": column(values, "object")})
    router = InputRouter.from_columns(categorical=["color"])
    expected = transform_both_paths(router.fit(reference), reference)
    assert_same_arrays(transform_both_paths(router.fit(X), X), expected)
    assert expected["color"].ravel().tolist() == [2, 3, 0, 2, 4, 0]  # red x2, blue, green


# -- text ---------------------------------------------------------------------------

TEXT_KINDS = ["object-nan", "object-na", "object", "string[python]", "string[pyarrow]",
              "polars-str"]
DOCS = ["Great value, works well", None, "", "broke after a week", "  ", "great value"]


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_text_in_every_container_same_ids_and_gaps_are_padding(kind):
    X = frame({"review": column(DOCS, kind)})
    reference = pd.DataFrame({"review": column(DOCS, "object")})
    router = InputRouter.from_columns(text=["review"], sequence_length=6)
    expected = transform_both_paths(router.fit(reference), reference)
    got = transform_both_paths(router.fit(X), X)
    assert_same_arrays(got, expected)
    np.testing.assert_array_equal(got["review"].any(axis=1), [True, False, False, True, False,
                                                              True])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(st.one_of(st.none(), st.just(""), st.text(max_size=20)), min_size=1,
                     max_size=30),
       kind=st.sampled_from(TEXT_KINDS))
def test_any_text_same_ids_in_every_container(docs, kind):
    seq = TextSequencer(sequence_length=4, ngrams=2)
    expected = seq.fit(column(docs, "object")).transform(column(docs, "object"))
    got = seq.fit(column(docs, kind)).transform(column(docs, kind))
    np.testing.assert_array_equal(got, expected, strict=True)
    for i, doc in enumerate(docs):
        if doc is None or not doc.strip():
            assert not got[i].any()


# -- the whole default router on a mixed frame --------------------------------------

def _mixed(pandas_kinds):
    n = 60
    rng = np.random.default_rng(1)
    price = [None if i % 5 == 0 else float(v) for i, v in enumerate(rng.integers(1, 500, n))]
    age = [None if i % 9 == 0 else int(v) for i, v in enumerate(rng.integers(18, 90, n))]
    flag = [None if i % 7 == 0 else bool(v) for i, v in enumerate(rng.integers(0, 2, n))]
    zips = [None if i % 8 == 0 else float(rng.choice(ZIPS)) for i in range(n)]
    text = [None if i % 6 == 0 else str(rng.choice(["good one", "bad", "", "fine thing"]))
            for i in range(n)]
    price_kind, age_kind, flag_kind, zip_kind, text_kind = pandas_kinds
    return frame({"price": column(price, price_kind), "age": column(age, age_kind),
                  "flag": column(flag, flag_kind), "zip": _zips(zip_kind, zips),
                  "text": column(text, text_kind)})


MIXED = {
    "numpy": ("float64", "float64", "object-nan", "float64", "object"),
    "nullable": ("Float64", "Int64", "boolean", "Int64", "string[python]"),
    "pyarrow": ("double[pyarrow]", "int64[pyarrow]", "bool[pyarrow]", "double[pyarrow]",
                "string[pyarrow]"),
    "polars": ("polars-float", "polars-int", "polars-bool", "polars-float", "polars-str"),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_default_router_same_arrays_for_every_backing(name):
    reference = _mixed(MIXED["nullable"])
    X = _mixed(MIXED[name])
    def make():
        return InputRouter.from_columns(numeric=["price", "age", "flag"], text=["text"],
                                        categorical=["zip"])
    expected = transform_both_paths(make().fit(reference), reference)
    router = make().fit(X)
    assert_same_arrays(transform_both_paths(router, X), expected)
    assert router.input_specs_["numeric"].n_values == 3
    indicators = router.named_transformers_["numeric"].indicator_features_.tolist()
    assert indicators == [0, 1, 2]
    if name != "numpy":  # an object column of bools is not a number column for from_frame
        kinds = {n: list(c) if isinstance(c, list) else c
                 for n, _, c in InputRouter.from_frame(X).transformers}
        assert kinds["numeric"][:3] == ["price", "age", "flag"]
