"""Per-head sample weights: the user's weights, masked labels and class weights in one vector.

Keras refuses ``class_weight`` for models with several outputs, and a missing
label must count for nothing in its own head only; both become per-head
sample weights here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._messages import check_head_names

__all__ = ["head_weights", "weights_by_head"]


def head_weights(heads, encoded, observed, sample_weight, class_weight, n):
    """One float32 weight vector per head.

    Parameters
    ----------
    heads : dict of str -> HeadSpec
    encoded, observed : dict of str -> ndarray
        From ``TargetSplitter.transform_with_mask``.
    sample_weight : None, array-like of shape (n,), dict of head -> array-like, or a
        DataFrame with one column per head
    class_weight : None, "balanced", {label: weight} (one class head) or
        {head: {label: weight} or "balanced"}
    n : int
        Number of samples.

    Returns
    -------
    dict of str -> ndarray of shape (n,)
    """
    base = weights_by_head(heads, sample_weight, n)
    per_head_classes = _class_weights(heads, class_weight)
    weights = {}
    for name, head in heads.items():
        w = base.get(name, base.get(None))
        w = np.ones(n, dtype=np.float32) if w is None else w.copy()
        w[~observed[name]] = 0.0
        if name in per_head_classes:
            w *= _class_weight_vector(head, encoded[name], observed[name],
                                      per_head_classes[name])
        weights[name] = w
    return weights


def weights_by_head(heads, sample_weight, n):
    """The user's sample weights checked, as ``{head: vector}`` or ``{None: vector}`` for all.

    An empty dict when ``sample_weight`` is None.
    """
    if sample_weight is None:
        return {}
    if isinstance(sample_weight, pd.DataFrame):
        # one column per head: the form that survives scikit-learn's row splitting
        # (cross-validation and metadata routing index it by row like X)
        sample_weight = {str(c): sample_weight[c].to_numpy() for c in sample_weight.columns}
    if isinstance(sample_weight, dict):
        check_head_names(sample_weight, heads, "sample_weight")
        return {k: _weight_vector(v, n, f"sample_weight[{k!r}]")
                for k, v in sample_weight.items()}
    return {None: _weight_vector(sample_weight, n, "sample_weight")}


def _weight_vector(value, n, what):
    w = np.asarray(value, dtype=np.float32).reshape(-1)
    if w.shape[0] != n:
        raise ValueError(f"{what} has {w.shape[0]} values but X has {n} rows.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{what} must be finite and non-negative.")
    if not w.any():
        raise ValueError(f"{what} is zero for every sample; nothing would be learned.")
    return w


def _class_weights(heads, cw):
    if cw is None:
        return {}
    class_heads = {n: h for n, h in heads.items() if h.head_kind.takes_class_weight}
    if cw == "balanced":
        return dict.fromkeys(class_heads, "balanced")
    if not isinstance(cw, dict):
        raise ValueError(
            f"Parameter 'class_weight' must be None, 'balanced' or a dict; got {cw!r}."
        )
    if all(k in heads for k in cw):
        for k in cw:
            if k not in class_heads:
                raise ValueError(
                    f"Parameter 'class_weight' names head {k!r}, which is not a binary or "
                    "multiclass head."
                )
        return dict(cw)
    if len(class_heads) == 1:
        return {next(iter(class_heads)): cw}
    raise ValueError(
        f"Parameter 'class_weight' keys {list(cw)} are not head names {list(heads)}; with "
        "several heads give {head: weights}."
    )


def _class_weight_vector(head, encoded, observed, spec):
    idx = np.asarray(encoded).reshape(len(encoded), -1)[:, 0].astype(np.intp)
    k = len(head.classes)
    if spec == "balanced":
        counts = np.bincount(idx[observed], minlength=k).astype(np.float64)
        table = np.where(counts > 0, observed.sum() / (k * np.maximum(counts, 1)), 0.0)
    elif isinstance(spec, dict):
        table = np.ones(k)
        labels = head.classes.tolist()
        for label, weight in spec.items():
            if label not in labels:
                raise ValueError(
                    f"Parameter 'class_weight' for head {head.name!r} names label "
                    f"{label!r}, which is not a class; classes are {labels}."
                )
            table[labels.index(label)] = weight
    else:
        raise ValueError(
            f"Parameter 'class_weight' for head {head.name!r} must be 'balanced' or a "
            f"dict {{label: weight}}; got {spec!r}."
        )
    return table[idx].astype(np.float32)
