"""TextSequencer: one free-text column -> a padded int32 matrix of token ids.

Text handling lives here, on the scikit-learn side, in plain Python and numpy,
so it works with every Keras backend and inside ``ColumnTransformer``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm._params import validate_params
from skmm._tokenize import ngram_sizes, pad, tokenize

__all__ = ["TextSequencer", "PADDING_ID", "OOV_ID"]

PADDING_ID = 0
OOV_ID = 1
_RESERVED = 2

_SIDES = ("post", "pre")

# When ``sequence_length`` is None the length is learned in fit: long enough
# for this share of the training documents (the rest are truncated).
_LENGTH_QUANTILE = Fraction(95, 100)


def _quantile_of_counts(length_counts: np.ndarray, q: Fraction) -> Fraction:
    """The linear-interpolation quantile of the lengths a histogram describes.

    ``length_counts[k]`` is how many documents have k tokens. Exact (rational)
    arithmetic, so a histogram built in chunks gives the same value as one
    built at once, and no rounding pushes ``ceil`` up by one.
    """
    n = int(length_counts.sum())
    position = q * (n - 1)
    below = math.floor(position)
    cumulative = np.cumsum(length_counts)
    low = int(np.searchsorted(cumulative, below, side="right"))
    high = int(np.searchsorted(cumulative, min(below + 1, n - 1), side="right"))
    return low + (position - below) * (high - low)


def _float_document(value: float) -> str:
    """A float as a document: a whole number as the integer, others as their shortest repr."""
    return str(int(value)) if value.is_integer() else repr(value)


def _document(value) -> str:
    """One present, non-string value as a document: numbers compared as values.

    A whole number is written as the integer whatever its type (``10115``,
    ``10115.0``, ``np.float32(10115)``, an ``Int64`` or pyarrow value all give
    ``"10115"``); other floats as the shortest string that reads back as the
    same value in their own precision (``"2.5"``); bools as ``"True"`` and
    ``"False"``; anything else with ``str``.
    """
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, (float, np.float64)):
        value = float(value)
        return _float_document(value) if math.isfinite(value) else repr(value)
    if isinstance(value, np.floating):  # float16/float32/longdouble: their own shortest repr
        return str(int(value)) if np.isfinite(value) and float(value).is_integer() else str(value)
    if isinstance(value, Decimal) and value.is_finite():
        return str(int(value)) if value == value.to_integral_value() else repr(float(value))
    return str(value)


def _as_documents(X) -> tuple[list[str], str | None]:
    """Return (documents, column name) from any accepted container.

    Missing values (NaN, None, pd.NA, NaT) become ``""``; strings are kept as
    they are; other values become documents by :func:`_document`, so a number
    is one document whatever its dtype (``10115`` and ``10115.0`` are both
    ``"10115"``).
    """
    name = None
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"TextSequencer takes exactly one text column, got {X.shape[1]} columns "
                f"{list(X.columns)}. Give each text column its own TextSequencer "
                "(for example one InputRouter entry per column)."
            )
        name = X.columns[0]
        values = X.iloc[:, 0]
    elif isinstance(X, pd.Series):
        name = X.name
        values = X
    else:
        if isinstance(X, str):
            raise ValueError(
                "TextSequencer expects a column of documents (Series, list, 1-D array), "
                "got a single string; wrap it in a list: [text]."
            )
        # a float array keeps its dtype: float32 values are written in their own precision
        floats = isinstance(X, np.ndarray) and X.dtype.kind == "f"
        arr = X if floats else np.asarray(X, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(
                f"TextSequencer takes one text column: a 1-D array, list, Series or one-column "
                f"DataFrame; got an array of shape {arr.shape}."
            )
        values = pd.Series(arr, dtype=None if floats else object)
    return _documents(values), (None if name is None else str(name))


def _documents(values: pd.Series) -> list[str]:
    """The documents of one column (see :func:`_as_documents`)."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":  # no gaps possible
        return list(map(str, values.to_numpy().tolist()))
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize == 8:
        return [
            "" if v != v else _float_document(v) if v - v == 0 else repr(v)  # NaN, finite, inf
            for v in values.to_numpy().tolist()
        ]
    if isinstance(dtype, np.dtype) and dtype.kind == "f":  # float16/float32: own precision
        return ["" if v != v else _document(v) for v in values.to_numpy()]
    objects = values.to_numpy(dtype=object)  # na_value="" fails on some pyarrow types
    missing = pd.isna(objects)
    if missing.any():
        objects = objects.copy()
        objects[missing] = ""
    return [d if type(d) is str else _document(d) for d in objects.tolist()]


