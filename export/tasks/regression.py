"""Regression (`finetune --task regression`, STS-B-like scores of a text or a pair): output `score` [1, 1], the
raw value the model was trained to predict (mean squared error), dynamic length. No on-device metadata (MediaPipe's
TextClassifier knows classes, not scores): spiece.model travels beside the file.

Gate: Pearson's r (then Spearman's), in points (r x 100), on held-out pairs with their scores; agreement = within
0.01 (absolute, or 1% of the value) of the Keras model's score."""
import math

from keras_albert_export.tasks.base import ExportTask, Gate
from keras_albert_export.tasks.classification import text_endpoints

OUTPUTS = ("score",)


def _signature(model, inputs):
    return {OUTPUTS[0]: model(inputs, training=False)}


def _savedmodel(model, tokenizer, labels, sequence_length, pairs):
    """`serving_default(text)` (or `(text, text_pair)`) -> `score` [batch] (float32)."""
    import tensorflow as tf
    return text_endpoints(model, tokenizer, sequence_length, pairs, lambda out: {"score": tf.reshape(out, [-1])})


def _read(path, labels, default, text_columns, label_column):
    """-> [{"text", "text_pair", "label": float}] of a .jsonl/.csv/.tsv (the model's held-out split, or the
    user's file with its text columns and score column)."""
    from keras_albert.readers import read_pairs
    if default:
        return read_pairs(path, regression=True)
    return read_pairs(path, text_columns=text_columns, label_column=None if label_column == "label" and
                      text_columns is None else label_column, regression=True)


def _texts(records):
    return [(r["text"], r["text_pair"]) if r.get("text_pair") is not None else r["text"] for r in records]


def _keras(model, tokenizer, labels, records, length):
    from keras_albert_export import report
    return [float(v) for v in report.keras_outputs(model, tokenizer, _texts(records), length).reshape(-1)]


def _tflite(path, tokenizer, labels, records, length):
    from keras_albert_export import report
    from keras_albert_export.runtime import TFLiteRegressor
    return [float(v[0]) for v in report.tflite_outputs(path, tokenizer, _texts(records), length, TFLiteRegressor)]


def _score(records, predictions):
    from keras_albert.metrics import pearson, spearman
    gold = [r["label"] for r in records]
    return {name: round(100.0 * f(gold, predictions), 2) for name, f in (("pearson", pearson),
                                                                          ("spearman", spearman))}


TASK = ExportTask(
    name="regression", task="classification", command="classify", problem_type="regression", outputs=OUTPUTS,
    signature=_signature,
    default_length=None, fixed_length=False, variants=("float32", "dynamic_int8", "full_int8"),
    full_int8_float_head=True,  # the score from a float dense layer: int8 would give it in steps
    runtime="keras_albert_export.runtime:TFLiteRegressor",
    measures="Pearson's r (x 100) of every variant and its agreement with the Keras model (within 0.01) on "
             "held-out scored pairs",
    gate=Gate(metrics=("pearson", "spearman"), unit="pairs", heldout="heldout.jsonl",
              formats=".tsv/.csv/.jsonl with two text columns and a score column (GLUE STS-B's)", read=_read,
              keras=_keras, tflite=_tflite, score=_score,
              agree=lambda a, b: math.isclose(a, b, rel_tol=0.01, abs_tol=0.01)),
    savedmodel=_savedmodel)
