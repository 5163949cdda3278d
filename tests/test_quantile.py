"""Quantile heads: pinball loss, quantiles that never cross, intervals in y's container."""

import functools
import os
import pickle

import conftest
import keras
import numpy as np
import pandas as pd
import pytest
from conftest import make_reviews
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.metrics import d2_pinball_score, mean_pinball_loss
from sklearn.model_selection import GridSearchCV, KFold

import skmm
from skmm import FunctionalRegressor, HeadSpec, TargetSplitter
from skmm.conformal import ConformalIntervals
from skmm.quantiles import NonCrossingQuantiles, PinballLoss, check_quantiles

LEVELS = (0.05, 0.5, 0.95)
make_est = functools.partial(conftest.make_est, epochs=12)


def heteroscedastic(n=600, seed=0):
    """Reviews whose ``rating`` spreads more for expensive items, far from 0 (standardised)."""
    X, y = make_reviews(n=n, seed=seed)
    rng = np.random.default_rng(seed + 7)
    spread = 0.2 + 0.04 * np.abs(X["price"].to_numpy() - 50)
    rating = 1000.0 + 2.0 * (y["sentiment"] == "positive") + rng.normal(0, spread)
    return X, y.assign(rating=rating)


def quantile_targets(**params):
    return TargetSplitter(kinds={"rating": "quantile"}, **params)


@pytest.fixture(scope="module")
def fitted():
    X, y = heteroscedastic()
    y = y.copy()
    y.loc[y.index[5], "rating"] = np.nan  # a missing label in the quantile head
    train, test = slice(0, 480), slice(480, None)
    est = make_est(targets=quantile_targets(), model__members=3).fit(X.iloc[train], y.iloc[train])
    return est, X.iloc[test], y.iloc[test]


def _monotone(values):
    values = np.asarray(values, dtype=float)
    return bool((np.diff(values, axis=1) >= 0).all())


def test_predict_is_the_median_and_quantiles_rise_in_a_frame(fitted):
    est, X, y = fitted
    head = est.targets_.heads_["rating"]
    assert head.kind == "quantile" and head.quantiles == LEVELS and head.n_outputs == 3
    assert est.model_.get_layer("rating_member0").__class__ is NonCrossingQuantiles
    q = est.predict_quantiles(X)
    assert list(q.columns) == ["rating_q0.05", "rating_q0.5", "rating_q0.95"]
    assert q.index.equals(X.index) and (q.dtypes == np.float64).all()
    assert _monotone(q)
    pred = est.predict(X)
    np.testing.assert_array_equal(pred["rating"].to_numpy(), q["rating_q0.5"].to_numpy())
    assert list(pred.columns) == ["sentiment", "rating"]
    # standardisation is undone for every level: the ratings sit near 1000, not near 0
    truth = y["rating"].to_numpy()
    assert np.abs(q.to_numpy() - 1000).max() < 20
    inside = ((q["rating_q0.05"] <= truth) & (truth <= q["rating_q0.95"])).mean()
    assert 0.7 <= inside <= 1.0
    # the head's score is the D^2 pinball score of the median, masked labels left out
    scores = est.score_per_head(X, y)
    assert scores["rating"] == pytest.approx(
        d2_pinball_score(truth, pred["rating"].to_numpy(), alpha=0.5))
    assert scores["rating"] > 0.3


def test_the_missing_label_is_masked_not_learned(fitted):
    est, X, y = fitted
    y = y.copy()
    y.loc[y.index[:3], "rating"] = np.nan
    scores = est.score_per_head(X, y)
    keep = y["rating"].notna().to_numpy()
    pred = est.predict(X)["rating"].to_numpy()
    assert scores["rating"] == pytest.approx(
        d2_pinball_score(y["rating"].to_numpy()[keep], pred[keep], alpha=0.5))


def test_splitter_undoes_standardisation_for_every_level_and_sorts():
    y = pd.DataFrame({"p": [10.0, 20.0, 30.0, np.nan]})
    splitter = TargetSplitter(kinds="quantile", quantiles=[0.9, 0.1, 0.5]).fit(y)
    head = splitter.heads_["p"]
    assert head.quantiles == (0.1, 0.5, 0.9)
    raw = np.array([[-1.0, 0.0, 1.0], [0.5, 0.2, -0.5]])  # a user's model may cross
    values = splitter.quantile_values({"p": raw})["p"]
    std = np.std([10.0, 20.0, 30.0])
    np.testing.assert_allclose(values, np.sort(raw * std + 20.0, axis=1))
    np.testing.assert_allclose(splitter.decode({"p": raw})["p"], values[:, 1])
    encoded, observed = splitter.transform_with_mask(y)
    assert encoded["p"].shape == (4, 1) and observed["p"].tolist() == [True] * 3 + [False]


