"""`from_pretrained`: an HF directory or hub id, a google-research TF1 checkpoint, or a saved model -> Keras."""
import collections
import os
import re
import warnings

from keras_albert.convert import hf, table, tf1

TASK_NAMES = (None, "masked_lm", "pretraining", "classification", "auto")
Pretrained = collections.namedtuple("Pretrained", "model tokenizer labels")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def from_pretrained(name_or_path, task=None, num_classes=None):
    """Load ALBERT weights exactly; `task` None -> AlbertBackbone, "masked_lm" -> AlbertMaskedLM,
    "pretraining" -> AlbertPretrainer, "classification" -> AlbertClassifier, "auto" -> whatever heads the
    checkpoint holds (a saved model: the model as saved). Any mismatch raises one ValueError naming the tensor
    and both shapes, before the model is built. A head (or pooler) the checkpoint lacks starts from random
    weights with a warning, except a masked-LM head for "masked_lm", which is refused."""
    return load_pretrained(name_or_path, task=task, num_classes=num_classes).model


def load_pretrained(name_or_path, task=None, num_classes=None):
    """Like `from_pretrained`, returning (model, tokenizer or None, labels or None)."""
    if task not in TASK_NAMES:
        raise ValueError(f"unknown task {task!r}; expected one of {TASK_NAMES}")
    path = resolve(name_or_path)
    if os.path.isfile(path) and path.endswith(".keras") or os.path.isfile(os.path.join(path, "model.keras")):
        return _from_keras(path, task, num_classes)
    if os.path.isfile(path):
        raise ValueError(f"{path} is a file: pass the checkpoint's directory (HF, TF1 or a saved .keras model)")
    if hf.is_hf_dir(path):
        config, raw = hf.read_config(path)
        tensors, fmt = hf.read_weights(path), hf.FORMAT
        hf.check_ties(tensors)
        labels_from = lambda n: hf.labels_of(raw, n)  # noqa: E731
        vocab, kind = hf.vocab_path(path), (raw.get("architectures") or ["a Hugging Face checkpoint"])[0]
    elif tf1.is_tf1_dir(path):
        config, tensors, fmt = tf1.read_config(path), tf1.read_weights(path), tf1.FORMAT
        labels_from, vocab, kind = (lambda n: None), tf1.vocab_path(path), "a TF1 checkpoint"
    else:
        raise ValueError(f"{path} is not an ALBERT checkpoint: expected config.json + model.safetensors or "
                         f"pytorch_model.bin (Hugging Face), albert_config.json + model.ckpt-* (TF1), or model.keras")
    model, labels = _build_and_load(config, tensors, fmt, task, num_classes, labels_from, f"{path} ({kind})")
    return Pretrained(model, _tokenizer(vocab), labels)


def resolve(name_or_path):
    """A local path as is; otherwise an HF hub id, downloaded (weights, config, vocabulary only)."""
    path = os.fspath(name_or_path)
    if os.path.exists(path):
        return path
    if not _HUB_ID.match(path) or path.startswith("."):
        raise FileNotFoundError(f"no such file or directory: {path}")
    return download(path)


def download(repo_id):
    from huggingface_hub import snapshot_download
    try:
        path = snapshot_download(repo_id, allow_patterns=["config.json", "*.safetensors",
                                                          "model.safetensors.index.json", "spiece.model",
                                                          "tokenizer.json"])
        if not any(f.endswith(".safetensors") for f in os.listdir(path)):
            path = snapshot_download(repo_id, allow_patterns=["config.json", "pytorch_model.bin", "spiece.model",
                                                                    "tokenizer.json"])
    except (OSError, ValueError) as e:  # every huggingface_hub download and offline error is one of these
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise FileNotFoundError(f"could not download model {repo_id!r} from the Hugging Face Hub and no local "
                                f"path has that name ({first})") from None
    return path


def _tokenizer(vocab):
    """spiece.model or tokenizer.json -> AlbertTokenizer (None when the checkpoint has no vocabulary)."""
    from keras_albert.tokenizer import AlbertTokenizer
    return AlbertTokenizer.from_file(vocab) if vocab else None


def build(task, config, num_classes=None):
    from keras_albert import AlbertBackbone, AlbertClassifier, AlbertMaskedLM, AlbertPretrainer
    backbone = AlbertBackbone(config)
    if task == "classification":
        return AlbertClassifier(backbone, num_classes)
    return {None: lambda b: b, "masked_lm": AlbertMaskedLM, "pretraining": AlbertPretrainer}[task](backbone)


def _auto_task(groups):
    if "classifier" in groups:
        return "classification"
    if "mlm" in groups:
        return "pretraining" if "sop" in groups else "masked_lm"
    return None


def _build_and_load(config, tensors, fmt, task, num_classes, labels_from, source):
    """Check every tensor against the config (nothing allocated yet), then build the model and assign."""
    present = table.present_groups(tensors, fmt, config)
    task = _auto_task(present) if task == "auto" else task
    for group in table.TASKS[task]["required"]:
        if group != "backbone" and group not in present:  # (a partial backbone is listed tensor by tensor)
            raise ValueError(f"{source} has no {table.GROUP_NAMES[group]}: task {task!r} needs a checkpoint "
                             f"that has one")
    labels = None
    if task == "classification":
        found = table.checkpoint_classes(tensors, fmt, config)
        num_classes = num_classes or found
        if num_classes is None:
            raise ValueError("the checkpoint has no classifier head: pass num_classes for a new one")
        labels = labels_from(num_classes) if found == num_classes else None
    weights = table.check(tensors, fmt, config, task, num_classes)
    model = build(task, config, num_classes)
    table.assign(model, weights)
    for group in table.TASKS[task]["optional"]:
        if group not in present:
            warnings.warn(f"the checkpoint has no {table.GROUP_NAMES[group]}: it starts from random weights",
                          stacklevel=3)
    return model, labels


def _from_keras(path, task, num_classes):
    """A saved model as is ("auto" or its own task), its backbone (None), or re-headed through the weight table."""
    from keras_albert.model_dir import load_model_dir
    model, tokenizer, labels = load_model_dir(path)
    if task == "auto" or task == hf.task_of(model) and (
            task != "classification" or num_classes in (None, model.num_classes)):
        return Pretrained(model, tokenizer, labels)
    if task is None:
        return Pretrained(getattr(model, "backbone", model), tokenizer, None)
    state = hf.strip_prefix(hf.export_state(model, table.model_groups(model)))
    kept = labels if task == "classification" and hf.task_of(model) == "classification" else None
    model, labels = _build_and_load(model.config, state, hf.FORMAT, task, num_classes,
                                    lambda n: kept if kept and len(kept) == n else None,
                                    f"{path} (a saved {type(model).__name__})")
    return Pretrained(model, tokenizer, labels)
