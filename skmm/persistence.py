"""Keras models to bytes and back, in Keras' native ``.keras`` format.

Used by the estimators' pickling (``__getstate__``/``__setstate__``), so
pickle, joblib, ``copy.deepcopy`` and ``GridSearchCV(n_jobs=2)`` carry a fitted
model without relying on how a backend pickles its tensors.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import inspect
import io
import json
import os
import sys
import tempfile
import types
import zipfile
import zlib

import keras
import numpy as np

__all__ = ["InvalidFileError", "KerasPickleMixin", "UntrustedTypesError", "load",
           "model_from_bytes", "model_to_bytes", "save"]


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
            settle_garbage()


def settle_garbage():
    """Collect the garbage that rebuilding a Keras model left, before the first answer.

    Rebuilding a model allocates enough objects that Python's next full
    collection is often due within the first ``predict``; with TensorFlow
    loaded a full collection takes about 0.3 s, which would make the first
    answer after ``skmm.load`` or unpickling 100x slower than the next
    (``benchmarks/predict.py`` times both). Collected here, it is paid once,
    inside the load, and the next one is far off. Nothing is collected
    where the user switched collection off (``gc.disable()``).
    """
    if gc.isenabled():
        gc.collect()


# -- whole estimators: skmm.save / skmm.load -------------------------------------------

# 3: parameters skops cannot write (a keras.Model, Keras optimizers, losses, metrics and
#    callbacks, skmm.EpochLog, Keras' and skmm's classes and functions, a DataParallel) are
#    stored as ``_Stored`` records; a keras.Model parameter as a member ``params/<n>.keras``.
#    Format 2 files are format 3 files without such records.
# 2: the fitted splitter is ``targets_`` (was ``splitter_``), ``from_logits_`` is stored,
#    and InputSpec/HeadSpec live in skmm.specs. Format 1 files are read by _upgrade_from_1.
FORMAT_VERSION = 3

# Types skmm writes itself; anything else found in a file must be trusted explicitly.
SKMM_TYPES = [
    "skmm.estimators.FunctionalEstimator",
    "skmm.estimators.FunctionalClassifier",
    "skmm.estimators.FunctionalRegressor",
    "skmm.persistence._Stored",
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

# The members every file holds; a keras.Model parameter adds ``params/<n>.keras``.
_HEADER, _STATE, _MODEL = "skmm.json", "estimator.skops", "model.keras"
_HEADER_KEYS = ("format_version", "skmm_version", "keras_version", "estimator")
_ESTIMATORS = ("FunctionalEstimator", "FunctionalClassifier", "FunctionalRegressor")
# What predicting (and _restore_state) needs of a loaded estimator, after _upgrade_from_1.
_FITTED = ("targets_", "history_", "input_specs_", "input_order_", "input_structure_",
           "output_order_", "from_logits_", "router_", "batch_size_")

# Where a class or function given as a parameter may be named in a file and found again by
# skmm.load without being trusted: Keras' optimizers, losses, metrics and the like, Keras'
# callbacks (those in _TRUSTED_CALLBACKS only: the others write files, reach the network or
# run code, and must be trusted by name), skmm.EpochLog and skmm's default builder; skmm's
# own registered Keras objects (skmm.quantiles.PinballLoss) are stored as Keras' are.
_KERAS_OBJECTS = (
    "keras.optimizers", "keras.optimizers.schedules", "keras.losses", "keras.metrics",
    "keras.activations", "keras.regularizers", "keras.initializers", "keras.constraints",
    "skmm.quantiles",
)
_NAMESPACES = (*_KERAS_OBJECTS, "keras.callbacks")
_SKMM_NAMES = (("skmm.history", "EpochLog"), ("skmm.architectures", "default_model"))
_TRUSTED_CALLBACKS = ("Callback", "EarlyStopping", "History", "ProgbarLogger",
                      "ReduceLROnPlateau", "SwapEMAWeights", "TerminateOnNaN")


class UntrustedTypesError(ValueError):
    """A saved file holds types that were not trusted; nothing from it was loaded."""


class InvalidFileError(ValueError):
    """A file :func:`load` cannot read: not written by :func:`save`, damaged or altered.

    The message names the file and what is wrong with it. Nothing was loaded.
    """


class _Stored:
    """A parameter value skops cannot write, as data; ``kind`` says how load rebuilds it."""

    def __init__(self, kind, **data):
        self.kind = kind
        self.data = data


def _public_name(obj):
    """``(module, name)`` under which a class or function is public in Keras or skmm, or None."""
    name = getattr(obj, "__name__", None)
    if isinstance(name, str):
        for module in (*_NAMESPACES, *(m for m, n in _SKMM_NAMES if n == name)):
            if getattr(importlib.import_module(module), name, None) is obj:
                return module, name
    return None


def _public_keras_module(cls):
    """The public Keras namespace of ``cls`` or of the public class a backend's subclass backs."""
    for base in cls.__mro__:
        if not base.__module__.startswith("keras.src.backend."):
            return (_public_name(base) or (None,))[0]
    return None


