"""The prediction path: padded compiled batches, row chunks, XLA on TensorFlow."""

import copy
import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import float32_tolerance, review_router

import skmm
from skmm import FunctionalEstimator, _predict


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
    expected = fitted.model_.predict(fitted._wiring.model_x(arrays), verbose=0)
    # the default model's three members, each through its head's link, then their mean
    links = fitted._predictor.links
    expected = [links[h](out) if h in links else out
                for h, out in zip(fitted.output_order_, expected, strict=True)]
    assert all(out.ndim == 2 for out in expected)
    tolerance = float32_tolerance(rtol=1e-5, atol=1e-6)
    for rows in (slice(0, 1), slice(0, 3), slice(0, 100), slice(None)):
        raw = fitted._raw_predict(X.iloc[rows])
        for head, out in zip(fitted.output_order_, expected, strict=True):
            np.testing.assert_allclose(raw[head], out[rows], **tolerance)


def test_small_predict_batches_are_exercised(fitted, reviews, monkeypatch):
    X, _ = reviews
    whole = fitted.predict(X)
    monkeypatch.setattr(_predict, "PREDICT_BATCH", 7)  # 240 rows: 35 batches
    pd.testing.assert_frame_equal(fitted.predict(X), whole)


def test_chunked_predict_equals_one_pass(fitted, reviews, monkeypatch):
    X, y = reviews
    whole, proba, scores = fitted.predict(X), fitted.predict_proba(X), fitted.score_per_head(X, y)
    monkeypatch.setattr(_predict, "PREDICT_CHUNK", 50)
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


def test_same_rows_same_numbers_on_every_call_and_in_every_copy(fitted, reviews, tmp_path):
    """No hidden switch: the 1st and 1,000th call, and every copy, answer bit for bit alike."""
    X, _ = reviews
    rows = X.iloc[:5]
    first = fitted.predict(rows)
    first_proba = fitted.predict_proba(rows)["sentiment"]
    for _ in range(998):
        fitted.predict(X.iloc[:1])
    pd.testing.assert_frame_equal(fitted.predict(rows), first, check_exact=True)
    path = tmp_path / "est.skmm"
    skmm.save(fitted, path)
    copies = {"pickle": pickle.loads(pickle.dumps(fitted)), "deepcopy": copy.deepcopy(fitted),
              "skmm.load": skmm.load(path)}
    for how, again in copies.items():
        assert again._predictor.uses_xla == fitted._predictor.uses_xla, how
        pd.testing.assert_frame_equal(again.predict(rows), first, check_exact=True, obj=how)
        np.testing.assert_array_equal(again.predict_proba(rows)["sentiment"], first_proba)


def test_the_predict_path_is_decided_once_and_leaves_the_model_alone(reviews):
    X, y = reviews
    est = FunctionalEstimator(router=review_router(), epochs=1, random_state=0).fit(X, y)
    model = est.model_
    jit_before, function_before = model.jit_compile, model.predict_function
    predictor = est._predictor
    for _ in range(12):
        est.predict(X.iloc[:1])
    assert est._predictor is predictor  # made at the end of fit, never replaced
    assert model.jit_compile == jit_before
    on_tensorflow = keras.backend.backend() == "tensorflow"
    if on_tensorflow:  # the twin has its own predict function; the model keeps Keras'
        assert model.predict_function is function_before
    # TF: a twin, here (no recurrent layer) Keras' graph function; JAX compiles by itself
    assert predictor.uses_xla is False
    assert (predictor.runner is not model) is on_tensorflow
    recurrent = FunctionalEstimator(router=review_router(), epochs=1, random_state=0,
                                    model__text_encoder="gru").fit(X, y)
    assert recurrent._predictor.uses_xla is on_tensorflow  # TF: an XLA twin
    assert (recurrent._predictor.runner is not recurrent.model_) is on_tensorflow
    off = FunctionalEstimator(router=review_router(), epochs=1, random_state=0,
                              compile__jit_compile=False).fit(X, y)
    assert off._predictor.uses_xla is False and off._predictor.runner is off.model_


def test_xla_failure_before_any_answer_falls_back_for_good(fitted, reviews, monkeypatch):
    X, _ = reviews
    expected = fitted.predict(X.iloc[:4])
    predictor = _predict.Predictor(fitted.model_, fitted._wiring, fitted._predictor.links,
                                   xla=True)
    calls = {"n": 0}

    class Flaky:
        def predict_on_batch(self, x):
            calls["n"] += 1
            raise RuntimeError("XLA could not compile an op")

    predictor.runner, predictor.uses_xla = Flaky(), True
    monkeypatch.setattr(fitted, "_predictor", predictor)
    pd.testing.assert_frame_equal(fitted.predict(X.iloc[:4]), expected, rtol=1e-5)
    assert calls["n"] == 1 and predictor.runner is fitted.model_ and not predictor.uses_xla
    # once it has answered, an error is the user's to see: no switch in mid-life
    predictor.runner, predictor.uses_xla = Flaky(), True
    with pytest.raises(RuntimeError, match="XLA could not"):
        fitted.predict(X.iloc[:4])
