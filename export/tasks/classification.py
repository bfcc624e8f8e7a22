"""Classification: output `probabilities` [1, classes] (MediaPipe's TextClassifier contract), dynamic length.

A sentence-pair model (fine-tuned with `--task pair_classification`) is the same Keras head; its SavedModel takes
`text` and `text_pair`, and its .tflite the same ids/mask/segment_ids with segment ids 1 on the second text."""
from keras_albert_export.tasks.base import Endpoints, ExportTask


def _signature(model, inputs):
    import tensorflow as tf
    return {"probabilities": tf.nn.softmax(model(inputs, training=False), axis=-1)}


def _savedmodel(model, tokenizer, labels, sequence_length, pairs):
    """`serving_default(text)` (or `(text, text_pair)`, packed `[CLS] text [SEP] text_pair [SEP]` with the longer
    text cut first) -> `probabilities` [batch, classes], `label` (the class name), `label_id`."""
    import tensorflow as tf

    from keras_albert.preprocessor import AlbertPreprocessor

    labels = [str(x) for x in (labels or range(model.num_classes))]
    if len(labels) != model.num_classes:
        raise ValueError(f"{len(labels)} labels for a model with {model.num_classes} classes")
    # A private copy over the vocabulary with `normalize` compiled in (the graph hands raw text to SentencePiece):
    # its in-graph tokenizer is built inside the export's graph and must not leak into the caller's tokenizer
    # (an eager call after the export would hit an out-of-scope tensor).
    preprocessor = AlbertPreprocessor(type(tokenizer)(tokenizer.raw_text_proto), sequence_length=sequence_length)
    names = tf.constant(labels)

    def classify(inputs):
        probabilities = tf.nn.softmax(model(inputs, training=False), axis=-1)
        label_id = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"probabilities": probabilities, "label": tf.gather(names, label_id), "label_id": label_id}

    if pairs:
        def serve_pair(text, text_pair):
            return classify(preprocessor(text, text_pair))
        return Endpoints(serve_pair, ("text", "text_pair"), classify)

    def serve(text):
        return classify(preprocessor(text))
    return Endpoints(serve, ("text",), classify)


TASK = ExportTask(
    name="classification", outputs=("probabilities",), signature=_signature, default_length=128,
    fixed_length=False, variants=("float32", "dynamic_int8", "full_int8"),
    runtime="keras_albert_export.runtime:TFLiteClassifier",
    measures="accuracy of every variant and its agreement with the Keras model on held-out labelled sentences",
    labels=lambda model: [str(i) for i in range(model.num_classes)], full_export=True, savedmodel=_savedmodel)
