"""The direct path of ``InputRouter.transform`` for small DataFrames (online prediction).

``ColumnTransformer.transform`` plus ``StandardScaler.transform`` spend about
2.5 ms validating a one-row DataFrame. For at most :data:`SMALL_BATCH` rows
each fitted transformer gets its columns directly, ``StandardScaler`` and
``QuantileBins`` (imputing gaps included; NumPy, nullable and pyarrow number
and bool columns) run as plain NumPy on the same dtype, and
``TextSequencer`` skips the fitted check and the ``set_output`` wrapper. A
small polars frame comes here as pandas with pyarrow columns. The result is
bit-identical to the general path (``tests/test_routing.py``,
``tests/test_fast_predict.py``); wherever the
direct path does not apply or meets an error it returns None, and the general
path runs (and explains the error).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from .preprocessing import QuantileBins
from .text import TextSequencer

# At most this many rows take the direct path.
SMALL_BATCH = 1024


def _numeric_columns(X, columns, fitted_names):
    """X's columns as one float array, typed as scikit-learn's validation types them.

    None unless every column is a plain int/uint/float column and the names
    match what the transformer saw in fit (otherwise the transformer's own
    validation must run, and explain).
    """
    if not isinstance(columns, list) or fitted_names is None or list(fitted_names) != columns:
        return None
    series = [X[c] for c in columns]
    kinds = [s.dtype.kind if isinstance(s.dtype, np.dtype) else "?" for s in series]
    if not all(k in "iuf" for k in kinds):
        return None
    dtype = np.float32 if all(s.dtype == np.float32 for s in series) else np.float64
    out = np.empty((len(X), len(series)), dtype=dtype)
    for j, s in enumerate(series):
        out[:, j] = s.to_numpy(dtype=dtype)
    return out


def _float64_columns(X, columns, fitted_names):
    """X's columns as one float64 array with NaN for gaps, as ``validate_data`` makes it.

    Numbers and bools in NumPy, nullable (``Int64``, ``Float64``, ``boolean``)
    or pyarrow columns; None for any other column, or names that do not match
    fit (the transformer's own validation must then run, and explain).
    """
    if not isinstance(columns, list) or fitted_names is None or list(fitted_names) != columns:
        return None
    out = np.empty((len(X), len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        series = X[column]
        dtype = series.dtype
        if isinstance(dtype, np.dtype):
            if dtype.kind not in "biuf":
                return None
            out[:, j] = series.to_numpy()
        elif (isinstance(dtype, pd.CategoricalDtype)
              or not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))):
            return None
        else:
            out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _direct_transform(trans, X, columns):
    """``trans.transform(X[columns])`` without the validation layers, where that is exact."""
    if trans == "passthrough":
        return X[columns]
    if type(trans) is StandardScaler:
        values = _numeric_columns(X, columns, getattr(trans, "feature_names_in_", None))
        # float64 only: how float32 data meets float64 statistics changed across
        # scikit-learn versions, and this path must match the installed one bit for bit
        if values is not None and values.dtype == np.float64:
            if trans.with_mean:
                values -= trans.mean_
            if trans.with_std:
                values /= trans.scale_
            return values
    elif type(trans) is TextSequencer:
        # the router is fitted, so is its sequencer; set_output changes no value
        return trans._ids(X[columns])
    elif type(trans) is QuantileBins:
        values = _float64_columns(X, columns, getattr(trans, "feature_names_in_", None))
        if values is not None:
            # NaN is a gap to fill where the bins impute; infinity never is
            bad = np.isinf(values) if trans.missing == "median" else ~np.isfinite(values)
            if bad.any():
                raise ValueError("not finite")  # the general path explains it
            return trans._transform_array(values)
    return trans.transform(X[columns])


def selects_by_label(columns):
    """Whether a column selection names its columns: a str or a list of str."""
    return isinstance(columns, str) or (
        isinstance(columns, list) and all(isinstance(c, str) for c in columns))


def transform_small(router, X):
    """``router.transform(X)`` without the validation layers; None where it does not apply."""
    if X is None or router.n_jobs not in (None, 1):
        return None
    entries = []
    for name, trans, columns in router._fitted_blocks():
        if name == "remainder" or not selects_by_label(columns):
            return None  # the remainder, or a selection by position, mask or callable
        entries.append((trans, columns))
    try:
        blocks = [_direct_transform(trans, X, columns) for trans, columns in entries]
        # the same stacking into per-input arrays as the general path
        return router._hstack(blocks, n_samples=len(X))
    except (TypeError, ValueError, KeyError):
        return None  # the general path raises the explained error
