"""The backbone is written in keras.ops only: the JAX backend gives the TensorFlow backend's numbers."""
import os
import subprocess
import sys

import numpy as np
from conftest import random_inputs, tiny_config

from keras_albert import AlbertBackbone

HERE = os.path.dirname(__file__)


def test_jax_backend_matches_tensorflow(tmp_path):
    config = tiny_config(num_hidden_groups=2, inner_group_num=2, hidden_act="gelu")
    backbone = AlbertBackbone(config)
    inputs = random_inputs(config, batch=3, seq=11)
    config.to_json(str(tmp_path / "config.json"))
    backbone.save_weights(str(tmp_path / "b.weights.h5"))
    np.savez(tmp_path / "inputs.npz", **inputs)
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    subprocess.run([sys.executable, os.path.join(HERE, "backend_forward.py"), str(tmp_path / "config.json"),
                    str(tmp_path / "b.weights.h5"), str(tmp_path / "inputs.npz"), str(tmp_path / "out.npz")],
                   env=env, check=True, capture_output=True)
    jax_out = np.load(tmp_path / "out.npz")
    tf_out = backbone(inputs)
    mask = inputs["padding_mask"][..., None].astype(bool)
    np.testing.assert_allclose(jax_out["sequence_output"] * mask, np.asarray(tf_out["sequence_output"]) * mask,
                               atol=1e-5)
    np.testing.assert_allclose(jax_out["pooled_output"], np.asarray(tf_out["pooled_output"]), atol=1e-5)
