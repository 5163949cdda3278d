"""The y dtype matrix: every container and dtype users hold, every head kind, with and without
missing labels, predicted at sizes on both sides of a chunk boundary.

A cell is a container with its dtypes and gaps: the pandas dtype families (NumPy-backed,
nullable, ``string``, pyarrow, Categorical) side by side in one table, polars, and the one-head
containers (Series, polars Series, 1-D and 2-D arrays, a dict). Each cell fits one tiny model
with a head of every kind, in the worker that runs it, and checks that ``predict`` gives back
y's container, column names, dtypes and labels at every size (zero rows included),
``predict_proba`` is a distribution over the classes, each head's score is scikit-learn's metric
computed by hand on the labelled rows, and ``skmm.save``/``load`` and pickle answer as the
original does. The chunk size is lowered so "several chunks" costs little; the polars cell also
crosses the real 16,384-row boundary. Hypothesis covers the label values themselves.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, d2_tweedie_score, r2_score

import skmm
from skmm import FunctionalEstimator, TargetSplitter, _predict

pl = pytest.importorskip("polars", reason="polars is in the dev extra (CI has it)")
pytest.importorskip("pyarrow", reason="pyarrow is in the dev extra (CI has it)")

N = 96  # training rows
# PREDICT_CHUNK in these tests: sizes 1, 32, 33 and 97 are one, one, two and four chunks, and
# every chunk pads to 32 rows or 1, so each fitted model compiles its forward pass twice only
CHUNK = 32
SIZES = (1, CHUNK, CHUNK + 1, 97)


def _x(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32)


def _pattern(values, n):
    return [values[i % len(values)] for i in range(n)]


def _gaps(values, missing, every=7, na=None):
    """Every ``every``-th value replaced by ``na`` when ``missing``."""
    return [na if missing and i % every == 3 else v for i, v in enumerate(values)]


# -- the y tables: one family of dtypes each, every head kind in one table --------------------
# heads: "b" binary, "m" multiclass, "t0"/"t1" one multilabel head "tags", "r" continuous,
# "c" count (stated: counts are never detected)
HEADS = {"b": "b", "m": "m", "tags": ["t0", "t1"], "r": "r", "c": "c"}
KINDS = {"b": "binary", "m": "multiclass", "tags": "multilabel-indicator", "r": "continuous",
         "c": "count"}


def _columns(n, missing):
    rng = np.random.default_rng(1)
    return {
        "b": _pattern(["no", "yes", "yes"], n),
        "m": _pattern([3, 1, 2, 2, 1], n),
        "t0": _pattern([0, 1, 1], n),
        "t1": _pattern([1, 0], n),
        "r": rng.normal(10, 3, n).round(3).tolist(),
        "c": rng.poisson(3, n).tolist(),
    }


def y_numpy_backed(n, missing):
    c = _columns(n, missing)
    return pd.DataFrame({
        "b": pd.Series(_gaps(c["b"], missing), dtype=object),
        "m": np.asarray(c["m"], dtype=np.int64),  # numpy ints cannot be missing
        "t0": np.asarray(c["t0"], dtype=np.int64), "t1": np.asarray(c["t1"], dtype=np.int64),
        "r": np.asarray(_gaps(c["r"], missing, na=np.nan), dtype=np.float64),
        "c": np.asarray(c["c"], dtype=np.int64),
    })


def y_nullable(n, missing):
    c = _columns(n, missing)
    return pd.DataFrame({
        "b": pd.array(_gaps([v == "yes" for v in c["b"]], missing), dtype="boolean"),
        "m": pd.array(_gaps(c["m"], missing, every=5), dtype="Int64"),
        "t0": pd.array(c["t0"], dtype="Int64"), "t1": pd.array(c["t1"], dtype="Int64"),
        "r": pd.array(_gaps(c["r"], missing), dtype="Float64"),
        "c": pd.array(_gaps(c["c"], missing, every=9), dtype="Int64"),
    })


def y_strings(n, missing):
    c = _columns(n, missing)
    return pd.DataFrame({
        "b": pd.array(_gaps(c["b"], missing), dtype="string"),
        "m": pd.array(_gaps([f"grade {v}" for v in c["m"]], missing), dtype="string[pyarrow]"),
        "t0": c["t0"], "t1": c["t1"],
        "r": np.asarray(_gaps(c["r"], missing, na=np.nan)),
        "c": c["c"],
    })


def y_pyarrow(n, missing):
    c = _columns(n, missing)
    return pd.DataFrame({
        "b": pd.array(_gaps([v == "yes" for v in c["b"]], missing), dtype="bool[pyarrow]"),
        "m": pd.array(_gaps(c["m"], missing), dtype="int64[pyarrow]"),
        "t0": pd.array(c["t0"], dtype="int8[pyarrow]"),
        "t1": pd.array(c["t1"], dtype="int8[pyarrow]"),
        "r": pd.array(_gaps(c["r"], missing), dtype="double[pyarrow]"),
        "c": pd.array(_gaps(c["c"], missing), dtype="int64[pyarrow]"),
    })


def y_categorical(n, missing):
    c = _columns(n, missing)
    return pd.DataFrame({
        "b": pd.Categorical(_gaps(c["b"], missing), categories=["yes", "no"]),  # not sorted
        "m": pd.Categorical(_gaps(c["m"], missing)),  # integer categories
        "t0": c["t0"], "t1": c["t1"], "r": c["r"], "c": c["c"],
    })


def y_polars(n, missing):
    c = _columns(n, missing)
    return pl.DataFrame({
        "b": pl.Series(_gaps(c["b"], missing), dtype=pl.String),
        "m": pl.Series(_gaps(c["m"], missing), dtype=pl.Int64),
        "t0": pl.Series(c["t0"], dtype=pl.Int64), "t1": pl.Series(c["t1"], dtype=pl.Int64),
        "r": pl.Series(_gaps(c["r"], missing), dtype=pl.Float64),
        "c": pl.Series(_gaps(c["c"], missing), dtype=pl.Int64),
    })


PANDAS_FAMILIES = {"numpy": y_numpy_backed, "nullable": y_nullable, "string": y_strings,
                   "arrow": y_pyarrow, "cat": y_categorical}


def y_pandas(n, missing):
    """Every pandas dtype family side by side in one table: column ``<head>_<family>``.

    One model with a head per family's column serves every family: the cells share fits.
    """
    return pd.concat([make(n, missing).add_suffix(f"_{family}")
                      for family, make in PANDAS_FAMILIES.items()], axis=1)


def frame_heads(families):
    heads = {}
    for family in families:
        heads.update({f"{h}_{family}": ([f"{c}_{family}" for c in cols]
                                        if isinstance(cols, list) else f"{cols}_{family}")
                      for h, cols in HEADS.items()})
    return heads


FRAMES = {"pandas": (y_pandas, list(PANDAS_FAMILIES)), "polars": (y_polars, [None])}


# one-head containers: Series (pandas and polars), a 1-D numpy array, a 2-D matrix; and a
# dict of arrays, one head per key
def y_single(container, kind, n, missing):
    c = _columns(n, missing)
    values = {"binary": (_gaps(c["b"], missing), "b"),
              "multiclass": (_gaps(c["m"], missing), "m"),
              "continuous": (_gaps(c["r"], missing), "r"),
              "count": (_gaps(c["c"], missing), "c")}
    if kind == "multilabel-indicator":
        return np.column_stack([c["t0"], c["t1"]])
    if container == "dict":
        return {"b": np.asarray(values["binary"][0], dtype=object),
                "m": np.asarray(values["multiclass"][0], dtype=object),
                "r": np.asarray(values["continuous"][0], dtype=float)}
    data, name = values[kind]
    if container == "series":
        dtype = {"binary": "string", "multiclass": "Int64", "continuous": "Float64",
                 "count": "Int64"}[kind]
        return pd.Series(pd.array(data, dtype=dtype), name=name)
    if container == "polars-series":
        dtype = {"binary": pl.String, "multiclass": pl.Int64, "continuous": pl.Float64,
                 "count": pl.Int64}[kind]
        return pl.Series(name, data, dtype=dtype)
    arr = np.asarray(data, dtype=object if kind == "binary" else None)
    return arr.astype(float) if kind == "continuous" else arr


# (container, kind, with gaps): a full and a gapped column per kind, spread over containers
SINGLE = [("series", "binary", False), ("series", "multiclass", True),
          ("series", "continuous", True), ("series", "count", False),
          ("polars-series", "multiclass", True), ("dict", "mixed", True),
          ("array", "multiclass", False), ("array", "continuous", True),
          ("matrix", "multilabel-indicator", False)]


def _estimator(targets):
    return FunctionalEstimator(targets=targets, epochs=1, batch_size=32, early_stopping=False,
                               random_state=0, model__hidden_units=(8,),
                               model__numeric_units=8)


_FITS = {}


def fitted(key):
    """One fitted estimator per cell, shared by every size and check of that cell."""
    if key not in _FITS:
        family, missing = key[0], key[-1]
        if family in FRAMES:
            make, families = FRAMES[family]
            y = make(N, missing)
            heads = frame_heads(families) if families != [None] else HEADS
            kinds = {h: "count" for h in heads if h.startswith("c")}
            kinds.update({h: "multilabel-indicator" for h in heads if h.startswith("tags")})
            targets = TargetSplitter(heads=heads, kinds=kinds)
        else:
            y = y_single(family, key[1], N, missing)
            targets = TargetSplitter(kinds="count" if key[1] == "count" else None)
        _FITS[key] = (_estimator(targets).fit(_x(N), y), y)
    return _FITS[key]


CELLS = [(f, m) for f in FRAMES for m in (False, True)] + SINGLE


def _ids(cell):
    return "-".join(str(p) if not isinstance(p, bool) else ("gaps" if p else "full")
                    for p in cell)


def _rows(y):
    return len(next(iter(y.values()))) if isinstance(y, dict) else len(y)


def _as_frame(y):
    """Any prediction as a pandas DataFrame of its values (for comparing two of them)."""
    y = _pandas(y)
    if isinstance(y, dict):
        return pd.DataFrame({k: list(v) for k, v in y.items()})
    if isinstance(y, np.ndarray):
        return pd.DataFrame(y.reshape(len(y), -1))
    return pd.DataFrame(y).reset_index(drop=True)


def _pandas(y):
    return y.to_pandas() if isinstance(y, (pl.DataFrame, pl.Series)) else y


def _dtypes_of(y):
    if isinstance(y, pl.DataFrame):
        return dict(y.schema)
    if isinstance(y, pl.Series):
        return {y.name: y.dtype}
    if isinstance(y, pd.DataFrame):
        return dict(y.dtypes)
    if isinstance(y, pd.Series):
        return {y.name: y.dtype}
    if isinstance(y, dict):
        return {k: np.asarray(v).dtype for k, v in y.items()}
    return {None: y.dtype}


def _expected_dtypes(est, y):
    """What predict must return: y's dtypes, except that regression heads predict floats."""
    dtypes = _dtypes_of(y)
    for head in est.targets_.heads_.values():
        if head.kind in ("continuous", "count") and not isinstance(y, (pl.DataFrame,
                                                                           pl.Series)):
            for col in head.columns:
                key = col if col in dtypes else None
                dt = dtypes[key]
                if not pd.api.types.is_float_dtype(dt):
                    dtypes[key] = np.dtype(np.float64)
        elif head.kind in ("continuous", "count"):
            for col in head.columns:
                if not dtypes[col].is_float():
                    dtypes[col] = pl.Float64
    return dtypes


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(_predict, "PREDICT_CHUNK", CHUNK)


