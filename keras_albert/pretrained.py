"""`from_pretrained`: an HF directory or hub id, a google-research TF1 checkpoint, or a saved model -> Keras."""
import collections
import os
import re
import warnings

from keras_albert import tasks
from keras_albert.convert import hf, table, tf1
from keras_albert.notices import AlbertWarning

Pretrained = collections.namedtuple("Pretrained", "model tokenizer labels")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def from_pretrained(name_or_path, task=None, num_classes=None, num_labels=None):
    """Load ALBERT weights exactly. `task`: a name from `keras_albert.tasks.TASKS` (None or "backbone" ->
    AlbertBackbone, "classification" -> AlbertClassifier, "token_classification", "question_answering",
    "multiple_choice", "masked_lm", "pretraining"), or "auto": the head that config.json's `architectures`
    names (a TF1 checkpoint: the heads its tensors hold; a saved model: the model as saved). `num_classes` /
    `num_labels` (the same thing): the size of a new classification head. Any mismatch raises one ValueError
    naming the tensor and both shapes, before the model is built. A head (or pooler) the checkpoint lacks
    starts from random weights with a warning, except a masked-LM head for "masked_lm", which is refused."""
    return load_pretrained(name_or_path, task=task, num_classes=num_classes, num_labels=num_labels).model


def load_pretrained(name_or_path, task=None, num_classes=None, num_labels=None, trained_head=False):
    """Like `from_pretrained`, returning (model, tokenizer or None, labels or None). `trained_head`: a checkpoint
    without the task's head is refused instead of given a random one (pipelines, which only predict)."""
    if task != "auto":
        tasks.get(task)  # an unknown name fails before any file is read
    if num_classes is not None and num_labels is not None and num_classes != num_labels:
        raise ValueError(f"num_classes={num_classes} and num_labels={num_labels} disagree: give one")
    size = num_labels if num_labels is not None else num_classes
    path = resolve(name_or_path)
    if os.path.isfile(path) and path.endswith(".keras") or os.path.isfile(os.path.join(path, "model.keras")):
        return _from_keras(path, task, size, trained_head)
    if os.path.isfile(path):
        raise ValueError(f"{path} is a file: pass the checkpoint's directory (HF, TF1 or a saved .keras model)")
    if hf.is_hf_dir(path):
        config, raw = hf.read_config(path)
        tensors, fmt = hf.read_weights(path), hf.FORMAT
        hf.check_ties(tensors)
        architecture = (raw.get("architectures") or [None])[0]
        named = tasks.of_architecture(architecture)
        source = Source(f"{path} ({architecture or 'a Hugging Face checkpoint'})", lambda n: hf.labels_of(raw, n),
                        raw, named, hf.label_count(raw))
        vocab = hf.vocab_path(path)
    elif tf1.is_tf1_dir(path):
        config, tensors, fmt = tf1.read_config(path), tf1.read_weights(path), tf1.FORMAT
        source, vocab = Source(f"{path} (a TF1 checkpoint)", lambda n: None, {}, None, None), tf1.vocab_path(path)
    else:
        raise ValueError(f"{path} is not an ALBERT checkpoint: expected config.json + model.safetensors or "
                         f"pytorch_model.bin (Hugging Face), albert_config.json + model.ckpt-* (TF1), or model.keras")
    model, labels = _build_and_load(config, tensors, fmt, task, size, source, trained_head)
    return Pretrained(model, _tokenizer(vocab), labels)


# Where the weights come from: a name for errors, its label names, its head arguments (an HF config.json dict),
# the task its config names (None: guess from the tensors) and how many labels its config states (None: none).
Source = collections.namedtuple("Source", "name labels_from raw named_task label_count")


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


def build(task, config, size=None, **head_args):
    """A random-init model of `task` (a name) on a new backbone built from `config`."""
    from keras_albert.backbone import AlbertBackbone
    return tasks.get(task).build(AlbertBackbone(config), size, **head_args)


