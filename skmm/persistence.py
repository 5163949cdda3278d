"""Keras models to bytes and back, in Keras' native ``.keras`` format.

Used by the estimators' pickling (``__getstate__``/``__setstate__``), so
pickle, joblib, ``copy.deepcopy`` and ``GridSearchCV(n_jobs=2)`` carry a fitted
model without relying on how a backend pickles its tensors.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

import keras

__all__ = ["KerasPickleMixin", "model_to_bytes", "model_from_bytes"]


def model_to_bytes(model: keras.Model) -> bytes:
    """The model (architecture, weights, compile and optimizer state) as ``.keras`` bytes."""
    with tempfile.TemporaryDirectory(prefix="skmm-") as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def model_from_bytes(data: bytes) -> keras.Model:
    """Load a model written by :func:`model_to_bytes`, in Keras' safe mode."""
    with tempfile.TemporaryDirectory(prefix="skmm-") as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        return keras.saving.load_model(path, safe_mode=True)


class KerasPickleMixin:
    """Pickling for an estimator with a Keras ``model_``: the model travels as ``.keras`` bytes.

    The prediction engine (``_predictor``) is not pickled: the copy makes its
    own by the same rule (``_make_predictor``), so it predicts as the
    original does.
    """

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_predictor", None)
        if "model_" in state:
            state["model_"] = model_to_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state["model_"] = model_from_bytes(state["model_"])
        self.__dict__.update(state)
        _add_new_params(self.__dict__, type(self))
        if "model_" in state:
            self._make_predictor()


# -- whole estimators: skmm.save / skmm.load -------------------------------------------

# 2: the fitted splitter is ``targets_`` (was ``splitter_``), ``from_logits_`` is stored,
# and InputSpec/HeadSpec live in skmm.specs. Format 1 files are read by _upgrade_from_1.
FORMAT_VERSION = 2

# Types skmm writes itself; anything else found in a file must be trusted explicitly.
SKMM_TYPES = [
    "skmm.estimators.FunctionalEstimator",
    "skmm.estimators.FunctionalClassifier",
    "skmm.estimators.FunctionalRegressor",
    "skmm.preprocessing.QuantileBins",
    "skmm.routing.InputRouter",
    "skmm.specs.InputSpec",
    "skmm.specs.HeadSpec",
    "skmm.targets.TargetSplitter",
    "skmm.text.TextSequencer",
    # a plain list subclass scikit-learn 1.6 and 1.7 keep a ColumnTransformer's remainder in
    "sklearn.compose._column_transformer._RemainderColsList",
    # format 1 named the specs where they were defined then (re-exported there)
    "skmm.routing.InputSpec",
    "skmm.targets.HeadSpec",
]


class UntrustedTypesError(ValueError):
    """A saved file holds types that were not trusted; nothing from it was loaded."""


def _portable_state(estimator):
    """A copy of the fitted estimator that skops can write: no model, plain containers."""
    import copy

    state = object.__new__(type(estimator))
    state.__dict__.update({k: v for k, v in estimator.__dict__.items()
                           if k not in ("model_", "meta_", "_predictor")})
    history = estimator.history_
    state.history_ = {"columns": list(history.columns),
                      "data": history.to_numpy(dtype=float).tolist()}
    state.targets_ = copy.deepcopy(estimator.targets_)
    for head in state.targets_.heads_.values():
        head.dtypes = [_dtype_to_plain(d) for d in head.dtypes]
    return state


def _dtype_to_plain(dtype):
    """A dtype as plain data (a category dtype keeps its categories and order)."""
    import pandas as pd

    if dtype is None:
        return None
    if isinstance(dtype, pd.CategoricalDtype):
        return {"categories": list(dtype.categories), "ordered": bool(dtype.ordered)}
    return str(dtype)


def _dtype_from_plain(plain):
    import pandas as pd

    if plain is None:
        return None
    if isinstance(plain, dict):
        return pd.CategoricalDtype(plain["categories"], ordered=plain["ordered"])
    return pd.api.types.pandas_dtype(plain)


def _add_new_params(state, cls):
    """Parameters added after ``state`` was written take their defaults.

    So ``get_params``, ``clone`` and refits work on estimators saved or
    pickled by an earlier skmm.
    """
    import inspect

    for name, param in inspect.signature(cls.__init__).parameters.items():
        if param.default is not param.empty:
            state.setdefault(name, param.default)


def _upgrade_from_1(estimator):
    """A format-1 estimator's state under format 2's names."""
    state = estimator.__dict__
    state["targets_"] = state.pop("splitter_")
    # format 1 could only build heads that output probabilities or values
    state.setdefault("from_logits_", dict.fromkeys(state["targets_"].heads_, False))
    state.setdefault("batch_size_", state["batch_size"] if isinstance(
        state["batch_size"], int) else 32)
    return estimator


