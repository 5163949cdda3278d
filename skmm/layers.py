"""Keras layers the default architectures need that Keras does not ship as such."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

__all__ = ["MaskedMean", "MemberStack", "PeriodicEmbedding"]


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


@keras.saving.register_keras_serializable(package="skmm")
class PeriodicEmbedding(keras.layers.Layer):
    """Each number becomes a small learned vector of sines and cosines.

    Feature ``j`` of the input maps to ``ReLU(W_j [sin(2 pi c_j x_j),
    cos(2 pi c_j x_j)] + b_j)`` with its own trainable frequencies ``c_j``
    (``n_frequencies`` of them, drawn from N(0, ``sigma``)) and its own
    linear map to ``units`` values: the "PLR" numeric embedding of Gorishniy
    et al. (2022, "On embeddings for numerical features in tabular deep
    learning"). The output is the features' vectors side by side, of shape
    ``(batch, n_features * units)``. The inputs should be standardised
    (as the routers' numeric blocks are): ``sigma`` sets the frequencies'
    scale relative to a unit spread.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.layers import PeriodicEmbedding
    >>> import keras
    >>> inputs = keras.Input((5,))
    >>> model = keras.Model(inputs, PeriodicEmbedding(n_frequencies=4, units=3)(inputs))
    >>> model.predict_on_batch(np.zeros((2, 5), "float32")).shape
    (2, 15)
    """

    def __init__(self, n_frequencies=16, units=16, sigma=1.0, **kwargs):
        super().__init__(**kwargs)
        self.n_frequencies = n_frequencies
        self.units = units
        self.sigma = sigma

    def build(self, input_shape):
        n_features = input_shape[-1]
        self.frequencies = self.add_weight(
            shape=(n_features, self.n_frequencies), name="frequencies",
            initializer=keras.initializers.RandomNormal(stddev=self.sigma))
        # Glorot's range for each feature's own (2 * n_frequencies, units) map
        limit = float(np.sqrt(6.0 / (2 * self.n_frequencies + self.units)))
        self.kernel = self.add_weight(
            shape=(n_features, 2 * self.n_frequencies, self.units), name="kernel",
            initializer=keras.initializers.RandomUniform(-limit, limit))
        self.bias = self.add_weight(shape=(n_features, self.units), name="bias",
                                    initializer="zeros")

    def call(self, inputs):
        angles = 2.0 * np.pi * ops.expand_dims(inputs, -1) * self.frequencies
        waves = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)
        embedded = ops.relu(ops.einsum("bfk,fku->bfu", waves, self.kernel) + self.bias)
        return ops.reshape(embedded, (-1, embedded.shape[1] * self.units))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] * self.units)

    def get_config(self):
        return {**super().get_config(), "n_frequencies": self.n_frequencies,
                "units": self.units, "sigma": self.sigma}


@keras.saving.register_keras_serializable(package="skmm")
class MemberStack(keras.layers.Layer):
    """Stack the same output of several ensemble members: k tensors ``(batch, ...)`` in,
    one ``(batch, k, ...)`` out.

    Parameters
    ----------
    activation : str, optional
        The activation the members' output layers end with ("sigmoid",
        "linear", ...), recorded (not applied) so the output can be checked
        as the members' would be.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skmm.layers import MemberStack
    >>> a, b = keras.Input((3,)), keras.Input((3,))
    >>> model = keras.Model([a, b], MemberStack()([a, b]))
    >>> model.predict_on_batch([np.zeros((2, 3)), np.ones((2, 3))]).shape
    (2, 2, 3)
    """

    def __init__(self, activation=None, **kwargs):
        super().__init__(**kwargs)
        # what the members' output layers end with, so that whoever checks the output
        # (are these logits or probabilities?) reads the members' activation
        if activation is not None:  # else, like any layer without one: "unknown"
            self.activation = activation

    def call(self, inputs):
        return ops.stack(inputs, axis=1)

    def get_config(self):
        return {**super().get_config(), "activation": getattr(self, "activation", None)}

    def compute_output_shape(self, input_shape):
        first = input_shape[0]
        return (first[0], len(input_shape), *first[1:])
