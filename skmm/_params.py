"""scikeras-style routed parameters: ``model__*``, ``optimizer__*``, ``callbacks__*``...

An estimator accepts any keyword starting with one of :data:`ROUTED_PREFIXES`;
these helpers collect them and turn the plain parameters they refine
(``optimizer``, ``loss``, ``callbacks``) into fresh Keras objects for one fit,
so a user's own objects are never mutated.
"""

from __future__ import annotations

import copy
import difflib
import functools
import inspect

import keras
import numpy as np
from sklearn.utils._param_validation import validate_parameter_constraints

from ._messages import did_you_mean

ROUTED_PREFIXES = ("model", "optimizer", "loss", "compile", "fit", "predict", "callbacks")


def validate_params(estimator):
    """Check ``estimator``'s plain parameters against its ``_parameter_constraints``.

    One message format for every skmm class, scikit-learn's own: "The
    'epochs' parameter of FunctionalEstimator must be an int in the range
    [1, inf). Got 0 instead." (an ``InvalidParameterError``, which is a
    ``ValueError`` and a ``TypeError``).
    """
    validate_parameter_constraints(
        estimator._parameter_constraints,
        estimator.get_params(deep=False),
        caller_name=type(estimator).__name__,
    )


def is_routed(key: str) -> bool:
    prefix, sep, rest = key.partition("__")
    return bool(sep) and bool(rest) and prefix in ROUTED_PREFIXES


def routed(params: dict, prefix: str) -> dict:
    """``{"x": v}`` for every ``"<prefix>__x": v`` in params."""
    head = prefix + "__"
    return {k[len(head):]: v for k, v in params.items() if k.startswith(head)}


def _is_extra_keyword(name, known):
    """A keyword ``__init__`` kept that is no parameter (not fitted or private state)."""
    return name not in known and not name.endswith("_") and not name.startswith("_")


def routed_params(attributes: dict) -> dict:
    """The routed parameters (``model__units``...) among an estimator's ``vars()``."""
    return {k: v for k, v in attributes.items() if is_routed(k)}


def unknown_message(owner: str, unknown, known) -> str:
    """The message for parameter names ``owner`` does not know, with the closest known one."""
    return (
        f"{owner} got unknown parameter(s) {unknown}"
        f"{did_you_mean(unknown[0], known)}; routed parameters start with one of "
        f"{[p + '__' for p in ROUTED_PREFIXES]}."
    )


def sort_params(owner: str, params: dict, known, attributes: dict):
    """``set_params``' arguments as (those set as attributes, plain ones).

    Routed names (``model__units``), and keywords the estimator was
    constructed with that are no parameter, are stored as given; a plain
    parameter or a nested ``router__...`` / ``targets__...`` one goes to
    scikit-learn's ``set_params``; any other name raises a ``ValueError``
    naming it (:func:`unknown_message`), before anything is set.
    """
    known = set(known)
    as_attributes, plain = {}, {}
    for key, value in params.items():
        if is_routed(key) or (key in attributes and _is_extra_keyword(key, known)):
            as_attributes[key] = value
        elif key.partition("__")[0] in known:
            plain[key] = value
        else:
            raise ValueError(unknown_message(owner, [key], known))
    return as_attributes, plain


def check_known(owner: str, attributes: dict, known):
    """Refuse keywords ``__init__`` kept that are neither parameters nor routed ones."""
    known = set(known)
    unknown = [k for k in attributes if _is_extra_keyword(k, known) and not is_routed(k)]
    if unknown:
        raise ValueError(unknown_message(owner, unknown, known))


def _class_named(module, name: str):
    """The class in a Keras module called ``name``, ignoring case and underscores.

    "adamw" finds ``AdamW``, "sparse_categorical_crossentropy" finds
    ``SparseCategoricalCrossentropy``.
    """
    key = name.replace("_", "").lower()
    for attr in dir(module):
        value = getattr(module, attr)
        if inspect.isclass(value) and attr.lower() == key:
            return value
    return None


def _class_names(module):
    return [n for n in dir(module) if inspect.isclass(getattr(module, n)) and n[0] != "_"]


def make_optimizer(optimizer, kwargs: dict, learning_rate=None):
    """A fresh optimizer from a name, class or instance plus ``optimizer__*`` kwargs.

    ``learning_rate`` is used for a name or class unless ``kwargs`` sets one;
    an instance keeps its own.
    """
    if isinstance(optimizer, str):
        cls = _class_named(keras.optimizers, optimizer)
        if cls is None:
            names = {n.lower(): n for n in _class_names(keras.optimizers)}
            close = [names[c] for c in difflib.get_close_matches(optimizer.lower(), names, n=1)]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"Parameter 'optimizer': unknown optimizer {optimizer!r}{hint}.")
        optimizer = cls
    if inspect.isclass(optimizer):
        if learning_rate is not None:
            kwargs = {"learning_rate": learning_rate, **kwargs}
        try:
            return optimizer(**kwargs)
        except TypeError as exc:
            raise ValueError(f"optimizer__* parameters {sorted(kwargs)}: {exc}") from None
    if isinstance(optimizer, keras.optimizers.Optimizer):
        config = {**optimizer.get_config(), **kwargs}
        return type(optimizer).from_config(config)
    raise ValueError(
        "Parameter 'optimizer' must be a name ('adam'), a keras.optimizers class or instance; "
        f"got {optimizer!r}."
    )


