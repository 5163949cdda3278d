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
        InputRouter.from_columns(numeric=["x"]).fit(X)


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
    InputRouter.from_columns(numeric=["f64", "gappy"], text="text", impute=True),
    InputRouter.from_columns(numeric=["f32", "i64"], bins=None),
    InputRouter([("a", StandardScaler(), ["f32"]), ("b", StandardScaler(with_mean=False),
                                                    ["f64", "i64"]),
                 ("c", "passthrough", ["flag", "i64"]), ("t", TextSequencer(), "text")]),
], ids=["bins-text-category", "impute", "scaler", "mixed"])
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


def test_small_batch_path_hands_errors_to_the_general_path():
    router = InputRouter.from_columns(numeric=["f64", "i64"], text=["text"])
    router.fit(_mixed_frame(50))
    bad = _mixed_frame(2)
    bad.loc[0, "f64"] = np.nan
    with pytest.raises(ValueError, match=r"'numeric' has NaN or infinite values in column\(s\) "
                                         r"\['f64'\]"):
        router.transform(bad)
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


def test_partial_fit_names_the_input_that_cannot_stream():
    router = InputRouter.from_columns(numeric=["f64", "gappy"], impute=True)
    with pytest.raises(ValueError, match="input 'numeric' uses a Pipeline, which has no "
                                         "partial_fit"):
        router.partial_fit(_mixed_frame(10))


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
    router = InputRouter.from_columns(numeric=["f64", "i64"], text=["text"])
    router.partial_fit(_mixed_frame(20))
    bad = _mixed_frame(5, seed=2)
    bad.loc[2, "f64"] = np.nan
    with pytest.raises(ValueError, match=r"'numeric' has NaN or infinite values in column\(s\) "
                                         r"\['f64'\]"):
        router.partial_fit(bad)
