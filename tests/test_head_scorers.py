"""Per-head scorers: one result column per head in GridSearchCV and cross_validate, with
masked labels and sample weights (plain and through metadata routing)."""

import functools
import pickle

import conftest
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skmm
from skmm import TargetSplitter

make_est = functools.partial(conftest.make_est, epochs=2, optimizer__learning_rate=0.01)


@pytest.fixture
def masked(reviews):
    """The reviews with missing labels in each head (different rows)."""
    X, y = reviews
    y = y.copy()
    y.loc[y.index[::7], "rating"] = np.nan
    y.loc[y.index[3::11], "sentiment"] = None
    return X, y


def test_grid_search_has_a_column_per_head_and_refits_on_one(masked):
    X, y = masked
    search = GridSearchCV(make_est(), {"epochs": [1, 2]}, scoring=skmm.head_scorers(),
                          refit="rating", cv=KFold(2)).fit(X, y)
    results = search.cv_results_
    for head in ("sentiment", "rating"):
        assert np.isfinite(results[f"mean_test_{head}"]).all()
        assert f"rank_test_{head}" in results
    best = int(np.argmax(results["mean_test_rating"]))
    assert search.best_index_ == best
    assert search.best_score_ == pytest.approx(results["mean_test_rating"][best])
    # each fold's figure is the estimator's own per-head score of that fold (labels masked)
    est = clone(search.estimator).set_params(**search.best_params_)
    train, test = next(KFold(2).split(X))
    est.fit(X.iloc[train], y.iloc[train])
    expected = est.score_per_head(X.iloc[test], y.iloc[test])
    assert results["split0_test_rating"][best] == pytest.approx(expected["rating"])
    assert results["split0_test_sentiment"][best] == pytest.approx(expected["sentiment"])


def test_cross_validate_with_a_chosen_head(masked):
    X, y = masked
    result = cross_validate(make_est(), X, y, scoring=skmm.head_scorers(["rating"]),
                            cv=KFold(2), return_estimator=True)
    assert set(k for k in result if k.startswith("test_")) == {"test_rating"}
    est, (_, test) = result["estimator"][1], list(KFold(2).split(X))[1]
    assert result["test_rating"][1] == pytest.approx(
        est.score_per_head(X.iloc[test], y.iloc[test])["rating"])


# Older scikit-learn (1.6 at our floor) gives fit's sample_weight to the estimator only;
# newer releases also hand it to a scorer that accepts it (BaseSearchCV checks that first).
_SEARCH_WEIGHTS_SCORER = hasattr(GridSearchCV, "_check_scorers_accept_sample_weight")


def test_grid_search_passes_weights_to_the_scorer_without_routing(masked):
    X, y = masked
    weights = np.where(np.arange(len(y)) % 3 == 0, 3.0, 1.0)
    search = GridSearchCV(make_est(), {"epochs": [1]}, scoring=skmm.head_scorers(),
                          refit="sentiment", cv=KFold(2)).fit(X, y, sample_weight=weights)
    est = clone(search.estimator).set_params(epochs=1)
    train, test = next(KFold(2).split(X))
    est.fit(X.iloc[train], y.iloc[train], sample_weight=weights[train])
    weighted = est.score_per_head(X.iloc[test], y.iloc[test], sample_weight=weights[test])
    plain = est.score_per_head(X.iloc[test], y.iloc[test])
    assert weighted["rating"] != pytest.approx(plain["rating"])
    # where scikit-learn hands fit's weights to the scorer, the folds are scored weighted;
    # where it does not, unweighted (routing, the next test, works on both)
    expected = weighted if _SEARCH_WEIGHTS_SCORER else plain
    assert search.cv_results_["split0_test_rating"][0] == pytest.approx(expected["rating"])


