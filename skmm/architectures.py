"""Default Functional builders used when an estimator's ``model`` is None.

The seed's design, generalised: a tower per input (numeric: periodic embedding and Dense; tokens:
Embedding then an encoder), Concatenate, shared Dense layers, one head per
target with the activation its kind needs (a quantile head: one unit per level, made
monotone by :class:`skmm.quantiles.NonCrossingQuantiles`); with ``members > 1``, several such
networks in one model, their outputs stacked per head (:class:`skmm.layers.MemberStack`) and
averaged by the estimator. Every size is a keyword a user can tune through the estimator's
``model__*`` parameters.
"""

from __future__ import annotations

import numbers

import keras

from .heads import get_kind
from .layers import MaskedMean, MemberStack, PeriodicEmbedding
from .meta import ModelMeta, layer_name

__all__ = ["default_model", "head_activation", "TEXT_ENCODERS"]

TEXT_ENCODERS = ("mean", "lstm", "gru", "conv")
NUMERIC_EMBEDDINGS = ("periodic", "none")

def head_activation(kind: str) -> str:
    """The output activation a head of this kind needs (its :mod:`skmm.heads` kind's)."""
    return get_kind(kind).activation


def _text_tower(x, name, encoder, embedding_dim, text_units, vocabulary_size, kernel_size):
    """The text tower of token input ``x``; ``name(suffix)`` names its layers."""
    masked = encoder in ("mean", "lstm", "gru")
    x = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=masked, name=name("embedding")
    )(x)
    if encoder == "mean":
        return MaskedMean(name=name("mean"))(x)
    if encoder == "lstm":
        return keras.layers.LSTM(text_units, name=name("lstm"))(x)
    if encoder == "gru":
        return keras.layers.GRU(text_units, name=name("gru"))(x)
    x = keras.layers.Conv1D(
        text_units, kernel_size, padding="same", activation="relu", name=name("conv")
    )(x)
    return keras.layers.GlobalMaxPooling1D(name=name("max"))(x)


def default_model(
    meta: ModelMeta,
    *,
    text_encoder="mean",
    embedding_dim=64,
    text_units=64,
    conv_kernel_size=5,
    numeric_units=64,
    numeric_embedding="periodic",
    hidden_units=(64,),
    dropout=0.1,
    activation="relu",
    members=1,
):
    """Build the default multi-input, multi-output model (uncompiled).

    Parameters
    ----------
    meta : ModelMeta
        Inputs and heads, as the estimator computed them.
    text_encoder : {"mean", "lstm", "gru", "conv"}, default="mean"
        What reads each token input after its ``Embedding``: a masked mean of
        the embeddings (fast, strong on short texts), an LSTM (the seed's
        choice) or GRU over the sequence, or a Conv1D + global max pool.
    embedding_dim : int, default=64
        Embedding width of every token input.
    text_units : int, default=64
        Units of the LSTM/GRU or filters of the Conv1D.
    conv_kernel_size : int, default=5
        Width of the Conv1D window.
    numeric_units : int, default=64
        Units of the Dense layer on each numeric input.
    numeric_embedding : {"periodic", "none"}, default="periodic"
        "periodic": each numeric column first becomes a learned vector of
        sines and cosines (:class:`skmm.layers.PeriodicEmbedding`), which lets
        the network draw sharp, non-monotonic functions of one number (a
        year, an hour) as trees do; "none": the numbers go straight into
        the Dense layer.
    hidden_units : sequence of int, default=(64,)
        Shared Dense layers after the concatenation.
    dropout : float, default=0.1
        Dropout after each shared Dense layer (0 disables it).
    activation : str, default="relu"
        Activation of the numeric and shared Dense layers.
    members : int, default=1
        Train this many whole networks at once on the same batches, each
        from its own random start and with its own loss, and average them
        at prediction (a deep ensemble in one model). Each output then has
        shape ``(batch, members, units)`` (:class:`skmm.layers.MemberStack`);
        the estimator averages the members' probabilities or values. 1: one
        network.

    Returns
    -------
    keras.Model
        Inputs named as ``meta.inputs``, outputs as ``meta.output_names``.

    Examples
    --------
    >>> from skmm import FunctionalEstimator
    >>> est = FunctionalEstimator(model__text_encoder="lstm", model__hidden_units=(32, 16))
    """
    if text_encoder not in TEXT_ENCODERS:
        raise ValueError(
            f"Parameter 'model__text_encoder' must be one of {list(TEXT_ENCODERS)}; "
            f"got {text_encoder!r}."
        )
    if numeric_embedding not in NUMERIC_EMBEDDINGS:
        raise ValueError(
            f"Parameter 'model__numeric_embedding' must be one of {list(NUMERIC_EMBEDDINGS)}; "
            f"got {numeric_embedding!r}."
        )
    if isinstance(members, bool) or not isinstance(members, numbers.Integral) or members < 1:
        raise ValueError(
            f"Parameter 'model__members' must be a whole number of networks, at least 1; "
            f"got {members!r}."
        )
    if isinstance(hidden_units, int):
        hidden_units = (hidden_units,)
    outputs_named = set(meta.output_names.values())

    def own(name):  # a layer of the model's own, never named like an output
        return layer_name(name, outputs_named)

    inputs = [keras.Input(shape=spec.shape, dtype=spec.dtype, name=name)
              for name, spec in meta.inputs.items()]

    def network(tag):  # one whole network on the shared inputs, its layers' names end in tag
        towers = []
        for inp, (name, spec) in zip(inputs, meta.inputs.items(), strict=True):
            if spec.kind == "tokens":
                towers.append(
                    _text_tower(inp, lambda suffix, n=name: own(f"{n}_{suffix}{tag}"),
                                text_encoder, embedding_dim, text_units,
                                spec.vocabulary_size, conv_kernel_size)
                )
                continue
            x = inp if len(spec.shape) == 1 else keras.layers.Flatten(
                name=own(f"{name}_flat{tag}"))(inp)
            if numeric_embedding == "periodic":  # the values' embeddings beside x
                values = x if spec.n_values is None else x[:, :spec.n_values]
                x = keras.layers.Concatenate(name=own(f"{name}_with_periodic{tag}"))(
                    [x, PeriodicEmbedding(name=own(f"{name}_periodic{tag}"))(values)])
            towers.append(keras.layers.Dense(numeric_units, activation=activation,
                                             name=own(f"{name}_dense{tag}"))(x))
        x = towers[0] if len(towers) == 1 else keras.layers.Concatenate(
            name=own(f"concatenate{tag}"))(towers)
        for i, units in enumerate(hidden_units):
            x = keras.layers.Dense(units, activation=activation,
                                   name=own(f"shared_dense_{i}{tag}"))(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=own(f"shared_dropout_{i}{tag}"))(x)
        # each head kind makes its own output (a Dense layer with the kind's activation, or
        # more); a member's outputs are named apart, their stack takes the head's name
        return [head.head_kind.build_output(
                    head, x, own(f"{meta.output_names[name]}{tag}") if tag
                    else meta.output_names[name], lambda suffix: own(f"{suffix}{tag}"))
                for name, head in meta.heads.items()]

    if members == 1:
        outputs = network("")
    else:
        per_member = [network(f"_member{i}") for i in range(members)]
        outputs = [MemberStack(activation=head.head_kind.activation,
                               name=meta.output_names[name])([m[j] for m in per_member])
                   for j, (name, head) in enumerate(meta.heads.items())]
    return keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name="skmm_default",
    )
