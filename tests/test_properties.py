"""Property-based tests (hypothesis) for the data layer."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames
from sklearn.base import clone

from skmm import InputRouter, TargetSplitter, TextSequencer

texts = st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=1, max_size=20)
params = st.fixed_dictionaries(
    {
        "max_tokens": st.one_of(st.none(), st.integers(2, 30)),
        "sequence_length": st.one_of(st.none(), st.integers(1, 12)),
        "padding": st.sampled_from(["post", "pre"]),
        "truncating": st.sampled_from(["post", "pre"]),
        "ngrams": st.sampled_from([None, 2, (1, 3)]),
        "standardize": st.sampled_from(["lower_and_strip_punctuation", "lower", None]),
    }
)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(docs=texts, kw=params)
def test_text_sequencer_shape_dtype_range_and_determinism(docs, kw):
    seq = TextSequencer(**kw).fit(docs)
    out = seq.transform(docs)
    assert out.dtype == np.int32
    assert out.shape == (len(docs), seq.sequence_length_)
    assert out.min() >= 0 and out.max() < seq.vocabulary_size_
    if kw["max_tokens"] is not None:
        assert seq.vocabulary_size_ <= kw["max_tokens"]
    np.testing.assert_array_equal(TextSequencer(**kw).fit(docs).transform(docs), out)
    np.testing.assert_array_equal(clone(seq).fit(docs).transform(docs), out)
    # padding sits on the requested side of every row
    for row in out:
        nonzero = np.flatnonzero(row)
        if len(nonzero):
            if kw["padding"] == "post":
                assert nonzero[-1] == len(nonzero) - 1
            else:
                assert nonzero[0] == len(row) - len(nonzero)


@SETTINGS
@given(docs=texts)
def test_text_sequencer_fitted_tokens_all_known(docs):
    seq = TextSequencer(max_tokens=None, sequence_length=60).fit(docs)
    out = seq.transform(docs)
    assert not (out == 1).any()  # every training token is in the vocabulary


@SETTINGS
@given(
    frame=data_frames(
        [
            column("a", elements=st.floats(-1e6, 1e6)),
            column("b", elements=st.integers(-1000, 1000)),
            column("t", elements=st.one_of(st.none(), st.text(max_size=15))),
        ]
    ).filter(lambda df: len(df) > 0)
)
def test_input_router_dtypes_and_shapes(frame):
    router = InputRouter.from_columns(numeric=["a", "b"], text=["t"], sequence_length=5,
                                      bins=None)
    out = router.fit_transform(frame)
    assert out["numeric"].dtype == np.float32 and out["numeric"].shape == (len(frame), 2)
    assert out["t"].dtype == np.int32 and out["t"].shape == (len(frame), 5)
    assert out["t"].max() < router.input_specs_["t"].vocabulary_size
    again = router.transform(frame[["t", "b", "a"]])
    for name in out:
        np.testing.assert_array_equal(again[name], out[name])


labels = st.one_of(
    st.lists(st.sampled_from(["cat", "dog", "émeu"]), min_size=2, max_size=30),
    st.lists(st.integers(-3, 3), min_size=2, max_size=30),
    st.lists(st.booleans(), min_size=2, max_size=30),
).filter(lambda v: len(set(v)) >= 2)
numbers = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=30)


def _equal(a, b, atol):
    """Labels exactly; numbers up to float32 encoding (relative to the data's scale)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-5, atol=atol)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=False, rtol=1e-5, atol=atol)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _equal(np.asarray(a[k]), np.asarray(b[k]), atol)
    elif np.asarray(a).dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=atol)
    else:
        np.testing.assert_array_equal(a, b)


@SETTINGS
@given(cls=labels, reg=numbers, container=st.sampled_from(["frame", "dict", "series", "array"]),
       standardize=st.booleans())
def test_target_splitter_round_trip(cls, reg, container, standardize):
    n = min(len(cls), len(reg))
    cls, reg = cls[:n], reg[:n]
    if len(set(cls)) < 2:
        return
    if container == "frame":
        y = pd.DataFrame({"c": cls, "r": reg})
    elif container == "dict":
        y = {"c": np.asarray(cls), "r": np.asarray(reg)}
    elif container == "series":
        y = pd.Series(cls, name="c")
    else:
        y = np.asarray(cls)
    kinds = {"r": "continuous"} if container in ("frame", "dict") else None
    s = TargetSplitter(standardize=standardize, kinds=kinds).fit(y)
    # regression heads travel as float32: allow its resolution at the data's scale
    atol = 1e-6 * (1.0 + float(np.abs(reg).max()))
    _equal(s.inverse_transform(s.transform(y)), y, atol)
