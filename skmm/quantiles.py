"""Quantile heads' Keras pieces: the pinball loss and an output that never crosses.

A ``quantile`` head (:class:`skmm.heads.QuantileKind`) predicts several
quantiles of one real target at once, one output unit per quantile. Two
Keras objects serve it, both registered (package ``skmm``) so a model that
uses them saves, loads, pickles and clones:

- :class:`PinballLoss`: the pinball (quantile) loss, averaged over the
  quantiles, one value per sample (so per-sample and per-head weights, and
  masked labels, work as for any head);
- :class:`NonCrossingQuantiles`: the default model's output layer. It reads
  the unit of the median as the median itself and every other unit as a
  gap, ``softplus``-ed to be positive, to the quantile next to it (upward
  above the median, downward below it), so its quantiles rise with the
  level for every input: they never cross, by construction.

:func:`check_quantiles` validates the levels a user states
(``TargetSplitter(quantiles=...)``).

Examples
--------
>>> import numpy as np
>>> from skmm.quantiles import NonCrossingQuantiles, PinballLoss
>>> layer = NonCrossingQuantiles(median_index=1)
>>> out = np.asarray(layer(np.array([[-3.0, 2.0, -3.0]], dtype="float32")))
>>> bool(out[0, 0] < out[0, 1] < out[0, 2]), round(float(out[0, 1]), 3)
(True, 2.0)
>>> loss = PinballLoss(quantiles=(0.1, 0.5, 0.9))
>>> round(float(loss(np.array([[1.0]]), np.array([[0.0, 1.0, 2.0]]))), 4)  # (0.1 + 0 + 0.1) / 3
0.0667
"""

from __future__ import annotations

from numbers import Real

import keras
import numpy as np
from keras import ops

__all__ = ["DEFAULT_QUANTILES", "NonCrossingQuantiles", "PinballLoss", "check_quantiles",
           "column_name"]

DEFAULT_QUANTILES = (0.05, 0.5, 0.95)


def check_quantiles(quantiles, head_name):
    """The quantile levels of one head as a sorted tuple of floats, or an error naming it.

    Levels must be numbers strictly between 0 and 1, distinct, and include
    0.5: ``predict`` returns the median.

    Examples
    --------
    >>> check_quantiles([0.9, 0.5, 0.1], "price")
    (0.1, 0.5, 0.9)
    """
    if quantiles is None:
        return DEFAULT_QUANTILES
    if isinstance(quantiles, (str, bytes)) or not np.iterable(quantiles):
        raise ValueError(
            f"TargetSplitter: quantiles for head {head_name!r} must be a sequence of levels "
            f"in (0, 1) such as (0.05, 0.5, 0.95); got {quantiles!r}."
        )
    levels = list(quantiles)
    bad = [q for q in levels if isinstance(q, bool) or not isinstance(q, Real)
           or not 0.0 < float(q) < 1.0]
    if bad or not levels:
        raise ValueError(
            f"TargetSplitter: quantiles for head {head_name!r} must be numbers strictly "
            f"between 0 and 1; got {levels!r}."
        )
    levels = sorted(float(q) for q in levels)
    if len(set(levels)) != len(levels):
        raise ValueError(
            f"TargetSplitter: quantiles for head {head_name!r} repeat a level: {levels}."
        )
    if 0.5 not in levels:
        raise ValueError(
            f"TargetSplitter: quantiles for head {head_name!r} must include 0.5 (predict "
            f"returns the median); got {levels}."
        )
    return tuple(levels)


def column_name(column, quantile):
    """The name of one quantile's column in ``predict_quantiles``: ``"price_q0.05"``.

    Examples
    --------
    >>> column_name("price", 0.05), column_name(None, 0.5)
    ('price_q0.05', 'q0.5')
    """
    return f"q{quantile:g}" if column is None else f"{column}_q{quantile:g}"


@keras.saving.register_keras_serializable(package="skmm")
class PinballLoss(keras.losses.Loss):
    """The pinball (quantile) loss of several quantiles, averaged over them.

    For level ``q`` and residual ``r = y - prediction``, the loss is
    ``max(q r, (q - 1) r)``; its minimiser is the ``q``-quantile of ``y``.
    ``y_true`` has one column (the target) and ``y_pred`` one column per
    level, in the order of ``quantiles``.

    Parameters
    ----------
    quantiles : sequence of float
        Levels in (0, 1), in the order of the prediction's columns.
    name, reduction, dtype
        As for any ``keras.losses.Loss``.

    Examples
    --------
    >>> import numpy as np
    >>> loss = PinballLoss(quantiles=(0.5,))
    >>> float(loss(np.array([[3.0], [1.0]]), np.array([[1.0], [1.0]])))  # mean |r| / 2
    0.5
    """

    def __init__(self, quantiles=DEFAULT_QUANTILES, name="pinball_loss",
                 reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.quantiles = tuple(float(q) for q in quantiles)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        # one target per row (per row and ensemble member), beside that row's levels
        y_true = ops.expand_dims(ops.reshape(ops.cast(y_true, y_pred.dtype),
                                             ops.shape(y_pred)[:-1]), -1)
        levels = ops.cast(ops.convert_to_tensor(np.array(self.quantiles)), y_pred.dtype)
        residual = y_true - y_pred
        return ops.mean(ops.maximum(levels * residual, (levels - 1.0) * residual), axis=-1)

    def get_config(self):
        return {**super().get_config(), "quantiles": list(self.quantiles)}


@keras.saving.register_keras_serializable(package="skmm")
class NonCrossingQuantiles(keras.layers.Layer):
    """Raw units -> quantiles that rise with the level, for every input.

    Unit ``median_index`` is the median; unit ``j`` above it adds
    ``softplus(z_j)`` to the quantile below it, unit ``j`` below it
    subtracts ``softplus(z_j)`` from the quantile above it. Nothing is
    trained here: the layer only reshapes what the Dense layer before it
    gives.

    Parameters
    ----------
    median_index : int
        Which unit is the median (the position of 0.5 in the levels).

    Examples
    --------
    >>> import numpy as np
    >>> out = NonCrossingQuantiles(median_index=0)(np.array([[1.0, 0.0]], dtype="float32"))
    >>> np.round(np.asarray(out, dtype=float), 3).tolist()  # 1 + softplus(0)
    [[1.0, 1.693]]
    """

    def __init__(self, median_index=0, **kwargs):
        super().__init__(**kwargs)
        self.median_index = int(median_index)

    def call(self, inputs):
        m = self.median_index  # levels lie along the last axis (after any member axis)
        median = inputs[..., m:m + 1]
        parts = []
        if m > 0:  # below: the median minus the gaps summed outward, nearest gap last
            below = ops.softplus(inputs[..., :m])
            parts.append(median - ops.flip(ops.cumsum(ops.flip(below, axis=-1), axis=-1),
                                           axis=-1))
        parts.append(median)
        if inputs.shape[-1] is None or m + 1 < inputs.shape[-1]:
            parts.append(median + ops.cumsum(ops.softplus(inputs[..., m + 1:]), axis=-1))
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "median_index": self.median_index}
