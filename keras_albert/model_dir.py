"""A model directory: what every command writes and reads.

    model.keras    the Keras model (AlbertBackbone or a head)
    config.json    its AlbertConfig
    spiece.model   the SentencePiece vocabulary (optional)
    labels.txt     class names, one per line (classifiers)
    heldout.jsonl  the held-out split the model was fine-tuned with ({"text", "text_pair"?, "label"} per line):
                   what the int8 gate scores on; token classification: {"tokens", "tags"} lines (read_conll)
    heldout.json   question answering's held-out split, SQuAD JSON (read_squad)
"""
import json
import os
import zipfile

MODEL, CONFIG, SPIECE, LABELS = "model.keras", "config.json", "spiece.model", "labels.txt"
HELDOUT, HELDOUT_SQUAD = "heldout.jsonl", "heldout.json"


def parse_labels(text, where=LABELS):
    """labels.txt's class names: one per line (a name may hold spaces), blank lines ignored, as the Java core
    reads them. A name given twice is refused (`where` names the file): the classes' scores are keyed by name."""
    names = [line for line in text.splitlines() if line.strip()]
    twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if twice is not None:
        raise ValueError(f"{where} names the class {twice!r} twice: each class needs a name of its own")
    return names


def save_model_dir(out_dir, model, tokenizer=None, labels=None, overwrite=False):
    """Write the directory; refuses to replace an existing model unless `overwrite`."""
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, MODEL)
    if os.path.exists(target) and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True (--overwrite) to replace it")
    if labels is not None and hasattr(model, "labels"):  # the names given are the model's own from now on
        from keras_albert import tasks
        names = [str(n) for n in labels]
        if len(names) == tasks.of_model(model).size_of(model) and all(names):
            model.labels = names
    labels = labels if labels is not None else getattr(model, "labels", None)
    model.save(target)
    model.config.to_json(os.path.join(out_dir, CONFIG))
    if tokenizer is not None:
        tokenizer.save(os.path.join(out_dir, SPIECE))
    if labels is not None:
        with open(os.path.join(out_dir, LABELS), "w", encoding="utf-8") as f:
            f.write("".join(f"{name}\n" for name in labels))
    return out_dir


def _check_label_count(model, labels, labels_path):
    """labels.txt naming another number of classes than the model's head has does not belong to it: refused at
    load, so every command (export, info, the pipelines) says so before its work, naming the file."""
    from keras_albert import tasks
    task = tasks.of_model(model)
    if labels and task.labelled and len(labels) != task.size_of(model):
        raise ValueError(f"{labels_path} names {len(labels)} classes but the model has {task.size_of(model)}: "
                         "it does not belong to this model")


def load_model_dir(path, compile=False):
    """-> (model, tokenizer or None, labels or None) from a directory written by `save_model_dir`."""
    import keras

    from keras_albert.tasks import TASKS  # noqa: F401  (imports, so registers, every task's model classes)
    from keras_albert.tokenizer import AlbertTokenizer

    model_path = _model_path(path)
    try:
        model = keras.models.load_model(model_path, compile=compile)
    except Exception as e:  # a damaged or foreign archive: say so, not a stack trace
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"{model_path} is not a loadable .keras model ({first})") from None
    folder = os.path.dirname(model_path)
    spiece = os.path.join(folder, SPIECE)
    tokenizer = AlbertTokenizer.from_file(spiece) if os.path.isfile(spiece) else None
    labels_path = os.path.join(folder, LABELS)
    labels = None
    if os.path.isfile(labels_path):
        with open(labels_path, encoding="utf-8") as f:
            labels = parse_labels(f.read(), labels_path)
        _check_label_count(model, labels, labels_path)
    return model, tokenizer, labels or getattr(model, "labels", None)


def archived_class(path):
    """-> (the registered class name, its config) of a directory's (or a .keras file's) model, read from the
    archive's config.json without Keras: what a command checks its input against before loading any weights."""
    model_path = _model_path(path)
    try:
        with zipfile.ZipFile(model_path) as archive:
            config = json.loads(archive.read("config.json"))
        return config.get("registered_name") or config["class_name"], config.get("config") or {}
    except (KeyError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError(f"{model_path} is not a loadable .keras model (its config.json: {e})") from None


def vocabulary_path(path):
    """spiece.model beside a directory's (or a .keras file's) model."""
    return os.path.join(os.path.dirname(_model_path(path)), SPIECE)


def _model_path(path):
    model_path = os.path.join(path, MODEL) if os.path.isdir(path) else path
    if not os.path.isfile(model_path):
        raise FileNotFoundError(f"no Keras model at {model_path}")
    if not zipfile.is_zipfile(model_path):  # (Keras would call it "File not found")
        raise ValueError(f"{model_path} is corrupt or truncated: a .keras model is a zip archive and this is not one")
    return model_path
