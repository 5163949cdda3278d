"""The TensorFlow side of :func:`skmm.export`: a fitted router, model and heads as one graph.

Everything here runs under the TensorFlow backend only (``skmm.export``
calls it in-process on TensorFlow and in a ``KERAS_BACKEND=tensorflow``
subprocess otherwise). It reads a :class:`skmm.export.ExportPlan`, plain data
with no scikit-learn object in it, and builds with TensorFlow ops alone, so
the SavedModel it writes loads and runs with TensorFlow and nothing else.

Text goes through the steps of :mod:`skmm._tokenize`'s reference path, with
the character sets read from the exporting Python (its ``str.isspace``, its
``unicodedata`` punctuation) written out as explicit RE2 classes, and the
code points whose lower case TensorFlow's ICU and Python's ``str.lower``
disagree on (:func:`lower_fixups`) lower-cased the Python way first.
"""

from __future__ import annotations

import functools
import sys

import tensorflow as tf

from ._tokenize import punctuation_table

# Every code point but the surrogates (which no valid UTF-8 string holds).
_CODE_POINTS = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]


def _ranges(code_points):
    """Sorted code points as (first, last) runs."""
    runs = []
    for cp in sorted(code_points):
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return runs


def _char_class(code_points) -> str:
    """An RE2 character class matching exactly these code points."""
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}"
             for a, b in _ranges(code_points)]
    return "[" + "".join(parts) + "]"


@functools.cache
def whitespace_class() -> str:
    """Python's ``str.split()`` separators (``str.isspace``), as an RE2 class.

    RE2's ``\\s`` is ASCII only; Python also splits on ``\\x1c``-``\\x1f``,
    ``\\x85``, ``\\xa0``, ``\\u2028``, ``\\u3000`` and the other Unicode spaces.
    """
    return _char_class(c for c in range(sys.maxunicode + 1) if chr(c).isspace())


@functools.cache
def punctuation_class() -> str:
    """The punctuation ``TextSequencer`` strips (:func:`skmm._tokenize.punctuation_table`)."""
    return _char_class(punctuation_table())


@functools.cache
def lower_fixups() -> tuple[dict[str, str], list[str]]:
    """Where ``tf.strings.lower`` and Python's ``str.lower`` differ, one code point at a time.

    Returns ``(fixups, unfixable)``: ``fixups`` maps each code point that
    Python lower-cases and TensorFlow's ICU leaves as it is (letters added to
    Unicode after the ICU that TensorFlow ships) to Python's lower case,
    which the graph substitutes before ``tf.strings.lower``; ``unfixable``
    lists the code points TensorFlow changes differently (none with
    TensorFlow 2.21 and Python 3.11-3.13).
    """
    # one string, one code point per line: each one's lower case is context free
    # (a lone capital sigma is not final), and the batch is one op
    chars = [chr(c) for c in _CODE_POINTS if c not in (0, 10)]
    with tf.init_scope():  # eagerly, also when first asked while tracing
        lowered = tf.strings.lower("\n".join(chars), encoding="utf-8").numpy().decode("utf-8")
    theirs = lowered.split("\n")
    fixups, unfixable = {}, []
    for char, their in zip(chars, theirs, strict=True):
        ours = char.lower()
        if ours != their:
            if their == char:
                fixups[char] = ours
            else:
                unfixable.append(char)
    return fixups, unfixable


