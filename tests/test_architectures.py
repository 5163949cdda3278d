"""The default architecture's shape decisions (which tower per input, which head per kind)."""

import keras
import numpy as np
import pytest

from skmm import InputSpec, ModelMeta, architectures
from skmm.targets import HeadSpec


def meta():
    return ModelMeta(
        inputs={
            "numeric": InputSpec("numeric", "numeric", (3,), "float32"),
            "review": InputSpec("review", "tokens", (12,), "int32", vocabulary_size=500),
        },
        heads={
            "label": HeadSpec("label", "multiclass", 4, classes=np.arange(4)),
            "flag": HeadSpec("flag", "binary", 1, classes=np.arange(2)),
            "tags": HeadSpec("tags", "multilabel-indicator", 3),
            "price": HeadSpec("price", "continuous", 1),
            "xy": HeadSpec("xy", "continuous-multioutput", 2),
        },
    )


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_inputs_and_heads_are_named_and_shaped():
    model = architectures.default_model(meta(), members=1)
    assert [t.name for t in model.inputs] == ["numeric", "review"]
    assert model.output_names == ["label", "flag", "tags", "price", "xy"]
    assert [o.shape[-1] for o in model.outputs] == [4, 1, 3, 1, 2]
    activations = {n: model.get_layer(n).activation.__name__ for n in model.output_names}
    assert activations == {"label": "softmax", "flag": "sigmoid", "tags": "sigmoid",
                           "price": "linear", "xy": "linear"}


def test_token_input_gets_embedding_sized_from_vocabulary():
    model = architectures.default_model(meta(), embedding_dim=8, members=1)
    emb = model.get_layer("review_embedding")
    assert emb.input_dim == 500 and emb.output_dim == 8
    assert model.get_layer("numeric_dense").units == 64


@pytest.mark.parametrize(
    "encoder, layer",
    [("mean", "MaskedMean"), ("lstm", "LSTM"), ("gru", "GRU"), ("conv", "Conv1D")],
)
def test_text_encoder_choice(encoder, layer):
    model = architectures.default_model(meta(), text_encoder=encoder, text_units=5, members=1)
    assert layer in layer_types(model)
    x = {"numeric": np.zeros((2, 3), "float32"), "review": np.ones((2, 12), "int32")}
    outputs = model.predict_on_batch([x["numeric"], x["review"]])
    assert [o.shape for o in outputs] == [(2, 4), (2, 1), (2, 3), (2, 1), (2, 2)]
    # an empty document (all padding) still gives finite outputs
    empty = model.predict_on_batch([x["numeric"], np.zeros((2, 12), "int32")])
    assert all(np.isfinite(o).all() for o in empty)


def test_shared_layers_and_dropout_are_tunable():
    model = architectures.default_model(meta(), hidden_units=(32, 16), dropout=0.0, members=1)
    dense = [layer.units for layer in model.layers if layer.name.startswith("shared_dense")]
    assert dense == [32, 16]
    assert "Dropout" not in layer_types(model)


def test_members_are_whole_networks_stacked_per_head():
    model = architectures.default_model(meta(), members=3, embedding_dim=8)
    assert model.output_names == ["label", "flag", "tags", "price", "xy"]
    # each head's output stacks its three members' outputs, and says what they end with
    stacks = {n: model.get_layer(n) for n in model.output_names}
    assert {type(layer).__name__ for layer in stacks.values()} == {"MemberStack"}
    assert {n: layer.activation for n, layer in stacks.items()} == {
        "label": "softmax", "flag": "sigmoid", "tags": "sigmoid", "price": "linear",
        "xy": "linear"}
    x = [np.zeros((2, 3), "float32"), np.ones((2, 12), "int32")]
    outputs = model.predict_on_batch(x)
    assert [o.shape for o in outputs] == [(2, 3, 4), (2, 3, 1), (2, 3, 3), (2, 3, 1), (2, 3, 2)]
    # whole networks: each member has its own embedding, from its own random start
    tables = [model.get_layer(f"review_embedding_member{i}").get_weights()[0] for i in range(3)]
    assert all(t.shape == (500, 8) for t in tables)
    assert not np.allclose(tables[0], tables[1]) and not np.allclose(tables[1], tables[2])
    assert not np.allclose(outputs[3][:, 0], outputs[3][:, 1])


def test_unknown_encoder_is_named():
    with pytest.raises(ValueError, match="model__text_encoder"):
        architectures.default_model(meta(), text_encoder="transformer")


def test_single_input_single_output_model_is_not_wrapped_in_lists():
    m = ModelMeta(inputs={"features": InputSpec("features", "numeric", (2,), "float32")},
                  heads={"y": HeadSpec("y", "continuous", 1)})
    model = architectures.default_model(m, members=1)
    assert isinstance(model.input, keras.KerasTensor)
    assert model.predict_on_batch(np.zeros((1, 2), "float32")).shape == (1, 1)


def test_numbers_get_a_periodic_embedding_unless_asked_not_to():
    model = architectures.default_model(meta(), members=1)
    periodic = model.get_layer("numeric_periodic")
    assert periodic.output.shape[-1] == 3 * periodic.units
    plain = architectures.default_model(meta(), numeric_embedding="none", members=1)
    assert "PeriodicEmbedding" not in layer_types(plain)
    with pytest.raises(ValueError, match="model__numeric_embedding.*'periodic'"):
        architectures.default_model(meta(), numeric_embedding="plr")


