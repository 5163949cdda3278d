"""y's container (DataFrame, dict, Series or array; pandas or polars) rebuilt from decoded heads."""

from __future__ import annotations

import numpy as np
import pandas as pd

POLARS = "polars-"  # container_ prefix of a y that came as a polars DataFrame or Series


def from_polars(y):
    """``(y as pandas, True)`` for a polars DataFrame or Series; ``(y, False)`` otherwise."""
    if type(y).__module__.split(".")[0] == "polars" and hasattr(y, "to_pandas"):
        return y.to_pandas(), True
    return y, False


def rebuild(container, heads, decoded, index=None):
    """The container y came in (``TargetSplitter.container_``), from decoded per-head arrays.

    Column names, dict keys, the Series name, label values and dtypes are
    those the heads recorded in fit; ``index`` indexes a pandas DataFrame or
    Series. A y that came as polars comes back as polars.
    """
    if container.startswith(POLARS):
        import polars

        return polars.from_pandas(rebuild(container[len(POLARS):], heads, decoded))
    if container == "dict":
        return {head.columns[0]: _restore(decoded[n], head)
                for n, head in heads.items()}
    if container == "series":
        (name, head), = heads.items()
        return pd.Series(_restore(decoded[name], head), index=index, name=head.columns[0])
    if container == "frame":
        parts = {}
        for name, head in heads.items():
            values = decoded[name]
            if values.ndim == 1:
                values = values[:, None]
            for j, col in enumerate(head.columns):
                parts[col] = pd.Series(
                    _restore(values[:, j], head, head.dtypes[j]), index=index
                )
        frame = pd.DataFrame(parts, index=index)
        return frame
    if container == "array":
        (name, head), = heads.items()
        return _restore(decoded[name], head)
    columns = [_restore(decoded[n], h) for n, h in heads.items()]
    return np.column_stack(columns)


def _restore(values, head, dtype=None):
    """Give decoded values the label dtype y had (regression stays float)."""
    dtype = head.dtypes[0] if dtype is None and head.dtypes else dtype
    if dtype is None:
        return values
    extension = isinstance(dtype, pd.api.extensions.ExtensionDtype)  # categories, pyarrow...
    if not head.is_classification:
        if not pd.api.types.is_float_dtype(dtype):
            return values.astype(np.float64)
        return pd.array(values, dtype=dtype) if extension else values.astype(dtype)
    try:
        if extension:
            return pd.array(values, dtype=dtype)
        return np.asarray(values).astype(dtype)
    except (TypeError, ValueError):
        return values
