"""The rows of one fit: input arrays, encoded targets and per-head weights, kept aligned.

:class:`Rows` is the one place rows are counted, taken, split into training
and validation rows and padded: training holds out validation rows by Keras'
rule (:meth:`Rows.split`) or at random for early stopping
(:meth:`Rows.hold_out`), pads to a multiple of the device count with rows of
weight zero (:meth:`Rows.pad_to`), and prediction cuts its inputs into
batches padded with zero rows (:meth:`Rows.zero_pad`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# At most this many identical rows (inputs and targets) count as copies of one row, which
# early stopping holds out together; more are a value the data holds often
MAX_COPIES = 20


def _take(arrays, idx):
    return {k: v[idx] for k, v in arrays.items()}


@dataclass(frozen=True)
class Rows:
    """Per-row arrays that travel together: ``inputs``, ``targets`` and ``weights``.

    Every array of the three dicts has the same number of rows. Taking,
    splitting or padding returns new :class:`Rows` and leaves these alone.
    A ``Rows`` unpacks as ``inputs, targets, weights``.

    Parameters
    ----------
    inputs : dict of str -> ndarray
        The model's input arrays, by input name.
    targets : dict of str -> ndarray, default={}
        Encoded targets, by head.
    weights : dict of str -> ndarray, default={}
        Per-head sample weights, by head.

    Examples
    --------
    >>> import numpy as np
    >>> rows = Rows({"x": np.arange(5.0)}, {"h": np.arange(5) * 2}, {"h": np.ones(5)})
    >>> train, validation = rows.split(0.4)
    >>> train.n, validation.targets["h"].tolist()
    (3, [6, 8])
    >>> padded = train.pad_to(2)
    >>> padded.inputs["x"].tolist(), padded.weights["h"].tolist()
    ([0.0, 1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 0.0])
    """

    inputs: dict
    targets: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)

    def __iter__(self):
        return iter((self.inputs, self.targets, self.weights))

    @property
    def n(self) -> int:
        """The number of rows."""
        return len(next(iter(self.inputs.values())))

    @property
    def weighted(self) -> bool:
        """Whether any row weighs other than 1 for some head (else Keras needs no weights)."""
        return any((w != 1.0).any() for w in self.weights.values())

    def take(self, idx) -> Rows:
        """The rows ``idx`` (indices, a mask or a slice) of every array."""
        return Rows(_take(self.inputs, idx), _take(self.targets, idx), _take(self.weights, idx))

    def split(self, validation_split) -> tuple[Rows, Rows]:
        """(training rows, validation rows) by Keras' rule: the last rows validate.

        The first ``floor(n * (1 - validation_split))`` rows train; a share
        that leaves either part empty is refused.
        """
        n = self.n
        split_at = int(math.floor(n * (1.0 - validation_split)))
        if split_at in (0, n):
            raise ValueError(
                f"validation_split={validation_split} leaves no rows to train or to validate "
                f"on among {n} samples; use a share that keeps both parts non-empty."
            )
        return self.take(np.arange(split_at)), self.take(np.arange(split_at, n))

    def hold_out(self, fraction, seed) -> tuple[Rows, Rows]:
        """(training rows, held-out rows): a random ``fraction`` of the rows held out.

        At least one row is held out, drawn with ``seed``; both parts keep
        the rows' order. Copies of a row (the same inputs and the same
        targets, at most :data:`MAX_COPIES` times, as resampled or
        oversampled tables repeat rows) stay on one side: a copy of a
        training row among the held-out rows scores what the model
        memorised, so early stopping would stop late or never
        (:func:`duplicate_groups`). A group of more identical rows than that
        is a value the data holds often (a common category), not a copy,
        and its rows are split like any others. Groups are held out in the
        order the shuffle first reaches one of their rows until ``fraction``
        of the rows are (overshooting by less than one group), so data
        without copies is split exactly as by a plain shuffle.
        """
        n = self.n
        order = np.random.default_rng(seed).permutation(n)
        n_val = max(1, int(round(fraction * n)))
        held = order[:n_val]
        groups = duplicate_groups({**self.inputs, **self.targets}, n)
        if groups is not None:
            sizes = np.bincount(groups)
            # the rows of a value the data holds often each stand alone (new group numbers)
            groups = np.where(sizes[groups] > min(MAX_COPIES, n_val), len(sizes) + np.arange(n),
                              groups)
            sizes = np.bincount(groups)
            shuffled = groups[order]
            ranked = shuffled[np.sort(np.unique(shuffled, return_index=True)[1])]  # as met
            taken = int(np.searchsorted(np.cumsum(sizes[ranked]), n_val)) + 1
            grouped = np.flatnonzero(np.isin(groups, ranked[:taken]))
            if len(grouped) == n:  # never all: the last group taken trains
                grouped = np.flatnonzero(np.isin(groups, ranked[:taken - 1]))
            if len(grouped):
                held = grouped
        mask = np.zeros(n, dtype=bool)
        mask[held] = True
        return self.take(np.flatnonzero(~mask)), self.take(np.flatnonzero(mask))

    def pad_to(self, shards) -> Rows:
        """These rows padded to a multiple of ``shards``, so each batch splits over devices.

        The added rows (fewer than ``shards``) repeat the first rows and weigh
        zero for every head, so they add nothing to the loss.
        """
        n = self.n
        extra = -n % shards
        if not extra:
            return self
        padded = self.take(np.concatenate([np.arange(n), np.arange(extra) % n]))
        weights = {head: np.concatenate([w[:n], np.zeros(extra, dtype=w.dtype)])
                   for head, w in padded.weights.items()}
        return Rows(padded.inputs, padded.targets, weights)

    def zero_pad(self, size) -> Rows:
        """These rows with rows of zeros appended up to ``size`` rows (none past it)."""
        def pad(a):
            extra = size - a.shape[0]
            if extra <= 0:
                return a
            return np.concatenate([a, np.zeros((extra, *a.shape[1:]), dtype=a.dtype)])

        return Rows(*({k: pad(v) for k, v in part.items()} for part in self))


def duplicate_groups(inputs, n):
    """Per row, the number of its group of identical rows; None when all differ.

    ``inputs``: name -> array with ``n`` rows (any shape and dtype, the
    strings of an object array included). Rows are compared by a 64-bit hash
    of their values in every input (pandas' ``hash_pandas_object``): about
    0.3 s for 200,000 rows of 100 values, growing with the width; two different rows sharing a
    hash, which is about as likely as 1 in 10^9 at that size, would only
    be kept on the same side of a split. Group numbers follow the rows'
    first appearance.
    """
    if n < 2 or not inputs:
        return None
    try:
        hashes = [pd.util.hash_pandas_object(
                      pd.DataFrame(np.asarray(a).reshape(n, -1), copy=False), index=False
                  ).to_numpy() for a in inputs.values()]
    except TypeError:  # values pandas cannot hash (lists in an object array): rows as distinct
        return None
    key = hashes[0] if len(hashes) == 1 else pd.util.hash_pandas_object(
        pd.DataFrame(np.column_stack(hashes)), index=False).to_numpy()
    groups, uniques = pd.factorize(key)
    return None if len(uniques) == n else groups