@pytest.mark.parametrize("container", ["numpy", "series", "dict", "polars", "polars-series"])
def test_quantiles_come_back_in_y_container(container, reviews):
    X, y = reviews
    rating = y["rating"].astype("float32")
    if container == "numpy":
        y_in, targets = rating.to_numpy(), TargetSplitter(kinds="quantile")
    elif container == "series":
        y_in, targets = rating, TargetSplitter(kinds="quantile")
    elif container == "dict":
        y_in = {"rating": rating.to_numpy(), "sentiment": y["sentiment"].to_numpy()}
        targets = quantile_targets(quantiles=(0.1, 0.5, 0.9))
    else:
        pl = pytest.importorskip("polars")
        frame = pl.from_pandas(pd.DataFrame({"rating": rating}).reset_index(drop=True))
        y_in = frame if container == "polars" else frame["rating"]
        targets = TargetSplitter(kinds="quantile")
    est = make_est(targets=targets, epochs=2).fit(X, y_in)
    q = est.predict_quantiles(X.iloc[:7])
    if container == "numpy":
        assert isinstance(q, np.ndarray) and q.shape == (7, 3) and q.dtype == np.float32
        np.testing.assert_array_equal(q[:, 1], est.predict(X.iloc[:7]))
    elif container == "series":
        assert list(q.columns) == ["rating_q0.05", "rating_q0.5", "rating_q0.95"]
        assert (q.dtypes == np.float32).all() and q.index.equals(X.index[:7])
    elif container == "dict":
        assert list(q) == ["rating_q0.1", "rating_q0.5", "rating_q0.9"]
        assert all(v.shape == (7,) for v in q.values())
        np.testing.assert_array_equal(q["rating_q0.5"], est.predict(X.iloc[:7])["rating"])
        q = np.column_stack(list(q.values()))
    else:
        assert type(q).__module__.startswith("polars") and q.columns == [
            "rating_q0.05", "rating_q0.5", "rating_q0.95"]
        q = q.to_numpy()
    assert _monotone(q)
    empty = est.predict_quantiles(X.iloc[:0])
    assert all(len(v) == 0 for v in empty.values()) if container == "dict" else len(empty) == 0


def test_estimator_without_a_quantile_head_refuses_naming_its_heads(reviews):
    X, y = reviews
    est = make_est(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"no quantile head.*'rating': 'continuous'"):
        est.predict_quantiles(X)


@pytest.mark.parametrize("quantiles, message", [
    ((0.1, 0.9), "must include 0.5"),
    ((0.0, 0.5), "strictly between 0 and 1"),
    ((0.5, "0.9"), "strictly between 0 and 1"),
    ((0.5, 0.5), "repeat a level"),
    ("0.5", "'quantiles' parameter of TargetSplitter must be an array-like"),
    ({"sentiment": (0.1, 0.5)}, r"'sentiment': 'binary'.*not"),
    ({"price": (0.1, 0.5)}, "names heads \\['price'\\] that y does not have"),
])
def test_bad_quantiles_are_refused_naming_the_head(quantiles, message, reviews):
    _, y = reviews
    with pytest.raises(ValueError, match=message):
        quantile_targets(quantiles=quantiles).fit(y)


def test_quantiles_without_a_quantile_head_and_multicolumn_heads_are_refused(reviews):
    _, y = reviews
    with pytest.raises(ValueError, match="applies to quantile heads"):
        TargetSplitter(quantiles=(0.2, 0.5, 0.8)).fit(y)
    two = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 1.0, 0.0]})
    with pytest.raises(ValueError, match="quantile head 'both' spans 2 columns"):
        TargetSplitter(heads={"both": ["a", "b"]}, kinds="quantile").fit(two)


