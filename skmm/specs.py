"""InputSpec and HeadSpec: plain data that the router, the target splitter and builders share.

A model builder sizes its inputs from :class:`InputSpec` and its outputs from
:class:`HeadSpec`; both come in a :class:`~skmm.meta.ModelMeta`. This module
imports nothing from the rest of skmm but :mod:`skmm.heads` (what a kind
means), so the data layer and the builders can both depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .heads import get_kind

__all__ = ["InputSpec", "HeadSpec"]


@dataclass(frozen=True)
class InputSpec:
    """What a model builder needs to know about one Keras input.

    Attributes
    ----------
    name : str
        The Keras input name (the router's transformer name).
    kind : {"numeric", "tokens"}
        Numeric blocks are float32 features; token blocks are int32 ids.
    shape : tuple of int
        Shape of one sample, e.g. ``(3,)`` for three numeric features.
    dtype : str
        ``"float32"`` or ``"int32"``.
    vocabulary_size : int or None
        For token inputs, the ``input_dim`` an ``Embedding`` needs.
    columns : tuple of str
        The DataFrame columns this input is built from.
    n_values : int or None
        For a numeric input whose first ``n_values`` features are values and
        the rest 0/1 codes (:class:`~skmm.preprocessing.QuantileBins`' bins),
        how many values lead; None when every feature is a value.

    Examples
    --------
    >>> from skmm import InputSpec
    >>> InputSpec("text", "tokens", (20,), "int32", vocabulary_size=500).vocabulary_size
    500
    >>> InputSpec("numeric", "numeric", (66,), "float32", n_values=2).n_values  # + 64 bin codes
    2
    """

    name: str
    kind: str
    shape: tuple
    dtype: str
    vocabulary_size: int | None = None
    columns: tuple = ()
    n_values: int | None = None


@dataclass
class HeadSpec:
    """What a model builder needs to know about one output head.

    Attributes
    ----------
    name : str
        Head (and Keras output) name.
    kind : str
        One of ``binary``, ``multiclass``, ``multilabel-indicator``,
        ``continuous``, ``continuous-multioutput``, ``count``, ``quantile``
        (see :mod:`skmm.heads`).
    n_outputs : int
        Units of the output layer: 1 for binary, continuous and count, the
        number of classes for multiclass, of labels for multilabel, of
        columns for continuous-multioutput, of levels for quantile.
    classes : ndarray or None
        Sorted class labels (multiclass/binary) or label names (multilabel).
    columns : list
        The y columns (or dict key / Series name) this head is built from.
    mean, scale : ndarray or None
        Scaling of a regression head: standardisation of a continuous head
        (``mean`` and ``scale``), the training mean of a count head
        (``scale`` only); None when not scaled.
    dtypes : list
        The dtype of each column in y, restored by ``inverse_transform``.
    quantiles : tuple of float or None
        The levels a quantile head predicts, rising (0.5 among them); None
        for the other kinds.

    Examples
    --------
    >>> from skmm import HeadSpec
    >>> head = HeadSpec("retweets", "count", 1)
    >>> head.is_classification, head.head_kind.activation
    (False, 'exponential')
    """

    name: str
    kind: str
    n_outputs: int
    classes: np.ndarray | None = None
    columns: list = field(default_factory=list)
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    dtypes: list = field(default_factory=list)
    quantiles: tuple | None = None

    @property
    def head_kind(self):
        """The :class:`~skmm.heads.HeadKind` object of :attr:`kind`."""
        return get_kind(self.kind)

    @property
    def is_classification(self) -> bool:
        return self.head_kind.is_classification
