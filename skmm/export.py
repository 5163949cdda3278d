"""``skmm.export(est, path)``: a fitted estimator as a TensorFlow SavedModel that takes raw columns.

The SavedModel is what TF Serving, TFLite's converter and the TF.js
converter read. Its ``serving_default`` signature takes one tensor per
DataFrame column the router reads and returns every head's prediction: the
fitted router (tokenising, scaling, binning, imputing, category lookup), the
Keras model and the decoding of its outputs (inverse links, the regression
heads' scaling undone, class indices to labels) all run inside the graph, so
it loads and runs with TensorFlow alone: no skmm, scikit-learn or Keras at
serving time.

How it is built
---------------
1. :func:`plan` reads the fitted estimator into an :class:`ExportPlan`:
   plain data (vocabularies, means, scales, bin edges, medians, classes) and
   nothing else. A router step it cannot translate (a custom transformer, a
   callable ``standardize`` or ``split``, an imputer for another marker than
   NaN, ...) or a head kind it does not know is refused here, with an error
   naming the step and the column (or the head and its kind), before
   anything is written.
2. :mod:`skmm._export_graph` turns the plan into TensorFlow ops around the
   Keras model and writes the SavedModel from a ``tf.Module`` holding the
   model's variables, the vocabularies' lookup tables and two
   ``tf.function`` signatures.
   On the TensorFlow backend this runs in-process on the estimator's model.
   On JAX or PyTorch the weights are backend-neutral: the model travels as
   ``.keras`` bytes and the plan as a pickle (written and read by skmm
   itself, in a private temporary folder) to a ``python -c`` subprocess
   with ``KERAS_BACKEND=tensorflow``, which loads the model in
   Keras' safe mode and writes the same SavedModel. Same weights, so the same
   numbers up to float32 rounding of a different backend's kernels.

Export needs TensorFlow installed (a core dependency of skmm today). This
module and :mod:`skmm._export_graph` are the only places where skmm imports
TensorFlow itself (the house rule keeps the rest backend-agnostic), and only
when :func:`export` writes a SavedModel; reading a plan needs none.

Inputs and outputs
------------------
Signature keys are column names and head names *sanitised*: every character
outside ``A-Z a-z 0-9 _`` becomes ``_``, a key that would start with ``_`` or
be empty gets a ``c`` (columns) or ``h`` (heads) in front, and a clash gets
``_2``, ``_3``... (and a key ending in ``_bytes``, which TF Serving's REST
API would read as base64, gets a ``_`` after it). The mapping is returned as
a :class:`ServingSignature` and written into the SavedModel twice: as
``assets.extra/skmm_signature.json`` and as the ``describe`` signature (a
JSON string).

* a column read by a ``TextSequencer`` (free text or category) is a
  ``tf.string`` tensor of shape ``[None]``; a missing value is ``""``. A
  category that was a number in fit is compared as its document, the
  integer for a whole number (``"10115"``), else the shortest repr
  (``"2.5"``).
* a numeric column is a ``tf.float64`` tensor of shape ``[None]``; ``NaN`` is
  a missing value where the router imputes (elsewhere the call fails, as
  ``est.predict`` does).
* per class head (binary, multiclass, multilabel), ``<head>`` is the predicted
  label (``tf.string`` for string classes, ``tf.int64`` for integer classes,
  ``tf.float64``, ``tf.bool``; ``int64`` 0/1 per label for multilabel) and
  ``<head>_probabilities`` the ``float64`` probabilities, in ``classes_``
  order (two columns for a binary head);
* per regression head (continuous, count), ``<head>`` is the ``float64`` value
  in y's units (``[None, k]`` for a multi-output head);
* per quantile head, ``<head>`` is the median (what ``predict`` gives) and
  ``<head>_quantiles`` every level, ``[None, n_levels]`` in the head's
  ``quantiles`` order, sorted along each row as ``predict_quantiles`` sorts.

Text that cannot match
----------------------
Lower-casing uses TensorFlow's ICU (full case mapping: ``"İ"`` becomes
``"i̇"``, a final capital sigma ``"ς"``, as ``str.lower`` does). Code points
the exporting Python lower-cases and that ICU does not know yet (letters
added in recent Unicode versions, such as Glagolitic ``"Ⱟ"`` and the
Vithkuqi alphabet) are lower-cased the Python way first. What remains: a
capital sigma next to such a letter may be lower-cased as final in Python
and not in the graph (ICU does not know the letter is cased), and strings
must be valid UTF-8. Punctuation and whitespace are the exporting Python's
own sets, written into the graph as explicit character classes.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from .preprocessing import QuantileBins
from .text import OOV_ID, TextSequencer

__all__ = ["export", "plan", "ServingSignature", "ExportPlan", "UnsupportedExportError"]

# head kinds export knows how to decode, in the graph, as the kind's decode does
SUPPORTED_KINDS = ("binary", "multiclass", "multilabel-indicator", "continuous",
                   "continuous-multioutput", "count", "quantile")


class UnsupportedExportError(ValueError):
    """A router step, column or head that :func:`export` cannot put in a graph.

    Raised by :func:`plan` (so by :func:`export` before it writes anything),
    naming the router input and its columns, or the head and its kind.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skmm import FunctionalRegressor, InputRouter
    >>> from skmm.export import UnsupportedExportError, plan
    >>> X = pd.DataFrame({"n": [1.0, 2.0, 3.0, 4.0]})
    >>> router = InputRouter([("numbers", FunctionTransformer(abs), ["n"])])
    >>> est = FunctionalRegressor(router=router, epochs=1, random_state=0).fit(X, X["n"])
    >>> try:
    ...     plan(est)
    ... except UnsupportedExportError as exc:
    ...     print(str(exc).split(" that")[0])
    skmm.export: input 'numbers' (columns ['n']) has a step FunctionTransformer
    """


@dataclass
class ColumnPlan:
    """One raw column of the signature."""

    column: str
    key: str
    dtype: str  # "string" or "float64"
    inputs: list = field(default_factory=list)


@dataclass
class InputPlan:
    """One model input: the columns it reads and the fitted steps that make its array."""

    name: str
    kind: str  # "tokens" or "numeric"
    columns: list
    steps: list  # dicts of plain data (see skmm._export_graph)


@dataclass
class HeadPlan:
    """One head: how its model output is decoded."""

    name: str
    kind: str
    key: str
    proba_key: str | None
    n_outputs: int
    logits: bool
    classes: np.ndarray | None = None
    label_dtype: str | None = None
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    quantiles_key: str | None = None
    median_index: int | None = None
    members: int | None = None  # ensemble members whose outputs are averaged


@dataclass
class ExportPlan:
    """Everything the exported graph needs from a fitted estimator, as plain data.

    What :func:`plan` reads: no scikit-learn or Keras object, only names,
    arrays and numbers, so it travels to the TensorFlow subprocess that
    writes the SavedModel when another backend trained the model.

    Attributes
    ----------
    columns : list of ColumnPlan
        The signature's inputs: ``column``, ``key``, ``dtype`` ("string" or
        "float64") and the router ``inputs`` that read it.
    inputs : list of InputPlan
        Per router input (``name``, ``kind`` "tokens" or "numeric",
        ``columns``), its fitted ``steps`` as dicts of arrays: the
        vocabulary, n-gram sizes and sides of a ``TextSequencer``; means,
        scales, bin edges, medians and imputed values of the numeric steps.
    heads : list of HeadPlan
        Per head: ``kind``, output ``key`` (and ``proba_key`` or
        ``quantiles_key``), classes and their dtype, whether the model
        outputs logits, and the regression scaling to undo.
    input_order, input_structure, output_order
        How the model's inputs and outputs line up with router inputs and
        heads.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm import FunctionalClassifier, InputRouter
    >>> from skmm.export import plan
    >>> X = pd.DataFrame({"n": [0.0, 1.0, 2.0, 3.0], "t": ["a b", "b", "c", ""]})
    >>> est = FunctionalClassifier(router=InputRouter.from_columns(numeric=["n"], text=["t"]),
    ...                            epochs=1, random_state=0).fit(X, ["x", "y", "x", "y"])
    >>> [(inp.name, inp.kind, [step["kind"] for step in inp.steps])
    ...  for inp in plan(est).inputs]
    [('numeric', 'numeric', ['bins']), ('t', 'tokens', ['text'])]
    >>> [(head.key, head.kind, head.classes.tolist()) for head in plan(est).heads]
    [('y', 'binary', ['x', 'y'])]
    """

    columns: list
    inputs: list
    heads: list
    input_order: list
    input_structure: str
    output_order: list


@dataclass
class ServingSignature:
    """The SavedModel's ``serving_default`` signature, in terms of the estimator.

    Attributes
    ----------
    inputs : dict of str -> str
        DataFrame column -> signature input key.
    input_dtypes : dict of str -> str
        Signature input key -> ``"string"`` or ``"float64"``.
    outputs : dict of str -> str
        Signature output key -> the head it belongs to.
    output_meanings : dict of str -> str
        Signature output key -> ``"label"``, ``"probabilities"``, ``"value"`` or
        ``"quantiles"``.

    Examples
    --------
    >>> from skmm.export import ServingSignature
    >>> signature = ServingSignature(
    ...     inputs={"price ($)": "price____"}, input_dtypes={"price____": "float64"},
    ...     outputs={"stars": "stars"}, output_meanings={"stars": "value"})
    >>> import json
    >>> json.loads(signature.to_json())["inputs"]
    {'price ($)': 'price____'}
    """

    inputs: dict
    input_dtypes: dict
    outputs: dict
    output_meanings: dict

    def to_json(self) -> str:
        """The signature as JSON (what ``describe`` and ``skmm_signature.json`` hold)."""
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)


def _sanitise(name, prefix, taken):
    key = re.sub(r"[^0-9A-Za-z_]", "_", str(name))
    if not key or key.startswith("_"):
        key = prefix + key
    if key.endswith("_bytes"):  # TF Serving's REST API reads such tensors as base64
        key += "_"
    base, n = key, 2
    while key.lower() in taken:  # keys compared case-blind: TF Serving's JSON is not
        key, n = f"{base}_{n}", n + 1
    taken.add(key.lower())
    return key


def _columns_of(router, name, columns):
    """A block's column selection as a list of column names, or refused."""
    if isinstance(columns, str):
        return [columns]
    values = list(np.asarray(columns, dtype=object).ravel())
    names = getattr(router, "feature_names_in_", None)
    if values and all(isinstance(c, str) for c in values):
        return values
    if names is not None and values and all(
            isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in values):
        return [str(names[int(c)]) for c in values]
    if names is not None and values and all(isinstance(c, (bool, np.bool_)) for c in values):
        return [str(n) for n, keep in zip(names, values, strict=True) if keep]
    raise UnsupportedExportError(
        f"skmm.export: input {name!r} selects its columns by {columns!r}; export needs "
        "columns named by label (or by position in a router fitted on a DataFrame).")


