"""Seeding scoped to one fit: seed everything, train, put every generator back.

``keras.utils.set_random_seed`` seeds Python, NumPy, TensorFlow (when
loaded), PyTorch (when the backend) and resets Keras' global seed generator,
and leaves all of that behind. skmm promises no global state change, so this
context manager saves each of those states first and restores them after.
Keras has no public API to read or restore its global seed generator, so the
one private access of the package lives here, guarded: if Keras moves it,
seeding still works and only that one restore is skipped.
"""

from __future__ import annotations

import contextlib
import random
import sys

import keras
import numpy as np

try:  # private: Keras offers no public way to save/restore its global seed state
    from keras.src.backend.common import global_state as _keras_global_state
except ImportError:  # pragma: no cover - depends on Keras internals
    _keras_global_state = None

_KERAS_KEYS = ("global_random_seed", "global_seed_generator")


def _save_backends():
    saved = {}
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        saved["tf"] = tf.compat.v1.random.get_seed(None)[0]
    torch = sys.modules.get("torch")
    if torch is not None and keras.config.backend() == "torch":
        saved["torch"] = torch.random.get_rng_state()
    if _keras_global_state is not None:
        saved["keras"] = {k: _keras_global_state.get_global_attribute(k) for k in _KERAS_KEYS}
    return saved


def _restore_backends(saved):
    if "tf" in saved:
        sys.modules["tensorflow"].random.set_seed(saved["tf"])
    if "torch" in saved:
        sys.modules["torch"].random.set_rng_state(saved["torch"])
    for key, value in saved.get("keras", {}).items():
        _keras_global_state.set_global_attribute(key, value)


@contextlib.contextmanager
def scoped_seed(seed):
    """Seed every generator Keras uses for the duration of the block.

    ``seed=None`` does nothing. Python's and NumPy's global generators,
    TensorFlow's global seed, PyTorch's generator and Keras' global seed
    generator are all put back as they were when the block exits.
    """
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    backends = _save_backends()
    keras.utils.set_random_seed(int(seed))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002
        _restore_backends(backends)
