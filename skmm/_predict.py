"""Prediction plumbing: row chunks, padded fixed-shape batches, compiled predict.

Keras' ``model.predict`` builds an iterator and a progress machinery on every
call (about 100 ms on TensorFlow), which dwarfs a one-row prediction. The
estimators instead feed in-memory batches to ``model.predict_on_batch``,
padded to a power-of-two number of rows so that the compiled function is
traced for at most ``log2(batch_size) + 1`` shapes, and they encode and decode
large inputs one chunk of rows at a time so neither the encoded inputs nor
the raw outputs of the whole input exist at once.

On TensorFlow the predict function of a model that keeps predicting (more
than ``XLA_AFTER_CALLS`` batches) is recompiled with XLA (``jit_compile``),
unless the user set ``compile__jit_compile`` themselves: Keras leaves XLA off
on CPU by default, and an LSTM's step loop runs several times faster under
it. JAX always compiles; PyTorch is left as Keras sets it.
"""

from __future__ import annotations

import threading
import warnings
import weakref

import keras
import numpy as np
import pandas as pd

# Compiling a predict function mutates the model: one at a time per process.
_COMPILE_LOCK = threading.Lock()

# model -> whether its predict function runs under XLA. Kept beside the model,
# not on the estimator, so predict leaves the estimator's __dict__ alone and a
# model rebuilt by unpickling starts unprepared.
_XLA: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CALLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
XLA_AFTER_CALLS = 8


def padded_rows(n: int, batch_size: int) -> int:
    """The power of two at or above n (and at most ``batch_size``)."""
    return min(1 << max(n - 1, 0).bit_length(), max(batch_size, n))


def map_arrays(fn, x):
    """Apply fn to every array of a model input structure (array, list or dict)."""
    if isinstance(x, dict):
        return {k: fn(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [fn(v) for v in x]
    return fn(x)


def pad_rows(x, size: int):
    """Zero rows appended to each array up to ``size`` rows."""
    def pad(a):
        extra = size - a.shape[0]
        if extra <= 0:
            return a
        return np.concatenate([a, np.zeros((extra, *a.shape[1:]), dtype=a.dtype)])

    return map_arrays(pad, x)


_MODEL_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lock_for(model) -> threading.Lock:
    lock = _MODEL_LOCKS.get(model)
    if lock is None:
        with _COMPILE_LOCK:
            lock = _MODEL_LOCKS.setdefault(model, threading.Lock())
    return lock


def use_xla_for_predict(model) -> bool:
    """Rebuild ``model``'s predict function under XLA on TensorFlow; True if it did.

    The model's own ``jit_compile`` (used for training) is restored afterwards.
    """
    if keras.backend.backend() != "tensorflow" or getattr(model, "run_eagerly", False):
        return False
    before = model.jit_compile
    if before:
        return False  # already compiled with XLA (a GPU, or the user asked)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Model doesn't support jit_compile": we check
        model.jit_compile = True
        supported = bool(model.jit_compile)
        if supported:
            model.make_predict_function(force=True)
        model.jit_compile = before
    return supported


def predict_on_batch(model, x, allow_xla: bool):
    """``model.predict_on_batch(x)``, under XLA on TensorFlow where allowed and possible.

    XLA is switched on only once a model has answered ``XLA_AFTER_CALLS``
    batches: compiling costs about half a second per model, which a model
    that predicts once or twice (cross-validation, a one-off report) never
    earns back, while a model serving requests does within seconds.
    """
    if model not in _XLA:
        calls = _CALLS.get(model, 0) + 1
        _CALLS[model] = calls
        if not allow_xla or calls > XLA_AFTER_CALLS:
            with _COMPILE_LOCK:
                if model not in _XLA:
                    _XLA[model] = allow_xla and use_xla_for_predict(model)
    try:
        if keras.backend.backend() == "tensorflow":
            return model.predict_on_batch(x)
        # JAX (and torch) thread the model's state through predict_on_batch and write
        # it back: two threads at once would use buffers the other just gave away
        with _lock_for(model):
            return model.predict_on_batch(x)
    except Exception:
        if not _XLA.get(model):
            raise
        # an op XLA cannot compile: back to Keras' own predict function for good
        with _COMPILE_LOCK:
            _XLA[model] = False
            model.make_predict_function(force=True)
        return model.predict_on_batch(x)


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


def concat_predictions(parts):
    """Join per-chunk predictions of the same container kind, in order."""
    first = parts[0]
    if len(parts) == 1:
        return first
    if isinstance(first, (pd.DataFrame, pd.Series)):
        return pd.concat(parts)
    if isinstance(first, dict):
        return {k: np.concatenate([p[k] for p in parts]) for k in first}
    if isinstance(first, pd.api.extensions.ExtensionArray):
        return type(first)._concat_same_type(parts)
    return np.concatenate(parts)
