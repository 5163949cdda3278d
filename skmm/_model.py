"""The Keras model of one fit: built (or cloned), wired to inputs and heads, compiled.

:func:`build_model` turns the estimator's ``model`` parameter into a fresh
``keras.Model``; :func:`wire` matches its input and output names to the
router's inputs and the target heads and asks each head's kind whether the
output fits (and whether it gives logits); :func:`compile_model` compiles an
uncompiled model with per-head losses and metrics from the head kinds. Each
takes the estimator's parameters as data and returns what it made.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import keras
import numpy as np

from . import _params
from ._messages import check_head_names, did_you_mean
from .architectures import default_model
from .layers import MemberStack


@dataclass(frozen=True)
class Wiring:
    """How one model's inputs and outputs line up with the data.

    Attributes
    ----------
    input_order : list of str
        Router inputs in the model's input order.
    input_structure : {"dict", "list", "single"}
        The structure the model's ``inputs`` were built with.
    output_order : list of str
        Heads in the model's output order.
    members : tuple of int or None
        Per output (in output order), the number of ensemble members when the
        output has shape ``(batch, members, units)`` (the default model with
        ``members > 1``), else None. Empty: no output has members.
    """

    input_order: list
    input_structure: str
    output_order: list
    members: tuple = ()

    def model_x(self, arrays):
        """Inputs in the structure the model was built with (one tensor, list or dict)."""
        if self.input_structure == "dict":
            return {n: arrays[n] for n in self.input_order}
        if self.input_structure == "list":
            return [arrays[n] for n in self.input_order]
        return arrays[self.input_order[0]]

    def model_y(self, per_head):
        """Per-head arrays in output order (one array for one head)."""
        out = [per_head[h] for h in self.output_order]
        return out[0] if len(out) == 1 else out

    def model_targets(self, per_head):
        """Per-head arrays (encoded targets or sample weights) as :meth:`model_y`, each
        repeated for every member of an output that has ensemble members, so that each
        member is trained on its own loss."""
        if not any(self.members):
            return self.model_y(per_head)
        k = dict(zip(self.output_order, self.members, strict=True))
        return self.model_y({h: y if not k[h] else np.repeat(np.expand_dims(y, 1), k[h], axis=1)
                             for h, y in per_head.items()})

    def model_data(self, rows, weighted):
        """:class:`~skmm._rows.Rows` as Keras' ``(x, y)``, plus the weights when ``weighted``."""
        data = (self.model_x(rows.inputs), self.model_targets(rows.targets))
        return data + (self.model_targets(rows.weights),) if weighted else data

    def by_head(self, outputs):
        """A model's outputs (array, list or dict) as ``{head: ndarray}``."""
        if isinstance(outputs, dict):
            return {h: np.asarray(outputs[h]) for h in self.output_order}
        if len(self.output_order) == 1:
            outputs = [outputs[0]] if isinstance(outputs, (list, tuple)) else [outputs]
        return {h: np.asarray(o) for h, o in zip(self.output_order, outputs, strict=True)}


def build_model(spec, meta, model_params):
    """A fresh model from a builder, a ``keras.Model`` (cloned) or None (the default)."""
    if spec is None:
        model = default_model(meta, **model_params)
    elif isinstance(spec, keras.Model):
        if model_params:
            raise ValueError(
                f"model__* parameters {sorted(model_params)} need a builder function; "
                "'model' is a keras.Model instance."
            )
        model = keras.models.clone_model(spec)
        if getattr(spec, "compiled", False) and not getattr(model, "compiled", False):
            model.compile_from_config(spec.get_compile_config())
    elif callable(spec):
        model = spec(meta, **model_params)
    else:
        raise ValueError(
            "Parameter 'model' must be None, a keras.Model or a builder "
            f"build(meta, **params) -> keras.Model; got {spec!r}."
        )
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"The model builder returned {type(model).__name__}, not a keras.Model."
        )
    return model


def _match_names(model_names, n_model, expected):
    """Order of ``expected`` names as the model lists them, or None if they differ.

    One model input (output) takes the one router input (head) whatever its name.
    """
    if n_model == 1 and len(expected) == 1:
        return list(expected)
    if set(model_names) == set(expected) and len(model_names) == n_model:
        return list(model_names)
    return None


def wire(model, meta):
    """Check the model's input/output names against the router and heads."""
    in_names = [t.name for t in model.inputs]
    input_order = _match_names(in_names, len(model.inputs), meta.inputs)
    if input_order is None:
        missing = [n for n in in_names if n not in meta.inputs]
        raise ValueError(
            f"The model's inputs {in_names} do not match the router's inputs "
            f"{list(meta.inputs)}: no data for {missing}"
            f"{did_you_mean(missing[0], meta.inputs) if missing else ''}. Name each "
            "keras.Input after a router transformer."
        )
    structure = getattr(model, "input", None)
    input_structure = (
        "dict" if isinstance(structure, dict)
        else "list" if isinstance(structure, (list, tuple)) or len(in_names) > 1
        else "single"
    )
    out_names = list(getattr(model, "output_names", None) or [])
    # an output carries its head's name, or the Keras-safe name meta gives the head
    by_layer = {layer: head for head, layer in meta.output_names.items()}
    if sorted(out_names) == sorted(by_layer):  # named as meta says (the default model)
        as_heads = [by_layer[n] for n in out_names]
    else:
        as_heads = [n if n in meta.heads else by_layer.get(n, n) for n in out_names]
    output_order = _match_names(as_heads, len(model.outputs), meta.heads)
    if output_order is None:
        extra = [n for n in out_names if n not in meta.heads]
        raise ValueError(
            f"The model's outputs {out_names} do not match the target heads "
            f"{list(meta.heads)}"
            f"{did_you_mean(extra[0], meta.heads) if extra else ''}. Name each output "
            "layer after a head (a column of y, or a key of TargetSplitter(heads=...)), or "
            f"as meta.output_names says: {meta.output_names}."
        )
    for name, output in zip(output_order, model.outputs, strict=True):
        head = meta.heads[name]
        width = output.shape[-1]
        if width is not None and width != head.n_outputs:
            raise ValueError(
                f"Output {name!r} has {width} units but head {name!r} ({head.kind}) needs "
                f"{head.n_outputs}{head.head_kind.outputs_meaning(head)}."
            )
    return Wiring(input_order, input_structure, output_order, output_members(model))


