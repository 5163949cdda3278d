"""Every bad input a user can hit, answered clearly: one test per row of the matrix.

Each test checks the exception type and that the message names the offending
column, head or parameter.
"""

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import make_est, review_router
from sklearn.exceptions import NotFittedError


@pytest.fixture(scope="module")
def fitted(reviews):
    X, y = reviews
    return make_est().fit(X, y)


def test_missing_column_at_fit(reviews):
    X, y = reviews
    with pytest.raises(ValueError, match=r"missing 1 column\(s\): 'age' \(input 'numeric'\)"):
        make_est().fit(X.drop(columns="age"), y)


def test_missing_column_at_predict(fitted, reviews):
    X, _ = reviews
    with pytest.raises(ValueError, match=r"transform time is missing 1 column\(s\): 'review'"):
        fitted.predict(X.drop(columns="review"))


def test_column_order_changed_is_matched_by_name(fitted, reviews):
    X, _ = reviews
    pd.testing.assert_frame_equal(fitted.predict(X[["review", "age", "price"]]), fitted.predict(X))


def test_extra_columns_are_ignored(fitted, reviews):
    X, _ = reviews
    pd.testing.assert_frame_equal(fitted.predict(X.assign(unused="x")), fitted.predict(X))


def test_string_values_in_a_numeric_column(reviews):
    X, y = reviews
    bad = X.assign(age=X["age"].astype(str).where(X.index % 2 == 0, "unknown"))
    with pytest.raises(ValueError, match=r"numeric input 'numeric'.*not numbers.*\['age'\]"):
        make_est().fit(bad, y)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_in_a_numeric_column_refused_without_imputing(reviews, value):
    X, y = reviews
    bad = X.copy()
    bad.loc[bad.index[3], "price"] = value
    with pytest.raises(ValueError, match=r"NaN or infinite values in column\(s\) \['price'\]"):
        make_est(router=review_router(impute=False)).fit(bad, y)


def test_infinity_is_refused_and_nan_filled_by_default(reviews, fitted):
    X, y = reviews
    bad = X.copy()
    bad.loc[bad.index[3], "price"] = np.inf
    with pytest.raises(ValueError, match=r"NaN or infinite values in column\(s\) \['price'\]"):
        make_est().fit(bad, y)
    with pytest.raises(ValueError, match=r"NaN or infinite values in column\(s\) \['price'\]"):
        fitted.predict(bad)
    gap = X.copy()
    gap.loc[gap.index[3], "price"] = np.nan  # a gap at predict in a column without gaps at fit
    filled = X.copy()
    filled.loc[filled.index[3], "price"] = X["price"].median()
    pd.testing.assert_frame_equal(fitted.predict(gap), fitted.predict(filled))


def test_missing_or_empty_text_is_an_all_padding_row(fitted, reviews):
    X, _ = reviews
    blank = X.head(3).assign(review=[np.nan, None, ""])
    pred = fitted.predict(blank)
    assert len(pred) == 3 and pred["rating"].notna().all()


def test_empty_dataframe(reviews):
    X, y = reviews
    with pytest.raises(ValueError, match=r"empty DataFrame \(0 rows, columns \['price'"):
        make_est().fit(X.iloc[:0], y.iloc[:0])


def test_y_length_differs_from_x(reviews):
    X, y = reviews
    with pytest.raises(ValueError, match="y has 239 rows but X has 240"):
        make_est().fit(X, y.iloc[:-1])


def test_class_head_with_a_single_class(reviews):
    X, y = reviews
    with pytest.raises(ValueError, match=r"head 'sentiment' has only one class \['positive'\]"):
        make_est().fit(X, y.assign(sentiment="positive"))


def test_unseen_label_in_score(fitted, reviews):
    X, y = reviews
    bad = y.assign(sentiment=y["sentiment"].where(y.index % 7 != 0, "neutral"))
    with pytest.raises(ValueError, match=r"head 'sentiment' has labels \['neutral'\] not seen"):
        fitted.score(X, bad)


def test_duplicate_column_names(reviews):
    X, y = reviews
    dup = pd.concat([X, X[["age"]]], axis=1)
    with pytest.raises(ValueError, match=r"duplicate column names \['age'\]"):
        make_est().fit(dup, y)


def test_non_string_column_names(reviews):
    X, y = reviews
    numbered = X.rename(columns={"age": 7})
    with pytest.raises(ValueError, match=r"non-string column names \[7\]"):
        make_est().fit(numbered, y)


def test_model_input_names_do_not_match_the_router(reviews):
    X, y = reviews

    def build(meta):
        a = keras.Input((2,), name="numbers")
        b = keras.Input((meta.inputs["review"].shape[0],), name="review", dtype="int32")
        x = keras.layers.Dense(2)(a)
        return keras.Model([a, b], [keras.layers.Dense(1, name=h)(x) for h in meta.heads])

    with pytest.raises(ValueError, match=r"no data for \['numbers'\].*did you mean 'numeric'"):
        make_est(model=build).fit(X, y)


def test_model_output_names_do_not_match_the_heads(reviews):
    X, y = reviews

    def build(meta):
        inputs = [keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()]
        x = keras.layers.Dense(2)(inputs[0])
        return keras.Model(inputs, [keras.layers.Dense(1, name="label")(x),
                                    keras.layers.Dense(1, name="rating")(x)])

    with pytest.raises(ValueError, match=r"outputs \['label', 'rating'\] do not match the target "
                                         r"heads \['sentiment', 'rating'\]"):
        make_est(model=build).fit(X, y)


def test_builder_returns_something_that_is_not_a_keras_model(reviews):
    X, y = reviews
    with pytest.raises(TypeError, match="builder returned Sequential|returned str, not a keras"):
        make_est(model=lambda meta: "a model").fit(X, y)


@pytest.mark.parametrize(
    "param, value",
    [("epochs", -1), ("epochs", 1.5), ("epochs", "10"), ("batch_size", 0), ("batch_size", 8.0)],
)
def test_negative_or_non_integer_epochs_or_batch_size(reviews, param, value):
    X, y = reviews
    with pytest.raises(ValueError, match=rf"The '{param}' parameter of FunctionalEstimator "
                                         r"must be an int in the range \[1, inf\)"):
        make_est(**{param: value}).fit(X, y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_per_head"])
def test_predict_before_fit(reviews, method):
    X, y = reviews
    args = (X, y) if method == "score_per_head" else (X,)
    with pytest.raises(NotFittedError, match="FunctionalEstimator"):
        getattr(make_est(), method)(*args)
