import copy
import functools
import io
import pickle
import random

import conftest
import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from conftest import review_router
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_val_score
from sklearn.pipeline import Pipeline

from skmm import (
    FunctionalClassifier,
    FunctionalEstimator,
    FunctionalRegressor,
    TargetSplitter,
)

# this file trains a little longer than conftest.make_est
make_est = functools.partial(conftest.make_est, epochs=4, batch_size=16,
                             optimizer__learning_rate=0.01)


@pytest.fixture(scope="module")
def fitted(reviews):
    X, y = reviews
    return make_est().fit(X, y)


def test_predict_returns_y_container_with_labels_and_index(fitted, reviews):
    X, y = reviews
    pred = fitted.predict(X)
    assert isinstance(pred, pd.DataFrame)
    assert list(pred.columns) == ["sentiment", "rating"]
    assert pred.index.equals(X.index)
    assert set(pred["sentiment"]) <= {"positive", "negative"}
    assert pred["rating"].dtype == np.float64
    # it learned something real from text and numbers
    assert (pred["sentiment"] == y["sentiment"]).mean() > 0.9


def test_proba_score_and_per_head_breakdown(fitted, reviews):
    X, y = reviews
    proba = fitted.predict_proba(X.head(5))
    assert list(proba) == ["sentiment"]  # several heads: a dict of the class heads
    assert proba["sentiment"].shape == (5, 2)
    np.testing.assert_allclose(proba["sentiment"].sum(axis=1), 1.0, rtol=1e-6)
    per_head = fitted.score_per_head(X, y)
    assert set(per_head) == {"sentiment", "rating"}
    assert per_head["sentiment"] > 0.9 and per_head["rating"] > 0.5
    assert fitted.score(X, y) == pytest.approx(np.mean(list(per_head.values())))


def test_history_has_per_head_columns_per_epoch(fitted):
    h = fitted.history_
    assert list(h.index) == [1, 2, 3, 4] and h.index.name == "epoch"
    for column in ("loss", "sentiment_loss", "rating_loss", "sentiment_accuracy", "rating_mae"):
        assert column in h.columns
    assert h["loss"].iloc[-1] < h["loss"].iloc[0]


def test_meta_and_fitted_attributes(fitted):
    assert list(fitted.meta_.inputs) == ["numeric", "review"]
    assert fitted.meta_.inputs["review"].vocabulary_size > 10
    assert {h: s.kind for h, s in fitted.meta_.heads.items()} == {
        "sentiment": "binary", "rating": "continuous"}
    assert list(fitted.feature_names_in_) == ["price", "age", "review"]
    assert fitted.n_features_in_ == 3


def test_same_random_state_same_predictions_and_no_global_state_left(reviews):
    X, y = reviews
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    a = make_est(epochs=2).fit(X, y).predict(X)
    assert random.getstate() == py_state
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    b = make_est(epochs=2).fit(X, y).predict(X)
    pd.testing.assert_frame_equal(a, b)
    c = make_est(epochs=2, random_state=1).fit(X, y).predict(X)
    assert not np.allclose(a["rating"], c["rating"])


def test_params_clone_and_nested_routing():
    est = make_est(model__hidden_units=(8,))
    params = est.get_params(deep=True)
    assert params["model__hidden_units"] == (8,)
    assert params["router__review__sequence_length"] is None
    cloned = clone(est)
    assert cloned.get_params()["model__hidden_units"] == (8,)
    est.set_params(router__review__sequence_length=7, optimizer__learning_rate=0.1)
    assert est.router.get_params()["review"].sequence_length == 7
    assert est.optimizer__learning_rate == 0.1


def test_pickle_joblib_deepcopy_round_trips(fitted, reviews):
    X, _ = reviews
    expected = fitted.predict(X)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    for again in (pickle.loads(pickle.dumps(fitted)), joblib.load(buffer), copy.deepcopy(fitted)):
        pd.testing.assert_frame_equal(again.predict(X), expected)


