import pickle
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from skmm import TextSequencer
from skmm.text import _punctuation_table

DOCS = ["The cat sat on the mat.", "The dog ate my homework!", "a cat, a dog", "", None]


def test_vocabulary_ranked_by_frequency_then_alphabetically():
    seq = TextSequencer().fit(DOCS)
    # "the" x3, "a" x2, "cat" x2, "dog" x2, then singletons alphabetically
    assert list(seq.vocabulary_)[:4] == ["the", "a", "cat", "dog"]
    assert seq.vocabulary_["the"] == 2
    singles = [t for t in seq.vocabulary_ if t not in {"the", "a", "cat", "dog"}]
    assert singles == sorted(singles)
    assert seq.vocabulary_size_ == len(seq.vocabulary_) + 2


def test_ids_padding_oov_and_dtype():
    seq = TextSequencer(sequence_length=6).fit(DOCS)
    out = seq.transform(["the cat flew", None, ""])
    assert out.dtype == np.int32 and out.shape == (3, 6)
    assert out[0].tolist() == [2, 4, 1, 0, 0, 0]  # the=2, cat=4, "flew" is unknown
    assert not out[1:].any()  # missing and empty -> all padding


def test_max_tokens_counts_reserved_ids_and_min_frequency():
    seq = TextSequencer(max_tokens=4).fit(DOCS)
    assert seq.vocabulary_ == {"the": 2, "a": 3}
    assert seq.transform(DOCS).max() < 4
    seq = TextSequencer(min_frequency=2).fit(DOCS)
    assert set(seq.vocabulary_) == {"the", "a", "cat", "dog"}


def test_sequence_length_learned_from_quantile():
    docs = ["w " * n for n in range(1, 101)]
    seq = TextSequencer().fit(docs)
    assert seq.sequence_length_ == 96  # holds 95% of the documents whole
    assert seq.transform(docs).shape == (100, 96)


@pytest.mark.parametrize(
    "padding, truncating, expected",
    [
        ("post", "post", [[2, 3, 4], [2, 0, 0]]),
        ("pre", "post", [[2, 3, 4], [0, 0, 2]]),
        ("post", "pre", [[3, 4, 5], [2, 0, 0]]),
        ("pre", "pre", [[3, 4, 5], [0, 0, 2]]),
    ],
)
def test_padding_and_truncating_sides(padding, truncating, expected):
    seq = TextSequencer(sequence_length=3, padding=padding, truncating=truncating)
    seq.fit(["a b c d", "a"])
    assert seq.vocabulary_ == {"a": 2, "b": 3, "c": 4, "d": 5}
    assert seq.transform(["a b c d", "a"]).tolist() == expected


def test_standardize_options():
    docs = ["Hello, World! Don’t stop…"]
    assert set(TextSequencer().fit(docs).vocabulary_) == {"hello", "world", "dont", "stop"}
    assert set(TextSequencer(standardize="lower").fit(docs).vocabulary_) == {
        "hello,", "world!", "don’t", "stop…"}
    assert "Hello," in TextSequencer(standardize=None).fit(docs).vocabulary_
    up = TextSequencer(standardize=str.upper).fit(docs)
    assert "HELLO," in up.vocabulary_


def test_emoji_and_unicode_are_tokens():
    seq = TextSequencer().fit(["café 😀 naïve", "😀"])
    assert seq.vocabulary_["😀"] == 2
    assert {"café", "naïve"} <= set(seq.vocabulary_)


def test_custom_split_and_ngrams():
    seq = TextSequencer(standardize="lower", split=lambda s: s.split("|")).fit(["a b|c"])
    assert set(seq.vocabulary_) == {"a b", "c"}
    seq = TextSequencer(ngrams=2, sequence_length=5).fit(["a b c"])
    assert set(seq.vocabulary_) == {"a", "b", "c", "a b", "b c"}
    assert seq.inverse_transform(seq.transform(["a b c"])) == [["a", "b", "c", "a b", "b c"]]
    seq = TextSequencer(ngrams=(2,)).fit(["a b c"])
    assert set(seq.vocabulary_) == {"a b", "b c"}


