"""Prediction plumbing: one compiled forward pass per fitted model, row chunks, padded batches.

Keras' ``model.predict`` builds an iterator and a progress machinery on every
call (about 100 ms on TensorFlow), which dwarfs a one-row prediction. The
estimators instead feed in-memory batches to a :class:`Predictor`, padded to
a power-of-two number of rows so that the compiled function is traced for at
most ``log2(batch_size) + 1`` shapes, and they encode and decode large inputs
one chunk of rows at a time so neither the encoded inputs nor the raw outputs
of the whole input exist at once.

How a fitted model predicts is decided once, when the :class:`Predictor` is
made (at the end of ``fit``, and when a copy is unpickled or loaded), by a
rule that depends on nothing but the backend and the compile settings:

* TensorFlow, a model with a recurrent layer (``keras.layers.RNN``: LSTM,
  GRU, ...; ``Bidirectional``): through XLA (a twin of the model that shares
  its layers and weights, with ``jit_compile=True``). XLA fuses the step
  loop: one-row predictions of the seed's LSTM model run about 4x as fast
  (0.8 ms against 3 ms a call) and batches of 1,024 rows about 1.8x. Each
  padded batch size compiles on its first call (about 0.5 s of CPU), so the
  one-row size is compiled ahead, by :meth:`Predictor.warm_up`.
* TensorFlow, any other graph of layers (the default architecture's mean
  text encoder, Dense, Embedding, convolutions): a twin with
  ``jit_compile=False``, a graph function. XLA would save about 0.35 ms
  a row-call there (1.1 ms against 1.45 ms a ``predict``) but costs
  0.3-0.5 s to compile each batch size, once more in every ``fit``, load
  and unpickling; the graph function is traced in about 60 ms.
* TensorFlow, when the user set ``compile__jit_compile``, or the model is
  not a graph of layers, or Keras says it cannot be compiled with XLA: the
  model's own predict function.
* JAX: the model's own predict function, which JAX always compiles.
* PyTorch: the model's own predict function, as Keras sets it.

A twin's functions are TensorFlow concrete functions (:class:`ShapedFunctions`),
not Keras' ``predict_on_batch``: the same graph without its per-call argument
matching.

At the end of ``fit``, in ``skmm.load`` and on unpickling, a twin (graph or
XLA) runs one row of zeros through the padding and the function a one-row
``predict`` uses (:meth:`Predictor.warm_up`), so the first answer comes as
fast as the next ones. For a recurrent model this is the XLA compile, about
0.5 s of CPU added to each ``fit``, load and unpickling, against about 2 ms
saved on every later one-row call: a graph twin would cost about 0.1 s to
trace but 3 ms a row-call instead of 0.8 ms (``benchmarks/predict.py``
reports the first answers and the warm-up's share). Other batch sizes still
compile (XLA) or trace (graph) on their first call.

So the first and the thousandth call, and a pickled or loaded copy, run the
same compiled function on the same padded shapes and give the same numbers.
Nothing here changes an attribute of the estimator's model.
"""

from __future__ import annotations

import threading
import warnings

import keras
import numpy as np
import pandas as pd

from ._containers import concat_heads
from ._rows import Rows