def check_predict_keeps_container_names_dtypes_and_labels_at_every_size(est, y):
    X = _x(max(SIZES), seed=1)
    whole = est.predict(X)
    assert type(whole) is type(y)
    assert _dtypes_of(whole) == _expected_dtypes(est, y)
    for n in SIZES:
        part = est.predict(X[:n])
        assert type(part) is type(y) and _rows(part) == n
        assert _dtypes_of(part) == _dtypes_of(whole)
        # float32 outputs of other batch shapes agree to rounding; labels exactly
        pd.testing.assert_frame_equal(_as_frame(part), _as_frame(whole).iloc[:n],
                                      check_exact=False, rtol=1e-6)
    # labels are y's labels (compared by value), never new ones
    for head in est.targets_.heads_.values():
        if head.kind in ("binary", "multiclass"):
            col = _pandas(whole)
            col = col[head.columns[0]] if isinstance(col, (pd.DataFrame, dict)) else col
            seen = pd.Series(_pandas(y)[head.columns[0]] if isinstance(
                y, (pd.DataFrame, pl.DataFrame, dict)) else _pandas(y)).dropna()
            assert set(pd.Series(col).tolist()) <= set(seen.tolist())


def check_zero_rows_give_an_empty_container_with_the_columns(est, y):
    empty = est.predict(_x(0))
    assert type(empty) is type(y) and _rows(empty) == 0
    assert _dtypes_of(empty) == _expected_dtypes(est, y)
    if hasattr(est, "predict_proba") and any(
            h.kind in ("binary", "multiclass", "multilabel-indicator")
            for h in est.targets_.heads_.values()):
        proba = est.predict_proba(_x(0))
        for name, p in (proba.items() if isinstance(proba, dict) else [(None, proba)]):
            head = est.targets_.heads_[name] if name else next(iter(est.targets_.heads_.values()))
            assert p.shape == (0, max(2, head.n_outputs))


