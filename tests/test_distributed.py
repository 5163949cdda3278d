"""skmm estimators in a grid search on a Dask cluster (joblib's dask backend)."""

import os

import numpy as np
import pytest
from conftest import review_router

distributed = pytest.importorskip("distributed", reason="dask is an optional extra (CI has it)")

from sklearn.model_selection import GridSearchCV, KFold  # noqa: E402

from skmm import FunctionalEstimator  # noqa: E402


def search(X, y, n_jobs):
    est = FunctionalEstimator(router=review_router(), epochs=2, random_state=0)
    grid = {"model__hidden_units": [(8,), (16,)]}
    return GridSearchCV(est, grid, cv=KFold(2), n_jobs=n_jobs, refit=False).fit(X, y)


@pytest.mark.slow
@pytest.mark.dask
def test_grid_search_on_a_local_cluster_matches_one_process(reviews):
    import joblib

    X, y = reviews
    here = search(X, y, n_jobs=1)
    # the workers are new processes: they must use this session's Keras backend, and
    # the same math threads (Dask's nanny sets OMP_NUM_THREADS=1 for its workers, and
    # oneDNN kernels then sum in another order than here)
    threads = {k: os.environ.get(k, str(os.cpu_count()))
               for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env = {"KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
           "TF_CPP_MIN_LOG_LEVEL": "3", **threads}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  env=env) as cluster, distributed.Client(cluster) as client:
        with joblib.parallel_config(backend="dask"):
            there = search(X, y, n_jobs=-1)
        ran_on = client.run(lambda: os.getpid())
    assert len(ran_on) == 2 and os.getpid() not in ran_on.values()
    assert len(there.cv_results_["params"]) == 2
    assert there.cv_results_["params"] == here.cv_results_["params"]
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_allclose(there.cv_results_[key], here.cv_results_[key], rtol=1e-6)
    np.testing.assert_array_equal(there.cv_results_["rank_test_score"],
                                  here.cv_results_["rank_test_score"])