class TextSequencer(TransformerMixin, BaseEstimator):
    """Turn one free-text column into a padded ``int32`` matrix of token ids.

    The vocabulary is learned in :meth:`fit` only, most frequent token first
    (ties broken alphabetically, so fits are deterministic). Id 0 is padding
    and id 1 is the out-of-vocabulary token; real tokens start at 2.

    Values are documents as values, so a column's dtype never decides its
    tokens (a category column read as float at fit and as int at predict
    keeps its ids): a whole number is written as the integer (``10115``,
    ``10115.0``, a NumPy, nullable ``Int64`` or pyarrow 10115 all give
    ``"10115"``), other numbers as the shortest string that reads back as the
    same value (``"2.5"``), bools as ``"True"``/``"False"``. Strings are kept
    as they are (the string ``"10115.0"`` stays ``"10115.0"``). Missing values
    (NaN, None, ``pd.NA``, NaT) and ``""`` are empty documents: all-padding
    rows. This holds for every ``split`` and for categories in a pandas
    ``Categorical``.

    Parameters
    ----------
    max_tokens : int or None, default=20000
        Size cap of the vocabulary *including* the two reserved ids, so the
        output ids are always ``< max_tokens``. None keeps every token.
    min_frequency : int, default=1
        Tokens seen fewer times than this in the training data are dropped
        (they map to the out-of-vocabulary id).
    sequence_length : int or None, default=None
        Number of columns of the output. None learns it in fit: the length
        that holds 95% of the training documents whole (at least 1); the
        learned value is ``sequence_length_``.
    standardize : {"lower_and_strip_punctuation", "lower"}, None or callable, \
            default="lower_and_strip_punctuation"
        Applied to each document before splitting. The default lower-cases
        and deletes every Unicode punctuation character (as Keras'
        ``TextVectorization`` does for ASCII), so "Don't!" becomes "dont".
        A callable maps one string to one string.
    split : "whitespace", "whole" or callable, default="whitespace"
        How a standardised document becomes tokens. "whole" makes the whole
        value one token (for categorical columns). A callable maps one
        string to a list of strings.
    ngrams : int, sequence of int or None, default=None
        As in Keras: an int ``n`` adds all n-grams of sizes ``1..n``, a tuple
        gives exactly the sizes wanted. N-grams are joined with a space and
        follow the unigrams of the document in the output.
    padding : {"post", "pre"}, default="post"
        Which side of a short document receives the padding zeros.
    truncating : {"post", "pre"}, default="post"
        Which end of a long document is cut off.

    Attributes
    ----------
    vocabulary_ : dict of str -> int
        Token to id, ids from 2 upwards.
    vocabulary_size_ : int
        ``len(vocabulary_) + 2``: what a Keras ``Embedding`` needs as
        ``input_dim``.
    sequence_length_ : int
        Number of output columns.
    token_counts_ : dict of str -> int
        How often each token occurred in all the documents seen by
        ``fit``/``partial_fit``, before ``max_tokens`` and ``min_frequency``
        cut the vocabulary (kept so that ``partial_fit`` can go on counting).
    length_counts_ : ndarray of int64
        ``length_counts_[k]`` is the number of training documents with k
        tokens; the learned ``sequence_length_`` is read from it.
    n_documents_ : int
        Number of training documents seen.
    feature_names_in_ : ndarray of str
        The column name, when fitted on a named Series or DataFrame.
    n_features_in_ : int
        Always 1.

    Examples
    --------
    >>> from skmm import TextSequencer
    >>> seq = TextSequencer(sequence_length=4)
    >>> seq.fit_transform(["the cat sat", "The dog!", None])
    array([[2, 3, 5, 0],
           [2, 4, 0, 0],
           [0, 0, 0, 0]], dtype=int32)
    >>> seq.vocabulary_size_
    6

    Categories compared as values, whatever the dtype:

    >>> import pandas as pd
    >>> zips = TextSequencer(split="whole", standardize=None, sequence_length=1)
    >>> zips.fit_transform(pd.Series([10115.0, 2139.0, None])).ravel().tolist()
    [2, 3, 0]
    >>> zips.transform(pd.Series([10115, 2139, 94103])).ravel().tolist()  # 94103: unseen
    [2, 3, 1]
    """

    _parameter_constraints = {
        "max_tokens": [Interval(Integral, _RESERVED, None, closed="left"), None],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "sequence_length": [Interval(Integral, 1, None, closed="left"), None],
        "standardize": [StrOptions({"lower_and_strip_punctuation", "lower"}), callable, None],
        "split": [StrOptions({"whitespace", "whole"}), callable, None],
        "ngrams": [Interval(Integral, 1, None, closed="left"), list, tuple, None],
        "padding": [StrOptions(set(_SIDES))],
        "truncating": [StrOptions(set(_SIDES))],
    }

    def __init__(
        self,
        max_tokens=20000,
        min_frequency=1,
        sequence_length=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        padding="post",
        truncating="post",
    ):
        self.max_tokens = max_tokens
        self.min_frequency = min_frequency
        self.sequence_length = sequence_length
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.padding = padding
        self.truncating = truncating

    # -- validation -------------------------------------------------------
    def _check_params(self):
        validate_params(self)
        ngram_sizes(self.ngrams)  # the sizes inside a sequence: a ValueError naming 'ngrams'

    def _tokenize(self, docs):
        return tokenize(docs, self.standardize, self.split, self.ngrams)

    # -- fitting ----------------------------------------------------------
    def fit(self, X, y=None):
        """Learn the vocabulary (and, if not given, the sequence length) from X.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list of str
            The training documents. Missing values count as empty documents.
        y : ignored

        Returns
        -------
        self : TextSequencer
        """
        for name in ("token_counts_", "length_counts_", "n_documents_", "vocabulary_"):
            self.__dict__.pop(name, None)
        return self.partial_fit(X)

    def partial_fit(self, X, y=None):
        """Add a chunk of documents to the counts and refresh the vocabulary.

        Token counts and the histogram of document lengths accumulate over
        calls, so fitting chunk by chunk (``pd.read_csv(chunksize=...)``)
        learns exactly the vocabulary and sequence length that :meth:`fit`
        learns on all the chunks at once.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list of str
        y : ignored

        Returns
        -------
        self : TextSequencer

        Examples
        --------
        >>> from skmm import TextSequencer
        >>> seq = TextSequencer()
        >>> for chunk in (["the cat", "the dog"], ["a cat sat"]):
        ...     seq = seq.partial_fit(chunk)
        >>> seq.vocabulary_ == TextSequencer().fit(["the cat", "the dog", "a cat sat"]).vocabulary_
        True
        >>> seq.n_documents_
        3
        """
        self._check_params()
        docs, name = _as_documents(X)
        if hasattr(self, "token_counts_") and name is not None and hasattr(
            self, "feature_names_in_"
        ) and str(self.feature_names_in_[0]) != name:
            raise ValueError(
                f"TextSequencer.partial_fit got column {name!r}, but earlier chunks came "
                f"from column {self.feature_names_in_[0]!r}."
            )
        tokens = self._tokenize(docs)
        counts = tokens.counts()
        if hasattr(self, "token_counts_"):
            counts.update(self.token_counts_)
            lengths = np.bincount(tokens.lengths(), minlength=len(self.length_counts_))
            lengths[: len(self.length_counts_)] += self.length_counts_
            self.n_documents_ += len(docs)
        else:
            lengths = np.bincount(tokens.lengths(), minlength=1)
            self.n_documents_ = len(docs)
        self.token_counts_ = dict(counts)
        self.length_counts_ = lengths.astype(np.int64)
        self.vocabulary_ = self._rank(self.token_counts_)
        self.vocabulary_size_ = len(self.vocabulary_) + _RESERVED
        if self.sequence_length is None:
            if self.n_documents_:
                learned = math.ceil(_quantile_of_counts(self.length_counts_, _LENGTH_QUANTILE))
            else:
                learned = 1
            self.sequence_length_ = max(1, learned)
        else:
            self.sequence_length_ = int(self.sequence_length)
        self.n_features_in_ = 1
        if name is not None:
            self.feature_names_in_ = np.array([name], dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _rank(self, counts: dict[str, int]) -> dict[str, int]:
        items = [(t, c) for t, c in counts.items() if c >= self.min_frequency and t]
        items.sort(key=lambda tc: (-tc[1], tc[0]))
        if self.max_tokens is not None:
            items = items[: self.max_tokens - _RESERVED]
        return {token: i + _RESERVED for i, (token, _) in enumerate(items)}

    # -- transforming -----------------------------------------------------
    def transform(self, X):
        """Map documents to a ``(n_samples, sequence_length_)`` int32 matrix.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list of str

        Returns
        -------
        ndarray of shape (n_samples, ``sequence_length_``), dtype int32
        """
        check_is_fitted(self, "vocabulary_")
        return self._ids(X)

    def _ids(self, X):
        """:meth:`transform` of a fitted sequencer, without the checks (the router's short path)."""
        docs, _ = _as_documents(X)
        tokens = self._tokenize(docs)
        return pad(tokens, self.vocabulary_, OOV_ID, self.sequence_length_, self.padding,
                   self.truncating)

    def inverse_transform(self, X):
        """Map id matrices back to token lists (padding dropped, OOV as ``"[UNK]"``).

        Parameters
        ----------
        X : array-like of int, shape (n_samples, ``sequence_length_``)

        Returns
        -------
        list of list of str
        """
        check_is_fitted(self, "vocabulary_")
        lookup = ["", "[UNK]", *self.vocabulary_]
        return [[lookup[i] for i in row if i != PADDING_ID] for row in np.asarray(X)]

    def get_feature_names_out(self, input_features=None):
        """Output column names, ``<column>_0`` up to ``<column>_{L-1}``.

        Parameters
        ----------
        input_features : array-like of str or None
            The input column name; defaults to the fitted one, else "tokens".

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "vocabulary_")
        if input_features is not None and len(input_features):
            prefix = str(input_features[0])
        elif hasattr(self, "feature_names_in_"):
            prefix = str(self.feature_names_in_[0])
        else:
            prefix = "tokens"
        return np.asarray([f"{prefix}_{i}" for i in range(self.sequence_length_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags
