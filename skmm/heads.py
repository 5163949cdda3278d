"""Head kinds: everything one kind of output head means, in one object each.

A *head* is one Keras output; its *kind* says what the targets are and so
what the output layer, the loss, the encoding of y, the decoding of
predictions, ``predict_proba``, the score and the dtype predictions come
back in must be. Each kind is one :class:`HeadKind` subclass here, the way
scikit-learn's losses each carry their link and ``predict_proba``; adding a
kind is adding one class to :data:`KINDS`. Nothing outside this module
branches on a kind: :func:`detect` asks each kind whether a y column is its
own, and the target splitter, the containers and the scores call the kind's
hooks.

The kinds, by the names :class:`~skmm.TargetSplitter` reports (scikit-learn's
``type_of_target`` names, plus ``count``):

=======================  ============  ==============================  ================
kind                     output        default loss                    score
=======================  ============  ==============================  ================
binary                   1, sigmoid    binary cross-entropy            accuracy
multiclass               k, softmax    sparse categorical x-entropy    accuracy
multilabel-indicator     k, sigmoid    binary cross-entropy            subset accuracy
continuous               1, linear     mean squared error              R^2
continuous-multioutput   k, linear     mean squared error              mean R^2
count                    1, exp        Poisson                         D^2 (Poisson)
quantile                 q, monotone   pinball, averaged over levels   D^2 pinball (0.5)
=======================  ============  ==============================  ================

**Labels are compared as values.** A class label that is a number is the
same class whatever its dtype: ``1``, ``1.0``, a nullable ``Int64`` 1, a
pyarrow ``int64`` 1 and a polars ``Int64`` 1 are one class (classes are
kept as ``int64`` when every label is a whole number, as ``float64``
otherwise). Strings stay strings (``"1"`` is not ``1``), bools stay bools,
and one head may not mix them. Predictions come back in the dtype y had.

A class head whose model outputs logits (no activation, with a
``from_logits=True`` loss) is decoded through :meth:`HeadKind.inverse_link`;
:meth:`HeadKind.check_output` decides which a model does, once, when the
model is wired to its heads.

Examples
--------
>>> import numpy as np
>>> from skmm.heads import get_kind
>>> kind = get_kind("count")
>>> kind.activation, kind.default_loss(), kind.is_classification
('exponential', 'poisson', False)
>>> get_kind("binary").inverse_link(np.array([[0.0]]))
array([[0.5]])
>>> canonical_labels(np.array([1, 2.0, np.int8(3)], dtype=object), "grade")
array([1, 2, 3])
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Number

import keras
import numpy as np
import pandas as pd
from scipy.special import expit, softmax
from sklearn.metrics import accuracy_score, d2_pinball_score, d2_tweedie_score, r2_score
from sklearn.utils.multiclass import type_of_target

__all__ = [
    "HeadKind", "KINDS", "get_kind", "detect", "canonical_labels", "class_heads",
    "TargetColumn",
    "CLASSIFICATION_KINDS", "REGRESSION_KINDS",
]

# Output activations that are the identity: the layer outputs logits (or plain values).
_LINEAR = ("linear", None)

# A numeric head that type_of_target calls multiclass but that has more
# distinct values than this is a count or a measurement, not a label.
MAX_AUTO_CLASSES = 30


def _activation_name(layer):
    """Name of the activation a layer ends with ("sigmoid", "linear"...), or "unknown"."""
    act = getattr(layer, "activation", "unknown")
    if act is None or isinstance(act, str):
        return act
    return getattr(act, "__name__", "unknown")


def _loss_from_logits(loss):
    """True/False when a loss says whether it takes logits; None when it cannot say."""
    if isinstance(loss, str):
        return False  # Keras' named losses take probabilities
    if isinstance(loss, keras.losses.Loss):
        from_logits = loss.get_config().get("from_logits")
        return None if from_logits is None else bool(from_logits)
    return None  # unknown, or a plain function: its keyword defaults are its own


# -- label values -------------------------------------------------------------------------

def is_label_dtype(dtype) -> bool:
    """True when a column's dtype means labels (bool, strings, categories, objects)."""
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return True
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def canonical_labels(values, head_name):
    """Labels as one plain numpy array, compared by value whatever dtype they came in.

    Bools become ``bool``; numbers (Python, numpy, nullable or pyarrow) become
    ``int64`` when every one is whole, ``float64`` otherwise; strings stay
    strings in an ``object`` array. Mixing these is an error naming the head.

    Parameters
    ----------
    values : 1-D array-like of labels, none missing
    head_name : str
        Named in the error.

    Returns
    -------
    ndarray
    """
    values = np.asarray(values, dtype=object).reshape(-1)
    if values.size == 0:
        return values
    types = {type(v) for v in values}
    if all(t is bool or t is np.bool_ for t in types):
        return values.astype(bool)
    if all(issubclass(t, Number) and t is not bool and t is not np.bool_ for t in types):
        if all(issubclass(t, (int, np.integer)) for t in types):
            try:  # integers stay exact (2**62 + 1 is not 2**62, as float64 would make it)
                return values.astype(np.int64)
            except OverflowError:
                return values
        numbers = values.astype(np.float64)
        whole = np.isfinite(numbers).all() and (numbers == np.round(numbers)).all()
        return numbers.astype(np.int64) if whole else numbers
    if all(issubclass(t, str) for t in types):
        return values
    names = sorted({t.__name__ for t in types})
    raise ValueError(
        f"TargetSplitter: head {head_name!r} mixes label types {names}; the labels of one "
        "head must all be strings, all numbers or all bools."
    )


def _same_family(a, b):
    """Whether two canonical label arrays can be compared (numbers with numbers...)."""
    def family(arr):
        return "b" if arr.dtype == bool else "n" if arr.dtype.kind in "iuf" else "s"
    return family(a) == family(b)


def matrix_is_one_head(values):
    """Whether a 2-D numeric y array is one head (a 0/1 indicator matrix, or real values).

    Otherwise (labels, or integers of several classes per column) each
    column is a head of its own.
    """
    column = TargetColumn("y", np.asarray(values, dtype=object), [np.asarray(values).dtype])
    if column.labels:
        return False
    return column.type_of_target() in ("multilabel-indicator", "continuous-multioutput")


def class_heads(heads):
    """The names of the heads that predict classes (``predict_proba``, ``classes_``).

    Examples
    --------
    >>> from skmm import HeadSpec
    >>> class_heads({"label": HeadSpec("label", "binary", 1), "price": HeadSpec("price",
    ...                                                                  "continuous", 1)})
    ['label']
    """
    return [name for name, head in heads.items() if head.head_kind.is_classification]


# -- a y column, as detection sees it --------------------------------------------------------

@dataclass
class TargetColumn:
    """What :func:`detect` knows of one head's observed y values.

    Attributes
    ----------
    name : str
    values : ndarray of object, shape (n_observed, n_columns)
    dtypes : list
        y's dtype of each column.
    task : {None, "classification", "regression"}

    Examples
    --------
    >>> import numpy as np
    >>> column = TargetColumn("grade", np.array([[1], [2], [3]], dtype=object), ["Int64"])
    >>> column.width, column.labels, column.type_of_target()
    (1, False, 'multiclass')
    """

    name: str
    values: np.ndarray
    dtypes: list
    task: str | None = None

    @property
    def width(self):
        return self.values.shape[1]

    @property
    def labels(self):
        """Strings, bools, categories (any column of them): labels whatever their count."""
        return any(is_label_dtype(dt) for dt in self.dtypes)

    def numbers(self):
        """The values as float64, or an error naming the head when they are not numbers."""
        try:
            return self.values.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"TargetSplitter: head {self.name!r} must hold numbers; it holds "
                f"{sorted({type(v).__name__ for v in self.values.ravel()})}."
            ) from None

    def type_of_target(self):
        """scikit-learn's ``type_of_target`` of the numbers, with an error naming the head."""
        numbers = self.numbers()
        try:
            return type_of_target(numbers[:, 0] if self.width == 1 else numbers,
                                  input_name=self.name)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"TargetSplitter: cannot tell what kind of target head {self.name!r} is "
                f"({exc})."
            ) from None

    def n_distinct(self):
        """The number of distinct values in the column's first column."""
        return len(pd.unique(self.values[:, 0]))


# -- restoring y's dtype ---------------------------------------------------------------------

def _in_dtype(values, dtype):
    """``values`` in ``dtype`` (numpy or pandas extension); as they are if it cannot hold them."""
    if dtype is None:
        return values
    try:
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # nullable, pyarrow, category
            return pd.array(values, dtype=dtype)
        return np.asarray(values).astype(dtype)
    except (TypeError, ValueError):
        return values


class HeadKind:
    """One kind of head: detection, output layer, loss, metric, encoding, decoding, score.

    Subclasses set the class attributes and override the methods whose
    behaviour differs. All methods take the head's
    :class:`~skmm.specs.HeadSpec` (its classes, columns and scaling) where
    they need it; a kind object itself holds no fitted state.

    Attributes
    ----------
    name : str
        The kind's name, as ``HeadSpec.kind`` and ``TargetSplitter(kinds=...)`` spell it.
    is_classification : bool
        Whether the head predicts labels (``predict_proba``, ``classes_``).
    takes_class_weight : bool
        Whether ``class_weight`` applies: one label per sample, encoded as
        a class index.
    takes_quantiles : bool
        Whether the head predicts quantile levels (``TargetSplitter(quantiles=...)``,
        ``predict_quantiles``).
    activation : str
        Output activation of the default architecture.
    """

    name = ""
    is_classification = False
    takes_class_weight = False
    takes_quantiles = False
    activation = "linear"

    # -- detection -----------------------------------------------------------
    def claims(self, column):
        """Whether an undeclared y column (a :class:`TargetColumn`) is of this kind."""
        return False

    # -- the model side ------------------------------------------------------
    def default_loss(self, from_logits=False, head=None):
        """The Keras loss skmm compiles this head with when none is given."""
        raise NotImplementedError

    def default_metrics(self, from_logits=False):
        """Fresh Keras metrics reported per epoch for this head."""
        return [keras.metrics.MeanAbsoluteError(name="mae")]

    def check_output(self, head, layer, loss, skmm_loss):
        """Check a model's output layer against this head; True when it outputs logits.

        Parameters
        ----------
        head : HeadSpec
        layer : keras.Layer or None
            The layer producing the head's output (None when it is not a layer).
        loss : loss or None
            The loss the head is (or will be) compiled with; None when unknown.
        skmm_loss : bool
            True when skmm chooses the loss, so it can pick ``from_logits``.

        Returns
        -------
        bool
            Whether predictions are logits that :meth:`inverse_link` must map.
        """
        return False

    def inverse_link(self, raw):
        """Model outputs -> the scale :meth:`decode` reads (identity unless logits)."""
        return raw

    def build_output(self, head, x, name, own):
        """The default model's output of this head on features ``x``, named ``name``.

        ``own(suffix)`` names any layer before the output (never an output's name).
        """
        return keras.layers.Dense(head.n_outputs, activation=self.activation, name=name)(x)

    def outputs_meaning(self, head):
        """What the head's output units are, for an error about their number."""
        return ""

    # -- the data side -------------------------------------------------------
    def fit(self, head, column, standardize, classes=None):
        """Learn the head's classes or scaling from its observed :class:`TargetColumn`."""
        head.n_outputs = column.width

    def encode(self, head, values, n_rows, observed):
        """Encoded targets of shape the model's loss wants; rows not observed are 0."""
        out = np.zeros((n_rows, head.n_outputs), dtype=np.float32)
        out[observed] = self._numbers(head, values)
        return out

    def decode(self, head, raw):
        """Model outputs (or encodings) -> labels or values in y's units."""
        raise NotImplementedError

    def truth(self, head, values, encoded):
        """y's own values as :meth:`decode` shapes them (for scores); NaN where missing."""
        numbers = np.where(pd.isna(values), np.nan, values).astype(np.float64)
        return numbers[:, 0] if head.n_outputs == 1 and numbers.shape[1] == 1 else numbers

    def restore(self, head, values, dtype):
        """Decoded values of one y column in the dtype y had (numbers stay float)."""
        if dtype is not None and pd.api.types.is_float_dtype(dtype):
            return _in_dtype(values, dtype)  # float32, Float64, double[pyarrow]...
        return np.asarray(values, dtype=np.float64)

    def predict_proba(self, head, raw):
        """Class probabilities from model outputs; None for heads without classes."""
        return None

    def score(self, y_true, y_pred, sample_weight=None):
        """The head's default score of decoded predictions (greater is better)."""
        raise NotImplementedError

    @staticmethod
    def _numbers(head, values):
        try:
            numbers = values.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"TargetSplitter: head {head.name!r} ({head.kind}) must hold numbers."
            ) from None
        if not np.isfinite(numbers).all():  # missing labels were masked before: these are inf
            raise ValueError(
                f"TargetSplitter: head {head.name!r} ({head.kind}) has infinite values "
                "(Input y contains infinity); give finite numbers, or leave the label missing "
                "(NaN) to mask that sample for this head."
            )
        return numbers

    def __repr__(self):
        return f"{type(self).__name__}()"


class _ClassKind(HeadKind):
    """Shared by the class kinds: probabilities in [0, 1] or logits."""

    is_classification = True
    # the default loss by name, and its class for a model that outputs logits
    loss, loss_class = "binary_crossentropy", keras.losses.BinaryCrossentropy

    def default_loss(self, from_logits=False, head=None):
        return self.loss_class(from_logits=True) if from_logits else self.loss

    def default_metrics(self, from_logits=False):
        # on logits the decision boundary is 0, not 0.5
        threshold = 0.0 if from_logits else 0.5
        return [keras.metrics.BinaryAccuracy(name="accuracy", threshold=threshold)]

    def check_output(self, head, layer, loss, skmm_loss):
        activation = _activation_name(layer)
        from_logits = _loss_from_logits(loss)
        if activation in _LINEAR:
            if skmm_loss or from_logits:
                return True
            expects = "expects probabilities" if from_logits is False else (
                "may expect probabilities (skmm cannot tell)")
            raise ValueError(
                f"Output {head.name!r} ({head.kind}) has no activation, so it outputs logits, "
                f"but its loss {loss!r} {expects}. Give the output layer "
                f"activation={self.activation!r}, or a loss with from_logits=True."
            )
        if from_logits and activation in ("sigmoid", "softmax"):
            raise ValueError(
                f"Output {head.name!r} ({head.kind}) ends with a {activation} but its loss has "
                "from_logits=True: the probabilities would be squashed twice. Drop one of them."
            )
        return bool(from_logits)

    def restore(self, head, values, dtype):
        return _in_dtype(values, dtype)

    def truth(self, head, values, encoded):
        return self.decode(head, encoded)

    @classmethod
    def _holds(cls, dtype, classes):
        """Whether y's dtype holds every class unchanged (declared classes may not fit it:
        a longer string than ``<U2``, 300 in ``int8``, a category y never had).

        Asked on every ``predict`` with the same fitted dtype and classes, so the
        answer is kept per (dtype, classes); about 40 us of a 1.5 ms one-row call.
        """
        try:
            key = (dtype, classes.dtype.str, tuple(classes.tolist()))
            return _HOLDS[key]
        except TypeError:  # an unhashable dtype or class: ask every time
            return cls._ask_holds(dtype, classes)
        except KeyError:
            if len(_HOLDS) >= 256:
                _HOLDS.clear()
            _HOLDS[key] = answer = cls._ask_holds(dtype, classes)
            return answer

    @staticmethod
    def _ask_holds(dtype, classes):
        if isinstance(dtype, pd.CategoricalDtype):  # (pandas deprecates casting to a new one)
            return all(c in dtype.categories for c in classes.tolist())
        cast = _in_dtype(classes, dtype)
        if cast is classes:
            return dtype is None
        back = pd.Series(np.asarray(cast, dtype=object)).tolist()
        return all(a == b and not pd.isna(a) for a, b in zip(back, classes.tolist(),
                                                              strict=True))

    def score(self, y_true, y_pred, sample_weight=None):
        return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))

    @staticmethod
    def _probabilities(head, raw):
        p = np.asarray(raw, dtype=np.float64)
        if p.size and (np.nanmin(p) < 0.0 or np.nanmax(p) > 1.0):
            raise ValueError(
                f"Head {head.name!r} ({head.kind}): the model's outputs lie in "
                f"[{np.nanmin(p):.3g}, {np.nanmax(p):.3g}], not [0, 1], so they are not "
                "probabilities. End the output layer with a sigmoid/softmax, or compile it "
                "with a from_logits=True loss."
            )
        return p.reshape(len(p), head.n_outputs)


# (y's dtype, the classes' dtype, the classes) -> whether the dtype holds every class
_HOLDS = {}


class _LabelKind(_ClassKind):
    """One label per sample out of ``head.classes``: binary and multiclass."""

    takes_class_weight = True

    def fit(self, head, column, standardize, classes=None):
        observed = canonical_labels(column.values[:, 0], head.name)
        try:
            found = np.unique(observed)
        except TypeError:  # unorderable (e.g. str subclasses that refuse <)
            found = np.asarray(pd.unique(observed))
        if classes is not None:
            declared = np.unique(canonical_labels(classes, head.name))
            unseen = [c for c in found.tolist() if c not in declared.tolist()] if (
                _same_family(found, declared)) else found.tolist()
            if unseen:
                raise ValueError(
                    f"TargetSplitter: classes= for head {head.name!r} lacks labels "
                    f"{unseen[:10]} seen in y; declare every class."
                )
            found = declared
        if len(found) < 2:
            raise ValueError(
                f"TargetSplitter: head {head.name!r} has only one class {found.tolist()}; a "
                "classification head needs at least two classes in the training data (with "
                "partial_fit, declare them all on the first call: classes={head: labels})."
            )
        head.classes = found
        head.n_outputs = self.n_outputs(found)

    def n_outputs(self, classes):
        """The number of output units a head with these classes needs."""
        raise NotImplementedError

    def indices(self, head, col):
        """Index of each label in ``head.classes``; unseen labels are an error naming them."""
        labels = canonical_labels(col, head.name)
        classes = head.classes
        if _same_family(labels, classes):
            if "f" in (classes.dtype.kind, labels.dtype.kind):  # numbers as numbers: 1 == 1.0
                labels, classes = labels.astype(np.float64), classes.astype(np.float64)
            idx = np.clip(np.searchsorted(classes, labels), 0, len(classes) - 1)
            unknown = np.asarray(classes[idx] != labels, dtype=bool)
        else:
            idx, unknown = np.zeros(len(labels), dtype=np.intp), np.ones(len(labels), bool)
        if unknown.any():
            found = pd.unique(np.asarray(col, dtype=object)[unknown]).tolist()
            raise ValueError(
                f"TargetSplitter: head {head.name!r} has labels {found[:10]} not seen in "
                f"fit; known classes are {head.classes.tolist()} (with partial_fit, declare "
                "every class on the first call: classes={head: labels})."
            )
        return idx

    def decode_indices(self, head, idx):
        """The labels at class indices ``idx`` of ``head``."""
        return head.classes[np.asarray(idx).astype(np.intp)]

    def restore(self, head, values, dtype):
        # labels in y's dtype when it holds every class; else as the classes are, never cut
        return _in_dtype(values, dtype) if self._holds(dtype, head.classes) else values


def declare_classes(head, classes):
    """``head`` refitted on its classes and ``classes`` (binary or multiclass by their count).

    For ``TargetSplitter.set_classes``: a head fitted on two classes that
    learns of a third becomes multiclass.
    """
    from .specs import HeadSpec

    labels = canonical_labels(classes, head.name)
    kind = detect(TargetColumn(head.name, np.asarray(labels, dtype=object)[:, None],
                               head.dtypes, task="classification"))
    new = HeadSpec(name=head.name, kind=kind.name, n_outputs=1, columns=list(head.columns),
                   dtypes=list(head.dtypes))
    # fitted on the classes seen so far: fit refuses declared classes that lack one of them
    seen = TargetColumn(head.name, np.asarray(head.classes, dtype=object)[:, None], head.dtypes)
    kind.fit(new, seen, False, classes=labels)
    return new


class BinaryKind(_LabelKind):
    """Two classes; one sigmoid unit giving the probability of ``classes[1]``."""

    name = "binary"
    activation = "sigmoid"

    def claims(self, column):
        if column.width != 1 or column.task == "regression":
            return False
        if column.labels:
            return column.n_distinct() <= 2  # one class is reported by fit
        return column.type_of_target() == "binary"

    def n_outputs(self, classes):
        """One sigmoid unit, whatever the two labels are."""
        return 1

    def inverse_link(self, raw):
        return expit(np.asarray(raw, dtype=np.float64))

    def encode(self, head, values, n_rows, observed):
        out = np.zeros((n_rows, 1), dtype=np.float32)
        out[observed, 0] = self.indices(head, values[:, 0])
        return out

    def decode(self, head, raw):
        return self.decode_indices(head, self._probabilities(head, raw)[:, -1] > 0.5)

    def predict_proba(self, head, raw):
        p = self._probabilities(head, raw)[:, -1]
        return np.column_stack([1.0 - p, p])


class MulticlassKind(_LabelKind):
    """More than two classes; ``k`` softmax units, targets as class indices."""

    name = "multiclass"
    activation = "softmax"
    loss, loss_class = "sparse_categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy

    def claims(self, column):
        if column.width != 1 or column.task == "regression":
            return False
        if column.labels:
            return True
        if column.type_of_target() != "multiclass":
            return False
        if column.task == "classification":
            return True
        # whole-valued floats (1.0, 2.0, 3.0) are measurements, and integers with many
        # distinct values counts: labels only when y says so (task or kinds=)
        return (not pd.api.types.is_float_dtype(column.dtypes[0])
                and column.n_distinct() <= MAX_AUTO_CLASSES)

    def n_outputs(self, classes):
        """One softmax unit per class."""
        return len(classes)

    def default_metrics(self, from_logits=False):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def inverse_link(self, raw):
        return softmax(np.asarray(raw, dtype=np.float64), axis=-1)

    def encode(self, head, values, n_rows, observed):
        out = np.zeros(n_rows, dtype=np.int32)
        out[observed] = self.indices(head, values[:, 0])
        return out

    def decode(self, head, raw):
        r = np.asarray(raw)
        if r.ndim == 2 and r.shape[1] > 1:
            idx = self._probabilities(head, r).argmax(axis=1)
        else:  # class indices (an encoding)
            idx = r.reshape(-1)
        return self.decode_indices(head, idx)

    def predict_proba(self, head, raw):
        return self._probabilities(head, raw)


