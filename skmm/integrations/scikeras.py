"""skmm's routing and target splitting inside scikeras' wrappers.

For users who keep scikeras' ``KerasClassifier``, ``KerasRegressor`` or
``BaseWrapper``: mix :class:`SkmmEncoders` in front of the wrapper and it
takes DataFrames with text columns, routes them with an
:class:`~skmm.InputRouter` (its ``feature_encoder``) and, for several target
columns, splits y into heads with a :class:`~skmm.TargetSplitter` (its
``target_encoder``). The model builder gets skmm's sizes through scikeras'
``meta``: ``meta["input_specs_"]`` and ``meta["heads_"]``, which is exactly
what :class:`~skmm.meta.ModelMeta` holds, so ``skmm.architectures.default_model``
works as a scikeras builder too.

scikeras validates X with ``check_array(..., dtype=float)`` before any
encoder runs, which rejects text. The mixin therefore lets a DataFrame X
(and its y) through that step unchanged (checking only that their lengths
agree) and leaves every other input to scikeras. That step is scikeras'
``_validate_data`` method, a private one: ``tests/test_integrations_scikeras.py``
pins the behaviour against the installed scikeras.

A wrapper with skmm's routing (the full, tested version is in
``tests/test_integrations_scikeras.py`` and the guide, docs/guide/scikeras.rst)::

    from scikeras.wrappers import KerasClassifier
    from skmm.integrations.scikeras import SkmmEncoders

    class TextClassifier(SkmmEncoders, KerasClassifier):
        pass

    clf = TextClassifier(model=build, loss="binary_crossentropy",
                         router=InputRouter.from_columns(numeric=["price"], text=["review"]))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..heads import class_heads
from ..meta import ModelMeta
from ..routing import InputRouter
from ..targets import TargetSplitter

__all__ = ["RouterEncoder", "HeadsEncoder", "SkmmEncoders", "model_meta"]


def model_meta(meta: dict) -> ModelMeta:
    """skmm's :class:`~skmm.meta.ModelMeta` from a scikeras ``meta`` dict.

    Examples
    --------
    >>> from skmm.routing import InputSpec
    >>> spec = InputSpec("review", "tokens", (12,), "int32", 500)
    >>> meta = model_meta({"input_specs_": {"review": spec}, "n_features_in_": 3})
    >>> meta.inputs["review"].vocabulary_size, meta.heads
    (500, {})
    """
    return ModelMeta(inputs=dict(meta.get("input_specs_", {})),
                     heads=dict(meta.get("heads_", {})))


class RouterEncoder(TransformerMixin, BaseEstimator):
    """scikeras ``feature_encoder``: a DataFrame to ``{input_name: ndarray}``.

    Parameters
    ----------
    router : InputRouter or None
        Cloned and fitted in :meth:`fit`; None builds
        ``InputRouter.from_frame(X)``.

    Attributes
    ----------
    router_ : InputRouter
        The fitted router.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"price": [1.0, 2.0], "review": ["good value", "broke"]})
    >>> enc = RouterEncoder().fit(X)
    >>> sorted(enc.transform(X)), sorted(enc.get_metadata()["input_specs_"])
    (['numeric', 'review'], ['numeric', 'review'])
    """

    def __init__(self, router=None):
        self.router = router

    def fit(self, X, y=None):
        """Fit the router on the DataFrame ``X``; ``y`` is ignored."""
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                "RouterEncoder routes DataFrame columns by name; got "
                f"{type(X).__name__}. Pass X as a pandas DataFrame."
            )
        router = InputRouter.from_frame(X) if self.router is None else clone(self.router)
        self.router_ = router.fit(X)
        return self

    def transform(self, X):
        """``X`` as the model's named input arrays, ``{input name: ndarray}``."""
        check_is_fitted(self, "router_")
        return self.router_.transform(X)

    def get_metadata(self):
        """What scikeras hands the model builder in ``meta``."""
        check_is_fitted(self, "router_")
        return {"input_specs_": dict(self.router_.input_specs_)}


