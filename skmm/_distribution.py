"""One fit over several devices: the ``distribution=`` parameter (JAX only).

A fit with a distribution builds and trains its model inside
``distribution.scope()``, so no global distribution outlives it. Keras
shards each batch over the devices of the distribution's batch axis, which
needs every batch, the last one of an epoch included, to split evenly:
:func:`pad_rows` appends copies of the first rows with weight zero, so no row
is dropped and the copies add nothing to the loss (the mean over a padded batch
still counts them: that one step is at most ``(devices - 1) / batch_size``
smaller). Prediction needs no scope: the
trained weights are replicated and any number of rows predicts.
"""

from __future__ import annotations

import contextlib
import warnings

import keras
import numpy as np

from ._inputs import take_rows

DISTRIBUTIONS = (keras.distribution.DataParallel, keras.distribution.ModelParallel)


def resolve(distribution):
    """The keras distribution a fit trains under, or None for one device.

    "auto" is data parallelism over every local device of JAX's default kind
    (all GPUs, say) when there are several, else None. A distribution object
    is used as it is. On TensorFlow and PyTorch a distribution object is
    refused and "auto" means one device (with a warning when several GPUs
    are visible), because Keras distributes training on JAX only.
    """
    if distribution is None:
        return None
    backend = keras.backend.backend()
    if backend != "jax":
        if isinstance(distribution, str):
            if _visible_gpus(backend) > 1:
                warnings.warn(
                    f"distribution='auto' trains on one device with the {backend} backend: "
                    "Keras spreads one fit over several devices on JAX only (set "
                    "KERAS_BACKEND=jax).", UserWarning, stacklevel=3)
            return None
        raise ValueError(
            f"distribution={distribution!r} needs the JAX backend; Keras distributes training "
            f"on JAX only and this process runs {backend!r}. Set KERAS_BACKEND=jax before "
            "importing keras, or leave distribution=None to train on one device."
        )
    if isinstance(distribution, str):  # "auto", validated by the estimator
        devices = keras.distribution.list_devices()
        if len(devices) < 2:
            return None
        return keras.distribution.DataParallel(devices=devices)
    return distribution


def _visible_gpus(backend):
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return len(tf.config.list_logical_devices("GPU"))
        if backend == "torch":
            import torch

            return torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - only a warning depends on it
        return 0
    return 0


def scope(distribution):
    """``distribution.scope()``, or a context that does nothing for None."""
    return contextlib.nullcontext() if distribution is None else distribution.scope()


def batch_shards(distribution):
    """Into how many parts each batch is split (1 without a distribution)."""
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    axis = distribution.batch_dim_name
    return int(mesh.shape[list(mesh.axis_names).index(axis)]) if axis in mesh.axis_names else 1


def pad_rows(dicts, weights_at, shards):
    """Pad every dict of per-sample arrays to a multiple of ``shards`` rows.

    The added rows repeat the first rows; in ``dicts[weights_at]`` (the
    per-head sample weights) they weigh zero, so they add nothing to the loss.
    """
    n = len(next(iter(dicts[0].values())))
    extra = -n % shards
    if not extra:
        return dicts
    rows = np.concatenate([np.arange(n), np.arange(extra) % n])
    padded = [take_rows(d, rows) for d in dicts]
    padded[weights_at] = {head: np.concatenate([w[:n], np.zeros(extra, dtype=w.dtype)])
                          for head, w in padded[weights_at].items()}
    return tuple(padded)
