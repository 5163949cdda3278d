"""Head kinds as objects: the count kind, logits, per-head scores and parameter checks."""

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import make_reviews, review_router
from sklearn.metrics import accuracy_score, d2_pinball_score, d2_tweedie_score, r2_score
from sklearn.model_selection import GridSearchCV, KFold

from skmm import (
    FunctionalClassifier,
    FunctionalEstimator,
    FunctionalRegressor,
    HeadSpec,
    TargetSplitter,
    TextSequencer,
    heads,
)
from skmm.preprocessing import QuantileBins


def with_votes(n=240, seed=0):
    """Reviews plus ``votes``: a count of helpful votes, larger for positive reviews."""
    X, y = make_reviews(n=n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    rate = np.exp(0.3 + 1.2 * (y["sentiment"] == "positive") + 0.01 * (X["price"] - 50))
    return X, y.assign(votes=rng.poisson(rate))


@pytest.fixture(scope="module")
def votes_fit():
    X, y = with_votes()
    est = FunctionalEstimator(router=review_router(), targets=TargetSplitter(kinds={
        "votes": "count"}), epochs=25, batch_size=16, random_state=0,
        optimizer__learning_rate=0.01).fit(X, y)
    return est, X, y


def test_every_kind_is_one_object_with_all_it_means():
    assert set(heads.KINDS) == {"binary", "multiclass", "multilabel-indicator", "continuous",
                                "continuous-multioutput", "count", "quantile"}
    for name, kind in heads.KINDS.items():
        assert kind.name == name and heads.get_kind(name) is kind
        assert isinstance(kind.activation, str) and kind.default_loss() is not None
        assert all(isinstance(m, keras.metrics.Metric) for m in kind.default_metrics())
    assert heads.CLASSIFICATION_KINDS == ("binary", "multiclass", "multilabel-indicator")
    with pytest.raises(ValueError, match="Unknown head kind 'poisson'"):
        heads.get_kind("poisson")


def test_count_head_poisson_exponential_never_negative_scored_with_d2(votes_fit):
    est, X, y = votes_fit
    assert est.targets_.heads_["votes"].kind == "count"
    layer = est.model_.get_layer("votes")
    assert layer.activation.__name__ == "exponential"
    assert est.model_.loss[list(est.output_order_).index("votes")] == "poisson"
    pred = est.predict(X)
    assert pred["votes"].dtype == np.float64 and (pred["votes"] >= 0).all()
    per_head = est.score_per_head(X, y)
    assert per_head["votes"] == pytest.approx(d2_tweedie_score(y["votes"], pred["votes"],
                                                               power=1), rel=1e-9)
    assert per_head["votes"] > 0.2  # it learned the rate from text and price
    # the mean count per class is right in scale (counts are divided by their mean inside)
    for label, group in pred.groupby(y["sentiment"]):
        assert group["votes"].mean() == pytest.approx(
            y["votes"][y["sentiment"] == label].mean(), rel=0.35)


def test_count_head_refuses_negative_counts_and_linear_outputs():
    X, y = with_votes(n=40)
    bad = y.assign(votes=y["votes"] - 3)
    with pytest.raises(ValueError, match="count head 'votes' has negative values"):
        TargetSplitter(kinds={"votes": "count"}).fit(bad)

    est = FunctionalEstimator(model=logit_builder, router=review_router(), epochs=1,
                              targets=TargetSplitter(kinds={"votes": "count"}))
    with pytest.raises(ValueError, match="Output 'votes' \\(count\\) has no activation"):
        est.fit(X, y[["votes"]])


def test_kinds_parameter_names_heads_and_kinds():
    _, y = with_votes(n=40)
    with pytest.raises(ValueError, match=r"names heads \['vote'\].*did you mean 'votes'"):
        TargetSplitter(kinds={"vote": "count"}).fit(y)
    with pytest.raises(ValueError, match="kind 'cont' for head 'votes'.*did you mean 'count'"):
        TargetSplitter(kinds={"votes": "cont"}).fit(y)
    assert TargetSplitter(kinds={"votes": "continuous"}).fit(y).heads_["votes"].kind == \
        "continuous"


def logit_builder(meta, activation=None):
    inputs = [keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()]
    parts = []
    for inp, spec in zip(inputs, meta.inputs.values(), strict=True):
        if spec.kind == "tokens":
            emb = keras.layers.Embedding(spec.vocabulary_size, 8)(inp)
            parts.append(keras.layers.GlobalAveragePooling1D()(emb))
        else:
            parts.append(inp)
    x = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()(parts))
    return keras.Model(inputs, [keras.layers.Dense(h.n_outputs, activation=activation, name=n)(x)
                                for n, h in meta.heads.items()])


