"""Fast first answers and fast one-row predict: the shortcuts answer exactly as the full path.

The shortcuts under test: the small-batch path of ``InputRouter.transform``
(``skmm._small_batch``), the per-token vocabulary lookup for a few tokens and
the ASCII punctuation strip (``skmm._tokenize``), the graph twin (no XLA) for
models without a recurrent layer, the XLA twin for models with one, and their
one-row warm-up at the end of ``fit``, on ``skmm.load`` and on unpickling
(``skmm._predict``). Speed itself is measured in ``benchmarks/predict.py``,
not here.
"""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest

import skmm
from skmm import (
    FunctionalClassifier,
    FunctionalEstimator,
    InputRouter,
    TextSequencer,
    _predict,
    _tokenize,
    routing,
)

on_tensorflow = keras.backend.backend() == "tensorflow"
needs_tensorflow = pytest.mark.skipif(not on_tensorflow, reason="TensorFlow's predict path")


def _table(n, seed=0):
    """Numbers with gaps, text with punctuation and unicode, a category column."""
    rng = np.random.default_rng(seed)
    words = ["great", "awful", "price", "box", "Delivery!", "ça", "😀", "it's", "K-9"]
    text = [" ".join(rng.choice(words, rng.integers(0, 7))) for _ in range(n)]
    return pd.DataFrame({
        "price": rng.normal(50, 15, n).round(2),
        "age": rng.integers(18, 80, n),
        "flag": rng.integers(0, 2, n).astype(bool),
        "gappy": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "review": text,
        "color": rng.choice(["red", "blue", "green"], n),
    })


def _target(X):
    return pd.Series(np.where(X["review"].str.contains("great"), "yes", "no"), name="liked",
                     index=X.index)


NUMBERS = ["price", "age", "flag", "gappy"]

# (dtype changes of the training table, of the rows predicted): the container matrix
CONTAINERS = {
    "numpy-backed": {},
    "nullable": {"price": "Float64", "age": "Int64", "flag": "boolean", "gappy": "Float64",
                 "review": "string[python]", "color": "string[python]"},
    "pyarrow": {"price": "double[pyarrow]", "age": "int64[pyarrow]", "flag": "bool[pyarrow]",
                "gappy": "double[pyarrow]", "review": "string[pyarrow]",
                "color": "string[pyarrow]"},
    "object and category": {"review": object, "color": "category"},
}


def _routers():
    from sklearn.preprocessing import StandardScaler

    return {
        "from_columns": InputRouter.from_columns(NUMBERS, ["review"]),
        "with categories": InputRouter.from_columns(NUMBERS, ["review"], ["color"]),
        "no bins": InputRouter.from_columns(NUMBERS, ["review"], ["color"], bins=None),
        "hand-made": InputRouter([
            ("numbers", StandardScaler(), ["price", "age"]),
            ("words", TextSequencer(max_tokens=50, sequence_length=6), "review")]),
    }


def _rows_to_predict(X):
    """One row, a few, a row with a gap, unseen words and an unseen category."""
    odd = X.iloc[[0, 1]].copy()
    odd["gappy"] = np.nan
    odd["review"] = ["never seen words here", ""]
    odd["color"] = ["purple", "red"]
    return [X.iloc[[3]], X.iloc[:5], odd.iloc[[0]], odd]


# -- the router: small-batch path against ColumnTransformer's general path ---------------

@pytest.mark.parametrize("container", list(CONTAINERS))
@pytest.mark.parametrize("name", list(_routers()))
def test_router_fast_path_equals_the_general_path(name, container, monkeypatch):
    if container in ("nullable", "pyarrow") and name == "hand-made":
        pytest.skip("StandardScaler alone does not impute the gaps of nullable columns")
    if container == "pyarrow":
        pytest.importorskip("pyarrow")
    train = _table(200)
    rows_list = _rows_to_predict(_table(40, seed=1))
    if name == "hand-made":  # no imputer: no gaps
        train, rows_list = train.assign(gappy=0.0), [r.assign(gappy=0.0) for r in rows_list]
    router = _routers()[name].fit(train.astype(CONTAINERS[container]))
    for rows in rows_list:
        rows = rows.astype(CONTAINERS[container])
        fast = router.transform(rows)
        monkeypatch.setattr(routing, "SMALL_BATCH", 0)
        general = router.transform(rows)
        monkeypatch.undo()
        assert list(fast) == list(general)
        for key in general:
            np.testing.assert_array_equal(fast[key], general[key], strict=True)


