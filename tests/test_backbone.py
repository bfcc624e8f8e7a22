import keras
import numpy as np
import pytest
from conftest import random_inputs, tiny_config

from keras_albert import AlbertBackbone, AlbertClassifier


def test_albert_large_v2_has_exactly_the_published_parameter_count():
    assert AlbertBackbone.from_preset("albert-large-v2").count_params() == 17_683_968


def test_weights_are_shared_across_layers():
    counts = {n: AlbertBackbone(tiny_config(num_hidden_layers=n)).count_params() for n in (1, 4, 12)}
    assert len(set(counts.values())) == 1
    # More groups or inner blocks do add weights: one block's worth each.
    one = counts[1]
    two_groups = AlbertBackbone(tiny_config(num_hidden_layers=4, num_hidden_groups=2)).count_params()
    two_inner = AlbertBackbone(tiny_config(num_hidden_layers=4, inner_group_num=2)).count_params()
    assert two_groups == two_inner > one


def test_every_layer_calls_the_shared_block():
    config = tiny_config(num_hidden_layers=6, num_hidden_groups=3, inner_group_num=2)
    backbone = AlbertBackbone(config)
    calls = {}
    for node in backbone._operations:
        calls[node.name] = len(node._inbound_nodes)
    for g in range(3):
        for j in range(2):
            assert calls[f"group_{g}_inner_{j}"] == 2  # 6 layers / 3 groups


def test_output_shapes_and_dynamic_length():
    config = tiny_config()
    backbone = AlbertBackbone(config)
    for seq in (5, 17):
        out = backbone(random_inputs(config, batch=2, seq=seq))
        assert out["sequence_output"].shape == (2, seq, config.hidden_size)
        assert out["pooled_output"].shape == (2, config.hidden_size)


def test_padding_does_not_change_real_tokens():
    config = tiny_config(num_hidden_groups=2, inner_group_num=2)
    backbone = AlbertBackbone(config)
    short = random_inputs(config, batch=1, seq=7, pad=False)
    padded = {k: np.pad(v, ((0, 0), (0, 9))) for k, v in short.items()}
    a, b = backbone(short), backbone(padded)
    np.testing.assert_allclose(np.asarray(a["sequence_output"]), np.asarray(b["sequence_output"])[:, :7], atol=1e-5)
    np.testing.assert_allclose(np.asarray(a["pooled_output"]), np.asarray(b["pooled_output"]), atol=1e-5)
    # ...and the padding really is masked: changing padded ids changes nothing either.
    noisy = dict(padded, token_ids=np.where(padded["padding_mask"] == 1, padded["token_ids"], 77).astype("int32"))
    np.testing.assert_allclose(np.asarray(backbone(noisy)["pooled_output"]), np.asarray(b["pooled_output"]), atol=1e-6)


