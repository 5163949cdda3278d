import pickle
import sys
import unicodedata
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from skmm import TextSequencer
from skmm._tokenize import punctuation_table as _punctuation_table

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
    out = seq.transform(pd.Series([np.nan, None, pd.NA, 1, 2.0, "2.0", 2.5], dtype=object))
    assert not out[:3].any()
    assert out[3, 0] == seq.vocabulary_["1"]
    assert out[4, 0] == seq.vocabulary_["2"]  # the number 2.0 is the document "2"
    assert out[5, 0] == 1  # the string "2.0" stays "2.0": "20" after punctuation, unknown
    assert out[6, 0] == 1  # 2.5 -> "2.5" -> "25": unknown


@pytest.mark.parametrize("value, document", [
    (10115, "10115"), (10115.0, "10115"), (np.int16(-7), "-7"), (np.uint64(2**63), str(2**63)),
    (np.float64(10115.0), "10115"), (np.float32(10115.0), "10115"), (-0.0, "0"),
    (2.5, "2.5"), (0.1, "0.1"), (np.float32(0.1), "0.1"), (1e-7, "1e-07"),
    (float("inf"), "inf"), (True, "True"), (np.bool_(False), "False"),
    ("10115.0", "10115.0"), (" a b ", " a b "), ("", ""),
    (np.nan, ""), (None, ""), (pd.NA, ""), (pd.NaT, ""),
])
def test_values_become_documents_as_values(value, document):
    from skmm.text import _as_documents

    assert _as_documents(pd.Series([value], dtype=object))[0] == [document]
    assert _as_documents([value])[0] == [document]


@pytest.mark.parametrize("split", ["whole", "whitespace", str.split])
def test_a_number_is_one_category_whatever_its_dtype(split):
    fit = pd.Series([10115.0, 2139.0, np.nan, 10115.0], name="zip")  # a gap: read as float
    seq = TextSequencer(split=split, standardize=None, sequence_length=1).fit(fit)
    assert set(seq.vocabulary_) == {"10115", "2139"}
    expected = [[seq.vocabulary_["10115"]], [seq.vocabulary_["2139"]], [1], [0]]
    for predict in (pd.Series([10115, 2139, 94103, None], dtype="Int64"),
                    pd.Series([10115, 2139, 94103, None], dtype="float32"),
                    pd.Series(pd.Categorical([10115, 2139, 94103, None])),
                    pd.Series([10115, 2139, 94103, None], dtype=object),
                    np.array([10115, 2139, 94103, np.nan])):
        assert seq.transform(predict).tolist() == expected, predict
    assert seq.transform(pd.Series([10115, 2139, 94103, 0])).tolist()[:3] == expected[:3]
    # strings are not numbers: "10115.0" as text is a category of its own
    assert seq.transform(pd.Series(["10115.0", "10115"])).ravel().tolist() == [
        1, seq.vocabulary_["10115"]]


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


# -- the fast batch path against the per-document reference ----------------

TRICKY = [
    "", "   ", "Don't STOP—believing…", "«Ça va?» ¿Qué tal? ¡Olé!", "ΣΟΦΟΣ σοφός ΟΔΥΣΣΕΥΣ",
    "İstanbul straße ǅ ﬁne", "emoji 😀😀 🇫🇷 👍🏽 ok", "tabs\tand\nnew\r\nlines\u2028sep",
    "nbsp\u00a0thin\u2009space", "c++ $5 <b>x</b> a|b ~x^2 `q`", "under_score #tag @user",
    "数字 中文，标点。", "عربي، نص؟", "zero\u200bwidth", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛",
    "\x1c\x1d\x1e\x1f unit separators", "word " * 3000, "a.b.c...d", "!!!", "x",
] * 5


