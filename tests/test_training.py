"""skmm's training settings: the "auto" batch size and learning rate; early stopping: the
callbacks it adds, the weight average it ends with, the rows it holds out (never a copy of a
training row), and progress and early stopping as a user sets them through the estimator."""

import functools

import conftest
import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV

from skmm._rows import MAX_COPIES, Rows, duplicate_groups
from skmm._training import (
    WeightAverage,
    add_early_stopping,
    auto_batch_size,
    auto_learning_rate,
    batch_and_learning_rate,
)

make_est_longer = functools.partial(conftest.make_est, epochs=3, optimizer__learning_rate=0.01)


def tiny_model():
    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Dense(1)(inp))
    model.compile(optimizer="adam", loss="mse")
    return model


def play(model, val_losses):
    """Run WeightAverage over epochs whose weights are all `epoch` and whose losses are given."""
    callback = WeightAverage()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, loss in enumerate(val_losses):
        model.set_weights([np.full_like(w, epoch) for w in model.get_weights()])
        callback.on_epoch_end(epoch, {"val_loss": loss})
    callback.on_train_end()
    return model.get_weights()


@pytest.mark.parametrize("n, batch", [
    (2896, 32), (11586, 256), (23170, 256), (23171, 512), (46340, 512), (46341, 1024),
    (200_000, 1024), (10**7, 1024),
])
def test_auto_batch_size_grows_to_1024_on_large_data(n, batch):
    # the power of two nearest n / 64: large data trains in fewer, larger steps, up to 1024
    assert auto_batch_size(n) == batch


def test_auto_learning_rate_follows_the_square_root_of_the_large_batches():
    assert batch_and_learning_rate("auto", "auto", 200_000) == (
        1024, pytest.approx(1e-3 * 32 ** 0.5))
    assert auto_learning_rate(512) == pytest.approx(4e-3)
    # split over 3 devices, the largest auto batch rounds up to a multiple of 3
    assert batch_and_learning_rate("auto", "auto", 200_000, shards=3)[0] == 1026
    # a number given keeps its batch size whatever the data size
    assert batch_and_learning_rate(256, "auto", 200_000) == (256, pytest.approx(1e-3 * 8 ** 0.5))


def test_training_ends_with_the_mean_from_the_epoch_before_the_best_one():
    model = tiny_model()
    # best at epoch 3 (0.5): epochs 2, 3, 4, 5, 6 are averaged -> 4.0
    weights = play(model, [1.0, 0.9, 0.8, 0.5, 0.6, 0.7, 0.9])
    assert all(np.allclose(w, 4.0) for w in weights)
    assert all(w.dtype == np.float32 for w in weights)
    # best at the first epoch: it and the later ones
    assert all(np.allclose(w, 1.0) for w in play(model, [0.1, 0.2, 0.3]))
    # one epoch only: nothing to average, the weights stay
    assert all(np.allclose(w, 0.0) for w in play(model, [0.3]))


def test_a_fit_with_early_stopping_ends_averaged(monkeypatch):
    seen = []
    original = WeightAverage.on_train_end

    def spy(self, logs=None):
        seen.append(len(self._snapshots))
        original(self, logs)

    monkeypatch.setattr(WeightAverage, "on_train_end", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 3)).astype("float32")
    from skmm import FunctionalRegressor

    FunctionalRegressor(epochs=6, random_state=0).fit(X, X @ [1.0, -1.0, 0.5])
    assert len(seen) == 1 and seen[0] >= 2


