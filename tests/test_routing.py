import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import InputRouter, InputSpec, TextSequencer, routing


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "age": [20, 30, 40, 50],
            "income": [1.0, 2.0, 3.0, 4.0],
            "review": ["good", "bad product", None, "good good"],
            "title": ["a", "b", "c", "d"],
        }
    )


def make_router():
    return InputRouter(
        [
            ("numeric", StandardScaler(), ["age", "income"]),
            ("text", TextSequencer(sequence_length=3), "review"),
        ]
    )


def test_returns_named_arrays_with_input_dtypes(frame):
    router = make_router()
    out = router.fit_transform(frame)
    assert set(out) == {"numeric", "text"}
    assert out["numeric"].dtype == np.float32 and out["numeric"].shape == (4, 2)
    assert out["text"].dtype == np.int32 and out["text"].shape == (4, 3)
    expected = StandardScaler().fit_transform(frame[["age", "income"]]).astype(np.float32)
    np.testing.assert_array_equal(out["numeric"], expected)
    np.testing.assert_array_equal(
        out["text"], TextSequencer(sequence_length=3).fit_transform(frame["review"])
    )
    for name, array in router.transform(frame).items():
        np.testing.assert_array_equal(array, out[name])


def test_token_ids_never_pass_through_float(frame):
    # ids above 2**24 cannot be represented in float32; they must survive exactly
    class BigIds(TextSequencer):
        def transform(self, X):
            return super().transform(X).astype(np.int64) + 2**24 + 1

    router = InputRouter([("text", BigIds(sequence_length=2), "review")])
    out = router.fit_transform(frame)["text"]
    assert out.dtype == np.int32
    assert out.max() == 2**24 + 1 + 4  # largest id of a 5-id vocabulary


def test_input_specs_describe_each_input(frame):
    router = make_router().fit(frame)
    assert router.input_specs_ == {
        "numeric": InputSpec("numeric", "numeric", (2,), "float32", None, ("age", "income")),
        "text": InputSpec("text", "tokens", (3,), "int32", 5, ("review",)),
    }
    assert list(router.feature_names_in_) == ["age", "income", "review", "title"]


def test_pipeline_ending_in_text_sequencer_is_a_token_input(frame):
    router = InputRouter(
        [("text", make_pipeline(SimpleImputer(strategy="constant", fill_value=""),
                                TextSequencer(sequence_length=2)), ["review"])]
    ).fit(frame)
    assert router.input_specs_["text"].kind == "tokens"
    assert router.transform(frame)["text"].dtype == np.int32


def test_column_order_and_extra_columns_do_not_matter(frame):
    router = make_router().fit(frame)
    shuffled = frame[["title", "review", "income", "age"]].assign(extra=1)
    for name, array in router.transform(shuffled).items():
        np.testing.assert_array_equal(array, router.transform(frame)[name])


def test_missing_columns_named_at_fit_and_transform(frame):
    with pytest.raises(ValueError, match=r"fit time is missing 2 column\(s\): 'income'.*'review'"):
        make_router().fit(frame.drop(columns=["income", "review"]))
    router = make_router().fit(frame)
    with pytest.raises(ValueError, match=r"'income' \(input 'numeric'\)"):
        router.transform(frame.drop(columns=["income"]))
    with pytest.raises(ValueError, match="did you mean 'incme'"):
        router.transform(frame.rename(columns={"income": "incme"}))


def test_non_numeric_and_non_finite_values_are_named(frame):
    bad = frame.assign(income=["1", "x", "3", "4"])
    with pytest.raises(ValueError, match="numeric input 'numeric'.*not numbers"):
        make_router().fit(bad)
    router = make_router().fit(frame)
    with pytest.raises(ValueError, match=r"NaN or infinite values in column\(s\) \['income'\]"):
        router.transform(frame.assign(income=[1.0, np.nan, 3.0, np.inf]))


def test_nested_params_are_tunable(frame):
    router = make_router()
    assert router.get_params()["text__sequence_length"] == 3
    router.set_params(text__sequence_length=5, text__max_tokens=3)
    out = router.fit_transform(frame)
    assert out["text"].shape == (4, 5)
    assert router.input_specs_["text"].vocabulary_size == 3


