import json
import os
import pathlib
import pickle
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