def _polars_rows(pl):
    """Polars rows of every column kind: nulls in numbers, bools and text; Float32; Categorical."""
    rows = pl.from_pandas(_rows_to_predict(_table(40, seed=1))[3]).vstack(
        pl.from_pandas(_table(6, seed=1)))
    rows = rows.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("age", "flag", "review", "color"))
    return rows.with_columns(pl.col("price").cast(pl.Float32),
                             pl.col("color").cast(pl.Categorical))


@pytest.mark.parametrize("name", [n for n in _routers() if n != "hand-made"])
def test_polars_rows_take_the_fast_path_with_the_general_paths_answers(name, monkeypatch):
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    router = _routers()[name].fit(_table(200))
    rows = _polars_rows(pl)
    for part in (rows[:1], rows[1:2], rows):
        fast = router.transform(part)
        monkeypatch.setattr(routing, "SMALL_BATCH", 0)
        general = router.transform(part)
        monkeypatch.undo()
        assert list(fast) == list(general)
        for key in general:
            np.testing.assert_array_equal(fast[key], general[key], strict=True)
        # and as their pandas twin does
        twin = router.transform(part.to_pandas())
        for key in general:
            np.testing.assert_array_equal(twin[key], general[key], strict=True)


def test_polars_small_frames_skip_the_column_transformer(monkeypatch):
    from sklearn.compose import ColumnTransformer

    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    router = _routers()["with categories"].fit(_table(200))
    expected = router.transform(_polars_rows(pl)[:1])

    def general(*args, **kwargs):
        raise AssertionError("the general path ran")

    monkeypatch.setattr(ColumnTransformer, "transform", general)
    got = router.transform(_polars_rows(pl)[:1])
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], strict=True)


# -- the tokenizer's shortcuts ------------------------------------------------------------

@pytest.mark.parametrize("ngrams", [None, 2, (1, 3)])
@pytest.mark.parametrize("standardize", ["lower_and_strip_punctuation", "lower", None])
def test_few_token_lookup_equals_the_copied_vocabulary(ngrams, standardize, monkeypatch):
    X = _table(300)["review"]
    seq = TextSequencer(max_tokens=30, ngrams=ngrams, standardize=standardize).fit(X)
    docs = pd.Series(["great box", "never seen", "", None, "ça 😀 K-9 it's", "Great BOX!"])
    for part in (docs.iloc[[0]], docs.iloc[[1]], docs.iloc[[4]], docs):
        monkeypatch.setattr(_tokenize, "_COPY_RATIO", 0)  # always look tokens up one by one
        shortcut = seq.transform(part)
        monkeypatch.setattr(_tokenize, "_COPY_RATIO", 10**9)  # always copy the vocabulary
        reference = seq.transform(part)
        monkeypatch.undo()
        np.testing.assert_array_equal(shortcut, reference, strict=True)


@pytest.mark.parametrize("text", [
    "Hello, World! It's 9:30 -- (really?)", "naïve café, «quoted»", "\u212a is kelvin",
    "tabs\tand\nnew lines...", "$5 + <3 = ^_^ | ~`", "", "ÉCOLE: déjà-vu!", "emoji 😀!"])
def test_ascii_strip_equals_the_unicode_table(text):
    expected = text.lower().translate(_tokenize.punctuation_table())
    assert _tokenize._lower_and_strip(text) == expected
    assert _tokenize._ascii_punctuation() == bytes(
        c for c in range(128) if c in _tokenize.punctuation_table())


# -- the prediction engine --------------------------------------------------------------

