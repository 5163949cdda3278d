"""FunctionalEstimator, FunctionalClassifier, FunctionalRegressor.

One core (:class:`FunctionalEstimator`) and two thin task classes. The core
routes X through an :class:`~skmm.InputRouter`, splits y with a
:class:`~skmm.TargetSplitter`, builds (or clones) a Keras Functional model
from the resulting :class:`~skmm.meta.ModelMeta`, compiles it per head, and
trains it; ``predict`` runs the same path backwards and returns y's
container.
"""

from __future__ import annotations

import numbers

import keras
import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from . import _params, _predict
from ._messages import did_you_mean
from ._seeding import scoped_seed
from .architectures import default_model
from .history import plot_history
from .meta import ModelMeta
from .persistence import model_from_bytes, model_to_bytes
from .routing import InputRouter, InputSpec
from .targets import CLASSIFICATION_KINDS, TargetSplitter
from .weights import head_weights

__all__ = ["FunctionalEstimator", "FunctionalClassifier", "FunctionalRegressor"]

# Rows predicted per batch unless predict__batch_size says otherwise; a
# request of at most this many rows is one direct batch call.
_PREDICT_BATCH = 1024
# predict encodes, predicts and decodes at most this many rows at a time
_PREDICT_CHUNK = 16384
# early_stopping="auto" stops early from this many training samples on, holding
# out this share of them when no validation_split is given.
_AUTO_EARLY_STOPPING_SAMPLES = 1000
_EARLY_STOPPING_FRACTION = 0.1

_LOSSES = {
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
    "multilabel-indicator": "binary_crossentropy",
    "continuous": "mean_squared_error",
    "continuous-multioutput": "mean_squared_error",
}


def _default_metrics(kind):
    if kind == "multiclass":
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    if kind in ("binary", "multilabel-indicator"):
        return [keras.metrics.BinaryAccuracy(name="accuracy")]
    return [keras.metrics.MeanAbsoluteError(name="mae")]


def _may_have_class_heads(est) -> bool:
    """predict_proba exists unless the estimator is known to have no class head."""
    if est._task == "regression":
        return False
    if hasattr(est, "splitter_"):
        return any(h.is_classification for h in est.splitter_.heads_.values())
    return True


def _match_names(model_names, n_model, expected):
    """Order of ``expected`` names as the model lists them, or None if they differ.

    One model input (output) takes the one router input (head) whatever its name.
    """
    if n_model == 1 and len(expected) == 1:
        return list(expected)
    if set(model_names) == set(expected) and len(model_names) == n_model:
        return list(model_names)
    return None


def _is_input_dict(X) -> bool:
    """A dict of named input arrays (scipy's DOK sparse matrix is a dict too, and is not)."""
    return isinstance(X, dict) and not sparse.issparse(X)


