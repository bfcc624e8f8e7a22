"""Hugging Face ALBERT directories: config.json + model.safetensors (or pytorch_model.bin), both ways."""
import json
import os
import re

import numpy as np

from keras_albert.config import AlbertConfig, read_config_json
from keras_albert.convert.table import LINEAR_KINDS, Format, entries, export

PREFIX = "albert."
# Defaults of transformers' AlbertConfig: `save_pretrained` may leave out fields equal to them.
HF_DEFAULTS = dict(vocab_size=30000, embedding_size=128, hidden_size=4096, num_hidden_layers=12, num_hidden_groups=1,
                   num_attention_heads=64, intermediate_size=16384, inner_group_num=1, hidden_act="gelu_new",
                   hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, max_position_embeddings=512,
                   type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, classifier_dropout_prob=0.1)
TIED = {"predictions.decoder.weight": "embeddings.word_embeddings.weight",
        "predictions.decoder.bias": "predictions.bias"}
BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")
WEIGHTS, SPIECE, TOKENIZER_JSON = "model.safetensors", "spiece.model", "tokenizer.json"

FORMAT = Format(label="Hugging Face", name=lambda e: e.hf, transposed=lambda e: e.kind in LINEAR_KINDS,
                ignored=lambda n: n in BUFFERS or n in TIED)


def is_hf_dir(path):
    return os.path.isfile(os.path.join(path, "config.json")) and not os.path.isfile(os.path.join(path, "model.keras"))


def read_config(path):
    """config.json -> (AlbertConfig, raw dict). Refuses other model types and unsupported variants."""
    raw = read_config_json(os.path.join(path, "config.json"))
    if raw.get("model_type", "albert") != "albert":
        raise ValueError(f"{path} holds a {raw['model_type']!r} model, not ALBERT")
    if raw.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"position_embedding_type {raw['position_embedding_type']!r} is not supported")
    return AlbertConfig.from_dict({**HF_DEFAULTS, **raw}, ignore_unknown=True), raw


def vocab_path(path):
    """The directory's vocabulary: spiece.model, else the tokenizer.json that transformers 5 writes alone."""
    for name in (SPIECE, TOKENIZER_JSON):
        if os.path.isfile(os.path.join(path, name)):
            return os.path.join(path, name)
    return None


def labels_of(raw, num_classes):
    """id2label as a list when it names exactly `num_classes` classes."""
    id2label = raw.get("id2label") or {}
    if num_classes and len(id2label) == num_classes:
        return [id2label.get(str(i), id2label.get(i)) for i in range(num_classes)]
    return None


def label_count(raw):
    """How many labels an HF config.json dict states (its id2label, else num_labels), or None."""
    return len(raw["id2label"]) if raw.get("id2label") else raw.get("num_labels")


def read_weights(path):
    """name -> numpy array, "albert." prefix removed; safetensors preferred, pickles never executed."""
    files = [os.path.join(path, n) for n in ("model.safetensors", "model.safetensors.index.json",
                                             "pytorch_model.bin")]
    found = [f for f in files if os.path.isfile(f)]
    if not found:
        raise FileNotFoundError(f"no model.safetensors or pytorch_model.bin in {path}")
    source = found[0]
    if source.endswith(".bin"):
        tensors = _read_torch(source)
    elif source.endswith(".json"):
        with open(source, encoding="utf-8") as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        tensors = {k: v for shard in shards for k, v in _read_safetensors(os.path.join(path, shard)).items()}
    else:
        tensors = _read_safetensors(source)
    return strip_prefix(tensors, source)


def _read_safetensors(path):
    from safetensors import SafetensorError
    from safetensors.numpy import load_file
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as e:
        raise ValueError(f"{path} is not a readable safetensors checkpoint: {e}") from None


def _read_torch(path):
    try:
        import torch
    except ImportError:
        raise ValueError(f"{path} is a PyTorch pickle and torch is not installed: convert it to "
                         "model.safetensors, or `pip install torch` (it is read with weights_only=True)") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a pickle with code in it, or not a checkpoint at all
        code = re.findall(r"Unsupported global: GLOBAL (\S+)", str(e))
        if code:
            raise ValueError(f"{path} holds Python code ({', '.join(sorted(set(code)))}), not only weights: it was "
                             "not loaded (only weights-only checkpoints are read)") from None
        raise ValueError(f"{path} is not a PyTorch checkpoint: torch cannot read it as weights") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors")
    return {k: v.float().numpy() if v.is_floating_point() else v.numpy() for k, v in state.items()}