def _head_columns(y, head):
    """One head's columns of a y or a prediction (pandas, dict or array) as a DataFrame."""
    if isinstance(y, pd.DataFrame):
        return y[head.columns]
    if isinstance(y, dict):
        return pd.DataFrame({head.columns[0]: y[head.columns[0]]})
    return pd.DataFrame(np.asarray(y, dtype=object).reshape(len(y), -1))


def check_proba_and_scores_match_scikit_learn_by_hand(est, y):
    X = _x(N)
    heads = est.targets_.heads_
    scores = est.score_per_head(X, y)
    predicted = _pandas(est.predict(X))
    frame = _pandas(y)
    for name, head in heads.items():
        true, got = _head_columns(frame, head), _head_columns(predicted, head)
        keep = ~true.isna().any(axis=1).to_numpy()
        t = true.to_numpy(dtype=object)[keep]
        g = got.to_numpy(dtype=object)[keep]
        if head.kind in ("binary", "multiclass"):  # y's labels and predicted ones, as values
            expected = accuracy_score(t[:, 0].tolist(), g[:, 0].tolist())
        elif head.kind == "multilabel-indicator":
            expected = accuracy_score(t.astype(int), g.astype(int))
        elif head.kind == "continuous":
            expected = r2_score(t.astype(float)[:, 0], g.astype(float)[:, 0])
        else:
            expected = d2_tweedie_score(t.astype(float)[:, 0],
                                        np.maximum(g.astype(float)[:, 0], 1e-12), power=1)
        assert scores[name] == pytest.approx(expected, rel=1e-9, abs=1e-12), name
    if any(h.kind in ("binary", "multiclass", "multilabel-indicator") for h in heads.values()):
        proba = est.predict_proba(X)
        proba = proba if isinstance(proba, dict) else {next(iter(heads)): proba}
        for name, p in proba.items():
            assert p.shape[0] == N and np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
            if heads[name].kind != "multilabel-indicator":
                assert p.shape[1] == len(heads[name].classes)
                np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def check_save_load_and_pickle_answer_identically(est, y, tmp_path):
    X = _x(CHUNK + 1, seed=2)
    path = tmp_path / "est.skmm"
    skmm.save(est, path)
    for copy in (skmm.load(path), pickle.loads(pickle.dumps(est))):
        a, b = est.predict(X), copy.predict(X)
        if isinstance(a, (pd.DataFrame, pd.Series)):
            pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
        elif isinstance(a, (pl.DataFrame, pl.Series)):
            assert a.equals(b) and a.dtypes == b.dtypes if isinstance(a, pl.DataFrame) else (
                a.equals(b))
        elif isinstance(a, dict):
            assert all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)
        else:
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
        assert copy.score(X[:N], _slice(y, CHUNK + 1)) == est.score(X[:N], _slice(y, CHUNK + 1))


