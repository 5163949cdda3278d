"""Training users can see (history, plots, progress, per-head early stopping) and
metadata routing of sample weights through scikit-learn's meta-estimators."""

import functools

import conftest
import keras
import numpy as np
import pandas as pd
import pytest
import sklearn
from conftest import review_router
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline

from skmm import FunctionalEstimator

# this file trains a little longer than conftest.make_est
make_est = functools.partial(conftest.make_est, epochs=3, optimizer__learning_rate=0.01)


@pytest.fixture(scope="module")
def with_validation(reviews):
    X, y = reviews
    return make_est(validation_split=0.25).fit(X, y)


def test_history_has_a_column_per_head_metric(with_validation):
    history = with_validation.history_
    assert list(history.index) == [1, 2, 3] and history.index.name == "epoch"
    for column in ("loss", "sentiment_loss", "sentiment_accuracy", "rating_loss", "rating_mae"):
        assert column in history and f"val_{column}" in history


def test_plot_history_draws_a_panel_per_head(with_validation):
    import matplotlib

    matplotlib.use("Agg")
    fig = with_validation.plot_history()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "sentiment", "rating"]
    sentiment = fig.axes[1]
    labels = [line.get_label() for line in sentiment.get_lines()]
    assert labels == ["sentiment_loss", "val_sentiment_loss", "sentiment_accuracy",
                      "val_sentiment_accuracy"]
    dashed = [line.get_linestyle() for line in sentiment.get_lines()]
    assert dashed == ["-", "--", "-", "--"]
    np.testing.assert_allclose(sentiment.get_lines()[2].get_ydata(),
                               with_validation.history_["sentiment_accuracy"])
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_plot_history_before_fit_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        make_est().plot_history()


def test_verbose_shows_keras_progress(reviews, capsys):
    X, y = reviews
    make_est(epochs=2, verbose=1).fit(X, y)
    shown = capsys.readouterr().out
    assert "Epoch 1/2" in shown and "Epoch 2/2" in shown and "loss" in shown
    make_est(epochs=2, verbose=0).fit(X, y)
    assert "Epoch" not in capsys.readouterr().out


def test_early_stopping_on_one_head_inside_grid_search(reviews):
    X, y = reviews
    # min_delta so large that no epoch after the first counts as better: Keras must
    # stop after exactly patience + 1 epochs if the callback is really in use
    est = make_est(epochs=6, validation_split=0.25,
                   callbacks={"stop": keras.callbacks.EarlyStopping},
                   callbacks__stop__monitor="val_sentiment_accuracy",
                   callbacks__stop__mode="max", callbacks__stop__min_delta=10.0)
    search = GridSearchCV(est, {"callbacks__stop__patience": [1, 2]}, cv=2,
                          refit=True).fit(X, y)
    best = search.best_estimator_
    assert len(best.history_) == best.get_params()["callbacks__stop__patience"] + 1
    assert "val_sentiment_accuracy" in best.history_


def test_users_early_stopping_replaces_skmms(reviews):
    X, y = reviews
    est = make_est(epochs=6, early_stopping=True,
                   callbacks=[keras.callbacks.EarlyStopping(monitor="val_rating_loss", mode="min",
                                                            min_delta=100.0, patience=2)])
    est.fit(X, y)
    assert len(est.history_) == 3  # the user's patience, not n_iter_no_change=3
    assert "val_rating_loss" in est.history_  # skmm still held out the rows


# -- metadata routing ------------------------------------------------------------

@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def head_weights_frame(y, rating=1.0):
    return pd.DataFrame({"sentiment": np.ones(len(y)), "rating": np.full(len(y), rating)},
                        index=y.index)


def test_sample_weight_reaches_fit_through_pipeline(routing, reviews):
    X, y = reviews
    pipe = Pipeline([("model", make_est(epochs=1).set_fit_request(sample_weight=True))])
    # the weights arrive: an all-zero head is refused by fit itself
    with pytest.raises(ValueError, match=r"sample_weight\['rating'\] is zero"):
        pipe.fit(X, y, sample_weight=head_weights_frame(y, rating=0.0))
    pipe.fit(X, y, sample_weight=head_weights_frame(y))
    weighted = pipe.predict(X)
    plain = Pipeline([("model", make_est(epochs=1))]).fit(X, y).predict(X)
    pd.testing.assert_frame_equal(weighted, plain)  # weights of one change nothing


def test_per_head_weights_are_split_by_row_in_cross_validate(routing, reviews):
    X, y = reviews
    est = make_est(epochs=1).set_fit_request(sample_weight=True).set_score_request(
        sample_weight=False)
    weights = head_weights_frame(y)
    weights.loc[weights.index[:60], "rating"] = 0.0  # rows the rating head ignores
    result = cross_validate(est, X, y, params={"sample_weight": weights},
                            cv=KFold(2), return_estimator=True)
    assert np.isfinite(result["test_score"]).all()
    # the first fold trains on rows 120..239 only, where no weight is zero; the second
    # gets rows 0..119 with 60 zero weights: if the frame were not cut by row its
    # 240 values would not match the 120 rows and fit would refuse it
    with pytest.raises(ValueError, match=r"sample_weight\['rating'\] is zero"):
        cross_validate(est, X, y, params={"sample_weight": head_weights_frame(y, 0.0)},
                       cv=KFold(2), error_score="raise")


def test_one_d_sample_weight_through_grid_search(routing, reviews):
    X, y = reviews
    est = make_est(epochs=1).set_fit_request(sample_weight=True).set_score_request(
        sample_weight=True)
    weights = np.ones(len(y))
    search = GridSearchCV(est, {"batch_size": [16]}, cv=2, refit=False).fit(
        X, y, sample_weight=weights)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    with pytest.raises(ValueError, match="sample_weight is zero for every sample"):
        GridSearchCV(est, {"batch_size": [16]}, cv=2, error_score="raise").fit(
            X, y, sample_weight=np.zeros(len(y)))


def test_unrequested_weights_are_refused_under_routing(routing, reviews):
    X, y = reviews
    with pytest.raises(Exception, match="set_fit_request"):
        Pipeline([("model", make_est(epochs=1))]).fit(X, y, sample_weight=np.ones(len(y)))


def test_epoch_log_prints_a_line_per_epoch_with_each_heads_validation_metric(reviews):
    import io

    from skmm import EpochLog

    X, y = reviews
    out = io.StringIO()
    FunctionalEstimator(router=review_router(), epochs=3, validation_split=0.2, random_state=0,
                        callbacks=[EpochLog(file=out)]).fit(X, y)
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    for line in lines:
        assert " s  loss " in line and "val_sentiment_accuracy" in line and "val_rating_mae" in line