class MultilabelKind(_ClassKind):
    """Several 0/1 labels at once; ``k`` sigmoid units."""

    name = "multilabel-indicator"
    activation = "sigmoid"
    inverse_link = BinaryKind.inverse_link

    def claims(self, column):
        return (column.width > 1 and column.task != "regression" and not column.labels
                and column.type_of_target() == "multilabel-indicator")

    def fit(self, head, column, standardize, classes=None):
        head.classes = np.asarray(
            head.columns if head.columns[0] is not None else range(column.width), dtype=object
        )
        head.n_outputs = column.width

    def encode(self, head, values, n_rows, observed):
        numbers = self._numbers(head, values)
        if not np.isin(numbers, (0, 1)).all():
            raise ValueError(
                f"TargetSplitter: multilabel head {head.name!r} must hold only 0 and 1."
            )
        out = np.zeros((n_rows, head.n_outputs), dtype=np.float32)
        out[observed] = numbers
        return out

    def decode(self, head, raw):
        return (self._probabilities(head, raw) > 0.5).astype(np.int64)

    def predict_proba(self, head, raw):
        return self._probabilities(head, raw)


def _learn_scale(head, numbers):
    """Store the mean and scale (1 where a column is constant) that standardise ``numbers``."""
    head.mean = numbers.mean(axis=0)
    scale = numbers.std(axis=0)
    head.scale = np.where(scale > 0, scale, 1.0)


def _scaled_targets(numbers, head, n_rows, observed, width):
    """float32 training targets, ``width`` columns: the observed rows' numbers,
    standardised where a scale was learned."""
    if head.mean is not None:
        numbers = (numbers - head.mean) / head.scale
    out = np.zeros((n_rows, width), dtype=np.float32)
    out[observed] = numbers
    return out


class ContinuousKind(HeadKind):
    """Real values; linear units, optionally standardised (undone in decode)."""

    name = "continuous"
    activation = "linear"

    def claims(self, column):
        return column.width == 1 and column.task != "classification"

    def default_loss(self, from_logits=False, head=None):
        return "mean_squared_error"

    def fit(self, head, column, standardize, classes=None):
        numbers = self._numbers(head, column.values)
        head.n_outputs = numbers.shape[1]
        if standardize:
            _learn_scale(head, numbers)

    def encode(self, head, values, n_rows, observed):
        return _scaled_targets(self._numbers(head, values), head, n_rows, observed,
                               head.n_outputs)

    def _values(self, head, raw):
        values = np.asarray(raw).reshape(len(raw), head.n_outputs).astype(np.float64)
        if head.mean is not None:
            values = values * head.scale + head.mean
        return values

    def decode(self, head, raw):
        return self._values(head, raw)[:, 0]

    def score(self, y_true, y_pred, sample_weight=None):
        return float(r2_score(y_true, y_pred, sample_weight=sample_weight))


class ContinuousMultioutputKind(ContinuousKind):
    """Several real values per sample in one head; scored by the mean R^2 of its columns."""

    name = "continuous-multioutput"

    def claims(self, column):
        return column.width > 1 and column.task != "classification" and not column.labels

    def decode(self, head, raw):
        return self._values(head, raw)

    def truth(self, head, values, encoded):
        return np.where(pd.isna(values), np.nan, values).astype(np.float64)


