"""X -> ``{input_name: ndarray}``: the router an estimator fits, or a dict of arrays as is.

The estimators call :func:`fit_inputs` in ``fit`` and :func:`transform_inputs`
in ``predict``; both set or read the estimator's ``router_``,
``input_specs_``, ``n_features_in_`` and ``feature_names_in_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from .routing import InputRouter
from .specs import InputSpec

# the one input a plain array (or a DataFrame without string column names) becomes
ARRAY_INPUT = "features"


def is_input_dict(X) -> bool:
    """A dict of named input arrays (scipy's DOK sparse matrix is a dict too, and is not)."""
    return isinstance(X, dict) and not sparse.issparse(X)


def n_rows(X) -> int:
    """Rows of X, whatever its container."""
    return _num_samples(next(iter(X.values())) if is_input_dict(X) else X)


def arrays_for_fit(est, X, y, reset):
    """X as the model's input arrays for a fit (fitting the router when ``reset``)."""
    if y is None:
        raise ValueError(
            f"{type(est).__name__} requires y to be passed, but the target y is None."
        )
    if isinstance(X, pd.DataFrame) and X.shape[0] == 0:
        raise ValueError(f"X is an empty DataFrame (0 rows, columns {list(X.columns)}).")
    if reset:
        arrays = fit_inputs(est, X)
    else:
        check_is_fitted(est, "model_")
        arrays = transform_inputs(est, X)
    n = len(next(iter(arrays.values())))
    if n == 0:
        raise ValueError("X has 0 samples; at least one is needed to fit.")
    n_y = n_rows(y)
    if n_y != n:
        raise ValueError(f"y has {n_y} rows but X has {n}; they must match.")
    return arrays


def fit_inputs(est, X):
    """Fit ``est``'s router on X (or take X's arrays as they are); the arrays."""
    router = est.router
    if is_input_dict(X):
        est.router_ = None
        arrays = dict_arrays(X)
    elif router is None and not (
        isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns)
    ):
        # arrays, and DataFrames without string column names (as scikit-learn treats
        # them): one numeric input
        est.router_ = None
        arrays = {ARRAY_INPUT: validate_data(est, X, dtype=np.float32, reset=True)}
    else:
        est.router_ = _router_to_use(router, X)
        if isinstance(router, FrozenEstimator):
            arrays = est.router_.transform(X)
        else:
            arrays = est.router_.fit_transform(X)
        if hasattr(est.router_, "feature_names_in_"):
            est.feature_names_in_ = est.router_.feature_names_in_
        est.n_features_in_ = est.router_.n_features_in_
    if not arrays:
        raise ValueError("X produced no model inputs; check the router's transformers.")
    est.input_specs_ = input_specs(arrays, getattr(est.router_, "input_specs_", None))
    return arrays


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


def transform_inputs(est, X):
    """X as the fitted estimator's input arrays."""
    if is_input_dict(X):
        arrays = dict_arrays(X)
        missing = [n for n in est.input_specs_ if n not in arrays]
        if missing:
            raise ValueError(f"X is missing inputs {missing}; it has {list(arrays)}.")
        return arrays
    if est.router_ is None:
        return {ARRAY_INPUT: validate_data(est, X, dtype=np.float32, reset=False)}
    return est.router_.transform(X)


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


def check_empty(est, X):
    """Check a zero-row X against what fit saw (its columns or inputs), without routing it.

    scikit-learn's transformers refuse zero rows, but a prediction for none is
    a fair request (a filter that kept nothing): it gets an empty answer, and
    X still gets the column checks a non-empty X would.
    """
    if is_input_dict(X):
        missing = [n for n in est.input_specs_ if n not in X]
        if missing:
            raise ValueError(f"X is missing inputs {missing}; it has {list(X)}.")
    elif est.router_ is not None:
        if hasattr(X, "columns"):
            est.router_._check_columns(X, "predict")
    else:
        width = np.shape(X)[1] if np.ndim(X) == 2 else None
        if width != est.n_features_in_:
            raise ValueError(
                f"X has {width} features, but {type(est).__name__} is expecting "
                f"{est.n_features_in_} features as input."
            )
