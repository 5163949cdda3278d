"""Tokenising many documents at once, and the plain reference it must match.

``TextSequencer`` delegates here. There are two paths that give identical
tokens:

* the **reference** path works one document at a time in plain Python
  (standardise, split, n-grams). It serves callables, n-grams, ``"whole"``
  splitting and small batches, and it defines the behaviour;
* the **fast** path serves the built-in presets on whitespace splitting: it
  joins the batch into one string with a separator token between documents,
  so lower-casing, punctuation stripping and splitting each run once in C
  (punctuation is deleted through a NumPy lookup over UTF-32 code points)
  instead of once per document in the interpreter.

Both return a :class:`Tokens`; ``tests/test_text.py`` checks they agree on
tricky text (punctuation, unicode, emoji, empty and very long documents).
"""

from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat

import numpy as np

# Not whitespace for ``str.split``, not punctuation, not changed by lower():
# surrounded by spaces it is a token of its own between two documents. A batch
# in which a document holds it goes down the reference path.
SEPARATOR = "\x00"

# Below this many documents the per-document path is as fast (and it avoids
# copying the vocabulary into a lookup table).
FAST_MIN_DOCUMENTS = 64

_ASCII_SYMBOLS = "$+<=>^`|~"


@functools.cache
def punctuation_table() -> dict[int, None]:
    """``str.translate`` table deleting every Unicode punctuation character.

    That is every code point in a ``P*`` category plus ASCII's symbols from
    ``string.punctuation`` (``$+<=>^`|~``), the same set Keras'
    ``TextVectorization`` strips for ASCII text, extended to Unicode quotes,
    dashes and ellipses. Emoji and other symbols are kept as tokens.
    """
    table = {ord(c): None for c in _ASCII_SYMBOLS}
    # No code point at or above U+20000 is punctuation (tests/test_text.py
    # checks this against the running Python's Unicode database); scanning
    # less keeps the first call under 0.1 s.
    for cp in range(0x20000):
        if unicodedata.category(chr(cp)).startswith("P"):
            table[cp] = None
    return table


@functools.cache
def _kept_code_points() -> np.ndarray:
    """Boolean lookup over every code point: False where punctuation."""
    keep = np.ones(0x110000, dtype=bool)
    keep[np.fromiter(punctuation_table(), dtype=np.int64)] = False
    return keep


@functools.cache
def _ascii_punctuation() -> bytes:
    """The ASCII characters :func:`punctuation_table` deletes, without building it."""
    return bytes(c for c in range(128)
                 if unicodedata.category(chr(c)).startswith("P") or chr(c) in _ASCII_SYMBOLS)


def strip_punctuation(text: str) -> str:
    """Delete punctuation from one (possibly very long) string, in C."""
    if text.isascii():
        return text.encode("ascii").translate(None, _ascii_punctuation()).decode("ascii")
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return code_points[_kept_code_points()[code_points]].tobytes().decode("utf-32-le")


def _lower_and_strip(text: str) -> str:
    text = text.lower()
    if text.isascii():  # the usual case, without building the whole table (30 ms, once)
        return text.encode("ascii").translate(None, _ascii_punctuation()).decode("ascii")
    return text.translate(punctuation_table())


_PRESETS: dict[str, Callable[[str], str]] = {
    "lower_and_strip_punctuation": _lower_and_strip,
    "lower": str.lower,
}


def standardizer(standardize) -> Callable[[str], str] | None:
    """The per-document function for a ``standardize`` parameter value."""
    if standardize is None:
        return None
    if callable(standardize):
        return standardize
    if isinstance(standardize, str) and standardize in _PRESETS:
        return _PRESETS[standardize]
    raise ValueError(
        f"TextSequencer parameter 'standardize' must be one of {list(_PRESETS)}, "
        f"None or a callable; got {standardize!r}."
    )


def _whole(text: str) -> list[str]:
    """The whole (stripped) value as one token: for categories."""
    text = text.strip()
    return [text] if text else []


