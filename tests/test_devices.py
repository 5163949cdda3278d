"""distribution=: one fit over several devices (JAX), and a clear refusal elsewhere.

The several-device checks run in a subprocess on JAX with two simulated CPU
devices (``XLA_FLAGS=--xla_force_host_platform_device_count=2``), whatever
backend runs the rest of the suite.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest

from skmm import FunctionalEstimator

BACKEND = keras.backend.backend()

# Fits one default model on one device and on two, and a model whose first layer
# records how its input batch is sharded; prints what it saw as JSON.
TWO_DEVICES = textwrap.dedent("""
    import json, pickle
    import jax, keras, numpy as np, pandas as pd
    from skmm import FunctionalEstimator

    rng = np.random.default_rng(0)
    def frame(n):
        words = np.array(["good", "bad", "fine", "awful", "great", "poor"])
        X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "text": [" ".join(rng.choice(words, 4)) for _ in range(n)]})
        good = X["text"].str.count("good|great|fine") - X["text"].str.count("bad|awful|poor")
        y = pd.DataFrame({"label": np.where(good + X["a"] > 0, "yes", "no"),
                          "value": 2 * X["b"] + good + 0.1 * rng.normal(size=n)})
        return X, y

    out = {"devices": [str(d) for d in keras.distribution.list_devices()]}
    X, y = frame(400)
    preds, scores = {}, {}
    for dist in (None, "auto"):
        est = FunctionalEstimator(epochs=4, batch_size=32, random_state=0, distribution=dist)
        est.fit(X, y)
        preds[dist] = est.predict(X)
        if dist == "auto":  # a model trained over two devices pickles and predicts the same
            out["pickle equal"] = bool(pickle.loads(pickle.dumps(est)).predict(X).equals(
                preds[dist]))
        scores[str(dist)] = est.score_per_head(X, y)
        out[f"global distribution after {dist}"] = repr(keras.distribution.distribution())
    out["scores"] = scores
    out["max value gap"] = float(np.abs(preds[None]["value"] - preds["auto"]["value"]).max())
    out["label agreement"] = float((preds[None]["label"] == preds["auto"]["label"]).mean())

    seen = []
    class Spy(keras.layers.Layer):
        def call(self, x):
            jax.debug.inspect_array_sharding(x, callback=lambda s: seen.append(
                (str(tuple(s.spec)), len(s.device_set))))
            return x

    def build(meta):
        inputs = {n: keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()}
        parts = [Spy()(inputs[n]) if s.kind == "numeric" else
                 keras.layers.GlobalAveragePooling1D()(
                     keras.layers.Embedding(s.vocabulary_size, 8)(inputs[n]))
                 for n, s in meta.inputs.items()]
        h = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()(parts))
        return keras.Model(inputs, [keras.layers.Dense(1, activation="sigmoid", name="label")(h),
                                    keras.layers.Dense(1, name="value")(h)])

    # 302 rows: 271 train and 31 validate, both odd, so both are padded to split in two
    Xo, yo = frame(302)
    est = FunctionalEstimator(build, epochs=2, batch_size=32, validation_split=0.1,
                              random_state=0, distribution="auto").fit(Xo, yo)
    out["spy shardings"] = sorted(set(seen))
    out["odd rows predicted"] = len(est.predict(Xo[:301]))
    out["history epochs"] = len(est.history_)
    out["has val metrics"] = any(c.startswith("val_") for c in est.history_.columns)
    try:
        FunctionalEstimator(build, epochs=1, batch_size=33, distribution="auto").fit(Xo, yo)
    except ValueError as exc:
        out["odd batch error"] = str(exc)

    # a model made on one device (or unpickled) goes on training over both
    one = FunctionalEstimator(epochs=1, batch_size=32, random_state=0, warm_start=True).fit(X, y)
    one = pickle.loads(pickle.dumps(one))
    one.set_params(distribution="auto").fit(X, y)
    one.partial_fit(X, y)
    out["warm start epochs"] = len(one.history_)
    out["warm start score"] = one.score_per_head(X, y)["value"]

    # a distribution object as the parameter: clone and pickle after a fit
    from sklearn.base import clone
    dist = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    est = FunctionalEstimator(epochs=1, random_state=0, distribution=dist).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    out["object pickles"] = bool(again.predict(X).equals(est.predict(X)))
    out["object clones"] = len(clone(est).fit(X, y).predict(X)) == len(X)
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.slow
def test_one_fit_over_two_devices_shards_batches_and_matches_one_device():
    env = dict(os.environ, KERAS_BACKEND="jax",
               XLA_FLAGS="--xla_force_host_platform_device_count=2")
    proc = subprocess.run([sys.executable, "-c", TWO_DEVICES], capture_output=True, text=True,
                          env=env, timeout=600, cwd=os.path.dirname(__file__))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert len(out["devices"]) == 2
    # every batch the model saw was split along its rows over both devices
    assert out["spy shardings"] == [["('batch',)", 2]]
    # the scope left no distribution behind
    assert out["global distribution after auto"] == "None"
    assert out["global distribution after None"] == "None"
    # two devices train the same model as one, up to the order of float sums
    assert out["max value gap"] < 1e-3
    assert out["label agreement"] >= 0.99
    one, two = out["scores"]["None"], out["scores"]["auto"]
    for head in one:
        assert two[head] == pytest.approx(one[head], abs=1e-3)
    # padding kept every row: odd row counts train, validate and predict
    assert out["odd rows predicted"] == 301
    assert out["history epochs"] == 2 and out["has val metrics"]
    # fit on one device, pickled, then warm-started and partial_fit over two devices
    assert out["warm start epochs"] == 3 and out["warm start score"] > 0.5
    assert out["object pickles"] and out["object clones"]
    assert out["pickle equal"]
    assert "batch_size=33" in out["odd batch error"]
    assert "multiple of 2" in out["odd batch error"]


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = pd.DataFrame({"value": X["a"] - X["b"], "sign": np.where(X["a"] > 0, "up", "down")})
    return X, y


