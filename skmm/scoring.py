"""``score`` and ``score_per_head``, written once for every skmm estimator.

Each head is scored by its kind (:meth:`skmm.heads.HeadKind.score`: accuracy,
R^2, D^2 of the Poisson deviance...), on the samples labelled for that head,
and ``score`` is the mean over heads. The task classes take this ``score``
over ``ClassifierMixin``'s and ``RegressorMixin``'s, which score the whole of y
at once and fail on several heads or on missing labels.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .weights import weights_by_head

__all__ = ["HeadScoresMixin"]


class HeadScoresMixin:
    """Per-head scores of a fitted estimator with ``targets_`` and ``_per_head``."""

    def score_per_head(self, X, y, sample_weight=None):
        """Each head's default score, from its kind (:mod:`skmm.heads`).

        Accuracy for class heads (subset accuracy for multilabel ones), R^2
        for continuous heads (the mean over the columns of a multi-output
        one), D^2 of the Poisson deviance for count heads. Samples whose
        label is missing for a head are left out of that head; a head with
        no label at all in y scores NaN.

        Parameters
        ----------
        X : same kind of input as in fit
        y : same container and columns as in fit
        sample_weight : array-like of shape (n_samples,), dict of head -> array, \
                or DataFrame, optional
            As in :meth:`fit`.

        Returns
        -------
        dict of str -> float
        """
        check_is_fitted(self, "model_")
        heads = self.targets_.heads_
        truth, observed = self.targets_.truth_with_mask(y)
        pred = self._per_head(X, self.targets_.decode)
        n = len(next(iter(observed.values())))
        weights = weights_by_head(heads, sample_weight, n)
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

    def score(self, X, y, sample_weight=None):
        """Mean over heads of each head's default score (see :meth:`score_per_head`).

        The one ``score`` of every task class: ``GridSearchCV``,
        ``cross_val_score`` and ``learning_curve`` use it by default, for any
        number and mix of heads, with missing labels masked per head.
        Heads without any label in y are left out of the mean.

        Returns
        -------
        float
        """
        scores = [s for s in self.score_per_head(X, y, sample_weight).values() if s == s]
        if not scores:
            raise ValueError("y has no label in any head; there is nothing to score.")
        return float(np.mean(scores))
