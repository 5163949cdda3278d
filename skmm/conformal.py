"""Split-conformal intervals from quantile heads (conformalized quantile regression).

A quantile head's 90% interval (its 0.05 and 0.95 levels) covers about 90%
of new rows only when the network learned those quantiles well; small
data, early stopping and over-fitting often leave it narrower.
:class:`ConformalIntervals` corrects it on rows the model never saw
(Romano, Patterson and Candès, 2019, "Conformalized quantile regression"):
on a calibration set it scores each labelled row by how far ``y`` lies
outside the predicted interval (negative inside), and widens (or narrows)
every interval by the score's ``ceil((n + 1) * coverage) / n`` empirical
quantile. When calibration and new rows are exchangeable, the corrected
interval covers at least ``coverage`` of new rows on average, whatever the
model.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from skmm import FunctionalRegressor, TargetSplitter
>>> from skmm.conformal import ConformalIntervals
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(300, 2))
>>> y = pd.DataFrame({"price": X[:, 0] + rng.normal(size=300)})
>>> reg = FunctionalRegressor(targets=TargetSplitter(kinds={"price": "quantile"}),
...                           epochs=3, random_state=0).fit(X[:200], y[:200])
>>> intervals = ConformalIntervals(reg, coverage=0.9).fit(X[200:250], y[200:250])
>>> intervals.predict_interval(X[250:])["price"].shape
(50, 2)
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["ConformalIntervals"]


class ConformalIntervals(BaseEstimator):
    """Intervals of a fitted estimator's quantile heads, calibrated on held-out rows.

    Parameters
    ----------
    estimator : fitted FunctionalEstimator or FunctionalRegressor
        With at least one quantile head whose levels include
        ``(1 - coverage) / 2`` and ``(1 + coverage) / 2``. Never refitted.
    coverage : float, default=0.9
        The share of new rows the intervals should cover.

    Attributes
    ----------
    margins_ : dict of str -> float
        Per quantile head, what :meth:`predict_interval` adds above and
        takes below the head's interval (negative when it was too wide).
    n_calibration_ : dict of str -> int
        The labelled calibration rows each head's margin rests on.
    """

    def __init__(self, estimator, coverage=0.9):
        self.estimator = estimator
        self.coverage = coverage

    def _levels(self, head):
        """Columns of the lower and upper level in the head's quantiles; an error if absent."""
        if not 0.0 < float(self.coverage) < 1.0:
            raise ValueError(f"ConformalIntervals: coverage must lie in (0, 1); got "
                             f"{self.coverage!r}.")
        wanted = ((1.0 - self.coverage) / 2.0, (1.0 + self.coverage) / 2.0)
        found = [next((j for j, q in enumerate(head.quantiles) if math.isclose(q, w,
                                                                              abs_tol=1e-9)),
                      None) for w in wanted]
        if None in found:
            raise ValueError(
                f"ConformalIntervals: coverage={self.coverage:g} needs levels "
                f"{[round(w, 6) for w in wanted]} in quantile head {head.name!r}, which "
                f"predicts {list(head.quantiles)}; fit it with those levels in "
                "TargetSplitter(quantiles=...)."
            )
        return found

    def _bounds(self, X):
        """Per quantile head, the estimator's raw lower and upper bounds for X."""
        est = self.estimator
        check_is_fitted(est, "model_")
        names = est.targets_.quantile_heads(owner=type(est).__name__)
        values = est._per_head(X, est.targets_.quantile_values)
        out = {}
        for name in names:
            lo, hi = self._levels(est.targets_.heads_[name])
            out[name] = values[name][:, lo], values[name][:, hi]
        return out

    def fit(self, X, y):
        """Learn each quantile head's margin from calibration rows (not used in training).

        Parameters
        ----------
        X : same kind of input as the estimator's fit
        y : same container and columns as in the estimator's fit
            Missing labels are left out of their head's calibration.

        Returns
        -------
        self
        """
        bounds = self._bounds(X)
        truth, observed = self.estimator.targets_.truth_with_mask(y)
        self.margins_, self.n_calibration_ = {}, {}
        for name, (lower, upper) in bounds.items():
            keep = observed[name]
            t = truth[name][keep]
            scores = np.maximum(lower[keep] - t, t - upper[keep])
            n = len(scores)
            if n == 0:
                raise ValueError(f"ConformalIntervals: quantile head {name!r} has no label in "
                                 "the calibration rows.")
            rank = math.ceil((n + 1) * self.coverage)
            # fewer rows than the coverage can vouch for: an unbounded interval, honestly
            self.margins_[name] = float("inf") if rank > n else float(
                np.sort(scores)[rank - 1])
            self.n_calibration_[name] = n
        return self

    def predict_interval(self, X):
        """Calibrated intervals of every quantile head.

        Returns
        -------
        dict of str -> ndarray of shape (n_samples, 2)
            Per quantile head, the lower and upper bound in y's units.
        """
        check_is_fitted(self, "margins_")
        return {name: np.column_stack([lower - self.margins_[name],
                                       upper + self.margins_[name]])
                for name, (lower, upper) in self._bounds(X).items()}