def test_task_classes_are_what_sklearn_expects():
    assert is_classifier(FunctionalClassifier()) and not is_regressor(FunctionalClassifier())
    assert is_regressor(FunctionalRegressor())
    cv = check_cv(3, np.array([0, 1] * 10), classifier=is_classifier(FunctionalClassifier()))
    assert isinstance(cv, StratifiedKFold)


def test_classifier_single_head_proba_and_classes(reviews):
    X, y = reviews
    clf = FunctionalClassifier(router=review_router(), epochs=3, random_state=0,
                               optimizer__learning_rate=0.01).fit(X, y["sentiment"])
    assert clf.classes_.tolist() == ["negative", "positive"]
    proba = clf.predict_proba(X.head(3))
    assert isinstance(proba, np.ndarray) and proba.shape == (3, 2)
    pred = clf.predict(X.head(3))
    assert isinstance(pred, pd.Series) and pred.name == "sentiment"
    assert clf.score(X, y["sentiment"]) > 0.9


def test_regressor_has_no_predict_proba_and_scores_r2(reviews):
    X, y = reviews
    reg = FunctionalRegressor(router=review_router(), epochs=3, random_state=0,
                              optimizer__learning_rate=0.01).fit(X, y["rating"])
    assert not hasattr(reg, "predict_proba")
    assert reg.score(X, y["rating"]) > 0.5


