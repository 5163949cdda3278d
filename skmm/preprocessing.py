"""Numeric feature encodings for neural networks."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._params import validate_params

__all__ = ["QuantileBins"]


class QuantileBins(TransformerMixin, BaseEstimator):
    """Scaled values plus a one-hot code of each value's quantile bin.

    A small network learns thresholds ("after 2016", "above 10,000 ft") slowly
    from one scaled number; tree models get them for free. Giving it the bin
    as well, in the spirit of the numerical embeddings of Gorishniy et al.
    (2022), closes much of that gap. Each column contributes its standardised
    value and one 0/1 column per bin; bins are quantiles of the training data,
    with duplicate edges merged (a 0/1 column gets two bins, not 32).

    Parameters
    ----------
    n_bins : int, default=32
        Upper bound on the bins per column.
    subsample : int, default=100_000
        Rows kept to compute the quantile edges (as in scikit-learn's
        ``QuantileTransformer``): all rows up to this many, else a uniform
        random sample. Means and scales always use every row.
    missing : {"error", "median"}, default="error"
        What a missing value (NaN; ``pd.NA`` and nulls in nullable, pyarrow
        and polars columns) means. "error" refuses it. "median" learns every
        statistic from the values present, fills a gap with its column's
        median (of the rows in ``sample_``: exact up to ``subsample`` rows)
        and encodes it as that value, and appends one 0/1 missing-indicator
        column per column that had gaps in ``fit``/``partial_fit``, after the
        bins (like ``SimpleImputer(strategy="median", add_indicator=True)``).
        A gap at transform in a column that had none in fit is filled too,
        without an indicator: the set of indicators is fixed by fit. The
        values still lead the output, so the first ``n_features_in_``
        features are always the values.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Standardisation of the values.
    edges_ : list of ndarray
        Inner bin edges per column.
    medians_ : ndarray of shape (n_features,)
        With ``missing="median"``: the value a gap is filled with (0 for a
        column that had no value at all).
    indicator_features_ : ndarray of int
        With ``missing="median"``: the columns that had gaps in fit, each
        with a missing-indicator column at the end of the output.
    sample_ : ndarray of shape (n_kept, n_features)
        The rows the edges are computed from (kept for ``partial_fit``).
    n_samples_seen_ : int
        Rows seen by ``fit``/``partial_fit``.
    n_features_in_ : int
        Number of columns seen in fit.
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import QuantileBins
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> QuantileBins(n_bins=2).fit_transform(X).round(2)
    array([[-1.34,  1.  ,  0.  ],
           [-0.45,  1.  ,  0.  ],
           [ 0.45,  0.  ,  1.  ],
           [ 1.34,  0.  ,  1.  ]])

    With gaps: the median fills them, and an indicator column comes last.

    >>> X = np.array([[0.0], [2.0], [np.nan], [4.0]])
    >>> QuantileBins(n_bins=2, missing="median").fit_transform(X).round(2)
    array([[-1.22,  1.  ,  0.  ,  0.  ],
           [ 0.  ,  0.  ,  1.  ,  0.  ],
           [ 0.  ,  0.  ,  1.  ,  1.  ],
           [ 1.22,  0.  ,  1.  ,  0.  ]])
    """

    _parameter_constraints = {
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "subsample": [Interval(Integral, 1, None, closed="left")],
        "missing": [StrOptions({"error", "median"})],
    }

    missing = "error"  # what instances pickled before the parameter existed read

    def __init__(self, n_bins=32, subsample=100_000, missing="error"):
        self.n_bins = n_bins
        self.subsample = subsample
        self.missing = missing

    def fit(self, X, y=None):
        """Learn means, scales and quantile edges of every column."""
        for name in ("n_samples_seen_", "sample_", "mean_", "scale_", "edges_", "_m2",
                     "_n_present", "_gaps", "medians_", "indicator_features_"):
            self.__dict__.pop(name, None)
        return self.partial_fit(X)

    def _validate(self, X, reset):
        return validate_data(
            self, X, dtype=np.float64, reset=reset,
            ensure_all_finite="allow-nan" if self.missing == "median" else True)

    def partial_fit(self, X, y=None):
        """Add a chunk of rows: running mean and variance, and the quantile sample.

        Means and scales are exact over all chunks (Chan et al.'s pairwise
        update). Edges are quantiles of the rows kept in ``sample_``: all of
        them up to ``subsample`` rows, so chunked fitting then gives the same
        edges as :meth:`fit`; beyond that, a uniform reservoir sample.

        Examples
        --------
        >>> import numpy as np
        >>> from skmm.preprocessing import QuantileBins
        >>> X = np.arange(8.0).reshape(-1, 1)
        >>> bins = QuantileBins(n_bins=2).partial_fit(X[:5]).partial_fit(X[5:])
        >>> bins.n_samples_seen_, bins.edges_[0]
        (8, array([3.5]))
        """
        validate_params(self)
        first = not hasattr(self, "n_samples_seen_")
        X = self._validate(X, reset=first)
        gaps = np.isnan(X) if self.missing == "median" else None
        if gaps is None or not gaps.any():
            n_b = np.full(X.shape[1], X.shape[0], dtype=np.int64)
            mean_b = X.mean(axis=0)
            m2_b = ((X - mean_b) ** 2).sum(axis=0)
        else:  # the moments of the values present
            n_b = (~gaps).sum(axis=0)
            present = np.where(gaps, 0.0, X)
            mean_b = present.sum(axis=0) / np.maximum(n_b, 1)
            m2_b = (np.where(gaps, 0.0, X - mean_b) ** 2).sum(axis=0)
        if first:
            n, mean, m2 = n_b, mean_b, m2_b
            self.n_samples_seen_ = 0
            self.sample_ = X[: self.subsample].copy()
            rest, seen = X[self.subsample:], self.subsample
        else:
            n_a = getattr(self, "_n_present", self.n_samples_seen_)  # pickled before `missing`
            n = n_a + n_b
            delta = mean_b - self.mean_
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.where(n > 0, self.mean_ + delta * (n_b / n), 0.0)
                m2 = np.where(n > 0, self._m2 + m2_b + delta**2 * (n_a * n_b / n), 0.0)
            room = max(self.subsample - len(self.sample_), 0)
            self.sample_ = np.vstack([self.sample_, X[:room]])
            rest, seen = X[room:], self.n_samples_seen_ + room
        if len(rest):
            # reservoir sampling (Algorithm R), seeded by the row count so refits repeat
            rng = np.random.default_rng([0, seen])
            slots = rng.integers(0, np.arange(seen, seen + len(rest)) + 1)
            keep = slots < self.subsample
            self.sample_[slots[keep]] = rest[keep]
        self.n_samples_seen_ += X.shape[0]
        self._n_present = n
        self.mean_ = mean
        self._m2 = m2
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.sqrt(m2 / n)
        self.scale_ = np.where(scale > 0, scale, 1.0)  # NaN (no value at all) is not > 0
        qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
        columns = [self.sample_[:, j] for j in range(X.shape[1])]
        if gaps is not None:
            columns = [c[~np.isnan(c)] for c in columns]
            self._gaps = gaps.any(axis=0) | (False if first else getattr(self, "_gaps", False))
            self.indicator_features_ = np.flatnonzero(self._gaps)
            self.medians_ = np.array([np.quantile(c, 0.5) if len(c) else 0.0 for c in columns])
        self.edges_ = [np.unique(np.quantile(c, qs)) if len(qs) and len(c) else np.zeros(0)
                       for c in columns]
        return self

    def transform(self, X):
        """Standardised values, then each column's one-hot bin."""
        check_is_fitted(self, "edges_")
        return self._transform_array(self._validate(X, reset=False))

    def _transform_array(self, X):
        """The transform of an already validated float64 array."""
        gaps = None
        if self.missing == "median":
            gaps = np.isnan(X)
            if gaps.any():
                X = np.where(gaps, self.medians_, X)
        n, width = X.shape
        n_codes = sum(len(edges) + 1 for edges in self.edges_)
        n_indicators = 0 if gaps is None else len(self.indicator_features_)
        # one array filled in place: the values, each column's one-hot bin, the indicators
        out = np.zeros((n, width + n_codes + n_indicators))
        out[:, :width] = (X - self.mean_) / self.scale_
        rows, start = np.arange(n), width
        for j, edges in enumerate(self.edges_):
            out[rows, start + np.searchsorted(edges, X[:, j], side="right")] = 1.0
            start += len(edges) + 1
        if n_indicators:
            out[:, start:] = gaps[:, self.indicator_features_]
        return out

    def get_feature_names_out(self, input_features=None):
        """``<column>`` then ``<column>_bin<k>`` names (then ``missingindicator_<column>``)."""
        check_is_fitted(self, "edges_")
        if input_features is None:
            input_features = getattr(self, "feature_names_in_",
                                     [f"x{j}" for j in range(self.n_features_in_)])
        names = [str(c) for c in input_features]
        for c, edges in zip(input_features, self.edges_, strict=True):
            names += [f"{c}_bin{k}" for k in range(len(edges) + 1)]
        if self.missing == "median":
            names += [f"missingindicator_{input_features[j]}" for j in self.indicator_features_]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing == "median"
        return tags
