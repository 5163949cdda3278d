"""ModelMeta: everything a model builder needs to size a Keras model."""

from __future__ import annotations

from dataclasses import dataclass

from .specs import HeadSpec, InputSpec

__all__ = ["ModelMeta"]


@dataclass
class ModelMeta:
    """Inputs and heads of the model an estimator is about to build.

    A builder ``build(meta, **model_params) -> keras.Model`` reads it to
    create one ``keras.Input`` per entry of :attr:`inputs` (same name, shape
    and dtype) and one output per entry of :attr:`heads` (named after the
    head, ``n_outputs`` units). Both dicts are in model order.

    Attributes
    ----------
    inputs : dict of str -> InputSpec
        ``kind`` ("numeric" or "tokens"), per-sample ``shape``, ``dtype`` and
        ``vocabulary_size`` of each input.
    heads : dict of str -> HeadSpec
        ``kind``, ``n_outputs`` and ``classes`` of each output head.

    Examples
    --------
    >>> import keras
    >>> def build(meta, units=16):
    ...     inputs = [keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()]
    ...     x = keras.layers.Concatenate()(inputs) if len(inputs) > 1 else inputs[0]
    ...     x = keras.layers.Dense(units, activation="relu")(x)
    ...     outputs = [keras.layers.Dense(h.n_outputs, name=n) for n, h in meta.heads.items()]
    ...     return keras.Model(inputs, [layer(x) for layer in outputs])
    """

    inputs: dict[str, InputSpec]
    heads: dict[str, HeadSpec]