def test_deterministic_at_inference_and_dropout_in_training():
    config = tiny_config(hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    backbone = AlbertBackbone(config)
    x = random_inputs(config)
    first, second = backbone(x), backbone(x)
    np.testing.assert_array_equal(np.asarray(first["sequence_output"]), np.asarray(second["sequence_output"]))
    trained = backbone(x, training=True)
    assert not np.allclose(np.asarray(trained["sequence_output"]), np.asarray(first["sequence_output"]))


def test_segment_ids_matter():
    config = tiny_config()
    backbone = AlbertBackbone(config)
    x = random_inputs(config, pad=False)
    y = dict(x, segment_ids=np.zeros_like(x["segment_ids"]))
    assert not np.allclose(np.asarray(backbone(x)["pooled_output"]), np.asarray(backbone(y)["pooled_output"]))


@pytest.mark.parametrize("change, message", [
    (lambda x: dict(x, token_ids=x["token_ids"] + 1000), r"token_ids.*\[0, 500\)"),
    (lambda x: dict(x, token_ids=x["token_ids"].astype("float32")), "must hold integers"),
    (lambda x: {k: v[0] for k, v in x.items()}, "rank 2"),
    (lambda x: dict(x, segment_ids=x["segment_ids"] + 2), "segment_ids"),
    (lambda x: dict(x, padding_mask=x["padding_mask"][:, :3]), "has shape"),
    (lambda x: {k: np.ones((1, 65), "int32") for k in x}, "exceeds max_position_embeddings"),
    (lambda x: {"token_ids": x["token_ids"]}, "missing model input"),
])
def test_bad_inputs_raise_clear_errors(change, message):
    config = tiny_config()
    backbone = AlbertBackbone(config)
    with pytest.raises(ValueError, match=message):
        backbone(change(random_inputs(config)))
    with pytest.raises(ValueError, match=message):
        backbone.predict(change(random_inputs(config)), verbose=0)


@pytest.mark.parametrize("run", [
    lambda m, x, y: m.fit(x, y, verbose=0), lambda m, x, y: m.evaluate(x, y, verbose=0),
    lambda m, x, y: m.fit(random_inputs(m.config), y, validation_data=(x, y), verbose=0),
    lambda m, x, y: m.train_on_batch(x, y), lambda m, x, y: m.test_on_batch(x, y)])
def test_training_checks_its_inputs_too(run):
    """An id past the vocabulary in fit/evaluate is the same one line as in a call (not a deep TensorFlow error;
    on JAX not silently NaN weights: tests/test_backends.py)."""
    config = tiny_config()
    model = AlbertClassifier(AlbertBackbone(config), 2)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = random_inputs(config)
    x["token_ids"][:, 1] = 700
    with pytest.raises(ValueError, match=r"`token_ids` values must be in \[0, 500\), got range \[0, 700\]"):
        run(model, x, np.zeros(len(x["token_ids"])))


def test_a_dataset_is_checked_as_it_streams():
    import tensorflow as tf
    config = tiny_config()
    model = AlbertClassifier(AlbertBackbone(config), 2)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = random_inputs(config, batch=4), np.zeros(4)
    good = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(2), verbose=0)
    assert np.isfinite(good.history["loss"][0])
    x["token_ids"][3, 1] = 700  # in the second batch only
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`token_ids` values must be in \[0, 500\)"):
        model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(2), verbose=0)
    x["token_ids"][3, 1], x["segment_ids"][0, 0] = 1, -1
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`segment_ids` values must be in \[0, 2\)"):
        model.predict(tf.data.Dataset.from_tensor_slices(x).batch(2), verbose=0)


def test_config_round_trip_through_get_config():
    config = tiny_config(num_hidden_groups=2)
    backbone = AlbertBackbone(config)
    rebuilt = AlbertBackbone.from_config(backbone.get_config())
    assert rebuilt.config == config and rebuilt.count_params() == backbone.count_params()


def test_layers_apply_the_groups_in_order():
    """Layer i runs group int(i / (layers / groups)), each group's inner blocks in order: written out by hand
    here (6 layers, 3 groups: 0 0 1 1 2 2), so a loop that runs the groups or blocks backwards fails."""
    from keras_albert.backbone import attention_bias
    config = tiny_config(num_hidden_layers=6, num_hidden_groups=3, inner_group_num=2)
    backbone = AlbertBackbone(config)
    rng = np.random.default_rng(0)
    for v in backbone.weights:  # LayerNorms near 1, so every block changes the result
        v.assign(rng.normal(1.0 if v.path.endswith("gamma") else 0.0, 0.3, v.shape).astype("float32"))
    x = random_inputs(config, batch=2, seq=9)
    h = backbone.embeddings(x["token_ids"], x["segment_ids"])
    bias = attention_bias(x["padding_mask"])
    for group in (0, 0, 1, 1, 2, 2):
        for inner in (0, 1):
            h = backbone.groups[group][inner](h, bias)
    mask = x["padding_mask"].astype(bool)
    np.testing.assert_allclose(np.asarray(backbone(x)["sequence_output"])[mask], np.asarray(h)[mask], atol=1e-5)