def test_what_skmm_adds_gives_way_to_the_users_callbacks():
    def kinds(callbacks, optimizer=None):
        add_early_stopping(callbacks, 3, optimizer)
        return [type(cb).__name__ for cb in callbacks]

    assert kinds([]) == ["EarlyStopping", "WeightAverage", "ReduceLROnPlateau"]
    # the user's own stopping takes the place of skmm's, and nothing is averaged
    mine = keras.callbacks.EarlyStopping(monitor="val_a_accuracy", mode="max")
    assert kinds([mine]) == ["EarlyStopping", "ReduceLROnPlateau"]
    # learning-rate callbacks or a schedule keep their learning rate
    assert kinds([keras.callbacks.ReduceLROnPlateau()]).count("ReduceLROnPlateau") == 1
    assert "ReduceLROnPlateau" not in kinds([keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: lr)])
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)
    assert "ReduceLROnPlateau" not in kinds([], keras.optimizers.Adam(schedule))
    assert "ReduceLROnPlateau" in kinds([], keras.optimizers.Adam(1e-3))


def test_the_learning_rate_drops_by_4_after_an_epoch_without_progress():
    model = tiny_model()
    model.optimizer.learning_rate = 0.01
    callbacks = []
    add_early_stopping(callbacks, 3, model.optimizer)
    plateau = callbacks[-1]
    plateau.set_model(model)
    plateau.on_train_begin()
    plateau.on_epoch_end(0, {"val_loss": 1.0})
    plateau.on_epoch_end(1, {"val_loss": 1.5})
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(
        0.0025)


# -- progress and early stopping as a user sets them ------------------------------------
def test_verbose_shows_keras_progress(reviews, capsys):
    X, y = reviews
    make_est_longer(epochs=2, verbose=1).fit(X, y)
    shown = capsys.readouterr().out
    assert "Epoch 1/2" in shown and "Epoch 2/2" in shown and "loss" in shown
    make_est_longer(epochs=2, verbose=0).fit(X, y)
    assert "Epoch" not in capsys.readouterr().out


def test_early_stopping_on_one_head_inside_grid_search(reviews):
    X, y = reviews
    # min_delta so large that no epoch after the first counts as better: Keras must
    # stop after exactly patience + 1 epochs if the callback is really in use
    est = make_est_longer(epochs=6, validation_split=0.25,
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
    est = make_est_longer(epochs=6, early_stopping=True,
                   callbacks=[keras.callbacks.EarlyStopping(monitor="val_rating_loss", mode="min",
                                                            min_delta=100.0, patience=2)])
    est.fit(X, y)
    assert len(est.history_) == 3  # the user's patience, not n_iter_no_change=3
    assert "val_rating_loss" in est.history_  # skmm still held out the rows


# -- the rows early stopping holds out ------------------------------------------------------
def _keys(rows):
    """Each row of ``rows.inputs`` as one hashable key (its values in every input)."""
    parts = [np.asarray(a).reshape(rows.n, -1) for a in rows.inputs.values()]
    return [tuple(tuple(p[i]) for p in parts) for i in range(rows.n)]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(2, 120), distinct=st.integers(1, 12),
       fraction=st.sampled_from([0.1, 0.25, 0.5]), seed=st.integers(0, 2**16))
def test_copies_of_a_row_are_never_split_between_training_and_held_out(data, n, distinct,
                                                                      fraction, seed):
    # rows drawn from few distinct rows, each with its own target, so most repeat whole
    # (resampled or oversampled data)
    pick = np.asarray(data.draw(st.lists(st.integers(0, distinct - 1), min_size=n,
                                         max_size=n)))
    ids = np.arange(distinct * 3).reshape(distinct, 3)
    words = np.array([f"w{i % 4}" for i in range(distinct)], dtype=object)
    rows = Rows({"ids": ids[pick], "text": words[pick].reshape(n, 1)},
                {"y": (np.arange(distinct) % 3.0)[pick]}, {"y": np.arange(n)})
    train, held = rows.hold_out(fraction, seed)
    position = np.concatenate([train.weights["y"], held.weights["y"]])
    assert sorted(position) == list(range(n)) and train.n and held.n
    # both parts keep the rows' order
    assert list(train.weights["y"]) == sorted(train.weights["y"])
    assert list(held.weights["y"]) == sorted(held.weights["y"])
    share = max(1, round(fraction * n))
    copies = min(MAX_COPIES, share)
    sizes = np.bincount(pick)
    side = dict.fromkeys(range(n), "train") | dict.fromkeys(held.weights["y"].tolist(), "held")
    for value in np.flatnonzero((sizes > 1) & (sizes <= copies)):  # copies: on one side
        assert len({side[i] for i in np.flatnonzero(pick == value)}) == 1
    assert held.n < share + copies  # the share, overshot by less than one group


