"""InputRouter: DataFrame columns -> ``{keras_input_name: ndarray}``.

It is a ``ColumnTransformer`` whose transformer names are the Keras model's
input names. Instead of stacking every block into one float64 matrix it
returns one array per input: ``float32`` for numeric blocks and ``int32`` for
token blocks (any transformer exposing ``vocabulary_size_``, such as
:class:`~skmm.TextSequencer`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ._messages import did_you_mean
from ._small_batch import SMALL_BATCH, selects_by_label, transform_small
from .preprocessing import QuantileBins
from .specs import InputSpec
from .text import TextSequencer

__all__ = ["InputRouter", "InputSpec"]


def _final_step(transformer):
    while isinstance(transformer, Pipeline):
        transformer = transformer.steps[-1][1]
    return transformer


def _vocabulary_size(transformer):
    return getattr(_final_step(transformer), "vocabulary_size_", None)


def _polars_as_pandas(X):
    """A polars DataFrame as pandas, to read its columns' kinds (pyarrow dtypes keep a
    bool or int with nulls what it is); anything else as it is."""
    if type(X).__module__.split(".")[0] == "polars" and hasattr(X, "to_pandas"):
        return X.to_pandas(use_pyarrow_extension_array=True)
    return X


def _is_small_frame(X):
    """A pandas or polars DataFrame of at most :data:`SMALL_BATCH` rows."""
    polars = type(X).__module__.split(".")[0] == "polars" and hasattr(X, "to_pandas")
    return (isinstance(X, pd.DataFrame) or polars) and len(X) <= SMALL_BATCH


def _small_polars_as_pandas(X):
    """A polars frame as pandas with pyarrow columns (nulls and dtypes kept); None without
    pyarrow (the general path then reads it); a pandas frame as it is."""
    if isinstance(X, pd.DataFrame):
        return X
    try:
        frame = _polars_as_pandas(X)
    except ImportError:
        return None
    return frame if frame.columns.is_unique and all(isinstance(c, str) for c in frame.columns) \
        else None


def _imputes(transformer):
    """Whether a numeric transformer (or a pipeline step) fills NaN itself."""
    steps = [s for _, s in transformer.steps] if isinstance(transformer, Pipeline) \
        else [transformer]
    return any(isinstance(s, SimpleImputer) or getattr(s, "missing", None) == "median"
               for s in steps)


def _is_empty(columns):
    """An empty column selection: no names, no indices, or a mask with no True."""
    if callable(columns) or isinstance(columns, (str, int)):
        return False
    values = np.asarray(columns)
    return values.size == 0 or (values.dtype == bool and not values.any())


def _as_labels(name, columns):
    """A selection by name, as ``X[columns]`` takes it; others are refused, naming the input."""
    if selects_by_label(columns):
        return columns
    raise ValueError(
        f"InputRouter.partial_fit: input {name!r} selects its columns by {columns!r}; "
        "partial_fit needs columns named by label (a str or a list of str)."
    )


def _column_labels(columns):
    """The string labels a transformer's column selection names, if any."""
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, (list, tuple, np.ndarray, pd.Index)):
        return [c for c in columns if isinstance(c, str)]
    return []


