"""
Quickstart: one model, a text and a number in, a class and a number out
========================================================================

The README's quickstart as a script: a DataFrame with a numeric and a
free-text column, a target table with a class head and a regression head,
skmm's default model, and the per-head training curves.

.. code-block:: bash

    pip install -e ".[plot]" && python examples/quickstart.py
"""

# %%
# The data: one row per product review
# ------------------------------------
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from skmm import FunctionalEstimator, InputRouter  # noqa: E402

X = pd.DataFrame({"price": [9.5, 120.0, 35.0, 60.0] * 50,
                  "review": ["great value", "broke after a week", "fine", "love it"] * 50})
y = pd.DataFrame({"sentiment": ["pos", "neg", "pos", "pos"] * 50,  # a class head
                  "stars": [4.5, 1.0, 3.0, 5.0] * 50})  # a regression head

# %%
# Fit, predict, score
# -------------------
# The router names the model's inputs after the columns; the default model
# gets one head per column of ``y``, with the activation and loss its kind
# needs.
est = FunctionalEstimator(
    router=InputRouter.from_columns(numeric=["price"], text=["review"]),
    model=None,
    epochs=5,
    random_state=0,
)
est.fit(X, y)
print(est.predict(X.head(3)))
print(est.score_per_head(X, y))

# %%
# The training curves, one panel per head
# ---------------------------------------
fig = est.plot_history(figsize=(9, 3))
plt.show()