def test_clone_and_pickle(frame):
    router = make_router()
    cloned = clone(router)
    assert cloned.get_params()["text__sequence_length"] == 3
    router.fit(frame)
    again = pickle.loads(pickle.dumps(router))
    for name, array in again.transform(frame).items():
        np.testing.assert_array_equal(array, router.transform(frame)[name])
    assert again.input_specs_ == router.input_specs_


def test_from_columns_builds_the_common_router(frame):
    router = InputRouter.from_columns(numeric=["age", "income"], text=["review", "title"],
                                      sequence_length=4)
    assert isinstance(router, ColumnTransformer)
    out = router.fit_transform(frame)
    assert set(out) == {"numeric", "review", "title"}
    assert out["review"].shape == (4, 4)
    odd = InputRouter.from_columns(text=["free text!"])
    assert odd.transformers[0][0] == "free_text_"


def test_from_columns_text_is_words_and_word_pairs_unless_asked(frame):
    router = InputRouter.from_columns(text=["review"]).fit(frame)
    assert "bad product" in router.named_transformers_["review"].vocabulary_
    words = InputRouter.from_columns(text=["review"], ngrams=None).fit(frame)
    assert set(words.named_transformers_["review"].vocabulary_) == {"good", "bad", "product"}


def test_duplicate_column_names_rejected(frame):
    dup = pd.concat([frame, frame[["age"]]], axis=1)
    with pytest.raises(ValueError, match=r"duplicate column names \['age'\]"):
        make_router().fit(dup)


def test_set_output_pandas_refused(frame):
    with pytest.raises(ValueError, match="dict"):
        make_router().set_output(transform="pandas")


def test_usable_inside_a_pipeline(frame):
    pipe = Pipeline([("router", make_router())]).fit(frame)
    assert set(pipe.transform(frame)) == {"numeric", "text"}


def test_from_columns_categorical_and_impute():
    X = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0], "color": ["red", "blue", None, "red"],
                      "note": ["a b", "c", "d e f", ""]})
    router = InputRouter.from_columns(numeric=["x"], text=["note"], categorical=["color"],
                                      impute=True, bins=None)
    out = router.fit_transform(X)
    assert out["numeric"].shape == (4, 2)  # the value and its missing indicator
    assert np.isfinite(out["numeric"]).all()
    assert out["color"].shape == (4, 1) and out["color"][2, 0] == 0  # missing -> padding
    seq = router.named_transformers_["color"]
    assert set(seq.vocabulary_) == {"red", "blue"}
    unseen = router.transform(X.assign(color=["green", "red", "blue", "red"]))["color"]
    assert unseen[0, 0] == 1  # out of vocabulary
    with pytest.raises(ValueError, match=r"NaN or infinite values in column\(s\) \['x'\]"):
        InputRouter.from_columns(numeric=["x"], impute=False).fit(X)


def test_from_frame_detects_column_kinds():
    X = pd.DataFrame({
        "n": [1, 2, 3, 4], "flag": [True, False, True, True],
        "grade": pd.Categorical(["a", "b", "a", "c"]),
        "city": ["Paris", "Oslo", "Paris", "Rome"],
        "review": ["great product would buy again", "it broke after two days of use",
                   "fine", "not what the picture showed at all"],
    })
    kinds = {name: cols for name, _, cols in InputRouter.from_frame(X).transformers}
    assert kinds == {"numeric": ["n", "flag"], "review": "review", "grade": "grade",
                     "city": "city"}


def test_from_columns_bins_numbers_by_default(frame):
    router = InputRouter.from_columns(numeric=["age", "income"], bins=2)
    out = router.fit_transform(frame)["numeric"]
    # per column: the standardised value, then one 0/1 column per quantile bin
    assert out.shape == (4, 2 + 2 + 2)
    np.testing.assert_array_equal(out[:, 2:].sum(axis=1), [2, 2, 2, 2])
    plain = InputRouter.from_columns(numeric=["age", "income"], bins=None).fit_transform(frame)
    np.testing.assert_allclose(out[:, :2], plain["numeric"], rtol=1e-6)
    # the spec says how many leading features are values (the rest, the bins' codes)
    assert router.input_specs_["numeric"].n_values == 2
    scaled = InputRouter.from_columns(numeric=["age", "income"], bins=None).fit(frame)
    assert scaled.input_specs_["numeric"].n_values is None


# -- the small-batch path against ColumnTransformer's general path ------------