def _guess_task(present):
    """No architecture named: the first task of `tasks.GUESS_ORDER` whose head weights the checkpoint holds."""
    fits = (tasks.get(n) for n in tasks.GUESS_ORDER if set(tasks.get(n).groups) <= present)
    return next(fits, tasks.BACKBONE)


def _build_and_load(config, tensors, fmt, task, size, source, trained_head=False):
    """Check every tensor against the config (nothing allocated yet), then build the model and assign."""
    other_heads = tasks.all_head_entries(config)
    present = table.present_groups(tensors, fmt, table.entries(config, other_heads))
    task = (source.named_task or _guess_task(present)) if task == "auto" else tasks.get(task)
    spec, names = task.load_spec(trained_head), {**table.BASE_GROUPS, **task.groups}
    for group in spec["required"]:
        if group != "backbone" and group not in present:  # (a partial backbone is listed tensor by tensor)
            raise ValueError(f"{source.name} has no {names[group]}: task {task.name!r} needs a checkpoint "
                             f"that has one")
    found = table.open_size(tensors, fmt, task.entries(config)) if task.size_arg else None
    stated = source.label_count if task.size_arg else None  # config.json's num_labels / id2label
    if found is not None and stated is not None and found != stated and size in (None, found):
        raise ValueError(f"{source.name}: its config states {stated} labels but its "
                         f"{' or '.join(task.groups.values())} has {found} outputs: config and weights do not belong "
                         "together")
    if task.size_arg and size is None and found is None and stated is None:
        raise ValueError(f"{source.name} has no {' or '.join(task.groups.values())} and its config states no "
                         f"labels: task {task.name!r} needs a checkpoint fine-tuned for it, or num_classes= "
                         "(num_labels=) passed for a new, untrained head")
    size = size or found or stated  # (a new head of the config's size, as transformers builds it, with a warning)
    from_checkpoint = found is not None and found == size  # the head is the checkpoint's: so are its labels
    labels = source.labels_from(size) if task.labelled and (from_checkpoint or found is None and size == stated) \
        else None
    head_args = task.hf_args(source.raw) if from_checkpoint else {}
    weights = table.check(tensors, fmt, config, spec, table.entries(config, task.entries(config, size)),
                          known={fmt.name(e) for e in other_heads})
    if labels:  # the names travel with the model: its .keras, save_hf's id2label, the pipelines
        head_args["labels"] = labels
    model = task.build(_backbone(config), size, **head_args)
    table.assign(model, weights)
    for group in spec["optional"]:
        if group not in present:
            warnings.warn(f"the checkpoint has no {names[group]}: it starts from random weights", AlbertWarning,
                          stacklevel=3)
    return model, labels


def _backbone(config):
    from keras_albert.backbone import AlbertBackbone
    return AlbertBackbone(config)


def _from_keras(path, task, size, trained_head):
    """A saved model as is ("auto" or its own task), its backbone (None), or re-headed through the weight table."""
    from keras_albert.model_dir import load_model_dir
    model, tokenizer, labels = load_model_dir(path)
    saved = tasks.of_model(model)
    if task == "auto" or tasks.get(task) is saved and size in (None, saved.size_of(model)):
        return Pretrained(model, tokenizer, labels)
    target = tasks.get(task)
    if target is tasks.BACKBONE:
        return Pretrained(getattr(model, "backbone", model), tokenizer, None)
    shared = [g for g in saved.groups if g in target.groups]  # a head both have (a pretrainer's MLM head)
    state = hf.strip_prefix(hf.export_state(model, ("backbone", "pooler", *shared)))
    raw = {f: getattr(model, f) for f in target.hf_fields if hasattr(model, f)} if target is saved else {}
    source = Source(f"{path} (a saved {type(model).__name__})",
                    lambda n: labels if labels and target is saved and len(labels) == n else None, raw, None, None)
    model, labels = _build_and_load(model.config, state, hf.FORMAT, target.name, size, source, trained_head)
    return Pretrained(model, tokenizer, labels)
