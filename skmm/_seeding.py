"""Seeding scoped to one fit: seed everything, train, put every generator back.

``keras.utils.set_random_seed`` seeds Python, NumPy, TensorFlow (whenever
installed, importing it), PyTorch (when the backend) and resets Keras' global
seed generator, and leaves all of that behind. skmm takes the same steps but
seeds TensorFlow only when it is the backend or already imported. skmm
promises no global state change, so this context manager saves each of those
states first and restores them after.
Keras has no public API to read or restore its global seed generator, nor to
give its default-seed maker a generator of its own, so the package's two
private Keras accesses live here, guarded: if Keras moves them, seeding falls
back to ``keras.utils.set_random_seed`` and only the restore (or the isolation
from other threads) is skipped.
"""

from __future__ import annotations

import contextlib
import numbers
import random
import sys
import threading

import keras
import numpy as np
from sklearn.utils import check_random_state

try:  # private: Keras offers no public way to save/restore its global seed state
    from keras.src.backend.common import global_state as _keras_global_state
except ImportError:  # pragma: no cover - depends on Keras internals
    _keras_global_state = None
try:  # private: where Keras draws default seeds from Python's random module
    from keras.src.random import seed_generator as _keras_seed_generator
except ImportError:  # pragma: no cover - depends on Keras internals
    _keras_seed_generator = None

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


def seed_of(random_state):
    """The integer seed of an estimator's ``random_state`` (None stays None)."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


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
    with _SEEDED:
        py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
        backends = _save_backends()
        _set_random_seed(int(seed))
        shared = _swap_keras_python_random(random.Random(int(seed)))
        try:
            yield
        finally:
            _swap_keras_python_random(shared)
            random.setstate(py_state)
            np.random.set_state(np_state)  # noqa: NPY002
            _restore_backends(backends)


def _set_random_seed(seed):
    """``keras.utils.set_random_seed``, without importing TensorFlow only to seed it.

    Keras' function seeds TensorFlow whenever it is installed, which costs a
    TensorFlow import (seconds, hundreds of MiB) on the first seeded fit of
    every JAX or PyTorch process. TensorFlow is seeded here when it is the
    backend or already imported; otherwise nothing of it can draw during the
    fit. The steps are Keras' own, in its order.
    """
    if (keras.config.backend() == "tensorflow" or "tensorflow" in sys.modules
            or _keras_global_state is None):
        keras.utils.set_random_seed(seed)
        return
    for key, value in zip(_KERAS_KEYS, (seed, None), strict=True):
        _keras_global_state.set_global_attribute(key, value)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002
    if keras.config.backend() == "torch":
        import torch

        torch.manual_seed(seed)


# Seeded blocks change process-wide generators: one thread at a time (reentrant,
# so a seeded fit may call another).
_SEEDED = threading.RLock()


def _swap_keras_python_random(generator):
    """Give Keras' default-seed maker its own Python generator; returns the old one.

    Keras draws the seed of every layer initialiser without one from Python's
    *global* ``random`` module. In a process where another thread also uses it
    (a Dask worker's event loop does), seeding that global state does not make
    a fit repeatable: the other thread's draws land between ours. A private
    ``random.Random(seed)`` for the block does. Private Keras module, guarded:
    if it moves, the global generator (seeded above) is used as before.
    """
    if _keras_seed_generator is None or not hasattr(_keras_seed_generator, "python_random"):
        return generator
    previous = _keras_seed_generator.python_random
    _keras_seed_generator.python_random = generator
    return previous