@pytest.fixture(scope="module")
def fitted():
    X = _table(240)
    est = FunctionalClassifier(router=_routers()["with categories"], epochs=1, batch_size=32,
                               random_state=0).fit(X, _target(X))
    return est, _table(40, seed=2)


def _tracing_count(est):
    return est._predictor.runner.traces


@needs_tensorflow
def test_default_model_predicts_through_a_graph_twin_a_recurrent_one_through_xla():
    X = _table(64)
    y = _target(X)
    default = FunctionalClassifier(router=_routers()["from_columns"], epochs=1,
                                   random_state=0).fit(X, y)
    predictor = default._predictor
    assert predictor.runner is not default.model_ and not predictor.uses_xla
    assert predictor.runner.jit_compile is False
    lstm = FunctionalClassifier(router=_routers()["from_columns"], epochs=1, random_state=0,
                                model__text_encoder="lstm").fit(X, y)
    assert lstm._predictor.uses_xla and lstm._predictor.runner.jit_compile
    assert not _predict.has_recurrent_layer(default.model_)
    assert _predict.has_recurrent_layer(lstm.model_)


def _two_input_model(structure):
    """Numbers and token ids in, a probability and a value out; inputs as a list or a dict."""
    numbers = keras.Input((3,), name="numbers")
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    words = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(tokens))
    hidden = keras.layers.Dense(8, activation="relu")(
        keras.layers.Concatenate()([numbers, words]))
    outputs = [keras.layers.Dense(1, activation="sigmoid", name="p")(hidden),
               keras.layers.Dense(1, name="v")(hidden)]
    inputs = {"numbers": numbers, "tokens": tokens} if structure == "dict" else [numbers, tokens]
    return keras.Model(inputs, outputs)


@needs_tensorflow
@pytest.mark.parametrize("structure", ["list", "dict", "one input"])
def test_twin_functions_answer_as_keras_predict_on_batch_bit_for_bit(structure):
    keras.utils.set_random_seed(0)
    if structure == "one input":
        numbers = keras.Input((3,))
        model = keras.Model(numbers, keras.layers.Dense(2)(
            keras.layers.Dense(4, activation="tanh")(numbers)))
    else:
        model = _two_input_model(structure)
    functions = _predict._twin(model, jit_compile=False)
    rng = np.random.default_rng(0)
    for n in (1, 4, 1, 4, 32):
        numbers = rng.normal(size=(n, 3)).astype("float32")
        tokens = rng.integers(0, 20, size=(n, 5)).astype("int32")
        x = {"one input": numbers, "list": [numbers, tokens],
             "dict": {"numbers": numbers, "tokens": tokens}}[structure]
        expected = model.predict_on_batch(x)
        got = functions.predict_on_batch(x)
        assert type(got) is type(expected)
        for e, g in zip(keras.tree.flatten(expected), keras.tree.flatten(got), strict=True):
            assert isinstance(g, np.ndarray) and g.dtype == e.dtype
            np.testing.assert_array_equal(g, e)
    assert functions.traces == 1  # one function for any number of rows
    assert functions.model is not model and functions.model.layers[-1] is model.layers[-1]


@needs_tensorflow
def test_xla_twin_functions_answer_as_keras_xla_predict_on_batch_bit_for_bit():
    keras.utils.set_random_seed(0)
    tokens = keras.Input((6,), dtype="int32")
    encoded = keras.layers.LSTM(4)(keras.layers.Embedding(20, 3, mask_zero=True)(tokens))
    model = keras.Model(tokens, keras.layers.Dense(1)(encoded))
    functions = _predict._twin(model, jit_compile=True)
    reference = keras.Model(model.input, model.output)
    reference.jit_compile = True  # Keras' own XLA predict function
    rng = np.random.default_rng(0)
    for n in (1, 4, 1, 8):
        x = rng.integers(0, 20, size=(n, 6)).astype("int32")
        np.testing.assert_array_equal(functions.predict_on_batch(x),
                                      reference.predict_on_batch(x))
    assert functions.jit_compile and functions.traces == 1