def _mixed_frame(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "f64": rng.normal(size=n) * 1e3,
        "f32": rng.normal(size=n).astype(np.float32),
        "i64": rng.integers(-5, 1 << 40, size=n),
        "flag": rng.integers(0, 2, size=n).astype(bool),
        "gappy": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "text": rng.choice(["Good!", "bad product", "", None, "ça va 😀"], size=n),
        "color": rng.choice(["red", "blue", "green"], size=n),
    })


@pytest.mark.parametrize("router", [
    InputRouter.from_columns(numeric=["f64", "i64", "flag"], text=["text"],
                             categorical=["color"]),
    InputRouter.from_columns(numeric=["f64", "gappy"], text="text"),
    InputRouter.from_columns(numeric=["f64", "gappy", "flag"], bins=None),
    InputRouter.from_columns(numeric=["f32", "i64"], bins=None),
    InputRouter([("a", StandardScaler(), ["f32"]), ("b", StandardScaler(with_mean=False),
                                                    ["f64", "i64"]),
                 ("c", "passthrough", ["flag", "i64"]), ("t", TextSequencer(), "text")]),
], ids=["bins-text-category", "impute", "impute-scaler", "scaler", "mixed"])
def test_small_batch_path_is_bit_identical(router, monkeypatch):
    train, test = _mixed_frame(300), _mixed_frame(40, seed=1)
    router.fit(train)
    for rows in (test.iloc[[3]], test.iloc[:7], test):
        fast = router.transform(rows)
        monkeypatch.setattr(routing, "SMALL_BATCH", 0)
        general = router.transform(rows)
        monkeypatch.undo()
        assert list(fast) == list(general)
        for name in general:
            assert fast[name].dtype == general[name].dtype
            np.testing.assert_array_equal(fast[name], general[name], strict=True)


def test_small_batch_path_is_taken_by_the_imputing_default(monkeypatch):
    from skmm.preprocessing import QuantileBins

    pytest.importorskip("pyarrow", reason="pyarrow is in the dev extra (CI's main legs have it)")
    train = _mixed_frame(300).astype({"i64": "Int64", "f32": "double[pyarrow]"})
    router = InputRouter.from_columns(numeric=["f64", "gappy", "flag", "i64", "f32"],
                                      text=["text"], categorical=["color"]).fit(train)
    row = train.iloc[[0]].assign(f64=np.nan)
    row.loc[row.index[0], "i64"] = pd.NA
    assert row["i64"].dtype == "Int64"
    expected = router.transform(row)

    def general(*args, **kwargs):
        raise AssertionError("the general path ran")

    monkeypatch.setattr(ColumnTransformer, "transform", general)
    monkeypatch.setattr(QuantileBins, "transform", general)
    got = router.transform(row)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], strict=True)


def test_small_batch_path_hands_errors_to_the_general_path():
    router = InputRouter.from_columns(numeric=["f64", "i64"], text=["text"], impute=False)
    router.fit(_mixed_frame(50))
    bad = _mixed_frame(2)
    bad.loc[0, "f64"] = np.nan
    with pytest.raises(ValueError, match=r"'numeric' has NaN or infinite values in column\(s\) "
                                         r"\['f64'\]"):
        router.transform(bad)
    # the imputing default takes NaN but not infinity, and names only that column
    imputing = InputRouter.from_columns(numeric=["f64", "i64", "gappy"]).fit(_mixed_frame(50))
    bad = _mixed_frame(2).assign(gappy=np.nan)
    bad.loc[1, "f64"] = -np.inf
    for rows in (bad, pd.concat([bad] * 600)):  # both sides of SMALL_BATCH
        with pytest.raises(ValueError, match=r"'numeric' has NaN or infinite values in "
                                             r"column\(s\) \['f64'\]"):
            imputing.transform(rows)
    bad = _mixed_frame(2).astype({"f64": object})
    bad.loc[0, "f64"] = "twelve"
    with pytest.raises(ValueError, match=r"not numbers in column\(s\) \['f64'\]"):
        router.transform(bad)


# -- partial_fit: chunk by chunk equals all at once ------------------------------