def _text_step(seq, name, column):
    def refuse(what):
        raise UnsupportedExportError(
            f"skmm.export: input {name!r} (column {column!r}) uses a TextSequencer with "
            f"{what}, which export cannot translate into TensorFlow ops; use "
            "standardize='lower_and_strip_punctuation', 'lower' or None and split="
            "'whitespace' or 'whole'.")

    if callable(seq.standardize):
        refuse(f"a callable standardize={seq.standardize!r}")
    if callable(seq.split):
        refuse(f"a callable split={seq.split!r}")
    from ._tokenize import ngram_sizes

    return {
        "kind": "text",
        "lower": seq.standardize is not None,
        "strip": seq.standardize == "lower_and_strip_punctuation",
        "whole": seq.split == "whole",
        "ngrams": ngram_sizes(seq.ngrams),
        "vocabulary": dict(seq.vocabulary_),
        "oov": OOV_ID,
        "length": int(seq.sequence_length_),
        "padding": seq.padding,
        "truncating": seq.truncating,
    }


def _numeric_steps(trans, name, columns):
    steps = [] if trans == "passthrough" else (
        [s for _, s in trans.steps] if isinstance(trans, Pipeline) else [trans])
    out = []
    for step in steps:
        if step is None or step == "passthrough" or (
                type(step) is FunctionTransformer and step.func is None):
            continue  # (ColumnTransformer fits "passthrough" as an identity FunctionTransformer)
        if type(step) is StandardScaler:
            out.append({"kind": "scale",
                        "mean": None if step.mean_ is None or not step.with_mean
                        else np.asarray(step.mean_, np.float64),
                        "scale": None if step.scale_ is None or not step.with_std
                        else np.asarray(step.scale_, np.float64)})
        elif type(step) is SimpleImputer and _imputes_nan(step):
            stats = np.asarray(step.statistics_, dtype=np.float64)
            kept = np.arange(len(stats)) if step.keep_empty_features else \
                np.flatnonzero(~np.isnan(stats))
            stats = np.where(np.isnan(stats), 0.0, stats)  # kept empty features read 0
            indicators = (np.asarray(step.indicator_.features_, dtype=np.int64)
                          if step.add_indicator else np.zeros(0, np.int64))
            out.append({"kind": "impute", "statistics": stats, "kept": kept,
                        "indicators": indicators})
        elif type(step) is QuantileBins:
            median = step.missing == "median"
            out.append({"kind": "bins", "mean": np.asarray(step.mean_, np.float64),
                        "scale": np.asarray(step.scale_, np.float64),
                        "edges": [np.asarray(e, np.float64) for e in step.edges_],
                        "medians": np.asarray(step.medians_, np.float64) if median else None,
                        "indicators": np.asarray(step.indicator_features_, np.int64)
                        if median else None})
        else:
            what = type(step).__name__
            if type(step) is SimpleImputer:
                what += f"(missing_values={step.missing_values!r})"
            raise UnsupportedExportError(
                f"skmm.export: input {name!r} (columns {columns}) has a step {what} that "
                "export cannot translate into TensorFlow ops; it translates "
                "TextSequencer, QuantileBins, StandardScaler, SimpleImputer (for NaN), "
                "'passthrough' and Pipelines of these.")
    return out


