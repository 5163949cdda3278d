"""history_, plot_history and EpochLog (skmm/history.py): what training shows a user."""

import functools

import conftest
import numpy as np
import pytest
from conftest import review_router

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