class CountKind(HeadKind):
    """Non-negative counts (or rates): Poisson loss, exponential output, never negative.

    Never detected: state it with ``TargetSplitter(kinds={head: "count"})``.
    With ``standardize`` the targets are divided by their training mean
    (not centred: a count must stay non-negative), so the network starts
    near its answer whatever the counts' scale; :meth:`decode` multiplies
    back. Scored with D^2 on the Poisson deviance
    (:func:`sklearn.metrics.d2_tweedie_score` with ``power=1``).
    """

    name = "count"
    activation = "exponential"

    def default_loss(self, from_logits=False, head=None):
        return "poisson"

    def check_output(self, head, layer, loss, skmm_loss):
        if _activation_name(layer) in _LINEAR:
            raise ValueError(
                f"Output {head.name!r} (count) has no activation, so it can predict negative "
                "counts. Give the output layer activation='exponential' (or 'softplus')."
            )
        return False

    def fit(self, head, column, standardize, classes=None):
        numbers = self._check(head, column.values)
        head.n_outputs = 1
        if numbers.shape[1] != 1:
            raise ValueError(
                f"TargetSplitter: count head {head.name!r} spans {numbers.shape[1]} columns; "
                "give each count its own head."
            )
        if standardize:
            mean = float(numbers.mean())
            if mean <= 0:
                raise ValueError(
                    f"TargetSplitter: count head {head.name!r} is zero for every labelled "
                    "sample; there is nothing to learn."
                )
            head.scale = np.array([mean])

    def _check(self, head, values):
        numbers = self._numbers(head, values)
        if (numbers < 0).any():
            raise ValueError(
                f"TargetSplitter: count head {head.name!r} has negative values "
                f"(min {numbers.min():g}); counts must be >= 0."
            )
        return numbers

    def encode(self, head, values, n_rows, observed):
        numbers = self._check(head, values)
        if head.scale is not None:
            numbers = numbers / head.scale
        out = np.zeros((n_rows, 1), dtype=np.float32)
        out[observed] = numbers
        return out

    def decode(self, head, raw):
        values = np.asarray(raw, dtype=np.float64).reshape(len(raw))
        if head.scale is not None:
            values = values * head.scale[0]
        return np.maximum(values, 0.0)

    def score(self, y_true, y_pred, sample_weight=None):
        # D^2 needs strictly positive predictions for the Poisson deviance
        y_pred = np.maximum(np.asarray(y_pred, dtype=np.float64), 1e-12)
        return float(d2_tweedie_score(y_true, y_pred, sample_weight=sample_weight, power=1))


class QuantileKind(HeadKind):
    """Quantiles of one real target: pinball loss, one monotone unit per level.

    Never detected: state it with ``TargetSplitter(kinds={head: "quantile"})``
    and the levels with ``TargetSplitter(quantiles=...)`` (default
    ``(0.05, 0.5, 0.95)``; 0.5 must be among them). The model outputs one
    unit per level; the loss is the pinball loss averaged over the levels
    (:class:`skmm.quantiles.PinballLoss`), and the default model's output
    layer (:class:`skmm.quantiles.NonCrossingQuantiles`) makes the
    quantiles rise with the level for every input. A user's model need not:
    decoding sorts each row's quantiles, so predicted quantiles never cross
    whatever the model. Targets are standardised as a continuous head's
    (undone for every quantile).

    ``predict`` gives the median; ``predict_quantiles`` every level. Scored
    by the D^2 pinball score of the median
    (:func:`sklearn.metrics.d2_pinball_score` with ``alpha=0.5``: the share
    of the absolute error around y's median that the predicted median
    explains), so ``score`` compares quantile heads with the R^2 of
    continuous heads on the same 1-is-perfect scale.
    """

    name = "quantile"
    activation = "linear"
    takes_quantiles = True

    def default_loss(self, from_logits=False, head=None):
        from .quantiles import DEFAULT_QUANTILES, PinballLoss

        levels = DEFAULT_QUANTILES if head is None or head.quantiles is None else head.quantiles
        return PinballLoss(quantiles=levels)

    def default_metrics(self, from_logits=False):
        return []  # the pinball loss is the head's measure; MAE would mix the levels

    def build_output(self, head, x, name, own):
        from .quantiles import NonCrossingQuantiles

        units = keras.layers.Dense(head.n_outputs, name=own(f"{head.name}_quantile_units"))(x)
        return NonCrossingQuantiles(median_index=self.median_index(head), name=name)(units)

    def outputs_meaning(self, head):
        return f": one per quantile {list(self.levels(head))}"

    @staticmethod
    def levels(head):
        """The head's quantile levels, in increasing order (the defaults when not set)."""
        from .quantiles import DEFAULT_QUANTILES

        return DEFAULT_QUANTILES if head.quantiles is None else tuple(head.quantiles)

    def median_index(self, head):
        """The position of the 0.5 level among the head's outputs."""
        return self.levels(head).index(0.5)

    def fit(self, head, column, standardize, classes=None):
        numbers = self._numbers(head, column.values)
        if numbers.shape[1] != 1:
            raise ValueError(
                f"TargetSplitter: quantile head {head.name!r} spans {numbers.shape[1]} "
                "columns; give each quantile target its own head."
            )
        head.quantiles = self.levels(head)
        head.n_outputs = len(head.quantiles)
        if standardize:
            _learn_scale(head, numbers)

    def encode(self, head, values, n_rows, observed):
        # one target column, whatever the number of levels the model outputs
        return _scaled_targets(self._numbers(head, values), head, n_rows, observed, 1)

    def quantile_values(self, head, raw):
        """Every level's values in y's units, shape ``(n, n_levels)``, rising along a row."""
        values = np.asarray(raw, dtype=np.float64)
        values = values.reshape(len(values), -1) if values.size else values.reshape(0, 0)
        if values.shape[1] == 1 < head.n_outputs:  # an encoding: y itself at every level
            values = np.repeat(values, head.n_outputs, axis=1)
        values = values.reshape(len(values), head.n_outputs)
        if head.mean is not None:
            values = values * head.scale + head.mean
        return np.sort(values, axis=1)

    def decode(self, head, raw):
        return self.quantile_values(head, raw)[:, self.median_index(head)]

    def truth(self, head, values, encoded):
        return np.where(pd.isna(values), np.nan, values).astype(np.float64)[:, 0]

    def score(self, y_true, y_pred, sample_weight=None):
        return float(d2_pinball_score(y_true, y_pred, sample_weight=sample_weight, alpha=0.5))


