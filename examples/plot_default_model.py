"""
The default model against a linear model and gradient boosting
===============================================================

skmm's default network (``model=None``) trained once for two heads of
different kinds, on FAA wildlife-strike reports (``openintro/birds``): the
reporter's free-text remarks, four categorical columns and three numbers
with gaps. The heads are whether the strike changed the flight (binary) and
the log height of the strike (regression, missing for 17% of the reports:
skmm masks those labels for that head only).

Each head is compared on held-out rows with two scikit-learn pipelines
trained for that head alone: a linear model on TF-IDF, one-hot categories
and scaled numbers, and histogram gradient boosting on TF-IDF reduced by
SVD, ordinal categories and the raw numbers. ``benchmarks/quality.py``
runs the same comparison on three datasets and several seeds.

.. code-block:: bash

    pip install -e ".[examples,plot]" && python examples/plot_default_model.py
"""

# %%
# Load the data and split it
# --------------------------
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler  # noqa: E402

from skmm import EpochLog, FunctionalEstimator, InputRouter  # noqa: E402
from skmm.datasets import load_birds  # noqa: E402

TEXT, CATEGORIES, NUMBERS = "remarks", ["phase_of_flt", "time_of_day", "sky", "operator"], [
    "ac_mass", "num_engs", "speed"]

X, y = load_birds()
X[[TEXT, *CATEGORIES]] = X[[TEXT, *CATEGORIES]].fillna("")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
print(f"{len(X_train)} training reports, {len(X_test)} held out")
print(y_train.isna().mean().rename("share of missing labels").to_string())

# %%
# One skmm model for both heads
# -----------------------------
# :class:`skmm.EpochLog` prints one line per epoch with each head's
# validation metric. Early stopping holds out 10% of the training rows, stops
# when their loss no longer improves, and then averages the weights from the
# epoch before the best one to the last (:doc:`/guide/default_model`).
est = FunctionalEstimator(
    router=InputRouter.from_columns(numeric=NUMBERS, text=[TEXT], categorical=CATEGORIES,
                                    impute=True),
    random_state=0,
    callbacks=[EpochLog()],
)
start = time.perf_counter()
est.fit(X_train, y_train)
skmm_seconds = time.perf_counter() - start
scores = {"skmm": est.score_per_head(X_test, y_test)}

# %%
# The training curves, one panel per head
# ---------------------------------------
fig = est.plot_history(figsize=(9, 3))
plt.show()

# %%
# The baselines, one pipeline per head
# ------------------------------------
# Each baseline sees only the rows whose label is known for its head.


def linear(is_class):
    features = ColumnTransformer([
        ("text", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), TEXT),
        ("categories", OneHotEncoder(handle_unknown="ignore", min_frequency=5), CATEGORIES),
        ("numbers", make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()),
         NUMBERS),
    ])
    return make_pipeline(features, LogisticRegression(max_iter=3000) if is_class else Ridge())


def boosting(is_class):
    features = ColumnTransformer([
        ("text", make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                               TruncatedSVD(50, random_state=0)), TEXT),
        ("categories", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
         CATEGORIES),
        ("numbers", "passthrough", NUMBERS),
    ])
    model = HistGradientBoostingClassifier if is_class else HistGradientBoostingRegressor
    return make_pipeline(features, model(random_state=0))


seconds = {"skmm": skmm_seconds, "linear": 0.0, "boosting": 0.0}
for name, make in (("linear", linear), ("boosting", boosting)):
    scores[name] = {}
    for head, spec in est.targets_.heads_.items():
        train, test = y_train[head].notna(), y_test[head].notna()
        start = time.perf_counter()
        model = make(spec.is_classification).fit(X_train[train], y_train.loc[train, head])
        seconds[name] += time.perf_counter() - start
        scores[name][head] = model.score(X_test[test], y_test.loc[test, head])

table = pd.DataFrame(scores)
table.loc["fit seconds (both heads)"] = seconds
print(table.round(3).to_string())

# %%
# Per-head scores against the baselines
# -------------------------------------
# Accuracy for ``had_effect``, R² for ``log_height``: one panel per metric.
heads = list(est.targets_.heads_)
names = ["skmm", "linear", "boosting"]
fig, axes = plt.subplots(1, len(heads), figsize=(8, 3.2))
for ax, head in zip(axes, heads, strict=True):
    values = [scores[name][head] for name in names]
    bars = ax.bar(names, values, color=["C0", "C1", "C2"])
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
    is_class = est.targets_.heads_[head].is_classification
    ax.set_ylabel("held-out accuracy" if is_class else "held-out R²")
    ax.set_title(head)
    low = min(values)
    ax.set_ylim(low - 0.1 if low < 0 else max(0.0, low - 0.1), max(values) + 0.05)
fig.tight_layout()
plt.show()