class Predictor:
    """The compiled forward pass of one fitted model, batch by padded batch.

    Parameters
    ----------
    model : keras.Model
        The fitted model; never modified.
    wiring : skmm._model.Wiring
        How the model's inputs and outputs line up with input arrays and heads.
    links : dict of str -> callable
        Per head whose model outputs logits, the inverse link that maps them
        to probabilities (:meth:`skmm.heads.HeadKind.inverse_link`); per head
        whose output stacks several members, a function that averages them
        (after that link: ``skmm._model.member_mean``).
    xla : bool
        On TensorFlow, predict through a twin of ``model``: XLA-compiled when
        the model has a recurrent layer, a graph function otherwise;
        :meth:`warm_up` makes its one-row function ahead of the first call.
        False: through ``model``'s own predict function.

    Attributes
    ----------
    runner : keras.Model or ShapedFunctions
        What ``predict_on_batch`` is called on: ``model`` itself, or its
        twin's functions (:class:`ShapedFunctions`).
    uses_xla : bool
        Whether ``runner`` is an XLA-compiled twin.
    """

    def __init__(self, model, wiring, links, xla):
        self.model = model
        self.wiring = wiring
        self.links = links
        self.runner, self.uses_xla = model, False
        if xla:
            twin = _twin(model, jit_compile=has_recurrent_layer(model))
            if twin is not None:
                self.runner, self.uses_xla = twin, bool(twin.jit_compile)
        # JAX (and torch) thread the model's state through predict_on_batch and write it
        # back: two threads at once would use buffers the other just gave away
        self._lock = threading.Lock()
        self._answered = False

    def predict(self, arrays, batch_size, **predict_kwargs):
        """Per-head outputs for input arrays, logits mapped to probabilities.

        ``predict_kwargs`` (settings only ``model.predict`` understands, such
        as callbacks) send the rows through ``model.predict`` instead.
        """
        if predict_kwargs:
            raw = self.wiring.by_head(self.model.predict(
                self.wiring.model_x(arrays), batch_size=batch_size,
                **{"verbose": 0, **predict_kwargs}))
        else:
            rows = Rows({name: arrays[name] for name in self.wiring.input_order})
            parts = [self._batch(rows.take(slice(start, start + batch_size)), batch_size)
                     for start in range(0, max(rows.n, 1), batch_size)]
            raw = parts[0] if len(parts) == 1 else {
                h: np.concatenate([p[h] for p in parts]) for h in self.wiring.output_order}
        return {h: self.links[h](r) if h in self.links else r for h, r in raw.items()}

    def warm_up(self, specs):
        """Trace (or XLA-compile) the one-row batch now, as every later one-row call runs it.

        For a TensorFlow twin, so that the first answer after ``fit``,
        ``skmm.load`` or unpickling is as fast as the next ones: a graph twin
        traces in about 60 ms (the default model), an XLA twin (a recurrent
        model) compiles in about 0.5 s of CPU. A row of zeros of each input's
        spec'd shape and dtype (``specs``: input name ->
        :class:`~skmm.specs.InputSpec`, what routing X gives) goes through
        the same padding and the same function as a one-row ``predict``, so
        the function later calls find is the one made here. Should XLA
        refuse an op, the model's own function takes over here, before any
        answer is given (see :meth:`__call__`). The model's own function
        (JAX, PyTorch, ``compile__jit_compile`` set) is left to its first call.
        """
        if self._answered or self.runner is self.model or not specs:
            return
        try:
            zeros = {name: np.zeros((1, *specs[name].shape), dtype=specs[name].dtype)
                     for name in self.wiring.input_order}
            self._batch(Rows(zeros), PREDICT_BATCH)
        except Exception:  # noqa: BLE001 - only a head start: the first predict says what is wrong
            self._answered = False

    def _batch(self, rows, batch_size):
        """One in-memory batch of rows through the compiled function, padded to 2^k rows."""
        n = rows.n
        outputs = self(self.wiring.model_x(rows.zero_pad(padded_rows(n, batch_size)).inputs))
        return {h: o[:n] for h, o in self.wiring.by_head(outputs).items()}

    def __call__(self, x):
        """``predict_on_batch(x)`` through :attr:`runner`."""
        try:
            if keras.backend.backend() == "tensorflow":
                out = self.runner.predict_on_batch(x)
            else:
                with self._lock:
                    out = self.runner.predict_on_batch(x)
        except Exception as exc:
            if not self.uses_xla or self._answered or not _is_xla_error(exc):
                raise
            # XLA cannot compile an op of this model (so neither can any copy's twin):
            # decided before any answer was given, the model's own function serves for good
            self.runner, self.uses_xla = self.model, False
            out = self.runner.predict_on_batch(x)
        self._answered = True
        return out


def _is_xla_error(exc):
    """Whether an error says XLA could not compile (not bad input, not memory)."""
    text = f"{type(exc).__name__} {exc}".lower()
    return "xla" in text or "jit" in text


def has_recurrent_layer(model) -> bool:
    """Whether ``model`` holds a recurrent layer (an RNN, or a wrapper around one), at any depth."""
    seen, stack = set(), [model]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, keras.layers.RNN):
            return True
        stack.extend(getattr(layer, "layers", None) or ())  # nested models
        for inner in ("layer", "forward_layer", "backward_layer"):  # wrappers
            if isinstance(getattr(layer, inner, None), keras.layers.Layer):
                stack.append(getattr(layer, inner))
    return False


def _twin(model, jit_compile):
    """A :class:`ShapedFunctions` over a model sharing ``model``'s layers and weights; or None.

    On TensorFlow only, and None for a subclassed model (no graph of layers to
    share) or, with ``jit_compile``, one that Keras says XLA cannot compile.
    """
    if keras.backend.backend() != "tensorflow" or getattr(model, "run_eagerly", False):
        return None
    try:
        twin = keras.Model(inputs=model.input, outputs=model.output,
                           name=f"{model.name}_{'xla' if jit_compile else 'graph'}")
    except (AttributeError, ValueError, TypeError):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Model doesn't support jit_compile": checked below
        twin.jit_compile = jit_compile
    return ShapedFunctions(twin) if twin.jit_compile == jit_compile else None