@pytest.mark.parametrize(
    "make",
    [
        lambda d: pd.Series(d, name="review"),
        lambda d: pd.DataFrame({"review": d}),
        lambda d: np.array(d, dtype=object),
        lambda d: np.array(d, dtype=object)[:, None],
        lambda d: list(d),
    ],
    ids=["series", "frame", "array", "column-array", "list"],
)
def test_accepted_containers_agree(make):
    ref = TextSequencer(sequence_length=5).fit(DOCS).transform(DOCS)
    seq = TextSequencer(sequence_length=5).fit(make(DOCS))
    np.testing.assert_array_equal(seq.transform(make(DOCS)), ref)


def test_nan_none_na_and_non_strings():
    seq = TextSequencer(sequence_length=2).fit(["1 2 3", "x"])
    out = seq.transform(pd.Series([np.nan, None, pd.NA, 1, 2.0], dtype=object))
    assert not out[:3].any()
    assert out[3, 0] == seq.vocabulary_["1"]
    assert out[4, 0] == 1  # "2.0" -> "20" after stripping punctuation: unknown


def test_empty_corpus_fits_to_reserved_ids_only():
    seq = TextSequencer().fit(["", None, "!!! ..."])
    assert seq.vocabulary_ == {}
    assert seq.vocabulary_size_ == 2
    assert seq.transform(["anything"]).tolist() == [[1]]


def test_vocabulary_learned_in_fit_only():
    seq = TextSequencer().fit(["a b"])
    seq.transform(["c d e"])
    assert set(seq.vocabulary_) == {"a", "b"}


def test_feature_names_and_set_output_pandas():
    seq = TextSequencer(sequence_length=3).fit(pd.Series(DOCS, name="review"))
    assert seq.get_feature_names_out().tolist() == ["review_0", "review_1", "review_2"]
    seq.set_output(transform="pandas")
    out = seq.transform(pd.Series(DOCS, name="review"))
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["review_0", "review_1", "review_2"]
    assert (out.dtypes == np.int32).all()


def test_in_column_transformer_with_string_or_list_column():
    X = pd.DataFrame({"review": DOCS, "x": range(5)})
    for column in ("review", ["review"]):
        ct = ColumnTransformer([("t", TextSequencer(sequence_length=4), column)])
        out = ct.fit_transform(X)
        assert out.shape == (5, 4)
        np.testing.assert_array_equal(out, TextSequencer(sequence_length=4).fit_transform(DOCS))


def test_clone_pickle_pipeline():
    seq = TextSequencer(max_tokens=50, ngrams=2)
    assert clone(seq).get_params() == seq.get_params()
    seq.fit(DOCS)
    again = pickle.loads(pickle.dumps(seq))
    np.testing.assert_array_equal(again.transform(DOCS), seq.transform(DOCS))
    pipe = Pipeline([("seq", TextSequencer(sequence_length=3))]).fit(DOCS)
    assert pipe.transform(DOCS).shape == (5, 3)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_tokens": 1}, "max_tokens"),
        ({"sequence_length": 0}, "sequence_length"),
        ({"padding": "left"}, "padding"),
        ({"truncating": "middle"}, "truncating"),
        ({"standardize": "upper"}, "standardize"),
        ({"split": "comma"}, "split"),
        ({"ngrams": 0}, "ngrams"),
        ({"min_frequency": 1.5}, "min_frequency"),
    ],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        TextSequencer(**params).fit(DOCS)


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match=r"one text column, got 2 columns \['a', 'b'\]"):
        TextSequencer().fit(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    with pytest.raises(ValueError, match="single string"):
        TextSequencer().fit("just one document")
    with pytest.raises(ValueError, match="shape"):
        TextSequencer().fit(np.array([["a", "b"]], dtype=object))


def test_punctuation_scan_covers_the_whole_unicode_database():
    table = _punctuation_table()
    beyond = [
        cp for cp in range(0x20000, sys.maxunicode + 1)
        if unicodedata.category(chr(cp)).startswith("P")
    ]
    assert beyond == []
    assert ord("“") in table and ord("…") in table and ord("😀") not in table
