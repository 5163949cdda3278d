"""Missing labels, determinism and isolation, threads, interrupted fits."""

import functools
import os
import subprocess
import sys
import textwrap
import threading

import conftest
import keras
import numpy as np
import pandas as pd
import pytest

from skmm import TargetSplitter

# this file trains a little longer than conftest.make_est
make_est = functools.partial(conftest.make_est, targets=TargetSplitter(standardize=False),
                             epochs=3, batch_size=16, optimizer__learning_rate=0.01)


def test_masked_head_ignores_the_sample_and_the_other_head_does_not(reviews):
    X, y = reviews
    rows = y.index[::3]
    masked = y.copy()
    masked.loc[rows, "rating"] = np.nan
    a = make_est().fit(X, masked).predict(X)

    # the same rows with absurd ratings but zero weight for that head: identical training,
    # so a missing label contributes exactly nothing to its head's loss
    garbage = y.copy()
    garbage.loc[rows, "rating"] = 1e3
    zero = np.where(y.index.isin(rows), 0.0, 1.0)
    b = make_est().fit(X, garbage, sample_weight={"rating": zero}).predict(X)
    pd.testing.assert_frame_equal(a, b)

    # with weight 1 those absurd ratings change the model: the rows do count when labelled
    c = make_est().fit(X, garbage).predict(X)
    assert not np.allclose(a["rating"], c["rating"])

    # and the other head still learns from the rows whose rating is missing
    flipped = masked.copy()
    flipped.loc[rows, "sentiment"] = np.where(masked.loc[rows, "sentiment"] == "positive",
                                              "negative", "positive")
    proba_a = make_est().fit(X, masked).predict_proba(X)["sentiment"]
    proba_d = make_est().fit(X, flipped).predict_proba(X)["sentiment"]
    assert np.abs(proba_a - proba_d).max() > 1e-3


@pytest.mark.parametrize("missing", [np.nan, None, pd.NA])
def test_every_missing_marker_masks(reviews, missing):
    X, y = reviews
    y = y.astype({"sentiment": object, "rating": object})
    y.loc[y.index[:5], "sentiment"] = missing
    y.loc[y.index[5:10], "rating"] = missing
    est = make_est(epochs=1).fit(X, y)
    assert est.targets_.heads_["sentiment"].classes.tolist() == ["negative", "positive"]
    assert est.predict(X.head(10)).notna().all().all()


def test_head_entirely_missing_is_an_error(reviews):
    X, y = reviews
    with pytest.raises(ValueError, match="head 'rating' has no labels at all"):
        make_est().fit(X, y.assign(rating=np.nan))


def test_unseeded_fit_after_a_seeded_one_is_not_made_deterministic(reviews):
    """After a seeded fit, later unseeded fits must differ as if skmm had never run."""
    X, y = reviews
    make_est(epochs=1).fit(X, y)
    a = make_est(epochs=1, random_state=None).fit(X, y).predict(X)
    make_est(epochs=1).fit(X, y)
    b = make_est(epochs=1, random_state=None).fit(X, y).predict(X)
    assert not np.allclose(a["rating"], b["rating"])


_DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import importlib.util, os, random, sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from conftest import make_reviews, review_router
    import keras
    from skmm import FunctionalEstimator
    X, y = make_reviews(n=96)
    def fit():
        est = FunctionalEstimator(router=review_router(),
                                  epochs=2, random_state=7, model__dropout=0.3)
        return est.fit(X, y).predict(X)["rating"].to_numpy()
    state = random.getstate()
    a, b = fit(), fit()
    assert random.getstate() == state, "python's random state changed"
    assert np.array_equal(a, b), "same random_state, different predictions"
    if keras.config.backend() != "tensorflow":
        # seeding imports TensorFlow only to seed it when it is the backend or loaded...
        assert "tensorflow" not in sys.modules, "a seeded fit imported TensorFlow"
        if importlib.util.find_spec("tensorflow") is not None:
            import tensorflow  # noqa: F401
            # ...and with it loaded (and seeded) the fit is the same
            assert np.array_equal(a, fit()), "loading TensorFlow changed a seeded fit"
    print("deterministic on", keras.config.backend())
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_same_random_state_same_predictions_on_each_backend(backend):
    if backend == "jax":
        pytest.importorskip("jax")
    tests = os.path.dirname(os.path.abspath(__file__))
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", _DETERMINISM_SCRIPT.format(tests=tests)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"deterministic on {backend}" in done.stdout


def test_eight_threads_predict_like_one(reviews):
    X, y = reviews
    est = make_est(epochs=1).fit(X, y)
    expected = est.predict(X)
    results, errors = [None] * 8, []

    def work(i):
        try:
            results[i] = est.predict(X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for result in results:
        pd.testing.assert_frame_equal(result, expected)


class _InterruptAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_interrupted_fit_keeps_finished_epochs_and_stays_usable(reviews):
    X, y = reviews
    est = make_est(epochs=5, callbacks=[_InterruptAt(2)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert list(est.history_.index) == [1, 2]  # the two epochs that finished
    pred = est.predict(X.head(4))
    assert pred.notna().all().all()
    # and it can be fitted again from scratch
    est.set_params(callbacks=None, epochs=1)
    assert len(est.fit(X, y).history_) == 1
