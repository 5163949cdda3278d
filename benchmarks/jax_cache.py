"""JAX only: what JAX's persistent compilation cache saves a cross-validation.

On JAX every new Keras model compiles its train step (and its evaluate and
predict steps) with XLA, once per batch shape, even when an identical model
was compiled a moment before: a cross-validation or grid search pays that for
every fold. JAX's persistent compilation cache keys the compiled programs by
their content, so a fold whose model has the same shapes as an earlier one
loads them instead. Each figure is a child process timing the same
``cross_val_score(cv=3)`` of skmm's default model on real tweets (imports are
not timed), without the cache (the anchor) and with ``JAX_COMPILATION_CACHE_DIR``
set to a new, empty folder (and ``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0``:
by default only programs that took a second or more to compile are kept, and
the many smaller ones of a Keras fit add up to seconds too):

* the defaults: each fold learns its vocabulary size, sequence length and
  quantile bins, so its model's shapes mostly differ from the other folds';
* shapes fixed (``max_tokens=2000`` reached in every fold,
  ``sequence_length=48``, and no quantile bins, whose count depends on the
  data): only the first fold compiles;
* for context: the defaults again with the folder already filled, as when a
  search is run a second time.

    python benchmarks/jax_cache.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import tempfile

from _common import child_result, info_result, print_table, write_record

_HERE = os.path.dirname(os.path.abspath(__file__))

_CHILD = """
import json, sys, time
sys.path.insert(0, {here!r})
from _common import tweets
from sklearn.model_selection import cross_val_score
from skmm import FunctionalEstimator, InputRouter
X, y = tweets({rows})
router = InputRouter.from_columns(numeric=["year", "hour", "n_chars", "has_link"],
                                  text=["text"], bins=None if {fixed} else 32)
est = FunctionalEstimator(router=router, epochs={epochs}, random_state=0)
if {fixed}:
    est.set_params(router__text__max_tokens=2000, router__text__sequence_length=48)
start = time.perf_counter()
cross_val_score(est, X, y, cv=3)
print("RESULT " + json.dumps(time.perf_counter() - start))
"""


def timed_child(rows, epochs, cache_dir, fixed=False):
    env = dict(os.environ, KERAS_BACKEND="jax")
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    if cache_dir is not None:
        env["JAX_COMPILATION_CACHE_DIR"] = cache_dir
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    return child_result(_CHILD.format(here=_HERE, rows=rows, epochs=epochs, fixed=fixed), env)


def run(quick=False):
    rows, epochs = (1500, 1) if quick else (3000, 2)
    anchor = "same, JAX without the cache"
    results = []
    for fixed, goal in ((False, f"3-fold CV, {rows} rows, defaults"),
                        (True, f"3-fold CV, {rows} rows, shapes fixed")):
        no_cache = timed_child(rows, epochs, None, fixed)
        with tempfile.TemporaryDirectory() as folder:
            results.append(info_result(goal, anchor, no_cache,
                                       timed_child(rows, epochs, folder, fixed), "s"))
            if not fixed:  # the same search again, its programs already in the folder
                results.append(info_result("defaults, cache already filled", anchor, no_cache,
                                           timed_child(rows, epochs, folder, fixed), "s"))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and epochs")
    args = parser.parse_args(argv)
    results = run(args.quick)
    print_table(results)
    write_record("jax_cache", {"results": [{**r.__dict__, "ratio": r.ratio} for r in results]},
                 quick=args.quick)


if __name__ == "__main__":
    main()
