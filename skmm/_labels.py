"""Class labels of binary and multiclass heads: detection, fitting and indexing."""

from __future__ import annotations

import numpy as np
import pandas as pd


def is_label_dtype(dtypes) -> bool:
    """True when a column's dtype means labels (bool, strings, categories)."""
    for dt in dtypes:
        if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dt):
            return True
        if pd.api.types.is_object_dtype(dt) or pd.api.types.is_string_dtype(dt):
            return True
    return False


def fit_classes(head, values, dtypes):
    """Sorted classes of a one-column label head, and its binary/multiclass kind."""
    col = values[:, 0]
    if not is_label_dtype(dtypes):
        col = col.astype(np.float64)
        if np.all(col == np.round(col)) and pd.api.types.is_integer_dtype(dtypes[0]):
            col = col.astype(dtypes[0])
    try:
        classes = np.unique(col)
    except TypeError:
        types = sorted({type(v).__name__ for v in col})
        raise ValueError(
            f"TargetSplitter: head {head.name!r} mixes label types {types}; use one type."
        ) from None
    if classes.dtype == object:  # bool/number labels get their own dtype back
        inferred = np.asarray(classes.tolist())
        if inferred.dtype.kind in "biuf":
            classes = inferred
    if len(classes) < 2:
        raise ValueError(
            f"TargetSplitter: head {head.name!r} has only one class {classes.tolist()}; a "
            "classification head needs at least two classes in the training data."
        )
    set_classes(head, classes)


def set_classes(head, classes):
    """Give a label head its classes; two make it binary, more multiclass."""
    head.classes = classes
    head.kind = "binary" if len(classes) == 2 else "multiclass"
    head.n_outputs = 1 if head.kind == "binary" else len(classes)


def class_indices(head, col):
    """Index of each label in ``head.classes``; unseen labels are an error naming them."""
    if head.classes.dtype != object:
        try:
            col = col.astype(head.classes.dtype)
        except (TypeError, ValueError):
            pass
    try:
        idx = np.searchsorted(head.classes, col)
        idx = np.clip(idx, 0, len(head.classes) - 1)
        unknown = np.asarray(head.classes[idx] != col, dtype=bool)
    except TypeError:  # labels of another type than the classes
        idx = np.zeros(len(col), dtype=np.intp)
        unknown = np.array([not any(c == k for k in head.classes) for c in col])
    if np.any(unknown):
        labels = pd.unique(np.asarray(col[unknown], dtype=object)).tolist()
        raise ValueError(
            f"TargetSplitter: head {head.name!r} has labels {labels[:10]} not seen in "
            f"fit; known classes are {head.classes.tolist()}."
        )
    return idx
