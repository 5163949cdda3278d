"""
Training on data read in chunks, never all in memory
====================================================

Training on data read in chunks, never all in memory: the two-pass pattern.

Pass 1 streams the CSV through ``InputRouter.partial_fit``: token counts,
document lengths and numeric moments accumulate chunk by chunk, and the
router ends up exactly as ``fit`` on the whole file would leave it (same
vocabulary, same sequence length). Wrapped in ``FrozenEstimator`` the router
is then used as it is by the estimator. Pass 2 streams the file again, as
many times as there are epochs, through ``FunctionalEstimator.partial_fit``
(one Keras epoch per chunk). The same works on a dask DataFrame, one
partition at a time (``for part in ddf.partitions: part.compute()``).

Here the "large" file is the real tweets table written to a temporary CSV.

.. code-block:: bash

    pip install -e ".[examples]" && python examples/out_of_core.py
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pandas as pd  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402

from skmm import FunctionalEstimator, InputRouter  # noqa: E402
from skmm.datasets import load_tweets  # noqa: E402

FEATURES = ["text", "year", "hour", "n_chars", "has_link"]
TARGETS = ["source", "log_favorites"]


def train_streaming(path, chunksize=2000, epochs=3):
    router = InputRouter.from_columns(numeric=["year", "hour", "n_chars", "has_link"],
                                      text=["text"])
    for chunk in pd.read_csv(path, chunksize=chunksize):  # pass 1: the router
        router.partial_fit(chunk[FEATURES])
    est = FunctionalEstimator(router=FrozenEstimator(router), random_state=0)
    for _ in range(epochs):  # pass 2: the model
        for chunk in pd.read_csv(path, chunksize=chunksize):
            est.partial_fit(chunk[FEATURES], chunk[TARGETS])
    return est


def figure(plot):
    """Draw ``plot(plt)`` when matplotlib is installed; the gallery shows it, a terminal run
    does not open a window."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # the plot extra is optional
        return
    plot(plt)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Training on data read in chunks.")
    parser.add_argument("--chunksize", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    X, y = load_tweets()
    rows = int(os.environ.get("SKMM_EXAMPLE_ROWS", 0)) or len(X)
    X, y = X.iloc[:rows], y.iloc[:rows]
    # a bare carriage return inside a quoted field ends the row for pandas' CSV reader
    X = X.assign(text=X["text"].str.replace("\r", " ", regex=False))
    test = X.sample(frac=0.2, random_state=0).index
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tweets.csv")
        X.drop(index=test).join(y).sample(frac=1.0, random_state=0).to_csv(path, index=False)
        est = train_streaming(path, args.chunksize, args.epochs)
    spec = est.router_.input_specs_["text"]
    print(f"router from chunks: vocabulary {spec.vocabulary_size}, "
          f"sequence length {spec.shape[0]}")
    print(f"trained on {len(est.history_)} chunks")
    for head, score in est.score_per_head(X.loc[test], y.loc[test]).items():
        print(f"{head}: held-out {'accuracy' if head == 'source' else 'R^2'} {score:.3f}")
    figure(lambda plt: est.plot_history(figsize=(9, 3)))


if __name__ == "__main__":
    main()
