"""Keras models to bytes and back, in Keras' native ``.keras`` format.

Used by the estimators' pickling (``__getstate__``/``__setstate__``), so
pickle, joblib, ``copy.deepcopy`` and ``GridSearchCV(n_jobs=2)`` carry a fitted
model without relying on how a backend pickles its tensors.
"""

from __future__ import annotations

import os
import tempfile

import keras

__all__ = ["model_to_bytes", "model_from_bytes"]


def model_to_bytes(model: keras.Model) -> bytes:
    """The model (architecture, weights, compile and optimizer state) as ``.keras`` bytes."""
    with tempfile.TemporaryDirectory(prefix="skmm-") as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def model_from_bytes(data: bytes, safe_mode: bool = True) -> keras.Model:
    """Load a model written by :func:`model_to_bytes` (Keras' safe mode by default)."""
    with tempfile.TemporaryDirectory(prefix="skmm-") as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        return keras.saving.load_model(path, safe_mode=safe_mode)