def _slice(y, n):
    if isinstance(y, (pd.DataFrame, pd.Series)):
        return y.iloc[:n]
    if isinstance(y, dict):
        return {k: v[:n] for k, v in y.items()}
    return y[:n]


@pytest.mark.parametrize("cell", CELLS, ids=_ids)
def test_cell(cell, tmp_path):
    """One cell of the matrix: fitted once (in the worker that runs it), every check on it."""
    est, y = fitted(cell)
    check_predict_keeps_container_names_dtypes_and_labels_at_every_size(est, y)
    check_zero_rows_give_an_empty_container_with_the_columns(est, y)
    check_proba_and_scores_match_scikit_learn_by_hand(est, y)
    if cell[-1]:  # with gaps: the copies must mask and restore as the original does
        check_save_load_and_pickle_answer_identically(est, y, tmp_path)
    if cell[0] in FRAMES:
        check_kinds_and_classes_are_the_same_whatever_the_dtype(est.targets_, FRAMES[cell[0]][1])
    if cell == ("polars", True):
        check_polars_y_past_the_real_chunk_boundary(est, y)


def check_kinds_and_classes_are_the_same_whatever_the_dtype(splitter, families):
    """1, 1.0, nullable 1, pyarrow 1 and polars 1 are one class: kinds and classes agree."""
    for family in families:
        suffix = "" if family is None else f"_{family}"
        assert {n[:len(n) - len(suffix)]: h.kind for n, h in splitter.heads_.items()
                if n.endswith(suffix)} == KINDS
        if family != "string":  # its grades are strings: "grade 1"...
            assert splitter.classes_[f"m{suffix}"].tolist() == [1, 2, 3]


