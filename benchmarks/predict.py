"""Goals 1 and 2: online one-row prediction and batch prediction with the seed model.

The seed's numeric + LSTM text model (``examples/seed_multi_input.py``,
``Input(100)`` tokens) is trained for one epoch on real tweets. Anchors, in
the same process: scikeras' ``KerasClassifier.predict`` on the same Keras
model fed the pre-encoded row (its overhead is ``model.predict``'s), raw
``model.predict`` and ``model.predict_on_batch`` on pre-encoded arrays, and
for batches ``router.transform`` + ``model.predict(batch_size=1024)``.

    python benchmarks/predict.py [--quick]
"""

from __future__ import annotations

import argparse
import time

from _common import (
    info_result,
    median_ms,
    print_table,
    ratio_result,
    scikeras_classifier,
    seconds,
    seed_model,
    seed_router,
    seed_target,
    stacked,
    tweets,
)


def run(quick=False):
    import keras
    import pandas as pd

    from skmm import FunctionalClassifier

    X, y = tweets(2000 if quick else 4000)
    target = seed_target(y)
    est = FunctionalClassifier(model=seed_model, router=seed_router(), epochs=1,
                               early_stopping=False, random_state=0).fit(X, target)
    rows = [X.iloc[[i]] for i in range(200)]
    start = time.perf_counter()
    est.predict(rows[0])
    first = time.perf_counter() - start
    calls = 100 if quick else 400
    it = iter(range(10**9))
    skmm_ms = median_ms(lambda: est.predict(rows[next(it) % len(rows)]), calls)

    encoded = est.router_.transform(X)
    one = {k: v[:1] for k, v in encoded.items()}
    model = est.model_
    fresh = keras.models.clone_model(model)
    fresh.set_weights(model.get_weights())
    start = time.perf_counter()
    fresh.predict([one["numeric_input"], one["text_input"]], verbose=0)
    fresh_first = time.perf_counter() - start
    raw_predict = median_ms(lambda: fresh.predict([one["numeric_input"], one["text_input"]],
                                                  verbose=0), 10 if quick else 30)
    fresh.predict_on_batch([one["numeric_input"], one["text_input"]])
    raw_pob = median_ms(lambda: fresh.predict_on_batch([one["numeric_input"],
                                                        one["text_input"]]), calls)

    sk = scikeras_classifier(lambda: keras.models.clone_model(model), epochs=1, batch_size=32)
    sk.fit(stacked(encoded), target.to_numpy())
    sk.model_.set_weights(model.get_weights())
    row = stacked(one)
    sk.predict(row)
    sk_ms = median_ms(lambda: sk.predict(row), 10 if quick else 30)

    results = [
        ratio_result("online predict, 1 row (median)", "scikeras KerasClassifier.predict",
                     sk_ms, skmm_ms, "ms", 1 / 30),
        info_result("online predict: absolute", "goal: skmm <= 3 ms", 3.0, skmm_ms, "ms"),
        info_result("online predict vs raw Keras", "model.predict, pre-encoded", raw_predict,
                    skmm_ms, "ms"),
        info_result("online predict vs raw Keras", "model.predict_on_batch, pre-encoded",
                    raw_pob, skmm_ms, "ms"),
        info_result("first predict after fit", "first model.predict of a fresh clone",
                    fresh_first * 1000, first * 1000, "ms"),
    ]
    results[1].met = skmm_ms <= 3.0
    results[1].target = "skmm <= 3 ms"

    n = 20_000 if quick else 100_000
    big = pd.concat([X] * (n // len(X) + 1)).iloc[:n].reset_index(drop=True)
    est.predict(big.iloc[:5000])

    def anchor():
        arrays = est.router_.transform(big)
        model.predict([arrays["numeric_input"], arrays["text_input"]], batch_size=1024,
                      verbose=0)

    anchor_s = seconds(anchor, 1 if quick else 2)
    skmm_s = seconds(lambda: est.predict(big), 1 if quick else 2)
    results.append(ratio_result(f"batch predict, {n // 1000}k rows",
                                "router.transform + model.predict", anchor_s, skmm_s, "s", 1.1))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print_table(run(parser.parse_args().quick))
