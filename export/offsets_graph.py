"""Raw strings -> SentencePiece ids and each piece's character offsets into the ORIGINAL string, in TF ops: what
the question-answering and token-classification SavedModels return, so a server can cut answers and entities
out of the text it was sent without keras_albert.

Offsets are code points (Python `str` indices), equal to `AlbertTokenizer.tokenize_with_offsets` (transformers'
fast tokenizer's `offset_mapping`). tensorflow-text's SentencepieceTokenizer, over the vocabulary with ALBERT's
normalization compiled in, aligns pieces with the BYTES of the raw string (its normalizer keeps that alignment);
after turning bytes into code points, four rules give transformers' offsets:
  1. a piece does not begin on a blank character (one the vocabulary normalizes to whitespace or to nothing:
     spaces, accents, zero-width characters): SentencePiece gives "▁word" the space before it;
  2. nor end on one (a trailing combining accent or variation selector);
  3. a piece that begins with `` or '' (normalized to one ") begins on its second character (a lone "▁"
     before one spans that second character);
  4. an empty piece (a lone "▁", or one of several pieces of one character such as ½) spans the character
     it stands before: (p, p + 1).
Invalid UTF-8 is first replaced by U+FFFD (as every tokenizer path does): offsets are into that text, which is
the original for any valid UTF-8 input.
"""
NOT_TEXT = -1  # the offsets of [CLS], [SEP], padding and (question answering) the question's pieces


class OffsetTokenizer:
    """`OffsetTokenizer(albert_tokenizer)(strings [batch])` -> (ids, starts, ends): int32 RaggedTensors
    [batch, None]."""

    def __init__(self, tokenizer):
        import tensorflow as tf
        import tensorflow_text as tf_text

        from keras_albert.normalization import blank_code_points
        # The raw-text vocabulary: SentencePiece normalizes (so aligns) raw text itself.
        self.sentencepiece = tf_text.SentencepieceTokenizer(tokenizer.raw_text_proto)
        self.blank = tf.constant(blank_code_points(tokenizer.raw_text_proto) + [0x7FFFFFFF], tf.int32)

    def __call__(self, strings):
        import tensorflow as tf

        strings = tf.strings.unicode_transcode(strings, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
        ids, byte_starts, byte_ends = self.sentencepiece.tokenize_with_offsets(strings)
        codes, char_bytes = tf.strings.unicode_decode_with_offsets(strings, "UTF-8")
        lengths = ids.row_lengths()
        n_chars = tf.cast(codes.row_lengths(), tf.int32)[:, None]
        big = tf.int32.max
        # bytes -> code points: the number of characters that begin before the byte offset
        char_bytes = _padded(tf.cast(char_bytes, tf.int32), big)
        starts = tf.searchsorted(char_bytes, tf.cast(byte_starts.to_tensor(), tf.int32), side="left")
        ends = tf.searchsorted(char_bytes, tf.cast(byte_ends.to_tensor(), tf.int32), side="left")
        starts, ends = tf.cast(starts, tf.int32), tf.cast(ends, tf.int32)
        # rules 1 and 2: the next / previous non-blank character, through the sorted positions of non-blank ones
        is_blank = tf.gather(self.blank, tf.searchsorted(self.blank, codes.flat_values)) == codes.flat_values
        positions = tf.ragged.range(tf.cast(codes.row_lengths(), tf.int32))
        solid = _padded(tf.ragged.boolean_mask(positions, ~codes.with_flat_values(is_blank)), big)
        after = tf.gather(solid, tf.searchsorted(solid, starts, side="left"), batch_dims=1)
        starts = tf.minimum(after, ends)
        before = tf.searchsorted(solid, ends, side="left")  # non-blank characters before `ends`
        last = tf.gather(solid, tf.maximum(before - 1, 0), batch_dims=1) + 1
        ends = tf.maximum(tf.where(before > 0, tf.minimum(last, ends), 0), starts)
        # rule 3: `` or '' -> ", aligned with the second character of the pair (an empty piece before one too)
        padded_codes = _padded(codes, -1, extra=2)
        first = tf.gather(padded_codes, starts, batch_dims=1)
        second = tf.gather(padded_codes, starts + 1, batch_dims=1)
        quotes = (first == second) & ((first == ord("`")) | (first == ord("'"))) & (ends - starts != 1)
        starts += tf.cast(quotes, tf.int32)
        # rule 4: an empty piece spans the character it stands before
        ends = tf.where(starts >= ends, tf.minimum(starts + 1, n_chars), ends)
        return (tf.cast(ids, tf.int32), tf.RaggedTensor.from_tensor(starts, lengths=lengths),
                tf.RaggedTensor.from_tensor(ends, lengths=lengths))


def _padded(ragged, value, extra=1):
    """A ragged [batch, None] as a dense tensor with at least `extra` columns of `value` after every row."""
    import tensorflow as tf
    dense = ragged.to_tensor(default_value=value)
    return tf.pad(dense, [[0, 0], [0, extra]], constant_values=value)


def pack(segments, keeps, offsets_of):
    """`[CLS] A [SEP] (B [SEP])` of (ids, starts, ends) segments, each cut to its `keeps` [batch] pieces, padded
    to the batch's longest row -> the backbone's inputs and `offsets` [batch, seq, 2] (int32) of segment
    `offsets_of`; every other position's offsets are NOT_TEXT."""
    import tensorflow as tf
    import tensorflow_text as tf_text

    from keras_albert.tokenizer import CLS_ID, SEP_ID

    def cut(ragged, keep):
        return tf.RaggedTensor.from_tensor(ragged.to_tensor(), lengths=keep)

    ids = [cut(s[0], k) for s, k in zip(segments, keeps)]
    marks = [[cut(s[j], k) if i == offsets_of else NOT_TEXT * tf.ones_like(cut(s[j], k)) for j in (1, 2)]
             for i, (s, k) in enumerate(zip(segments, keeps))]
    token_ids, segment_ids = tf_text.combine_segments(ids, start_of_sequence_id=CLS_ID, end_of_segment_id=SEP_ID)
    starts, _ = tf_text.combine_segments([m[0] for m in marks], NOT_TEXT, NOT_TEXT)
    ends, _ = tf_text.combine_segments([m[1] for m in marks], NOT_TEXT, NOT_TEXT)
    length = tf.maximum(tf.cast(tf.reduce_max(token_ids.row_lengths()), tf.int32), 2)
    token_ids, mask = tf_text.pad_model_inputs(token_ids, length)
    segment_ids, _ = tf_text.pad_model_inputs(segment_ids, length)
    starts, _ = tf_text.pad_model_inputs(starts, length, pad_value=NOT_TEXT)
    ends, _ = tf_text.pad_model_inputs(ends, length, pad_value=NOT_TEXT)
    inputs = {"token_ids": tf.cast(token_ids, tf.int32), "segment_ids": tf.cast(segment_ids, tf.int32),
              "padding_mask": tf.cast(mask, tf.int32)}
    return inputs, tf.stack([tf.cast(starts, tf.int32), tf.cast(ends, tf.int32)], axis=-1)
