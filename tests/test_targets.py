import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skmm import TargetSplitter


@pytest.fixture
def y_frame():
    return pd.DataFrame(
        {
            "label": ["spam", "ham", "spam", "eggs"],
            "flag": [True, False, True, True],
            "code": [3, 1, 2, 3],
            "price": [1.0, 2.5, 3.0, 10.0],
        }
    )


def kinds(splitter):
    return {name: head.kind for name, head in splitter.heads_.items()}


def test_kind_detection_per_head(y_frame):
    s = TargetSplitter().fit(y_frame)
    assert kinds(s) == {"label": "multiclass", "flag": "binary", "code": "multiclass",
                        "price": "continuous"}
    assert s.heads_["label"].n_outputs == 3 and s.heads_["flag"].n_outputs == 1
    assert s.classes_["label"].tolist() == ["eggs", "ham", "spam"]
    assert s.classes_["code"].tolist() == [1, 2, 3]
    assert s.classes_["flag"].dtype == bool  # metrics need real label dtypes, not object


def test_encodings_and_dtypes(y_frame):
    s = TargetSplitter(standardize=False)
    enc = s.fit_transform(y_frame)
    assert enc["label"].dtype == np.int32 and enc["label"].tolist() == [2, 1, 2, 0]
    assert enc["flag"].dtype == np.float32 and enc["flag"].shape == (4, 1)
    assert enc["flag"].ravel().tolist() == [1, 0, 1, 1]
    assert enc["price"].dtype == np.float32 and enc["price"].ravel().tolist() == [1, 2.5, 3, 10]


def test_standardisation_is_undone(y_frame):
    s = TargetSplitter()
    enc = s.fit_transform(y_frame)
    assert abs(enc["price"].mean()) < 1e-6 and abs(enc["price"].std() - 1) < 1e-6
    back = s.inverse_transform(enc)
    np.testing.assert_allclose(back["price"], y_frame["price"], rtol=1e-6)


def test_round_trip_restores_frame_columns_labels_and_dtypes(y_frame):
    s = TargetSplitter(standardize=False)
    back = s.fit(y_frame).inverse_transform(s.transform(y_frame))
    pd.testing.assert_frame_equal(back, y_frame)


def test_category_and_string_dtypes_survive():
    y = pd.DataFrame({"c": pd.Categorical(["b", "a", "b"]), "s": pd.array(["x", "y", "x"],
                                                                         dtype="string")})
    s = TargetSplitter().fit(y)
    back = s.inverse_transform(s.transform(y))
    pd.testing.assert_frame_equal(back, y)


def test_integer_counts_are_regression_and_floats_too():
    rng = np.random.default_rng(0)
    y = pd.DataFrame({"count": rng.integers(0, 1000, 200), "score": rng.integers(1, 4, 200)
                      .astype(float)})
    assert kinds(TargetSplitter().fit(y)) == {"count": "continuous", "score": "continuous"}
    clf = TargetSplitter(task="classification").fit(y)
    assert kinds(clf) == {"count": "multiclass", "score": "multiclass"}


def test_kind_override_and_task_regression(y_frame):
    s = TargetSplitter(kinds={"code": "continuous"}).fit(y_frame)
    assert kinds(s)["code"] == "continuous"
    s = TargetSplitter(task="regression").fit(y_frame[["code", "price"]])
    assert set(kinds(s).values()) == {"continuous"}
    with pytest.raises(ValueError, match="head 'price' holds continuous values"):
        TargetSplitter(task="classification").fit(y_frame)
    with pytest.raises(ValueError, match="kind 'ordinal' for head 'code'"):
        TargetSplitter(kinds={"code": "ordinal"}).fit(y_frame)


def test_grouped_multilabel_head_and_multioutput_regression():
    y = pd.DataFrame({"tag_a": [1, 0, 1], "tag_b": [0, 0, 1], "x": [0.1, 0.2, 0.3],
                      "z": [1.0, 5.0, 2.0]})
    s = TargetSplitter(heads={"tags": ["tag_a", "tag_b"], "xz": ["x", "z"]}, standardize=False)
    enc = s.fit_transform(y)
    assert kinds(s) == {"tags": "multilabel-indicator", "xz": "continuous-multioutput"}
    assert enc["tags"].shape == (3, 2) and enc["xz"].shape == (3, 2)
    assert s.classes_["tags"].tolist() == ["tag_a", "tag_b"]
    pd.testing.assert_frame_equal(s.inverse_transform(enc), y)
    with pytest.raises(ValueError, match=r"columns \['z'\] belong to no head"):
        TargetSplitter(heads={"tags": ["tag_a", "tag_b"], "x": "x"}).fit(y)
    with pytest.raises(ValueError, match="did you mean 'tag_b'"):
        TargetSplitter(heads={"tags": ["tag_a", "tag_c"]}).fit(y)


def test_dict_series_and_array_containers():
    d = {"cls": np.array(["a", "b", "a"]), "reg": pd.Series([1.0, 2.0, 4.0])}
    s = TargetSplitter().fit(d)
    back = s.inverse_transform(s.transform(d))
    assert set(back) == {"cls", "reg"}
    assert back["cls"].tolist() == ["a", "b", "a"]
    np.testing.assert_allclose(back["reg"], [1.0, 2.0, 4.0])

    ser = pd.Series([0, 1, 1], name="target")
    s = TargetSplitter().fit(ser)
    assert list(s.heads_) == ["target"]
    pd.testing.assert_series_equal(s.inverse_transform(s.transform(ser)), ser)

    arr = np.array(["x", "y", "z", "x"])
    s = TargetSplitter().fit(arr)
    assert list(s.heads_) == ["y"] and kinds(s) == {"y": "multiclass"}
    assert s.inverse_transform(s.transform(arr)).tolist() == arr.tolist()

    multi = np.array([[0, 1], [1, 1], [2, 0]])  # multiclass-multioutput: a head per column
    s = TargetSplitter().fit(multi)
    assert list(s.heads_) == ["y_0", "y_1"]
    np.testing.assert_array_equal(s.inverse_transform(s.transform(multi)), multi)

    indicator = np.array([[0, 1], [1, 1], [1, 0]])
    s = TargetSplitter().fit(indicator)
    assert kinds(s) == {"y": "multilabel-indicator"}
    np.testing.assert_array_equal(s.inverse_transform(s.transform(indicator)), indicator)


def test_inverse_from_probabilities_and_probabilities(y_frame):
    s = TargetSplitter().fit(y_frame[["label", "flag"]])
    raw = {"label": np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]]), "flag": np.array([[0.9], [0.2]])}
    out = s.inverse_transform(raw, index=pd.Index([10, 11]))
    assert out["label"].tolist() == ["ham", "eggs"] and out["flag"].tolist() == [True, False]
    assert list(out.index) == [10, 11]
    proba = s.probabilities(raw)
    np.testing.assert_allclose(proba["flag"], [[0.1, 0.9], [0.8, 0.2]])
    np.testing.assert_allclose(proba["label"], raw["label"])


def test_missing_labels_are_masked_per_head():
    y = pd.DataFrame({"c": ["a", None, "b", pd.NA], "r": [1.0, 2.0, np.nan, 4.0]})
    s = TargetSplitter()
    enc, observed = s.fit(y).transform_with_mask(y)
    assert observed["c"].tolist() == [True, False, True, False]
    assert observed["r"].tolist() == [True, True, False, True]
    assert enc["c"].ravel()[[0, 2]].tolist() == [0, 1]
    with pytest.raises(ValueError, match="head 'c' has 2 missing label"):
        TargetSplitter(missing="error").fit(y)
    with pytest.raises(ValueError, match="head 'r' has no labels at all"):
        TargetSplitter().fit(pd.DataFrame({"r": [np.nan, np.nan]}))


def test_unknown_labels_named_with_head(y_frame):
    s = TargetSplitter().fit(y_frame)
    bad = y_frame.assign(label=["spam", "bacon", "toast", "ham"])
    with pytest.raises(ValueError, match=r"head 'label' has labels \['bacon', 'toast'\] not seen"):
        s.transform(bad)


def test_bad_targets_are_explained(y_frame):
    with pytest.raises(ValueError, match=r"head 'one' has only one class \['x'\]"):
        TargetSplitter().fit(pd.DataFrame({"one": ["x", "x"]}))
    with pytest.raises(ValueError, match="head 'mixed'"):
        TargetSplitter().fit(pd.DataFrame({"mixed": ["a", 1, "b"]}))
    s = TargetSplitter().fit(y_frame)
    with pytest.raises(ValueError, match=r"missing \['price'\]"):
        s.transform(y_frame.drop(columns="price"))
    with pytest.raises(ValueError, match="'missing'"):
        TargetSplitter(missing="drop").fit(y_frame)


def test_clone_and_pickle(y_frame):
    s = TargetSplitter(kinds={"code": "continuous"}, standardize=False)
    assert clone(s).get_params() == s.get_params()
    s.fit(y_frame)
    again = pickle.loads(pickle.dumps(s))
    for name, enc in again.transform(y_frame).items():
        np.testing.assert_array_equal(enc, s.transform(y_frame)[name])