class InputRouter(ColumnTransformer, auto_wrap_output_keys=None):
    """Route DataFrame columns to the named inputs of a Keras model.

    Takes the same ``transformers`` list as
    :class:`~sklearn.compose.ColumnTransformer`; each transformer's *name*
    is the name of the Keras ``Input`` it feeds. ``transform`` returns a dict
    ``{input_name: ndarray}`` instead of one stacked matrix: numeric blocks
    are ``float32``, token blocks (a :class:`~skmm.TextSequencer`, or any
    transformer or pipeline ending in one that has ``vocabulary_size_``) are
    ``int32``. Nothing is ever stacked through float64.

    All ``ColumnTransformer`` parameters are accepted with the same meaning,
    and nested parameters stay tunable (``text__sequence_length``).

    Attributes
    ----------
    input_specs_ : dict of str -> InputSpec
        Per input: kind, per-sample shape, dtype, vocabulary size, columns.
        This is what a model builder receives to size its layers.
    feature_names_in_ : ndarray of str
        Columns seen in fit (when X is a DataFrame).
    transformers_, named_transformers_, n_features_in_, output_indices_
        As in :class:`~sklearn.compose.ColumnTransformer`.

    See Also
    --------
    InputRouter.from_columns : the common case in one call.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm import InputRouter, TextSequencer
    >>> X = pd.DataFrame({"age": [20, 30, 40], "income": [1.0, 2.0, 3.0],
    ...                   "review": ["good", "bad product", None]})
    >>> router = InputRouter([("numeric", StandardScaler(), ["age", "income"]),
    ...                       ("text", TextSequencer(sequence_length=3), "review")])
    >>> arrays = router.fit_transform(X)
    >>> {name: (a.shape, a.dtype.name) for name, a in arrays.items()}
    {'numeric': ((3, 2), 'float32'), 'text': ((3, 3), 'int32')}
    >>> router.input_specs_["text"].vocabulary_size
    5
    """

    @classmethod
    def from_columns(
        cls,
        numeric=(),
        text=(),
        categorical=(),
        *,
        numeric_name="numeric",
        scale=True,
        bins=32,
        impute=True,
        max_tokens=20000,
        sequence_length=None,
        ngrams=2,
    ):
        """Build the common router: numbers in one input, one input per text or category column.

        Parameters
        ----------
        numeric : list of str
            Numeric columns (numbers and bools, NumPy, nullable, pyarrow or
            polars), standardised together into one input.
        text : list of str
            Free-text columns; each gets its own :class:`~skmm.TextSequencer`
            and an input named after the column (characters Keras does not
            accept in names become ``_``).
        categorical : list of str
            Columns of categories (strings or numbers with few values); each
            becomes a one-token input (``TextSequencer(split="whole",
            standardize=None, sequence_length=1)``) that the default
            architecture embeds. Categories are compared as values: a number
            is one category whatever its dtype (10115 and 10115.0 are both
            ``"10115"``), strings are kept as they are. Unseen categories map
            to the out-of-vocabulary id, missing ones to padding (id 0).
        numeric_name : str, default="numeric"
            Name of the numeric input.
        scale : bool, default=True
            Standardise numeric columns; False passes them through (and
            ignores ``bins``).
        bins : int or None, default=32
            Besides its standardised value, give each numeric column a
            one-hot code of its quantile bin (:class:`skmm.preprocessing.QuantileBins`),
            so the network learns thresholds as easily as a tree does.
            None or 0: standardised values only (``StandardScaler``).
        impute : bool, default=True
            Fill missing numbers (NaN, None, ``pd.NA``, polars nulls) with the
            column's median and add a 0/1 missing-indicator feature per column
            that had gaps in fit, like ``SimpleImputer(strategy="median",
            add_indicator=True)``. A gap at transform in a column that had
            none in fit is filled with its fit median, without an indicator
            (the features are fixed by fit). With ``bins`` (the default) the
            :class:`~skmm.preprocessing.QuantileBins` step does it
            (``missing="median"``): statistics are learned from the values
            present, the values still lead the input (``n_values``) and the
            indicators come last, and ``partial_fit`` works. With
            ``bins=None`` or ``scale=False`` a ``SimpleImputer`` step comes
            first (no ``partial_fit``). False refuses NaN, naming the column.
            Infinite values are always refused.
        max_tokens, sequence_length
            Passed to every ``TextSequencer``.
        ngrams : int, sequence of int or None, default=2
            Passed to every text column's ``TextSequencer``: 2 gives each
            document its words and its word pairs, a bag of n-grams as in
            fastText, which the default (mean) text encoder reads well.
            For a sequence encoder (``model__text_encoder="lstm"``, "gru",
            "conv") pass None, so the tokens are the words in order.

        Returns
        -------
        InputRouter

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from skmm import InputRouter
        >>> router = InputRouter.from_columns(numeric=["age", "income"], text=["review"])
        >>> [name for name, _, _ in router.transformers]
        ['numeric', 'review']

        A gap in ``income`` is filled with its median (2.0, standardised: 0)
        and flagged in a last feature:

        >>> X = pd.DataFrame({"age": [20, 30, 40], "income": [1.0, np.nan, 3.0],
        ...                   "review": ["good", "bad product", None]})
        >>> router.fit_transform(X)["numeric"][:, [0, 1, -1]].round(2)
        array([[-1.22, -1.  ,  0.  ],
               [ 0.  ,  0.  ,  1.  ],
               [ 1.22,  1.  ,  0.  ]], dtype=float32)
        >>> router.input_specs_["numeric"].n_values  # two values lead, bins and indicator follow
        2
        """
        def as_list(columns):
            return [columns] if isinstance(columns, str) else list(columns)

        numeric, text, categorical = as_list(numeric), as_list(text), as_list(categorical)
        transformers = []
        if numeric:
            if scale and bins:  # imputes itself, so that it keeps partial_fit
                block = QuantileBins(bins, missing="median" if impute else "error")
            else:
                steps = [SimpleImputer(strategy="median", add_indicator=True,
                                       keep_empty_features=True)] if impute else []
                if scale:
                    steps.append(StandardScaler())
                block = (make_pipeline(*steps) if len(steps) > 1
                         else steps[0] if steps else "passthrough")
            transformers.append((numeric_name, block, numeric))

        def input_name(column, suffix):
            name = re.sub(r"[^0-9A-Za-z_.-]", "_", str(column)) or suffix
            if name in {t[0] for t in transformers} or name == numeric_name:
                name = f"{name}_{suffix}"
            return name

        for column in text:
            seq = TextSequencer(max_tokens=max_tokens, sequence_length=sequence_length,
                                ngrams=ngrams)
            transformers.append((input_name(column, "text"), seq, column))
        for column in categorical:
            seq = TextSequencer(standardize=None, split="whole", sequence_length=1)
            transformers.append((input_name(column, "category"), seq, column))
        if not transformers:
            raise ValueError("InputRouter.from_columns needs at least one numeric, text or "
                             "categorical column.")
        return cls(transformers)

    @classmethod
    def from_frame(cls, X, *, max_categories=50, **kwargs):
        """Build :meth:`from_columns` for a DataFrame by looking at its columns.

        Numbers and bools are numeric (NumPy, nullable, pyarrow-backed or
        polars; gaps are imputed unless ``impute=False``); a ``category``
        column, or a string column with at most ``max_categories`` distinct
        values that are single short phrases (at most 3 words on average),
        is categorical; any other column is free text.

        Parameters
        ----------
        X : DataFrame
            pandas or polars.
        max_categories : int, default=50
        **kwargs
            Passed to :meth:`from_columns` (``impute``, ``ngrams``, ...).

        Returns
        -------
        InputRouter

        Examples
        --------
        >>> import pandas as pd
        >>> from skmm import InputRouter
        >>> X = pd.DataFrame({"price": [1.0, 2.0, 3.0], "color": ["red", "blue", "red"],
        ...                   "review": ["good value for the money", "it broke within a week",
        ...                              None]})
        >>> [(name, cols) for name, _, cols in InputRouter.from_frame(X).transformers]
        [('numeric', ['price']), ('review', 'review'), ('color', 'color')]
        """
        X = _polars_as_pandas(X)  # only to read the columns' kinds
        numeric, text, categorical = [], [], []
        for column in X.columns:
            values = X[column]
            if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
                numeric.append(column)
            elif isinstance(values.dtype, pd.CategoricalDtype):
                categorical.append(column)
            else:
                present = values.dropna().astype(str)
                words = present.str.split().str.len().mean() if len(present) else 0.0
                if present.nunique() <= max_categories and words <= 3:
                    categorical.append(column)
                else:
                    text.append(column)
        return cls.from_columns(numeric=numeric, text=text, categorical=categorical, **kwargs)

    # -- column checks ------------------------------------------------------
    def _check_columns(self, X, when):
        if not isinstance(X, pd.DataFrame):
            return
        odd = [c for c in X.columns if not isinstance(c, str)]
        if odd:
            raise ValueError(
                f"InputRouter: X has non-string column names {odd[:10]}; name every column "
                "with a string (e.g. X.columns = X.columns.astype(str))."
            )
        if X.columns.has_duplicates:
            dups = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
            raise ValueError(
                f"InputRouter: X has duplicate column names {dups}; names must be unique."
            )
        present = set(X.columns)
        missing: dict[str, list[str]] = {}
        for name, _, columns in self.transformers:
            for col in _column_labels(columns):
                if col not in present:
                    missing.setdefault(col, []).append(name)
        if missing:
            detail = ", ".join(
                f"{col!r} (input {', '.join(map(repr, names))}){did_you_mean(col, X.columns)}"
                for col, names in missing.items()
            )
            raise ValueError(
                f"InputRouter: X at {when} time is missing {len(missing)} column(s): {detail}. "
                f"X has columns {list(map(str, X.columns))}."
            )

    def fit(self, X, y=None, **params):
        """Fit every transformer on its columns; see ``ColumnTransformer.fit``."""
        self.fit_transform(X, y, **params)
        return self

    def fit_transform(self, X, y=None, **params):
        """Fit, then return ``{input_name: ndarray}`` for X."""
        self._check_columns(X, "fit")
        try:
            arrays = super().fit_transform(X, y, **params)
        except (TypeError, ValueError) as exc:
            self._explain_non_numeric(X, exc, fitted=False)
            raise
        self._set_specs(arrays)
        return arrays

    def _set_specs(self, arrays):
        self.input_specs_ = {}
        for name, trans, columns in self._fitted_blocks():
            vocab, final = _vocabulary_size(trans), _final_step(trans)
            self.input_specs_[name] = InputSpec(
                name=name, kind="numeric" if vocab is None else "tokens",
                shape=tuple(arrays[name].shape[1:]), dtype=arrays[name].dtype.name,
                vocabulary_size=None if vocab is None else int(vocab),
                columns=tuple(map(str, _column_labels(columns))),
                # QuantileBins leads with the values, then their bins' 0/1 codes
                n_values=final.n_features_in_ if isinstance(final, QuantileBins) else None,
            )

    def partial_fit(self, X, y=None):
        """Fit on one chunk of rows more, for data that does not fit in memory.

        The first call fits every transformer on its chunk (as :meth:`fit`);
        later calls pass each transformer its columns of the new chunk through
        its own ``partial_fit``. With :class:`~skmm.TextSequencer`,
        ``StandardScaler`` and :class:`~skmm.preprocessing.QuantileBins`
        (what :meth:`from_columns` builds by default, imputing gaps included)
        the result is the router :meth:`fit` learns on all the chunks at once:
        the same vocabularies, sequence lengths, bin edges, medians and
        missing indicators (up to ``QuantileBins.subsample`` rows; beyond, the
        edges and medians come from a uniform sample), and the same scaling up
        to floating-point rounding. ``from_columns(bins=None)`` and
        ``scale=False`` impute with a ``SimpleImputer``, which has no
        ``partial_fit``: pass ``impute=False`` there, or fit on a sample.

        Parameters
        ----------
        X : DataFrame
            One chunk, with the columns of the first.
        y : ignored

        Returns
        -------
        self : InputRouter

        Examples
        --------
        >>> import pandas as pd
        >>> from skmm import InputRouter
        >>> chunks = [pd.DataFrame({"n": [1.0, 2.0], "text": ["a b", "b c"]}),
        ...           pd.DataFrame({"n": [3.0, 4.0], "text": ["c d e", "e"]})]
        >>> router = InputRouter.from_columns(numeric=["n"], text=["text"])
        >>> for chunk in chunks:
        ...     router = router.partial_fit(chunk)
        >>> router.input_specs_["text"].vocabulary_size  # 5 words, 4 word pairs, 2 reserved ids
        11
        """
        if not hasattr(self, "transformers_"):
            entries = [*self.transformers, ("remainder", self.remainder, None)]
            for name, trans, _ in entries:
                if isinstance(trans, str):
                    continue  # "drop" or "passthrough"
                if not hasattr(trans, "partial_fit"):
                    raise ValueError(
                        f"InputRouter.partial_fit: input {name!r} uses a "
                        f"{type(trans).__name__}, which has no partial_fit. Give that input "
                        "a transformer that has one (TextSequencer, StandardScaler, "
                        "QuantileBins: from_columns with bins, the default, imputes gaps "
                        "and streams; with bins=None or scale=False pass impute=False), or "
                        "fit the router once on a sample that fits in memory and freeze it "
                        "(sklearn.frozen.FrozenEstimator)."
                    )
            return self.fit(X, y)
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                "InputRouter.partial_fit after the first chunk needs a DataFrame (columns "
                f"are matched by name); got {type(X).__name__}."
            )
        self._check_columns(X, "partial_fit")
        try:
            for name, trans, columns in self._fitted_blocks():
                if trans != "passthrough":
                    trans.partial_fit(X[_as_labels(name, columns)])
        except (TypeError, ValueError) as exc:
            self._explain_non_numeric(X, exc, fitted=True)
            raise
        self._set_specs(self.transform(X))
        return self

    def transform(self, X, **params):
        """Return ``{input_name: ndarray}`` for X (columns matched by name).

        A DataFrame (pandas, or polars read as pandas with pyarrow columns) of
        at most 1,024 rows (online prediction) takes a direct path without
        ``ColumnTransformer``'s validation layers, with bit-identical results
        (the guide's "Performance" page).
        """
        check_is_fitted(self)
        self._check_columns(X, "transform")
        if not params and _is_small_frame(X):
            arrays = transform_small(self, _small_polars_as_pandas(X))
            if arrays is not None:
                return arrays
        try:
            return super().transform(X, **params)
        except (TypeError, ValueError) as exc:
            self._explain_non_numeric(X, exc, fitted=True)
            raise

    def _explain_non_numeric(self, X, exc, fitted):
        """Re-raise a numeric transformer's error naming the input and the bad columns."""
        X = _polars_as_pandas(X)
        if not isinstance(X, pd.DataFrame) or str(exc).startswith("InputRouter"):
            return
        entries = self.transformers_ if fitted else self.transformers
        for name, trans, columns in entries:
            final = _final_step(trans)
            if isinstance(final, str) or _vocabulary_size(trans) is not None:
                continue  # passthrough/drop, or a token transformer
            if get_tags(final).input_tags.string:
                continue  # takes strings (e.g. OneHotEncoder): the error is its own
            labels = [c for c in _column_labels(columns) if c in X.columns]
            numeric = [c for c in labels if pd.api.types.is_numeric_dtype(X[c])
                       or pd.api.types.is_bool_dtype(X[c])]
            not_numbers = [c for c in labels if c not in numeric]
            if not_numbers:
                raise ValueError(
                    f"InputRouter: numeric input {name!r} has values that are not numbers in "
                    f"column(s) {not_numbers} ({exc}). Route text columns through a "
                    "TextSequencer, or encode categories before this input."
                ) from exc
            # an imputing block takes NaN: only infinite values can be what it refused
            bad = np.isinf if _imputes(trans) else (lambda v: ~np.isfinite(v))
            non_finite = [
                c for c in numeric
                if bad(X[c].to_numpy(dtype=np.float64, na_value=np.nan)).any()
            ]
            if non_finite:
                self._raise_non_finite(name, f"column(s) {non_finite}")

    @staticmethod
    def _raise_non_finite(name, where):
        raise ValueError(
            f"InputRouter: numeric input {name!r} has NaN or infinite values in {where}. "
            "Replace infinite values, and impute NaN (InputRouter.from_columns does by "
            "default; in your own router, a SimpleImputer before this input's scaler) or "
            "drop those rows."
        )

    def set_output(self, *, transform=None):
        """Output is always a dict of arrays: ``transform`` may only be None or "default"."""
        if transform not in (None, "default"):
            raise ValueError(
                "InputRouter always returns a dict {input_name: ndarray}; "
                f"set_output(transform={transform!r}) is not supported."
            )
        return self

    # -- the one override that changes the output ---------------------------
    def _fitted_blocks(self):
        """(input name, fitted transformer, columns) of each block ``transform`` outputs.

        Read from the public ``transformers_``, in its order, less "drop" and
        empty column selections: the blocks ``ColumnTransformer`` hands to
        :meth:`_hstack`, in the same order.
        """
        for name, trans, columns in self.transformers_:
            if trans == "drop" or _is_empty(columns):
                continue
            yield name, trans, columns

    def _blocks(self):
        """(input name, vocabulary size or None, columns) per fitted, non-empty block."""
        for name, trans, columns in self._fitted_blocks():
            yield name, _vocabulary_size(trans), columns

    def _hstack(self, Xs, *, n_samples):
        out: dict[str, np.ndarray] = {}
        for (name, vocab, columns), block in zip(self._blocks(), Xs, strict=True):
            if sparse.issparse(block):
                block = block.toarray()
            if vocab is not None:
                array = np.asarray(block)
                if not np.issubdtype(array.dtype, np.integer):
                    raise TypeError(
                        f"InputRouter: token input {name!r} produced {array.dtype} values; "
                        "token transformers must return integer ids."
                    )
                array = array.astype(np.int32, copy=False)
            else:
                array = self._as_float32(name, block, columns)
            out[name] = np.ascontiguousarray(array)
        return out

    @staticmethod
    def _as_float32(name, block, columns):
        labels = _column_labels(columns)
        try:
            array = np.asarray(block, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"InputRouter: numeric input {name!r} (columns {labels}) has values that "
                f"are not numbers ({exc}). Route text columns through a TextSequencer, or "
                "encode categories before this input."
            ) from None
        finite = np.isfinite(array)
        if not finite.all():
            bad = np.where(~finite.all(axis=0))[0]
            if len(labels) == array.shape[1]:
                where = f"column(s) {[labels[i] for i in bad]}"
            else:
                where = f"output column(s) {bad.tolist()} (built from {labels})"
            InputRouter._raise_non_finite(name, where)
        return array
