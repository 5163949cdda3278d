"""One fit over several devices: the ``distribution=`` parameter (JAX only).

A fit with a distribution builds and trains its model inside
``distribution.scope()``, so no global distribution outlives it; a model
made outside it (by an earlier fit without one, or unpickled) is rebuilt
inside it first (:func:`place`). Keras shards each batch over the devices
of the distribution's batch axis (:func:`batch_shards`), which needs every
batch, the last one of an epoch included, to split evenly:
:meth:`skmm._rows.Rows.pad_to` appends fewer than ``devices`` copies of rows
with weight zero, so no row is dropped and the copies add nothing to the
loss. (A batch's loss is still averaged over all its rows, so a batch
holding copies steps slightly less, and metrics other than the loss count
the copies.) Prediction needs no scope.
Single machine: "auto" takes ``keras.distribution.list_devices()``.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

import keras
import numpy as np

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
                    "KERAS_BACKEND=jax).", UserWarning, stacklevel=4)
            return None
        raise ValueError(
            f"distribution={type(distribution).__name__}(...) needs the JAX backend; Keras "
            f"distributes training on JAX only and this process runs {backend!r}. Set "
            "KERAS_BACKEND=jax before importing keras, or leave distribution=None to train on "
            "one device."
        )
    if isinstance(distribution, str):  # "auto", validated by the estimator
        devices = keras.distribution.list_devices()
        if len(devices) < 2:
            return None
        return keras.distribution.DataParallel(devices=devices)
    # a copy: Keras caches JAX's device mesh on a distribution it trained under, and the
    # estimator's parameter must stay something pickle, clone and joblib can copy
    try:
        return copy.deepcopy(distribution)
    except TypeError:  # already used outside skmm, so it holds JAX devices: use it as it is
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


def _key(distribution):
    """What identifies the devices a distribution lays variables out on."""
    mesh = distribution.device_mesh
    return (type(distribution).__name__, tuple(mesh.shape), tuple(mesh.axis_names),
            tuple(str(d) for d in np.ravel(mesh.devices)))


def place(model, distribution, *, fresh=False):
    """``model``, ready to train under ``distribution``: itself, or a copy made in its scope.

    A model built just now (``fresh``) inside the distribution's scope is
    marked as made under it and returned. A model whose variables were made
    under another distribution, or under none (an earlier fit, an unpickled
    or loaded estimator), is rebuilt inside the scope from its ``.keras``
    bytes, keeping its weights and its optimizer's state, and the copy is
    returned. Without a distribution the model goes on training as it is.
    """
    if distribution is None:
        return model
    key = _key(distribution)
    if not fresh and getattr(model, "_skmm_distribution", None) != key:
        from .persistence import model_from_bytes, model_to_bytes

        with distribution.scope():
            model = model_from_bytes(model_to_bytes(model))
    model._skmm_distribution = key  # an attribute of this object, never saved
    return model


def batch_shards(distribution):
    """Into how many parts each batch is split (1 without a distribution)."""
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    axis = distribution.batch_dim_name
    return int(mesh.shape[list(mesh.axis_names).index(axis)]) if axis in mesh.axis_names else 1