def _imputes_nan(imputer):
    value = imputer.missing_values
    return isinstance(value, float) and np.isnan(value)


def _label_dtype(head):
    classes = np.asarray(head.classes)
    values = classes.tolist()
    if all(isinstance(v, str) for v in values):
        return np.asarray(values, dtype=object).astype(str), "string"
    if all(isinstance(v, bool) for v in values):
        return classes.astype(bool), "bool"
    if classes.dtype.kind in "iu":
        return classes.astype(np.int64), "int64"
    if classes.dtype.kind == "f":
        return classes.astype(np.float64), "float64"
    raise UnsupportedExportError(
        f"skmm.export: head {head.name!r} ({head.kind}) has classes of dtype {classes.dtype} "
        f"({values[:5]}); export takes string, integer, float and bool labels.")


def plan(est) -> ExportPlan:
    """Read a fitted estimator into an :class:`ExportPlan`, refusing what export cannot do.

    Parameters
    ----------
    est : FunctionalEstimator, FunctionalClassifier or FunctionalRegressor
        Fitted, with a router whose steps export can translate.

    Returns
    -------
    ExportPlan

    Raises
    ------
    UnsupportedExportError
        Naming the router step and column, or the head and kind, export
        cannot translate.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm import FunctionalRegressor, InputRouter
    >>> from skmm.export import plan
    >>> X = pd.DataFrame({"n": [0.0, 1.0, 2.0, 3.0], "t": ["a b", "b", "c", ""]})
    >>> est = FunctionalRegressor(router=InputRouter.from_columns(numeric=["n"], text=["t"]),
    ...                           epochs=1, random_state=0).fit(X, [0.0, 1.0, 2.0, 3.0])
    >>> [(c.column, c.key, c.dtype) for c in plan(est).columns]
    [('n', 'n', 'float64'), ('t', 't', 'string')]
    """
    check_is_fitted(est, "model_")
    router = getattr(est, "router_", None)
    if router is None:
        raise UnsupportedExportError(
            "skmm.export: this estimator was fitted on arrays (or a dict of arrays) without "
            "an InputRouter; the SavedModel's signature takes named columns, so fit it on a "
            "DataFrame through an InputRouter (router=InputRouter.from_frame(X)).")
    columns: dict[str, ColumnPlan] = {}
    taken: set[str] = set()
    inputs = []
    for name, trans, selection in router._fitted_blocks():
        labels = _columns_of(router, name, selection)
        final = trans.steps[-1][1] if isinstance(trans, Pipeline) else trans
        if isinstance(final, TextSequencer):
            if isinstance(trans, Pipeline) and len(trans.steps) > 1:
                raise UnsupportedExportError(
                    f"skmm.export: input {name!r} (column {labels}) runs steps before its "
                    "TextSequencer; export translates a TextSequencer on the raw column only.")
            kind, dtype, steps = "tokens", "string", [_text_step(final, name, labels[0])]
        elif hasattr(final, "vocabulary_size_"):
            raise UnsupportedExportError(
                f"skmm.export: input {name!r} (columns {labels}) uses a token transformer "
                f"{type(final).__name__} that export cannot translate; use a TextSequencer.")
        else:
            kind, dtype, steps = "numeric", "float64", _numeric_steps(trans, name, labels)
        for column in labels:
            entry = columns.get(column)
            if entry is None:
                entry = columns[column] = ColumnPlan(column, _sanitise(column, "c", taken), dtype)
            elif entry.dtype != dtype:
                raise UnsupportedExportError(
                    f"skmm.export: column {column!r} feeds both a text input and a numeric "
                    f"input ({entry.inputs + [name]}); a signature input has one dtype.")
            entry.inputs.append(name)
        inputs.append(InputPlan(name, kind, labels, steps))
    heads = []
    out_taken: set[str] = set()
    wiring = est._wiring
    members = dict(zip(wiring.output_order, wiring.members, strict=True)) if wiring.members \
        else {}
    for name, head in est.targets_.heads_.items():
        if head.kind not in SUPPORTED_KINDS:
            raise UnsupportedExportError(
                f"skmm.export: head {name!r} is of kind {head.kind!r}, which export cannot "
                f"decode in a graph; it decodes {list(SUPPORTED_KINDS)}.")
        key = _sanitise(name, "h", out_taken)
        classification = head.kind in ("binary", "multiclass", "multilabel-indicator")
        proba_key = _sanitise(f"{key}_probabilities", "h", out_taken) if classification else None
        quantiles_key = median = None
        if head.kind == "quantile":
            quantiles_key = _sanitise(f"{key}_quantiles", "h", out_taken)
            median = list(head.quantiles).index(0.5)
        classes, label_dtype = (None, None)
        if head.kind in ("binary", "multiclass"):
            classes, label_dtype = _label_dtype(head)
        elif head.kind == "multilabel-indicator":
            label_dtype = "int64"
        heads.append(HeadPlan(
            name=name, kind=head.kind, key=key, proba_key=proba_key,
            n_outputs=int(head.n_outputs), logits=bool(est.from_logits_.get(name, False)),
            classes=classes, label_dtype=label_dtype,
            mean=None if head.mean is None else np.asarray(head.mean, np.float64),
            scale=None if head.scale is None else np.asarray(head.scale, np.float64),
            quantiles_key=quantiles_key, median_index=median, members=members.get(name)))
    return ExportPlan(list(columns.values()), inputs, heads, list(est.input_order_),
                      est.input_structure_, list(est.output_order_))


