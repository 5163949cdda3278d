import gc
import json
import os
import pathlib
import pickle
import sys
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from conftest import review_router
from sklearn.base import clone

import skmm
from skmm import FunctionalClassifier, FunctionalEstimator

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def fitted(reviews):
    X, y = reviews
    y = y.assign(grade=pd.Categorical(np.where(y["rating"] > 3, "high", "low")))
    est = FunctionalEstimator(router=review_router(),
                              epochs=2, random_state=0).fit(X, y)
    return est, X, y


def test_save_load_round_trip(fitted, tmp_path):
    est, X, y = fitted
    path = tmp_path / "est.skmm"
    skmm.save(est, path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["estimator.skops", "model.keras", "skmm.json"]
    again = skmm.load(path)
    pd.testing.assert_frame_equal(again.predict(X), est.predict(X))
    pd.testing.assert_frame_equal(again.history_, est.history_)
    assert again.get_params()["epochs"] == 2
    assert again.score_per_head(X, y) == pytest.approx(est.score_per_head(X, y))
    assert isinstance(again.predict(X)["grade"].dtype, pd.CategoricalDtype)


def test_load_and_unpickling_leave_no_full_collection_due_for_the_first_answer(fitted,
                                                                               tmp_path):
    # rebuilding a Keras model leaves much garbage; a full collection (about 0.3 s with
    # TensorFlow loaded) falling in the first predict would make it 100x the next one
    est, X, _ = fitted
    path = tmp_path / "est.skmm"
    skmm.save(est, path)
    data = pickle.dumps(est)
    full = []
    gc.callbacks.append(record := lambda phase, info: full.append(info["generation"] == 2))
    try:
        for make in (lambda: skmm.load(path), lambda: pickle.loads(data)):
            copy = make()
            full.clear()
            _, young, old = gc.get_count()
            assert (young, old) == (0, 0)  # a full collection just ran: none is due
            copy.predict(X.iloc[:1])
            assert not any(full)
    finally:
        gc.callbacks.remove(record)


def test_pickle_payload_in_a_tampered_file_is_never_executed(fitted, tmp_path):
    est, _, _ = fitted
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "tampered.skmm"
    skmm.save(est, path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["estimator.skops"] = pickle.dumps(Payload())
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ValueError):
        skmm.load(path)
    assert not marker.exists()


def build(meta):
    inp = keras.Input(meta.inputs["features"].shape, name="features")
    return keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(inp))


def test_unknown_types_are_refused_and_listed(tmp_path):
    X = np.random.default_rng(0).normal(size=(32, 2))
    clf = FunctionalClassifier(model=build, epochs=1).fit(X, X[:, 0] > 0)
    path = tmp_path / "custom.skmm"
    skmm.save(clf, path)
    with pytest.raises(skmm.UntrustedTypesError, match=r"test_persistence.*build"):
        skmm.load(path)
    untrusted = sio.get_untrusted_types(data=zipfile.ZipFile(path).read("estimator.skops"))
    trusted = [t for t in untrusted if t not in skmm.persistence.SKMM_TYPES]
    again = skmm.load(path, trusted=trusted)
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


def test_not_an_skmm_file_and_future_versions(tmp_path, fitted):
    est, _, _ = fitted
    junk = tmp_path / "junk.skmm"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a file written by skmm.save"):
        skmm.load(junk)
    path = tmp_path / "future.skmm"
    skmm.save(est, path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["skmm.json"] = json.dumps({"format_version": 99}).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ValueError, match="format version 99"):
        skmm.load(path)


def test_unfitted_estimator_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        skmm.save(FunctionalEstimator(), tmp_path / "x.skmm")