@pytest.mark.parametrize("loss", [None, keras.losses.BinaryCrossentropy(from_logits=True)])
def test_class_head_with_logits_is_decoded_through_its_link(reviews, loss):
    X, y = reviews
    est = FunctionalClassifier(model=logit_builder, router=review_router(), loss=loss,
                               epochs=8, batch_size=16, random_state=0,
                               optimizer__learning_rate=0.01).fit(X, y["sentiment"])
    assert est.from_logits_ == {"sentiment": True}
    raw = est.model_.predict_on_batch(est.router_.transform(X.iloc[:8]))
    expected = 1.0 / (1.0 + np.exp(-np.asarray(raw, dtype=np.float64).ravel()))
    proba = est.predict_proba(X.iloc[:8])
    np.testing.assert_allclose(proba[:, 1], expected, rtol=1e-5)
    np.testing.assert_array_equal(est.predict(X.iloc[:8]),
                                  est.classes_[(expected > 0.5).astype(int)])
    assert est.score(X, y["sentiment"]) > 0.9


def test_multiclass_logits_softmax_and_refusals(reviews):
    X, y = reviews
    grade = pd.Series(pd.cut(y["rating"], 3, labels=["low", "mid", "high"]).astype(str),
                      name="grade", index=y.index)
    est = FunctionalClassifier(model=logit_builder, router=review_router(), epochs=2,
                               random_state=0).fit(X, grade)
    proba = est.predict_proba(X.iloc[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert (proba >= 0).all() and est.from_logits_ == {"grade": True}
    with pytest.raises(ValueError, match="Output 'sentiment' \\(binary\\) has no activation.*"
                                         "expects probabilities"):
        FunctionalClassifier(model=logit_builder, router=review_router(), epochs=1,
                             loss="binary_crossentropy").fit(X, y["sentiment"])
    with pytest.raises(ValueError, match="'sentiment' \\(binary\\) ends with a sigmoid but its "
                                         "loss has from_logits=True"):
        FunctionalClassifier(model=logit_builder, model__activation="sigmoid",
                             router=review_router(), epochs=1,
                             loss=keras.losses.BinaryCrossentropy(from_logits=True)
                             ).fit(X, y["sentiment"])


def test_outputs_that_are_not_probabilities_are_refused_not_misread():
    head = HeadSpec("spam", "binary", 1, classes=np.array(["ham", "spam"]))
    with pytest.raises(ValueError, match="Head 'spam' \\(binary\\).*not \\[0, 1\\]"):
        heads.get_kind("binary").decode(head, np.array([[2.5], [-1.0]]))
    head = HeadSpec("tag", "multiclass", 3, classes=np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match="Head 'tag' \\(multiclass\\)"):
        heads.get_kind("multiclass").predict_proba(head, np.array([[3.0, -1.0, 0.5]]))


def two_class_heads(n=240):
    X, y = make_reviews(n=n)
    cheap = np.where(X["price"] < 50, "cheap", "dear")
    return X, pd.DataFrame({"sentiment": y["sentiment"], "cheap": cheap}, index=X.index)


def test_classifier_score_is_the_mean_of_per_head_accuracies():
    X, y = two_class_heads()
    clf = FunctionalClassifier(router=review_router(), epochs=6, batch_size=16, random_state=0,
                               optimizer__learning_rate=0.01).fit(X, y)
    pred = clf.predict(X)
    expected = np.mean([accuracy_score(y[c], pred[c]) for c in y])
    assert clf.score(X, y) == pytest.approx(expected)
    assert clf.score(X, y) > 0.8
    weights = np.linspace(0.5, 2.0, len(X))
    weighted = np.mean([accuracy_score(y[c], pred[c], sample_weight=weights) for c in y])
    assert clf.score(X, y, sample_weight=weights) == pytest.approx(weighted)


def test_regressor_score_masks_missing_labels_per_head(reviews):
    X, y = reviews
    y2 = pd.DataFrame({"rating": y["rating"], "price_again": X["price"] / 10}, index=X.index)
    y2.iloc[::4, 0] = np.nan  # a quarter of the ratings unlabelled
    reg = FunctionalRegressor(router=review_router(), epochs=6, batch_size=16, random_state=0,
                              optimizer__learning_rate=0.01).fit(X, y2)
    pred = reg.predict(X)
    keep = y2["rating"].notna()
    expected = np.mean([r2_score(y2["rating"][keep], pred["rating"][keep]),
                        r2_score(y2["price_again"], pred["price_again"])])
    assert reg.score(X, y2) == pytest.approx(expected)
    unlabelled = y2.assign(rating=np.nan)  # a head without labels is left out of the mean
    assert reg.score(X, unlabelled) == pytest.approx(reg.score_per_head(X, y2)["price_again"])


@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_grid_search_with_default_scoring_on_two_heads(reviews, task):
    if task == "classifier":
        X, y = two_class_heads(n=120)
        est = FunctionalClassifier(router=review_router(), epochs=2, random_state=0)
    else:
        X, y = reviews
        X, y = X.iloc[:120], y.iloc[:120].assign(price_again=X["price"].iloc[:120] / 10)
        y = y.drop(columns="sentiment")
        est = FunctionalRegressor(router=review_router(), epochs=2, random_state=0)
    search = GridSearchCV(est, {"batch_size": [16, 32]}, cv=KFold(2)).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["batch_size"] in (16, 32)
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(X, y))


@pytest.mark.parametrize("make, name, fit_arg", [
    (lambda: FunctionalEstimator(epochs=0), "epochs", "est"),
    (lambda: TargetSplitter(task="clustering"), "task", [1.0, 2.0]),
    (lambda: TextSequencer(max_tokens=1), "max_tokens", ["a b"]),
    (lambda: QuantileBins(n_bins=0), "n_bins", [[1.0], [2.0]]),
])
def test_parameters_are_checked_with_one_message_format(make, name, fit_arg, reviews):
    obj = make()
    args = reviews if fit_arg == "est" else (fit_arg,)
    with pytest.raises(ValueError, match=rf"The '{name}' parameter of {type(obj).__name__} "
                                         "must be .* Got .* instead"):
        obj.fit(*args)


def test_compiled_model_with_a_dict_loss_keyed_by_its_own_output_name(reviews):
    X, y = reviews

    def compiled(meta):
        model = logit_builder(meta)
        out = keras.layers.Identity(name="out")(model.outputs[0])
        model = keras.Model(model.inputs, out)
        model.compile(optimizer="adam",
                      loss={"out": keras.losses.BinaryCrossentropy(from_logits=True)})
        return model

    est = FunctionalClassifier(model=compiled, router=review_router(), epochs=3,
                               random_state=0).fit(X, y["sentiment"])
    assert est.from_logits_ == {"sentiment": True}
    proba = est.predict_proba(X.iloc[:4])
    assert ((proba >= 0) & (proba <= 1)).all()


# -- one contract for every kind, as scikit-learn tests each of its losses ---------------------
def _kind_case(name, n=60, seed=0):
    """A y (DataFrame of one head) of kind ``name`` with one missing label, and the head's
    columns."""
    rng = np.random.default_rng(seed)
    if name == "binary":
        y = pd.DataFrame({"h": pd.array(rng.choice(["no", "yes"], n), dtype="string")})
    elif name == "multiclass":
        y = pd.DataFrame({"h": pd.array(rng.integers(1, 5, n), dtype="Int64")})
    elif name == "multilabel-indicator":
        y = pd.DataFrame({"a": rng.integers(0, 2, n), "b": rng.integers(0, 2, n)})
    elif name == "continuous":
        y = pd.DataFrame({"h": rng.normal(5, 2, n)})
    elif name == "continuous-multioutput":
        y = pd.DataFrame({"a": rng.normal(5, 2, n), "b": rng.normal(-1, 0.5, n)})
    elif name == "quantile":
        y = pd.DataFrame({"h": rng.normal(5, 2, n).astype(np.float32)})
    else:
        y = pd.DataFrame({"h": pd.array(rng.poisson(2, n), dtype="Int64")})
    if len(y.columns) == 1:
        y.iloc[3, 0] = None
    return y


def _raw_outputs(head, n, rng):
    """Model outputs of the right shape for a head: probabilities or standardised values."""
    if head.kind == "binary":
        return rng.uniform(0, 1, (n, 1))
    if head.kind == "multiclass":
        return rng.dirichlet(np.ones(head.n_outputs), n)
    if head.kind == "multilabel-indicator":
        return rng.uniform(0, 1, (n, head.n_outputs))
    if head.kind == "count":
        return rng.uniform(0, 3, (n, 1))
    return rng.normal(size=(n, head.n_outputs))


@pytest.mark.parametrize("name", list(heads.KINDS))
def test_every_kind_keeps_its_contract(name):
    y = _kind_case(name)
    group = {"h": list(y.columns)} if len(y.columns) > 1 else None
    splitter = TargetSplitter(heads=group, kinds=name).fit(y)
    (head,) = splitter.heads_.values()
    kind = head.head_kind
    assert head.kind == name and kind is heads.KINDS[name]
    # encode -> decode gives y back, in its dtype, wherever it was labelled
    encoded, observed = splitter.transform_with_mask(y)
    back = splitter.inverse_transform(encoded)
    assert list(back.columns) == list(y.columns)
    assert dict(back.dtypes) == {c: (y[c].dtype if kind.is_classification or
                                     pd.api.types.is_float_dtype(y[c].dtype)
                                     else np.dtype(np.float64)) for c in y.columns}
    keep = observed["h"]
    assert keep.sum() == len(y) - (1 if len(y.columns) == 1 else 0)
    if kind.is_classification:
        assert back[keep].astype(object).equals(y[keep].astype(object))
    else:  # through float32 encodings
        np.testing.assert_allclose(back[keep].to_numpy(dtype=float),
                                   y[keep].to_numpy(dtype=float), rtol=1e-6, atol=1e-6)
    # predictions from raw outputs: probabilities that are distributions, scores by hand
    rng = np.random.default_rng(1)
    raw = {"h": _raw_outputs(head, len(y), rng)}
    proba = splitter.probabilities(raw)
    if kind.is_classification:
        p = proba["h"]
        width = 2 if name == "binary" else head.n_outputs
        assert p.shape == (len(y), width) and ((p >= 0) & (p <= 1)).all()
        if name != "multilabel-indicator":
            np.testing.assert_allclose(p.sum(axis=1), 1.0)
    else:
        assert proba == {}
    pred = splitter.decode(raw)["h"]
    truth, _ = splitter.truth_with_mask(y)
    t = y[keep].to_numpy(dtype=object)
    t = t[:, 0] if t.shape[1] == 1 else t
    expected = {
        "binary": lambda: accuracy_score(t.tolist(), pred[keep].tolist()),
        "multiclass": lambda: accuracy_score(t.astype(int), pred[keep]),
        "multilabel-indicator": lambda: accuracy_score(t.astype(int), pred[keep]),
        "continuous": lambda: r2_score(t.astype(float), pred[keep]),
        "continuous-multioutput": lambda: r2_score(t.astype(float), pred[keep]),
        "count": lambda: d2_tweedie_score(t.astype(float), pred[keep], power=1),
        "quantile": lambda: d2_pinball_score(t.astype(float), pred[keep], alpha=0.5),
    }[name]()
    assert kind.score(truth["h"][keep], pred[keep]) == pytest.approx(expected)
    # zero rows decode to an empty container with the columns and dtypes
    empty = splitter.inverse_transform({"h": np.zeros((0, head.n_outputs), np.float32)})
    assert empty.shape == (0, len(y.columns)) and dict(empty.dtypes) == dict(back.dtypes)