def _public_keras_class(cls):
    """Whether ``cls`` is, or backs, a public Keras object class (optimizer, loss, metric...).

    On PyTorch and JAX, ``keras.optimizers.AdamW(...)`` is an instance of a backend's own
    subclass that Keras does not export; its public ancestor says what it is.
    """
    return _public_keras_module(cls) in _KERAS_OBJECTS


def _find_public(module, name):
    """The class or function :func:`_public_name` gave as ``(module, name)``, or None."""
    if module in _NAMESPACES or (module, name) in _SKMM_NAMES:
        found = getattr(importlib.import_module(module), str(name), None)
        if isinstance(found, (type, types.FunctionType)):
            return found
    return None


def _untrusted_callbacks(value):
    """Public names of the callbacks in a loaded parameter that must be trusted to be rebuilt."""
    if type(value) in (list, tuple):
        return [n for v in value for n in _untrusted_callbacks(v)]
    if type(value) is dict:
        return [n for v in value.values() for n in _untrusted_callbacks(v)]
    if not isinstance(value, _Stored) or not isinstance(vars(value).get("data"), dict):
        return []
    data = value.data
    found = [n for v in data.values() for n in _untrusted_callbacks(v)]
    if (value.kind in ("name", "callback") and data.get("module") == "keras.callbacks"
            and data.get("name") not in _TRUSTED_CALLBACKS):
        found.append(f"keras.callbacks.{data.get('name')}")
    return found