def signature_of(export_plan) -> ServingSignature:
    """The :class:`ServingSignature` a plan's SavedModel has."""
    outputs, meanings = {}, {}
    for head in export_plan.heads:
        outputs[head.key] = head.name
        meanings[head.key] = "label" if head.proba_key else "value"
        if head.proba_key:
            outputs[head.proba_key] = head.name
            meanings[head.proba_key] = "probabilities"
        if head.quantiles_key:
            outputs[head.quantiles_key] = head.name
            meanings[head.quantiles_key] = "quantiles"
    return ServingSignature(
        inputs={c.column: c.key for c in export_plan.columns},
        input_dtypes={c.key: c.dtype for c in export_plan.columns},
        outputs=outputs, output_meanings=meanings)


def export(est, path) -> ServingSignature:
    """Write a fitted estimator as a TensorFlow SavedModel that takes raw columns.

    The router, the model and the decoding of every head run inside one
    graph (the guide's "Deploying" page gives the translation and its limits), so
    ``tf.saved_model.load(path).signatures["serving_default"]`` answers with
    TensorFlow alone, and TF Serving serves it as it is. Needs TensorFlow
    installed, whatever backend trained the model.

    Parameters
    ----------
    est : FunctionalEstimator, FunctionalClassifier or FunctionalRegressor
        A fitted estimator.
    path : str or os.PathLike
        Folder to write; it must not exist yet or be empty (TF Serving reads
        ``<model>/<version>/``, so pass such a path).

    Returns
    -------
    ServingSignature
        Which column feeds which input key and which output key holds what.

    Raises
    ------
    UnsupportedExportError
        Before anything is written, when a router step, a column selection
        or a head cannot be translated; the message names it.

    Examples
    --------
    >>> import tempfile, os
    >>> import pandas as pd
    >>> import skmm
    >>> X = pd.DataFrame({"price ($)": [9.5, 120.0, 35.0, 60.0] * 8,
    ...                   "review": ["great value", "broke", "fine", "love it"] * 8})
    >>> y = pd.DataFrame({"sentiment": ["pos", "neg", "pos", "pos"] * 8})
    >>> est = skmm.FunctionalClassifier(
    ...     router=skmm.InputRouter.from_columns(numeric=["price ($)"], text=["review"]),
    ...     epochs=1, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     signature = skmm.export(est, os.path.join(folder, "1"))
    >>> signature.inputs
    {'price ($)': 'price____', 'review': 'review'}
    >>> signature.output_meanings
    {'sentiment': 'label', 'sentiment_probabilities': 'probabilities'}
    """
    export_plan = plan(est)
    path = os.fspath(path)
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise FileExistsError(f"skmm.export: {path!r} exists and is not an empty folder.")
    signature = signature_of(export_plan)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".skmm-export-", dir=parent)
    try:
        target = os.path.join(staging, "saved_model")
        if keras.backend.backend() == "tensorflow":
            _write(est.model_, export_plan, target, signature.to_json())
        else:
            _write_in_tensorflow(est.model_, export_plan, target, signature.to_json(), staging)
        extra = os.path.join(target, "assets.extra")
        os.makedirs(extra, exist_ok=True)
        with open(os.path.join(extra, "skmm_signature.json"), "w", encoding="utf-8") as fh:
            fh.write(signature.to_json())
        if os.path.isdir(path):
            os.rmdir(path)  # empty, checked above
        os.replace(target, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return signature


def _write(model, export_plan, path, description):
    from ._export_graph import write_saved_model

    write_saved_model(model, export_plan, path, description)


def _write_in_tensorflow(model, export_plan, target, description, staging):
    """Write the SavedModel from a ``KERAS_BACKEND=tensorflow`` subprocess."""
    from .persistence import model_to_bytes

    job = os.path.join(staging, "job")
    os.makedirs(job)
    with open(os.path.join(job, "model.keras"), "wb") as fh:
        fh.write(model_to_bytes(model))
    with open(os.path.join(job, "plan.pickle"), "wb") as fh:
        pickle.dump((export_plan, target, description), fh)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    code = f"from skmm.export import _main; _main({job!r})"
    done = subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(
            "skmm.export: writing the SavedModel under the TensorFlow backend failed "
            f"(is TensorFlow installed?):\n{done.stderr[-4000:]}")


def _main(job):
    """The subprocess' side: load the model under TensorFlow and write the SavedModel."""
    if keras.backend.backend() != "tensorflow":
        raise SystemExit("skmm.export's subprocess needs KERAS_BACKEND=tensorflow")
    with open(os.path.join(job, "plan.pickle"), "rb") as fh:  # written by export() above
        export_plan, target, description = pickle.load(fh)
    model = keras.saving.load_model(os.path.join(job, "model.keras"), compile=False,
                                    safe_mode=True)
    _write(model, export_plan, target, description)
