"""Classification: output `probabilities` [1, classes] (MediaPipe's TextClassifier contract), dynamic length."""
from keras_albert_export.tasks.base import ExportTask


def _signature(model, inputs):
    import tensorflow as tf
    return {"probabilities": tf.nn.softmax(model(inputs, training=False), axis=-1)}


TASK = ExportTask(
    name="classification", outputs=("probabilities",), signature=_signature, default_length=128,
    fixed_length=False, variants=("float32", "dynamic_int8", "full_int8"),
    runtime="keras_albert_export.runtime:TFLiteClassifier",
    measures="accuracy of every variant and its agreement with the Keras model on held-out labelled sentences",
    labels=lambda model: [str(i) for i in range(model.num_classes)], full_export=True,
    metadata="keras_albert_export.metadata:add_metadata")
