"""X -> ``{input_name: ndarray}``: the router an estimator fits, or a dict of arrays as is.

The estimators call :func:`fit_inputs` in ``fit``, which fits nothing of
theirs: it returns a :class:`FittedInputs` whose fields become their
``router_``, ``input_specs_``, ``n_features_in_`` and ``feature_names_in_``;
:func:`transform_inputs` turns X into the same inputs in ``predict``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import (
    _get_feature_names,
    _num_samples,
    check_array,
    check_is_fitted,
    validate_data,
)

from .routing import InputRouter
from .specs import InputSpec

# the one input a plain array (or a DataFrame without string column names) becomes
ARRAY_INPUT = "features"


def is_input_dict(X) -> bool:
    """A dict of named input arrays (scipy's DOK sparse matrix is a dict too, and is not)."""
    return isinstance(X, dict) and not sparse.issparse(X)


def n_rows(X) -> int:
    """Rows of X, whatever its container."""
    if isinstance(X, (pd.DataFrame, np.ndarray)) and X.ndim == 2:
        return X.shape[0]  # what _num_samples says, without its checks (online prediction)
    return _num_samples(next(iter(X.values())) if is_input_dict(X) else X)


def check_fit_data(X, y, name):
    """Refuse what no fit can start from: no y, or a DataFrame X without rows.

    ``name`` (the estimator's class name) is named in the messages.
    """
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    if isinstance(X, pd.DataFrame) and X.shape[0] == 0:
        raise ValueError(f"X is an empty DataFrame (0 rows, columns {list(X.columns)}).")


def check_rows(arrays, y):
    """The number of rows of X's input arrays, checked non-zero and equal to y's."""
    n = len(next(iter(arrays.values())))
    if n == 0:
        raise ValueError("X has 0 samples; at least one is needed to fit.")
    n_y = n_rows(y)
    if n_y != n:
        raise ValueError(f"y has {n_y} rows but X has {n}; they must match.")
    return n


@dataclass(frozen=True)
class FittedInputs:
    """What routing X taught one fit: the fitted router, X's arrays and their specs.

    Attributes
    ----------
    router : InputRouter or None
        The fitted router (None when X needed none: a dict of arrays, or a
        plain numeric array that is one input).
    arrays : dict of str -> ndarray
        X as the model's input arrays.
    input_specs : dict of str -> InputSpec
        Kind, shape, dtype and vocabulary size of each input.
    n_features_in : int or None
        Columns of X (None for a dict of arrays).
    feature_names_in : ndarray of str or None
        Column names of X, when it had string column names.
    """

    router: InputRouter | None
    arrays: dict
    input_specs: dict
    n_features_in: int | None = None
    feature_names_in: np.ndarray | None = None


def fit_inputs(router, X, *, name=None) -> FittedInputs:
    """Fit a clone of ``router`` on X (or take X's arrays as they are).

    Parameters
    ----------
    router : InputRouter, ColumnTransformer, FrozenEstimator or None
        An estimator's ``router`` parameter; never fitted itself (a clone
        is), except that a frozen router is used as it is.
    X : DataFrame, dict of arrays or array-like
    name : str, optional
        The estimator's class name, for scikit-learn's messages about a
        plain array X.

    Returns
    -------
    FittedInputs
    """
    if is_input_dict(X):
        fitted, arrays, n_features, names = None, dict_arrays(X), None, None
    elif router is None and not (
        isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns)
    ):
        # arrays, and DataFrames without string column names (as scikit-learn treats
        # them): one numeric input, checked as scikit-learn's validate_data checks it
        fitted, names = None, _get_feature_names(X)
        array = check_array(X, dtype=np.float32, input_name="X", estimator=name)
        arrays, n_features = {ARRAY_INPUT: array}, array.shape[1]
    else:
        fitted = _router_to_use(router, X)
        if isinstance(router, FrozenEstimator):
            arrays = fitted.transform(X)
        else:
            arrays = fitted.fit_transform(X)
        n_features = fitted.n_features_in_
        names = getattr(fitted, "feature_names_in_", None)
    if not arrays:
        raise ValueError("X produced no model inputs; check the router's transformers.")
    specs = input_specs(arrays, getattr(fitted, "input_specs_", None))
    return FittedInputs(fitted, arrays, specs, n_features, names)


