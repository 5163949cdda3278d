"""Interval coverage: how often a quantile head's 90% interval holds the truth.

For each dataset of ``benchmarks/quality.py`` (real data that the
``examples`` extra installs), its first regression head is made a quantile
head (``TargetSplitter(kinds={head: "quantile"})``, levels 0.05, 0.5,
0.95) beside the other heads, in one default ``FunctionalEstimator``. A
random sample of rows is split 60/20/20 into training, calibration and test
rows; on the test rows with a label:

- ``raw``: the share inside the head's own [q0.05, q0.95] interval, and its
  mean width;
- ``conformal``: the same after :class:`skmm.conformal.ConformalIntervals`
  (split-conformal quantile regression) calibrated on the calibration rows;
- ``D2 pinball``: the median's D^2 pinball score (the head's ``score``).

The goal is 88-92% coverage. Figures are means over ``--seeds`` seeds (the
split and the estimator's ``random_state``).

    python benchmarks/coverage.py [--quick] [--rows 6000] [--seeds 2] [--datasets tweets]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import write_record  # noqa: E402
from quality import DATASETS  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skmm import FunctionalEstimator, InputRouter, TargetSplitter  # noqa: E402
from skmm.conformal import ConformalIntervals  # noqa: E402

COVERAGE = 0.9


def run_dataset(name, spec, rows, seed):
    """One seed on one dataset: a dict of the table's figures."""
    X, y = spec["load"]()
    head = next(c for c in y.columns if pd.api.types.is_float_dtype(y[c]))
    if rows < len(X):
        X = X.sample(rows, random_state=seed)
        y = y.loc[X.index]
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.4, random_state=seed)
    X_cal, X_test, y_cal, y_test = train_test_split(X_rest, y_rest, test_size=0.5,
                                                    random_state=seed)
    est = FunctionalEstimator(
        router=InputRouter.from_columns(numeric=spec["numeric"], text=spec["text"],
                                        categorical=spec["categorical"], impute=True),
        targets=TargetSplitter(kinds={head: "quantile"}, quantiles=(0.05, 0.5, 0.95)),
        random_state=seed,
    )
    start = time.perf_counter()
    est.fit(X_train, y_train)
    took = time.perf_counter() - start
    labelled = y_test[head].notna().to_numpy()
    truth = y_test[head].to_numpy()[labelled]
    q = est.predict_quantiles(X_test)
    lower = q[f"{head}_q0.05"].to_numpy()[labelled]
    upper = q[f"{head}_q0.95"].to_numpy()[labelled]
    conformal = ConformalIntervals(est, coverage=COVERAGE).fit(X_cal, y_cal)
    bounds = conformal.predict_interval(X_test)[head][labelled]
    return {
        "dataset": name, "head": head, "train rows": len(X_train),
        "calibration rows": conformal.n_calibration_[head], "test rows": int(labelled.sum()),
        "raw coverage": float(np.mean((lower <= truth) & (truth <= upper))),
        "raw width": float(np.mean(upper - lower)),
        "conformal coverage": float(np.mean((bounds[:, 0] <= truth) & (truth <= bounds[:, 1]))),
        "conformal width": float(np.mean(bounds[:, 1] - bounds[:, 0])),
        "D2 pinball": est.score_per_head(X_test, y_test)[head],
        "epochs": len(est.history_), "fit s": took,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3,000 rows per dataset, one seed (a few minutes on 2 cores)")
    parser.add_argument("--rows", type=int, default=None,
                        help="rows sampled per dataset (default 3,000 with --quick, else 10,000)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds (default 1 with --quick, "
                        "else 3)")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    args = parser.parse_args(argv)
    rows = args.rows or (3000 if args.quick else 10000)
    seeds = list(range(args.seeds or (1 if args.quick else 3)))
    results = []
    for name in args.datasets:
        per_seed = [run_dataset(name, DATASETS[name], rows, seed) for seed in seeds]
        mean = {k: v if isinstance(v, str) else np.mean([r[k] for r in per_seed])
                for k, v in per_seed[0].items()}
        mean.update({k: round(float(mean[k])) for k in ("train rows", "calibration rows",
                                                        "test rows", "epochs")})
        print(f"{name}: raw {mean['raw coverage']:.3f}, conformal "
              f"{mean['conformal coverage']:.3f}", flush=True)
        results.append(mean)
    table = pd.DataFrame(results)
    print(f"\n90% intervals (levels 0.05-0.95), {len(seeds)} seed(s), {rows} rows per dataset "
          "(60/20/20 train/calibration/test); goal: coverage 0.88-0.92")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.datasets == list(DATASETS):
        write_record("coverage", {"coverage": COVERAGE, "rows_per_dataset": rows,
                                  "seeds": len(seeds), "rows": results}, quick=args.quick)
    return table


if __name__ == "__main__":
    main()