def check_polars_y_past_the_real_chunk_boundary(est, y):
    """16,385 rows: two real chunks (the bug: a numpy object array came back)."""
    _predict.PREDICT_CHUNK = 16384  # the autouse fixture puts CHUNK back after the test
    pred = est.predict(_x(16385, seed=3))
    assert isinstance(pred, pl.DataFrame) and pred.columns == y.columns
    assert pred.schema["m"] == pl.Int64 and pred.schema["b"] == pl.String
    assert pred.height == 16385


def test_polars_int_labels_with_nulls_are_a_class_head():
    """A polars Int64 label column with nulls stays integer classes, not a regression head."""
    y = pl.DataFrame({"grade": pl.Series([1, None, 2, 3, 2, None] * 8, dtype=pl.Int64)})
    splitter = TargetSplitter().fit(y)
    assert splitter.heads_["grade"].kind == "multiclass"
    assert splitter.classes_["grade"].tolist() == [1, 2, 3]
    back = splitter.inverse_transform(splitter.transform(y))
    assert back.schema["grade"] == pl.Int64


# -- values, not dtypes: hypothesis over the labels themselves --------------------------------
_LABEL_DTYPES = ["int64", "Int64", "int64[pyarrow]", "float64", "Float64", "object"]


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.integers(-1000, 1000), min_size=2, max_size=30).filter(
    lambda v: len(set(v)) >= 2), fit_dtype=st.sampled_from(_LABEL_DTYPES),
    other_dtype=st.sampled_from(_LABEL_DTYPES))
def test_integer_labels_are_one_class_whatever_the_dtype(labels, fit_dtype, other_dtype):
    y_fit = pd.Series(pd.array(labels, dtype=fit_dtype) if fit_dtype != "object"
                      else np.asarray(labels, dtype=object), name="label")
    splitter = TargetSplitter(task="classification").fit(y_fit)
    assert splitter.classes_["label"].tolist() == sorted(set(labels))
    y_other = pd.Series(pd.array(labels, dtype=other_dtype) if other_dtype != "object"
                        else np.asarray([float(v) for v in labels], dtype=object), name="label")
    np.testing.assert_array_equal(splitter.transform(y_other)["label"],
                                  splitter.transform(y_fit)["label"])
    back = splitter.inverse_transform(splitter.transform(y_fit))
    assert back.dtype == y_fit.dtype
    assert [int(v) for v in back] == labels


@settings(max_examples=40, deadline=None)
@given(labels=st.lists(st.text(min_size=0, max_size=5), min_size=2, max_size=20).filter(
    lambda v: len(set(v)) >= 2),
    dtype=st.sampled_from(["object", "string", "string[pyarrow]", "category"]))
def test_string_labels_round_trip_in_their_dtype(labels, dtype):
    y = pd.Series(labels, dtype=dtype, name="s")
    splitter = TargetSplitter().fit(y)
    back = splitter.inverse_transform(splitter.transform(y))
    assert back.dtype == y.dtype and back.tolist() == labels


def test_strings_and_numbers_are_different_classes():
    splitter = TargetSplitter().fit(pd.Series(["1", "2", "1"], name="code"))
    with pytest.raises(ValueError, match=r"head 'code' has labels \[1, 2\] not seen in fit"):
        splitter.transform(pd.Series([1, 2, 1], name="code"))
    with pytest.raises(ValueError, match="head 'mixed' mixes label types"):
        TargetSplitter().fit(pd.Series(["a", 1, "b"], name="mixed"))


def test_declared_classes_that_y_dtype_cannot_hold_come_back_whole():
    """A class longer than ``<U3``, 300 in ``int8`` or a category y never had is never cut."""
    cases = [(pd.Series(np.array(["no", "yes"] * 4), name="y"), ["maybe"]),
             (pd.Series(np.array([1, 2] * 4, dtype=np.int8), name="y"), [300]),
             (pd.Series(pd.Categorical(["a", "b"] * 4), name="y"), ["c"])]
    for y, extra in cases:
        splitter = TargetSplitter().fit(y, classes=list(pd.unique(y)) + extra)
        back = splitter.rebuild({"y": np.asarray(extra + [y.iloc[0]], dtype=object)})
        assert back.tolist() == extra + [y.iloc[0]]


def test_large_integer_labels_stay_apart():
    labels = pd.Series([2**62 + 1, 2**62, 1] * 3, name="id")
    splitter = TargetSplitter(kinds="multiclass").fit(labels)
    assert splitter.classes_["id"].tolist() == [1, 2**62, 2**62 + 1]
    back = splitter.inverse_transform(splitter.transform(labels))
    assert back.tolist() == labels.tolist()
