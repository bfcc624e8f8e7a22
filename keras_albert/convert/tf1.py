"""Original google-research ALBERT checkpoints: albert_config.json, model.ckpt-*, 30k-clean.model."""
import glob
import json
import os
import re

from keras_albert.config import AlbertConfig
from keras_albert.convert.table import Format

CONFIG, VOCAB = "albert_config.json", "30k-clean.model"
# Optimizer state and bookkeeping that a training checkpoint carries next to the weights.
SKIPPED = ("adam_m", "adam_v", "AdamWeightDecayOptimizer", "AdamWeightDecayOptimizer_1", "global_step")
TF_HUB_PREFIX = "module/"

FORMAT = Format(label="TF1", name=lambda e: e.tf1, transposed=lambda e: e.tf1_out_in,
                ignored=lambda n: any(part in SKIPPED for part in n.split("/")))


def is_tf1_dir(path):
    return os.path.isfile(os.path.join(path, CONFIG))


def read_config(path):
    """albert_config.json -> AlbertConfig. Google's `gelu` is the tanh approximation (HF's `gelu_new`)."""
    with open(os.path.join(path, CONFIG), encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}/{CONFIG} is not valid JSON: {e}") from None
    if raw.get("net_structure_type", 0) != 0 or raw.get("layers_to_keep"):
        raise ValueError(f"{path}: net_structure_type / layers_to_keep variants of ALBERT are not supported")
    if raw.get("hidden_act") == "gelu":
        raw["hidden_act"] = "gelu_new"
    return AlbertConfig.from_dict(raw, ignore_unknown=True)


def checkpoint_prefix(path):
    """The newest `model.ckpt-N` in a directory (or the `checkpoint` file's pick)."""
    import tensorflow as tf
    latest = tf.train.latest_checkpoint(path)
    if latest:
        return latest
    steps = []
    for index in glob.glob(os.path.join(path, "*.ckpt*.index")):
        m = re.search(r"-(\d+)\.index$", index)
        steps.append((int(m.group(1)) if m else -1, index[:-len(".index")]))
    if not steps:
        raise FileNotFoundError(f"no model.ckpt-* checkpoint in {path}")
    return max(steps)[1]


def read_weights(path):
    """name -> numpy array for every variable of the newest checkpoint (TF-Hub's `module/` prefix removed)."""
    import tensorflow as tf
    prefix = checkpoint_prefix(path)
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as e:
        raise ValueError(f"{prefix} is not a readable TensorFlow checkpoint: {e.__class__.__name__}") from None
    out = {}
    for name in reader.get_variable_to_shape_map():
        if not FORMAT.ignored(name):
            key = name[len(TF_HUB_PREFIX):] if name.startswith(TF_HUB_PREFIX) else name
            out[key] = reader.get_tensor(name)
    return out


def vocab_path(path):
    for name in (VOCAB, "spiece.model"):
        if os.path.isfile(os.path.join(path, name)):
            return os.path.join(path, name)
    return None
