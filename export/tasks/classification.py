"""Classification: output `probabilities` [1, classes] (MediaPipe's TextClassifier contract), dynamic length.

Gate: accuracy on labelled sentences (or pairs); agreement = the same top class as the Keras model.

A sentence-pair model (fine-tuned with `--task pair_classification`) is the same Keras head; its SavedModel takes
`text` and `text_pair`, and its .tflite the same ids/mask/segment_ids with segment ids 1 on the second text."""
from keras_albert.data import SOURCES
from keras_albert_export.tasks.base import Endpoints, ExportTask, Gate


def _signature(model, inputs):
    import tensorflow as tf
    return {"probabilities": tf.nn.softmax(model(inputs, training=False), axis=-1)}


def _read(path, labels, default, text_columns, label_column):
    """-> [(text or pair, label id)]: see keras_albert_export.gate.heldout (`path` may name rotten_tomatoes / imdb)."""
    import os

    from keras_albert_export.gate import heldout
    texts, ids, _ = heldout(os.path.dirname(path), labels, None if default else path, text_columns, label_column)
    return list(zip(texts, ids))


def _keras(model, tokenizer, labels, records, length):
    from keras_albert_export import report
    return [int(x) for x in report.keras_predictions(model, tokenizer, [t for t, _ in records], length)]


def _tflite(path, tokenizer, labels, records, length):
    from keras_albert_export import report  # looked up per call: tests may stand in a broken runtime
    return [int(x) for x in report.tflite_predictions(path, tokenizer, [t for t, _ in records], length)]


def _score(records, predictions):
    from keras_albert.metrics import accuracy
    return {"accuracy": round(100.0 * accuracy([y for _, y in records], predictions), 2)}
def _savedmodel(model, tokenizer, labels, sequence_length, pairs):
    """`serving_default(text)` (or `(text, text_pair)`, packed `[CLS] text [SEP] text_pair [SEP]` with the longer
    text cut first) -> `probabilities` [batch, classes], `label` (the class name), `label_id`."""
    import tensorflow as tf

    names = tf.constant(class_names(model, labels))

    def classify(logits):
        probabilities = tf.nn.softmax(logits, axis=-1)
        label_id = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"probabilities": probabilities, "label": tf.gather(names, label_id), "label_id": label_id}
    return text_endpoints(model, tokenizer, sequence_length, pairs, classify)


def class_names(model, labels):
    """The model's class names as strings (its label indices when it has no labels.txt), checked against it."""
    labels = [str(x) for x in (labels or range(model.num_classes))]
    if len(labels) != model.num_classes:
        raise ValueError(f"{len(labels)} labels for a model with {model.num_classes} classes")
    return labels


def text_endpoints(model, tokenizer, sequence_length, pairs, head):
    """A classifier's SavedModel signatures: raw `text` (and `text_pair` for a pair model) in, tokenized and
    packed in the graph, `head(logits)` -> {output name: tensor} out (each classifier problem its own head)."""
    from keras_albert.preprocessor import AlbertPreprocessor

    # A private copy over the vocabulary with `normalize` compiled in (the graph hands raw text to SentencePiece):
    # its in-graph tokenizer is built inside the export's graph and must not leak into the caller's tokenizer
    # (an eager call after the export would hit an out-of-scope tensor).
    preprocessor = AlbertPreprocessor(type(tokenizer)(tokenizer.raw_text_proto), sequence_length, padding="longest")

    def predict(inputs):
        return head(model(inputs, training=False))

    if pairs:
        def serve_pair(text, text_pair):
            return predict(preprocessor(text, text_pair))
        return Endpoints(serve_pair, ("text", "text_pair"), predict)

    def serve(text):
        return predict(preprocessor(text))
    return Endpoints(serve, ("text",), predict)


TASK = ExportTask(
    name="classification", command="classify", problem_type="single_label_classification", outputs=("probabilities",),
    signature=_signature, default_length=None,
    fixed_length=False, variants=("float32", "dynamic_int8", "full_int8"),
    runtime="keras_albert_export.runtime:TFLiteClassifier",
    measures="accuracy of every variant and its agreement with the Keras model on held-out labelled sentences",
    labels=lambda model: [str(i) for i in range(model.num_classes)],
    gate=Gate(metrics=("accuracy",), unit="sentences", heldout="heldout.jsonl",
              formats=".csv/.tsv/.jsonl with text and label columns, the model's label names", read=_read,
              keras=_keras, tflite=_tflite, score=_score, sources=tuple(SOURCES)),
    savedmodel=_savedmodel,
    metadata="keras_albert_export.metadata:add_metadata")
