"""SavedModel for serving: raw UTF-8 strings in (tokenizer inside the graph), probabilities and label out.

Loadable with `tf.saved_model.load` by a process that imports `tensorflow_text` (for the tokenizer op) and
never imports keras_albert. Written with `keras.export.ExportArchive`, the route that writes real weights.
"""
import os

RAW_SIGNATURE, IDS_SIGNATURE = "serving_default", "token_ids"


def _check_target(path, overwrite):
    if os.path.exists(path) and os.listdir(path) and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True (--overwrite) to replace it")


def export_savedmodel(model, tokenizer, labels, path, sequence_length=128, overwrite=False):
    """Write `path` with two signatures.

    `serving_default(text: string[batch])` normalizes, tokenizes, packs `[CLS] text [SEP]`, truncates to
    `sequence_length` (capped by the model's position table) and returns `probabilities` [batch, classes],
    `label` (the class name) and `label_id`. Empty text packs to `[CLS] [SEP]`: a defined answer. User text is
    text (a literal [MASK] is not the mask token); invalid UTF-8 becomes U+FFFD, as in the Python tokenizer.
    `token_ids(token_ids, segment_ids, padding_mask: int32[batch, seq])` skips the tokenizer.
    """
    import keras
    import tensorflow as tf

    from keras_albert.preprocessor import AlbertPreprocessor

    if tokenizer is None:
        raise ValueError("the raw-text signature needs the model's SentencePiece vocabulary (spiece.model)")
    labels = [str(x) for x in (labels or range(model.num_classes))]
    if len(labels) != model.num_classes:
        raise ValueError(f"{len(labels)} labels for a model with {model.num_classes} classes")
    _check_target(path, overwrite)
    length = min(sequence_length, model.config.max_position_embeddings)
    # A private copy over the vocabulary with `normalize` compiled in (the graph hands raw text to SentencePiece):
    # its in-graph tokenizer is built inside the export's graph and must not leak into the caller's tokenizer
    # (an eager call after the export would hit an out-of-scope tensor).
    preprocessor = AlbertPreprocessor(type(tokenizer)(tokenizer.raw_text_proto), sequence_length=length)
    names = tf.constant(labels)

    def classify(inputs):
        probabilities = tf.nn.softmax(model(inputs, training=False), axis=-1)
        label_id = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"probabilities": probabilities, "label": tf.gather(names, label_id), "label_id": label_id}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(RAW_SIGNATURE, lambda text: classify(preprocessor(text)),
                         input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    ids_spec = {k: tf.TensorSpec([None, None], tf.int32, name=k) for k in ("token_ids", "segment_ids", "padding_mask")}
    archive.add_endpoint(IDS_SIGNATURE, classify, input_signature=[ids_spec])
    archive.write_out(path, verbose=False)
    return path
