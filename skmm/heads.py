"""Head kinds: everything one kind of output head means, in one object each.

A *head* is one Keras output; its *kind* says what the targets are and so
what the output layer, the loss, the encoding of y, the decoding of
predictions, ``predict_proba`` and the score must be. Each kind is one
:class:`HeadKind` subclass here, the way scikit-learn's losses each carry
their link and ``predict_proba``; adding a kind is adding one class to
:data:`KINDS`.

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
=======================  ============  ==============================  ================

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
"""

from __future__ import annotations

import keras
import numpy as np
from scipy.special import expit, softmax
from sklearn.metrics import accuracy_score, d2_tweedie_score, r2_score

from ._labels import class_indices, fit_classes

__all__ = ["HeadKind", "KINDS", "get_kind", "CLASSIFICATION_KINDS", "REGRESSION_KINDS"]

# Output activations that are the identity: the layer outputs logits (or plain values).
_LINEAR = ("linear", None)


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


class HeadKind:
    """One kind of head: output layer, loss, metric, encoding, decoding and score.

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
    activation : str
        Output activation of the default architecture.
    """

    name = ""
    is_classification = False
    takes_class_weight = False
    activation = "linear"

    # -- the model side ------------------------------------------------------
    def default_loss(self, from_logits=False):
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

    # -- the data side -------------------------------------------------------
    def fit(self, head, values, dtypes, standardize):
        """Learn the head's classes or scaling from its observed 2-D ``values``."""
        head.n_outputs = values.shape[1]

    def encode(self, head, values, n_rows, observed):
        """Encoded targets of shape the model's loss wants; rows not observed are 0."""
        out = np.zeros((n_rows, head.n_outputs), dtype=np.float32)
        out[observed] = self._numbers(head, values)
        return out

    def decode(self, head, raw):
        """Model outputs (or encodings) -> labels or values in y's units."""
        raise NotImplementedError

    def predict_proba(self, head, raw):
        """Class probabilities from model outputs; None for heads without classes."""
        return None

    def score(self, y_true, y_pred, sample_weight=None):
        """The head's default score of decoded predictions (greater is better)."""
        raise NotImplementedError

    @staticmethod
    def _numbers(head, values):
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"TargetSplitter: head {head.name!r} ({head.kind}) must hold numbers."
            ) from None

    def __repr__(self):
        return f"{type(self).__name__}()"


class _ClassKind(HeadKind):
    """Shared by the class kinds: probabilities in [0, 1] or logits."""

    is_classification = True
    # the default loss by name, and its class for a model that outputs logits
    loss, loss_class = "binary_crossentropy", keras.losses.BinaryCrossentropy

    def default_loss(self, from_logits=False):
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
        return p.reshape(len(p), -1)


class BinaryKind(_ClassKind):
    """Two classes; one sigmoid unit giving the probability of ``classes[1]``."""

    name = "binary"
    activation = "sigmoid"
    takes_class_weight = True

    def inverse_link(self, raw):
        return expit(np.asarray(raw, dtype=np.float64))

    def fit(self, head, values, dtypes, standardize):
        fit_classes(head, values, dtypes)

    def encode(self, head, values, n_rows, observed):
        out = np.zeros((n_rows, 1), dtype=np.float32)
        out[observed, 0] = class_indices(head, values[:, 0])
        return out

    def decode(self, head, raw):
        return head.classes[(self._probabilities(head, raw)[:, -1] > 0.5).astype(np.intp)]

    def predict_proba(self, head, raw):
        p = self._probabilities(head, raw)[:, -1]
        return np.column_stack([1.0 - p, p])


class MulticlassKind(_ClassKind):
    """More than two classes; ``k`` softmax units, targets as class indices."""

    name = "multiclass"
    activation = "softmax"
    takes_class_weight = True
    loss, loss_class = "sparse_categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy

    def default_metrics(self, from_logits=False):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def inverse_link(self, raw):
        return softmax(np.asarray(raw, dtype=np.float64), axis=-1)

    fit = BinaryKind.fit

    def encode(self, head, values, n_rows, observed):
        out = np.zeros(n_rows, dtype=np.int32)
        out[observed] = class_indices(head, values[:, 0])
        return out

    def decode(self, head, raw):
        r = np.asarray(raw)
        if r.ndim == 2 and r.shape[1] > 1:
            idx = self._probabilities(head, r).argmax(axis=1)
        else:  # class indices (an encoding)
            idx = r.reshape(-1)
        return head.classes[idx.astype(np.intp)]

    def predict_proba(self, head, raw):
        return self._probabilities(head, raw)


class MultilabelKind(_ClassKind):
    """Several 0/1 labels at once; ``k`` sigmoid units."""

    name = "multilabel-indicator"
    activation = "sigmoid"
    inverse_link = BinaryKind.inverse_link

    def fit(self, head, values, dtypes, standardize):
        head.classes = np.asarray(
            head.columns if head.columns[0] is not None else range(values.shape[1]), dtype=object
        )
        head.n_outputs = values.shape[1]

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


class ContinuousKind(HeadKind):
    """Real values; linear units, optionally standardised (undone in decode)."""

    name = "continuous"
    activation = "linear"

    def default_loss(self, from_logits=False):
        return "mean_squared_error"

    def fit(self, head, values, dtypes, standardize):
        numbers = self._numbers(head, values)
        head.n_outputs = numbers.shape[1]
        if standardize:
            head.mean = numbers.mean(axis=0)
            scale = numbers.std(axis=0)
            head.scale = np.where(scale > 0, scale, 1.0)

    def encode(self, head, values, n_rows, observed):
        numbers = self._numbers(head, values)
        if head.mean is not None:
            numbers = (numbers - head.mean) / head.scale
        out = np.zeros((n_rows, head.n_outputs), dtype=np.float32)
        out[observed] = numbers
        return out

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

    def decode(self, head, raw):
        return self._values(head, raw)


class CountKind(HeadKind):
    """Non-negative counts (or rates): Poisson loss, exponential output, never negative.

    With ``standardize`` the targets are divided by their training mean
    (not centred: a count must stay non-negative), so the network starts
    near its answer whatever the counts' scale; :meth:`decode` multiplies
    back. Scored with D^2 on the Poisson deviance
    (:func:`sklearn.metrics.d2_tweedie_score` with ``power=1``).
    """

    name = "count"
    activation = "exponential"

    def default_loss(self, from_logits=False):
        return "poisson"

    def check_output(self, head, layer, loss, skmm_loss):
        if _activation_name(layer) in _LINEAR:
            raise ValueError(
                f"Output {head.name!r} (count) has no activation, so it can predict negative "
                "counts. Give the output layer activation='exponential' (or 'softplus')."
            )
        return False

    def fit(self, head, values, dtypes, standardize):
        numbers = self._check(head, values)
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


KINDS = {kind.name: kind for kind in (
    BinaryKind(), MulticlassKind(), MultilabelKind(),
    ContinuousKind(), ContinuousMultioutputKind(), CountKind(),
)}
CLASSIFICATION_KINDS = tuple(n for n, k in KINDS.items() if k.is_classification)
REGRESSION_KINDS = tuple(n for n, k in KINDS.items() if not k.is_classification)


def get_kind(name):
    """The :class:`HeadKind` object called ``name``."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(
            f"Unknown head kind {name!r}; kinds are {list(KINDS)}."
        ) from None