def _lower(strings):
    fixups, _ = lower_fixups()
    if fixups:
        pattern = _char_class(ord(c) for c in fixups)

        def fix(s):
            for char, lower in fixups.items():
                s = tf.strings.regex_replace(s, _char_class([ord(char)]), lower)
            return s

        # the substitutions only run on a batch that holds one of those code points
        strings = tf.cond(
            tf.reduce_any(tf.strings.regex_full_match(strings, f"(?s).*{pattern}.*")),
            lambda: fix(strings), lambda: tf.identity(strings))
    def lower(s):
        return tf.strings.lower(s, encoding="utf-8")

    def lower_around_nul(s):
        # ICU's lower stops at a NUL; NUL is neither cased nor case-ignorable, so lowering
        # the pieces between NULs is lowering the whole (a final sigma stays final)
        # (a NUL separator is cut short too: each piece but a row's last gets it as data)
        pieces = tf.strings.split(s, sep="\x00")
        rows = pieces.value_rowids()
        last = tf.range(tf.size(pieces.flat_values, out_type=tf.int64)) == tf.gather(
            pieces.row_limits() - 1, rows)
        nul = tf.where(last, tf.constant(b""), tf.constant(b"\x00"))
        flat = tf.strings.join([lower(pieces.flat_values), nul])
        return tf.strings.reduce_join(pieces.with_flat_values(flat), axis=1)

    return tf.cond(tf.reduce_any(tf.strings.regex_full_match(strings, "(?s).*\\x00.*")),
                   lambda: lower_around_nul(strings), lambda: lower(strings))


def text_tokens(strings, step):
    """The tokens of each document (a ragged string tensor), as ``TextSequencer`` makes them."""
    if step["lower"]:
        strings = _lower(strings)
    if step["strip"]:
        strings = tf.strings.regex_replace(strings, punctuation_class(), "")
    space = whitespace_class()
    if step["whole"]:
        strings = tf.strings.regex_replace(strings, f"^{space}+|{space}+$", "")
        # one token per non-empty document, none for an empty one
        tokens = tf.ragged.boolean_mask(tf.expand_dims(strings, 1),
                                        tf.expand_dims(tf.strings.length(strings) > 0, 1))
    else:
        # every Python separator becomes a space; TF's whitespace split (ASCII) then
        # cuts there and drops empty pieces, as str.split() does
        strings = tf.strings.regex_replace(strings, space, " ")
        tokens = tf.strings.split(strings)
    sizes = step["ngrams"]
    if tuple(sizes) != (1,):
        tokens = tf.concat([tokens if n == 1 else _ngrams(tokens, n) for n in sizes], axis=1)
    return tokens


def _ngrams(tokens, n):
    """Each row's runs of ``n`` consecutive tokens, joined by a space (none in a shorter row).

    What ``tf.strings.ngrams`` does, from gathers and one ``StringJoin``: ops that
    TFLite's converter takes (with ``SELECT_TF_OPS``), where ``StringNGrams`` is not.
    """
    flat = tokens.flat_values
    rows = tokens.value_rowids()
    first = tf.range(tf.size(flat, out_type=tf.int64))
    keep = first + (n - 1) < tf.gather(tokens.row_limits(), rows)
    first = tf.boolean_mask(first, keep)
    joined = tf.strings.join([tf.gather(flat, first + k) for k in range(n)], separator=" ")
    return tf.RaggedTensor.from_value_rowids(joined, tf.boolean_mask(rows, keep),
                                             nrows=tokens.nrows())


def _pad(ids, length, padding, truncating):
    """Ragged ids as an ``(n, length)`` matrix, cut and padded on the sides asked."""
    lengths = ids.row_lengths()
    kept = tf.minimum(lengths, length)
    rows = ids.value_rowids()
    position = tf.range(tf.size(ids.flat_values, out_type=tf.int64)) - tf.gather(
        ids.row_starts(), rows)
    if truncating == "pre":  # the last `length` tokens stay
        position -= tf.gather(lengths - kept, rows)
    keep = (position >= 0) & (position < length)
    if padding == "pre":
        position += tf.gather(length - kept, rows)
    indices = tf.stack([rows, position], axis=1)
    n = tf.shape(lengths, out_type=tf.int64)[0]
    return tf.scatter_nd(tf.boolean_mask(indices, keep),
                         tf.boolean_mask(tf.cast(ids.flat_values, tf.int32), keep),
                         tf.stack([n, tf.constant(length, tf.int64)]))


