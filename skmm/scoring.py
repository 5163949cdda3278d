"""Per-head scores, written once for every skmm estimator.

Each head is scored by its kind (:meth:`skmm.heads.HeadKind.score`: accuracy,
R^2, D^2 of the Poisson deviance, D^2 pinball of a quantile head's median...),
on the samples labelled for that head (:func:`score_per_head`), and an
estimator's ``score`` is the mean over heads (:func:`mean_score`).
:func:`head_scorers` hands the per-head scores to scikit-learn's model
selection tools, one result column per head. The task classes take that ``score`` over
``ClassifierMixin``'s and ``RegressorMixin``'s, which score the whole of y at
once and fail on several heads or on missing labels.
"""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.utils.metadata_routing import MetadataRequest

from ._messages import check_head_names

__all__ = ["HeadScorer", "head_scorers", "mean_score", "score_per_head"]


def score_per_head(heads, truth, observed, pred, weights=None, metrics=None):
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
    metrics : dict of str -> callable, optional
        A metric ``metric(y_true, y_pred, sample_weight=None)`` (greater is
        better) to use instead of the kind's score, per head.

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
        score = (metrics or {}).get(name, head.head_kind.score)
        scores[name] = float(score(truth[name][keep], pred[name][keep],
                                   sample_weight=None if w is None else w[keep]))
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


class HeadScorer:
    """A scikit-learn scorer giving each head's score: ``{head: score}``, one prediction.

    Made by :func:`head_scorers`; ``scorer(estimator, X, y, sample_weight=None)``
    returns ``estimator.score_per_head(X, y, sample_weight)`` for the chosen
    heads (missing labels masked per head; a head with no label in the fold
    scores NaN). An estimator at the end of a ``Pipeline`` is scored on X
    transformed by the steps before it.

    Parameters
    ----------
    heads : list of str or None, default=None
        The heads to report; None: every head of the fitted estimator.
    metric : callable, dict of str -> callable, or None, default=None
        See :func:`head_scorers`.
    """

    def __init__(self, heads=None, metric=None):
        self.heads = heads
        self.metric = metric
        self._sample_weight_request = None

    def __call__(self, estimator, X, y, sample_weight=None):
        if not hasattr(estimator, "score_per_head") and hasattr(estimator, "steps"):
            X = estimator[:-1].transform(X)  # a Pipeline ending in an skmm estimator
            estimator = estimator[-1]
        if not hasattr(estimator, "score_per_head"):
            raise TypeError(
                f"head_scorers scores skmm estimators (score_per_head); got "
                f"{type(estimator).__name__}."
            )
        if self.metric is None:
            scores = estimator.score_per_head(X, y, sample_weight=sample_weight)
        else:
            scores = self._scores_with_metric(estimator, X, y, sample_weight)
        if self.heads is None:
            return scores
        unknown = [h for h in self.heads if h not in scores]
        if unknown:
            raise ValueError(
                f"head_scorers names heads {unknown} that the estimator does not have; its "
                f"heads are {list(scores)}."
            )
        return {h: scores[h] for h in self.heads}

    def _scores_with_metric(self, estimator, X, y, sample_weight):
        """``score_per_head`` with the user's metric in place of the kinds' scores."""
        from sklearn.utils.validation import check_is_fitted

        from .weights import weights_by_head

        check_is_fitted(estimator, "model_")
        heads = estimator.targets_.heads_
        if isinstance(self.metric, dict):
            check_head_names(self.metric, heads, "head_scorers parameter 'metric'")
            metrics = self.metric
        else:
            metrics = dict.fromkeys(heads, self.metric)
        truth, observed = estimator.targets_.truth_with_mask(y)
        pred = estimator._per_head(X, estimator.targets_.decode)
        n = len(next(iter(observed.values())))
        return score_per_head(heads, truth, observed, pred,
                              weights_by_head(heads, sample_weight, n), metrics)

    def set_score_request(self, *, sample_weight=None):
        """Whether ``sample_weight`` is routed to this scorer (metadata routing only).

        As for scikit-learn's scorers: ``True`` to receive it, ``False`` not
        to, a string to receive the metadata of that name.

        Returns
        -------
        self
        """
        if not sklearn.get_config()["enable_metadata_routing"]:
            raise RuntimeError(
                "set_score_request is only available when metadata routing is enabled: "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        self._sample_weight_request = sample_weight
        return self

    def get_metadata_routing(self):
        """The metadata this scorer requests (``sample_weight``, as set by
        :meth:`set_score_request`)."""
        request = MetadataRequest(owner=type(self).__name__)
        request.score.add_request(param="sample_weight", alias=self._sample_weight_request)
        return request

    def __repr__(self):
        return f"head_scorers(heads={self.heads!r}, metric={self.metric!r})"


def head_scorers(heads=None, metric=None):
    """A scorer for ``GridSearchCV``/``cross_validate`` reporting every head's own score.

    ``scoring=skmm.head_scorers()`` gives one result column per head
    (``mean_test_<head>`` in ``cv_results_``, ``test_<head>`` in
    ``cross_validate``), each head scored by its kind on the samples
    labelled for it (see :func:`score_per_head`), from one prediction per
    fold. Being a callable that returns a dict, it needs no head names up
    front: ``refit="<head>"`` picks the candidate best on that head.

    Sample weights (one vector, a per-head dict, or a DataFrame with one
    column per head) reach it as they reach the estimator's ``score``:
    passed to ``fit`` without metadata routing, or requested with
    ``head_scorers().set_score_request(sample_weight=True)`` with it.

    Parameters
    ----------
    heads : list of str, optional
        Report only these heads (an error names any the estimator lacks).
    metric : callable or dict of str -> callable, optional
        ``metric(y_true, y_pred, sample_weight=None)``, greater is better,
        in place of each head's default score: one for every head, or one
        per head (heads not named keep their kind's score). It sees the
        labelled rows of its head, as ``predict`` decodes them. For a loss,
        give its negative, as scikit-learn's ``neg_*`` scorers do.

    Returns
    -------
    HeadScorer

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skmm import FunctionalEstimator, head_scorers
    >>> X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0] * 8})
    >>> y = pd.DataFrame({"big": [0, 0, 1, 1] * 8, "price": [1.0, 2.0, 2.9, 4.2] * 8})
    >>> search = GridSearchCV(FunctionalEstimator(epochs=1, random_state=0),
    ...                       {"epochs": [1, 2]}, scoring=head_scorers(), refit="price", cv=2)
    >>> sorted(k for k in search.fit(X, y).cv_results_ if k.startswith("mean_test_"))
    ['mean_test_big', 'mean_test_price']
    """
    if heads is not None and (isinstance(heads, str) or not np.iterable(heads)):
        raise ValueError(f"head_scorers: heads must be a list of head names; got {heads!r}.")
    if metric is not None and not (callable(metric) or isinstance(metric, dict)):
        raise ValueError("head_scorers: metric must be a function metric(y_true, y_pred, "
                         f"sample_weight=None) or a dict of them per head; got {metric!r}.")
    return HeadScorer(None if heads is None else list(heads), metric)
