"""Metadata routing: sample weights (one vector, or one column per head) reach fit through
scikit-learn's meta-estimators and are cut by row like X."""

import functools

import conftest
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline

make_est = functools.partial(conftest.make_est, epochs=3, optimizer__learning_rate=0.01)


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def head_weights_frame(y, rating=1.0):
    return pd.DataFrame({"sentiment": np.ones(len(y)), "rating": np.full(len(y), rating)},
                        index=y.index)


def test_sample_weight_reaches_fit_through_pipeline(routing, reviews):
    X, y = reviews
    pipe = Pipeline([("model", make_est(epochs=1).set_fit_request(sample_weight=True))])
    # the weights arrive: an all-zero head is refused by fit itself
    with pytest.raises(ValueError, match=r"sample_weight\['rating'\] is zero"):
        pipe.fit(X, y, sample_weight=head_weights_frame(y, rating=0.0))
    pipe.fit(X, y, sample_weight=head_weights_frame(y))
    weighted = pipe.predict(X)
    plain = Pipeline([("model", make_est(epochs=1))]).fit(X, y).predict(X)
    pd.testing.assert_frame_equal(weighted, plain)  # weights of one change nothing


def test_per_head_weights_are_split_by_row_in_cross_validate(routing, reviews):
    X, y = reviews
    est = make_est(epochs=1).set_fit_request(sample_weight=True).set_score_request(
        sample_weight=False)
    weights = head_weights_frame(y)
    weights.loc[weights.index[:60], "rating"] = 0.0  # rows the rating head ignores
    result = cross_validate(est, X, y, params={"sample_weight": weights},
                            cv=KFold(2), return_estimator=True)
    assert np.isfinite(result["test_score"]).all()
    # the first fold trains on rows 120..239 only, where no weight is zero; the second
    # gets rows 0..119 with 60 zero weights: if the frame were not cut by row its
    # 240 values would not match the 120 rows and fit would refuse it
    with pytest.raises(ValueError, match=r"sample_weight\['rating'\] is zero"):
        cross_validate(est, X, y, params={"sample_weight": head_weights_frame(y, 0.0)},
                       cv=KFold(2), error_score="raise")


def test_one_d_sample_weight_through_grid_search(routing, reviews):
    X, y = reviews
    est = make_est(epochs=1).set_fit_request(sample_weight=True).set_score_request(
        sample_weight=True)
    weights = np.ones(len(y))
    search = GridSearchCV(est, {"batch_size": [16]}, cv=2, refit=False).fit(
        X, y, sample_weight=weights)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    with pytest.raises(ValueError, match="sample_weight is zero for every sample"):
        GridSearchCV(est, {"batch_size": [16]}, cv=2, error_score="raise").fit(
            X, y, sample_weight=np.zeros(len(y)))


def test_unrequested_weights_are_refused_under_routing(routing, reviews):
    X, y = reviews
    with pytest.raises(Exception, match="set_fit_request"):
        Pipeline([("model", make_est(epochs=1))]).fit(X, y, sample_weight=np.ones(len(y)))