class TextInput:
    """One ``TextSequencer``: documents -> ``(n, sequence_length)`` int32 ids."""

    def __init__(self, step):
        self.step = step
        self.table = None  # an empty vocabulary (fit on empty documents): every token is OOV
        if step["vocabulary"]:
            keys = tf.constant(list(step["vocabulary"]), dtype=tf.string)
            values = tf.constant(list(step["vocabulary"].values()), dtype=tf.int64)
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, values), default_value=step["oov"])

    def lookup(self, tokens):
        if self.table is None:
            return tf.fill(tf.shape(tokens, out_type=tf.int64),
                           tf.constant(self.step["oov"], tf.int64))
        return self.table.lookup(tokens)

    def __call__(self, strings):
        tokens = self.text_tokens(strings)
        ids = tf.ragged.map_flat_values(self.lookup, tokens)
        return _pad(ids, self.step["length"], self.step["padding"], self.step["truncating"])

    def text_tokens(self, strings):
        return text_tokens(strings, self.step)


def _numeric_step(x, step):
    """One fitted numeric step on a float64 ``(n, k)`` block."""
    kind = step["kind"]
    if kind == "impute":  # SimpleImputer: values, then the indicators of missing values
        gaps = tf.math.is_nan(x)
        filled = tf.where(gaps, tf.constant(step["statistics"], tf.float64), x)
        parts = [tf.gather(filled, step["kept"], axis=1)]
        if len(step["indicators"]):
            parts.append(tf.cast(tf.gather(gaps, step["indicators"], axis=1), tf.float64))
        return tf.concat(parts, axis=1)
    if kind == "scale":  # StandardScaler
        if step["mean"] is not None:
            x = x - tf.constant(step["mean"], tf.float64)
        if step["scale"] is not None:
            x = x / tf.constant(step["scale"], tf.float64)
        return x
    if kind == "bins":  # QuantileBins._transform_array
        indicators = None
        if step["medians"] is not None:
            gaps = tf.math.is_nan(x)
            x = tf.where(gaps, tf.constant(step["medians"], tf.float64), x)
            indicators = tf.cast(tf.gather(gaps, step["indicators"], axis=1), tf.float64)
        parts = [(x - tf.constant(step["mean"], tf.float64)) / tf.constant(step["scale"],
                                                                          tf.float64)]
        for j, edges in enumerate(step["edges"]):
            # searchsorted(side="right") is the number of edges at or below the value
            at_or_below = tf.constant(edges, tf.float64)[None, :] <= x[:, j:j + 1]
            index = tf.reduce_sum(tf.cast(at_or_below, tf.int32), axis=1)
            parts.append(tf.one_hot(index, len(edges) + 1, dtype=tf.float64))
        if indicators is not None:
            parts.append(indicators)
        return tf.concat(parts, axis=1)
    raise AssertionError(kind)  # the plan only holds the kinds above


def numeric_input(columns, inp):
    """A numeric block: float64 columns -> its steps -> float32, refusing NaN and infinity."""
    x = tf.stack(columns, axis=1)
    for step in inp.steps:
        x = _numeric_step(x, step)
    x = tf.cast(x, tf.float32)
    return tf.debugging.check_numerics(
        x, f"skmm export: numeric input {inp.name!r} (columns {inp.columns}) has NaN or "
           "infinite values where the router does not impute")


