"""Run a saved backbone's weights on the backend named by KERAS_BACKEND; write the outputs to an .npz.

Usage: python backend_forward.py CONFIG_JSON WEIGHTS_H5 INPUTS_NPZ OUT_NPZ
"""
import sys

import numpy as np

from keras_albert import AlbertBackbone, AlbertConfig

config_path, weights_path, inputs_path, out_path = sys.argv[1:]
backbone = AlbertBackbone(AlbertConfig.from_json(config_path))
backbone.load_weights(weights_path)
inputs = dict(np.load(inputs_path))
out = backbone(inputs)
np.savez(out_path, **{k: np.asarray(v) for k, v in out.items()})
