"""Early stopping for one fit: skmm's callback, unless the user gave one, and its held-out rows."""

from __future__ import annotations

import keras
import numpy as np

from ._inputs import take_rows

# early_stopping="auto" stops early from this many training samples on, holding
# out this share of them when no validation_split is given.
AUTO_EARLY_STOPPING_SAMPLES = 1000
EARLY_STOPPING_FRACTION = 0.1


def stops_early(early_stopping, n):
    """Whether a fit on ``n`` samples stops early under the ``early_stopping`` parameter."""
    if early_stopping == "auto":
        return n >= AUTO_EARLY_STOPPING_SAMPLES
    return bool(early_stopping)


def add_early_stopping(callbacks, patience):
    """Append skmm's ``EarlyStopping`` on ``val_loss``, unless ``callbacks`` has one.

    The user's own ``EarlyStopping`` (say on one head's validation metric)
    takes its place, on the same held-out rows.
    """
    if not any(isinstance(cb, keras.callbacks.EarlyStopping) for cb in callbacks):
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True))


def hold_out(dicts, seed):
    """Split every dict of per-sample arrays into (training rows, held-out rows).

    A random :data:`EARLY_STOPPING_FRACTION` of the rows (at least one),
    drawn with ``seed``, is held out; both parts keep the rows' order.

    Returns
    -------
    train, held_out : tuple of dicts, in the order of ``dicts``
    """
    n = len(next(iter(dicts[0].values())))
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, int(round(EARLY_STOPPING_FRACTION * n)))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return (tuple(take_rows(d, train) for d in dicts),
            tuple(take_rows(d, val) for d in dicts))