def _importable(obj):
    """Whether ``module.qualname`` finds ``obj`` again (not a lambda or a local function)."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not module or "<" in qualname:
        return False
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return False
    return found is obj


def _difference(a, b, where="", seen=None):
    """Where ``b`` differs from ``a`` in a setting, or None when they are the same.

    Objects are compared attribute by attribute; variables and tensors count as the same
    when their shape and dtype agree (their values are state, not settings), functions when
    their code is the same, and Keras' ``_tracker`` (ids of the variables an object made)
    is skipped.
    """
    seen = set() if seen is None else seen
    if a is b:
        return None
    if type(a) is not type(b):
        return f"{where or 'value'}: {type(a).__name__} against {type(b).__name__}"
    if isinstance(a, keras.Variable) or keras.ops.is_tensor(a):
        same = tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        return None if same else f"{where}: a variable of another shape or dtype"
    if isinstance(a, np.ndarray):
        return None if np.array_equal(a, b) else f"{where}: {a!r} against {b!r}"
    if isinstance(a, float):
        return None if a == b or (a != a and b != b) else f"{where}: {a!r} against {b!r}"
    if isinstance(a, types.FunctionType):
        return None if a.__code__ is b.__code__ else f"{where}: {a!r} against {b!r}"
    if isinstance(a, types.MethodType):
        return None if a.__func__ is b.__func__ else f"{where}: {a!r} against {b!r}"
    if (id(a), id(b)) in seen:
        return None
    seen.add((id(a), id(b)))
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{where or 'attributes'}: {list(a)} against {list(b)}"
        for key in a:
            if key != "_tracker":
                found = _difference(a[key], b[key], f"{where}.{key}".lstrip("."), seen)
                if found:
                    return found
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{where}: {len(a)} items against {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{where}[{i}]", seen)
            if found:
                return found
        return None
    if not isinstance(a, type) and hasattr(a, "__dict__"):
        return _difference(vars(a), vars(b), where, seen)
    try:
        return None if bool(a == b) else f"{where}: {a!r} against {b!r}"
    except Exception:  # noqa: BLE001 - what cannot be compared cannot be shown to be the same
        return f"{where}: {type(a).__name__} values that cannot be compared"


def _deserialize(config):
    """A Keras object from ``serialize_keras_object``'s config, in safe mode (Keras' own only)."""
    if not isinstance(config, dict) or config.get("module") not in _KERAS_OBJECTS:
        raise ValueError(f"{config!r} is not the config of a Keras optimizer, loss, metric, "
                         "schedule, activation, regularizer, initializer or constraint")
    return keras.saving.deserialize_keras_object(config, safe_mode=True)


def _data_parallel(data):
    mesh = keras.distribution.DeviceMesh(
        tuple(data["shape"]), list(data["axis_names"]),
        np.array(data["devices"]).reshape(tuple(data["shape"])))
    # (older Keras has no auto_shard_dataset; then it is stored as None)
    shard = {} if data["auto_shard_dataset"] is None else {
        "auto_shard_dataset": bool(data["auto_shard_dataset"])}
    return keras.distribution.DataParallel(device_mesh=mesh, **shard)


class _ParamEncoder:
    """Parameter values as skops can write them, refusing what would not come back the same.

    Plain values, numpy values, estimators and a user's own functions and classes (which
    skmm.load asks the user to trust) go to skops as they are; the rest becomes a
    :class:`_Stored` record, and a keras.Model an extra member of the file.
    """

    def __init__(self):
        self.members = {}

    def __call__(self, param, value):
        self.param = param
        return self._encode(value, param)

    def _refuse(self, where, what, instead):
        at = "" if where == self.param else f" (at {where})"
        raise ValueError(f"skmm.save cannot store parameter {self.param!r}{at}: {what}. "
                         f"Nothing was written. {instead}")

    def _encode(self, value, where):
        from .history import EpochLog

        if value is None or isinstance(value, (bool, int, float, str, bytes, np.generic,
                                               np.ndarray)):
            return value
        if type(value) in (list, tuple):
            return type(value)(self._encode(v, f"{where}[{i}]") for i, v in enumerate(value))
        if type(value) is dict:
            return {k: self._encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        for name in ("stdout", "stderr"):
            if value is getattr(sys, name) or value is getattr(sys, f"__{name}__"):
                return _Stored("stream", name=name)
        if isinstance(value, keras.Model):
            return self._model(value, where)
        if type(value) is EpochLog:
            return _Stored("epoch_log", file=self._stream(value.file, where))
        if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
            return self._named(value, where)
        if (isinstance(value, keras.callbacks.Callback)
                and (_public_name(type(value)) or ("",))[0] == "keras.callbacks"):
            return self._callback(value, where)
        if isinstance(value, keras.distribution.DataParallel):
            return self._distribution(value, where)
        if isinstance(value, keras.distribution.ModelParallel):
            self._refuse(where, "Keras offers no public way to read a ModelParallel's layout map",
                         "Set it to None or 'auto' with set_params before saving, and again "
                         "after skmm.load.")
        if _public_keras_class(type(value)):
            return self._keras_object(value, where)
        if isinstance(value, io.IOBase):
            self._refuse(where, f"{value!r} is an open file, which cannot be saved",
                         "Pass None, sys.stdout or sys.stderr instead, or set it again with "
                         "set_params after skmm.load.")
        return value  # for skops: an estimator, or a user's object skmm.load must be told to trust

    def _model(self, model, where):
        data = model_to_bytes(model)
        try:
            model_from_bytes(data)
        except Exception as exc:  # noqa: BLE001 - any failure means load would fail the same way
            self._refuse(where, f"this keras.Model cannot be loaded back in Keras' safe mode "
                                f"({type(exc).__name__}: {exc})",
                         "Pass a builder function build(meta, **params) defined in a module "
                         "instead (skmm.load then asks you to trust it).")
        member = f"params/{len(self.members)}.keras"
        self.members[member] = data
        return _Stored("keras_model", member=member)

    def _stream(self, file, where):
        """An EpochLog's file as stored: None, "stdout" or "stderr"."""
        for name in ("stdout", "stderr"):
            if file is getattr(sys, name) or file is getattr(sys, f"__{name}__"):
                return name
        if file is not None:
            self._refuse(where, f"EpochLog(file={file!r}) writes to a file other than standard "
                                "output or error, which cannot be saved",
                         "Pass EpochLog() (standard output) or EpochLog(file=sys.stderr) "
                         "instead; to log to a file, keras.callbacks.CSVLogger(path) (which "
                         "skmm.load then asks you to trust).")
        return None

    def _named(self, obj, where):
        public = _public_name(obj)
        if public:
            return _Stored("name", module=public[0], name=public[1])
        if not _importable(obj):
            self._refuse(where, f"{obj!r} cannot be imported by name (a lambda or a function "
                                "defined inside another), so no file can refer to it",
                         "Define it at the top level of a module and pass that; skmm.load then "
                         "asks you to trust it: skmm.load(path, trusted=[\"module.name\"]).")
        return obj  # skops keeps it by name; skmm.load lists it among the untrusted types

    def _callback(self, callback, where):
        module, name = _public_name(type(callback))
        signature = inspect.signature(type(callback).__init__).parameters.values()
        attributes = vars(callback)
        args = {p.name: attributes[p.name] for p in signature
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
                and p.name in attributes}
        try:
            found = _difference(callback, type(callback)(**args))
        except Exception as exc:  # noqa: BLE001 - not rebuildable, for whatever reason
            found = f"{type(exc).__name__}: {exc}"
        if found:
            self._refuse(where, f"this {name} cannot be rebuilt from its constructor arguments "
                                f"({found})",
                         f"Pass the class {module}.{name} instead, with its arguments as "
                         "callbacks__<position or key>__<argument> parameters.")
        return _Stored("callback", module=module, name=name,
                       args={k: self._encode(v, f"{where}.{k}") for k, v in args.items()})

    def _distribution(self, distribution, where):
        mesh = distribution.device_mesh
        devices = np.ravel(mesh.devices).tolist()
        data = {"shape": [int(n) for n in mesh.shape], "axis_names": list(mesh.axis_names),
                "devices": devices,
                "auto_shard_dataset": getattr(distribution, "auto_shard_dataset", None)}
        try:
            found = (None if all(isinstance(d, str) for d in devices) else
                     "its device mesh holds device objects, not device names")
            found = found or _difference(distribution, _data_parallel(data))
        except Exception as exc:  # noqa: BLE001 - not rebuildable, for whatever reason
            found = f"{type(exc).__name__}: {exc}"
        if found:
            self._refuse(where, f"this DataParallel cannot be rebuilt from its device names "
                                f"({found})",
                         "Pass DataParallel(devices=keras.distribution.list_devices()) or "
                         "'auto', or set it to None with set_params before saving.")
        return _Stored("data_parallel", **data)

    def _keras_object(self, obj, where):
        try:
            config = keras.saving.serialize_keras_object(obj)
            if isinstance(config, dict) and str(config.get("module")).startswith(
                    "keras.src.backend."):  # a backend's own subclass: named by its public class
                config = {**config, "module": _public_keras_module(type(obj))}
            found = _difference(obj, _deserialize(config))
        except Exception as exc:  # noqa: BLE001 - not rebuildable, for whatever reason
            found = f"{type(exc).__name__}: {exc}"
        if found:
            public = _public_name(type(obj))
            cls = f"{public[0]}.{public[1]}" if public else type(obj).__name__
            instead = (f"Pass the class instead, {self.param}={cls}, with its arguments as "
                       f"{self.param}__<argument> parameters."
                       if self.param in ("optimizer", "loss") else
                       "Pass it by name (a string) instead, or set it again with set_params "
                       "after skmm.load.")
            self._refuse(where, f"Keras' config of this {type(obj).__name__} does not keep all "
                                f"of its settings ({found})", instead)
        return _Stored("keras_object", config=config)


