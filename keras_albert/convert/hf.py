"""Hugging Face ALBERT directories: config.json + model.safetensors (or pytorch_model.bin), both ways."""
import json
import os

import numpy as np

from keras_albert.config import AlbertConfig
from keras_albert.convert.table import LINEAR_KINDS, Format, export

PREFIX = "albert."
# Defaults of transformers' AlbertConfig: `save_pretrained` may leave out fields equal to them.
HF_DEFAULTS = dict(vocab_size=30000, embedding_size=128, hidden_size=4096, num_hidden_layers=12, num_hidden_groups=1,
                   num_attention_heads=64, intermediate_size=16384, inner_group_num=1, hidden_act="gelu_new",
                   hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, max_position_embeddings=512,
                   type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, classifier_dropout_prob=0.1)
TIED = {"predictions.decoder.weight": "embeddings.word_embeddings.weight",
        "predictions.decoder.bias": "predictions.bias"}
BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")
ARCHITECTURES = {None: "AlbertModel", "masked_lm": "AlbertForMaskedLM", "pretraining": "AlbertForPreTraining",
                 "classification": "AlbertForSequenceClassification"}

FORMAT = Format(label="Hugging Face", name=lambda e: e.hf, transposed=lambda e: e.kind in LINEAR_KINDS,
                ignored=lambda n: n in BUFFERS or n in TIED)


def is_hf_dir(path):
    return os.path.isfile(os.path.join(path, "config.json")) and not os.path.isfile(os.path.join(path, "model.keras"))


def read_config(path):
    """config.json -> (AlbertConfig, raw dict). Refuses other model types and unsupported variants."""
    with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}/config.json is not valid JSON: {e}") from None
    if raw.get("model_type", "albert") != "albert":
        raise ValueError(f"{path} holds a {raw['model_type']!r} model, not ALBERT")
    if raw.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"position_embedding_type {raw['position_embedding_type']!r} is not supported")
    return AlbertConfig.from_dict({**HF_DEFAULTS, **raw}, ignore_unknown=True), raw


def labels_of(raw, num_classes):
    """id2label as a list when it names exactly `num_classes` classes."""
    id2label = raw.get("id2label") or {}
    if num_classes and len(id2label) == num_classes:
        return [id2label.get(str(i), id2label.get(i)) for i in range(num_classes)]
    return None


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
        raise ValueError(f"{path} is not a weights-only PyTorch checkpoint: {e}") from None
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


def hf_config(model, task, labels=None):
    """Our config -> an HF config.json dict for `task`'s architecture."""
    d = {"architectures": [ARCHITECTURES[task]], "model_type": "albert", **model.config.to_dict(),
         "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, "tie_word_embeddings": True}
    if task == "classification":
        names = labels or [f"LABEL_{i}" for i in range(model.num_classes)]
        d["id2label"] = {str(i): n for i, n in enumerate(names)}
        d["label2id"] = {n: i for i, n in enumerate(names)}
    return d


def task_of(model):
    from keras_albert.heads import AlbertClassifier, AlbertMaskedLM, AlbertPretrainer
    for cls, task in ((AlbertClassifier, "classification"), (AlbertMaskedLM, "masked_lm"),
                      (AlbertPretrainer, "pretraining")):
        if isinstance(model, cls):
            return task
    return None


def export_state(model):
    """Our model -> HF state dict (numpy) with the names its HF architecture uses."""
    prefix = PREFIX if task_of(model) is not None else ""
    return {(prefix if e.group in ("backbone", "pooler") else "") + e.hf:
            np.ascontiguousarray(FORMAT.to_canonical(e, v)) for e, v in export(model)}


def save_hf(model, out_dir, tokenizer=None, labels=None, overwrite=False):
    """Write `model` as a Hugging Face directory (config.json, model.safetensors, spiece.model) that
    transformers' `AlbertModel` / `AlbertFor*` `.from_pretrained(out_dir)` loads with the same outputs."""
    from safetensors.numpy import save_file
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, "model.safetensors")
    if os.path.exists(target) and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True (--overwrite) to replace it")
    save_file(export_state(model), target, metadata={"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(hf_config(model, task_of(model), labels), f, indent=2, sort_keys=True)
        f.write("\n")
    if tokenizer is not None:
        tokenizer.save(os.path.join(out_dir, "spiece.model"))
    return out_dir