# ShapedFunctions keeps at most this many functions (input shapes past the batch size)
MAX_SHAPES = 64


class ShapedFunctions:
    """TensorFlow: a model's forward pass as one concrete function per input shape.

    Keras' ``predict_on_batch`` reaches the same graph through a polymorphic
    ``tf.function``, which matches the call's arguments against its traces on
    every call: about 0.3 ms of a 2 ms one-row ``predict`` of the default
    model (``benchmarks/predict.py``). Here the flat inputs' shapes past the
    batch size and their dtypes are traced once into a concrete function with
    a fixed signature (``tf.function(input_signature=...)``, any number of
    rows), XLA-compiled when ``model`` is (``jit_compile``; XLA then compiles
    each padded batch size on its first call), and later calls look it up by
    key. At most :data:`MAX_SHAPES` are kept. The graph is the one Keras'
    predict step builds (``model(x, training=False)``), so the numbers are
    the same.

    Parameters
    ----------
    model : keras.Model
        A twin made for prediction (:func:`_twin`); its ``jit_compile`` is read once.

    Attributes
    ----------
    jit_compile : bool
        Whether each function is XLA-compiled.
    traces : int
        How many functions have been traced (one per input shape and dtype
        past the batch size).
    """

    def __init__(self, model):
        self.model = model
        self.jit_compile = bool(model.jit_compile)
        self.traces = 0
        self._functions = {}
        self._lock = threading.Lock()

    def predict_on_batch(self, x):
        """``model.predict_on_batch(x)``: the outputs as NumPy arrays, in the model's structure."""
        flat = [np.asarray(a) for a in keras.tree.flatten(x)]
        key = tuple((a.shape[1:], a.dtype.str) for a in flat)
        function = self._functions.get(key)
        if function is None:
            with self._lock:
                function = self._functions.get(key)
                if function is None:
                    function = self._trace(x, flat, key)
        return keras.tree.map_structure(lambda t: t.numpy(), function(*flat))

    def _trace(self, x, flat, key):
        import tensorflow as tf  # the backend is TensorFlow: imported already

        model = self.model
        structure = keras.tree.map_structure(lambda _: None, x)  # not the rows themselves

        def forward(*tensors):
            return model(keras.tree.pack_sequence_as(structure, list(tensors)), training=False)

        # any number of rows (XLA still compiles each padded batch size on its first call)
        signature = [tf.TensorSpec((None, *a.shape[1:]), a.dtype) for a in flat]
        function = tf.function(forward, input_signature=signature, autograph=False,
                               jit_compile=self.jit_compile).get_concrete_function()
        if len(self._functions) >= MAX_SHAPES:  # a model that takes any sequence length
            self._functions.clear()
        self._functions[key] = function
        self.traces += 1
        return function


def padded_rows(n: int, batch_size: int) -> int:
    """The power of two at or above n (and at most ``batch_size``)."""
    return min(1 << max(n - 1, 0).bit_length(), max(batch_size, n))


# Rows predicted per batch unless predict__batch_size says otherwise; a
# request of at most this many rows is one direct batch call.
PREDICT_BATCH = 1024
# predict encodes, predicts and decodes at most this many rows at a time
PREDICT_CHUNK = 16384


def by_chunks(X, n: int, predict_rows):
    """``predict_rows(rows)`` (a dict of per-head arrays) on each chunk of rows of X, joined.

    Large inputs are encoded, predicted and decoded a chunk of
    :data:`PREDICT_CHUNK` rows at a time, so memory holds one chunk's
    encoded inputs and raw outputs, not the whole input's. The chunks'
    per-head arrays are joined in order; the caller rebuilds y's container
    once, from the whole.
    """
    if n <= PREDICT_CHUNK:
        return predict_rows(X)
    return concat_heads([predict_rows(rows) for rows in row_chunks(X, n, PREDICT_CHUNK)])


def row_chunks(X, n: int, size: int):
    """Yield consecutive row slices of X (DataFrame, dict of arrays or array-like)."""
    for start in range(0, n, size):
        stop = min(start + size, n)
        if isinstance(X, (pd.DataFrame, pd.Series)):
            yield X.iloc[start:stop]
        elif isinstance(X, dict):
            yield {k: v[start:stop] for k, v in X.items()}
        else:
            yield X[start:stop]