def _version(text):
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.skmm")), ids=lambda p: p.name)
def test_files_from_earlier_versions_still_load(fixture):
    """Each format version's fixture is kept forever; the next skmm must read it."""
    from conftest import float32_tolerance, make_reviews

    expected = json.loads(fixture.with_suffix(".json").read_text())
    with zipfile.ZipFile(fixture) as zf:
        written_by = json.loads(zf.read("skmm.json"))["keras_version"]
    if _version(keras.__version__) < _version(written_by):
        pytest.skip(f"Keras {keras.__version__} cannot read .keras files written by the newer "
                    f"Keras {written_by} (layer configs gain arguments, e.g. Embedding's "
                    "quantization_config); the oldest-versions CI leg runs such a Keras")
    X, y = make_reviews(n=120, seed=3)
    loaded = skmm.load(fixture)
    pred = loaded.predict(X.head(10))
    # parameters added since format 1 take their defaults: the estimator is whole again
    assert loaded.get_params()["learning_rate"] == "auto" and "FunctionalEstimator" in repr(
        loaded)
    assert clone(loaded).set_params(epochs=1).fit(X, y).predict(X.head(2)).shape == (2, 2)
    assert pred["sentiment"].tolist() == expected["sentiment"]
    np.testing.assert_allclose(pred["rating"], expected["rating"], **float32_tolerance(rtol=1e-5))


