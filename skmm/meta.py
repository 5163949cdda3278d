"""ModelMeta: everything a model builder needs to size a Keras model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .specs import HeadSpec, InputSpec

__all__ = ["ModelMeta", "layer_name"]


def layer_name(name, taken=()):
    """A Keras-safe layer name for ``name``, not among ``taken``.

    Characters other than ASCII letters, digits, ``_``, ``.`` and ``-`` become
    ``_`` (Keras refuses ``/`` and TensorFlow's SavedModel more), a name
    must start with a letter, digit or ``.``, and a name already taken gets
    ``_output`` (then a number) appended.

    Examples
    --------
    >>> layer_name("price/sqft"), layer_name("review", taken={"review"}), layer_name("_x")
    ('price_sqft', 'review_output', 'h_x')
    """
    base = re.sub(r"[^0-9A-Za-z_.-]", "_", str(name))
    if not base or not re.match(r"[0-9A-Za-z.]", base):
        base = f"h{base}"
    candidate, k = base, 1
    while candidate in taken:
        candidate = f"{base}_output" if k == 1 else f"{base}_output_{k}"
        k += 1
    return candidate


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
    output_names : dict of str -> str
        Per head, the name to give its output layer: the head's own name
        when Keras takes it and no input has it, else a sanitised unique one
        (:func:`layer_name`: ``"price/sqft"`` -> ``"price_sqft"``, a head
        named like an input -> ``"<name>_output"``). A model whose outputs
        carry either name is wired to the right head, and predictions,
        ``history_`` and every per-head parameter keep y's names.

    Examples
    --------
    >>> import keras
    >>> def build(meta, units=16):
    ...     inputs = [keras.Input(s.shape, name=n, dtype=s.dtype) for n, s in meta.inputs.items()]
    ...     x = keras.layers.Concatenate()(inputs) if len(inputs) > 1 else inputs[0]
    ...     x = keras.layers.Dense(units, activation="relu")(x)
    ...     outputs = [keras.layers.Dense(h.n_outputs, name=meta.output_names[n])
    ...                for n, h in meta.heads.items()]
    ...     return keras.Model(inputs, [layer(x) for layer in outputs])
    """

    inputs: dict[str, InputSpec]
    heads: dict[str, HeadSpec]
    output_names: dict[str, str] = field(default=None)

    def __post_init__(self):
        if self.output_names is None:
            taken = set(self.inputs)
            # heads whose names Keras takes keep them; the others are named around them
            names = {h: h for h in self.heads if layer_name(h) == h and h not in taken}
            taken |= set(names)
            for head in self.heads:
                if head not in names:
                    names[head] = layer_name(head, taken)
                    taken.add(names[head])
            self.output_names = {head: names[head] for head in self.heads}
