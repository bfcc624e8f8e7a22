"""Original google-research ALBERT checkpoints: albert_config.json, model.ckpt-*, 30k-clean.model."""
import glob
import os
import re

from keras_albert.config import AlbertConfig, read_config_json
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
    raw = read_config_json(os.path.join(path, CONFIG))
    if raw.get("net_structure_type", 0) != 0 or raw.get("layers_to_keep"):
        raise ValueError(f"{path}: net_structure_type / layers_to_keep variants of ALBERT are not supported")
    if raw.get("hidden_act") == "gelu":
        raw["hidden_act"] = "gelu_new"
    return AlbertConfig.from_dict(raw, ignore_unknown=True)


def checkpoint_prefix(path):
    """The step the `checkpoint` file names (refused when that step is not here), else the newest model.ckpt-N."""
    steps = []
    for index in glob.glob(os.path.join(path, "*.ckpt*.index")):
        m = re.search(r"-(\d+)\.index$", index)
        steps.append((int(m.group(1)) if m else -1, index[:-len(".index")]))
    named = _named_step(path)
    if named is None:
        if not steps:
            raise FileNotFoundError(f"no model.ckpt-* checkpoint in {path}")
        return max(steps)[1]
    for candidate in (named if os.path.isabs(named) else os.path.join(path, named),  # as written, then moved here
                      os.path.join(path, os.path.basename(named))):
        if os.path.isfile(candidate + ".index"):
            return candidate
    here = ", ".join(os.path.basename(p) for _, p in sorted(steps)) or "none"
    raise ValueError(f"{path}/checkpoint names {named!r}, which is not in {path} (steps here: {here}): "
                     f"restore it, or edit the checkpoint file to name the step to load")


def _named_step(path):
    """`model_checkpoint_path` of the directory's `checkpoint` file (TensorFlow's CheckpointState), or None."""
    state_file = os.path.join(path, "checkpoint")
    if not os.path.isfile(state_file):
        return None
    from google.protobuf import text_format
    from tensorflow.python.training.checkpoint_state_pb2 import CheckpointState
    try:
        with open(state_file, encoding="utf-8") as f:
            state = text_format.Parse(f.read(), CheckpointState())
    except (text_format.ParseError, UnicodeDecodeError) as e:
        raise ValueError(f"{state_file} is not a TensorFlow checkpoint state file: {e}") from None
    return state.model_checkpoint_path or None


def read_weights(path):
    """name -> numpy array for every variable of the checkpoint (TF-Hub's `module/` prefix removed)."""
    import tensorflow as tf
    prefix = checkpoint_prefix(path)
    if not glob.glob(glob.escape(prefix) + ".data-*"):
        raise ValueError(f"{prefix}.data-00000-of-00001 is missing: {os.path.basename(prefix)}.index lists the "
                         f"weights but they are stored in the .data file")
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as e:
        raise ValueError(f"{prefix} is not a readable TensorFlow checkpoint: {e.__class__.__name__}") from None
    out = {}
    for name in reader.get_variable_to_shape_map():
        if not FORMAT.ignored(name):
            key = name[len(TF_HUB_PREFIX):] if name.startswith(TF_HUB_PREFIX) else name
            try:
                out[key] = reader.get_tensor(name)
            except (tf.errors.OpError, IndexError, ValueError) as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
                raise ValueError(f"{prefix}: tensor {name!r} cannot be read, the .data file is truncated, "
                                 f"corrupt or missing a shard ({first})") from None
    return out


def vocab_path(path):
    for name in (VOCAB, "spiece.model"):
        if os.path.isfile(os.path.join(path, name)):
            return os.path.join(path, name)
    return None
