import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

WORDS_POS = ["great", "love", "excellent", "good", "happy"]
WORDS_NEG = ["awful", "hate", "terrible", "bad", "sad"]
WORDS_NEUTRAL = ["the", "product", "delivery", "price", "box", "it", "was", "and"]


def make_reviews(n=240, seed=0):
    """A small review table: numeric columns, a free-text column, and two targets.

    ``sentiment`` (string labels) follows the words of the review; ``rating``
    (float) follows the sentiment and the price.
    """
    rng = np.random.default_rng(seed)
    sentiment = rng.integers(0, 2, n)
    texts = []
    for s in sentiment:
        words = list(rng.choice(WORDS_NEUTRAL, 4))
        words += list(rng.choice(WORDS_POS if s else WORDS_NEG, 2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + rng.choice([".", "!", ""]))
    price = rng.normal(50, 15, n).round(2)
    age = rng.integers(18, 80, n)
    X = pd.DataFrame({"price": price, "age": age, "review": texts},
                     index=pd.RangeIndex(1000, 1000 + n))
    y = pd.DataFrame(
        {
            "sentiment": np.where(sentiment == 1, "positive", "negative"),
            "rating": (2.0 + 2.0 * sentiment + 0.02 * (price - 50)
                       + rng.normal(0, 0.1, n)).round(2),
        },
        index=X.index,
    )
    return X, y


def review_router(**params):
    """The router the review tests share: numbers in one input, the review as text."""
    from skmm import InputRouter

    return InputRouter.from_columns(numeric=["price", "age"], text=["review"], **params)


@pytest.fixture(scope="session")
def reviews():
    return make_reviews()
