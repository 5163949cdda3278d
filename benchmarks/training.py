"""Goal 3: training speed against scikeras and against raw Keras.

The seed's numeric + LSTM text model on real tweets, same epochs (2) and
batch size (32) everywhere, skmm's early stopping off so every contestant
trains on the same rows:

* skmm: ``FunctionalClassifier(...).fit(df, target)`` (routing, tokenising,
  target encoding, building, compiling, training);
* raw Keras: ``router.fit_transform`` + ``TargetSplitter`` + building +
  ``model.compile`` with skmm's compile settings + ``model.fit``;
* scikeras: ``KerasClassifier.fit`` on the already encoded matrix (its
  routing is not timed, which favours it).

Each is timed after a warm-up fit, so TensorFlow's one-time start-up is not
charged to whoever runs first, in interleaved rounds (best of each).

    python benchmarks/training.py [--quick]
"""

from __future__ import annotations

import argparse

from _common import (
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

    from skmm import FunctionalClassifier, TargetSplitter
    from skmm.meta import ModelMeta

    X, y = tweets(1000 if quick else 4000)
    target = seed_target(y)
    epochs, batch = (1, 32) if quick else (2, 32)
    repeat = 1 if quick else 3

    def skmm_fit():
        FunctionalClassifier(model=seed_model, router=seed_router(), epochs=epochs,
                             batch_size=batch, early_stopping=False,
                             random_state=0).fit(X, target)

    def raw_fit():
        router = seed_router()
        arrays = router.fit_transform(X)
        splitter = TargetSplitter(task="classification")
        encoded = splitter.fit_transform(target)
        keras.utils.set_random_seed(0)
        model = seed_model(ModelMeta(inputs=router.input_specs_, heads=splitter.heads_))
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        model.fit([arrays["numeric_input"], arrays["text_input"]],
                  encoded["from_android"], epochs=epochs, batch_size=batch, verbose=0)

    router = seed_router()
    matrix = stacked(router.fit_transform(X))
    meta = ModelMeta(inputs=router.input_specs_, heads={})

    def scikeras_fit():
        scikeras_classifier(lambda: seed_model(meta), epochs=epochs, batch_size=batch,
                            random_state=0).fit(matrix, target.to_numpy())

    raw_fit()  # warm-up: TensorFlow's one-time start-up
    # interleaved rounds, best of each: every fit leaves functions behind in the
    # backend, so whoever always ran last would be charged for the others
    raw = ours = sk = float("inf")
    for _ in range(repeat):
        raw = min(raw, seconds(raw_fit))
        ours = min(ours, seconds(skmm_fit))
        sk = min(sk, seconds(scikeras_fit))
    n = len(X)
    return [
        ratio_result(f"training, {n} rows x {epochs} epochs", "scikeras KerasClassifier.fit", sk,
                     ours, "s", 1 / 1.5),
        ratio_result(f"training, {n} rows x {epochs} epochs",
                     "router+TargetSplitter+model.fit", raw, ours, "s", 1.05),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print_table(run(parser.parse_args().quick))