@needs_tensorflow
def test_twin_functions_are_kept_for_a_bounded_number_of_shapes(monkeypatch):
    tokens = keras.Input((None,), dtype="int32")  # a model that takes any length
    model = keras.Model(tokens, keras.layers.GlobalAveragePooling1D()(
        keras.layers.Embedding(20, 3)(tokens)))
    functions = _predict._twin(model, jit_compile=False)
    monkeypatch.setattr(_predict, "MAX_SHAPES", 3)
    for length in range(1, 6):
        x = np.ones((2, length), "int32")
        np.testing.assert_array_equal(functions.predict_on_batch(x), model.predict_on_batch(x))
    assert functions.traces == 5 and len(functions._functions) <= 3


def test_recurrent_layers_are_found_inside_wrappers_and_nested_models():
    inner = keras.Sequential([keras.Input((5, 3)),
                              keras.layers.Bidirectional(keras.layers.GRU(2))])
    inp = keras.Input((5, 3))
    nested = keras.Model(inp, keras.layers.Dense(1)(inner(inp)))
    assert _predict.has_recurrent_layer(nested)
    flat = keras.Sequential([keras.Input((5, 3)), keras.layers.Conv1D(2, 3),
                             keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(1)])
    assert not _predict.has_recurrent_layer(flat)


@needs_tensorflow
def test_warm_up_traces_the_function_later_one_row_calls_run(fitted, tmp_path):
    est, X = fitted
    path = tmp_path / "est.skmm"
    skmm.save(est, path)
    copies = {"fit": est, "pickle": pickle.loads(pickle.dumps(est)), "load": skmm.load(path)}
    for how, copy in copies.items():
        traced = _tracing_count(copy)
        assert traced == 1, how  # traced before any predict: fit, load and unpickling did it
        for i in range(5):
            copy.predict(X.iloc[[i]])
        assert _tracing_count(copy) == traced, how  # and every one-row call found it


@pytest.fixture(scope="module")
def fitted_lstm():
    """The default architecture with an LSTM text encoder: an XLA twin on TensorFlow."""
    X = _table(240)
    est = FunctionalClassifier(router=_routers()["from_columns"], epochs=1, batch_size=32,
                               random_state=0, model__text_encoder="lstm").fit(X, _target(X))
    return est, _table(40, seed=2)


@needs_tensorflow
def test_recurrent_models_first_answer_runs_the_xla_function_compiled_ahead(fitted_lstm,
                                                                          tmp_path):
    est, X = fitted_lstm
    path = tmp_path / "est.skmm"
    skmm.save(est, path)
    copies = {"fit": est, "pickle": pickle.loads(pickle.dumps(est)), "load": skmm.load(path)}
    for how, copy in copies.items():
        predictor = copy._predictor
        assert predictor.uses_xla and predictor.runner.jit_compile, how
        assert predictor.runner is not copy.model_, how
        # run once on one row before any predict: fit, load and unpickling compiled it
        assert _tracing_count(copy) == 1, how
        calls = []
        original = predictor.runner.predict_on_batch
        predictor.runner.predict_on_batch = lambda x, calls=calls, f=original: (
            calls.append(len(x[0])) or f(x))
        try:
            for i in range(5):
                copy.predict(X.iloc[[i]])
        finally:
            del predictor.runner.predict_on_batch
        assert calls == [1] * 5, how  # the XLA twin answered every one-row call ...
        assert _tracing_count(copy) == 1, how  # ... with the function made ahead
        assert predictor.uses_xla, how


def test_xla_refusal_is_met_in_the_warm_up_before_any_answer(fitted, monkeypatch):
    est, X = fitted
    expected = est.predict_proba(X.iloc[:3])
    predictor = _predict.Predictor(est.model_, est._wiring, est._predictor.links, xla=True)
    calls = {"n": 0}

    class Refused:
        def predict_on_batch(self, x):
            calls["n"] += 1
            raise RuntimeError("XLA could not compile an op")

    predictor.runner, predictor.uses_xla = Refused(), True
    predictor.warm_up(est.input_specs_)
    # the model's own function took over in the warm-up, for good
    assert calls["n"] == 1 and predictor.runner is est.model_ and not predictor.uses_xla
    monkeypatch.setattr(est, "_predictor", predictor)
    np.testing.assert_allclose(est.predict_proba(X.iloc[:3]), expected, rtol=1e-5)
    assert calls["n"] == 1


