"""
Which DataFrame columns each head relies on: permutation importance
===================================================================

scikit-learn's :func:`~sklearn.inspection.permutation_importance` shuffles one
column of the DataFrame at a time and measures how much a score drops. It
works on a skmm estimator unchanged, text columns included: shuffling the
``text`` column gives every row another tweet's words. With one scorer per
head, the importances come out per head, from the one two-head model.

Data: tweets (``dslabs/trump_tweets``). Heads: which app sent the tweet
(4 classes) and how many favourites it got (log scale).

.. code-block:: bash

    pip install -e ".[examples,plot]" && python examples/plot_permutation_importance.py
"""

# %%
# Fit one model for both heads
# ----------------------------
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skmm import FunctionalEstimator, InputRouter  # noqa: E402
from skmm.datasets import load_tweets  # noqa: E402

NUMERIC = ["year", "hour", "n_chars", "has_link"]
X, y = load_tweets()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
est = FunctionalEstimator(
    router=InputRouter.from_columns(numeric=NUMERIC, text=["text"]), random_state=0,
).fit(X_train, y_train)
print(est.score_per_head(X_test, y_test))

# %%
# One scorer per head
# -------------------
# A scorer is any ``(estimator, X, y) -> float``; each reads one head's score
# from :meth:`~skmm.FunctionalEstimator.score_per_head`.


def head_scorer(head):
    def score(estimator, X, y):
        return estimator.score_per_head(X, y)[head]
    return score


scoring = {head: head_scorer(head) for head in y.columns}
result = permutation_importance(est, X_test, y_test, scoring=scoring, n_repeats=3,
                                random_state=0)
importance = pd.DataFrame({head: result[head].importances_mean for head in scoring},
                          index=X_test.columns)
print(importance.round(3).to_string())

# %%
# The drop in each head's score when a column is shuffled
# -------------------------------------------------------
# One panel per head: accuracy and R² are different scales.
metrics = {"source": "accuracy", "log_favorites": "R²"}
fig, axes = plt.subplots(1, len(scoring), figsize=(9, 3.5), sharey=True)
for ax, head in zip(axes, scoring, strict=True):
    ax.barh(importance.index, importance[head], xerr=result[head].importances_std,
            color="C0" if head == "source" else "C1")
    ax.set_title(head)
    ax.set_xlabel(f"mean drop in held-out {metrics.get(head, 'score')}")
axes[0].set_ylabel("shuffled column")
axes[0].invert_yaxis()
fig.tight_layout()
plt.show()