def test_partial_fit_in_chunks_equals_fit():
    frame = _mixed_frame(1000, seed=3)
    router = InputRouter.from_columns(numeric=["f64", "i64"], text=["text"],
                                      categorical=["color"])
    whole = clone(router).fit(frame)
    chunked = clone(router)
    for start in range(0, len(frame), 128):
        chunked.partial_fit(frame.iloc[start:start + 128])
    assert chunked.input_specs_ == whole.input_specs_
    for name in ("text", "color"):
        assert (chunked.named_transformers_[name].vocabulary_
                == whole.named_transformers_[name].vocabulary_)
    bins_chunked = chunked.named_transformers_["numeric"]
    bins_whole = whole.named_transformers_["numeric"]
    for a, b in zip(bins_chunked.edges_, bins_whole.edges_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(bins_chunked.mean_, bins_whole.mean_, rtol=1e-12)
    np.testing.assert_allclose(bins_chunked.scale_, bins_whole.scale_, rtol=1e-12)
    got, expected = chunked.transform(frame), whole.transform(frame)
    np.testing.assert_array_equal(got["text"], expected["text"])
    np.testing.assert_allclose(got["numeric"], expected["numeric"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, name", [({"bins": None}, "Pipeline"),
                                          ({"scale": False}, "SimpleImputer")])
def test_partial_fit_names_the_input_that_cannot_stream(kwargs, name):
    # without bins the imputer is scikit-learn's, which has no partial_fit
    router = InputRouter.from_columns(numeric=["f64", "gappy"], **kwargs)
    with pytest.raises(ValueError, match=f"input 'numeric' uses a {name}, which has no "
                                         "partial_fit.*impute=False"):
        router.partial_fit(_mixed_frame(10))
    InputRouter.from_columns(numeric=["f64"], impute=False, **kwargs).partial_fit(
        _mixed_frame(10))


def test_quantile_bins_reservoir_beyond_subsample():
    from skmm.preprocessing import QuantileBins

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 2))
    chunked = QuantileBins(n_bins=4, subsample=1000)
    for start in range(0, 5000, 700):
        chunked.partial_fit(X[start:start + 700])
    assert chunked.sample_.shape == (1000, 2) and chunked.n_samples_seen_ == 5000
    np.testing.assert_allclose(chunked.mean_, X.mean(axis=0), rtol=1e-10)
    # a uniform sample of 1000 puts the quartiles within a few hundredths of the truth
    truth = np.quantile(X, [0.25, 0.5, 0.75], axis=0).T
    np.testing.assert_allclose(np.array(chunked.edges_), truth, atol=0.12)


def test_partial_fit_explains_gaps_in_a_later_chunk():
    router = InputRouter.from_columns(numeric=["f64", "i64"], text=["text"], impute=False)
    router.partial_fit(_mixed_frame(20))
    bad = _mixed_frame(5, seed=2)
    bad.loc[2, "f64"] = np.nan
    with pytest.raises(ValueError, match=r"'numeric' has NaN or infinite values in column\(s\) "
                                         r"\['f64'\]"):
        router.partial_fit(bad)


# -- gaps in numeric columns: imputed by default ------------------------------

def _gappy(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "a": np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n)),
        "b": rng.integers(0, 100, size=n).astype(float),  # no gaps at fit
        "c": np.where(rng.random(n) < 0.1, np.nan, rng.exponential(size=n)),
    })