def test_default_model_gives_a_quantile_head_one_monotone_unit_per_level():
    levels = (0.1, 0.25, 0.5, 0.75, 0.9)
    meta = skmm.ModelMeta(
        inputs={"numeric": skmm.InputSpec("numeric", "numeric", (3,), "float32")},
        heads={"price": HeadSpec("price", "quantile", 5, quantiles=levels),
               "flag": HeadSpec("flag", "binary", 1, classes=np.arange(2))})
    model = skmm.architectures.default_model(meta, members=1)
    assert model.output_names == ["price", "flag"]
    assert [o.shape[-1] for o in model.outputs] == [5, 1]
    assert model.get_layer("price").median_index == 2
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32") * 10
    assert _monotone(model.predict_on_batch(x)[0])
    # with ensemble members, every member's levels rise too (and so does their mean)
    members = skmm.architectures.default_model(meta, members=3).predict_on_batch(x)[0]
    assert members.shape == (64, 3, 5)
    assert all(_monotone(members[:, i]) for i in range(3)) and _monotone(members.mean(axis=1))


def test_users_model_width_is_checked_and_crossing_outputs_are_sorted(reviews):
    X, y = reviews

    def build(meta, units):
        inputs = [keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()]
        x = keras.layers.Concatenate()([keras.layers.Flatten()(keras.ops.cast(i, "float32"))
                                        for i in inputs])
        return keras.Model(inputs, keras.layers.Dense(units, name="rating")(x))

    bad = make_est(model=build, model__units=2, targets=quantile_targets(), epochs=1)
    with pytest.raises(ValueError, match=r"head 'rating' \(quantile\) needs 3: one per "
                                         r"quantile \[0.05, 0.5, 0.95\]"):
        bad.fit(X, y[["rating"]])
    est = make_est(model=build, model__units=3, targets=quantile_targets(), epochs=1)
    est.fit(X, y[["rating"]])
    assert _monotone(est.predict_quantiles(X))  # a plain Dense may cross; decoding sorts


def test_save_load_pickle_and_clone_keep_the_quantiles(fitted, tmp_path):
    est, X, _ = fitted
    q = est.predict_quantiles(X)
    path = os.path.join(tmp_path, "q.skmm")
    skmm.save(est, path)
    loaded = skmm.load(path)
    pd.testing.assert_frame_equal(loaded.predict_quantiles(X), q)
    assert loaded.targets_.heads_["rating"].quantiles == LEVELS
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(est)).predict_quantiles(X), q)
    # the user's PinballLoss as a parameter is stored too
    with_loss = clone(est).set_params(loss={"rating": PinballLoss(quantiles=LEVELS)}, epochs=1)
    skmm.save(with_loss.fit(X, fitted[2]), path)
    assert skmm.load(path).loss["rating"].quantiles == LEVELS
    copy = clone(est)
    assert copy.get_params()["targets__quantiles"] is None
    assert not hasattr(copy, "model_")


def test_grid_search_tunes_the_levels(reviews):
    X, y = reviews
    est = make_est(targets=quantile_targets(), epochs=1)
    search = GridSearchCV(est, {"targets__quantiles": [(0.1, 0.5, 0.9), (0.25, 0.5, 0.75)]},
                          cv=KFold(2)).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.targets_.heads_["rating"].quantiles
    assert best in ((0.1, 0.5, 0.9), (0.25, 0.5, 0.75))
    assert est.targets.quantiles is None  # the user's splitter untouched


def test_sample_weights_reach_the_pinball_loss(reviews):
    X, y = reviews
    y = y[["rating"]]
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.0)
    base = make_est(targets=quantile_targets(), epochs=1)
    a = clone(base).fit(X, y, sample_weight=weights)
    b = clone(base).fit(X.iloc[::2], y.iloc[::2])
    b_all = clone(base).fit(X, y)
    # zero weights remove rows from the loss (the batches differ, so not bit-identical)
    assert a.history_["loss"].iloc[-1] != pytest.approx(b_all.history_["loss"].iloc[-1],
                                                         rel=1e-9)
    assert np.isfinite(b.history_["loss"]).all()


def test_mapie_split_conformal_wraps_a_single_head_regressor():
    regression = pytest.importorskip("mapie.regression")
    X, y = heteroscedastic(n=500)
    # MAPIE hands on numpy X and indexes predictions as arrays: a numpy y predicts arrays
    X = X[["price", "age"]].to_numpy(dtype=np.float32)
    y = y["rating"].to_numpy()
    est = FunctionalRegressor(epochs=8, random_state=0, optimizer__learning_rate=0.01)
    if hasattr(regression, "SplitConformalRegressor"):  # MAPIE 1.x
        mapie = regression.SplitConformalRegressor(est, confidence_level=0.9, prefit=False)
        mapie.fit(X[:300], y[:300]).conformalize(X[300:400], y[300:400])
        point, intervals = mapie.predict_interval(X[400:])
    else:  # MAPIE 0.x
        mapie = regression.MapieRegressor(est, method="base", cv="split", test_size=0.25,
                                          random_state=0).fit(X[:400], y[:400])
        point, intervals = mapie.predict(X[400:], alpha=0.1)
    lower, upper = intervals[:, 0, 0], intervals[:, 1, 0]
    truth = y[400:]
    assert point.shape == (100,) and (lower <= point).all() and (point <= upper).all()
    assert 0.75 <= np.mean((lower <= truth) & (truth <= upper)) <= 1.0