@pytest.mark.parametrize("standardize", ["lower_and_strip_punctuation", "lower", None])
@pytest.mark.parametrize("padding, truncating", [("post", "post"), ("pre", "pre")])
def test_fast_path_equals_reference_on_tricky_text(standardize, padding, truncating):
    from skmm._tokenize import pad, tokenize

    fast = tokenize(TRICKY, standardize, "whitespace", None, fast=True)
    slow = tokenize(TRICKY, standardize, "whitespace", None, fast=False)
    assert fast.separated and not slow.separated  # the two paths really ran
    assert fast.rows is not None  # ASCII and other documents went in two groups
    assert sorted(fast.lengths().tolist()) == sorted(slow.lengths().tolist())
    assert fast.counts() == slow.counts() == Counter(slow.flat)
    seq = TextSequencer(standardize=standardize, sequence_length=12, padding=padding,
                        truncating=truncating).fit(TRICKY)
    assert len(TRICKY) >= 64  # so fit and transform took the fast path
    ids_fast = pad(fast, seq.vocabulary_, 1, 12, padding, truncating)
    ids_slow = pad(slow, seq.vocabulary_, 1, 12, padding, truncating)
    np.testing.assert_array_equal(ids_fast, ids_slow)
    np.testing.assert_array_equal(seq.transform(TRICKY), ids_slow)
    assert seq.token_counts_ == dict(slow.counts())
    assert seq.transform(TRICKY[:3]).tolist() == ids_slow[:3].tolist()  # small batch path


def test_document_holding_the_separator_falls_back_to_reference():
    from skmm._tokenize import SEPARATOR, tokenize

    docs = [f"a{SEPARATOR}b c", "d"] * 40
    tokens = tokenize(docs, "lower", "whitespace", None)
    assert not tokens.separated
    assert tokens.flat[:3] == [f"a{SEPARATOR}b", "c", "d"]


def test_partial_fit_in_chunks_equals_fit_on_everything():
    docs = [f"tok{i % 7} common {'long ' * (i % 23)}" for i in range(500)] + TRICKY
    rng = np.random.default_rng(0)
    rng.shuffle(docs)
    whole = TextSequencer(max_tokens=12, min_frequency=2).fit(docs)
    chunked = TextSequencer(max_tokens=12, min_frequency=2)
    for start in range(0, len(docs), 37):  # chunks of every size path (1..63 and more)
        chunked.partial_fit(pd.Series(docs[start:start + 37], name="text"))
    assert chunked.vocabulary_ == whole.vocabulary_
    assert chunked.sequence_length_ == whole.sequence_length_
    assert chunked.token_counts_ == whole.token_counts_
    assert chunked.n_documents_ == len(docs)
    np.testing.assert_array_equal(chunked.transform(docs), whole.transform(docs))
    # fit starts over; partial_fit after fit goes on counting
    again = TextSequencer().fit(docs[:10]).fit(docs)
    assert again.n_documents_ == len(docs)
    assert TextSequencer().fit(docs).partial_fit(docs).n_documents_ == 2 * len(docs)


def test_partial_fit_refuses_a_different_column():
    seq = TextSequencer().partial_fit(pd.Series(["a b"], name="title"))
    with pytest.raises(ValueError, match="column 'body'.*'title'"):
        seq.partial_fit(pd.Series(["c"], name="body"))


def test_learned_length_is_the_exact_quantile():
    for n in (1, 2, 3, 19, 20, 21, 101):
        lengths = np.random.default_rng(n).integers(0, 40, size=n)
        docs = ["w " * k for k in lengths]
        expected = max(1, int(np.ceil(np.quantile(lengths, 0.95) - 1e-9)))
        assert TextSequencer().fit(docs).sequence_length_ == expected


def test_float32_categories_are_written_in_their_own_precision():
    """0.1 read as float32 in one file and float64 in another is one category."""
    seq = TextSequencer(split="whole", standardize=None).fit(
        pd.Series(np.array([0.1, 2.5, 7.0], dtype=np.float32)))
    expected = seq.transform(pd.Series(["0.1", "2.5", "7"])).ravel().tolist()
    assert min(expected) > 1  # all in the vocabulary
    for same in (pd.Series([0.1, 2.5, 7.0]), np.array([0.1, 2.5, 7.0], dtype=np.float32),
                 pd.Series([0.1, 2.5, 7], dtype="Float64")):
        assert seq.transform(same).ravel().tolist() == expected