def test_user_keras_model_is_cloned_not_mutated():
    inp = keras.Input((3,), name="features")
    out = keras.layers.Dense(1, activation="sigmoid", name="whatever")(inp)
    user_model = keras.Model(inp, out)
    before = [w.copy() for w in user_model.get_weights()]
    X = np.random.default_rng(0).normal(size=(64, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = FunctionalClassifier(model=user_model, epochs=2, random_state=0).fit(X, y)
    assert clf.model_ is not user_model
    assert not getattr(user_model, "compiled", False)
    for w0, w1 in zip(before, user_model.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    assert clf.predict(X).shape == (64,)


def test_compiled_builder_is_left_alone():
    def build(meta):
        inp = keras.Input(meta.inputs["features"].shape, name="features")
        model = keras.Model(inp, keras.layers.Dense(1)(inp))
        model.compile(optimizer="sgd", loss="mean_absolute_error")
        return model

    X = np.random.default_rng(0).normal(size=(32, 2))
    reg = FunctionalRegressor(model=build, epochs=1).fit(X, X[:, 0])
    assert reg.model_.loss == "mean_absolute_error"
    assert isinstance(reg.model_.optimizer, keras.optimizers.SGD)


def test_builder_receives_meta_and_model_params(reviews):
    X, y = reviews
    seen = {}

    def build(meta, width=4):
        seen["meta"], seen["width"] = meta, width
        inputs = [keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()]
        text = keras.layers.GlobalAveragePooling1D()(
            keras.layers.Embedding(meta.inputs["review"].vocabulary_size, 4)(inputs[1]))
        x = keras.layers.Concatenate()([inputs[0], text])
        x = keras.layers.Dense(width, activation="relu")(x)
        outs = [keras.layers.Dense(h.n_outputs, activation="sigmoid" if h.is_classification
                                   else None, name=n)(x) for n, h in meta.heads.items()]
        return keras.Model(inputs, outs)

    est = FunctionalEstimator(model=build, router=review_router(), epochs=1, model__width=5)
    est.fit(X, y)
    assert seen["width"] == 5
    assert seen["meta"].heads["sentiment"].classes.tolist() == ["negative", "positive"]
    assert est.predict(X.head(2)).shape == (2, 2)


def test_mismatched_names_and_bad_builders_are_explained(reviews):
    X, y = reviews

    def wrong_outputs(meta):
        inputs = [keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()]
        x = keras.layers.Dense(2)(inputs[0])
        return keras.Model(inputs, [keras.layers.Dense(1, name="sentimet")(x),
                                    keras.layers.Dense(1, name="rating")(x)])

    with pytest.raises(ValueError, match=r"outputs \['sentimet', 'rating'\].*did you mean"):
        FunctionalEstimator(model=wrong_outputs, router=review_router(), epochs=1).fit(X, y)

    def wrong_inputs(meta):
        a, b = keras.Input((2,), name="nums"), keras.Input((3,), name="review")
        x = keras.layers.Dense(2)(a)
        return keras.Model([a, b], [keras.layers.Dense(1, name=h)(x) for h in meta.heads])

    with pytest.raises(ValueError, match=r"no data for \['nums'\]"):
        FunctionalEstimator(model=wrong_inputs, router=review_router(), epochs=1).fit(X, y)
    with pytest.raises(TypeError, match="returned dict, not a keras.Model"):
        FunctionalEstimator(model=lambda meta: {}, router=review_router(), epochs=1).fit(X, y)


@pytest.mark.parametrize("param, value", [("epochs", 0), ("epochs", 2.5), ("batch_size", -1),
                                          ("validation_split", 1.0)])
def test_bad_numeric_parameters_are_named(reviews, param, value):
    X, y = reviews
    with pytest.raises(ValueError, match=f"'{param}'"):
        make_est(**{param: value}).fit(X, y)


def test_unknown_parameter_is_refused_by_set_params_and_reported_at_fit(reviews):
    X, y = reviews
    with pytest.raises(ValueError, match="unknown parameter.*'epcohs'.*did you mean 'epochs'"):
        make_est().set_params(epcohs=3)
    make_est().set_params(model__units=3, optimizer__learning_rate=0.1)  # routed: open
    est = make_est(epcohs=3)  # __init__ keeps keyword arguments; fit reports them
    with pytest.raises(ValueError, match="unknown parameter.*'epcohs'.*did you mean 'epochs'"):
        est.fit(X, y)


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        make_est().predict(pd.DataFrame({"price": [1.0], "age": [1], "review": ["x"]}))


def test_callbacks_are_fresh_and_routed(reviews):
    X, y = reviews
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=50, min_delta=1e9)
    est = make_est(epochs=6, callbacks=[stopper], callbacks__0__patience=0).fit(X, y)
    # patience 0 and an impossible min_delta: the first epoch sets the bar, the second stops
    assert len(est.history_) == 2
    assert stopper.patience == 50 and stopper.model is None  # the user's object is untouched
    named = make_est(epochs=6, callbacks={"stop": stopper}, callbacks__stop__patience=0)
    assert len(named.fit(X, y).history_) == 2
    with pytest.raises(ValueError, match="did you mean 'stop'"):
        make_est(callbacks={"stop": stopper}, callbacks__stpo__patience=1).fit(X, y)


def test_class_weight_per_head_changes_what_is_learned(reviews):
    X, y = reviews
    est = make_est(epochs=4, class_weight={"sentiment": {"positive": 0.0}}).fit(X, y)
    assert (est.predict(X)["sentiment"] == "negative").all()
    with pytest.raises(ValueError, match="label 'neutral'"):
        make_est(class_weight={"sentiment": {"neutral": 2.0}}).fit(X, y)


def test_sample_weight_per_head_and_all_zero(reviews):
    X, y = reviews
    w = np.where(y["sentiment"] == "positive", 0.0, 1.0)
    est = make_est(epochs=4).fit(X, y, sample_weight={"sentiment": w})
    assert (est.predict(X)["sentiment"] == "negative").all()
    with pytest.raises(ValueError, match="zero for every sample"):
        make_est().fit(X, y, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="heads \\['sentimnt'\\].*did you mean 'sentiment'"):
        make_est().fit(X, y, sample_weight={"sentimnt": w})


def test_partial_fit_and_warm_start_continue_training(reviews):
    X, y = reviews
    est = make_est()
    est.partial_fit(X, y)
    model = est.model_
    est.partial_fit(X, y)
    assert est.model_ is model and len(est.history_) == 2
    warm = make_est(epochs=2, warm_start=True).fit(X, y)
    model = warm.model_
    warm.fit(X, y)
    assert warm.model_ is model and list(warm.history_.index) == [1, 2, 3, 4]


def test_partial_fit_classes_declares_unseen_labels():
    X = np.random.default_rng(0).normal(size=(20, 2))
    clf = FunctionalClassifier(epochs=1)
    clf.partial_fit(X, np.array(["a", "b"] * 10), classes=["a", "b", "c"])
    assert clf.classes_.tolist() == ["a", "b", "c"]
    clf.partial_fit(X, np.array(["c"] * 20))
    assert clf.predict_proba(X).shape == (20, 3)


def test_inputs_without_router(reviews):
    X, y = reviews
    rng = np.random.default_rng(0)
    arrays = {"numbers": rng.normal(size=(len(X), 2)),
              "tokens": rng.integers(1, 50, size=(len(X), 6))}
    est = FunctionalEstimator(epochs=1).fit(arrays, y)
    assert est.meta_.inputs["tokens"].kind == "tokens"
    assert est.meta_.inputs["tokens"].vocabulary_size == 50
    assert est.predict(arrays).shape == (len(X), 2)
    auto = FunctionalEstimator(epochs=1).fit(X, y)  # DataFrame, no router: auto routing
    assert list(auto.meta_.inputs) == ["numeric", "review"]


def test_missing_labels_train_other_heads(reviews):
    X, y = reviews
    y = y.copy()
    y.loc[y.index[:100], "rating"] = np.nan
    est = make_est(epochs=3).fit(X, y)
    assert est.history_["rating_loss"].notna().all()
    assert not est.predict(X)["rating"].isna().any()
    assert est.score_per_head(X, y)["sentiment"] > 0.8


def test_loss_weights_and_per_head_loss(reviews):
    X, y = reviews
    est = make_est(epochs=1, loss_weights={"rating": 0.5},
                   loss={"rating": "mean_absolute_error"}).fit(X, y)
    assert est.history_["rating_loss"].iloc[0] > 0
    with pytest.raises(ValueError, match="'loss_weights' names heads \\['ratng'\\]"):
        make_est(loss_weights={"ratng": 0.5}).fit(X, y)


def test_y_length_mismatch(reviews):
    X, y = reviews
    with pytest.raises(ValueError, match="y has 10 rows but X has 240"):
        make_est().fit(X, y.head(10))


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_router_model_optimizer_and_loss_weights(reviews, n_jobs):
    """The issue's acceptance case: DataFrame in, GridSearchCV, DataFrame out."""
    X, y = reviews
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=1e9)
    grid = GridSearchCV(
        make_est(epochs=5, callbacks={"stop": stop}),
        {
            "router__review__sequence_length": [4, 8],
            "model__hidden_units": [(8,)],
            "optimizer__learning_rate": [0.01],
            "loss_weights": [{"rating": 0.5}],
            "callbacks__stop__patience": [1],  # patience 1 + impossible min_delta: 2 epochs
        },
        cv=2,
        n_jobs=n_jobs,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 2
    assert len(grid.best_estimator_.history_) == 2 and stop.patience == 0
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    pred = grid.predict(X.head(4))
    assert list(pred.columns) == ["sentiment", "rating"]
    assert set(pred["sentiment"]) <= {"positive", "negative"}


@pytest.mark.slow
def test_cross_val_score_and_pipeline(reviews):
    X, y = reviews
    clf = FunctionalClassifier(router=review_router(), epochs=2, random_state=0,
                               optimizer__learning_rate=0.01)
    scores = cross_val_score(Pipeline([("clf", clf)]), X, y["sentiment"], cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.7


def test_targets_parameter_groups_heads():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = pd.DataFrame({"a": (X[:, 0] > 0).astype(int), "b": (X[:, 1] > 0).astype(int),
                      "v": X[:, 2]})
    est = FunctionalEstimator(targets=TargetSplitter(heads={"tags": ["a", "b"], "v": "v"}),
                              epochs=1).fit(X, y)
    assert est.meta_.heads["tags"].kind == "multilabel-indicator"
    pred = est.predict(X)
    assert list(pred.columns) == ["a", "b", "v"]
    assert set(np.unique(pred[["a", "b"]])) <= {0, 1}


def test_early_stopping_auto_holds_out_rows_and_stops():
    from conftest import make_reviews

    X, y = make_reviews(n=1200, seed=5)
    est = make_est(epochs=40, n_iter_no_change=1, optimizer__learning_rate=0.05).fit(X, y)
    h = est.history_
    assert "val_loss" in h.columns and len(h) < 40
    # it stopped because the last epochs did not improve on the best one (whose
    # neighbourhood's weights are then averaged: tests/test_training.py)
    assert h["val_loss"].iloc[-1] >= h["val_loss"].min()
    small = make_est(epochs=3).fit(X.head(300), y.head(300))  # "auto": off below 1,000 rows
    assert "val_loss" not in small.history_.columns and len(small.history_) == 3
    off = make_est(epochs=3, early_stopping=False).fit(X, y)
    assert "val_loss" not in off.history_.columns
    with pytest.raises(ValueError, match="'early_stopping'"):
        make_est(early_stopping="yes").fit(X, y)


def test_optimizer_and_loss_names_and_routed_arguments(reviews):
    X, y = reviews
    est = make_est(epochs=1, optimizer="adamw", optimizer__weight_decay=0.01,
                   loss={"rating": "huber"}, loss__delta=0.5).fit(X, y)
    assert isinstance(est.model_.optimizer, keras.optimizers.AdamW)
    assert est.model_.optimizer.weight_decay == pytest.approx(0.01)
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*did you mean 'Adam'"):
        make_est(optimizer="adamm").fit(X, y)


def test_auto_batch_size_and_learning_rate_follow_the_data_size(reviews):
    from skmm import _training

    assert [_training.auto_batch_size(n) for n in (100, 2896, 4000, 8000, 16000, 10**6)] == [
        32, 32, 64, 128, 256, 1024]
    assert _training.auto_learning_rate(32) == pytest.approx(1e-3)
    assert _training.auto_learning_rate(256) == pytest.approx(1e-3 * 8 ** 0.5)
    X, y = reviews
    est = FunctionalEstimator(router=review_router(), epochs=1, random_state=0).fit(X, y)
    assert (est.batch_size_, est.learning_rate_) == (32, pytest.approx(1e-3))
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(1e-3)
    mine = FunctionalEstimator(router=review_router(), epochs=1, batch_size=64,
                               learning_rate=0.02).fit(X, y)
    assert mine.batch_size_ == 64
    assert float(mine.model_.optimizer.learning_rate) == pytest.approx(0.02)
    routed = FunctionalEstimator(router=review_router(), epochs=1, learning_rate=0.02,
                                 optimizer__learning_rate=0.005).fit(X, y)
    assert float(routed.model_.optimizer.learning_rate) == pytest.approx(0.005)
    own = keras.optimizers.SGD(learning_rate=0.07)  # an instance keeps its own
    sgd = FunctionalEstimator(router=review_router(), epochs=1, optimizer=own).fit(X, y)
    assert float(sgd.model_.optimizer.learning_rate) == pytest.approx(0.07)


def test_set_params_never_touches_fitted_state_and_warm_start_keeps_the_rate(reviews):
    X, y = reviews
    est = make_est(epochs=1, warm_start=True).fit(X, y)
    assert est.learning_rate_ == pytest.approx(0.01)  # optimizer__learning_rate won
    for name in ("model_", "_predictor", "batch_size_"):
        with pytest.raises(ValueError, match="unknown parameter"):
            est.set_params(**{name: None})
    rate = est.learning_rate_
    est.set_params(learning_rate=0.5).fit(X, y)  # goes on training the compiled model
    assert est.learning_rate_ == rate


@pytest.fixture(scope="module")
def warm(reviews):
    X, y = reviews
    return FunctionalEstimator(router=review_router(), epochs=1, random_state=0,
                               warm_start=True, model__hidden_units=(8,)).fit(X, y)


@pytest.mark.parametrize("change", [{"model__hidden_units": (4,)},
                                    {"router__review__max_tokens": 50},
                                    {"targets": TargetSplitter(standardize=False)},
                                    {"loss_weights": {"rating": 3.0}}])
def test_warm_start_after_a_structural_change_is_refused_by_name(warm, reviews, change):
    X, y = reviews
    est = copy.deepcopy(warm)
    weights = [w.copy() for w in est.model_.get_weights()]
    est.set_params(**change)
    key = next(iter(change))
    name = "router" if key.startswith("router__") else key
    with pytest.raises(ValueError, match=rf"parameter\(s\) \['{name}'\] changed"):
        est.fit(X, y)
    with pytest.raises(ValueError, match="changed since the model was built"):
        est.partial_fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(weights, est.model_.get_weights(),
                                                    strict=True))


def test_after_a_structural_change_a_cold_fit_builds_anew_and_warm_starts_go_on(warm, reviews):
    X, y = reviews
    est = copy.deepcopy(warm).set_params(model__hidden_units=(4,), warm_start=False).fit(X, y)
    assert est.model_.get_layer("shared_dense_0").units == 4
    est.set_params(warm_start=True).fit(X, y)  # the new model's own settings: goes on
    assert len(est.history_) == 2


def test_partial_fit_declares_classes_on_a_mixed_estimator(reviews):
    X, y = reviews
    first = y.assign(sentiment="positive")  # a one-class first chunk
    est = FunctionalEstimator(router=review_router(), random_state=0)
    with pytest.raises(ValueError, match=r"only one class.*classes=\{head: labels\}"):
        est.partial_fit(X, first)
    est.partial_fit(X, first, classes={"sentiment": ["negative", "positive", "neutral"]})
    assert est.targets_.heads_["sentiment"].kind == "multiclass"
    est.partial_fit(X, y)  # "negative" first seen now: declared, so fine
    with pytest.raises(ValueError, match=r"labels \['meh'\] not seen in fit.*classes="):
        est.partial_fit(X, y.assign(sentiment="meh"))
    assert set(est.predict(X)["sentiment"]) <= {"negative", "positive", "neutral"}


def test_the_users_metric_objects_are_never_changed(reviews):
    X, y = reviews
    mae = keras.metrics.MeanAbsoluteError(name="mae")
    est = make_est(epochs=1, metrics={"rating": [mae]}).fit(X, y)
    assert float(mae.count) == 0.0 and est.get_params()["metrics"]["rating"][0] is mae
    assert "rating_mae" in est.history_


def test_structure_compares_settings_not_objects():
    from skmm._params import changed_structure, structure

    def build(meta, units=1):
        return None

    same = structure({"loss_weights": {"a": np.float64(2.0)}, "model": functools.partial(
        build, units=2), "router": review_router()})
    assert changed_structure(same, structure({"loss_weights": {"a": 2.0}, "model":
                                              functools.partial(build, units=2),
                                              "router": review_router()})) == []
    assert changed_structure(same, structure({"loss_weights": {"a": 2.0}, "model":
                                              functools.partial(build, units=3),
                                              "router": review_router(max_tokens=9)})) == [
        "model", "router"]
