"""SavedModel for serving: raw UTF-8 strings in (tokenizer inside the graph), the task's answers out.

Each exported task builds its own raw-string signature (`ExportTask.savedmodel`, in keras_albert_export.tasks):
a classifier returns probabilities and labels, question answering start/end logits with character offsets into
the context, token classification per-piece logits with offsets into the text. Loadable with
`tf.saved_model.load` by a process that imports `tensorflow_text` (for the tokenizer ops) and never imports
keras_albert. Written with `keras.export.ExportArchive`, the route that writes real weights.
"""
import json
import os

RAW_SIGNATURE, IDS_SIGNATURE = "serving_default", "token_ids"


def _check_target(path, overwrite):
    if os.path.exists(path) and os.listdir(path) and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True (--overwrite) to replace it")


def export_savedmodel(model, tokenizer, labels, path, sequence_length=None, overwrite=False, pairs=False):
    """Write `path` with two signatures.

    `serving_default(<the task's string inputs>[batch])` normalizes, tokenizes, packs (`[CLS] A [SEP] (B [SEP])`),
    truncates to `sequence_length` (capped by the model's position table; default: the task's window, else the
    position table, where the pipelines cut, so a long text gets their answer) and runs the model (see each task's
    builder for its inputs and outputs; `pairs=True`: a classifier takes `text` and `text_pair`). Empty text packs
    to `[CLS] [SEP]`: a defined answer. User text is text (a literal [MASK] is not the mask token); invalid UTF-8
    becomes U+FFFD, as in the Python tokenizer.
    `token_ids(token_ids, segment_ids, padding_mask: int32[batch, seq])` skips the tokenizer.
    """
    import keras
    import tensorflow as tf

    from keras_albert_export import tasks

    task = tasks.of_model(model)
    if task.savedmodel is None:
        raise ValueError(f"a {task.name} model has no raw-string SavedModel yet")
    if tokenizer is None:
        raise ValueError("the raw-text signature needs the model's SentencePiece vocabulary (spiece.model)")
    if sequence_length is not None and sequence_length < 3:
        raise ValueError(f"sequence_length must be at least 3, got {sequence_length}")
    length = task.length(model.config.max_position_embeddings, sequence_length)
    endpoints = task.savedmodel(model, tokenizer, labels, length, pairs)
    _check_target(path, overwrite)

    archive = keras.export.ExportArchive()
    archive.track(model)
    for resource in endpoints.resources:
        archive.track(resource)
    archive.add_endpoint(RAW_SIGNATURE, endpoints.raw,
                         input_signature=[tf.TensorSpec(endpoints.raw_shapes.get(n, [None]), tf.string, name=n)
                                          for n in endpoints.raw_inputs])
    ids_spec = {k: tf.TensorSpec(list(endpoints.ids_shape), tf.int32, name=k)
                for k in ("token_ids", "segment_ids", "padding_mask")}
    archive.add_endpoint(IDS_SIGNATURE, endpoints.ids, input_signature=[ids_spec])
    archive.write_out(path, verbose=False)
    return path


def is_pair_model(model_dir, text_columns=None):
    """Whether a model directory holds a sentence-pair classifier: the export's data names two text columns (a
    converted MNLI or STS-B checkpoint gated on `--data` pairs), its heldout.jsonl rows carry `text_pair` (read as
    the gate reads them: a byte-order mark dropped, blank lines skipped), or its report.json names the
    pair_classification task."""
    from keras_albert.datasets import utf8_lines
    from keras_albert.model_dir import HELDOUT
    if text_columns and len(text_columns) == 2:
        return True
    folder = model_dir if os.path.isdir(model_dir) else os.path.dirname(os.path.abspath(model_dir))
    heldout = os.path.join(folder, HELDOUT)
    if os.path.isfile(heldout):
        number, first = next(((n, line) for n, line in enumerate(utf8_lines(heldout), 1) if line.strip()),
                             (0, None))
        if first is not None:
            try:
                return json.loads(first).get("text_pair") is not None
            except (ValueError, AttributeError):
                raise ValueError(f"{heldout}, line {number}: not a JSON object") from None
    report = os.path.join(folder, "report.json")
    if os.path.isfile(report):
        with open(report, encoding="utf-8") as f:
            try:
                return json.load(f).get("task") == "pair_classification"
            except (ValueError, AttributeError):
                return False
    return False
