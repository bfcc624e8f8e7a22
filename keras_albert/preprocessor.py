"""AlbertPreprocessor: raw text -> the three backbone inputs, `[CLS] A [SEP] B [SEP]`, in TensorFlow ops."""
from keras_albert.tokenizer import CLS_ID, SEP_ID, valid_text


class AlbertPreprocessor:
    """Tokenize one or two segments, trim the longer segment first, pack and pad: `packing.pack` in TF ops.

    Runs eagerly on Python strings and inside `tf.data` / `tf.function` on string tensors.
    `sequence_length=None` pads each batch only to its longest row (for length bucketing); so does
    `padding="longest"`, still cutting at `sequence_length` (a server's graph: a short text costs a short run).
    """

    def __init__(self, tokenizer, sequence_length=128, padding="max_length"):
        if sequence_length is not None and sequence_length < 3:
            raise ValueError(f"sequence_length must be at least 3, got {sequence_length}")
        if padding not in ("max_length", "longest"):
            raise ValueError(f"padding must be 'max_length' or 'longest', got {padding!r}")
        self.tokenizer, self.sequence_length, self.padding = tokenizer, sequence_length, padding

    def __call__(self, first, second=None):
        import tensorflow as tf
        import tensorflow_text as tf_text

        segments = [self._ids(first, "text")] + ([] if second is None else [self._ids(second, "text pair")])
        counts = [s.nrows() for s in segments]
        if len(counts) == 2 and tf.executing_eagerly() and int(counts[0]) != int(counts[1]):
            raise ValueError(f"{int(counts[0])} texts but {int(counts[1])} text pairs: give one second text per text")
        budget = (self.sequence_length or 512) - 1 - len(segments)  # room left after [CLS] and the [SEP]s
        segments = _trim_longest_first(segments, budget)
        ids, segment_ids = tf_text.combine_segments(segments, start_of_sequence_id=CLS_ID, end_of_segment_id=SEP_ID)
        longest = tf.cast(tf.reduce_max(ids.row_lengths()), tf.int32)
        length = longest if self.padding == "longest" or not self.sequence_length else self.sequence_length
        token_ids, mask = tf_text.pad_model_inputs(ids, length)
        segment_ids, _ = tf_text.pad_model_inputs(segment_ids, length)
        return {"token_ids": tf.cast(token_ids, tf.int32), "segment_ids": tf.cast(segment_ids, tf.int32),
                "padding_mask": tf.cast(mask, tf.int32)}

    def _ids(self, texts, what):
        import tensorflow as tf
        if isinstance(texts, (list, tuple)):  # Python strings: lone surrogates as the Python tokenizer takes them
            bad = next((i for i, t in enumerate(texts) if not isinstance(t, (str, bytes, list, tuple))), None)
            if bad is not None:
                raise ValueError(f"{what} {bad} is {type(texts[bad]).__name__}, not a string")
            texts = [valid_text(t) if isinstance(t, str) else t for t in texts]
        texts = tf.convert_to_tensor(texts, dtype=tf.string)
        if texts.shape.rank != 1:
            raise ValueError(f"expected a batch (rank-1) of strings, got rank {texts.shape.rank}")
        return tf.cast(self.tokenizer.tokenize_tf(texts), tf.int64).with_row_splits_dtype(tf.int64)


def _trim_longest_first(segments, budget):
    """transformers' longest-first truncation, as `keras_albert.packing.pack` does it: the shorter segment keeps
    all it can up to half the room, the other the rest. (The original ALBERT's pop loop differs only when both
    are cut, the room is odd and the first is not the longer: it gives the odd piece to the first.)"""
    import tensorflow as tf
    lengths = [s.row_lengths() for s in segments]
    if len(segments) == 1:
        keep = [tf.minimum(lengths[0], budget)]
    else:
        la, lb = lengths
        half = tf.cast(budget // 2, la.dtype)
        a = tf.where(la > lb, budget - tf.minimum(lb, half), tf.minimum(la, half))
        fits = la + lb <= budget
        keep = [tf.where(fits, la, a), tf.where(fits, lb, budget - a)]
    return [tf.RaggedTensor.from_tensor(s.to_tensor(), lengths=k) for s, k in zip(segments, keep)]