@pytest.mark.skipif(BACKEND == "jax", reason="JAX accepts distributions (tested above)")
def test_other_backends_refuse_a_distribution_object(small):
    X, y = small
    try:
        dist = keras.distribution.DataParallel(devices=["cpu:0"])
    except AttributeError:
        # Keras 3.5 cannot even build one on TensorFlow (its distribution_lib lacks
        # num_processes); an unbuilt instance still is what a user would pass
        dist = keras.distribution.DataParallel.__new__(keras.distribution.DataParallel)
    est = FunctionalEstimator(epochs=1, distribution=dist)
    with pytest.raises(ValueError, match=r"needs the JAX backend.*KERAS_BACKEND=jax"):
        est.fit(X, y)


def test_auto_on_one_device_trains_as_without_distribution(small):
    # this process has one device (or a non-JAX backend): "auto" changes nothing
    X, y = small
    plain = FunctionalEstimator(epochs=2, random_state=0).fit(X, y)
    auto = FunctionalEstimator(epochs=2, random_state=0, distribution="auto").fit(X, y)
    pd.testing.assert_frame_equal(auto.predict(X), plain.predict(X), check_exact=True)
    assert keras.distribution.distribution() is None


def test_distribution_parameter_is_validated(small):
    X, y = small
    with pytest.raises(ValueError, match="'distribution' parameter"):
        FunctionalEstimator(distribution="all").fit(X, y)


def test_rows_split_and_pad_to_the_device_count():
    from skmm._rows import Rows
    from skmm._training import batch_and_learning_rate, split_rows

    x = {"x": np.arange(10.0)}
    y = {"h": np.arange(10.0) * 2}
    w = {"h": np.full(10, 0.5, dtype="float32")}
    (tx, ty, tw), (vx, vy, vw) = split_rows(Rows(x, y, w), 0.3, False, 0, shards=4)
    # Keras' rule: the first floor(10 * 0.7) = 7 rows train, then padded to 8 with a copy
    np.testing.assert_array_equal(tx["x"], [0, 1, 2, 3, 4, 5, 6, 0])
    np.testing.assert_array_equal(ty["h"], tx["x"] * 2)
    np.testing.assert_array_equal(tw["h"], [0.5] * 7 + [0.0])
    np.testing.assert_array_equal(vx["x"], [7, 8, 9, 7])
    np.testing.assert_array_equal(vw["h"], [0.5, 0.5, 0.5, 0.0])
    # one device: nothing is padded and nothing is held out without a reason
    (tx, _, tw), held = split_rows(Rows(x, y, w), 0.0, False, 0)
    assert held is None and len(tx["x"]) == 10
    with pytest.raises(ValueError, match="validation_split=0.95 leaves no rows"):
        split_rows(Rows(x, y, w), 0.95, False, 0)
    # "auto" batch sizes round up to a multiple of the devices, on warm fits too
    assert batch_and_learning_rate("auto", "auto", 5000, shards=3)[0] == 66
    assert batch_and_learning_rate("auto", "auto", 5000, previous=(64, 1e-3), shards=3) == (
        66, 1e-3)
    with pytest.raises(ValueError, match="batch_size=64 does not split over the 3 devices"):
        batch_and_learning_rate(64, "auto", 5000, shards=3)
