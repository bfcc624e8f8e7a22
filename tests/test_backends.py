"""The backbone is written in keras.ops only: the JAX backend gives the TensorFlow backend's numbers."""
import os
import subprocess
import sys

import numpy as np
from conftest import random_inputs, tiny_config

from keras_albert import AlbertBackbone

HERE = os.path.dirname(__file__)
JAX = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")


def on_jax(script):
    """What a Python script prints when run on the JAX backend (with tests/ importable as `conftest`)."""
    script = f"import sys; sys.path.insert(0, {HERE!r})\n" + script
    return subprocess.run([sys.executable, "-c", script], env=JAX, check=True, capture_output=True, text=True).stdout


def test_jax_backend_matches_tensorflow(tmp_path):
    config = tiny_config(num_hidden_groups=2, inner_group_num=2, hidden_act="gelu")
    backbone = AlbertBackbone(config)
    inputs = random_inputs(config, batch=3, seq=11)
    config.to_json(str(tmp_path / "config.json"))
    backbone.save_weights(str(tmp_path / "b.weights.h5"))
    np.savez(tmp_path / "inputs.npz", **inputs)
    subprocess.run([sys.executable, os.path.join(HERE, "backend_forward.py"), str(tmp_path / "config.json"),
                    str(tmp_path / "b.weights.h5"), str(tmp_path / "inputs.npz"), str(tmp_path / "out.npz")],
                   env=JAX, check=True, capture_output=True)
    jax_out = np.load(tmp_path / "out.npz")
    tf_out = backbone(inputs)
    mask = inputs["padding_mask"][..., None].astype(bool)
    np.testing.assert_allclose(jax_out["sequence_output"] * mask, np.asarray(tf_out["sequence_output"]) * mask,
                               atol=1e-5)
    np.testing.assert_allclose(jax_out["pooled_output"], np.asarray(tf_out["pooled_output"]), atol=1e-5)


def test_jax_training_refuses_ids_past_the_vocabulary(tmp_path):
    """On JAX an out-of-range gather raises nothing: without the check, fit turns every weight NaN in silence."""
    script = ("import numpy as np, keras; from conftest import random_inputs, tiny_config\n"
              "from keras_albert import AlbertBackbone, AlbertClassifier\n"
              "config = tiny_config(); m = AlbertClassifier(AlbertBackbone(config), 2)\n"
              "m.compile(optimizer='sgd', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
              "x = random_inputs(config); x['token_ids'][:, 1] = 700\n"
              "try:\n    m.fit(x, np.zeros(len(x['token_ids'])), verbose=0)\nexcept ValueError as e:\n    print(e)\n"
              "print('finite', all(np.isfinite(np.asarray(w)).all() for w in m.weights))")
    out = on_jax(script)
    assert out.splitlines() == ["`token_ids` values must be in [0, 500), got range [0, 700]", "finite True"]


def test_jax_training_leaves_an_unread_pooler_alone(tmp_path):
    """JAX's trainer passes variables by list (trainable, non-trainable) and differentiates every trainable one:
    a tagger's unread pooler got a zero gradient and AdamW's weight decay shrank it on every step. It rides along
    unchanged now, while the block the tagger reads trains."""
    script = ("import warnings, numpy as np, keras; from conftest import random_inputs, tiny_config\n"
              "from keras_albert import AlbertBackbone, AlbertTokenClassifier\n"
              "config = tiny_config(); b = AlbertBackbone(config); m = AlbertTokenClassifier(b, 3)\n"
              "m.compile(optimizer=keras.optimizers.AdamW(1e-2, weight_decay=0.1)); x = random_inputs(config, batch=4, seq=8)\n"
              "p, k = np.asarray(b.pooler.kernel), np.asarray(b.groups[0][0].weights[0])\n"
              "with warnings.catch_warnings(record=True) as w:\n    warnings.simplefilter('always')\n"
              "    m.fit(x, np.arange(32).reshape(4, 8) % 3, verbose=0)\n"
              "print('warned', any('Gradients do not exist' in str(i.message) for i in w))\n"
              "print('pooler same', np.array_equal(p, np.asarray(b.pooler.kernel)))\n"
              "print('block same', np.array_equal(k, np.asarray(b.groups[0][0].weights[0])))")
    out = on_jax(script)
    assert out.splitlines() == ["warned False", "pooler same True", "block same False"]
