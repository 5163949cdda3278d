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
from sklearn.utils.validation import check_is_fitted

from ._containers import POLARS, from_polars, rebuild
from ._messages import check_head_names, did_you_mean
from ._params import validate_params
from .heads import (
    CLASSIFICATION_KINDS,
    KINDS,
    REGRESSION_KINDS,
    TargetColumn,
    class_heads,
    declare_classes,
    detect,
    matrix_is_one_head,
)
from .quantiles import check_quantiles, column_name
from .specs import HeadSpec

__all__ = ["TargetSplitter", "HeadSpec", "CLASSIFICATION_KINDS", "REGRESSION_KINDS"]

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
        ``multilabel-indicator``, ``continuous``, ``continuous-multioutput``,
        ``count`` (non-negative counts: Poisson loss, exponential output,
        predictions never negative; never detected, only stated here, e.g.
        ``kinds={"retweets": "count"}``) or ``quantile`` (several quantiles
        of a real target, pinball loss, never crossing; levels in
        ``quantiles``; never detected). :mod:`skmm.heads` says what each
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
    quantiles : sequence of float, or dict of str -> sequence of float, default=None
        The levels each ``quantile`` head predicts (a head stated with
        ``kinds={"price": "quantile"}``): one sequence for every quantile
        head, or one per head. Levels lie strictly between 0 and 1 and must
        include 0.5 (``predict`` returns the median). None:
        ``(0.05, 0.5, 0.95)``. Naming a head that is not a quantile head is
        an error. See :class:`skmm.heads.QuantileKind`.

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
        "quantiles": ["array-like", dict, None],
    }

    def __init__(self, heads=None, kinds=None, task=None, standardize=True, missing="mask",
                 quantiles=None):
        self.heads = heads
        self.kinds = kinds
        self.task = task
        self.standardize = standardize
        self.missing = missing
        self.quantiles = quantiles

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
        if matrix_is_one_head(arr):
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

    # -- fit / transform ----------------------------------------------------
    def fit(self, y, X=None, classes=None):
        """Learn heads, kinds, classes and scaling from y.

        Parameters
        ----------
        y : DataFrame, dict of arrays, Series or ndarray
        X : ignored
        classes : array-like, or dict of head -> array-like, optional
            Every class of binary and multiclass heads, when y may not show
            them all (the first chunk of ``partial_fit``); a plain
            array-like is for the only head. Declared classes count when
            the head's kind is detected, so three declared classes make a
            multiclass head even if y shows two.

        Returns
        -------
        self : TargetSplitter
        """
        validate_params(self)
        container, columns = self._columns_of(y)
        declared = self._declared(classes, [name for name, *_ in columns])
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
            column = TargetColumn(name, values[observed], list(dtypes), self.task)
            seen = column
            if name in declared:  # the declared classes count in detection
                extra = np.asarray(declared[name], dtype=object).reshape(-1, 1)
                seen = TargetColumn(name, np.concatenate([column.values, extra]),
                                    column.dtypes, self.task)
            kind = detect(seen, self._kind_override(name))
            head = HeadSpec(name=name, kind=kind.name, n_outputs=1, columns=list(cols),
                            dtypes=list(dtypes), quantiles=self._levels(name, kind))
            kind.fit(head, column, self.standardize, classes=declared.get(name))
            heads[name] = head
        if isinstance(self.kinds, dict):
            check_head_names(self.kinds, heads, "TargetSplitter parameter 'kinds'")
        self._check_quantile_heads(heads)
        self.heads_ = heads
        self.classes_ = {n: heads[n].classes for n in class_heads(heads)}
        self.container_ = container
        return self

    def _levels(self, name, kind):
        """The checked quantile levels of head ``name`` when its kind takes them, else None."""
        if not kind.takes_quantiles:
            return None
        given = self.quantiles.get(name) if isinstance(self.quantiles, dict) else self.quantiles
        return check_quantiles(given, name)

    def _check_quantile_heads(self, heads):
        """``quantiles`` names quantile heads only, and applies to one at least."""
        if self.quantiles is None:
            return
        takers = [n for n, h in heads.items() if h.head_kind.takes_quantiles]
        if isinstance(self.quantiles, dict):
            check_head_names(self.quantiles, heads, "TargetSplitter parameter 'quantiles'")
            others = [n for n in self.quantiles if n not in takers]
        else:
            others = [] if takers else list(heads)
        if others:
            kinds = {n: heads[n].kind for n in others}
            raise ValueError(
                f"TargetSplitter parameter 'quantiles' applies to quantile heads, but heads "
                f"{kinds} are not; state them with kinds={{head: 'quantile'}}."
            )

    def quantile_values(self, raw):
        """Every level of every quantile head, in y's units.

        Parameters
        ----------
        raw : dict of str -> ndarray
            Model outputs.

        Returns
        -------
        dict of str -> ndarray of shape (n, n_levels)
            Per quantile head, its levels' values (``heads_[head].quantiles``
            order), rising along each row.
        """
        check_is_fitted(self, "heads_")
        self._check_heads(raw)
        return {name: head.head_kind.quantile_values(head, raw[name])
                for name, head in self.heads_.items() if head.head_kind.takes_quantiles}

    def quantile_heads(self, owner="TargetSplitter"):
        """The names of the quantile heads; an error naming every head's kind when none is.

        Examples
        --------
        >>> import pandas as pd
        >>> from skmm import TargetSplitter
        >>> y = pd.DataFrame({"price": [1.0, 2.0, 4.0], "stock": [3.0, 1.0, 2.0]})
        >>> TargetSplitter(kinds={"price": "quantile"}).fit(y).quantile_heads()
        ['price']
        """
        check_is_fitted(self, "heads_")
        names = [n for n, h in self.heads_.items() if h.head_kind.takes_quantiles]
        if not names:
            kinds = {n: h.kind for n, h in self.heads_.items()}
            raise ValueError(
                f"{owner} has no quantile head (heads {kinds}); state one with "
                "targets=TargetSplitter(kinds={head: 'quantile'}, quantiles=(0.05, 0.5, 0.95))."
            )
        return names

    def rebuild_quantiles(self, values, index=None):
        """y's container of every level of every quantile head (what :meth:`quantile_values` gives).

        One column per level per quantile head, named ``"<column>_q<level>"``
        (``"price_q0.05"``; ``"q0.05"`` for an unnamed y): a DataFrame for a
        pandas DataFrame or Series y (``index`` indexes it), a polars
        DataFrame for a polars y, a dict of 1-D arrays for a dict y, and a
        2-D ndarray (columns in that order) for a numpy y. Values are in
        y's float dtype (float64 for an integer y).

        Parameters
        ----------
        values : dict of str -> ndarray of shape (n, n_levels)
        index : pandas Index, optional

        Returns
        -------
        DataFrame, polars DataFrame, dict or ndarray
        """
        check_is_fitted(self, "heads_")
        columns = {}
        for name in self.quantile_heads():
            head = self.heads_[name]
            label = None if self.container_.endswith(("array", "matrix")) else head.columns[0]
            dtype = head.dtypes[0] if head.dtypes else None
            for j, level in enumerate(head.quantiles):
                columns[column_name(label, level)] = head.head_kind.restore(
                    head, values[name][:, j], dtype)
        container = self.container_
        if container in ("array", "matrix"):
            return np.column_stack([np.asarray(v) for v in columns.values()])
        if container == "dict":
            return {k: np.asarray(v) for k, v in columns.items()}
        frame = pd.DataFrame({k: pd.Series(v, index=index, dtype=getattr(v, "dtype", None))
                              for k, v in columns.items()}, index=index)
        if container.startswith(POLARS):
            import polars

            return polars.from_pandas(frame)
        return frame

    @staticmethod
    def _declared(classes, names):
        """``classes`` (fit's argument) as ``{head: labels}``."""
        if classes is None:
            return {}
        if not isinstance(classes, dict):
            if len(names) != 1:
                raise ValueError(
                    f"classes must be a dict {{head: labels}} when y has {len(names)} heads "
                    f"{names}."
                )
            return {names[0]: classes}
        check_head_names(classes, dict.fromkeys(names), "classes")
        return classes

    def _check_missing(self, name, observed):
        if self.missing == "error" and not observed.all():
            raise ValueError(
                f"TargetSplitter: head {name!r} has {int((~observed).sum())} missing label(s) "
                "and missing='error'."
            )

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
        label_heads = [n for n, h in self.heads_.items() if h.head_kind.takes_class_weight]
        if not isinstance(classes, dict):
            if len(label_heads) != 1:
                raise ValueError(
                    "classes must be a dict {head: classes} when y has "
                    f"{len(label_heads)} binary/multiclass heads."
                )
            classes = {label_heads[0]: classes}
        for name, values in classes.items():
            if name not in label_heads:
                raise ValueError(f"classes names head {name!r}, which is not a class head.")
            self.heads_[name] = declare_classes(self.heads_[name], values)
            self.classes_[name] = self.heads_[name].classes
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
        truth = {name: head.head_kind.truth(head, values[name], encoded[name])
                 for name, head in self.heads_.items()}
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
        return {name: self.heads_[name].head_kind.predict_proba(self.heads_[name], raw[name])
                for name in class_heads(self.heads_)}

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
        return self.rebuild(self.decode(raw), index)

    def rebuild(self, decoded, index=None):
        """y's container from per-head labels and values (what :meth:`decode` returns).

        The estimators decode a large X chunk by chunk, join the chunks per
        head and rebuild once, so a prediction has y's container, column
        names, dtypes and labels whatever the number of rows.

        Parameters
        ----------
        decoded : dict of str -> ndarray
        index : pandas Index, optional

        Returns
        -------
        Same kind of container as the y seen in fit.

        Examples
        --------
        >>> import pandas as pd
        >>> from skmm import TargetSplitter
        >>> y = pd.DataFrame({"grade": pd.array([1, 2, None], dtype="Int64")})
        >>> splitter = TargetSplitter().fit(y)
        >>> splitter.rebuild({"grade": splitter.classes_["grade"]}).dtypes["grade"]
        Int64Dtype()
        """
        check_is_fitted(self, "heads_")
        return rebuild(self.container_, self.heads_, decoded, index)