def test_default_router_imputes_the_median_and_flags_gaps_seen_in_fit():
    train = _gappy(500)
    router = InputRouter.from_columns(numeric=["a", "b", "c"], bins=4).fit(train)
    bins = router.named_transformers_["numeric"]
    np.testing.assert_array_equal(bins.medians_, train.median().to_numpy())
    assert bins.indicator_features_.tolist() == [0, 2]  # "b" had no gap
    spec = router.input_specs_["numeric"]
    assert spec.n_values == 3  # the values lead; 3 x 4 bins, then 2 indicators
    assert spec.shape == (3 + 12 + 2,)
    names = bins.get_feature_names_out()
    assert names[:3].tolist() == ["a", "b", "c"]
    assert names[-2:].tolist() == ["missingindicator_a", "missingindicator_c"]
    # statistics of the values present
    np.testing.assert_allclose(bins.mean_, train.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(bins.scale_, train.std(ddof=0).to_numpy(), rtol=1e-12)

    rows = pd.DataFrame({"a": [np.nan, 1.0], "b": [np.nan, 5.0], "c": [2.0, np.nan]})
    for frame in (rows, pd.concat([rows] * 600, ignore_index=True)):  # both paths
        out = router.transform(frame)["numeric"][:2]
        filled = rows.fillna(train.median())
        expected = bins.transform(filled)  # a gap is encoded as its column's median
        expected[:, -2:] = [[1, 0], [0, 1]]  # "b"'s gap (new at predict) has no indicator
        np.testing.assert_array_equal(out, expected.astype(np.float32))


def test_no_gaps_no_change():
    # without gaps the imputing default gives exactly what impute=False gives
    frame = _mixed_frame(300)
    cols = ["f64", "f32", "i64", "flag"]
    a = InputRouter.from_columns(numeric=cols).fit(frame)
    b = InputRouter.from_columns(numeric=cols, impute=False).fit(frame)
    np.testing.assert_array_equal(a.transform(frame)["numeric"], b.transform(frame)["numeric"],
                                  strict=True)
    assert a.input_specs_ == b.input_specs_


def test_column_with_no_value_at_all_is_filled_with_zero():
    frame = _gappy(50).assign(a=np.nan)
    router = InputRouter.from_columns(numeric=["a", "b"]).fit(frame)
    out = router.transform(frame)["numeric"]
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:, 0], 0.0)
    np.testing.assert_array_equal(out[:, -1], 1.0)  # its indicator


def test_scaler_and_passthrough_impute_with_simple_imputer():
    train = _gappy(200)
    for kwargs in ({"bins": None}, {"scale": False}):
        router = InputRouter.from_columns(numeric=["a", "b", "c"], **kwargs).fit(train)
        out = router.transform(train.assign(b=np.nan))["numeric"]
        assert out.shape == (200, 5) and np.isfinite(out).all()
        assert router.input_specs_["numeric"].n_values is None
    expected = SimpleImputer(strategy="median", add_indicator=True).fit(train)
    np.testing.assert_array_equal(out, expected.transform(train.assign(b=np.nan))
                                  .astype(np.float32))


def test_partial_fit_with_gaps_equals_fit():
    frame = _gappy(1000, seed=5)
    frame.loc[:599, "b"] = frame.loc[:599, "b"].fillna(0)
    frame.loc[700, "b"] = np.nan  # the first gap of "b" comes in a late chunk
    router = InputRouter.from_columns(numeric=["a", "b", "c"], bins=8)
    whole = clone(router).fit(frame)
    chunked = clone(router)
    for start in range(0, len(frame), 128):
        chunked.partial_fit(frame.iloc[start:start + 128])
    assert chunked.input_specs_ == whole.input_specs_
    got, expected = (r.named_transformers_["numeric"] for r in (chunked, whole))
    assert got.indicator_features_.tolist() == expected.indicator_features_.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(got.medians_, expected.medians_)
    for a, b in zip(got.edges_, expected.edges_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got.mean_, expected.mean_, rtol=1e-12)
    np.testing.assert_allclose(got.scale_, expected.scale_, rtol=1e-12)
    np.testing.assert_allclose(chunked.transform(frame)["numeric"],
                               whole.transform(frame)["numeric"], rtol=1e-5, atol=1e-6)


def test_imputing_bins_survive_pickle_and_clone():
    router = InputRouter.from_columns(numeric=["a", "b", "c"]).fit(_gappy(100))
    again = pickle.loads(pickle.dumps(router))
    np.testing.assert_array_equal(again.transform(_gappy(30, 1))["numeric"],
                                  router.transform(_gappy(30, 1))["numeric"])
    assert clone(router).get_params()["numeric__missing"] == "median"


def test_categories_compared_as_values_in_the_router():
    fit = pd.DataFrame({"zip": [10115.0, 2139.0, np.nan, 10115.0], "x": [1.0, 2.0, 3.0, 4.0]})
    router = InputRouter.from_columns(numeric=["x"], categorical=["zip"]).fit(fit)
    ids = router.named_transformers_["zip"].vocabulary_
    assert set(ids) == {"10115", "2139"}
    predict = pd.DataFrame({"zip": [10115, 2139, 94103], "x": [1, 2, 3]})
    for frame in (predict, pd.concat([predict] * 400, ignore_index=True)):
        out = router.transform(frame)["zip"][:3, 0]
        assert out.tolist() == [ids["10115"], ids["2139"], 1]
