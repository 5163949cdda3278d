"""Goal 6: samples per second training the default architecture on a GPU and on the CPUs.

For a machine with an NVIDIA GPU and JAX installed with CUDA (TensorFlow is not
needed). The same fit of skmm's default model (text + numbers, two heads) on
real tweets runs once with JAX's default device (the GPU) and once pinned to
the CPU with ``jax.default_device``; each is timed after a one-epoch warm-up
that pays for compilation.

    KERAS_BACKEND=jax python benchmarks/gpu.py [--rows 20000] [--epochs 3]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

from _common import tweets  # noqa: E402


def samples_per_second(device, X, y, epochs, batch_size):
    import jax

    from skmm import FunctionalEstimator, InputRouter

    def make(n_epochs):
        return FunctionalEstimator(
            router=InputRouter.from_columns(numeric=["year", "hour", "n_chars", "has_link"],
                                            text=["text"]),
            epochs=n_epochs, batch_size=batch_size, early_stopping=False, random_state=0)

    with jax.default_device(device):
        make(1).fit(X.iloc[:2000], y.iloc[:2000])  # compiles for this device
        start = time.perf_counter()
        make(epochs).fit(X, y)
        return len(X) * epochs / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)
    import jax
    import keras

    if keras.backend.backend() != "jax":
        raise SystemExit("run with KERAS_BACKEND=jax")
    X, y = tweets(args.rows)
    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    cpu = jax.devices("cpu")[0]
    rows = [("cpu", samples_per_second(cpu, X, y, args.epochs, args.batch_size))]
    if gpus:
        rows.insert(0, (f"gpu ({gpus[0].device_kind})",
                        samples_per_second(gpus[0], X, y, args.epochs, args.batch_size)))
    else:
        print("no GPU visible to JAX: CPU figure only")
    print(f"default architecture, {len(X)} rows x {args.epochs} epochs, batch "
          f"{args.batch_size}, {os.cpu_count()} CPUs")
    for name, rate in rows:
        print(f"{name:30s} {rate:10.0f} samples/s")
    if gpus:
        print(f"GPU / CPU: {rows[0][1] / rows[1][1]:.1f}x")


if __name__ == "__main__":
    main()
