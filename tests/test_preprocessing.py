import pickle

import numpy as np
import pytest
from sklearn.base import clone

from skmm.preprocessing import QuantileBins


def test_bins_follow_training_quantiles_and_merge_duplicate_edges():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=1000), rng.integers(0, 2, 1000)])
    qb = QuantileBins(n_bins=4).fit(X)
    assert len(qb.edges_[0]) == 3  # four bins: three inner edges
    assert len(qb.edges_[1]) <= 2  # a 0/1 column: repeated quantiles merge, fewer bins
    out = qb.transform(X)
    assert out.shape == (1000, 2 + 4 + len(qb.edges_[1]) + 1)
    counts = out[:, 2:6].sum(axis=0)
    np.testing.assert_allclose(counts, 250, atol=1)  # quantile bins are equally full
    np.testing.assert_allclose(out[:, :2].mean(axis=0), 0, atol=1e-9)


def test_values_outside_the_training_range_use_the_end_bins():
    qb = QuantileBins(n_bins=3).fit(np.arange(9.0)[:, None])
    out = qb.transform(np.array([[-100.0], [100.0]]))
    assert out[0, 1] == 1 and out[1, -1] == 1


def test_names_clone_pickle_and_bad_parameter():
    qb = QuantileBins(n_bins=2).fit(np.arange(4.0)[:, None])
    assert qb.get_feature_names_out(["a"]).tolist() == ["a", "a_bin0", "a_bin1"]
    assert clone(qb).n_bins == 2
    again = pickle.loads(pickle.dumps(qb))
    np.testing.assert_array_equal(again.transform([[1.5]]), qb.transform([[1.5]]))
    with pytest.raises(ValueError, match="'n_bins'"):
        QuantileBins(n_bins=0).fit([[1.0]])


@pytest.mark.parametrize("missing", ["error", "median"])
def test_bins_output_equals_its_parts_stacked(missing):
    """Values, then each column's one-hot bin, then the indicators: filled in place, as stacked."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3)) * 100
    X[:, 1] = rng.integers(0, 2, 300)  # two bins only
    if missing == "median":
        X[rng.random((300, 3)) < 0.1] = np.nan
        X[:, 2] = rng.normal(size=300)  # a column without gaps at fit: no indicator
    bins = QuantileBins(n_bins=8, missing=missing).fit(X)
    for n in (1, 7, 200):
        T = rng.normal(size=(n, 3)) * 100
        if missing == "median":
            T[rng.random((n, 3)) < 0.3] = np.nan
        filled = np.where(np.isnan(T), bins.medians_, T) if missing == "median" else T
        parts = [(filled - bins.mean_) / bins.scale_]
        for j, edges in enumerate(bins.edges_):
            onehot = np.zeros((n, len(edges) + 1))
            onehot[np.arange(n), np.searchsorted(edges, filled[:, j], side="right")] = 1.0
            parts.append(onehot)
        if missing == "median":
            parts.append(np.isnan(T)[:, bins.indicator_features_].astype(np.float64))
        np.testing.assert_array_equal(bins.transform(T), np.hstack(parts), strict=True)
