"""FunctionalEstimator, FunctionalClassifier, FunctionalRegressor.

One core (:class:`FunctionalEstimator`) and two thin task classes. ``fit`` is
a few named steps: route X into input arrays (``_inputs``), split y into
heads (:class:`~skmm.TargetSplitter`), weigh each head's samples
(``weights``), build, wire and compile the model (``_model``), place it on
the devices (``_distribution``) and train it on the rows (``_rows``,
``_training``). Each step takes data and returns values; the estimator keeps
them as its fitted attributes. ``predict`` runs the same path backwards
through one compiled forward pass (``_predict``) and returns y's container;
``score`` is the mean over heads of each head kind's own score
(:mod:`skmm.scoring`, :mod:`skmm.heads`).
"""

from __future__ import annotations

from numbers import Integral, Real

import keras
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _distribution, _inputs, _params, _predict, _training, history, scoring
from ._model import Wiring, build_model, compile_model, member_mean, output_members, wire
from ._rows import Rows
from ._seeding import scoped_seed, seed_of
from .heads import class_heads
from .meta import ModelMeta
from .persistence import KerasPickleMixin
from .targets import TargetSplitter, splitter_for
from .weights import head_weights, weights_by_head

__all__ = ["FunctionalEstimator", "FunctionalClassifier", "FunctionalRegressor"]

def _may_have_class_heads(est) -> bool:
    """predict_proba exists unless the estimator is known to have no class head."""
    if est._task == "regression":
        return False
    if hasattr(est, "targets_"):
        return bool(class_heads(est.targets_.heads_))
    return True