def test_conformal_intervals_cover_the_calibration_rows_and_name_bad_levels(fitted):
    est, X, y = fitted
    y = y.copy()
    y.loc[y.index[0], "rating"] = np.nan
    intervals = ConformalIntervals(est, coverage=0.9).fit(X, y)
    assert intervals.n_calibration_ == {"rating": len(y) - 1}
    bounds = intervals.predict_interval(X)["rating"]
    q = est.predict_quantiles(X)
    margin = intervals.margins_["rating"]
    np.testing.assert_allclose(bounds[:, 0], q["rating_q0.05"] - margin)
    np.testing.assert_allclose(bounds[:, 1], q["rating_q0.95"] + margin)
    # on the rows it was calibrated on, the split-conformal rank guarantees the coverage
    keep = y["rating"].notna().to_numpy()
    truth = y["rating"].to_numpy()[keep]
    inside = (bounds[keep, 0] <= truth) & (truth <= bounds[keep, 1])
    assert inside.mean() >= 0.9
    # too few rows to vouch for 90%: an unbounded interval, not a false one
    few = ConformalIntervals(est, coverage=0.9).fit(X.iloc[1:6], y.iloc[1:6])
    assert few.margins_ == {"rating": float("inf")}
    with pytest.raises(ValueError, match=r"coverage=0.8 needs levels \[0.1, 0.9\] in quantile "
                                         r"head 'rating', which predicts \[0.05, 0.5, 0.95\]"):
        ConformalIntervals(est, coverage=0.8).fit(X, y)
    assert clone(intervals).get_params()["coverage"] == 0.9


def test_conformal_intervals_refuse_an_estimator_without_quantile_heads(reviews):
    X, y = reviews
    est = make_est(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="no quantile head"):
        ConformalIntervals(est).fit(X, y)


# -- values: the loss and the layer, for any input ----------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_non_crossing_layer_rises_and_keeps_the_median(data):
    width = data.draw(st.integers(1, 6))
    median = data.draw(st.integers(0, width - 1))
    raw = data.draw(arrays(np.float32, (data.draw(st.integers(1, 8)), width),
                           elements=st.floats(-30, 30, width=32)))
    out = np.asarray(keras.ops.convert_to_numpy(NonCrossingQuantiles(median)(raw)))
    assert out.shape == raw.shape
    assert (np.diff(out, axis=1) >= 0).all()
    np.testing.assert_array_equal(out[:, median], raw[:, median])


@settings(max_examples=40, deadline=None)
@given(data=st.data(), levels=st.lists(st.sampled_from([0.05, 0.1, 0.25, 0.75, 0.9, 0.95]),
                                       unique=True, max_size=4))
def test_pinball_loss_is_the_mean_of_sklearns_pinball_losses(data, levels):
    levels = check_quantiles([*levels, 0.5], "h")
    n = data.draw(st.integers(1, 10))
    y_true = data.draw(arrays(np.float64, (n, 1), elements=st.floats(-100, 100)))
    y_pred = data.draw(arrays(np.float64, (n, len(levels)), elements=st.floats(-100, 100)))
    got = float(keras.ops.convert_to_numpy(PinballLoss(quantiles=levels)(y_true, y_pred)))
    expected = np.mean([mean_pinball_loss(y_true[:, 0], y_pred[:, j], alpha=q)
                        for j, q in enumerate(levels)])
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-4)


@settings(max_examples=30, deadline=None)
@given(raw=arrays(np.float64, (5, 3), elements=st.floats(-1e3, 1e3)),
       mean=st.floats(-1e4, 1e4), scale=st.floats(1e-3, 1e3))
def test_decoded_quantiles_never_cross_whatever_the_raw_outputs(raw, mean, scale):
    head = HeadSpec("p", "quantile", 3, columns=["p"], mean=np.array([mean]),
                    scale=np.array([scale]), quantiles=LEVELS)
    values = head.head_kind.quantile_values(head, raw)
    assert (np.diff(values, axis=1) >= 0).all()
    assert head.head_kind.decode(head, raw).tolist() == values[:, 1].tolist()
