import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# JAX compiles every new model's train step anew (about 2 s per batch shape on CPU), and
# the tests fit many models of the same shapes: they share JAX's persistent compilation
# cache, as the guide's "Keras backends and GPUs" page suggests for cross-validation. The folder is
# shared by pytest-xdist's workers and by the processes of the Dask and example tests.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"skmm-tests-jax-cache-{os.getuid()}"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")  # small ones too
# Two fits with the same random_state are identical on CPUs; on a GPU only with XLA's
# deterministic ops (the guide, docs/guide/backends.rst), which the tests ask for as a user would.
if "xla_gpu_deterministic_ops" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = " ".join(
        filter(None, [os.environ.get("XLA_FLAGS"), "--xla_gpu_deterministic_ops=true"]))

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


def make_est(**params):
    """The estimator the review tests share: the review router, one epoch, seeded.

    Test files that train longer say so in one line, e.g.
    ``make_est = functools.partial(conftest.make_est, epochs=4)``; a test passes
    what it is about.
    """
    from skmm import FunctionalEstimator

    base = dict(router=review_router(), epochs=1, batch_size=32, random_state=0)
    base.update(params)
    return FunctionalEstimator(**base)


@pytest.fixture(scope="session")
def reviews():
    return make_reviews()


def float32_tolerance(rtol, atol=0.0):
    """``rtol``/``atol`` for one model's float32 outputs computed another way.

    Another way: in batches of other shapes, or on a CPU when the test runs on a GPU (the
    outputs stored with the persistence fixtures). On CPUs the caller's own ``rtol`` and
    ``atol`` hold (outputs agree to about 1e-6); only on a GPU are they widened. There the
    kernel chosen (and TF32 matrix products on recent NVIDIA cards) depends on the batch
    shape: on an H100 with JAX, probabilities were up to 3.7e-4 apart, and ratings 1.6e-4
    from the fixtures' CPU values. Bugs these comparisons look for (a padded row leaking in,
    rows out of order, weights loaded wrongly) move outputs far more.
    """
    import keras

    backend = keras.config.backend()
    if backend == "jax":
        import jax

        gpu = any(d.platform == "gpu" for d in jax.devices())
    elif backend == "tensorflow":
        import tensorflow as tf

        gpu = bool(tf.config.list_physical_devices("GPU"))
    elif backend == "torch":
        import torch

        gpu = torch.cuda.is_available()
    else:
        gpu = False
    return {"rtol": 1e-3, "atol": 1e-3} if gpu else {"rtol": rtol, "atol": atol}