def make_loss(loss, kwargs: dict):
    """A loss from a name, class, instance or function plus ``loss__*`` kwargs."""
    if inspect.isclass(loss):
        return loss(**kwargs)
    if isinstance(loss, str) and kwargs:
        cls = _class_named(keras.losses, loss)
        if cls is None:
            raise ValueError(
                f"loss__* parameters {sorted(kwargs)} need a loss class; {loss!r} is not one."
            )
        return cls(**kwargs)
    if kwargs:
        raise ValueError(
            f"loss__* parameters {sorted(kwargs)} can only configure a loss given as a class "
            f"or class name; got {loss!r}."
        )
    return loss


def make_callbacks(callbacks, params: dict) -> list:
    """Fresh callbacks for one fit, with ``callbacks__<key>__<arg>`` applied.

    ``callbacks`` is a list (keys are the positions "0", "1", ...) or a dict
    (keys are its keys) of callback classes or instances. Classes are
    instantiated with their arguments; instances are deep-copied and the
    arguments set as attributes, so state never leaks between fits.
    """
    if callbacks is None:
        callbacks = []
    if isinstance(callbacks, (keras.callbacks.Callback, type)):
        callbacks = [callbacks]
    items = (
        [(str(k), v) for k, v in callbacks.items()]
        if isinstance(callbacks, dict)
        else [(str(i), v) for i, v in enumerate(callbacks)]
    )
    per_key: dict[str, dict] = {}
    for key, value in routed(params, "callbacks").items():
        name, sep, arg = key.partition("__")
        if not sep:
            raise ValueError(
                f"Parameter 'callbacks__{key}' must name a callback and an argument: "
                "callbacks__<key>__<argument>, where <key> is the list position or dict key."
            )
        per_key.setdefault(name, {})[arg] = value
    known = {k for k, _ in items}
    for name in per_key:
        if name not in known:
            raise ValueError(
                f"Parameter 'callbacks__{name}__...' names no callback"
                f"{did_you_mean(name, sorted(known))}; callback keys are {sorted(known)}."
            )
    out = []
    for key, cb in items:
        kwargs = per_key.get(key, {})
        if inspect.isclass(cb):
            out.append(cb(**kwargs))
        elif isinstance(cb, keras.callbacks.Callback):
            fresh = copy.deepcopy(cb)
            for arg, value in kwargs.items():
                if not hasattr(fresh, arg):
                    raise ValueError(
                        f"Parameter 'callbacks__{key}__{arg}': {type(cb).__name__} has no "
                        f"attribute {arg!r}."
                    )
                setattr(fresh, arg, value)
            out.append(fresh)
        else:
            raise ValueError(
                f"Parameter 'callbacks' entry {key!r} must be a keras Callback class or "
                f"instance; got {cb!r}."
            )
    return out


# Parameters a fitted model embodies: a warm start (or partial_fit) after one of them
# changed would go on training a model they no longer describe.
STRUCTURAL = ("model", "router", "targets", "loss", "metrics", "loss_weights", "optimizer")
STRUCTURAL_PREFIXES = ("model__", "loss__", "optimizer__", "compile__")


def _describe(value):
    """A value as plain text that is equal for equal settings, in any process."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        inner = {k: _describe(v) for k, v in sorted(value.get_params(deep=False).items())}
        return f"{type(value).__qualname__}({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    if isinstance(value, np.generic):  # np.float64(2.0) is the setting 2.0
        value = value.item()
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if isinstance(value, functools.partial):  # a builder with some arguments bound
        return (f"partial({_describe(value.func)}, {_describe(list(value.args))}, "
                f"{_describe(dict(sorted(value.keywords.items())))})")
    if hasattr(value, "get_config"):  # keras objects (optimizers, losses, metrics, models)
        try:
            return f"{type(value).__qualname__}({value.get_config()!r})"
        except Exception:  # noqa: BLE001 - a config that cannot be read: the type stands
            return type(value).__qualname__
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    return f"{getattr(value, '__module__', '')}.{name}"


def structure(params):
    """``{name: description}`` of the structural parameters among ``params``.

    Compared between the fit that built a model and a later warm start.

    Examples
    --------
    >>> structure({"model__units": 8, "epochs": 5, "router": None})
    {'model__units': '8', 'router': 'None'}
    """
    return {k: _describe(v) for k, v in sorted(params.items())
            if k in STRUCTURAL or k.startswith(STRUCTURAL_PREFIXES)}


def changed_structure(before, now):
    """The structural parameters that differ between two :func:`structure` results."""
    return sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))


def check_unchanged(owner: str, before, now):
    """Refuse a warm start or ``partial_fit`` after a structural parameter changed.

    ``before`` and ``now`` are :func:`structure` results: of the fit that
    built the model, and of this one.
    """
    changed = changed_structure(before, now)
    if changed:
        raise ValueError(
            f"{owner}: parameter(s) {changed} changed since the model was "
            "built, and a warm start or partial_fit would go on training a model they "
            "no longer describe. Set warm_start=False (or call fit) to build a new "
            "model, or set them back."
        )