class FunctionalEstimator(BaseEstimator):
    """A Keras Functional model with any inputs and any mix of heads, as an estimator.

    Parameters
    ----------
    model : callable, keras.Model or None, default=None
        A builder ``build(meta, **model_params) -> keras.Model`` receiving a
        :class:`~skmm.meta.ModelMeta`; a ``keras.Model`` (cloned before
        training, never mutated); or None for
        :func:`skmm.architectures.default_model`. A builder may return a
        compiled model (then compile settings here are not used) or an
        uncompiled one (compiled here with per-head losses and metrics).
    router : InputRouter, ColumnTransformer or None, default=None
        Routes DataFrame columns to the model's inputs (cloned in fit). A
        plain ``ColumnTransformer`` is used as an ``InputRouter`` with the
        same transformers. None: a dict of arrays is used as is, a numeric
        array (or a DataFrame whose column names are not all strings)
        becomes one input, and a DataFrame with string column names gets
        ``InputRouter.from_frame(X)`` (numbers in one input, each text or
        categorical column in its own). A router fitted beforehand (for
        example chunk by chunk with ``InputRouter.partial_fit``) and wrapped
        in ``sklearn.frozen.FrozenEstimator`` is used as it is, never refitted.
    targets : TargetSplitter or None, default=None
        How y splits into heads (grouping, kinds, standardisation, missing
        labels). Cloned in fit; None uses ``TargetSplitter()``.
    epochs : int, default=10
        Passes over the training data per ``fit``.
    batch_size : int, default=32
        Samples per gradient step. Prediction runs in batches of 1024 rows
        (``predict__batch_size`` changes that); a request of at most one
        batch is a single direct call, without ``model.predict``'s per-call
        overhead.
    optimizer : str, keras optimizer class or instance, default="adam"
        Refined by ``optimizer__*`` (e.g. ``optimizer__learning_rate``).
    loss : None, str, callable, or dict of head -> loss, default=None
        None picks per head: binary cross-entropy (binary, multilabel),
        sparse categorical cross-entropy (multiclass), mean squared error
        (regression). Refined by ``loss__*`` when given as a class.
    metrics : None, list, or dict of head -> list, default=None
        None: accuracy for class heads, MAE for regression heads.
    loss_weights : None or dict of head -> float, default=None
        Relative weight of each head's loss (missing heads weigh 1).
    class_weight : None, "balanced", dict, default=None
        Per classification head ``{head: {label: weight} or "balanced"}``;
        with one head a plain ``{label: weight}`` works too. Applied as
        per-head sample weights (Keras refuses ``class_weight`` for several
        outputs).
    validation_split : float, default=0.0
        Share of the training data (the last rows, as in Keras) held out for
        validation metrics.
    early_stopping : "auto", bool, default="auto"
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs and restore the best epoch's weights.
        "auto" turns it on for ``fit`` on 1,000 samples or more. Without a
        ``validation_split``, a random 10% of the training rows (drawn with
        ``random_state``) is held out for it. ``partial_fit`` never stops
        early. When ``callbacks`` holds a ``keras.callbacks.EarlyStopping``
        (for example on one head's ``val_<head>_accuracy``), that one is used
        instead of skmm's, on the same held-out rows.
    n_iter_no_change : int, default=3
        Patience of early stopping, in epochs.
    callbacks : None, list or dict of keras callbacks (classes or instances)
        Copied fresh for every fit; refined by
        ``callbacks__<position or key>__<argument>``.
    verbose : int, default=0
        Keras' verbosity for fit (0 silent, 1 progress bar, 2 one line per
        epoch).
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, dropout and shuffling for this fit
        only; all global generators are restored afterwards.
    warm_start : bool, default=False
        When True, a second ``fit`` continues training the fitted model
        instead of starting again.

    Notes
    -----
    An interrupted fit (``KeyboardInterrupt``, e.g. Ctrl-C, raised while
    Keras trains) keeps the weights trained so far and the epochs Keras
    recorded in ``history_``; the estimator stays usable for ``predict``
    and the interrupt is re-raised to the caller.
    **routed_params
        ``model__*`` (builder keyword arguments), ``optimizer__*``,
        ``loss__*``, ``compile__*`` (e.g. ``compile__jit_compile``),
        ``fit__*`` (e.g. ``fit__shuffle``), ``predict__*``, ``callbacks__*``.

    Attributes
    ----------
    model_ : keras.Model
        The trained model.
    router_ : InputRouter or None
        The fitted router (None when X needed none).
    splitter_ : TargetSplitter
        The fitted target splitter.
    meta_ : ModelMeta
        What the model was built from.
    history_ : pandas.DataFrame
        Per-epoch losses and metrics per head (one row per epoch, across
        warm-started fits and ``partial_fit`` calls).
    n_features_in_ : int
        Number of columns of X seen in fit (DataFrame or array).
    feature_names_in_ : ndarray of str
        Column names of X, when X was a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm import FunctionalEstimator, InputRouter
    >>> X = pd.DataFrame({"age": [20, 30, 40, 50] * 8,
    ...                   "review": ["great", "awful", "fine", "great value"] * 8})
    >>> y = pd.DataFrame({"liked": ["yes", "no", "yes", "yes"] * 8,
    ...                   "stars": [5.0, 1.0, 3.0, 5.0] * 8})
    >>> est = FunctionalEstimator(router=InputRouter.from_columns(["age"], ["review"]),
    ...                           epochs=2, random_state=0).fit(X, y)
    >>> list(est.predict(X.head(2)).columns)
    ['liked', 'stars']
    """

    _task = None

    def __init__(
        self,
        model=None,
        router=None,
        targets=None,
        *,
        epochs=10,
        batch_size=32,
        optimizer="adam",
        loss=None,
        metrics=None,
        loss_weights=None,
        class_weight=None,
        validation_split=0.0,
        early_stopping="auto",
        n_iter_no_change=3,
        callbacks=None,
        verbose=0,
        random_state=None,
        warm_start=False,
        **routed_params,
    ):
        self.model = model
        self.router = router
        self.targets = targets
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.loss_weights = loss_weights
        self.class_weight = class_weight
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        self.warm_start = warm_start
        for key, value in routed_params.items():
            setattr(self, key, value)  # validated in fit

    # -- scikit-learn parameter protocol -------------------------------------
    def _routed_params(self):
        return {k: v for k, v in vars(self).items() if _params.is_routed(k)}

    def get_params(self, deep=True):
        """Parameters, including the routed ``model__*``-style ones."""
        params = super().get_params(deep=deep)
        params.update(self._routed_params())
        return params

    def set_params(self, **params):
        """Set parameters; routed ones (``model__units``) are stored as given.

        Unknown names are stored too and reported by ``fit``, as scikit-learn
        expects of ``set_params``.
        """
        plain, known = {}, set(self._get_param_names())
        for key, value in params.items():
            if key.partition("__")[0] in known and not _params.is_routed(key):
                plain[key] = value
            else:  # routed, or unknown: stored now, reported by fit (as in __init__)
                setattr(self, key, value)
        if plain:
            super().set_params(**plain)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.non_deterministic = self.random_state is None
        tags.input_tags.string = True
        return tags

    # -- validation ------------------------------------------------------------
    def _check_params(self):
        known = set(self._get_param_names())
        unknown = [k for k in vars(self) if not k.endswith("_") and not k.startswith("_")
                   and k not in known and not _params.is_routed(k)]
        if unknown:
            raise ValueError(
                f"{type(self).__name__} got unknown parameter(s) {unknown}"
                f"{did_you_mean(unknown[0], known)}; routed parameters start with one of "
                f"{[p + '__' for p in _params.ROUTED_PREFIXES]}."
            )

        def integer(name, minimum):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or (
                value < minimum
            ):
                raise ValueError(
                    f"Parameter '{name}' must be an integer >= {minimum}; got {value!r}."
                )

        integer("epochs", 1)
        integer("batch_size", 1)
        integer("verbose", 0)
        integer("n_iter_no_change", 1)
        if self.early_stopping not in ("auto", True, False):
            raise ValueError(
                "Parameter 'early_stopping' must be 'auto', True or False; "
                f"got {self.early_stopping!r}."
            )
        vs = self.validation_split
        if not isinstance(vs, numbers.Real) or not 0.0 <= vs < 1.0:
            raise ValueError(f"Parameter 'validation_split' must be in [0, 1); got {vs!r}.")

    def _seed(self):
        if self.random_state is None:
            return None
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    # -- X -----------------------------------------------------------------------
    def _fit_inputs(self, X):
        router = self.router
        if _is_input_dict(X):
            self.router_ = None
            arrays = self._dict_arrays(X)
        elif router is None and not (
            isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns)
        ):
            # arrays, and DataFrames without string column names (as scikit-learn treats
            # them): one numeric input
            self.router_ = None
            arrays = {"features": validate_data(self, X, dtype=np.float32, reset=True)}
        elif isinstance(router, FrozenEstimator):
            # fitted beforehand (say chunk by chunk with partial_fit): used, never refitted
            inner = router.estimator
            if not isinstance(inner, InputRouter):
                raise ValueError(
                    "Parameter 'router' is a FrozenEstimator around a "
                    f"{type(inner).__name__}; freeze a fitted InputRouter."
                )
            check_is_fitted(inner)
            self.router_ = inner
            arrays = inner.transform(X)
            if hasattr(inner, "feature_names_in_"):
                self.feature_names_in_ = inner.feature_names_in_
            self.n_features_in_ = inner.n_features_in_
        else:
            if router is None:
                router = InputRouter.from_frame(X)
            elif isinstance(router, ColumnTransformer) and not isinstance(router, InputRouter):
                router = InputRouter(**router.get_params(deep=False))
            elif not isinstance(router, InputRouter):
                raise ValueError(
                    "Parameter 'router' must be an InputRouter, a ColumnTransformer or None; "
                    f"got {type(router).__name__}."
                )
            self.router_ = clone(router)
            arrays = self.router_.fit_transform(X)
            if hasattr(self.router_, "feature_names_in_"):
                self.feature_names_in_ = self.router_.feature_names_in_
            self.n_features_in_ = self.router_.n_features_in_
        if not arrays:
            raise ValueError("X produced no model inputs; check the router's transformers.")
        self.input_specs_ = self._specs(arrays, getattr(self.router_, "input_specs_", None))
        return arrays

    def _transform_inputs(self, X):
        check_is_fitted(self, "model_")
        if _is_input_dict(X):
            arrays = self._dict_arrays(X)
            missing = [n for n in self.input_specs_ if n not in arrays]
            if missing:
                raise ValueError(f"X is missing inputs {missing}; it has {list(arrays)}.")
            return arrays
        if self.router_ is None:
            return {"features": validate_data(self, X, dtype=np.float32, reset=False)}
        return self.router_.transform(X)

    @staticmethod
    def _dict_arrays(X):
        out = {}
        for name, value in X.items():
            arr = np.asarray(value)
            if arr.ndim == 1:
                arr = arr[:, None]
            if np.issubdtype(arr.dtype, np.integer):
                arr = arr.astype(np.int32, copy=False)
            else:
                try:
                    arr = arr.astype(np.float32, copy=False)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"X input {name!r} must hold numbers; route text through an "
                        "InputRouter with a TextSequencer."
                    ) from None
            out[str(name)] = arr
        return out

    @staticmethod
    def _specs(arrays, routed=None):
        """Input specs; a router's own (its full vocabulary sizes) where it has them.

        The ids present in one batch can stop short of the vocabulary (a chunk
        in ``partial_fit``, or words only seen past ``sequence_length``), and
        an Embedding sized from them would fail on later data.
        """
        specs = {}
        for name, arr in arrays.items():
            if routed and name in routed:
                specs[name] = routed[name]
                continue
            tokens = arr.dtype == np.int32
            specs[name] = InputSpec(
                name=name,
                kind="tokens" if tokens else "numeric",
                shape=tuple(arr.shape[1:]),
                dtype=arr.dtype.name,
                vocabulary_size=int(arr.max()) + 1 if tokens and arr.size else None,
            )
        return specs

    # -- y ---------------------------------------------------------------------
    def _make_splitter(self):
        splitter = TargetSplitter() if self.targets is None else clone(self.targets)
        if not isinstance(splitter, TargetSplitter):
            raise ValueError(
                f"Parameter 'targets' must be a TargetSplitter or None; got {splitter!r}."
            )
        if self._task is not None:
            if splitter.task not in (None, self._task):
                raise ValueError(
                    f"Parameter 'targets' has task={splitter.task!r} but "
                    f"{type(self).__name__} is for {self._task}."
                )
            splitter.set_params(task=self._task)
        return splitter

    def _head_weights(self, encoded, observed, sample_weight, n):
        return head_weights(self.splitter_.heads_, encoded, observed, sample_weight,
                            self.class_weight, n)

    # -- the model ---------------------------------------------------------------
    def _build_model(self, meta):
        model_params = _params.routed(self._routed_params(), "model")
        spec = self.model
        if spec is None:
            model = default_model(meta, **model_params)
        elif isinstance(spec, keras.Model):
            if model_params:
                raise ValueError(
                    f"model__* parameters {sorted(model_params)} need a builder function; "
                    "'model' is a keras.Model instance."
                )
            model = keras.models.clone_model(spec)
            if getattr(spec, "compiled", False) and not getattr(model, "compiled", False):
                model.compile_from_config(spec.get_compile_config())
        elif callable(spec):
            model = spec(meta, **model_params)
        else:
            raise ValueError(
                "Parameter 'model' must be None, a keras.Model or a builder "
                f"build(meta, **params) -> keras.Model; got {spec!r}."
            )
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"The model builder returned {type(model).__name__}, not a keras.Model."
            )
        return model

    def _wire(self, model, meta):
        """Check the model's input/output names against the router and heads."""
        in_names = [t.name for t in model.inputs]
        self.input_order_ = _match_names(in_names, len(model.inputs), meta.inputs)
        if self.input_order_ is None:
            missing = [n for n in in_names if n not in meta.inputs]
            raise ValueError(
                f"The model's inputs {in_names} do not match the router's inputs "
                f"{list(meta.inputs)}: no data for {missing}"
                f"{did_you_mean(missing[0], meta.inputs) if missing else ''}. Name each "
                "keras.Input after a router transformer."
            )
        structure = getattr(model, "input", None)
        self.input_structure_ = (
            "dict" if isinstance(structure, dict)
            else "list" if isinstance(structure, (list, tuple)) or len(in_names) > 1
            else "single"
        )
        out_names = list(getattr(model, "output_names", None) or [])
        self.output_order_ = _match_names(out_names, len(model.outputs), meta.heads)
        if self.output_order_ is None:
            extra = [n for n in out_names if n not in meta.heads]
            raise ValueError(
                f"The model's outputs {out_names} do not match the target heads "
                f"{list(meta.heads)}"
                f"{did_you_mean(extra[0], meta.heads) if extra else ''}. Name each output "
                "layer after a head (a column of y, or a key of TargetSplitter(heads=...))."
            )
        for name, output in zip(self.output_order_, model.outputs, strict=True):
            head = meta.heads[name]
            width = output.shape[-1]
            if width is not None and width != head.n_outputs:
                raise ValueError(
                    f"Output {name!r} has {width} units but head {name!r} ({head.kind}) needs "
                    f"{head.n_outputs}."
                )

    def _per_head(self, value, what, default):
        if isinstance(value, dict):
            unknown = [k for k in value if k not in self.splitter_.heads_]
            if unknown:
                raise ValueError(
                    f"Parameter '{what}' names heads {unknown} that y does not have"
                    f"{did_you_mean(unknown[0], self.splitter_.heads_)}; heads are "
                    f"{list(self.splitter_.heads_)}."
                )
            return [value.get(h, default(h)) for h in self.output_order_]
        if value is None:
            return [default(h) for h in self.output_order_]
        return [value for _ in self.output_order_]

    def _compile(self, model):
        if getattr(model, "compiled", False):
            return
        routed = self._routed_params()
        heads = self.splitter_.heads_
        loss_kwargs = _params.routed(routed, "loss")
        given = self._per_head(self.loss, "loss", lambda h: None)  # loss__* refines these
        losses = [
            _LOSSES[heads[h].kind] if loss is None else _params.make_loss(loss, loss_kwargs)
            for h, loss in zip(self.output_order_, given, strict=True)
        ]
        metrics = self._per_head(self.metrics, "metrics", lambda h: _default_metrics(heads[h].kind))
        weights = None
        if self.loss_weights is not None:
            if not isinstance(self.loss_weights, dict):
                raise ValueError(
                    "Parameter 'loss_weights' must be a dict {head: weight} or None; got "
                    f"{self.loss_weights!r}."
                )
            weights = self._per_head(self.loss_weights, "loss_weights", lambda h: 1.0)
        single = len(self.output_order_) == 1
        model.compile(
            optimizer=_params.make_optimizer(self.optimizer,
                                             _params.routed(routed, "optimizer")),
            loss=losses[0] if single else losses,
            metrics=metrics[0] if single else metrics,
            loss_weights=(weights[0] if single else weights) if weights else None,
            **_params.routed(routed, "compile"),
        )

    def _model_x(self, arrays):
        """Inputs in the structure the model was built with (one tensor, list or dict)."""
        if self.input_structure_ == "dict":
            return {n: arrays[n] for n in self.input_order_}
        if self.input_structure_ == "list":
            return [arrays[n] for n in self.input_order_]
        return arrays[self.input_order_[0]]

    def _model_y(self, per_head):
        out = [per_head[h] for h in self.output_order_]
        return out[0] if len(out) == 1 else out

    # -- fitting -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the router, the target splitter and the model.

        Parameters
        ----------
        X : DataFrame, dict of arrays, or array-like of shape (n_samples, n_features)
        y : DataFrame, dict of arrays, Series or array-like
            One head per column (or as ``targets`` groups them). Missing
            labels (NaN, None, pd.NA) are masked for their head only.
        sample_weight : array-like of shape (n_samples,), dict of head -> array, \
                or DataFrame
            One weight vector for all heads, or one per head (a dict, or a
            DataFrame with one column per head: the form to use under
            cross-validation and metadata routing, which split it by row).

        Returns
        -------
        self
        """
        fitted = hasattr(self, "model_")
        return self._fit(X, y, sample_weight, self.epochs, reset=not (self.warm_start and fitted),
                         may_stop_early=True)

    def partial_fit(self, X, y, sample_weight=None):
        """Train one epoch on this batch, keeping the model between calls.

        The first call fits the router and target splitter on its data and
        builds the model; later calls only transform and train.
        """
        return self._fit(X, y, sample_weight, 1, reset=not hasattr(self, "model_"))

    def _fit(self, X, y, sample_weight, epochs, reset, may_stop_early=False):
        self._check_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if isinstance(X, pd.DataFrame) and X.shape[0] == 0:
            raise ValueError(f"X is an empty DataFrame (0 rows, columns {list(X.columns)}).")
        arrays = self._fit_inputs(X) if reset else self._transform_inputs(X)
        n = len(next(iter(arrays.values())))
        if n == 0:
            raise ValueError("X has 0 samples; at least one is needed to fit.")
        n_y = _num_samples(next(iter(y.values())) if isinstance(y, dict) else y)
        if n_y != n:
            raise ValueError(f"y has {n_y} rows but X has {n}; they must match.")
        if reset:
            self.splitter_ = self._make_splitter().fit(y)
            if getattr(self, "_first_classes", None) is not None:
                self.splitter_.set_classes(self._first_classes)
        encoded, observed = self.splitter_.transform_with_mask(y)
        weights = self._head_weights(encoded, observed, sample_weight, n)
        seed = self._seed()
        with scoped_seed(seed):
            if reset:
                self.meta_ = ModelMeta(inputs=dict(self.input_specs_),
                                       heads=dict(self.splitter_.heads_))
                model = self._build_model(self.meta_)
                self._wire(model, self.meta_)
                self._compile(model)
                self.model_ = model
                self.history_ = pd.DataFrame()
            try:
                history = self._train(arrays, encoded, weights, epochs,
                                      may_stop_early and self._stops_early(n), seed)
            except KeyboardInterrupt:
                # keep the weights trained so far and the epochs Keras recorded, then let
                # the interrupt go on to the caller
                partial = getattr(self.model_, "history", None)
                if partial is not None and getattr(partial, "history", None):
                    self._append_history(partial.history)
                raise
        self._append_history(history.history)
        return self

    def _stops_early(self, n):
        if self.early_stopping == "auto":
            return n >= _AUTO_EARLY_STOPPING_SAMPLES
        return bool(self.early_stopping)

    def _train(self, arrays, encoded, weights, epochs, stop_early=False, seed=None):
        """One call to ``model.fit`` with everything routed (an extension point)."""
        use_weights = any((w != 1.0).any() for w in weights.values())
        routed = self._routed_params()
        callbacks = _params.make_callbacks(self.callbacks, routed)
        kwargs = {"validation_split": self.validation_split}
        if stop_early:
            if not any(isinstance(cb, keras.callbacks.EarlyStopping) for cb in callbacks):
                # the user's own EarlyStopping (say on one head's val metric) takes its place
                callbacks.append(keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=self.n_iter_no_change,
                    restore_best_weights=True))
            if not self.validation_split:
                n = len(next(iter(arrays.values())))
                order = np.random.default_rng(seed).permutation(n)
                n_val = max(1, int(round(_EARLY_STOPPING_FRACTION * n)))
                val, train = np.sort(order[:n_val]), np.sort(order[n_val:])

                def take(d, idx):
                    return {k: v[idx] for k, v in d.items()}

                held_out = (self._model_x(take(arrays, val)), self._model_y(take(encoded, val)))
                if use_weights:
                    held_out += (self._model_y(take(weights, val)),)
                kwargs = {"validation_data": held_out}
                arrays, encoded, weights = take(arrays, train), take(encoded, train), take(
                    weights, train)
        return self.model_.fit(
            self._model_x(arrays),
            self._model_y(encoded),
            sample_weight=self._model_y(weights) if use_weights else None,
            epochs=epochs,
            batch_size=self.batch_size,
            callbacks=callbacks,
            verbose=self.verbose,
            **kwargs,
            **_params.routed(routed, "fit"),
        )

    def _append_history(self, history):
        frame = pd.DataFrame(history)
        start = len(self.history_)
        frame.index = pd.RangeIndex(start + 1, start + 1 + len(frame), name="epoch")
        self.history_ = pd.concat([self.history_, frame]) if start else frame

    def plot_history(self, *, figsize=None):
        """Plot ``history_``: a panel for the total loss and one per head.

        Training curves are solid, validation curves (with
        ``validation_split`` or early stopping) dashed. Needs matplotlib
        (``pip install "skmm[plot]"``).

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        After ``est.fit(X, y)`` with ``validation_split=0.2`` (tested in
        ``tests/test_ecosystem.py``)::

            fig = est.plot_history()
            fig.savefig("history.png")
        """
        check_is_fitted(self, "model_")
        return plot_history(self.history_, list(self.splitter_.heads_), figsize=figsize)

    # -- prediction --------------------------------------------------------------
    def _raw_predict(self, X):
        """Per-head raw model outputs for X (one chunk of rows: all encoded at once)."""
        arrays = self._transform_inputs(X)
        n = len(next(iter(arrays.values())))
        x = self._model_x(arrays)
        kwargs = _params.routed(self._routed_params(), "predict")
        batch = int(kwargs.pop("batch_size", _PREDICT_BATCH))
        if kwargs:
            # predict__ settings only model.predict understands (callbacks, steps...)
            outputs = self.model_.predict(x, batch_size=batch, **{"verbose": 0, **kwargs})
            return self._outputs_by_head(outputs)
        allow_xla = "jit_compile" not in _params.routed(self._routed_params(), "compile")
        parts = [
            self._predict_batch(_predict.map_arrays(lambda a, s=start: a[s:s + batch], x),
                                min(batch, n - start), batch, allow_xla)
            for start in range(0, max(n, 1), batch)
        ]
        if len(parts) == 1:
            return parts[0]
        return {h: np.concatenate([p[h] for p in parts]) for h in self.output_order_}

    def _predict_batch(self, x, n, batch, allow_xla):
        """One in-memory batch through the compiled predict function, padded to 2^k rows."""
        padded = _predict.pad_rows(x, _predict.padded_rows(n, batch))
        outputs = _predict.predict_on_batch(self.model_, padded, allow_xla)
        return {h: o[:n] for h, o in self._outputs_by_head(outputs).items()}

    def _outputs_by_head(self, outputs):
        if isinstance(outputs, dict):
            return {h: np.asarray(outputs[h]) for h in self.output_order_}
        if len(self.output_order_) == 1:
            outputs = [outputs[0]] if isinstance(outputs, (list, tuple)) else [outputs]
        return {h: np.asarray(o) for h, o in zip(self.output_order_, outputs, strict=True)}

    def _predict_chunks(self, X, finish):
        """``finish(raw, rows)`` on each chunk of rows of X, joined in order.

        Large inputs are encoded, predicted and decoded ``_PREDICT_CHUNK``
        rows at a time, so memory holds one chunk's encoded inputs and raw
        outputs, not the whole input's.
        """
        check_is_fitted(self, "model_")
        if _is_input_dict(X):
            n = _num_samples(next(iter(X.values())))
        else:
            n = _num_samples(X)
        if n <= _PREDICT_CHUNK:
            return finish(self._raw_predict(X), X)
        return _predict.concat_predictions([
            finish(self._raw_predict(rows), rows)
            for rows in _predict.row_chunks(X, n, _PREDICT_CHUNK)
        ])

    def predict(self, X):
        """Predict, returning y's container (DataFrame, dict, Series or array).

        Parameters
        ----------
        X : same kind of input as in fit

        Returns
        -------
        Predictions with the columns, keys, name and label values of y.
        """
        return self._predict_chunks(X, lambda raw, rows: self.splitter_.inverse_transform(
            raw, index=rows.index if isinstance(rows, pd.DataFrame) else None))

    @available_if(_may_have_class_heads)
    def predict_proba(self, X):
        """Class probabilities of every classification head.

        Returns
        -------
        ndarray of shape (n_samples, n_classes) when y has one classification
        head and nothing else; otherwise a dict ``{head: ndarray}`` holding
        every classification head. Binary heads give two columns, in
        ``classes_`` order.
        """
        check_is_fitted(self, "model_")
        proba = self._predict_chunks(X, lambda raw, rows: self.splitter_.probabilities(raw))
        if len(self.splitter_.heads_) == 1:
            return next(iter(proba.values()))
        return proba

    def score_per_head(self, X, y, sample_weight=None):
        """Default score of each head: accuracy for class heads, R^2 for regression heads.

        Samples whose label is missing for a head are left out of that head.

        Returns
        -------
        dict of str -> float
        """
        check_is_fitted(self, "model_")
        encoded, observed = self.splitter_.transform_with_mask(y)
        truth = self.splitter_.decode(encoded)
        pred = self._predict_chunks(X, lambda raw, rows: self.splitter_.decode(raw))
        scores = {}
        for name, head in self.splitter_.heads_.items():
            keep = observed[name]
            w = None if sample_weight is None else np.asarray(sample_weight)[keep]
            metric = accuracy_score if head.kind in CLASSIFICATION_KINDS else r2_score
            scores[name] = float(metric(truth[name][keep], pred[name][keep], sample_weight=w))
        return scores

    def score(self, X, y, sample_weight=None):
        """Mean over heads of each head's default score (accuracy or R^2).

        See :meth:`score_per_head` for the breakdown.
        """
        return float(np.mean(list(self.score_per_head(X, y, sample_weight).values())))

    # -- pickling ------------------------------------------------------------------
    def __getstate__(self):
        state = self.__dict__.copy()
        if "model_" in state:
            state["model_"] = model_to_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state["model_"] = model_from_bytes(state["model_"])
        self.__dict__.update(state)


class FunctionalClassifier(ClassifierMixin, FunctionalEstimator):
    """:class:`FunctionalEstimator` whose heads are all classification heads.

    Every head is binary, multiclass or multilabel (integer targets are
    labels here, whatever their count). ``classes_`` is an array for one
    head and a list of arrays (in head order) for several, as in
    scikit-learn; ``score`` is the mean accuracy over heads.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import FunctionalClassifier
    >>> X = np.random.default_rng(0).normal(size=(64, 3))
    >>> y = np.where(X[:, 0] > 0, "up", "down")
    >>> clf = FunctionalClassifier(epochs=3, random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['down', 'up']
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _task = "classification"

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train one epoch on this batch, keeping the model between calls.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.
        classes : array-like or dict of head -> array-like, optional
            Every class of each head, needed on the first call when a batch
            may not show them all (as in scikit-learn's ``partial_fit``).
        """
        if classes is not None and not hasattr(self, "model_"):
            self._first_classes = classes
        try:
            return super().partial_fit(X, y, sample_weight)
        finally:
            self.__dict__.pop("_first_classes", None)

    @property
    def classes_(self):
        check_is_fitted(self, "splitter_")
        classes = list(self.splitter_.classes_.values())
        return classes[0] if len(classes) == 1 else classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class FunctionalRegressor(RegressorMixin, FunctionalEstimator):
    """:class:`FunctionalEstimator` whose heads are all regression heads.

    ``score`` is the mean R^2 over heads (uniform average over the columns
    of a multi-output head).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import FunctionalRegressor
    >>> X = np.random.default_rng(0).normal(size=(64, 3))
    >>> reg = FunctionalRegressor(epochs=3, random_state=0).fit(X, X @ [1.0, 2.0, 0.5])
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _task = "regression"

