"""y's container (DataFrame, dict, Series or array; pandas or polars), read and rebuilt.

The one place y's container is taken apart (:func:`from_polars`) and put
back together (:func:`rebuild`), for any number of rows: predictions of a
large X are decoded chunk by chunk, joined per head, and rebuilt once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POLARS = "polars-"  # container_ prefix of a y that came as a polars DataFrame or Series


def _polars_column(series):
    """One polars column as pandas, missing values and integers kept.

    Integers, bools and strings go through pyarrow-backed dtypes (an ``Int64``
    column with nulls stays integer, not float with NaN); categories become
    pandas categories and floats float64, as ``to_pandas`` makes them.
    """
    dtype = series.dtype
    if dtype.is_integer() or dtype.is_(_polars().Boolean) or dtype.is_(_polars().String):
        return series.to_pandas(use_pyarrow_extension_array=True)
    return series.to_pandas()


def _polars():
    import polars

    return polars


def from_polars(y):
    """``(y as pandas, True)`` for a polars DataFrame or Series; ``(y, False)`` otherwise."""
    if type(y).__module__.split(".")[0] != "polars":
        return y, False
    pl = _polars()
    if isinstance(y, pl.Series):
        return _polars_column(y), True
    if isinstance(y, pl.DataFrame):
        return pd.DataFrame({c: _polars_column(y[c]) for c in y.columns}), True
    return y, False


def concat_heads(parts):
    """Per-head arrays of consecutive row chunks, joined in order."""
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def rebuild(container, heads, decoded, index=None):
    """The container y came in (``TargetSplitter.container_``), from decoded per-head arrays.

    Column names, dict keys, the Series name, label values and dtypes are
    those the heads recorded in fit (each head kind restores its own,
    :meth:`skmm.heads.HeadKind.restore`); ``index`` indexes a pandas
    DataFrame or Series. A y that came as polars comes back as polars.
    """
    if container.startswith(POLARS):
        return _polars().from_pandas(rebuild(container[len(POLARS):], heads, decoded))

    if container == "dict":
        return {head.columns[0]: _whole(decoded[n], head) for n, head in heads.items()}
    if container == "series":
        (name, head), = heads.items()
        return _series(_column(head, decoded[name], 0), index, head.columns[0])
    if container == "frame":
        parts = {col: _series(_column(head, decoded[name], j), index)
                 for name, head in heads.items() for j, col in enumerate(head.columns)}
        return pd.DataFrame(parts, index=index)
    if container == "array":
        (name, head), = heads.items()
        return _whole(decoded[name], head)
    return np.column_stack([_whole(decoded[n], h) for n, h in heads.items()])


def _series(values, index, name=None):
    """A Series of restored values in exactly their dtype (pandas 3 would infer ``str``)."""
    return pd.Series(values, index=index, name=name, dtype=getattr(values, "dtype", None))


def _column(head, values, j):
    """Column ``j`` of a head's decoded values, in the dtype y had there (the kind's restore)."""
    if values.ndim == 2:
        values = values[:, j]
    dtype = head.dtypes[j] if j < len(head.dtypes) else None
    return head.head_kind.restore(head, values, dtype)


def _whole(values, head):
    """A head's decoded values as one array, each column in y's dtype."""
    if values.ndim == 2:
        return np.column_stack([np.asarray(_column(head, values, j))
                                for j in range(values.shape[1])])
    return _column(head, values, 0)
