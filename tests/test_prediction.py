"""The prediction path: padded compiled batches, row chunks, XLA on TensorFlow."""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import float32_tolerance, review_router

from skmm import FunctionalEstimator, _predict
from skmm import estimators as estimators_module


@pytest.fixture(scope="module")
def fitted(reviews):
    X, y = reviews
    return FunctionalEstimator(router=review_router(), epochs=2, batch_size=16,
                               random_state=0).fit(X, y)


def test_padded_rows_are_powers_of_two_up_to_the_batch():
    assert [_predict.padded_rows(n, 1024) for n in (1, 2, 3, 5, 64, 65, 1000, 1024)] == [
        1, 2, 4, 8, 64, 128, 1024, 1024]
    assert _predict.padded_rows(7, 4) == 7  # a batch larger than batch_size is not cut


def test_batches_match_keras_predict(fitted, reviews):
    X, _ = reviews
    arrays = fitted.router_.transform(X)
    expected = fitted.model_.predict(fitted._model_x(arrays), verbose=0)
    tolerance = float32_tolerance(rtol=1e-5, atol=1e-6)
    for rows in (slice(0, 1), slice(0, 3), slice(0, 100), slice(None)):
        raw = fitted._raw_predict(X.iloc[rows])
        for head, out in zip(fitted.output_order_, expected, strict=True):
            np.testing.assert_allclose(raw[head], out[rows], **tolerance)


def test_small_predict_batches_are_exercised(fitted, reviews, monkeypatch):
    X, _ = reviews
    whole = fitted.predict(X)
    monkeypatch.setattr(estimators_module, "_PREDICT_BATCH", 7)  # 240 rows: 35 batches
    pd.testing.assert_frame_equal(fitted.predict(X), whole)


def test_chunked_predict_equals_one_pass(fitted, reviews, monkeypatch):
    X, y = reviews
    whole, proba, scores = fitted.predict(X), fitted.predict_proba(X), fitted.score_per_head(X, y)
    monkeypatch.setattr(estimators_module, "_PREDICT_CHUNK", 50)
    # chunks of 50 rows run in batches of 64, not 256; on CPUs each comparison keeps its
    # usual tolerance (pandas' float default, rtol=1e-6, pytest.approx's default)
    frames = float32_tolerance(rtol=1e-5, atol=1e-8)
    chunked = fitted.predict(X)
    pd.testing.assert_frame_equal(chunked, whole, check_exact=False, **frames)
    assert chunked.index.equals(X.index)
    chunked_proba = fitted.predict_proba(X)
    for head in proba:
        np.testing.assert_allclose(chunked_proba[head], proba[head],
                                   **float32_tolerance(rtol=1e-6))
    scores_tolerance = float32_tolerance(rtol=1e-6, atol=1e-12)
    assert fitted.score_per_head(X, y) == pytest.approx(scores, rel=scores_tolerance["rtol"],
                                                         abs=scores_tolerance["atol"])
    # dict-of-arrays X is cut the same way
    arrays = fitted.router_.transform(X)
    pd.testing.assert_frame_equal(fitted.predict(arrays).set_index(X.index), whole,
                                  check_exact=False, **frames)


def test_predict_leaves_the_estimator_state_alone(fitted, reviews):
    X, _ = reviews
    before = dict(fitted.__dict__)
    fitted.predict(X.iloc[:2])
    assert set(fitted.__dict__) == set(before)


def test_pickled_estimator_rebuilds_its_predict_function(fitted, reviews):
    X, _ = reviews
    again = pickle.loads(pickle.dumps(fitted))
    assert again.model_ not in _predict._CALLS  # nothing compiled travels in the pickle
    for _ in range(_predict.XLA_AFTER_CALLS + 1):
        pd.testing.assert_frame_equal(again.predict(X.iloc[:5]), fitted.predict(X.iloc[:5]),
                                      rtol=1e-5)
    assert again.model_ in _predict._XLA


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="XLA switch is for TF")
def test_tensorflow_predicts_under_xla_unless_the_user_chose(reviews):
    X, y = reviews
    est = FunctionalEstimator(router=review_router(), epochs=1, random_state=0).fit(X, y)
    for _ in range(_predict.XLA_AFTER_CALLS):
        est.predict(X.iloc[:1])
    assert est.model_ not in _predict._XLA  # a model that predicts a few times: no compile
    est.predict(X.iloc[:1])
    assert _predict._XLA[est.model_] is True
    assert est.model_.jit_compile is False  # training keeps Keras' own choice
    off = FunctionalEstimator(router=review_router(), epochs=1, random_state=0,
                              compile__jit_compile=False).fit(X, y)
    off.predict(X.iloc[:1])
    assert _predict._XLA[off.model_] is False


def test_xla_failure_falls_back_to_keras_predict(fitted, reviews, monkeypatch):
    X, _ = reviews
    expected = fitted.predict(X.iloc[:4])
    model = fitted.model_
    calls = {"n": 0}
    original = type(model).predict_on_batch

    def flaky(self, x):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("XLA could not compile an op")
        return original(self, x)

    monkeypatch.setitem(_predict._XLA, model, True)
    monkeypatch.setattr(type(model), "predict_on_batch", flaky)
    pd.testing.assert_frame_equal(fitted.predict(X.iloc[:4]), expected, rtol=1e-5)
    assert _predict._XLA[model] is False and calls["n"] == 2
    monkeypatch.setitem(_predict._XLA, model, False)
    calls["n"] = 0
    with pytest.raises(RuntimeError, match="XLA could not"):
        fitted.predict(X.iloc[:4])  # without XLA in play, an error is the user's to see