def decode_head(raw, head):
    """One head's model output -> ``{output key: tensor}`` (labels, probabilities, values)."""
    raw = tf.cast(raw, tf.float64)
    kind = head.kind
    if kind in ("binary", "multiclass", "multilabel-indicator") and head.logits:
        raw = tf.nn.softmax(raw, axis=-1) if kind == "multiclass" else tf.sigmoid(raw)
    if head.members:  # ensemble members: their probabilities or values, averaged
        raw = tf.reduce_mean(raw, axis=1)
    raw = tf.reshape(raw, [-1, head.n_outputs])
    if kind in ("binary", "multiclass", "multilabel-indicator"):
        if kind != "multilabel-indicator":
            classes = tf.constant(head.classes, dtype=head.label_dtype)
        if kind == "binary":
            p = raw[:, -1]
            label = tf.gather(classes, tf.cast(p > 0.5, tf.int32))
            proba = tf.stack([1.0 - p, p], axis=1)
        elif kind == "multiclass":
            label = tf.gather(classes, tf.argmax(raw, axis=1, output_type=tf.int32))
            proba = raw
        else:
            label = tf.cast(raw > 0.5, tf.int64)
            proba = raw
        return {head.key: label, head.proba_key: proba}
    values = raw
    if kind == "quantile":  # every level in y's units, sorted along the row; the median
        if head.mean is not None:
            values = values * tf.constant(head.scale, tf.float64) + tf.constant(head.mean,
                                                                               tf.float64)
        values = tf.sort(values, axis=1)
        return {head.key: values[:, head.median_index], head.quantiles_key: values}
    if kind == "count":
        if head.scale is not None:
            values = values * tf.constant(head.scale[0], tf.float64)
        return {head.key: tf.maximum(values[:, 0], 0.0)}
    if head.mean is not None:  # continuous: the standardisation undone
        values = values * tf.constant(head.scale, tf.float64) + tf.constant(head.mean,
                                                                           tf.float64)
    return {head.key: values[:, 0] if kind == "continuous" else values}


class ServingGraph:
    """The whole export: raw columns -> router -> model -> decoded heads."""

    def __init__(self, model, plan):
        self.model = model
        self.plan = plan
        self.texts = {inp.name: TextInput(inp.steps[0]) for inp in plan.inputs
                      if inp.kind == "tokens"}

    def signature(self):
        return [tf.TensorSpec([None], tf.string if c.dtype == "string" else tf.float64,
                              name=c.key) for c in self.plan.columns]

    def __call__(self, *tensors):
        plan = self.plan
        by_column = {c.column: t for c, t in zip(plan.columns, tensors, strict=True)}
        arrays = {}
        for inp in plan.inputs:
            if inp.kind == "tokens":
                arrays[inp.name] = self.texts[inp.name](by_column[inp.columns[0]])
            else:
                arrays[inp.name] = numeric_input([by_column[c] for c in inp.columns], inp)
        if plan.input_structure == "dict":
            x = {n: arrays[n] for n in plan.input_order}
        elif plan.input_structure == "list":
            x = [arrays[n] for n in plan.input_order]
        else:
            x = arrays[plan.input_order[0]]
        outputs = self.model(x, training=False)
        if isinstance(outputs, dict):
            raw = {h: outputs[h] for h in plan.output_order}
        else:
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            raw = dict(zip(plan.output_order, outputs, strict=True))
        result = {}
        for head in plan.heads:
            result.update(decode_head(raw[head.name], head))
        return result


class _Archive(tf.Module):
    """What the SavedModel holds: the model's variables, the vocabularies and two functions.

    A plain ``tf.Module`` rather than ``keras.export.ExportArchive``, whose API
    changed across the Keras versions skmm supports (how it tracks lookup
    tables, ``write_out``'s arguments); the Keras model is only called while
    tracing, so nothing Keras is saved but its variables.
    """

    def __init__(self, model, graph, description):
        super().__init__(name="skmm_export")
        self.model_variables = list(model.variables)
        self.tables = [text.table for text in graph.texts.values() if text.table is not None]
        self.serve = tf.function(graph.__call__, input_signature=graph.signature(),
                                 autograph=False)
        self.describe = tf.function(lambda: {"signature": tf.constant(description)},
                                    input_signature=[], autograph=False)


def write_saved_model(model, plan, path, description):
    """Write the SavedModel of ``plan`` around ``model`` (a Keras model on TensorFlow) to path."""
    archive = _Archive(model, ServingGraph(model, plan), description)
    tf.saved_model.save(archive, path, signatures={
        "serving_default": archive.serve.get_concrete_function(),
        "describe": archive.describe.get_concrete_function()})
