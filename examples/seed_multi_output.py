"""
The seed's multi-output model: a class head and a regression head
=================================================================

The seed's multi-output model (shared layers -> classification + regression), with skmm.

The seed built ``Input(10) -> Dense(64) -> Dense(32)`` with a sigmoid
classification output and a linear regression output, compiled with a loss
and a metric per output. Here the same model reads real diamonds
(``ggplot2/diamonds``: eight numeric measurements and grades) and predicts
whether the cut is Premium/Ideal (binary) and the log price (regression).
The builder returns a *compiled* model, as in the seed, so skmm leaves the
compile settings alone; output names are the target columns.

.. code-block:: bash

    pip install -e ".[examples]" && python examples/seed_multi_output.py
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmm import FunctionalEstimator, InputRouter  # noqa: E402
from skmm.datasets import load_diamonds  # noqa: E402


def seed_model(meta):
    input_data = keras.Input(shape=meta.inputs["features"].shape, name="features")
    x = keras.layers.Dense(64, activation="relu")(input_data)
    x = keras.layers.Dense(32, activation="relu")(x)
    classification_output = keras.layers.Dense(1, activation="sigmoid", name="premium_cut")(x)
    regression_output = keras.layers.Dense(1, activation="linear", name="log_price")(x)
    model = keras.Model(inputs=input_data, outputs=[classification_output, regression_output])
    model.compile(
        optimizer="adam",
        loss={"premium_cut": "binary_crossentropy", "log_price": "mean_squared_error"},
        metrics={"premium_cut": ["accuracy"], "log_price": ["mae"]},
    )
    return model


def figure(plot):
    """Draw ``plot(plt)`` when matplotlib is installed; the gallery shows it, a terminal run
    does not open a window."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # the plot extra is optional
        return
    plot(plt)


def main():
    X, y = load_diamonds()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=min(12000, len(X) // 2), test_size=min(4000, len(X) // 4),
        random_state=0)
    router = InputRouter([("features", StandardScaler(), list(X.columns))])
    est = FunctionalEstimator(model=seed_model, router=router, epochs=10, batch_size=32,
                              random_state=0)
    est.fit(X_train, y_train)
    print(est.predict(X_test.head()).assign(true_log_price=y_test["log_price"].head()))
    for head, score in est.score_per_head(X_test, y_test).items():
        metric = "accuracy" if head == "premium_cut" else "R^2"
        print(f"{head:12s} held-out {metric}: {score:.3f}")
    figure(lambda plt: est.plot_history(figsize=(9, 3)))


if __name__ == "__main__":
    main()
