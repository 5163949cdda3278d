"""
The seed's multi-input model: numbers and text into one output
==============================================================

The seed's multi-input model (numeric + text -> one binary output), with skmm.

The seed built ``Input(3) -> Dense(64)`` and ``Input(100) -> Embedding(10000,
64) -> LSTM(64)``, concatenated them into ``Dense(1, sigmoid)`` and trained on
random integers. Here the same architecture reads real tweets
(``dslabs/trump_tweets``): three numeric columns and the tweet text, and
predicts whether the tweet was sent from an Android phone. skmm tokenises the
text, routes columns to the two inputs, and hands the vocabulary size and
sequence length to the builder, so nothing is kept in sync by hand.

.. code-block:: bash

    pip install -e ".[examples]" && python examples/seed_multi_input.py
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmm import FunctionalClassifier, InputRouter, TextSequencer  # noqa: E402
from skmm.datasets import load_tweets  # noqa: E402


def seed_model(meta, units=64):
    """The seed's layers; sizes come from ``meta`` instead of being typed in."""
    numeric = meta.inputs["numeric_input"]
    text = meta.inputs["text_input"]
    numeric_input = keras.Input(shape=numeric.shape, name="numeric_input")
    text_input = keras.Input(shape=text.shape, dtype="int32", name="text_input")
    numeric_processed = keras.layers.Dense(units, activation="relu")(numeric_input)
    text_embedded = keras.layers.Embedding(input_dim=text.vocabulary_size, output_dim=units)(
        text_input)
    text_lstm = keras.layers.LSTM(units)(text_embedded)
    combined = keras.layers.Concatenate()([numeric_processed, text_lstm])
    output = keras.layers.Dense(1, activation="sigmoid")(combined)
    return keras.Model(inputs=[numeric_input, text_input], outputs=output)


def figure(plot):
    """Draw ``plot(plt)`` when matplotlib is installed; the gallery shows it, a terminal run
    does not open a window."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # the plot extra is optional
        return
    plot(plt)


def main():
    X, y = load_tweets()
    X, y = X.iloc[:6000], y.iloc[:6000]
    android = (y["source"] == "Android").rename("from_android")
    X_train, X_test, y_train, y_test = train_test_split(X, android, test_size=0.25,
                                                        random_state=0, stratify=android)
    router = InputRouter([
        ("numeric_input", StandardScaler(), ["hour", "n_chars", "has_link"]),
        ("text_input", TextSequencer(max_tokens=10000, sequence_length=40), "text"),
    ])
    clf = FunctionalClassifier(model=seed_model, router=router, epochs=4, batch_size=32,
                               random_state=0)
    clf.fit(X_train, y_train)
    clf.model_.summary()
    print(f"held-out accuracy: {clf.score(X_test, y_test):.3f} "
          f"(always 'not Android': {1 - y_test.mean():.3f})")
    print(clf.history_.round(3).to_string())
    figure(lambda plt: clf.plot_history(figsize=(8, 3)))


if __name__ == "__main__":
    main()
