"""Fused attention (`keras.ops.dot_product_attention`) gives the explicit attention's numbers, forward and
backward, with padding, on the TensorFlow and JAX backends; exports keep the explicit graph.

Run as a script (`KERAS_BACKEND=jax python test_fused_attention.py CONFIG WEIGHTS INPUTS OUT`) it writes both
paths' outputs and gradients on that backend, for the JAX test below.
"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(__file__)


def outputs_and_grads(backbone, inputs, kind):
    """Backbone outputs and the gradients of sum(sequence_output * w) + sum(pooled_output), traced under
    `attention_implementation(kind)`."""
    import keras

    from keras_albert.layers import attention_implementation
    weights = np.random.default_rng(1).normal(size=(*inputs["token_ids"].shape, backbone.config.hidden_size))
    weights = (weights * inputs["padding_mask"][..., None]).astype("float32")
    variables = backbone.trainable_variables
    with attention_implementation(kind):
        if keras.backend.backend() == "jax":
            import jax

            def loss(values):
                out, _ = backbone.stateless_call(values, [v.value for v in backbone.non_trainable_variables], inputs,
                                                 training=True)
                return (out["sequence_output"] * weights).sum() + out["pooled_output"].sum(), out
            grads, out = jax.grad(loss, has_aux=True)([v.value for v in variables])
        else:
            import tensorflow as tf
            with tf.GradientTape() as tape:
                out = backbone(inputs, training=True)
                total = tf.reduce_sum(out["sequence_output"] * weights) + tf.reduce_sum(out["pooled_output"])
            grads = [tf.convert_to_tensor(g) for g in tape.gradient(total, variables)]  # embeddings: IndexedSlices
    result = {k: np.asarray(v) for k, v in out.items()}
    result.update({"grad_" + v.path.replace("/", "|"): np.asarray(g) for v, g in zip(variables, grads)})
    return result


def assert_same(fused, explicit):
    """Outputs within 1e-5; gradients (sums over many terms, up to ~100 here) within 1e-5 of their largest value."""
    assert set(fused) == set(explicit) and len(fused) > 2
    for name, want in explicit.items():
        scale = np.abs(want).max() if name.startswith("grad_") else 1.0
        np.testing.assert_allclose(fused[name], want, atol=1e-5 * max(scale, 1.0), rtol=0, err_msg=name)


def test_fused_matches_explicit_on_tensorflow():
    from conftest import random_inputs, tiny_config

    from keras_albert import AlbertBackbone
    config = tiny_config(num_hidden_groups=2, inner_group_num=2, hidden_act="gelu")
    backbone = AlbertBackbone(config)
    inputs = random_inputs(config, batch=3, seq=11)
    assert inputs["padding_mask"].min() == 0  # padded rows are part of the comparison
    assert_same(outputs_and_grads(backbone, inputs, "fused"), outputs_and_grads(backbone, inputs, "explicit"))


def test_fused_matches_explicit_on_jax(tmp_path):
    from conftest import random_inputs, tiny_config

    from keras_albert import AlbertBackbone
    config = tiny_config(num_hidden_groups=2, inner_group_num=2, hidden_act="gelu")
    backbone = AlbertBackbone(config)
    np.savez(tmp_path / "inputs.npz", **random_inputs(config, batch=3, seq=11))
    config.to_json(str(tmp_path / "config.json"))
    backbone.save_weights(str(tmp_path / "b.weights.h5"))
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", PYTHONPATH=os.pathsep.join(sys.path))
    paths = [str(tmp_path / n) for n in ("config.json", "b.weights.h5", "inputs.npz", "out")]
    subprocess.run([sys.executable, __file__, *paths], env=env, check=True, capture_output=True)
    runs = {kind: dict(np.load(tmp_path / f"out_{kind}.npz")) for kind in ("fused", "explicit", "auto")}
    assert_same(runs["fused"], runs["explicit"])
    for name in runs["fused"]:  # on JAX the default is the fused path: the same computation exactly
        np.testing.assert_array_equal(runs["auto"][name], runs["fused"][name], err_msg=name)


def test_tflite_export_keeps_the_explicit_graph():
    """The default on TensorFlow traces the explicit attention: the same TFLite ops as asking for it, and not
    the ops of the fused path."""
    import keras
    from conftest import tiny_config

    from keras_albert_export.tflite import convert, op_histogram
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.layers import attention_implementation
    keras.utils.set_random_seed(0)
    model = AlbertClassifier(AlbertBackbone(tiny_config()), 2)
    default = op_histogram(convert(model, "float32"))
    with attention_implementation("explicit"):
        explicit = op_histogram(convert(model, "float32"))
    with attention_implementation("fused"):
        fused = op_histogram(convert(model, "float32"))
    assert default == explicit
    assert fused != explicit


def test_unknown_attention_kind_is_refused():
    import pytest

    from keras_albert.layers import attention_implementation
    with pytest.raises(ValueError, match="unknown attention implementation 'flash'"):
        with attention_implementation("flash"):
            pass


if __name__ == "__main__":
    from keras_albert import AlbertBackbone, AlbertConfig
    config_path, weights_path, inputs_path, out_prefix = sys.argv[1:]
    backbone = AlbertBackbone(AlbertConfig.from_json(config_path))
    backbone.load_weights(weights_path)
    inputs = dict(np.load(inputs_path))
    for kind in ("fused", "explicit", "auto"):
        np.savez(f"{out_prefix}_{kind}.npz", **outputs_and_grads(backbone, inputs, kind))