@pytest.mark.parametrize("model", ["default", "lstm"])
def test_first_answer_equals_the_thousandth_after_fit_load_and_unpickling(model, request,
                                                                          tmp_path):
    est, X = request.getfixturevalue("fitted" if model == "default" else "fitted_lstm")
    rows = [X.iloc[[i]] for i in range(4)]
    first = [est.predict(r) for r in rows]
    first_proba = [est.predict_proba(r) for r in rows]
    path = tmp_path / "est.skmm"
    skmm.save(est, path)
    copies = {"fit": est, "pickle": pickle.loads(pickle.dumps(est)), "load": skmm.load(path)}
    for how, copy in copies.items():
        # the copy's own first answers, before anything else ran through it
        answers = [copy.predict(r) for r in rows]
        for _ in range(250):
            for i, r in enumerate(rows):
                pd.testing.assert_series_equal(copy.predict(r), answers[i], check_exact=True,
                                               obj=how)
        for i, r in enumerate(rows):
            pd.testing.assert_series_equal(answers[i], first[i], check_exact=True, obj=how)
            np.testing.assert_array_equal(copy.predict_proba(r), first_proba[i], strict=True)


@pytest.mark.parametrize("container", list(CONTAINERS))
def test_one_row_predict_equals_the_general_router_path(fitted, container, monkeypatch):
    if container == "pyarrow":
        pytest.importorskip("pyarrow")
    est, X = fitted
    for rows in _rows_to_predict(X):
        rows = rows.astype(CONTAINERS[container])
        fast = est.predict_proba(rows)
        monkeypatch.setattr(routing, "SMALL_BATCH", 0)
        general = est.predict_proba(rows)
        monkeypatch.undo()
        np.testing.assert_array_equal(fast, general, strict=True)


def test_dict_and_array_inputs_warm_up_with_their_own_dtypes():
    rng = np.random.default_rng(0)
    X = {"ids": rng.integers(0, 20, (64, 4)), "numbers": rng.normal(size=(64, 3))}
    y = (X["numbers"][:, 0] > 0).astype(int)
    est = FunctionalEstimator(epochs=1, random_state=0).fit(X, y)
    if on_tensorflow:
        assert _tracing_count(est) == 1
    one = {k: v[:1] for k, v in X.items()}
    first = est.predict(one)
    if on_tensorflow:
        assert _tracing_count(est) == 1  # int ids and float numbers, as the warm-up fed them
    for _ in range(20):
        np.testing.assert_array_equal(est.predict(one), first, strict=True)
    plain = FunctionalEstimator(epochs=1, random_state=0).fit(X["numbers"], y)
    answer = plain.predict(X["numbers"][:1])
    if on_tensorflow:
        assert _tracing_count(plain) == 1
    np.testing.assert_array_equal(plain.predict(X["numbers"][:1]), answer, strict=True)


@pytest.mark.parametrize("padding, truncating", [("post", "post"), ("pre", "pre"),
                                                 ("post", "pre"), ("pre", "post")])
def test_few_documents_pad_as_a_batch_does(padding, truncating, monkeypatch):
    docs = pd.Series(["great box price", "", None, "awful it's a box of great things indeed",
                      "ça 😀", "price"])
    seq = TextSequencer(sequence_length=4, padding=padding, truncating=truncating,
                        ngrams=2).fit(_table(100)["review"])
    for part in (docs.iloc[[0]], docs.iloc[[1]], docs.iloc[[3]], docs):
        few = seq.transform(part)
        monkeypatch.setattr(_tokenize, "_FEW_DOCUMENTS", 0)  # the vectorised padding
        batch = seq.transform(part)
        monkeypatch.undo()
        np.testing.assert_array_equal(few, batch, strict=True)