def _rebuild(value, members):
    """A parameter value with every :class:`_Stored` record in it rebuilt; ValueError if bad."""
    from .history import EpochLog

    if type(value) in (list, tuple):
        return type(value)(_rebuild(v, members) for v in value)
    if type(value) is dict:
        return {k: _rebuild(v, members) for k, v in value.items()}
    if not isinstance(value, _Stored):
        return value
    kind, data = vars(value).get("kind"), vars(value).get("data")
    if not isinstance(data, dict):
        raise ValueError(f"a stored value without data ({vars(value)!r})")
    if kind == "stream" and data.get("name") in ("stdout", "stderr"):
        return getattr(sys, data["name"])
    if kind == "epoch_log" and data.get("file") in (None, "stdout", "stderr"):
        return EpochLog(file=data["file"] and getattr(sys, data["file"]))
    found = _find_public(data.get("module"), data.get("name"))
    if kind == "name" and found is not None:
        return found
    args = data.get("args")
    if (kind == "callback" and data.get("module") == "keras.callbacks"
            and isinstance(found, type) and issubclass(found, keras.callbacks.Callback)
            and isinstance(args, dict) and all(isinstance(k, str) for k in args)):
        return found(**_rebuild(args, members))
    if kind == "keras_object":
        return _deserialize(data.get("config"))
    if kind == "keras_model" and data.get("member") in members:
        return _model_member(members, data["member"])
    if kind == "data_parallel":
        return _data_parallel(data)
    raise ValueError(f"a stored value skmm does not know how to rebuild ({kind!r}, {data!r})")