def splitter(split) -> Callable[[str], list[str]]:
    """The per-document function for a ``split`` parameter value."""
    if split is None or split == "whitespace":
        return str.split
    if split == "whole":
        return _whole
    if callable(split):
        return split
    raise ValueError(
        "TextSequencer parameter 'split' must be 'whitespace', 'whole' or a callable; "
        f"got {split!r}."
    )


def ngram_sizes(ngrams) -> tuple[int, ...]:
    """Keras' convention: an int n means all sizes 1..n, a tuple means exactly those."""
    if ngrams is None:
        return (1,)
    if isinstance(ngrams, (int, np.integer)) and not isinstance(ngrams, bool):
        if ngrams < 1:
            raise ValueError(f"TextSequencer parameter 'ngrams' must be >= 1; got {ngrams}.")
        return tuple(range(1, int(ngrams) + 1))
    if isinstance(ngrams, Sequence) and ngrams and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in ngrams
    ):
        return tuple(sorted({int(n) for n in ngrams}))
    raise ValueError(
        "TextSequencer parameter 'ngrams' must be None, a positive int or a sequence of "
        f"positive ints; got {ngrams!r}."
    )


def _with_ngrams(tokens: list[str], sizes: tuple[int, ...]) -> list[str]:
    if sizes == (1,):
        return tokens
    out: list[str] = []
    for n in sizes:
        if n == 1:
            out.extend(tokens)
        else:
            out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


@dataclass
class Tokens:
    """The tokens of a batch of documents, back to back.

    ``flat`` holds every token of one document, then of the next, and so on;
    when ``separated`` is true a :data:`SEPARATOR` token also sits between
    consecutive documents. ``rows[i]`` is the batch position of the i-th
    document in ``flat`` (None: batch order).
    """

    flat: list[str]
    n_docs: int
    separated: bool
    rows: np.ndarray | None = None
    known_lengths: np.ndarray | None = None

    def lengths(self) -> np.ndarray:
        """Real tokens per document, in ``flat`` order (int64)."""
        if self.known_lengths is None:
            marks = np.fromiter(map({SEPARATOR: 1}.get, self.flat, repeat(0)), dtype=np.int8,
                                count=len(self.flat))
            self.known_lengths = _between(np.flatnonzero(marks), len(self.flat))
        return self.known_lengths

    def counts(self) -> Counter:
        """How often each token occurs (separators not counted)."""
        counts = Counter(self.flat)
        if self.separated:
            counts.pop(SEPARATOR, None)
        return counts

    def ids_and_lengths(self, vocabulary: dict[str, int], oov: int):
        """Token ids in ``flat`` order without separators (int32), and lengths."""
        if not self.separated and len(self.flat) * _COPY_RATIO < len(vocabulary):
            # a few tokens (online prediction): looking each up costs less than
            # copying the vocabulary into a lookup that knows the OOV id
            get = vocabulary.get
            ids = np.fromiter((get(t, oov) for t in self.flat), dtype=np.int32,
                              count=len(self.flat))
            return ids, self.lengths()
        lookup = _Lookup(vocabulary)
        lookup.oov = oov
        if self.separated:
            lookup[SEPARATOR] = -1
        # dict.__getitem__ straight from C; only unknown tokens reach __missing__
        ids = np.fromiter(map(lookup.__getitem__, self.flat), dtype=np.int32,
                          count=len(self.flat))
        if not self.separated:
            return ids, self.lengths()
        at_separator = ids == -1
        lengths = _between(np.flatnonzero(at_separator), len(ids))
        return ids[~at_separator], lengths


# Fewer tokens than 1/_COPY_RATIO of the vocabulary are looked up one by one.
_COPY_RATIO = 16


class _Lookup(dict):
    """Token -> id, with the out-of-vocabulary id for anything else."""

    __slots__ = ("oov",)

    def __missing__(self, token):
        return self.oov


def _between(separators: np.ndarray, total: int) -> np.ndarray:
    """Number of items between consecutive separator positions."""
    return np.diff(np.concatenate(([-1], separators, [total]))) - 1


