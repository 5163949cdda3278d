"""
A grid search spread over a Dask cluster
========================================

A skmm grid search spread over a Dask cluster, unchanged.

scikit-learn's searches run their fits through joblib; with
``joblib.parallel_config(backend="dask")`` those fits go to the workers of a
``distributed`` cluster. Nothing about the estimator changes: each worker
gets a pickled copy (the Keras model travels as ``.keras`` bytes) and sends
its scores back. Seeded estimators give the same ``cv_results_`` as the same
search run in this process.

Here a ``LocalCluster`` of 2 worker processes on loopback stands in for a
real cluster. To use one, start a scheduler and workers (``dask scheduler``
and ``dask worker tcp://<scheduler>:8786`` on each machine, with skmm
installed there) and pass its address instead:

.. code-block:: bash

    python examples/distributed_search.py --scheduler tcp://10.0.0.5:8786

    pip install -e ".[examples,distributed]" && python examples/distributed_search.py
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def search(X, y, n_jobs=-1):
    """A 4-candidate x 2-fold search over a seeded skmm estimator."""
    from sklearn.model_selection import GridSearchCV, KFold

    from skmm import FunctionalEstimator, InputRouter

    est = FunctionalEstimator(
        router=InputRouter.from_columns(numeric=["year", "hour", "n_chars", "has_link"],
                                        text=["text"]),
        epochs=2, random_state=0,
    )
    grid = {"batch_size": [32, 128], "model__hidden_units": [(32,), (64,)]}
    return GridSearchCV(est, grid, cv=KFold(2), n_jobs=n_jobs).fit(X, y)


def figure(plot):
    """Draw ``plot(plt)`` when matplotlib is installed; the gallery shows it, a terminal run
    does not open a window."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # the plot extra is optional
        return
    plot(plt)


def main(argv=None):
    parser = argparse.ArgumentParser(description="A grid search spread over a Dask cluster.")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler "
                                            "(default: start a local 2-worker cluster)")
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args(argv)

    import joblib
    from distributed import Client, LocalCluster

    from skmm.datasets import load_tweets

    X, y = load_tweets()
    X = X.sample(min(args.rows, len(X)), random_state=0)  # SKMM_EXAMPLE_ROWS may give fewer
    y = y.loc[X.index]

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address=None))
    print(f"Dask cluster: {client.scheduler_info()['address']}, "
          f"{len(client.scheduler_info()['workers'])} workers")
    with joblib.parallel_config(backend="dask"):
        result = search(X, y)
    client.close()
    table = result.cv_results_
    for params, score in zip(table["params"], table["mean_test_score"], strict=True):
        print(f"{params}: mean score {score:.3f}")
    print(f"best: {result.best_params_}")
    figure(lambda plt: plot_search(plt, table))


def plot_search(plt, table):
    """Mean cross-validated score of each candidate, with its spread over the folds."""
    labels = [", ".join(f"{k.split('__')[-1]}={v}" for k, v in p.items())
              for p in table["params"]]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.barh(labels, table["mean_test_score"], xerr=table["std_test_score"], color="C0")
    ax.set_xlabel("mean cross-validated score (mean of the heads)")
    ax.set_ylabel("candidate")
    fig.tight_layout()


if __name__ == "__main__":
    main()
