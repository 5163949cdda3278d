"""Goal 6: samples per second training the default architecture on a GPU and on the CPUs.

For a machine with an NVIDIA GPU and JAX installed with CUDA (TensorFlow is not
needed). The same fit of skmm's default model (text + numbers, two heads) on
real tweets runs with JAX's default device (the GPU) and pinned to the CPU
with ``jax.default_device``. Two figures per device:

- ``fit s``: wall time of the whole ``fit`` of a fresh estimator, what a user
  waits for: routing and tokenising, building the model, XLA compiling its
  train step (every new model compiles anew) and the epochs.
- ``samples/s``: steady training speed, the rows of the epochs after the
  first divided by their time (an epoch timer callback), so compilation and
  set-up are left out.

    KERAS_BACKEND=jax python benchmarks/gpu.py [--rows 20000] [--epochs 4]
        [--batch-size 256] [--encoder mean]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from _common import tweets, write_record  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Records each epoch's wall time (class-level: skmm copies callbacks per fit)."""

    seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        EpochTimer.seconds.append(time.perf_counter() - self._start)


def measure(device, X, y, args):
    import jax

    from skmm import FunctionalEstimator, InputRouter

    est = FunctionalEstimator(
        router=InputRouter.from_columns(numeric=["year", "hour", "n_chars", "has_link"],
                                        text=["text"],
                                        # word pairs for the bag-of-words encoder only
                                        ngrams=2 if args.encoder == "mean" else None),
        model__text_encoder=args.encoder, epochs=args.epochs, batch_size=args.batch_size,
        early_stopping=False, callbacks=[EpochTimer], random_state=0)
    EpochTimer.seconds = []
    with jax.default_device(device):
        start = time.perf_counter()
        est.fit(X, y)
        fit_seconds = time.perf_counter() - start
    steady = EpochTimer.seconds[1:]
    return fit_seconds, len(X) * len(steady) / sum(steady)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--encoder", default="mean", choices=["mean", "lstm", "gru", "conv"])
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch compiles")
    import jax

    if keras.backend.backend() != "jax":
        raise SystemExit("run with KERAS_BACKEND=jax")
    X, y = tweets(args.rows)
    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    devices = [(f"gpu ({gpus[0].device_kind})", gpus[0])] if gpus else []
    devices.append((f"cpu ({os.cpu_count()} cores)", jax.devices("cpu")[0]))
    if not gpus:
        print("no GPU visible to JAX: CPU figures only")
    print(f"text encoder {args.encoder!r}, {len(X)} rows x {args.epochs} epochs, "
          f"batch {args.batch_size}")
    print(f"{'device':34s} {'fit s':>8s} {'samples/s':>10s}")
    rates, rows = [], []
    for name, device in devices:
        fit_seconds, rate = measure(device, X, y, args)
        rates.append(rate)
        rows.append({"device": name, "fit s": fit_seconds, "samples/s": rate})
        print(f"{name:34s} {fit_seconds:8.2f} {rate:10.0f}", flush=True)
    if gpus:
        print(f"GPU / CPU, steady samples/s: {rates[0] / rates[1]:.2f}x")
    write_record(f"gpu-{args.encoder}", {
        "rows": len(X), "epochs": args.epochs, "batch size": args.batch_size,
        "encoder": args.encoder, "results": rows}, quick=False)


if __name__ == "__main__":
    main()