def tokenize(docs: list[str], standardize, split, ngrams, fast: bool | None = None) -> Tokens:
    """Tokenise a batch, on the fast path when it gives identical tokens.

    ``standardize``, ``split`` and ``ngrams`` are the raw parameter values of
    ``TextSequencer``. ``fast=None`` chooses; True/False force a path (the
    tests use this to compare them).
    """
    std = standardizer(standardize)
    cut = splitter(split)
    sizes = ngram_sizes(ngrams)
    eligible = (
        (standardize is None or isinstance(standardize, str))
        and cut is str.split
        and sizes == (1,)
    )
    if fast is None:
        fast = eligible and len(docs) >= FAST_MIN_DOCUMENTS
    if fast and eligible and docs:
        tokens = _tokenize_joined(docs, standardize)
        if tokens is not None:
            return tokens
    return _tokenize_each(docs, std, cut, sizes)


def _tokenize_each(docs, std, cut, sizes) -> Tokens:
    """The reference: one document at a time."""
    if std is not None:
        docs = map(std, docs)
    per_doc = [_with_ngrams(cut(d), sizes) for d in docs]
    lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
    flat = [t for tokens in per_doc for t in tokens]
    return Tokens(flat, len(per_doc), separated=False, known_lengths=lengths)


def _tokenize_joined(docs: list[str], standardize) -> Tokens | None:
    """ASCII documents and the others in two joined strings (ASCII is far cheaper)."""
    is_ascii = np.fromiter(map(str.isascii, docs), dtype=bool, count=len(docs))
    if is_ascii.all() or not is_ascii.any():
        flat = _split_joined(docs, standardize)
        return None if flat is None else Tokens(flat, len(docs), separated=True)
    rows = np.concatenate((np.flatnonzero(is_ascii), np.flatnonzero(~is_ascii)))
    first = _split_joined(list(compress(docs, is_ascii)), standardize)
    second = _split_joined(list(compress(docs, ~is_ascii)), standardize)
    if first is None or second is None:
        return None
    first.append(SEPARATOR)
    first.extend(second)
    return Tokens(first, len(docs), separated=True, rows=rows)


def _split_joined(docs: list[str], standardize) -> list[str] | None:
    joined = f" {SEPARATOR} ".join(docs)
    if joined.count(SEPARATOR) != len(docs) - 1:
        return None  # a document holds the separator itself
    if standardize is not None:
        joined = joined.lower()
        if standardize == "lower_and_strip_punctuation":
            joined = strip_punctuation(joined)
    return joined.split()


# Up to this many documents (online prediction) are padded one by one: fewer NumPy calls.
_FEW_DOCUMENTS = 8


def _pad_few(out, ids, lengths, padding, truncating):
    """:func:`pad`'s rows filled document by document, in batch order."""
    length, start = out.shape[1], 0
    for row, size in enumerate(lengths):
        kept = min(size, length)
        first = start + (size - kept if truncating == "pre" else 0)
        if kept:
            if padding == "pre":
                out[row, length - kept:] = ids[first:first + kept]
            else:
                out[row, :kept] = ids[first:first + kept]
        start += size
    return out


def pad(tokens: Tokens, vocabulary: dict[str, int], oov: int, length: int, padding: str,
        truncating: str) -> np.ndarray:
    """Ids of a batch as an ``(n_docs, length)`` int32 matrix, padded and truncated."""
    ids, lengths = tokens.ids_and_lengths(vocabulary, oov)
    n = len(lengths)
    out = np.zeros((n, length), dtype=np.int32)
    if tokens.rows is None and n <= _FEW_DOCUMENTS:
        return _pad_few(out, ids, lengths.tolist(), padding, truncating)
    kept = np.minimum(lengths, length)
    total = int(kept.sum())
    if total:
        starts = np.cumsum(lengths) - lengths
        if truncating == "pre":
            starts = starts + (lengths - kept)
        rows = np.repeat(np.arange(n), kept)
        cols = np.arange(total) - np.repeat(np.cumsum(kept) - kept, kept)
        source = np.repeat(starts, kept) + cols
        if padding == "pre":
            cols = cols + np.repeat(length - kept, kept)
        out[rows, cols] = ids[source]
    if tokens.rows is None:
        return out
    ordered = np.empty_like(out)
    ordered[tokens.rows] = out
    return ordered
