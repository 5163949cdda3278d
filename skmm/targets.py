"""TargetSplitter: y -> ``{head_name: encoded ndarray}`` and back.

One *head* is one Keras output. A head is usually one target column; a
multilabel or multi-output regression head spans several columns. Each head
has a *kind* (scikit-learn's ``type_of_target`` names) that fixes its
encoding here and its activation and loss in the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._containers import POLARS, from_polars, rebuild
from ._labels import is_label_dtype, set_classes
from ._messages import check_head_names, did_you_mean
from ._params import validate_params
from .heads import CLASSIFICATION_KINDS, KINDS, REGRESSION_KINDS
from .specs import HeadSpec

__all__ = ["TargetSplitter", "HeadSpec", "CLASSIFICATION_KINDS", "REGRESSION_KINDS"]

# A numeric head that type_of_target calls multiclass but that has more
# distinct values than this is a count or a measurement, not a label.
_MAX_AUTO_CLASSES = 30


def _is_missing(values: np.ndarray) -> np.ndarray:
    """Per-row mask of missing labels (NaN, None, pd.NA, NaT) in a 1-D or 2-D object array."""
    miss = pd.isna(values)
    return miss.any(axis=1) if miss.ndim == 2 else miss


def splitter_for(targets, task, owner):
    """A fresh clone of ``targets`` (or a default splitter) restricted to ``task``."""
    splitter = TargetSplitter() if targets is None else clone(targets)
    if task is not None:
        if splitter.task not in (None, task):
            raise ValueError(
                f"Parameter 'targets' has task={splitter.task!r} but {owner} is for {task}."
            )
        splitter.set_params(task=task)
    return splitter


class TargetSplitter(TransformerMixin, BaseEstimator):
    """Split a target table into per-head encoded arrays, and put it back together.

    Parameters
    ----------
    heads : dict of str -> column or list of columns, default=None
        How DataFrame columns group into heads, e.g.
        ``{"tags": ["tag_a", "tag_b"], "price": "price"}`` for one multilabel
        head and one regression head. None makes one head per column.
        Columns not named by any head are an error.
    kinds : str or dict of str -> str, default=None
        State the kind of a head instead of detecting it (or of all heads
        with a str): one of ``binary``, ``multiclass``,
        ``multilabel-indicator``, ``continuous``, ``continuous-multioutput``
        or ``count`` (non-negative counts: Poisson loss, exponential output,
        predictions never negative; never detected, only stated here, e.g.
        ``kinds={"retweets": "count"}``). :mod:`skmm.heads` says what each
        kind means. Detection uses :func:`sklearn.utils.multiclass.type_of_target`, with
        two rules for numbers unless ``task="classification"``: a float
        column is continuous unless it holds only two values (so 0.0/1.0
        stays binary), and an integer column with more than 30 distinct
        values (a count) is continuous. Strings, bools and categories are
        always labels.
    task : {None, "classification", "regression"}, default=None
        Restrict every head to classification or regression kinds (what
        ``FunctionalClassifier`` / ``FunctionalRegressor`` use).
    standardize : bool, default=True
        Standardise continuous heads to zero mean and unit variance, and
        divide count heads by their mean (undone by
        :meth:`inverse_transform`). Keeps heads of different scales balanced
        in one loss.
    missing : {"mask", "error"}, default="mask"
        What a missing label (NaN, None, pd.NA) in a head means. "mask":
        the encoded value is a placeholder and :meth:`observed` reports the
        sample as unlabelled for that head (the estimators give it zero
        weight there). "error": raise.

    Attributes
    ----------
    heads_ : dict of str -> HeadSpec
        Kind, width, classes and scaling of each head, in output order.
    classes_ : dict of str -> ndarray
        Class labels per classification head.
    container_ : str
        ``"frame"``, ``"dict"``, ``"series"``, ``"array"`` (1-D) or ``"matrix"``
        (2-D array), with a ``"polars-"`` prefix for polars: how y came in,
        and what :meth:`inverse_transform` returns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm import TargetSplitter
    >>> y = pd.DataFrame({"label": ["spam", "ham", "spam"], "price": [1.0, 2.0, 3.0]})
    >>> splitter = TargetSplitter(standardize=False)
    >>> encoded = splitter.fit_transform(y)
    >>> encoded["label"].ravel().tolist(), encoded["price"].ravel().tolist()
    ([1.0, 0.0, 1.0], [1.0, 2.0, 3.0])
    >>> {name: head.kind for name, head in splitter.heads_.items()}
    {'label': 'binary', 'price': 'continuous'}
    >>> splitter.inverse_transform(encoded).equals(y)
    True
    """

    _parameter_constraints = {
        "heads": [dict, None],
        "kinds": [StrOptions(set(KINDS)), dict, None],
        "task": [StrOptions({"classification", "regression"}), None],
        "standardize": ["boolean"],
        "missing": [StrOptions({"mask", "error"})],
    }

    def __init__(self, heads=None, kinds=None, task=None, standardize=True, missing="mask"):
        self.heads = heads
        self.kinds = kinds
        self.task = task
        self.standardize = standardize
        self.missing = missing

    # -- containers -------------------------------------------------------
    def _columns_of(self, y):
        """Normalise y to ``[(head_name, [labels], 2-D values, [dtypes])]`` and a container."""
        y, polars = from_polars(y)
        if polars:
            container, columns = self._columns_of(y)
            return POLARS + container, columns
        if isinstance(y, pd.DataFrame):
            if y.columns.has_duplicates:
                dups = sorted({str(c) for c in y.columns[y.columns.duplicated()]})
                raise ValueError(f"y has duplicate column names {dups}; names must be unique.")
            groups = self._groups(list(y.columns))
            return "frame", [
                (name, cols, y[cols].to_numpy(dtype=object), list(y[cols].dtypes))
                for name, cols in groups
            ]
        if isinstance(y, dict):
            if not y:
                raise ValueError("y is an empty dict; give at least one head.")
            out = []
            for key, value in y.items():
                if isinstance(value, pd.DataFrame):
                    out.append((str(key), [key], value.to_numpy(dtype=object), list(value.dtypes)))
                    continue
                dtype = value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype
                arr = np.asarray(value, dtype=object)
                if arr.ndim == 1:
                    arr = arr[:, None]
                out.append((str(key), [key], arr, [dtype]))
            return "dict", out
        if isinstance(y, pd.Series):
            name = "y" if y.name is None else str(y.name)
            return "series", [(name, [y.name], y.to_numpy(dtype=object)[:, None], [y.dtype])]
        dtype = getattr(y, "dtype", None)
        arr = np.asarray(y)
        dtype = arr.dtype if dtype is None else dtype
        if arr.ndim == 1:
            return "array", [("y", [None], arr.astype(object)[:, None], [dtype])]
        container = "matrix"
        if arr.ndim != 2 or arr.shape[1] == 0:
            raise ValueError(f"y must be 1-D or 2-D; got an array of shape {arr.shape}.")
        if arr.shape[1] == 1:
            return container, [("y", [0], arr.astype(object), [dtype])]
        whole = self._safe_type_of_target(arr, "y")
        if whole in ("multilabel-indicator", "continuous-multioutput"):
            cols = list(range(arr.shape[1]))
            return container, [("y", cols, arr.astype(object), [dtype] * len(cols))]
        return container, [
            (f"y_{j}", [j], arr[:, [j]].astype(object), [dtype]) for j in range(arr.shape[1])
        ]

    def _groups(self, columns):
        if self.heads is None:
            return [(str(c), [c]) for c in columns]
        if not isinstance(self.heads, dict):
            raise ValueError(
                "TargetSplitter parameter 'heads' must be a dict {head_name: column or "
                f"[columns]}} or None; got {type(self.heads).__name__}."
            )
        groups, used = [], set()
        for name, cols in self.heads.items():
            cols = [cols] if not isinstance(cols, (list, tuple)) else list(cols)
            for c in cols:
                if c not in columns:
                    raise ValueError(
                        f"TargetSplitter: head {name!r} names column {c!r}, which y does not "
                        f"have{did_you_mean(c, columns)}. y has columns {list(columns)}."
                    )
                if c in used:
                    raise ValueError(f"TargetSplitter: column {c!r} is in more than one head.")
                used.add(c)
            groups.append((str(name), cols))
        left = [c for c in columns if c not in used]
        if left:
            raise ValueError(
                f"TargetSplitter: y columns {left} belong to no head in 'heads'; add them to a "
                "head or drop them from y."
            )
        return groups

    # -- kinds ------------------------------------------------------------
    @staticmethod
    def _safe_type_of_target(values, name):
        try:
            return type_of_target(values, input_name=name)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"TargetSplitter: cannot tell what kind of target head {name!r} is ({exc}). "
                "Labels of one head must share one type."
            ) from None

    def _kind_override(self, name):
        if self.kinds is None:
            return None
        kind = self.kinds if isinstance(self.kinds, str) else self.kinds.get(name)
        if kind is not None and kind not in KINDS:
            raise ValueError(
                f"TargetSplitter: kind {kind!r} for head {name!r} is not one of {list(KINDS)}"
                f"{did_you_mean(kind, KINDS)}."
            )
        return kind

    def _detect(self, name, values, dtypes):
        kind = self._kind_override(name)
        if kind is None:
            if values.shape[1] == 1 and is_label_dtype(dtypes):
                # labels (strings, bools, categories): binary or multiclass by count;
                # a single class is reported by _fit_head
                kind = "multiclass" if len(pd.unique(values[:, 0])) > 2 else "binary"
            elif values.shape[1] == 1:
                col = values[:, 0].astype(np.float64)
                kind = self._safe_type_of_target(col, name)
                if (
                    kind == "multiclass"
                    and self.task != "classification"
                    and pd.api.types.is_float_dtype(dtypes[0])
                ):
                    kind = "continuous"  # whole-valued floats (1.0, 2.0, 3.0) are measurements
                if (
                    kind == "multiclass"
                    and self.task != "classification"
                    and len(np.unique(col)) > _MAX_AUTO_CLASSES
                ):
                    kind = "continuous"
            else:
                if is_label_dtype(dtypes):
                    raise ValueError(
                        f"TargetSplitter: head {name!r} spans several columns of labels; a "
                        "multi-column head must be a 0/1 indicator matrix (multilabel) or "
                        "numbers (multi-output regression). Give each label column its own head."
                    )
                kind = self._safe_type_of_target(values.astype(np.float64), name)
                if kind == "multiclass-multioutput" and self.task != "classification":
                    kind = "continuous-multioutput"
        if kind == "continuous" and values.shape[1] > 1:
            kind = "continuous-multioutput"
        if kind not in KINDS:
            raise ValueError(
                f"TargetSplitter: head {name!r} is {kind!r}, which skmm does not support; "
                f"supported kinds are {list(KINDS)}."
            )
        if self.task == "classification" and kind not in CLASSIFICATION_KINDS:
            if kind == "continuous" and values.shape[1] == 1:
                raise ValueError(
                    f"TargetSplitter: head {name!r} holds continuous values but the task is "
                    "classification; use FunctionalRegressor or FunctionalEstimator."
                )
            raise ValueError(
                f"TargetSplitter: head {name!r} is {kind!r}, not a classification target."
            )
        if self.task == "regression" and kind not in REGRESSION_KINDS:
            kind = "continuous" if values.shape[1] == 1 else "continuous-multioutput"
        return kind

    # -- fit / transform ----------------------------------------------------
    def fit(self, y, X=None):
        """Learn heads, kinds, classes and scaling from y.

        Parameters
        ----------
        y : DataFrame, dict of arrays, Series or ndarray
        X : ignored

        Returns
        -------
        self : TargetSplitter
        """
        validate_params(self)
        container, columns = self._columns_of(y)
        heads = {}
        for name, cols, values, dtypes in columns:
            if name in heads:
                raise ValueError(f"TargetSplitter: two heads are named {name!r}.")
            observed = ~_is_missing(values)
            if not observed.any():
                raise ValueError(
                    f"TargetSplitter: head {name!r} has no labels at all (every value is "
                    "missing); drop it from y."
                )
            self._check_missing(name, observed)
            vals = values[observed]
            kind = self._detect(name, vals, dtypes)
            heads[name] = self._fit_head(name, kind, cols, vals, dtypes)
        if isinstance(self.kinds, dict):
            check_head_names(self.kinds, heads, "TargetSplitter parameter 'kinds'")
        self.heads_ = heads
        self.classes_ = {n: h.classes for n, h in heads.items() if h.is_classification}
        self.container_ = container
        return self

    def _check_missing(self, name, observed):
        if self.missing == "error" and not observed.all():
            raise ValueError(
                f"TargetSplitter: head {name!r} has {int((~observed).sum())} missing label(s) "
                "and missing='error'."
            )

    def _fit_head(self, name, kind, cols, vals, dtypes):
        head = HeadSpec(name=name, kind=kind, n_outputs=1, columns=list(cols), dtypes=list(dtypes))
        head.head_kind.fit(head, vals, dtypes, self.standardize)
        return head

    def set_classes(self, classes):
        """Declare every class of classification heads up front (for ``partial_fit``).

        Parameters
        ----------
        classes : array-like, or dict of head -> array-like
            A plain array-like applies to the only classification head.

        Returns
        -------
        self
        """
        check_is_fitted(self, "heads_")
        class_heads = [n for n, h in self.heads_.items() if h.head_kind.takes_class_weight]
        if not isinstance(classes, dict):
            if len(class_heads) != 1:
                raise ValueError(
                    "classes must be a dict {head: classes} when y has "
                    f"{len(class_heads)} binary/multiclass heads."
                )
            classes = {class_heads[0]: classes}
        for name, values in classes.items():
            if name not in class_heads:
                raise ValueError(f"classes names head {name!r}, which is not a class head.")
            head = self.heads_[name]
            full = np.unique(np.asarray(values, dtype=head.classes.dtype))
            unseen = [c for c in head.classes.tolist() if c not in full.tolist()]
            if unseen:
                raise ValueError(f"classes for head {name!r} lack labels {unseen} seen in y.")
            set_classes(head, full)
            self.classes_[name] = full
        return self

    def transform(self, y):
        """Encode y into ``{head: ndarray}``.

        Binary heads are float32 ``(n, 1)`` of 0/1, multiclass heads int32
        ``(n,)`` of class indices, multilabel heads float32 ``(n, k)``,
        regression heads float32 ``(n, k)`` (standardised if asked).
        Missing labels become placeholders (0); see :meth:`observed`.

        Parameters
        ----------
        y : same container and columns as in fit

        Returns
        -------
        dict of str -> ndarray
        """
        return self.transform_with_mask(y)[0]

    def observed(self, y):
        """Which samples carry a label, per head.

        Parameters
        ----------
        y : same container and columns as in fit

        Returns
        -------
        dict of str -> bool ndarray of shape (n_samples,)
        """
        return self.transform_with_mask(y)[1]

    def transform_with_mask(self, y):
        """:meth:`transform` and :meth:`observed` in one pass.

        Returns
        -------
        encoded : dict of str -> ndarray
        observed : dict of str -> bool ndarray
        """
        check_is_fitted(self, "heads_")
        return self._encode_all(y)[1:]

    def truth_with_mask(self, y):
        """y's labels and values per head, as :meth:`decode` shapes them, and :meth:`observed`.

        Regression values are y's own numbers, not read back from their float32
        encoding, so scores compare predictions with the exact truth.
        """
        check_is_fitted(self, "heads_")
        values, encoded, observed = self._encode_all(y)
        truth = self.decode(encoded)
        for name, head in self.heads_.items():
            if not head.is_classification:
                numbers = np.where(pd.isna(values[name]), np.nan, values[name])
                truth[name] = numbers.astype(np.float64).reshape(truth[name].shape)
        return truth, observed

    def _encode_all(self, y):
        """y's ``{head: 2-D object array}`` (checked against the heads), encodings, masks."""
        _, columns = self._columns_of(y)
        got = {name: values for name, _, values, _ in columns}
        if set(got) != set(self.heads_):
            missing = [h for h in self.heads_ if h not in got]
            extra = [h for h in got if h not in self.heads_]
            raise ValueError(
                f"TargetSplitter: y has heads {list(got)} but was fitted with "
                f"{list(self.heads_)} (missing {missing}, unexpected {extra})."
            )
        both = {name: self._encode(head, got[name]) for name, head in self.heads_.items()}
        return got, {n: e for n, (e, _) in both.items()}, {n: o for n, (_, o) in both.items()}

    def _encode(self, head, values):
        observed = ~_is_missing(values)
        self._check_missing(head.name, observed)
        encoded = head.head_kind.encode(head, values[observed], values.shape[0], observed)
        return encoded, observed

    # -- back to the user's container ---------------------------------------
    def decode(self, raw):
        """Turn per-head model outputs (or encodings) into per-head label arrays.

        Parameters
        ----------
        raw : dict of str -> ndarray
            Probabilities (binary ``(n, 1)``, multiclass ``(n, k)``,
            multilabel ``(n, k)``), class indices, or regression values.

        Returns
        -------
        dict of str -> ndarray
            Labels (1-D for single-column heads, 2-D otherwise).
        """
        check_is_fitted(self, "heads_")
        self._check_heads(raw)
        return {name: head.head_kind.decode(head, raw[name]) for name, head in self.heads_.items()}

    def probabilities(self, raw):
        """Per-class probabilities of every classification head.

        Parameters
        ----------
        raw : dict of str -> ndarray
            Model outputs.

        Returns
        -------
        dict of str -> ndarray
            Binary heads ``(n, 2)`` (columns in ``classes_`` order, as in
            scikit-learn), multiclass ``(n, k)``, multilabel ``(n, k)``.
        """
        check_is_fitted(self, "heads_")
        self._check_heads(raw)
        return {name: head.head_kind.predict_proba(head, raw[name])
                for name, head in self.heads_.items() if head.is_classification}

    def _check_heads(self, raw):
        missing = [h for h in self.heads_ if h not in raw]
        if missing:
            raise ValueError(
                f"TargetSplitter: outputs for heads {missing} are missing; got {list(raw)}."
            )

    def inverse_transform(self, raw, index=None):
        """Rebuild y's container (DataFrame, dict, Series or array) from per-head arrays.

        Parameters
        ----------
        raw : dict of str -> ndarray
            Encoded arrays from :meth:`transform` or model outputs.
        index : pandas Index, optional
            Index for a DataFrame or Series result (default: a RangeIndex).

        Returns
        -------
        Same kind of container as the y seen in fit, with the same column
        names, label values and dtypes.
        """
        return rebuild(self.container_, self.heads_, self.decode(raw), index)