class FunctionalEstimator(KerasPickleMixin, BaseEstimator):
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
        Routes DataFrame columns to the model's inputs (cloned in fit; a plain
        ``ColumnTransformer`` acts as an ``InputRouter``). None: a dict of
        arrays is used as is, a numeric array (or a DataFrame without string
        column names) is one input, a DataFrame gets
        ``InputRouter.from_frame(X)``. A fitted router wrapped in
        ``sklearn.frozen.FrozenEstimator`` is used as it is, never refitted.
    targets : TargetSplitter or None, default=None
        How y splits into heads (grouping, kinds, standardisation, missing
        labels). Cloned in fit; None uses ``TargetSplitter()``.
    epochs : int, default=10
        Passes over the training data per ``fit``.
    batch_size : int or "auto", default="auto"
        Samples per gradient step. "auto": the power of two nearest
        ``n_samples / 64``, within [32, 1024] (large data trains in fewer,
        larger steps, several times faster on a CPU). Prediction runs in
        batches of 1024 rows (``predict__batch_size`` changes that).
    optimizer : str, keras optimizer class or instance, default="adam"
        Refined by ``optimizer__*`` (e.g. ``optimizer__beta_1``).
    learning_rate : float or "auto", default="auto"
        Learning rate of an optimizer given by name or class (an instance
        keeps its own; ``optimizer__learning_rate`` wins over both). "auto":
        1e-3 at batch size 32, growing with the square root of the batch
        size (about 2.8e-3 at 256, 5.7e-3 at 1024).
    loss : None, str, callable, or dict of head -> loss, default=None
        None: each head kind's default (:mod:`skmm.heads`: cross-entropy,
        mean squared error, Poisson). Refined by ``loss__*`` for a class.
    metrics : None, list, or dict of head -> list, default=None
        None: accuracy for class heads, MAE for the others.
    loss_weights : None or dict of head -> float, default=None
        Relative weight of each head's loss (missing heads weigh 1).
    class_weight : None, "balanced", dict, default=None
        Per class head ``{head: {label: weight} or "balanced"}`` (one head: a
        plain ``{label: weight}``), applied as per-head sample weights.
    validation_split : float, default=0.0
        Share of the training data (the last rows, as in Keras) held out for
        validation metrics.
    early_stopping : "auto", bool, default="auto"
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs, ending with the mean of the weights
        from the epoch before the best one on; "auto" from 1,000 samples on.
        Each epoch without improvement also divides the learning rate by 4
        (unless ``callbacks`` or a schedule steer it). Without a ``validation_split``, a
        random 10% of the rows (drawn with ``random_state``) is held out, the
        copies of a row (the same inputs and targets, up to 20 times) all on
        one side (a held-out copy of a training row would hide overfitting).
        ``partial_fit`` never stops early. A ``keras.callbacks.EarlyStopping``
        in ``callbacks`` takes the place of skmm's, on the same rows.
    n_iter_no_change : int, default=3
        Patience of early stopping, in epochs.
    callbacks : None, list or dict of keras callbacks (classes or instances)
        Copied fresh for every fit; refined by
        ``callbacks__<position or key>__<argument>``.
    verbose : int, default=0
        Keras' verbosity for fit (0 silent, 1 progress bar, 2 a line an epoch).
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, dropout and shuffling for this fit
        only; all global generators are restored afterwards.
    warm_start : bool, default=False
        When True, a second ``fit`` continues training the fitted model
        instead of starting again. A parameter the model embodies
        (``model``, ``router``, ``targets``, ``loss``, ``metrics``,
        ``loss_weights``, ``optimizer`` and ``model__*``, ``loss__*``,
        ``optimizer__*``, ``compile__*``) changed since it was built makes
        that second ``fit`` (or ``partial_fit``) an error naming it.
    distribution : None, "auto" or keras.distribution object, default=None
        One fit over several devices, on JAX (the guide's "Scaling out").
        "auto": ``keras.distribution.DataParallel`` over all local devices
        when there are several; a ``DataParallel`` or ``ModelParallel`` is
        used as given, inside a scope around building and training only.
        Other backends refuse an object; "auto" trains on one device there.
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
    targets_ : TargetSplitter
        The fitted target splitter (``heads_``, ``classes_``).
    meta_ : ModelMeta
        What the model was built from.
    input_specs_ : dict of str -> InputSpec
        Kind, shape, dtype and vocabulary size of each model input.
    input_order_ : list of str
        The router's inputs in the model's input order.
    input_structure_ : {"dict", "list", "single"}
        How the model takes its inputs.
    output_order_ : list of str
        The heads in the model's output order.
    from_logits_ : dict of str -> bool
        Per head, whether the model outputs logits (mapped to probabilities
        by the head kind's inverse link before decoding).
    batch_size_ : int
        The batch size training used (``batch_size``, or what "auto" chose).
    learning_rate_ : float
        The learning rate the optimizer started with (set at compile time).
    history_ : pandas.DataFrame
        Per-epoch losses and metrics per head (one row per epoch, across
        warm-started fits and ``partial_fit`` calls).
    n_features_in_ : int
        Number of columns of X seen in fit (DataFrame or array).
    feature_names_in_ : ndarray of str
        Column names of X, when X was a DataFrame.

    Notes
    -----
    An interrupted fit (``KeyboardInterrupt``, e.g. Ctrl-C, raised while
    Keras trains) keeps the weights trained so far and the epochs Keras
    recorded in ``history_``; the estimator stays usable for ``predict``
    and the interrupt is re-raised to the caller.

    Prediction is compiled once per fitted model (the guide's "Performance" page), so
    the same rows give the same numbers on every call and in every copy.

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

    _parameter_constraints = {
        "model": [callable, None],
        "router": [ColumnTransformer, FrozenEstimator, None],
        "targets": [TargetSplitter, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "optimizer": [str, type, keras.optimizers.Optimizer],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "loss": [str, callable, dict, None],
        "metrics": [list, dict, None],
        "loss_weights": [dict, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "callbacks": [list, dict, keras.callbacks.Callback, type, None],
        "verbose": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "distribution": [StrOptions({"auto"}), *_distribution.DISTRIBUTIONS, None],
    }

    def __init__(
        self,
        model=None,
        router=None,
        targets=None,
        *,
        epochs=10,
        batch_size="auto",
        optimizer="adam",
        learning_rate="auto",
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
        distribution=None,
        **routed_params,
    ):
        self.model = model
        self.router = router
        self.targets = targets
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
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
        self.distribution = distribution
        for key, value in routed_params.items():
            setattr(self, key, value)  # validated in fit

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.non_deterministic = self.random_state is None
        tags.input_tags.string = True
        return tags

    # -- parameters: scikit-learn's, plus the routed model__*-style ones ----------
    def _routed_params(self):
        return _params.routed_params(vars(self))

    def get_params(self, deep=True):
        """Parameters, including the routed ``model__*``-style ones."""
        return {**super().get_params(deep=deep), **self._routed_params()}

    def set_params(self, **params):
        """Set parameters; routed ones (``model__units``) are stored as given.

        A name that is neither a parameter, a nested ``router__...`` /
        ``targets__...`` one, nor routed raises a ``ValueError`` naming it,
        unless the estimator was constructed with it (``__init__`` keeps any
        keyword; ``fit`` reports the unknown ones).
        """
        as_attributes, plain = _params.sort_params(
            type(self).__name__, params, self._get_param_names(), vars(self))
        for key, value in as_attributes.items():
            setattr(self, key, value)
        if plain:
            super().set_params(**plain)
        return self

    def _validate_params(self):
        """Plain parameters against ``_parameter_constraints``; unknown names from ``__init__``."""
        _params.check_known(type(self).__name__, vars(self), self._get_param_names())
        _params.validate_params(self)

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

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train one epoch on this batch, keeping the model between calls.

        The first call also fits the router, the target splitter and the
        model, from this batch alone: every class a class head will ever
        see must be in it, or declared with ``classes``.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.
        classes : array-like or dict of head -> array-like, optional
            Every class of each binary or multiclass head (as in
            scikit-learn's ``partial_fit``), read on the first call; a plain
            array-like is for the only head. A head with classes declared
            is multiclass when they are more than two, whatever the first
            batch shows.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from skmm import FunctionalEstimator
        >>> X = np.random.default_rng(0).normal(size=(40, 3))
        >>> y = pd.DataFrame({"size": ["S", "M"] * 20, "price": X[:, 0]})
        >>> est = FunctionalEstimator(random_state=0)
        >>> est = est.partial_fit(X, y, classes={"size": ["S", "M", "L"]})
        >>> est.targets_.heads_["size"].kind, est.targets_.classes_["size"].tolist()
        ('multiclass', ['L', 'M', 'S'])
        """
        return self._fit(X, y, sample_weight, 1, reset=not hasattr(self, "model_"),
                         classes=classes)

    def _fit(self, X, y, sample_weight, epochs, reset, may_stop_early=False, classes=None):
        self._validate_params()
        structure = _params.structure(self.get_params(deep=False))
        if not reset:
            _params.check_unchanged(type(self).__name__,
                                    getattr(self, "_structure", structure), structure)
        arrays = self._training_arrays(X, y, reset)
        n = _inputs.check_rows(arrays, y)
        if reset:
            self.targets_ = splitter_for(self.targets, self._task, type(self).__name__).fit(
                y, classes=classes)
        encoded, observed = self.targets_.transform_with_mask(y)
        weights = head_weights(self.targets_.heads_, encoded, observed, sample_weight,
                               self.class_weight, n)
        rows = Rows(arrays, encoded, weights)
        distribution = _distribution.resolve(self.distribution)
        shards = _distribution.batch_shards(distribution)
        self.batch_size_, self.learning_rate_ = _training.batch_and_learning_rate(
            self.batch_size, self.learning_rate, n, None if reset else (
                getattr(self, "batch_size_", None), getattr(self, "learning_rate_", None)),
            shards)
        seed = seed_of(self.random_state)
        stop_early = may_stop_early and _training.stops_early(self.early_stopping, n)
        with scoped_seed(seed), _distribution.scope(distribution):
            if reset:
                self._new_model()
                self._structure = structure
            placed = _distribution.place(self.model_, distribution, fresh=reset)
            if placed is not self.model_:  # rebuilt under the distribution
                self.model_ = placed
                self._make_predictor(warm=False)
            try:
                trained = self._train(rows, epochs, stop_early, seed, shards)
            except KeyboardInterrupt:
                # keep the weights trained so far and the epochs Keras recorded, then let
                # the interrupt go on to the caller
                partial = getattr(self.model_, "history", None)
                if partial is not None and getattr(partial, "history", None):
                    self._append_history(partial.history)
                raise
        self._append_history(trained.history)
        self._predictor.warm_up(self.input_specs_)  # the first answer as fast as the next
        return self

    def _training_arrays(self, X, y, reset):
        """Step 1: X as input arrays, fitting the router (and X's fitted attributes) on reset."""
        _inputs.check_fit_data(X, y, type(self).__name__)
        if not reset:
            check_is_fitted(self, "model_")
            return self._input_arrays(X)
        fitted = _inputs.fit_inputs(self.router, X, name=type(self).__name__)
        self.router_ = fitted.router
        self.input_specs_ = fitted.input_specs
        # what X looked like, as scikit-learn keeps it (absent when not known)
        for attribute, value in (("n_features_in_", fitted.n_features_in),
                                 ("feature_names_in_", fitted.feature_names_in)):
            if value is not None:
                setattr(self, attribute, value)
            else:
                vars(self).pop(attribute, None)
        return fitted.arrays

    def _new_model(self):
        """Step 3: build, wire and compile a fresh model from the fitted data layer."""
        self.meta_ = ModelMeta(inputs=dict(self.input_specs_), heads=dict(self.targets_.heads_))
        routed = self._routed_params()
        model = build_model(self.model, self.meta_, _params.routed(routed, "model"))
        wiring = wire(model, self.meta_)
        self.input_order_ = wiring.input_order
        self.input_structure_ = wiring.input_structure
        self.output_order_ = wiring.output_order
        self.from_logits_ = compile_model(
            model, wiring, self.targets_.heads_, loss=self.loss, metrics=self.metrics,
            loss_weights=self.loss_weights, optimizer=self.optimizer,
            learning_rate=self.learning_rate_, routed=routed)
        if getattr(model, "optimizer", None) is not None:  # what training really starts with
            self.learning_rate_ = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        self.model_ = model
        self.history_ = pd.DataFrame()
        self._make_predictor(warm=False)

    @property
    def _wiring(self):
        return Wiring(self.input_order_, self.input_structure_, self.output_order_,
                      output_members(self.model_))

    def _train(self, rows, epochs, stop_early=False, seed=None, shards=1):
        """Step 4: one ``model.fit`` on ``rows``, everything routed (an extension point)."""
        routed = self._routed_params()
        callbacks = _params.make_callbacks(self.callbacks, routed)
        if stop_early:
            _training.add_early_stopping(callbacks, self.n_iter_no_change, self.model_.optimizer)
        train, held_out = _training.split_rows(rows, self.validation_split, stop_early, seed,
                                               shards)
        # every row's weight, the padding's zeros included: all 1 means none need passing
        weighted = train.weighted or (held_out is not None and held_out.weighted)
        wiring = self._wiring
        kwargs = {}
        if held_out is not None:
            kwargs["validation_data"] = wiring.model_data(held_out, weighted)
        return self.model_.fit(
            wiring.model_x(train.inputs),
            wiring.model_targets(train.targets),
            sample_weight=wiring.model_targets(train.weights) if weighted else None,
            epochs=epochs,
            batch_size=self.batch_size_,
            callbacks=callbacks,
            verbose=self.verbose,
            **kwargs,
            **_params.routed(routed, "fit"),
        )

    def _append_history(self, logs):
        self.history_ = history.appended(self.history_, logs, self.meta_.output_names)

    # -- prediction --------------------------------------------------------------
    def _make_predictor(self, warm=True):
        """How this fitted model predicts, decided once (see :mod:`skmm._predict`).

        ``warm``: trace the one-row batch now (``Predictor.warm_up``), as after
        ``skmm.load`` and unpickling; ``fit`` does it once trained.
        """
        heads = self.targets_.heads_
        links = {h: heads[h].head_kind.inverse_link
                 for h, logits in self.from_logits_.items() if logits}
        wiring = self._wiring
        for h, k in zip(wiring.output_order, wiring.members, strict=False):
            if k:  # each member's probabilities or values, then their mean
                links[h] = member_mean(links.get(h))
        xla = "jit_compile" not in _params.routed(self._routed_params(), "compile")
        self._predictor = _predict.Predictor(self.model_, wiring, links, xla=xla)
        if warm:
            self._predictor.warm_up(getattr(self, "input_specs_", None))

    def _input_arrays(self, X):
        """X as the fitted model's input arrays."""
        return _inputs.transform_inputs(X, self.router_, self.input_specs_, owner=self)

    def _raw_predict(self, X):
        """Per-head model outputs for X (one chunk of rows), logits mapped to probabilities.

        With several members (``model__members``), each head's output is the
        members' mean, taken after the link (see ``_make_predictor``).
        """
        kwargs = _params.routed(self._routed_params(), "predict")
        batch = int(kwargs.pop("batch_size", _predict.PREDICT_BATCH))
        return self._predictor.predict(self._input_arrays(X), batch, **kwargs)

    def _per_head(self, X, finish):
        """``finish(raw)`` per chunk of rows of X, joined per head (``_predict.by_chunks``).

        Zero rows give each head an empty output (after X's columns are checked).
        """
        check_is_fitted(self, "model_")
        n = _inputs.n_rows(X)
        if n == 0:
            _inputs.check_empty(X, self.router_, self.input_specs_, owner=self)
            heads = self.targets_.heads_
            return finish({h: np.zeros((0, heads[h].n_outputs), np.float32) for h in heads})
        return _predict.by_chunks(X, n, lambda rows: finish(self._raw_predict(rows)))

    def predict(self, X):
        """Predict, returning y's container (DataFrame, dict, Series or array).

        Parameters
        ----------
        X : same kind of input as in fit

        Returns
        -------
        Predictions with the container, columns, keys, name, label values and
        dtypes of y, whatever the number of rows (zero included); a pandas
        X lends its index.
        """
        check_is_fitted(self, "model_")
        decoded = self._per_head(X, self.targets_.decode)
        index = X.index if isinstance(X, (pd.DataFrame, pd.Series)) else None
        return self.targets_.rebuild(decoded, index)

    def predict_quantiles(self, X):
        """Every predicted quantile of every quantile head, in y's container.

        A quantile head is stated with ``targets=TargetSplitter(kinds={head:
        "quantile"}, quantiles=(0.05, 0.5, 0.95))``; :meth:`predict` gives
        its median. Quantiles rise with the level in every row (they never
        cross).

        Parameters
        ----------
        X : same kind of input as in fit

        Returns
        -------
        DataFrame, polars DataFrame, dict of arrays or ndarray
            One column per level per quantile head, named
            ``"<column>_q<level>"`` (e.g. ``"price_q0.05"``): a DataFrame
            (X's index) for a pandas y, a polars DataFrame for a polars y,
            a dict of 1-D arrays for a dict y, a 2-D array for a numpy y
            (:meth:`skmm.TargetSplitter.rebuild_quantiles`). Other heads
            are left out; an estimator without a quantile head refuses,
            naming its heads.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from skmm import FunctionalRegressor, TargetSplitter
        >>> X = np.random.default_rng(0).normal(size=(64, 2))
        >>> y = pd.DataFrame({"price": X[:, 0] + 1.0})
        >>> reg = FunctionalRegressor(targets=TargetSplitter(kinds={"price": "quantile"}),
        ...                           epochs=2, random_state=0).fit(X, y)
        >>> list(reg.predict_quantiles(X[:3]).columns)
        ['price_q0.05', 'price_q0.5', 'price_q0.95']
        """
        check_is_fitted(self, "model_")
        self.targets_.quantile_heads(owner=type(self).__name__)
        values = self._per_head(X, self.targets_.quantile_values)
        index = X.index if isinstance(X, (pd.DataFrame, pd.Series)) else None
        return self.targets_.rebuild_quantiles(values, index)

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
        proba = self._per_head(X, self.targets_.probabilities)
        if len(self.targets_.heads_) == 1:
            return next(iter(proba.values()))
        return proba

    # -- scores and history ------------------------------------------------------
    def score_per_head(self, X, y, sample_weight=None):
        """Each head's default score, from its kind (:mod:`skmm.heads`).

        Accuracy for class heads (subset accuracy for multilabel ones), R^2
        for continuous heads (the mean over the columns of a multi-output
        one), D^2 of the Poisson deviance for count heads. Samples whose
        label is missing for a head are left out of that head; a head with
        no label at all in y scores NaN.

        Parameters
        ----------
        X : same kind of input as in fit
        y : same container and columns as in fit
        sample_weight : array-like of shape (n_samples,), dict of head -> array, \
                or DataFrame, optional
            As in :meth:`fit`.

        Returns
        -------
        dict of str -> float
        """
        check_is_fitted(self, "model_")
        heads = self.targets_.heads_
        truth, observed = self.targets_.truth_with_mask(y)
        pred = self._per_head(X, self.targets_.decode)
        n = len(next(iter(observed.values())))
        weights = weights_by_head(heads, sample_weight, n)
        return scoring.score_per_head(heads, truth, observed, pred, weights)

    def score(self, X, y, sample_weight=None):
        """Mean over heads of each head's default score (see :meth:`score_per_head`).

        The one ``score`` of every task class: ``GridSearchCV``,
        ``cross_val_score`` and ``learning_curve`` use it by default, for any
        number and mix of heads, with missing labels masked per head.
        Heads without any label in y are left out of the mean.

        Returns
        -------
        float
        """
        return scoring.mean_score(self.score_per_head(X, y, sample_weight))

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
        After ``est.fit(X, y)`` with ``validation_split=0.2``::

            fig = est.plot_history()
            fig.savefig("history.png")
        """
        check_is_fitted(self, "model_")
        return history.plot_history(self.history_, list(self.targets_.heads_), figsize=figsize)


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
    # the per-head score, not ClassifierMixin's accuracy on the whole of y
    score = FunctionalEstimator.score

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
        return self._fit(X, y, sample_weight, 1, reset=not hasattr(self, "model_"),
                         classes=classes)

    @property
    def classes_(self):
        check_is_fitted(self, "targets_")
        classes = list(self.targets_.classes_.values())
        return classes[0] if len(classes) == 1 else classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class FunctionalRegressor(RegressorMixin, FunctionalEstimator):
    """:class:`FunctionalEstimator` whose heads are all regression heads.

    Heads are continuous (or count, stated with ``TargetSplitter(kinds=)``);
    ``score`` is the mean over heads of R^2 (D^2 for count heads).

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
    # the per-head score, not RegressorMixin's R^2 on the whole of y
    score = FunctionalEstimator.score