def test_periodic_embedding_learns_a_wavy_function_of_one_number():
    # a class that flips four times over [-1, 1]: a step a linear-ReLU layer of the same
    # width draws poorly in a few epochs, and sines and cosines draw easily
    from skmm.layers import PeriodicEmbedding

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(2000, 1)).astype("float32")
    y = (np.sin(2 * np.pi * 2 * x[:, 0]) > 0).astype("float32")

    def accuracy(first):
        keras.utils.set_random_seed(0)
        inp = keras.Input((1,))
        h = keras.layers.Dense(16, activation="relu")(first(inp))
        model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(h))
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, epochs=8, batch_size=64, verbose=0)
        return model.evaluate(x, y, verbose=0)[1]

    periodic = accuracy(PeriodicEmbedding(n_frequencies=8, units=8, sigma=1.0))
    plain = accuracy(keras.layers.Dense(8, activation="relu"))
    assert periodic > 0.95
    assert periodic > plain + 0.1


def test_periodic_embedding_round_trips_through_its_config():
    from skmm.layers import PeriodicEmbedding

    layer = PeriodicEmbedding(n_frequencies=3, units=2, sigma=0.5)
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(4, 2)
    out = keras.ops.convert_to_numpy(layer(x))
    copy = PeriodicEmbedding.from_config(layer.get_config())
    copy.build(x.shape)
    copy.set_weights(layer.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(copy(x)), out, rtol=1e-6)
    assert copy.get_config()["sigma"] == 0.5 and out.shape == (4, 4)


def test_estimator_answers_with_the_mean_of_its_members(reviews):
    # each member's probabilities (after the logits' link, if any) and values, then their
    # mean: what predict_proba and predict give, with sample weights and a masked label
    from conftest import make_est
    from scipy.special import expit

    X, y = reviews
    y = y.copy()
    y.loc[y.index[:20], "rating"] = np.nan  # masked for that head, not learned
    weights = np.linspace(0.5, 2.0, len(X))
    est = make_est(epochs=2, model__members=3).fit(X, y, sample_weight=weights)
    assert est._wiring.members == (3, 3)
    arrays = est._input_arrays(X.iloc[:16])
    raw = est._wiring.by_head(est.model_.predict_on_batch(est._wiring.model_x(arrays)))
    members = raw["sentiment"][:, :, 0]
    if est.from_logits_["sentiment"]:
        members = expit(members)
    assert members.shape == (16, 3) and members.std(axis=1).max() > 0  # they differ
    np.testing.assert_allclose(est.predict_proba(X.iloc[:16])["sentiment"][:, 1],
                               members.mean(axis=1), rtol=1e-5, atol=1e-6)
    head = est.targets_.heads_["rating"]
    values = raw["rating"][:, :, 0].mean(axis=1) * head.scale[0] + head.mean[0]
    np.testing.assert_allclose(est.predict(X.iloc[:16])["rating"], values, rtol=1e-5)
    assert np.isfinite(est.history_.to_numpy(dtype=float)).all()


def test_each_member_is_trained_on_its_own_copy_of_the_targets():
    from skmm._model import Wiring

    wiring = Wiring(["x"], "single", ["label", "price"], (3, None))
    label, price = np.array([0, 2, 1]), np.array([[1.0], [2.0], [3.0]])
    targets = wiring.model_targets({"label": label, "price": price})
    assert targets[0].shape == (3, 3) and (targets[0] == label[:, None]).all()
    assert targets[1] is price  # an output without members takes its targets as they are
    weights = wiring.model_targets({"label": np.ones(3), "price": np.ones(3)})
    assert weights[0].shape == (3, 3) and weights[1].shape == (3,)


@pytest.mark.parametrize("members", [0, -1, 2.5, "3", True])
def test_members_must_be_a_whole_number_of_networks(members):
    with pytest.raises(ValueError, match=r"model__members.*at least 1"):
        architectures.default_model(meta(), members=members)


def test_only_a_member_stack_makes_members():
    # a user's output of rank 3 (a sequence, say) is one prediction per row, never averaged
    from skmm._model import output_members

    x = keras.Input((6,))
    seq = keras.layers.Reshape((3, 2), name="price")(keras.layers.Dense(6)(x))
    assert output_members(keras.Model(x, seq)) == ()
    assert output_members(architectures.default_model(meta(), members=1)) == ()
    assert output_members(architectures.default_model(meta(), members=2)) == (2,) * 5


def test_member_mean_maps_each_member_then_averages():
    # logits: the mean of the members' probabilities, not the probability of their mean logit
    from scipy.special import expit

    from skmm._model import member_mean

    logits = np.array([[[-4.0], [0.0], [4.0]], [[1.0], [1.0], [1.0]]], dtype=np.float32)
    np.testing.assert_allclose(member_mean(expit)(logits)[:, 0],
                               [expit([-4.0, 0.0, 4.0]).mean(), expit(1.0)])
    skewed = np.array([[[-4.0], [0.0], [1.0]]])
    assert not np.isclose(member_mean(expit)(skewed)[0, 0], expit(skewed.mean()))
    assert member_mean()(logits).dtype == np.float64
    np.testing.assert_allclose(member_mean()(logits)[:, 0], [0.0, 1.0])


def test_a_stack_without_a_recorded_activation_is_not_read_as_logits():
    from skmm.heads import _activation_name
    from skmm.layers import MemberStack

    assert _activation_name(MemberStack()) == "unknown"
    assert _activation_name(MemberStack(activation="sigmoid")) == "sigmoid"
    assert MemberStack(activation="sigmoid").get_config()["activation"] == "sigmoid"
