"""scikit-learn's own tools driving skmm on a text + numbers DataFrame (issue 14, item 2)."""

import numpy as np
import pandas as pd
import pytest
from conftest import review_router
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    KFold,
    TunedThresholdClassifierCV,
    cross_val_predict,
    learning_curve,
    validation_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_html_repr

from skmm import FunctionalClassifier, FunctionalEstimator, FunctionalRegressor

# each trains several small models (about 2 minutes in all): CI runs them on TensorFlow
pytestmark = pytest.mark.slow


def clf(**params):
    base = dict(router=review_router(), epochs=4, batch_size=16, random_state=0,
                optimizer__learning_rate=0.01)
    return FunctionalClassifier(**{**base, **params})


def tfidf_logistic():
    return make_pipeline(ColumnTransformer([("text", TfidfVectorizer(), "review")]),
                         LogisticRegression())


def test_probability_calibration(reviews):
    X, y = reviews
    calibrated = CalibratedClassifierCV(clf(), cv=2).fit(X, y["sentiment"])
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert calibrated.score(X, y["sentiment"]) > 0.9
    assert list(calibrated.classes_) == ["negative", "positive"]


@pytest.mark.parametrize("ensemble", ["stacking", "voting"])
def test_ensembles_mix_skmm_with_a_tfidf_pipeline(reviews, ensemble):
    X, y = reviews
    members = [("skmm", clf()), ("tfidf", tfidf_logistic())]
    if ensemble == "stacking":
        model = StackingClassifier(members, cv=2)
    else:
        model = VotingClassifier(members, voting="soft")
    model.fit(X, y["sentiment"])
    assert model.score(X, y["sentiment"]) > 0.9
    assert model.predict_proba(X.iloc[:3]).shape == (3, 2)


def test_target_transform_on_a_regression_head(reviews):
    X, y = reviews
    reg = TransformedTargetRegressor(
        FunctionalRegressor(router=review_router(), epochs=6, batch_size=16, random_state=0,
                            optimizer__learning_rate=0.01),
        func=np.log, inverse_func=np.exp)
    reg.fit(X, y["rating"])
    pred = reg.predict(X)
    assert pred.shape == (len(X),) and (pred > 0).all()
    assert reg.score(X, y["rating"]) > 0.5


def test_threshold_tuning_on_a_binary_head(reviews):
    X, y = reviews
    tuned = TunedThresholdClassifierCV(clf(), scoring="balanced_accuracy", cv=2,
                                       thresholds=5).fit(X, y["sentiment"])
    assert 0.0 < tuned.best_threshold_ < 1.0
    assert set(tuned.predict(X)) <= {"negative", "positive"}


def test_permutation_importance_per_column_text_included(reviews):
    X, y = reviews
    est = FunctionalEstimator(router=review_router(), epochs=6, batch_size=16, random_state=0,
                              optimizer__learning_rate=0.01).fit(X, y)
    result = permutation_importance(est, X, y, n_repeats=2, random_state=0)
    importance = pd.Series(result.importances_mean, index=X.columns)
    # the review decides the sentiment (half the score), the price moves the rating
    assert importance["review"] == importance.max() and importance["review"] > 0.2
    assert importance["price"] > importance["age"]


def test_successive_halving_over_epochs(reviews):
    X, y = reviews
    search = HalvingRandomSearchCV(clf(), {"batch_size": [16, 32]}, resource="epochs",
                                   min_resources=1, max_resources=4, factor=2, cv=2,
                                   random_state=0, n_candidates=2).fit(X, y["sentiment"])
    assert sorted(search.cv_results_["param_epochs"])[-1] >= 2
    assert search.best_estimator_.epochs >= 2


def test_learning_and_validation_curves_on_two_heads(reviews):
    X, y = reviews
    est = FunctionalEstimator(router=review_router(), epochs=2, random_state=0)
    sizes, train, test = learning_curve(est, X, y, train_sizes=[0.5, 1.0], cv=KFold(2))
    assert list(sizes) == [60, 120] and np.isfinite(test).all()
    train, test = validation_curve(est, X, y, param_name="batch_size", param_range=[16, 32],
                                   cv=KFold(2))
    assert train.shape == test.shape == (2, 2) and np.isfinite(test).all()


def test_cross_val_predict_probabilities(reviews):
    X, y = reviews
    proba = cross_val_predict(clf(), X, y["sentiment"], cv=2, method="predict_proba")
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba[:, 1] > 0.5) == (y["sentiment"] == "positive")).mean() > 0.9


def test_notebook_html_display_of_a_fitted_estimator(reviews):
    X, y = reviews
    html = estimator_html_repr(clf(epochs=1).fit(X, y["sentiment"]))
    assert "FunctionalClassifier" in html and "InputRouter" in html and "fitted" in html
