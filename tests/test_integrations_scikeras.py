"""skmm's routing and target splitting inside scikeras' own wrappers.

scikeras is installed by the dev extra (CI installs it), so this module runs
in CI; importorskip only spares a user who installed skmm without it.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import review_router

scikeras_wrappers = pytest.importorskip("scikeras.wrappers",
                                        reason="scikeras is an optional integration")
from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402

from skmm import TargetSplitter  # noqa: E402
from skmm.architectures import default_model  # noqa: E402
from skmm.integrations.scikeras import HeadsEncoder, RouterEncoder, SkmmEncoders, model_meta  # noqa: E402,E501


@pytest.fixture(autouse=True, scope="module")
def undo_scikeras_determinism():
    """scikeras' seeded fits leave TensorFlow's op determinism switched on, after which
    unseeded fits elsewhere in the session fail; put it back as it was."""
    import keras

    if keras.backend.backend() != "tensorflow":
        yield
        return
    from scikeras.utils.random_state import tf_disable_op_determinism

    yield
    tf_disable_op_determinism()  # off by default, and skmm never switches it on


class TextClassifier(SkmmEncoders, scikeras_wrappers.KerasClassifier):
    pass


class MultiHead(SkmmEncoders, scikeras_wrappers.BaseWrapper):
    pass


def build(meta, compile_kwargs):
    model = default_model(model_meta(meta), hidden_units=(16,))
    heads = meta["heads_"]
    losses = {"binary": "binary_crossentropy", "continuous": "mean_squared_error"}
    model.compile(optimizer=compile_kwargs["optimizer"],
                  loss=[losses[h.kind] for h in heads.values()])
    return model


def build_one(meta):
    """A single sigmoid head from scikeras' own classifier metadata."""
    import keras

    specs = model_meta(meta).inputs
    inputs = [keras.Input(s.shape, dtype=s.dtype, name=n) for n, s in specs.items()]
    text = keras.layers.GlobalAveragePooling1D()(
        keras.layers.Embedding(specs["review"].vocabulary_size, 8)(inputs[1]))
    x = keras.layers.Concatenate()([inputs[0], text])
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def test_keras_classifier_takes_a_dataframe_with_text(reviews):
    X, y = reviews
    clf = TextClassifier(model=build_one, router=review_router(), loss="binary_crossentropy",
                         optimizer="adam", optimizer__learning_rate=0.05, epochs=15,
                         verbose=0, random_state=0)
    clf.fit(X, y["sentiment"])
    assert isinstance(clf.feature_encoder_, RouterEncoder)
    assert is_classifier(clf) and not is_regressor(clf)  # scikeras alone is neither
    assert {"router", "targets", "loss"} <= set(clf.get_params())
    assert clf.n_features_in_ == 3 and list(clf.feature_names_in_) == list(X.columns)
    assert set(clf.classes_) == {"negative", "positive"}
    pred = clf.predict(X)
    assert set(np.unique(pred)) <= {"negative", "positive"}
    assert clf.score(X, y["sentiment"]) > 0.9  # the words decide the sentiment
    assert clf.predict_proba(X.iloc[:5]).shape == (5, 2)
    # the router is a parameter: it clones and cross-validates like the rest
    scores = cross_val_score(clone(clf).set_params(epochs=2), X, y["sentiment"], cv=2)
    assert np.isfinite(scores).all()


def test_base_wrapper_with_two_heads(reviews):
    X, y = reviews
    est = MultiHead(model=build, router=review_router(), targets=TargetSplitter(),
                    optimizer="adam", epochs=10, verbose=0, random_state=0,
                    optimizer__learning_rate=0.02)
    est.fit(X, y)
    assert isinstance(est.target_encoder_, HeadsEncoder)
    assert est.n_outputs_expected_ == 2
    pred = est.predict(X)
    assert isinstance(pred, pd.DataFrame) and list(pred.columns) == ["sentiment", "rating"]
    assert (pred["sentiment"] == y["sentiment"].to_numpy()).mean() > 0.8
    assert np.corrcoef(pred["rating"], y["rating"])[0, 1] > 0.8


def test_router_follows_set_params(reviews):
    X, y = reviews
    clf = TextClassifier(model=build_one, router=review_router(), loss="binary_crossentropy",
                         epochs=1, verbose=0, random_state=0)
    clf.fit(X, y["sentiment"])
    first = clf.feature_encoder_.router_
    clf.set_params(router=review_router(max_tokens=5))
    clf.fit(X, y["sentiment"])
    assert clf.feature_encoder_.router_ is not first
    assert clf.feature_encoder_.router_.input_specs_["review"].vocabulary_size == 5


def test_arrays_still_go_through_scikeras_checks():
    clf = TextClassifier(model=build_one, loss="binary_crossentropy", epochs=1, verbose=0,
                         random_state=0)
    with pytest.raises(ValueError):
        clf.fit(np.array([["some text", 1.0]], dtype=object), np.array([1]))
