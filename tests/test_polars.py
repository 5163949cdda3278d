"""polars and pyarrow-backed pandas: y split into heads as with pandas, predictions in y's kind."""

import numpy as np
import pandas as pd
import pytest
from conftest import review_router

from skmm import FunctionalClassifier, FunctionalEstimator, TargetSplitter

pl = pytest.importorskip("polars", reason="polars is in the dev extra (CI has it)")
pytest.importorskip("pyarrow", reason="pyarrow is in the dev extra (CI has it)")


@pytest.fixture(scope="module")
def pandas_fit(reviews):
    X, y = reviews
    return FunctionalEstimator(router=review_router(), epochs=2, random_state=0).fit(X, y)


def test_polars_y_splits_like_pandas_and_comes_back_as_polars(reviews, pandas_fit):
    X, y = reviews
    y_polars = pl.from_pandas(y)
    est = FunctionalEstimator(router=review_router(), epochs=2, random_state=0).fit(X, y_polars)
    assert {n: h.kind for n, h in est.targets_.heads_.items()} == {
        "sentiment": "binary", "rating": "continuous"}
    pred = est.predict(X)
    assert isinstance(pred, pl.DataFrame) and pred.columns == ["sentiment", "rating"]
    assert pred["sentiment"].dtype == pl.String
    # the same numbers as from the pandas y
    np.testing.assert_array_equal(pred["rating"].to_numpy(),
                                  pandas_fit.predict(X)["rating"].to_numpy())
    assert est.score(X, y_polars) == pytest.approx(pandas_fit.score(X, y))


def test_polars_series_and_polars_x(reviews):
    X, y = reviews
    clf = FunctionalClassifier(router=review_router(), epochs=1, random_state=0)
    clf.fit(pl.from_pandas(X), pl.from_pandas(y["sentiment"]))
    pred = clf.predict(pl.from_pandas(X.head(4)))
    assert isinstance(pred, pl.Series) and pred.name == "sentiment"
    assert clf.predict_proba(X.head(4)).shape == (4, 2)
    splitter = TargetSplitter().fit(pl.from_pandas(y))
    assert splitter.container_ == "polars-frame"


def test_pyarrow_backed_pandas_columns(reviews):
    X, y = reviews
    X_arrow = X.astype({"review": "string[pyarrow]", "price": "float64[pyarrow]",
                        "age": "int64[pyarrow]"})
    y_arrow = y.astype({"sentiment": "string[pyarrow]", "rating": "float64[pyarrow]"})
    est = FunctionalEstimator(router=review_router(), epochs=2, random_state=0).fit(X_arrow,
                                                                                   y_arrow)
    pred = est.predict(X_arrow)
    assert isinstance(pred, pd.DataFrame) and pred.index.equals(X.index)
    assert pred["sentiment"].dtype == y_arrow["sentiment"].dtype
    assert set(pred["sentiment"]) <= {"negative", "positive"}
    assert np.isfinite(est.score(X_arrow, y_arrow))
