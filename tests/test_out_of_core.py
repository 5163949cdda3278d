"""Out-of-core training: a router fitted chunk by chunk, frozen, then partial_fit."""

import numpy as np
import pandas as pd
import pytest
from conftest import make_reviews, review_router
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator

from skmm import FunctionalEstimator


def chunks(X, y, size):
    for start in range(0, len(X), size):
        yield X.iloc[start:start + size], y.iloc[start:start + size]


def test_two_pass_streaming_matches_the_router_fitted_at_once(tmp_path):
    X, y = make_reviews(n=400, seed=4)
    path = tmp_path / "reviews.csv"
    X.join(y).to_csv(path, index=False)

    router = review_router()
    for chunk in pd.read_csv(path, chunksize=64):  # pass 1: the router
        router.partial_fit(chunk[X.columns])
    whole = clone(review_router()).fit(X)
    assert router.input_specs_ == whole.input_specs_

    frozen = FrozenEstimator(router)
    est = FunctionalEstimator(router=frozen, random_state=0, optimizer__learning_rate=0.01)
    for _ in range(3):  # pass 2: the model, three epochs of chunks
        for chunk in pd.read_csv(path, chunksize=64):
            est.partial_fit(chunk[X.columns], chunk[y.columns])
    assert est.router_ is router  # used as it was, never refitted
    assert len(est.history_) == 3 * 7
    vocabulary = dict(router.named_transformers_["review"].vocabulary_)
    scores = est.score_per_head(X, y)
    assert scores["sentiment"] > 0.8, scores  # the words decide the sentiment
    assert router.named_transformers_["review"].vocabulary_ == vocabulary


def test_frozen_router_must_be_fitted_and_a_router(reviews):
    X, y = reviews
    with pytest.raises(Exception, match="not fitted"):
        FunctionalEstimator(router=FrozenEstimator(review_router()), epochs=1).fit(X, y)
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X[["price", "age"]])
    with pytest.raises(ValueError, match="FrozenEstimator around a StandardScaler"):
        FunctionalEstimator(router=FrozenEstimator(scaler), epochs=1).fit(X, y)


def test_frozen_router_in_grid_search(reviews):
    from sklearn.model_selection import GridSearchCV

    X, y = reviews
    router = FrozenEstimator(review_router().fit(X))
    search = GridSearchCV(FunctionalEstimator(router=router, epochs=2, random_state=0),
                          {"batch_size": [32]}, cv=2).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.router_ is router.estimator


def test_embedding_is_sized_by_the_vocabulary_not_by_the_ids_in_the_batch(reviews):
    X, y = reviews
    router = review_router().fit(X)
    vocabulary = router.input_specs_["review"].vocabulary_size
    est = FunctionalEstimator(router=FrozenEstimator(router), epochs=1, random_state=0)
    ids = router.transform(X)["review"]
    rare = ids.max(axis=1) >= vocabulary - 1  # rows holding the rarest word
    rows = np.concatenate([np.flatnonzero(~rare & (y["sentiment"] == label).to_numpy())[:3]
                           for label in ("positive", "negative")])
    assert len(rows) == 6
    est.partial_fit(X.iloc[rows], y.iloc[rows])
    assert est.input_specs_["review"].vocabulary_size == vocabulary
    est.partial_fit(X, y)  # every word, every id: no out-of-range lookups
    assert len(est.predict(X)) == len(X)
