"""Training settings of one fit: "auto" batch size and learning rate, early stopping,
and which rows train and which validate.

Early stopping is skmm's callback unless the user gave one, on held-out rows.
"""

from __future__ import annotations

import math

import keras
import numpy as np

# early_stopping="auto" stops early from this many training samples on, holding
# out this share of them when no validation_split is given.
AUTO_EARLY_STOPPING_SAMPLES = 1000
EARLY_STOPPING_FRACTION = 0.1
# ... and every epoch without a better validation loss multiplies the learning rate by this
PLATEAU_FACTOR = 0.25


# batch_size="auto": the power of two nearest n / 64, within these bounds (from 256 to 1024 the
# fit on 200k films got 5x faster on one core and scored no worse, benchmarks/scaling.py;
# 2048 was no faster)
AUTO_BATCH_RANGE = (32, 1024)
# learning_rate="auto": Adam's 1e-3 at batch 32, growing with the square root of the batch
BASE_LEARNING_RATE, BASE_BATCH = 1e-3, 32


def auto_batch_size(n):
    """The ``batch_size="auto"`` of a fit on ``n`` samples.

    32 up to 2,896 samples, 256 from 11,586 to 23,170, 512 up to 46,340 and
    1,024 from 46,341. Small data keeps many steps per epoch; large data takes
    fewer, larger steps, which a CPU runs several times faster per sample.
    """
    low, high = AUTO_BATCH_RANGE
    nearest = 1 << max(0, round(math.log2(max(n, 1) / 64)))
    return int(min(high, max(low, nearest)))


def auto_learning_rate(batch_size):
    """The ``learning_rate="auto"`` for a batch size: 1e-3 at 32, 2.8e-3 at 256, 5.7e-3 at 1,024."""
    return BASE_LEARNING_RATE * (batch_size / BASE_BATCH) ** 0.5


def batch_and_learning_rate(batch_size, learning_rate, n, previous=None, shards=1):
    """The batch size and learning rate a fit on ``n`` samples trains with.

    "auto" batch sizes follow :func:`auto_batch_size` and "auto" learning
    rates :func:`auto_learning_rate`. A fit that goes on training a compiled
    model (``warm_start``, ``partial_fit``) passes ``previous``, the
    ``(batch_size, learning_rate)`` of the fit that compiled it: an "auto"
    batch size stays, and so does the learning rate the optimizer has. A fit
    whose batches are split over ``shards`` devices needs a batch size that
    is a multiple of it: "auto" rounds up, a number that is not is refused.
    """
    auto = batch_size == "auto"
    if previous is not None and previous[0] is not None:
        batch_size, learning_rate = (previous[0] if auto else batch_size), previous[1]
    elif auto:
        batch_size = auto_batch_size(n)
    if auto:
        batch_size = -(-batch_size // shards) * shards
    if learning_rate == "auto":
        learning_rate = auto_learning_rate(batch_size)
    if batch_size % shards:
        raise ValueError(
            f"batch_size={batch_size} does not split over the {shards} devices of the "
            f"distribution; use a multiple of {shards} (or batch_size='auto')."
        )
    return batch_size, learning_rate


def stops_early(early_stopping, n):
    """Whether a fit on ``n`` samples stops early under the ``early_stopping`` parameter."""
    if early_stopping == "auto":
        return n >= AUTO_EARLY_STOPPING_SAMPLES
    return bool(early_stopping)


def add_early_stopping(callbacks, patience, optimizer=None):
    """Append skmm's ``EarlyStopping`` on ``val_loss``, its learning-rate drops and averaging.

    The user's own ``EarlyStopping`` (say on one head's validation metric)
    takes the place of skmm's, on the same held-out rows, and then nothing
    is averaged. Each epoch that does not improve the validation loss also
    divides the learning rate by 4 (``ReduceLROnPlateau``), unless
    ``callbacks`` already steer the learning rate or ``optimizer`` follows a
    ``LearningRateSchedule``.
    """
    if not any(isinstance(cb, keras.callbacks.EarlyStopping) for cb in callbacks):
        # WeightAverage sets the final weights, so EarlyStopping keeps no copy of its own
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience))
        callbacks.append(WeightAverage())
    steered = any(isinstance(cb, (keras.callbacks.ReduceLROnPlateau,
                                  keras.callbacks.LearningRateScheduler)) for cb in callbacks)
    scheduled = optimizer is not None and isinstance(
        optimizer.get_config().get("learning_rate"), dict)
    if not (steered or scheduled):
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=PLATEAU_FACTOR, patience=1))


class WeightAverage(keras.callbacks.Callback):
    """End training with the mean of the weights from the epoch before the best one on.

    The weights of the epochs around the lowest validation loss, the last
    ones trained at a dropping learning rate, lie in the same minimum; their
    mean (stochastic weight averaging, Izmailov et al. 2018) sits nearer its
    middle and predicts better on new rows than any one epoch's weights did
    on the quality benchmark. It keeps at most ``patience + 2`` copies of the
    weights, and leaves integer state (random-generator seeds) as it is.
    """

    def __init__(self, monitor="val_loss"):
        super().__init__()
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        self._best, self._snapshots = np.inf, []

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        self._snapshots.append(self.model.get_weights())
        if value < self._best:
            self._best = value
            self._snapshots = self._snapshots[-2:]  # the epoch before the best one, and it

    def on_train_end(self, logs=None):
        if len(self._snapshots) > 1:
            self.model.set_weights([
                np.mean(ws, axis=0).astype(ws[-1].dtype)
                if np.issubdtype(ws[-1].dtype, np.floating) else ws[-1]
                for ws in zip(*self._snapshots, strict=True)])
        self._snapshots = []


def split_rows(rows, validation_split, stop_early, seed, shards=1):
    """The rows a fit trains on and the rows it validates on.

    ``validation_split`` holds out the last rows, as Keras does
    (:meth:`~skmm._rows.Rows.split`); otherwise a fit that stops early holds
    out a random :data:`EARLY_STOPPING_FRACTION` of them, drawn with ``seed``
    (:meth:`~skmm._rows.Rows.hold_out`). With ``shards`` > 1 both parts are
    padded with rows of weight zero to split evenly over the devices
    (:meth:`~skmm._rows.Rows.pad_to`).

    Parameters
    ----------
    rows : skmm._rows.Rows
        Inputs, encoded targets and per-head weights of the fit.

    Returns
    -------
    train : Rows
    validation : Rows, or None when nothing is held out
    """
    if validation_split:
        train, validation = rows.split(validation_split)
    elif stop_early:
        train, validation = rows.hold_out(EARLY_STOPPING_FRACTION, seed)
    else:
        train, validation = rows, None
    if shards > 1:
        train = train.pad_to(shards)
        validation = None if validation is None else validation.pad_to(shards)
    return train, validation