KINDS = {kind.name: kind for kind in (
    BinaryKind(), MulticlassKind(), MultilabelKind(),
    ContinuousKind(), ContinuousMultioutputKind(), CountKind(), QuantileKind(),
)}
CLASSIFICATION_KINDS = tuple(n for n, k in KINDS.items() if k.is_classification)
REGRESSION_KINDS = tuple(n for n, k in KINDS.items() if not k.is_classification)

# The order detection asks the kinds in: the first that claims a column has it. Count is
# never detected (non-negative integers are as often labels or measurements), nor is quantile.
DETECTION_ORDER = ("multilabel-indicator", "binary", "multiclass",
                   "continuous-multioutput", "continuous")


def get_kind(name):
    """The :class:`HeadKind` object called ``name``."""
    try:
        return KINDS[name]
    except KeyError:
        from ._messages import did_you_mean

        raise ValueError(
            f"Unknown head kind {name!r}{did_you_mean(str(name), KINDS)}; kinds are "
            f"{list(KINDS)}."
        ) from None


def detect(column, declared=None):
    """The :class:`HeadKind` of one head: ``declared`` (a name), or the first that claims it.

    Parameters
    ----------
    column : TargetColumn
        The head's observed values, dtypes and the task (which restricts the kinds).
    declared : str, optional
        A kind stated by the user (``TargetSplitter(kinds=...)``).

    Returns
    -------
    HeadKind

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[1], [2], [3], [2]], dtype=object)
    >>> detect(TargetColumn("grade", values, ["Int64"])).name  # integers: labels
    'multiclass'
    >>> detect(TargetColumn("grade", values, ["float64"])).name  # whole floats: measurements
    'continuous'
    >>> detect(TargetColumn("grade", values, ["float64"]), declared="multiclass").name
    'multiclass'
    """
    task = column.task
    if declared is not None:
        kind = get_kind(declared)
        if column.width > 1 and kind is KINDS["continuous"]:
            kind = KINDS["continuous-multioutput"]
        if task == "regression" and kind.is_classification:
            # a FunctionalRegressor treats the labels as the numbers they are
            kind = KINDS["continuous" if column.width == 1 else "continuous-multioutput"]
    else:
        if column.labels and column.width > 1:
            raise ValueError(
                f"TargetSplitter: head {column.name!r} spans several columns of labels; a "
                "multi-column head must be a 0/1 indicator matrix (multilabel) or "
                "numbers (multi-output regression). Give each label column its own head."
            )
        kind = next((KINDS[n] for n in DETECTION_ORDER if KINDS[n].claims(column)), None)
        if kind is None:
            found = "labels" if column.labels else column.type_of_target()
            if task == "classification" and found == "continuous":
                raise ValueError(
                    f"TargetSplitter: head {column.name!r} holds continuous values but the "
                    "task is classification; use FunctionalRegressor or FunctionalEstimator."
                )
            raise ValueError(
                f"TargetSplitter: head {column.name!r} is {found!r}, which no head kind "
                f"{'for ' + task + ' ' if task else ''}takes; kinds are {list(KINDS)}."
            )
    if task == "classification" and not kind.is_classification:
        raise ValueError(
            f"TargetSplitter: head {column.name!r} is {kind.name!r}, not a classification "
            "target; use FunctionalRegressor or FunctionalEstimator."
        )
    return kind