def _restore_state(estimator, model):
    import pandas as pd

    from .meta import ModelMeta

    hist = estimator.history_
    frame = pd.DataFrame(hist["data"], columns=hist["columns"])
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    estimator.history_ = frame
    for head in estimator.targets_.heads_.values():
        head.dtypes = [_dtype_from_plain(d) for d in head.dtypes]
    estimator.model_ = model
    estimator.meta_ = ModelMeta(inputs=dict(estimator.input_specs_),
                                heads=dict(estimator.targets_.heads_))
    estimator._make_predictor()
    return estimator


def _write_atomically(path, write):
    """``write(file)`` to a temporary file beside ``path``, then rename it over ``path``.

    A process killed mid-write leaves the previous file at ``path`` whole (and
    at worst a stray ``.<name>.*.tmp`` beside it); readers never see half a file.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp's files are private (0600): give the file the mode the old one had, or
        # the one a plain open() would (0666 less the umask)
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable, where the OS allows
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save(estimator, path):
    """Write a fitted skmm estimator to one file, without pickle.

    The file is written atomically: to a temporary file in the same folder,
    then renamed over ``path``, so a process killed mid-write leaves any
    previous file there intact. It is a zip archive holding the Keras model in Keras' native
    ``.keras`` format, the rest of the fitted estimator (router, target
    splitter, parameters, history) in skops' safe format, and a small JSON
    header with the format version.

    Parameters
    ----------
    estimator : FunctionalEstimator, FunctionalClassifier or FunctionalRegressor
        A fitted estimator.
    path : str or path-like
        Where to write (conventionally ``*.skmm``).

    Examples
    --------
    >>> import numpy as np, os, tempfile, skmm
    >>> X = np.random.default_rng(0).normal(size=(32, 2))
    >>> reg = skmm.FunctionalRegressor(epochs=1, random_state=0).fit(X, X[:, 0])
    >>> path = os.path.join(tempfile.mkdtemp(), "reg.skmm")
    >>> skmm.save(reg, path)
    >>> np.allclose(skmm.load(path).predict(X), reg.predict(X))
    True
    """
    import json
    import zipfile

    import skops.io as sio
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    check_is_fitted(estimator, "model_")
    header = {
        "format_version": FORMAT_VERSION,
        "skmm_version": __version__,
        "keras_version": keras.__version__,
        "estimator": type(estimator).__name__,
    }
    members = {
        "skmm.json": json.dumps(header, indent=2),
        "estimator.skops": sio.dumps(_portable_state(estimator)),
        "model.keras": model_to_bytes(estimator.model_),
    }

    def write(fh):
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)

    _write_atomically(path, write)


def load(path, trusted=None):
    """Load an estimator written by :func:`save`, refusing anything not trusted.

    Nothing in the file is unpickled: the estimator's state is read with
    skops, which only rebuilds trusted types (scikit-learn's own, skmm's, and
    those in ``trusted``), and the Keras model is loaded in Keras' safe mode
    (no arbitrary code, e.g. no ``Lambda`` layers).

    Parameters
    ----------
    path : str or path-like
    trusted : list of str, optional
        Further type names to trust (e.g. ``["mymodule.build_model"]`` for a
        custom builder function stored as a parameter).

    Returns
    -------
    The fitted estimator.

    Raises
    ------
    UntrustedTypesError
        When the file holds types that are not trusted; the message lists
        them. Nothing is loaded in that case.
    """
    import json
    import zipfile

    import skops.io as sio

    try:
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read("skmm.json"))
            payload = zf.read("estimator.skops")
            model_bytes = zf.read("model.keras")
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path!s} is not a file written by skmm.save ({exc}).") from None
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{path!s} has format version {version!r}; this skmm reads versions up to "
            f"{FORMAT_VERSION}. Upgrade skmm to load it."
        )
    allowed = set(SKMM_TYPES) | set(trusted or [])
    try:
        found = sio.get_untrusted_types(data=payload)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(f"{path!s} has a corrupt estimator state ({exc}).") from None
    untrusted = [t for t in found if t not in allowed]
    if untrusted:
        raise UntrustedTypesError(
            f"{path!s} holds types that are not trusted: {untrusted}. Nothing was loaded. If "
            "you trust this file, pass them as skmm.load(path, trusted=[...])."
        )
    estimator = sio.loads(payload, trusted=sorted(allowed))
    if version == 1:  # (parameters added since were filled in by __setstate__)
        estimator = _upgrade_from_1(estimator)
    return _restore_state(estimator, model_from_bytes(model_bytes))