def _model_member(members, name):
    """The Keras model stored as member ``name``, in safe mode."""
    if not zipfile.is_zipfile(io.BytesIO(members[name])):
        raise ValueError(f"{name} is not a .keras archive")
    return model_from_bytes(members[name])


def _portable_state(estimator):
    """A copy of the fitted estimator that skops can write, and the extra members it needs.

    No model, plain containers; parameters skops cannot write become :class:`_Stored`
    records (ValueError naming the parameter when one cannot be stored faithfully).
    """
    import copy

    state = object.__new__(type(estimator))
    state.__dict__.update({k: v for k, v in estimator.__dict__.items()
                           if k not in ("model_", "meta_", "_predictor")})
    encode = _ParamEncoder()
    for name in estimator.get_params(deep=False):
        state.__dict__[name] = encode(name, state.__dict__[name])
    history = estimator.history_
    state.history_ = {"columns": list(history.columns),
                      "data": history.to_numpy(dtype=float).tolist()}
    state.targets_ = copy.deepcopy(estimator.targets_)
    for head in state.targets_.heads_.values():
        head.dtypes = [_dtype_to_plain(d) for d in head.dtypes]
    return state, encode.members


def _dumps(state):
    """``skops.io.dumps(state)``; a parameter skops cannot write is named in a ValueError."""
    import skops.io as sio

    try:
        return sio.dumps(state)
    except Exception as exc:
        for name in state.get_params(deep=False):
            value = state.__dict__[name]
            try:
                sio.dumps(value)
            except Exception as inner:  # noqa: BLE001 - reported, naming the parameter
                raise ValueError(
                    f"skmm.save cannot store parameter {name!r} ({type(value).__name__}): "
                    f"skops cannot write it ({type(inner).__name__}: {inner}). Nothing was "
                    "written. Pass one of the forms the estimator's documentation lists."
                ) from None
        raise exc


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
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if param.default is not param.empty:
            state.setdefault(name, param.default)


