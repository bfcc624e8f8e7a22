"""Multi-label classification (`finetune --task multi_label`): output `multi_label_probabilities` [1, classes],
one sigmoid per class, dynamic length. A class is predicted above 0.5, each on its own (transformers' rule).

MediaPipe's TextClassifier reads it like a classifier (its metadata names the classes) and shows each class's
own probability; they do not sum to 1. The output's name differs from the single-label `probabilities`, so a
runtime (and `keras-albert info`) tells the two apart from the file alone.

Gate: micro F1 (then macro F1 and subset accuracy, scikit-learn) on held-out texts with their label sets;
agreement = the same label set as the Keras model's."""
from keras_albert_export.tasks.base import ExportTask, Gate, check_known
from keras_albert_export.tasks.classification import class_names, text_endpoints

OUTPUTS = ("multi_label_probabilities",)


def _signature(model, inputs):
    import tensorflow as tf
    return {OUTPUTS[0]: tf.math.sigmoid(model(inputs, training=False))}


def _savedmodel(model, tokenizer, labels, sequence_length, pairs):
    """`serving_default(text)` -> `probabilities` [batch, classes] (each class's sigmoid), `predicted` [batch,
    classes] (bool: probability above 0.5) and `label_names` [classes], the columns' class names."""
    import tensorflow as tf

    names = tf.constant(class_names(model, labels))

    def head(logits):
        probabilities = tf.math.sigmoid(logits)
        return {"probabilities": probabilities, "predicted": probabilities > 0.5, "label_names": tf.identity(names)}
    return text_endpoints(model, tokenizer, sequence_length, pairs, head)


def _read(path, labels, default, text_columns, label_column):
    """-> [{"text", "labels"}] of a .jsonl/.csv/.tsv (`labels`: a list, or names joined by the reader's separator);
    a label the model does not have is one error naming it."""
    from keras_albert.readers import read_multi_label
    columns = {} if default else {"text_column": (text_columns or ["text"])[0],
                                  "labels_column": "labels" if label_column == "label" else label_column}
    return check_known(path, read_multi_label(path, **columns), "labels", labels)


def _label_sets(probabilities, labels):
    return [tuple(n for n, p in zip(labels, row) if p > 0.5) for row in probabilities]


def _keras(model, tokenizer, labels, records, length):
    import numpy as np

    from keras_albert_export import report
    logits = report.keras_outputs(model, tokenizer, [r["text"] for r in records], length)
    return _label_sets(1.0 / (1.0 + np.exp(-logits.astype(np.float32))), labels)


def _tflite(path, tokenizer, labels, records, length):
    from keras_albert_export import report
    from keras_albert_export.runtime import TFLiteMultiLabelClassifier
    return _label_sets(report.tflite_outputs(path, tokenizer, [r["text"] for r in records], length,
                                             TFLiteMultiLabelClassifier), labels)


def _score(records, predictions):
    from keras_albert.metrics import multi_label_scores
    labels = sorted({n for r in records for n in r["labels"]} | {n for p in predictions for n in p})
    hot = lambda names: [int(n in names) for n in labels]  # noqa: E731
    scores = multi_label_scores([hot(r["labels"]) for r in records], [hot(p) for p in predictions])
    return {name: round(100.0 * value, 2) for name, value in scores.items()}


TASK = ExportTask(
    name="multi_label_classification", task="classification", command="classify",
    problem_type="multi_label_classification",
    outputs=OUTPUTS, signature=_signature, default_length=None, fixed_length=False,
    variants=("float32", "dynamic_int8", "full_int8"), full_int8_float_ops=("LOGISTIC",),
    runtime="keras_albert_export.runtime:TFLiteMultiLabelClassifier",
    measures="micro F1 of every variant and its agreement with the Keras model (the same label set) on held-out "
             "texts with their label sets",
    labels=lambda model: [str(i) for i in range(model.num_classes)],
    gate=Gate(metrics=("micro_f1", "macro_f1", "subset_accuracy"), unit="texts", heldout="heldout.jsonl",
              formats=".jsonl/.csv/.tsv with text and labels columns, the model's label names", read=_read,
              keras=_keras, tflite=_tflite, score=_score),
    savedmodel=_savedmodel,
    metadata="keras_albert_export.metadata:add_metadata")
