"""Numeric feature encodings for neural networks."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

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

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Standardisation of the values.
    edges_ : list of ndarray
        Inner bin edges per column.

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
    """

    def __init__(self, n_bins=32):
        self.n_bins = n_bins

    def fit(self, X, y=None):
        """Learn means, scales and quantile edges of every column."""
        if not isinstance(self.n_bins, int) or isinstance(self.n_bins, bool) or self.n_bins < 1:
            raise ValueError(f"QuantileBins parameter 'n_bins' must be an int >= 1; got "
                             f"{self.n_bins!r}.")
        X = validate_data(self, X, dtype=np.float64, reset=True)
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
        self.edges_ = [np.unique(np.quantile(X[:, j], qs)) if len(qs) else np.zeros(0)
                       for j in range(X.shape[1])]
        return self

    def transform(self, X):
        """Standardised values, then each column's one-hot bin."""
        check_is_fitted(self, "edges_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._transform_array(X)

    def _transform_array(self, X):
        """The transform of an already validated float64 array."""
        parts = [(X - self.mean_) / self.scale_]
        for j, edges in enumerate(self.edges_):
            onehot = np.zeros((X.shape[0], len(edges) + 1))
            onehot[np.arange(X.shape[0]), np.searchsorted(edges, X[:, j], side="right")] = 1.0
            parts.append(onehot)
        return np.hstack(parts)

    def get_feature_names_out(self, input_features=None):
        """``<column>`` then ``<column>_bin<k>`` names."""
        check_is_fitted(self, "edges_")
        if input_features is None:
            input_features = getattr(self, "feature_names_in_",
                                     [f"x{j}" for j in range(self.n_features_in_)])
        names = [str(c) for c in input_features]
        for c, edges in zip(input_features, self.edges_, strict=True):
            names += [f"{c}_bin{k}" for k in range(len(edges) + 1)]
        return np.asarray(names, dtype=object)