def _upgrade_from_1(estimator):
    """A format-1 estimator's state under format 2's names."""
    state = estimator.__dict__
    if "splitter_" in state:
        state["targets_"] = state.pop("splitter_")
    heads = getattr(state.get("targets_"), "heads_", None)
    if isinstance(heads, dict):
        # format 1 could only build heads that output probabilities or values
        state.setdefault("from_logits_", dict.fromkeys(heads, False))
    batch_size = state.get("batch_size")
    state.setdefault("batch_size_", batch_size if isinstance(batch_size, int) else 32)
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
    settle_garbage()
    return estimator


def _check_folder(path):
    """The folder ``path`` goes in; FileNotFoundError naming ``path`` if there is none."""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            errno.ENOENT, f"Cannot save to {os.fspath(path)!s}: the folder {folder} does not "
            "exist (skmm.save creates no folders)")
    return folder


def _write_atomically(path, write):
    """``write(file)`` to a temporary file beside ``path``, then rename it over ``path``.

    A process killed mid-write leaves the previous file at ``path`` whole (and
    at worst a stray ``.<name>.*.tmp`` beside it); readers never see half a file.
    Errors name ``path``, never the temporary file.
    """
    path = os.fspath(path)
    folder = _check_folder(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=folder)
    except OSError as exc:
        message = f"Cannot save to {path}: {exc.strerror} (in {folder})"
        raise type(exc)(exc.errno, message) from None
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
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise type(exc)(exc.errno, f"Cannot save to {path}: {exc.strerror}") from None
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

    Every documented parameter form is kept. Keras optimizers, losses, metrics,
    schedules and callbacks (classes or instances, rebuilt from their constructor
    arguments), ``skmm.EpochLog`` to standard output or error, Keras' loss and metric
    functions, a ``DataParallel`` and plain values are stored as data that :func:`load`
    rebuilds through Keras' public API; a ``keras.Model`` is one more ``.keras`` member;
    a builder function or class of your own is stored by name (:func:`load` then asks you
    to trust it, as it does for Keras callbacks that write files, reach the network or
    run code, such as ``BackupAndRestore`` or ``CSVLogger``). A value that would not come
    back the same is refused before anything is written, with a ``ValueError`` naming the
    parameter and what to pass instead: an ``EpochLog`` writing to an open file, a
    lambda or a function defined inside another, a Keras object whose config leaves out
    one of its settings (pass its class with ``loss__*``/``optimizer__*`` parameters), a
    ``keras.Model`` that safe mode cannot load, a ``ModelParallel``.

    Parameters
    ----------
    estimator : FunctionalEstimator, FunctionalClassifier or FunctionalRegressor
        A fitted estimator.
    path : str or path-like
        Where to write (conventionally ``*.skmm``), in a folder that exists.

    Raises
    ------
    TypeError
        When ``estimator`` is not an skmm estimator.
    NotFittedError
        When the estimator is not fitted.
    ValueError
        When a parameter cannot be stored faithfully; nothing is written.
    FileNotFoundError
        When the folder of ``path`` does not exist.

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
    from sklearn.utils.validation import check_is_fitted

    from . import __version__
    from .estimators import FunctionalEstimator

    if not isinstance(estimator, FunctionalEstimator):
        raise TypeError(
            "skmm.save writes a FunctionalEstimator, FunctionalClassifier or "
            f"FunctionalRegressor; got {type(estimator).__name__}. Save the fitted skmm step "
            "of a pipeline or search itself, or use joblib/pickle for the whole object."
        )
    check_is_fitted(estimator, "model_", msg=(
        "skmm.save needs a fitted estimator: this %(name)s is not fitted yet. Call fit(X, y) "
        "first."))
    _check_folder(path)
    header = {
        "format_version": FORMAT_VERSION,
        "skmm_version": __version__,
        "keras_version": keras.__version__,
        "estimator": type(estimator).__name__,
    }
    state, extra = _portable_state(estimator)
    members = {
        _HEADER: json.dumps(header, indent=2),
        _STATE: _dumps(state),
        _MODEL: model_to_bytes(estimator.model_),
        **extra,
    }

    def write(fh):
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)

    _write_atomically(path, write)