def test_saved_files_get_the_usual_mode_and_keep_an_overwritten_ones(fitted, tmp_path):
    est, _, _ = fitted
    umask = os.umask(0)
    os.umask(umask)
    path = tmp_path / "new.skmm"
    skmm.save(est, path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would make it
    path.chmod(0o640)
    skmm.save(est, path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_pickles_from_before_a_new_parameter_take_its_default(fitted):
    # an estimator pickled by an skmm without `distribution` (added in 0.2)
    est, X, _ = fitted
    state = est.__getstate__()
    del state["distribution"]
    old = object.__new__(type(est))
    old.__setstate__(state)
    assert old.get_params()["distribution"] is None
    pd.testing.assert_frame_equal(old.predict(X.head(5)), est.predict(X.head(5)))
    assert clone(old).get_params()["distribution"] is None


# -- every documented parameter form saves and loads, or is refused before writing --------

X_SMALL = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
Y_SMALL = X_SMALL @ np.array([1.0, -1.0, 0.5], dtype="float32")
Y_HEADS = pd.DataFrame({"a": Y_SMALL, "b": np.where(X_SMALL[:, 1] > 0, "up", "down")})


def _compiled_keras_model():
    inp = keras.Input((3,), name="features")
    model = keras.Model(inp, keras.layers.Dense(1, name="out")(inp))
    model.compile(optimizer="sgd", loss="mae")
    return model


# name -> (parameters, given the test's tmp_path; y)
FORMS = {
    "keras.Model": (lambda tmp: {"model": _compiled_keras_model()}, Y_SMALL),
    "skmm builder with model__*": (lambda tmp: {"model": skmm.architectures.default_model,
                                                "model__hidden_units": (4,)}, Y_SMALL),
    "Keras instances": (lambda tmp: {
        "optimizer": keras.optimizers.AdamW(2e-3, weight_decay=0.1, clipnorm=1.0),
        "loss": keras.losses.MeanSquaredError(),
        "metrics": [keras.metrics.MeanAbsoluteError(), "mse"],
        "callbacks": keras.callbacks.TerminateOnNaN()}, Y_SMALL),
    "Keras classes with routed arguments": (lambda tmp: {
        "optimizer": keras.optimizers.SGD, "optimizer__momentum": 0.5,
        "loss": keras.losses.Huber, "loss__delta": 2.0,
        "callbacks": {"stop": keras.callbacks.EarlyStopping}, "callbacks__stop__patience": 2,
        "callbacks__stop__monitor": "loss",
        "compile__jit_compile": False}, Y_SMALL),
    "Keras functions and a schedule": (lambda tmp: {
        "loss": keras.losses.mean_absolute_error, "metrics": [keras.metrics.mean_squared_error],
        "optimizer": "sgd", "optimizer__learning_rate": keras.optimizers.schedules.ExponentialDecay(
            0.01, decay_steps=10, decay_rate=0.9)}, Y_SMALL),
    "EpochLog, BackupAndRestore and a ReduceLROnPlateau": (lambda tmp: {"callbacks": [
        skmm.EpochLog(), skmm.EpochLog(file=sys.stderr),
        keras.callbacks.BackupAndRestore(str(tmp / "backup")),
        keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5)]}, Y_SMALL),
    "per-head dicts and a RandomState": (lambda tmp: {
        "loss": {"a": keras.losses.MeanAbsoluteError(), "b": "binary_crossentropy"},
        "metrics": {"a": [keras.metrics.MeanSquaredError()], "b": ["accuracy"]},
        "loss_weights": {"a": 2.0}, "class_weight": {"b": "balanced"},
        "random_state": np.random.RandomState(0)}, Y_HEADS),
}


def assert_same_param(got, expected, name):
    """``got`` means what ``expected`` means: same type, and the same settings."""
    assert type(got) is type(expected), name
    if isinstance(expected, type):
        assert got is expected, name
    elif isinstance(expected, keras.Model):
        assert got.to_json() == expected.to_json(), name
        assert got.get_compile_config() == expected.get_compile_config(), name
        for a, b in zip(got.get_weights(), expected.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    elif isinstance(expected, skmm.EpochLog):
        assert got.file == expected.file, name
    elif isinstance(expected, keras.callbacks.Callback):
        # a function a callback makes for itself (Keras 3.5's ReduceLROnPlateau keeps a lambda
        # as monitor_op) is the same code in the copy, never the same object
        def settings(callback):
            return {k: (v.__code__.co_code if callable(v) and hasattr(v, "__code__") else v)
                    for k, v in vars(callback).items()}

        assert settings(got) == settings(expected), name
    elif isinstance(expected, np.random.RandomState):
        for a, b in zip(got.get_state(), expected.get_state(), strict=True):
            np.testing.assert_array_equal(a, b)
    elif hasattr(expected, "get_config"):  # Keras optimizers, losses, metrics, schedules
        assert (keras.saving.serialize_keras_object(got)
                == keras.saving.serialize_keras_object(expected)), name
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected), name
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_same_param(a, b, f"{name}[{i}]")
    elif isinstance(expected, dict):
        assert list(got) == list(expected), name
        for key in expected:
            assert_same_param(got[key], expected[key], f"{name}[{key!r}]")
    else:
        assert got == expected, name


@pytest.mark.parametrize("form", FORMS)
def test_every_documented_parameter_form_saves_loads_and_refits(form, tmp_path):
    make_params, y = FORMS[form]
    cls = FunctionalEstimator if isinstance(y, pd.DataFrame) else skmm.FunctionalRegressor
    est = cls(**{"epochs": 1, "random_state": 0, **make_params(tmp_path)}).fit(X_SMALL, y)
    path = tmp_path / "est.skmm"
    skmm.save(est, path)
    if "BackupAndRestore" in form:  # it deletes its folder after a fit: trusted by name only
        with pytest.raises(skmm.UntrustedTypesError, match="keras.callbacks.BackupAndRestore"):
            skmm.load(path)
        again = skmm.load(path, trusted=["keras.callbacks.BackupAndRestore"])
    else:
        again = skmm.load(path)
    expected, got = est.get_params(), again.get_params()
    assert sorted(got) == sorted(expected)
    for name in expected:
        if name in ("router", "targets"):  # scikit-learn estimators, or None
            assert repr(got[name]) == repr(expected[name])
        else:
            assert_same_param(got[name], expected[name], name)
    if isinstance(y, pd.DataFrame):
        pd.testing.assert_frame_equal(again.predict(X_SMALL), est.predict(X_SMALL),
                                      check_exact=True)
    else:
        np.testing.assert_array_equal(again.predict(X_SMALL), est.predict(X_SMALL))
    refit = clone(again).fit(X_SMALL, y)
    assert len(refit.predict(X_SMALL[:4])) == 4


def test_a_data_parallel_distribution_is_kept(fitted, tmp_path):
    try:
        distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    except Exception as exc:  # Keras 3.5 cannot build one on TensorFlow
        pytest.skip(f"this Keras cannot build a DataParallel here ({exc})")
    est, X, _ = fitted
    twin = _fitted_twin(est, distribution=distribution)
    skmm.save(twin, tmp_path / "est.skmm")
    got = skmm.load(tmp_path / "est.skmm").distribution
    assert type(got) is keras.distribution.DataParallel
    assert got.device_mesh.shape == distribution.device_mesh.shape
    assert list(got.device_mesh.axis_names) == list(distribution.device_mesh.axis_names)
    np.testing.assert_array_equal(got.device_mesh.devices, distribution.device_mesh.devices)


def _fitted_twin(est, **params):
    """A fitted estimator sharing ``est``'s fitted state, with other parameters (not refitted)."""
    twin = object.__new__(type(est))
    twin.__dict__.update(est.__dict__)
    return twin.set_params(**params)


def _lambda_layer_model():
    inp = keras.Input((3,))
    return keras.Model(inp, keras.layers.Lambda(lambda t: t * 2.0)(inp))


def _model_parallel():
    mesh = keras.distribution.DeviceMesh((1,), ["batch"], keras.distribution.list_devices()[:1])
    return keras.distribution.ModelParallel(layout_map=keras.distribution.LayoutMap(mesh),
                                            batch_dim_name="batch")


# name -> (parameters, given an open file; what the refusal must say)
REFUSED = {
    "EpochLog to an open file": (lambda fh: {"callbacks": [skmm.EpochLog(file=fh)]},
                                 r"'callbacks'.*EpochLog\(\).*sys.stderr.*CSVLogger"),
    "an open file routed to a callback": (lambda fh: {"callbacks": [skmm.EpochLog],
                                                      "callbacks__0__file": fh},
                                          r"'callbacks__0__file'.*open file.*sys.stderr"),
    "a lambda as loss": (lambda fh: {"loss": lambda y_true, y_pred: y_pred},
                         r"'loss'.*lambda.*top level of a module"),
    "LambdaCallback with a lambda": (
        lambda fh: {"callbacks": [keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: 0)]},
        r"'callbacks' \(at callbacks\[0\]\.on_epoch_end\).*top level of a module"),
    "a keras.Model safe mode cannot load": (lambda fh: {"model": _lambda_layer_model()},
                                            r"'model'.*safe mode.*builder function"),
    "a ModelParallel": (lambda fh: {"distribution": _model_parallel()},
                        r"'distribution'.*ModelParallel.*None or 'auto'"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_cannot_be_kept_is_refused_before_writing(case, fitted, tmp_path):
    make_params, message = REFUSED[case]
    est, _, _ = fitted
    with open(tmp_path / "log.txt", "w") as fh:
        try:
            params = make_params(fh)
        except Exception as exc:  # Keras 3.5 cannot build a ModelParallel on TensorFlow
            pytest.skip(f"this Keras cannot build the parameter here ({exc})")
        path = tmp_path / "est.skmm"
        with pytest.raises(ValueError, match=message) as info:
            skmm.save(_fitted_twin(est, **params), path)
    assert "Nothing was written" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt"]


def test_a_keras_object_whose_config_drops_a_setting_is_refused(fitted, tmp_path):
    # Keras' Huber.get_config leaves out `delta` in some Keras versions: saving it would
    # silently train with delta=1.0 after loading, so skmm.save asks for the class instead
    est, X, _ = fitted
    loss = keras.losses.Huber(delta=2.0)
    path = tmp_path / "est.skmm"
    if "delta" in loss.get_config():
        skmm.save(_fitted_twin(est, loss=loss), path)
        assert_same_param(skmm.load(path).loss, loss, "loss")
    else:
        with pytest.raises(ValueError, match=r"loss=keras.losses.Huber.*loss__<argument>"):
            skmm.save(_fitted_twin(est, loss=loss), path)
        assert not path.exists()


def test_save_into_a_missing_folder_names_the_users_path(fitted, tmp_path):
    est, _, _ = fitted
    folder = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError) as info:
        skmm.save(est, folder / "est.skmm")
    assert str(folder) in str(info.value) and ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_only_fitted_skmm_estimators_are_saved(tmp_path):
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import make_pipeline

    with pytest.raises(NotFittedError, match=r"skmm.save needs a fitted estimator.*fit\(X, y\)"):
        skmm.save(skmm.FunctionalRegressor(), tmp_path / "x.skmm")
    with pytest.raises(TypeError, match="got Pipeline"):
        skmm.save(make_pipeline(skmm.FunctionalRegressor()), tmp_path / "x.skmm")
    assert list(tmp_path.iterdir()) == []


# -- tampered or foreign files: one error, naming the file -----------------------------------

@pytest.fixture(scope="module")
def saved_members(fitted, tmp_path_factory):
    est, _, _ = fitted
    path = tmp_path_factory.mktemp("saved") / "est.skmm"
    skmm.save(est, path)
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _header(**changes):
    header = {"format_version": skmm.persistence.FORMAT_VERSION, "skmm_version": "0.1.0",
              "keras_version": keras.__version__, "estimator": "FunctionalEstimator"}
    header.update(changes)
    return json.dumps({k: v for k, v in header.items() if v is not ...}).encode()


def _state(members, **changes):
    """The saved estimator state with attributes changed (``...`` deletes one)."""
    payload = members["estimator.skops"]
    state = sio.loads(payload, trusted=sio.get_untrusted_types(data=payload))
    for name, value in changes.items():
        if value is ...:
            del state.__dict__[name]
        else:
            state.__dict__[name] = value
    return sio.dumps(state)


# name -> function of the saved members returning the tampered members
TAMPERED = {
    "header is a JSON list": lambda m: {**m, "skmm.json": b"[1, 2]"},
    "header is not JSON": lambda m: {**m, "skmm.json": b"\xff\xfe"},
    "format version is a string": lambda m: {**m, "skmm.json": _header(format_version="3")},
    "format version 0": lambda m: {**m, "skmm.json": _header(format_version=0)},
    "negative format version": lambda m: {**m, "skmm.json": _header(format_version=-1)},
    "format version true": lambda m: {**m, "skmm.json": _header(format_version=True)},
    "no format version": lambda m: {**m, "skmm.json": _header(format_version=...)},
    "no estimator name": lambda m: {**m, "skmm.json": _header(estimator=...)},
    "estimator name a number": lambda m: {**m, "skmm.json": _header(estimator=3)},
    "another estimator named": lambda m: {**m, "skmm.json": _header(
        estimator="FunctionalClassifier")},
    "no header": lambda m: {k: v for k, v in m.items() if k != "skmm.json"},
    "no state": lambda m: {k: v for k, v in m.items() if k != "estimator.skops"},
    "no model": lambda m: {k: v for k, v in m.items() if k != "model.keras"},
    "state is junk": lambda m: {**m, "estimator.skops": b"junk"},
    "state is a dict": lambda m: {**m, "estimator.skops": sio.dumps({"a": 1})},
    "state of an unfitted estimator": lambda m: {**m, "estimator.skops": sio.dumps(
        FunctionalEstimator())},
    "state without targets_": lambda m: {**m, "estimator.skops": _state(m, targets_=...)},
    "state with a wrong history_": lambda m: {**m, "estimator.skops": _state(m, history_="x")},
    "an unknown stored parameter": lambda m: {**m, "estimator.skops": _state(
        m, loss=skmm.persistence._Stored("pickle", data="x"))},
    "a stored parameter naming a module": lambda m: {**m, "estimator.skops": _state(
        m, loss=skmm.persistence._Stored("name", module="os", name="system"))},
    "a stored model missing": lambda m: {**m, "estimator.skops": _state(
        m, model=skmm.persistence._Stored("keras_model", member="params/0.keras"))},
    "model is junk": lambda m: {**m, "model.keras": b"junk"},
}


@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_or_foreign_file_gives_one_error_naming_it(case, saved_members, tmp_path):
    path = tmp_path / "tampered.skmm"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in TAMPERED[case](saved_members).items():
            zf.writestr(name, data)
    with pytest.raises(skmm.persistence.InvalidFileError) as info:
        skmm.load(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)
