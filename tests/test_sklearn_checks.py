"""scikit-learn's own estimator checks on numeric array input.

Each expected failure names its cause; everything else must pass.
"""

import keras
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmm import FunctionalClassifier, FunctionalRegressor

_FLOAT32 = (
    "float32 kernels: a row's output can differ in the 7th significant digit with the batch "
    "it is computed in, and these checks compare at rtol=1e-7"
)
_NN_CAUSES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch SGD: weighting a sample by 2 and repeating it twice give different "
        "batches and gradient steps, so the fitted networks differ"
    ),
    "check_methods_subset_invariance": _FLOAT32,
    "check_methods_sample_order_invariance": _FLOAT32,
}


def expected_failures(estimator):
    return dict(_NN_CAUSES)


_CHECKS = parametrize_with_checks(
    [
        # a plain optimizer instance, not optimizer__learning_rate: the checks require
        # that __init__ sets nothing but the signature's parameters
        FunctionalClassifier(epochs=8, batch_size=16, random_state=0,
                             optimizer=keras.optimizers.Adam(learning_rate=0.02)),
        FunctionalRegressor(epochs=8, batch_size=16, random_state=0,
                            optimizer=keras.optimizers.Adam(learning_rate=0.02)),
    ],
    expected_failed_checks=expected_failures,
)


def _stable_id(value):
    """Test ids without object addresses (the optimizer's repr has one), so that
    pytest-xdist's workers collect the same names."""
    if isinstance(value, BaseEstimator):
        return type(value).__name__
    func = getattr(value, "func", value)
    keywords = getattr(value, "keywords", {})
    args = ",".join(f"{k}={v}" for k, v in sorted(keywords.items()))
    return f"{func.__name__}({args})" if args else func.__name__


@pytest.mark.slow
@pytest.mark.parametrize(_CHECKS.args[0], list(_CHECKS.args[1]), ids=_stable_id)
def test_sklearn_compatible(estimator, check):
    check(estimator)