class HeadsEncoder(TransformerMixin, BaseEstimator):
    """scikeras ``target_encoder``: y's columns to one model output per head.

    ``transform`` gives the encoded heads in order (a list, or one array for
    one head); ``inverse_transform`` rebuilds y's container from the model's
    outputs, or the class probabilities with ``return_proba=True``.

    Parameters
    ----------
    targets : TargetSplitter or None
        Cloned and fitted in :meth:`fit`; None uses ``TargetSplitter()``.

    Attributes
    ----------
    targets_ : TargetSplitter
        The fitted target splitter.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> y = pd.DataFrame({"label": ["a", "b", "a"], "score": [1.0, 2.0, 3.0]})
    >>> enc = HeadsEncoder().fit(y)
    >>> [out.shape for out in enc.transform(y)]
    [(3, 1), (3, 1)]
    >>> enc.get_metadata()["n_outputs_expected_"]
    2
    """

    def __init__(self, targets=None):
        self.targets = targets

    def fit(self, y):
        """Fit the target splitter on ``y``: head kinds and classes."""
        splitter = TargetSplitter() if self.targets is None else clone(self.targets)
        self.targets_ = splitter.fit(y)
        return self

    def transform(self, y):
        """``y`` as ``{head: encoded ndarray}``, what the model's outputs train on."""
        check_is_fitted(self, "targets_")
        encoded = self.targets_.transform(y)
        outputs = [encoded[h] for h in self.targets_.heads_]
        return outputs[0] if len(outputs) == 1 else outputs

    def _by_head(self, y_pred):
        heads = list(self.targets_.heads_)
        if isinstance(y_pred, dict):
            return {h: np.asarray(y_pred[h]) for h in heads}
        if len(heads) == 1 and not isinstance(y_pred, (list, tuple)):
            y_pred = [y_pred]
        return {h: np.asarray(p) for h, p in zip(heads, y_pred, strict=True)}

    def inverse_transform(self, y_pred, return_proba=False):
        """The model's raw outputs as y's container and labels (probabilities if asked)."""
        check_is_fitted(self, "targets_")
        raw = self._by_head(y_pred)
        if return_proba:
            proba = self.targets_.probabilities(raw)
            return next(iter(proba.values())) if len(proba) == 1 else proba
        return self.targets_.inverse_transform(raw)

    def get_metadata(self):
        """What scikeras hands the model builder in ``meta`` (and sets on the wrapper)."""
        check_is_fitted(self, "targets_")
        heads = self.targets_.heads_
        meta = {"heads_": dict(heads), "n_outputs_expected_": len(heads)}
        classes = [heads[name].classes for name in class_heads(heads)]
        if len(heads) == 1 and classes:
            meta["classes_"] = np.asarray(classes[0])
            meta["n_classes_"] = len(classes[0])
        return meta


class SkmmEncoders:
    """Mixin for a scikeras wrapper: skmm routes X and, when asked, splits y.

    Put it first: ``class MyModel(SkmmEncoders, KerasClassifier)``. Extra
    wrapper parameters it reads (scikeras keeps unknown keyword arguments
    as parameters; these two are declared so they are not also passed to the
    model builder):

    * ``router``: an :class:`~skmm.InputRouter` (None: built from X's dtypes);
    * ``targets``: a :class:`~skmm.TargetSplitter` to split y into heads; None
      keeps the wrapper's own target encoder (right for one label column).

    Both are parameters like the wrapper's own (``get_params``, ``clone``,
    ``GridSearchCV``), and neither is passed to the model builder.

    Examples
    --------
    With scikeras installed (``pip install "skmm[scikeras]"``; a literal
    block, since this module's doctests also run where scikeras is not; the
    same lines run in ``tests/test_integrations_scikeras.py``)::

        from scikeras.wrappers import KerasClassifier

        class TextClassifier(SkmmEncoders, KerasClassifier):
            pass

        clf = TextClassifier(model=build, router=None, loss="binary_crossentropy")
        clf.fit(X_frame_with_text, y)
        sorted(k for k in clf.get_params() if k in ("router", "targets", "loss"))
        # ['loss', 'router', 'targets']
    """

    def __init__(self, model=None, *, router=None, targets=None, **kwargs):
        super().__init__(model=model, **kwargs)
        # set here, not passed on as keyword arguments: scikeras would hand those to
        # the model builder; as attributes they are still parameters (get_params)
        self.router = router
        self.targets = targets

    def __sklearn_tags__(self):
        # scikeras 0.13 lists ClassifierMixin/RegressorMixin after BaseEstimator, whose
        # __sklearn_tags__ does not pass the call on: scikit-learn 1.6 then fails in
        # is_classifier (so in cross_val_score) and later versions miss the estimator type
        from sklearn.utils import ClassifierTags, RegressorTags

        tags = BaseEstimator.__sklearn_tags__(self)
        if isinstance(self, ClassifierMixin):
            tags.estimator_type, tags.classifier_tags = "classifier", ClassifierTags()
        elif isinstance(self, RegressorMixin):
            tags.estimator_type, tags.regressor_tags = "regressor", RegressorTags()
        tags.target_tags.required = True
        tags.input_tags.string = True  # DataFrames with text columns
        return tags

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        if not isinstance(X, pd.DataFrame):
            return super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)
        if y is not None and len(y) != len(X):
            raise ValueError(f"y has {len(y)} rows but X has {len(X)}; they must match.")
        if y is not None and getattr(self, "targets", None) is None:
            _, y = super()._validate_data(None, y, reset=reset, y_numeric=y_numeric)
        if reset:
            self.n_features_in_ = X.shape[1]
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return X, y

    def _cached(self, name, make, source):
        # scikeras asks the *property* (not the fitted encoder) for metadata, so the
        # property hands out one encoder per wrapper and parameter value instead of
        # a new one per call
        held = self.__dict__.get(name)
        if held is None or held[0] is not source:
            held = (source, make(source))
            self.__dict__[name] = held
        return held[1]

    @property
    def feature_encoder(self):
        return self._cached("_skmm_feature_encoder", RouterEncoder,
                            getattr(self, "router", None))

    @property
    def target_encoder(self):
        targets = getattr(self, "targets", None)
        if targets is None:
            return super().target_encoder
        return self._cached("_skmm_target_encoder", HeadsEncoder, targets)
