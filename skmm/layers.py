"""Keras layers the default architectures need that Keras does not ship as such."""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["MaskedMean"]


@keras.saving.register_keras_serializable(package="skmm")
class MaskedMean(keras.layers.Layer):
    """Mean over the time axis of the unmasked steps; all-masked rows give zeros.

    Keras' ``GlobalAveragePooling1D`` divides by the number of unmasked steps,
    which is 0 for an empty document (all padding), and returns NaN. This
    layer divides by at least 1 instead.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skmm.layers import MaskedMean
    >>> ids = keras.Input((3,), dtype="int32")
    >>> emb = keras.layers.Embedding(5, 2, mask_zero=True)(ids)
    >>> model = keras.Model(ids, MaskedMean()(emb))
    >>> model.predict_on_batch(np.array([[0, 0, 0]]))
    array([[0., 0.]], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        total = ops.sum(inputs * weights, axis=1)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])
