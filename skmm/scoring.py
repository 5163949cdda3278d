"""Per-head scores, written once for every skmm estimator.

Each head is scored by its kind (:meth:`skmm.heads.HeadKind.score`: accuracy,
R^2, D^2 of the Poisson deviance...), on the samples labelled for that head
(:func:`score_per_head`), and an estimator's ``score`` is the mean over heads
(:func:`mean_score`). The task classes take that ``score`` over
``ClassifierMixin``'s and ``RegressorMixin``'s, which score the whole of y at
once and fail on several heads or on missing labels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mean_score", "score_per_head"]


def score_per_head(heads, truth, observed, pred, weights=None):
    """Each head's default score, from its kind, on the samples labelled for it.

    Parameters
    ----------
    heads : dict of str -> HeadSpec
        The fitted heads (``TargetSplitter.heads_``).
    truth, observed : dict of str -> ndarray
        y's labels per head and which are present
        (``TargetSplitter.truth_with_mask``).
    pred : dict of str -> ndarray
        Predicted labels or values per head (``TargetSplitter.decode``).
    weights : dict, optional
        Sample weights ``{head: vector}``, or ``{None: vector}`` for every
        head (:func:`skmm.weights.weights_by_head`).

    Returns
    -------
    dict of str -> float
        NaN for a head with no label at all.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skmm import TargetSplitter
    >>> y = pd.DataFrame({"liked": ["yes", "no", "yes", None], "stars": [5.0, 1.0, 3.0, 4.0]})
    >>> targets = TargetSplitter().fit(y)
    >>> truth, observed = targets.truth_with_mask(y)
    >>> pred = {"liked": np.array(["yes", "yes", "yes", "no"]),
    ...         "stars": np.array([5.0, 1.0, 3.0, 2.0])}
    >>> scores = score_per_head(targets.heads_, truth, observed, pred)
    >>> {head: round(score, 3) for head, score in scores.items()}
    {'liked': 0.667, 'stars': 0.543}
    """
    weights = weights or {}
    scores = {}
    for name, head in heads.items():
        keep = observed[name]
        if not keep.any():
            scores[name] = float("nan")
            continue
        w = weights.get(name, weights.get(None))
        scores[name] = head.head_kind.score(truth[name][keep], pred[name][keep],
                                            sample_weight=None if w is None else w[keep])
    return scores


def mean_score(scores):
    """The mean of per-head scores, leaving out heads without a label (NaN).

    Examples
    --------
    >>> mean_score({"liked": 0.5, "stars": 0.75, "unlabelled": float("nan")})
    0.625
    """
    present = [s for s in scores.values() if s == s]
    if not present:
        raise ValueError("y has no label in any head; there is nothing to score.")
    return float(np.mean(present))