def _read_members(path):
    """The file's members by name; InvalidFileError if it is no zip or lacks one."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            missing = [m for m in (_HEADER, _STATE, _MODEL) if m not in names]
            if missing:
                raise InvalidFileError(
                    f"{path!s} is not a file written by skmm.save: it lacks {missing} (an "
                    f"skmm file holds {[_HEADER, _STATE, _MODEL]}).")
            return {name: zf.read(name) for name in names
                    if name in (_HEADER, _STATE, _MODEL)
                    or (name.startswith("params/") and name.endswith(".keras"))}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, RuntimeError,
            NotImplementedError, ValueError) as exc:
        if isinstance(exc, InvalidFileError):
            raise
        raise InvalidFileError(
            f"{path!s} is not a file written by skmm.save ({type(exc).__name__}: {exc})."
        ) from None


def _read_header(path, data):
    """The JSON header, checked: an object with a known format version and the usual keys."""
    try:
        header = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidFileError(f"{path!s} has a header ({_HEADER}) that is not JSON ({exc}).") \
            from None
    if not isinstance(header, dict):
        raise InvalidFileError(f"{path!s} has a header ({_HEADER}) that is a JSON "
                               f"{type(header).__name__}, not an object.")
    if "format_version" not in header:
        raise InvalidFileError(f"{path!s} has no format_version in its header ({_HEADER}); "
                               "the file was not written by skmm.save or was altered.")
    version = header["format_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidFileError(
            f"{path!s} has format version {version!r} in its header; skmm.save writes a "
            f"whole number from 1 to {FORMAT_VERSION}. The file was not written by "
            "skmm.save or was altered.")
    if version > FORMAT_VERSION:
        raise InvalidFileError(
            f"{path!s} has format version {version!r}; this skmm reads versions up to "
            f"{FORMAT_VERSION}. Upgrade skmm to load it."
        )
    wrong = [k for k in _HEADER_KEYS[1:] if not isinstance(header.get(k), str)]
    if wrong:
        raise InvalidFileError(
            f"{path!s} has a header ({_HEADER}) whose {wrong} are missing or not strings; "
            f"skmm.save writes all of {list(_HEADER_KEYS)}. The file was not written by "
            "skmm.save or was altered.")
    if header["estimator"] not in _ESTIMATORS:
        raise InvalidFileError(
            f"{path!s} names the estimator {header['estimator']!r} in its header; skmm.save "
            f"writes one of {list(_ESTIMATORS)}.")
    return header


def load(path, trusted=None):
    """Load an estimator written by :func:`save`, refusing anything not trusted.

    Nothing in the file is unpickled: the estimator's state is read with
    skops, which only rebuilds trusted types (scikit-learn's own, skmm's, and
    those in ``trusted``), and the Keras model is loaded in Keras' safe mode
    (no arbitrary code, e.g. no ``Lambda`` layers). Parameters stored as data
    (Keras optimizers, losses, metrics and callbacks, ``skmm.EpochLog``, a
    ``keras.Model``) are rebuilt through Keras' public API, in safe mode. Keras
    callbacks that would write files, reach the network or run code when the
    estimator is fitted again (all but ``EarlyStopping``, ``ReduceLROnPlateau``,
    ``TerminateOnNaN``, ``ProgbarLogger``, ``History`` and ``SwapEMAWeights``) must
    be trusted by name, e.g. ``trusted=["keras.callbacks.BackupAndRestore"]``.

    Parameters
    ----------
    path : str or path-like
    trusted : list of str, optional
        Further type names to trust (e.g. ``["mymodule.build_model"]`` for a
        custom builder function stored as a parameter, or
        ``["keras.callbacks.CSVLogger"]``).

    Returns
    -------
    The fitted estimator.

    Raises
    ------
    UntrustedTypesError
        When the file holds types or callbacks that are not trusted; the
        message lists them. Nothing is loaded in that case.
    InvalidFileError
        A ``ValueError`` naming the file: it is not a zip archive written by
        :func:`save`, lacks a part, has a header of the wrong form or a format
        version this skmm cannot read, or holds a damaged or incomplete state.
    """
    import skops.io as sio

    members = _read_members(path)
    header = _read_header(path, members[_HEADER])
    payload = members[_STATE]
    allowed = set(SKMM_TYPES) | set(trusted or [])
    try:
        found = sio.get_untrusted_types(data=payload)
    except Exception as exc:  # noqa: BLE001 - whatever skops trips over, the state is damaged
        raise InvalidFileError(f"{path!s} has a damaged estimator state "
                               f"({type(exc).__name__}: {exc}).") from None
    untrusted = [t for t in found if t not in allowed]
    if untrusted:
        raise UntrustedTypesError(
            f"{path!s} holds types that are not trusted: {untrusted}. Nothing was loaded. If "
            "you trust this file, pass them as skmm.load(path, trusted=[...])."
        )
    try:
        estimator = sio.loads(payload, trusted=sorted(allowed))
    except Exception as exc:  # noqa: BLE001 - whatever skops trips over, the state is damaged
        raise InvalidFileError(f"{path!s} has a damaged estimator state "
                               f"({type(exc).__name__}: {exc}).") from None
    return _complete(path, estimator, header, members, allowed)


def _complete(path, estimator, header, members, trusted):
    """The loaded state made a fitted estimator again; InvalidFileError naming what is wrong."""
    if type(estimator).__name__ != header["estimator"] or not hasattr(estimator, "__dict__"):
        raise InvalidFileError(
            f"{path!s} holds a {type(estimator).__name__} where its header says "
            f"{header['estimator']}; the file was altered.")
    if header["format_version"] == 1:  # (parameters added since were filled in by __setstate__)
        estimator = _upgrade_from_1(estimator)
    missing = [a for a in _FITTED if a not in vars(estimator)]
    if missing:
        raise InvalidFileError(
            f"{path!s} holds a {type(estimator).__name__} without the fitted attributes "
            f"{missing}; skmm.save never writes one like that (the file was altered).")
    names = set(type(estimator)._get_param_names())
    params = {k: v for k, v in vars(estimator).items() if k in names or _is_routed(k)}
    untrusted = sorted({n for v in params.values() for n in _untrusted_callbacks(v)} - trusted)
    if untrusted:
        raise UntrustedTypesError(
            f"{path!s} holds callbacks that are not trusted: {untrusted} (they write files, "
            "reach the network or run code when the estimator is fitted again). Nothing was "
            "loaded. If you trust this file, pass them as skmm.load(path, trusted=[...])."
        )
    for name, value in params.items():
        try:
            setattr(estimator, name, _rebuild(value, members))
        except Exception as exc:  # noqa: BLE001 - reported, naming the file and parameter
            raise InvalidFileError(f"{path!s}: parameter {name!r} cannot be rebuilt "
                                   f"({type(exc).__name__}: {exc}).") from None
    try:
        model = _model_member(members, _MODEL)
    except Exception as exc:  # noqa: BLE001 - reported, naming the file
        raise InvalidFileError(f"{path!s}: its Keras model ({_MODEL}) cannot be loaded "
                               f"({type(exc).__name__}: {exc}).") from None
    try:
        return _restore_state(estimator, model)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidFileError(f"{path!s} holds an estimator state skmm.save does not write "
                               f"({type(exc).__name__}: {exc}).") from None


def _is_routed(name):
    from ._params import is_routed

    return is_routed(name)
