"""Keras models to bytes and back, in Keras' native ``.keras`` format.

Used by the estimators' pickling (``__getstate__``/``__setstate__``), so
pickle, joblib, ``copy.deepcopy`` and ``GridSearchCV(n_jobs=2)`` carry a fitted
model without relying on how a backend pickles its tensors.
"""

from __future__ import annotations

import os
import tempfile

import keras

__all__ = ["model_to_bytes", "model_from_bytes"]


def model_to_bytes(model: keras.Model) -> bytes:
    """The model (architecture, weights, compile and optimizer state) as ``.keras`` bytes."""
    with tempfile.TemporaryDirectory(prefix="skmm-") as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def model_from_bytes(data: bytes, safe_mode: bool = True) -> keras.Model:
    """Load a model written by :func:`model_to_bytes` (Keras' safe mode by default)."""
    with tempfile.TemporaryDirectory(prefix="skmm-") as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        return keras.saving.load_model(path, safe_mode=safe_mode)


# -- whole estimators: skmm.save / skmm.load -------------------------------------------

FORMAT_VERSION = 1

# Types skmm writes itself; anything else found in a file must be trusted explicitly.
SKMM_TYPES = [
    "skmm.estimators.FunctionalEstimator",
    "skmm.estimators.FunctionalClassifier",
    "skmm.estimators.FunctionalRegressor",
    "skmm.preprocessing.QuantileBins",
    "skmm.routing.InputRouter",
    "skmm.routing.InputSpec",
    "skmm.targets.HeadSpec",
    "skmm.targets.TargetSplitter",
    "skmm.text.TextSequencer",
]


class UntrustedTypesError(ValueError):
    """A saved file holds types that were not trusted; nothing from it was loaded."""


def _portable_state(estimator):
    """A copy of the fitted estimator that skops can write: no model, plain containers."""
    import copy

    import pandas as pd  # noqa: F401  (kept local: persistence is not on the import path)

    state = copy.copy(estimator)
    state.__dict__.pop("model_", None)
    state.__dict__.pop("meta_", None)
    history = estimator.history_
    state.history_ = {"columns": list(history.columns),
                      "data": history.to_numpy(dtype=float).tolist()}
    state.splitter_ = copy.deepcopy(estimator.splitter_)
    for head in state.splitter_.heads_.values():
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


def _restore_state(estimator, model):
    import pandas as pd

    from .meta import ModelMeta

    hist = estimator.history_
    frame = pd.DataFrame(hist["data"], columns=hist["columns"])
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    estimator.history_ = frame
    for head in estimator.splitter_.heads_.values():
        head.dtypes = [_dtype_from_plain(d) for d in head.dtypes]
    estimator.model_ = model
    estimator.meta_ = ModelMeta(inputs=dict(estimator.input_specs_),
                                heads=dict(estimator.splitter_.heads_))
    return estimator


def save(estimator, path):
    """Write a fitted skmm estimator to one file, without pickle.

    The file is a zip archive holding the Keras model in Keras' native
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
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("skmm.json", json.dumps(header, indent=2))
        zf.writestr("estimator.skops", sio.dumps(_portable_state(estimator)))
        zf.writestr("model.keras", model_to_bytes(estimator.model_))


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
    return _restore_state(estimator, model_from_bytes(model_bytes, safe_mode=True))
