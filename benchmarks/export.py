"""Serving latency of ``skmm.export``'s SavedModel against ``est.predict``.

The default model (``model=None``, ``InputRouter.from_frame``: the tweets'
numbers with their quantile bins and the text with word pairs) is fitted on
real tweets with two heads (the source, a string class, and the log of the
favourites, a regression) and exported. In the same process, one row at a
time: ``est.predict`` on a one-row DataFrame (the anchor), and the loaded
SavedModel's ``serving_default`` fed that row (the raw columns as tensors,
conversion included, as a Python server would), called in turns so both meet
the same load. Medians of many calls; a 1,000-row batch for context.

    python benchmarks/export.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from _common import info_result, print_table, ratio_result, tweets, write_record


def interleaved(first, second, calls):
    """Median milliseconds of ``first(i)`` and ``second(i)``, called in turns."""
    import numpy as np

    times = np.empty((calls, 2))
    for i in range(calls):
        for j, fn in enumerate((first, second)):
            start = time.perf_counter_ns()
            fn(i)
            times[i, j] = (time.perf_counter_ns() - start) / 1e6
    return tuple(float(v) for v in np.median(times, axis=0))


def run(quick=False):
    import numpy as np
    import tensorflow as tf

    import skmm

    X, y = tweets(2000 if quick else 6000)
    est = skmm.FunctionalEstimator(router=skmm.InputRouter.from_frame(X), epochs=1,
                                   random_state=0, verbose=0).fit(X, y)
    path = os.path.join(tempfile.mkdtemp(prefix="skmm-bench-"), "1")
    signature = skmm.export(est, path)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    dtypes = {k: tf.string if d == "string" else tf.float64
              for k, d in signature.input_dtypes.items()}

    def feed(frame):
        return {key: tf.constant(frame[column].to_numpy(dtype=object).astype(str)
                                 if dtypes[key] == tf.string
                                 else frame[column].to_numpy(dtype=np.float64), dtypes[key])
                for column, key in signature.inputs.items()}

    rows = [X.iloc[[i]] for i in range(200)]
    for row in rows[:3]:  # both warm: traced, compiled
        est.predict(row)
        serve(**feed(row))
    calls = 100 if quick else 500
    # interleaved, call by call, so both sides meet the same load on a shared machine
    predict_ms, serve_ms = interleaved(
        lambda i: est.predict(rows[i % len(rows)]),
        lambda i: serve(**feed(rows[i % len(rows)])), calls)
    batch = X.iloc[:1000]
    est.predict(batch)
    serve(**feed(batch))
    batch_predict, batch_serve = interleaved(lambda i: est.predict(batch),
                                             lambda i: serve(**feed(batch)),
                                             10 if quick else 40)
    return [
        ratio_result("one row: SavedModel", "est.predict (one-row DataFrame)", predict_ms,
                     serve_ms, "ms", 1.0),
        info_result("1,000 rows: SavedModel", "est.predict (1,000-row DataFrame)",
                    batch_predict, batch_serve, "ms"),
    ], len(X)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results, n_rows = run(args.quick)
    print_table(results)
    write_record("export", {"train rows": n_rows,
                            "results": [{**r.__dict__, "ratio": r.ratio} for r in results]},
                 quick=args.quick)


if __name__ == "__main__":
    main()