def _router_to_use(router, X):
    """A frozen router as it is (fitted), any other as a fresh clone to fit."""
    if isinstance(router, FrozenEstimator):
        # fitted beforehand (say chunk by chunk with partial_fit): used, never refitted
        inner = router.estimator
        if not isinstance(inner, InputRouter):
            raise ValueError(
                "Parameter 'router' is a FrozenEstimator around a "
                f"{type(inner).__name__}; freeze a fitted InputRouter."
            )
        check_is_fitted(inner)
        return inner
    if router is None:
        return InputRouter.from_frame(X)
    if isinstance(router, ColumnTransformer) and not isinstance(router, InputRouter):
        return InputRouter(**router.get_params(deep=False))
    if not isinstance(router, InputRouter):
        raise ValueError(
            "Parameter 'router' must be an InputRouter, a ColumnTransformer or None; "
            f"got {type(router).__name__}."
        )
    return clone(router)


def transform_inputs(X, router, specs, *, owner):
    """X as a fitted estimator's input arrays.

    ``router`` and ``specs`` (the input specs) are what :func:`fit_inputs` returned;
    ``owner`` is the fitted estimator, which scikit-learn's checks of a
    plain array X read ``n_features_in_`` and ``feature_names_in_`` from
    (and name in their messages). Nothing is set on it.
    """
    if is_input_dict(X):
        arrays = dict_arrays(X)
        missing = [n for n in specs if n not in arrays]
        if missing:
            raise ValueError(f"X is missing inputs {missing}; it has {list(arrays)}.")
        return arrays
    if router is None:
        return {ARRAY_INPUT: validate_data(owner, X, dtype=np.float32, reset=False)}
    return router.transform(X)


def dict_arrays(X):
    """A dict of arrays as model inputs: 2-D, int32 ids or float32 numbers."""
    out = {}
    for name, value in X.items():
        arr = np.asarray(value)
        if arr.ndim == 1:
            arr = arr[:, None]
        if np.issubdtype(arr.dtype, np.integer):
            arr = arr.astype(np.int32, copy=False)
        else:
            try:
                arr = arr.astype(np.float32, copy=False)
            except (TypeError, ValueError):
                raise ValueError(
                    f"X input {name!r} must hold numbers; route text through an "
                    "InputRouter with a TextSequencer."
                ) from None
        out[str(name)] = arr
    return out


def input_specs(arrays, routed=None):
    """Input specs; a router's own (its full vocabulary sizes) where it has them.

    The ids present in one batch can stop short of the vocabulary (a chunk
    in ``partial_fit``, or words only seen past ``sequence_length``), and
    an Embedding sized from them would fail on later data.
    """
    specs = {}
    for name, arr in arrays.items():
        if routed and name in routed:
            specs[name] = routed[name]
            continue
        tokens = arr.dtype == np.int32
        specs[name] = InputSpec(
            name=name,
            kind="tokens" if tokens else "numeric",
            shape=tuple(arr.shape[1:]),
            dtype=arr.dtype.name,
            vocabulary_size=int(arr.max()) + 1 if tokens and arr.size else None,
        )
    return specs


def check_empty(X, router, specs, *, owner):
    """Check a zero-row X against what fit saw (its columns or inputs), without routing it.

    scikit-learn's transformers refuse zero rows, but a prediction for none is
    a fair request (a filter that kept nothing): it gets an empty answer, and
    X still gets the column checks a non-empty X would. Arguments as in
    :func:`transform_inputs`.
    """
    if is_input_dict(X):  # no transformer runs on a dict: its own checks apply
        transform_inputs(X, router, specs, owner=owner)
    elif router is not None:
        if hasattr(X, "columns"):
            router._check_columns(X, "predict")
    else:
        width = np.shape(X)[1] if np.ndim(X) == 2 else None
        if width != owner.n_features_in_:
            raise ValueError(
                f"X has {width} features, but {type(owner).__name__} is expecting "
                f"{owner.n_features_in_} features as input."
            )