def test_without_repeats_the_split_is_the_plain_shuffle():
    rng = np.random.default_rng(0)
    n = 500
    rows = Rows({"a": rng.normal(size=(n, 3)), "b": rng.integers(0, 9, (n, 4, 2))},
                {"y": np.arange(n)})
    train, held = rows.hold_out(0.1, 7)
    order = np.random.default_rng(7).permutation(n)
    np.testing.assert_array_equal(held.targets["y"], np.sort(order[:50]))
    np.testing.assert_array_equal(train.targets["y"], np.sort(order[50:]))
    # rows equal in one input but not in another are different rows
    same_a = Rows({"a": np.zeros((n, 3)), "b": np.arange(n)[:, None]}, {"y": np.arange(n)})
    assert duplicate_groups(same_a.inputs, n) is None
    np.testing.assert_array_equal(same_a.hold_out(0.1, 7)[1].targets["y"], np.sort(order[:50]))
    # values pandas cannot hash (lists in an object array) count as distinct rows
    lists = np.empty(n, dtype=object)
    lists[:] = [[i % 3] for i in range(n)]
    assert duplicate_groups({"lists": lists}, n) is None
    # missing values repeat like any other value
    np.testing.assert_array_equal(
        duplicate_groups({"x": np.array([[1.0, np.nan], [1.0, np.nan], [2.0, 3.0]])}, 3), [0, 0, 1])


def test_all_rows_identical_still_hold_some_out():
    rows = Rows({"a": np.ones((40, 2))}, {"y": np.arange(40)})
    train, held = rows.hold_out(0.1, 0)
    assert (train.n, held.n) == (36, 4)


def test_a_value_the_data_holds_often_is_split_like_distinct_rows():
    # one category value on 90 rows with the same label, 10 other rows: more identical
    # rows than copies are, so they split as a shuffle splits them
    a = np.concatenate([np.zeros(90), np.arange(1, 11)])[:, None]
    rows = Rows({"a": a}, {"y": np.zeros(100)}, {"y": np.arange(100)})
    held = rows.hold_out(0.1, 0)[1]
    np.testing.assert_array_equal(held.weights["y"],
                                  np.sort(np.random.default_rng(0).permutation(100)[:10]))
    # the same rows with targets that differ: no copies either
    differ = Rows({"a": np.zeros((100, 1))}, {"y": np.arange(100.0)}, {"y": np.arange(100)})
    assert duplicate_groups({**differ.inputs, **differ.targets}, 100) is None


def test_a_fit_on_repeated_rows_validates_on_rows_it_never_trained_on(monkeypatch):
    from skmm import FunctionalRegressor, InputRouter

    seen = []
    original = Rows.hold_out

    def spy(self, fraction, seed):
        train, held = original(self, fraction, seed)
        seen.append((set(_keys(train)), set(_keys(held)), train.n, held.n))
        return train, held

    monkeypatch.setattr(Rows, "hold_out", spy)
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"x": rng.normal(size=400), "title": [f"film {i % 97} part {i % 7}"
                                                              for i in range(400)]})
    picks = rng.integers(0, len(base), 2000)  # each row about five times, as resampling does
    X = base.iloc[picks].reset_index(drop=True)
    # each copy keeps its row's target, as resampling does
    y = (base["x"] * 2 + rng.normal(scale=0.1, size=len(base))).iloc[picks].reset_index(drop=True)
    router = InputRouter.from_columns(numeric=["x"], text=["title"])
    FunctionalRegressor(router=router, epochs=1, random_state=0).fit(X, y)
    (train_keys, held_keys, n_train, n_held), = seen
    assert n_train + n_held == len(X) and n_held >= 200
    assert not train_keys & held_keys