def strip_prefix(tensors, source="checkpoint"):
    out = {}
    for name, value in tensors.items():
        key = name[len(PREFIX):] if name.startswith(PREFIX) else name
        if key in out:
            raise ValueError(f"{source} holds {key!r} both with and without the {PREFIX!r} prefix")
        out[key] = value
    return out


def check_ties(tensors):
    """A checkpoint whose decoder is NOT tied to the embeddings cannot be represented: say so."""
    for copy, source in TIED.items():
        if copy in tensors and source in tensors and not np.array_equal(tensors[copy], tensors[source]):
            raise ValueError(f"tensor {copy!r} differs from {source!r}: untied MLM decoders are not supported")


def hf_config(model, labels=None):
    """Our model -> an HF config.json dict for its task's architecture (with id2label, problem_type...)."""
    from keras_albert import tasks
    task = tasks.of_model(model)
    d = {"architectures": [task.architecture], "model_type": "albert", **model.config.to_dict(),
         "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, "tie_word_embeddings": True}
    if task.labelled:
        size = task.size_of(model)
        names = labels or getattr(model, "labels", None) or [f"LABEL_{i}" for i in range(size)]
        if len(names) != size:
            raise ValueError(f"{len(names)} labels given for a {type(model).__name__} with {size} outputs")
        d["id2label"] = {str(i): n for i, n in enumerate(names)}
        d["label2id"] = {n: i for i, n in enumerate(names)}
    d.update({f: getattr(model, f) for f in task.hf_fields if getattr(model, f) is not None})
    return d


def export_state(model, groups=None):
    """Our model -> HF state dict (numpy) with the names its HF architecture uses; `groups`: which weight groups
    (default: exactly those of the architecture, e.g. no pooler for AlbertForQuestionAnswering)."""
    from keras_albert import tasks
    task = tasks.of_model(model)
    prefix = PREFIX if task.head is not None else ""
    groups = task.hf_groups() if groups is None else groups
    rows = entries(model.config, task.entries(model.config, task.size_of(model)))
    return {(prefix if e.group in ("backbone", "pooler") else "") + e.hf:
            np.ascontiguousarray(FORMAT.to_canonical(e, v)) for e, v in export(model, rows, groups)}


def save_hf(model, out_dir, tokenizer=None, labels=None, overwrite=False):
    """Write `model` as a Hugging Face directory (config.json, model.safetensors, spiece.model, tokenizer.json)
    that transformers' `AlbertModel` / `AlbertFor*` `.from_pretrained(out_dir)` loads with the same outputs.

    The tokenizer is required: without its vocabulary transformers would load the model with a 5-token one.
    The folder appears whole or not at all; an existing non-empty `out_dir` is replaced only with `overwrite`.
    """
    from safetensors.numpy import save_file

    from keras_albert.staging import staged_output
    if tokenizer is None:
        raise ValueError("save_hf needs the model's tokenizer (tokenizer=AlbertTokenizer.from_file(...)): without "
                         "its vocabulary transformers would load the directory with a 5-token one")
    if tokenizer.vocab_size > model.config.vocab_size:
        raise ValueError(f"the tokenizer has {tokenizer.vocab_size} pieces but the model's vocabulary has "
                         f"{model.config.vocab_size} rows: they do not belong together")
    config = hf_config(model, labels)
    with staged_output(out_dir, overwrite) as tmp:
        save_file(export_state(model), os.path.join(tmp, WEIGHTS), metadata={"format": "pt"})
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        with open(os.path.join(tmp, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump({"tokenizer_class": "AlbertTokenizer", "model_max_length": model.config.max_position_embeddings,
                       "do_lower_case": True, "keep_accents": False, "remove_space": True}, f, indent=2)
            f.write("\n")
        tokenizer.save(os.path.join(tmp, SPIECE))
        tokenizer.save_tokenizer_json(os.path.join(tmp, TOKENIZER_JSON))
    return out_dir
