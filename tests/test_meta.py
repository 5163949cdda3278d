"""ModelMeta and output names: any y column name trains, and every per-head parameter and
result keeps y's names, whatever Keras allows as a layer name."""

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import review_router

from skmm import FunctionalEstimator, TargetSplitter
from skmm.meta import ModelMeta, layer_name
from skmm.specs import HeadSpec, InputSpec

# names Keras refuses, names with spaces and unicode, and names an input or a layer has
ODD = {"sentiment": "review", "rating": "price/sqft €"}


def test_layer_names_are_keras_safe_and_unique():
    assert layer_name("price/sqft") == "price_sqft"
    assert layer_name("note moyenne (€)") == "note_moyenne____"
    assert layer_name("_private") == "h_private" and layer_name("") == "h"
    assert layer_name("a", taken={"a", "a_output"}) == "a_output_2"
    meta = ModelMeta(
        inputs={"review": InputSpec("review", "tokens", (4,), "int32", vocabulary_size=9)},
        heads={"review": HeadSpec("review", "binary", 1), "a/b": HeadSpec("a/b", "binary", 1),
               "a_b": HeadSpec("a_b", "continuous", 1)})
    # a head whose name Keras takes keeps it; the others are named around it
    assert meta.output_names == {"review": "review_output", "a/b": "a_b_output", "a_b": "a_b"}


def test_heads_whose_safe_names_collide_train_with_the_default_model():
    X = np.random.default_rng(0).normal(size=(64, 3))
    y = pd.DataFrame({"a/b": X[:, 0], "a_b": X[:, 1], "a b": X[:, 2] > 0})
    est = FunctionalEstimator(epochs=1, random_state=0).fit(X, y)
    assert est.meta_.output_names == {"a/b": "a_b_output", "a_b": "a_b", "a b": "a_b_output_2"}
    assert est.output_order_ == ["a/b", "a_b", "a b"]
    assert list(est.predict(X[:3]).columns) == ["a/b", "a_b", "a b"]


@pytest.fixture(scope="module")
def odd_fit(reviews):
    X, y = reviews
    y = y.rename(columns=ODD)
    n = len(y)
    est = FunctionalEstimator(
        router=review_router(), epochs=2, random_state=0, validation_split=0.25,
        loss_weights={"price/sqft €": 2.0}, class_weight={"review": "balanced"},
        targets=TargetSplitter(kinds={"price/sqft €": "continuous"}),
        model__hidden_units=(8,))
    weights = pd.DataFrame({"review": np.ones(n), "price/sqft €": np.linspace(0.5, 1.5, n)},
                           index=y.index)
    return est.fit(X, y, sample_weight=weights), X, y


def test_odd_y_names_train_and_predict_under_their_own_names(odd_fit):
    est, X, y = odd_fit
    pred = est.predict(X.head(5))
    assert list(pred.columns) == ["review", "price/sqft €"]
    assert set(pred["review"]) <= {"negative", "positive"}
    assert est.meta_.output_names == {"review": "review_output", "price/sqft €": "price_sqft__"}
    assert [t.name for t in est.model_.inputs] == ["numeric", "review"]
    # history, scores and probabilities are keyed by y's names
    assert {"review_loss", "price/sqft €_loss", "val_review_loss"} <= set(est.history_.columns)
    assert set(est.score_per_head(X, y)) == {"review", "price/sqft €"}
    assert est.predict_proba(X.head(2))["review"].shape == (2, 2)


def test_per_head_parameters_take_y_names(odd_fit):
    est, X, y = odd_fit
    # the loss weight reached the head named "price/sqft €": Keras compiled it in output order
    assert est.model_.compiled and est.output_order_ == ["review", "price/sqft €"]
    with pytest.raises(ValueError, match=r"price/sqft"):
        FunctionalEstimator(router=review_router(), epochs=1,
                            loss_weights={"price/sqft": 1.0}).fit(X, y)


def test_a_builder_may_name_outputs_after_heads_or_after_meta(reviews):
    X, y = reviews
    y = y.rename(columns={"rating": "price/sqft"})

    def build(meta):
        inputs = {n: keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()}
        x = keras.layers.Concatenate()([
            keras.layers.Flatten()(keras.layers.Embedding(s.vocabulary_size, 4)(inputs[n]))
            if s.kind == "tokens" else inputs[n] for n, s in meta.inputs.items()])
        heads = meta.heads
        outputs = [keras.layers.Dense(1, activation="sigmoid", name="sentiment")(x),
                   keras.layers.Dense(heads["price/sqft"].n_outputs,
                                      name=meta.output_names["price/sqft"])(x)]
        return keras.Model(inputs, outputs)

    est = FunctionalEstimator(model=build, router=review_router(), epochs=1,
                              random_state=0).fit(X, y)
    assert est.output_order_ == ["sentiment", "price/sqft"]
    assert list(est.predict(X.head(2)).columns) == ["sentiment", "price/sqft"]