def test_per_head_weights_reach_the_scorer_through_metadata_routing(masked):
    X, y = masked
    weights = pd.DataFrame({"sentiment": np.ones(len(y)),
                            "rating": np.where(np.arange(len(y)) % 2 == 0, 4.0, 1.0)},
                           index=y.index)
    with sklearn.config_context(enable_metadata_routing=True):
        est = make_est().set_fit_request(sample_weight=True).set_score_request(
            sample_weight=False)
        scorer = skmm.head_scorers().set_score_request(sample_weight=True)
        result = cross_validate(est, X, y, scoring=scorer, cv=KFold(2),
                                params={"sample_weight": weights}, return_estimator=True)
        _, test = list(KFold(2).split(X))[0]
        expected = result["estimator"][0].score_per_head(X.iloc[test], y.iloc[test],
                                                         sample_weight=weights.iloc[test])
        assert result["test_rating"][0] == pytest.approx(expected["rating"])
        assert result["test_sentiment"][0] == pytest.approx(expected["sentiment"])
        # a scorer that did not say whether it wants the weights is refused, as sklearn's are
        with pytest.raises(Exception, match="sample_weight"):
            cross_validate(est, X, y, scoring=skmm.head_scorers(), cv=KFold(2),
                           params={"sample_weight": weights})
    with pytest.raises(RuntimeError, match="metadata routing is enabled"):
        skmm.head_scorers().set_score_request(sample_weight=True)


def test_a_quantile_head_and_a_head_without_labels_in_a_fold(reviews):
    X, y = reviews
    y = y.copy()
    y.loc[y.index[:80], "rating"] = np.nan  # the first test fold has no rating at all
    est = make_est(targets=TargetSplitter(kinds={"rating": "quantile"}), epochs=1)
    result = cross_validate(est, X, y, scoring=skmm.head_scorers(), cv=KFold(3),
                            error_score="raise")
    assert np.isnan(result["test_rating"][0]) and np.isfinite(result["test_rating"][1:]).all()
    assert np.isfinite(result["test_sentiment"]).all()


def test_pipelines_unknown_heads_and_other_estimators(reviews):
    X, y = reviews
    pipe = make_pipeline(FunctionTransformer(), make_est(epochs=1)).fit(X, y)
    scorer = pickle.loads(pickle.dumps(skmm.head_scorers(["sentiment"])))
    assert set(scorer(pipe, X, y)) == {"sentiment"}
    with pytest.raises(ValueError, match=r"heads \['stars'\] that the estimator does not have"):
        skmm.head_scorers(["stars"])(pipe, X, y)
    with pytest.raises(ValueError, match="must be a list of head names"):
        skmm.head_scorers("rating")
    from sklearn.dummy import DummyRegressor

    with pytest.raises(TypeError, match="scores skmm estimators"):
        skmm.head_scorers()(DummyRegressor().fit(X[["price"]], y["rating"]), X, y)


def neg_mae(y_true, y_pred, sample_weight=None):
    return -mean_absolute_error(y_true, y_pred, sample_weight=sample_weight)


def test_a_metric_of_ones_own_per_head_sees_the_labelled_rows_and_weights(masked):
    X, y = masked
    est = make_est(epochs=1).fit(X, y)
    weights = np.linspace(0.5, 2.0, len(y))
    scores = skmm.head_scorers(metric={"rating": neg_mae})(est, X, y, sample_weight=weights)
    keep = y["rating"].notna().to_numpy()
    pred = est.predict(X)
    assert scores["rating"] == pytest.approx(neg_mae(
        y["rating"].to_numpy()[keep], pred["rating"].to_numpy()[keep], weights[keep]))
    default = est.score_per_head(X, y, sample_weight=weights)
    assert scores["sentiment"] == pytest.approx(default["sentiment"])
    # one metric for every head: accuracy's own function on the class head too
    both = skmm.head_scorers(metric=accuracy_or_neg_mae)(est, X, y)
    labelled = y["sentiment"].notna().to_numpy()
    assert both["sentiment"] == pytest.approx(np.mean(
        pred["sentiment"].to_numpy()[labelled] == y["sentiment"].to_numpy()[labelled]))
    with pytest.raises(ValueError, match=r"'metric' names heads \['stars'\]"):
        skmm.head_scorers(metric={"stars": neg_mae})(est, X, y)
    with pytest.raises(ValueError, match="metric must be a function"):
        skmm.head_scorers(metric="neg_mean_absolute_error")


def accuracy_or_neg_mae(y_true, y_pred, sample_weight=None):
    if np.asarray(y_true).dtype.kind in "fc":
        return neg_mae(y_true, y_pred, sample_weight)
    return float(np.average(np.asarray(y_true) == np.asarray(y_pred), weights=sample_weight))