def output_members(model):
    """Per output, its number of ensemble members, or None; an empty tuple when none has.

    Only an output made by :class:`skmm.layers.MemberStack` has members (shape
    ``(batch, members, units)``); any other output, whatever its rank, is one
    prediction per row.
    """
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(model.outputs):
        return ()
    members = []
    for name, output in zip(names, model.outputs, strict=True):
        try:
            stacked = isinstance(model.get_layer(name), MemberStack)
        except ValueError:
            stacked = False
        members.append(output.shape[1] if stacked else None)
    return tuple(members) if any(members) else ()


def member_mean(link=None):
    """A head's member outputs ``(rows, members, units)`` -> its prediction: ``link`` (the
    inverse link of a head whose model gives logits) applied to each, then their mean,
    in float64 as the export takes it."""
    def finish(raw):
        values = np.asarray(raw, dtype=np.float64)
        return (values if link is None else link(values)).mean(axis=1)
    return finish


def _output_layers(model, order):
    """The layer producing each head's output (None where it is not one named layer)."""
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(order):
        return dict.fromkeys(order)
    layers = {}
    for head, name in zip(order, names, strict=True):
        try:
            layers[head] = model.get_layer(name)
        except ValueError:
            layers[head] = None
    return layers


def _per_head(value, what, heads, order, default):
    if isinstance(value, dict):
        check_head_names(value, heads, f"Parameter '{what}'")
        return [value.get(h, default(h)) for h in order]
    if value is None:
        return [default(h) for h in order]
    return [value for _ in order]


def _compiled_losses(model, order):
    """The losses a compiled model holds, per head in output order (None: unknown)."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):  # keyed by output-layer name, which one head need not share
        names = list(getattr(model, "output_names", None) or order)
        if len(loss) == 1 and len(order) == 1:
            return list(loss.values())
        return [loss.get(name, loss.get(h)) for name, h in zip(names, order, strict=False)]
    if isinstance(loss, (list, tuple)):
        return list(loss) if len(loss) == len(order) else [None] * len(order)
    return [loss] * len(order)


def compile_model(model, wiring, heads, *, loss=None, metrics=None, loss_weights=None,
                  optimizer="adam", learning_rate=None, routed=None):
    """Compile an uncompiled ``model`` with per-head losses and metrics; which heads give logits.

    A compiled model (a builder's, or a compiled ``keras.Model`` given as
    ``model``) is left alone; its losses still tell whether a class head
    outputs logits.

    Parameters
    ----------
    model : keras.Model
    wiring : Wiring
        How the model's outputs line up with the heads (:func:`wire`).
    heads : dict of str -> HeadSpec
    loss, metrics, loss_weights, optimizer
        The estimator's parameters of those names (a loss, metrics or weight
        for every head, or a dict per head; None: each head kind's default).
    learning_rate : float, optional
        For an optimizer given by name or class.
    routed : dict, optional
        The estimator's routed parameters; ``loss__*``, ``optimizer__*`` and
        ``compile__*`` are read.

    Returns
    -------
    dict of str -> bool
        Per head, whether the model outputs logits that decoding must map
        through the kind's inverse link.
    """
    order = wiring.output_order
    layers = _output_layers(model, order)
    if getattr(model, "compiled", False):
        compiled = _compiled_losses(model, order)
        return {h: heads[h].head_kind.check_output(heads[h], layers[h], held, False)
                for h, held in zip(order, compiled, strict=True)}
    routed = routed or {}
    loss_kwargs = _params.routed(routed, "loss")
    given = _per_head(loss, "loss", heads, order, lambda h: None)
    logits, losses = {}, []
    for h, spec in zip(order, given, strict=True):
        kind = heads[h].head_kind
        made = None if spec is None else _params.make_loss(spec, loss_kwargs)
        logits[h] = kind.check_output(heads[h], layers[h], made, made is None)
        losses.append(kind.default_loss(logits[h], head=heads[h]) if made is None else made)
    # the user's metric objects keep their state out of this fit (Keras accumulates into them)
    metrics = _per_head(copy.deepcopy(metrics), "metrics", heads, order,
                        lambda h: heads[h].head_kind.default_metrics(logits[h]))
    weights = None
    if loss_weights is not None:
        weights = _per_head(loss_weights, "loss_weights", heads, order, lambda h: 1.0)
    single = len(order) == 1
    model.compile(
        optimizer=_params.make_optimizer(optimizer, _params.routed(routed, "optimizer"),
                                         learning_rate),
        loss=losses[0] if single else losses,
        metrics=metrics[0] if single else metrics,
        loss_weights=(weights[0] if single else weights) if weights else None,
        **_params.routed(routed, "compile"),
    )
    return logits
