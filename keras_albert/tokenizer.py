"""AlbertTokenizer: SentencePiece with ALBERT's normalization, in Python and as a tensorflow-text graph.

User text is text on every path: a literal "[MASK]" typed into a classifier is six characters, as it is for the
SavedModel, MediaPipe and the Android core. Only `tokenize(text, special_tokens=True)` (fill-mask) reads literal
[CLS]/[SEP]/[MASK] as their special ids.
"""
import os
import re
import tempfile

import sentencepiece as spm

from keras_albert.normalization import is_raw_text_model, normalize, raw_text_model, valid_text  # noqa: F401

SPECIAL_TOKENS = {"<pad>": 0, "<unk>": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
_SPECIAL_RE = re.compile(r"(\[CLS\]|\[SEP\]|\[MASK\])")


class AlbertTokenizer:
    """Text -> ALBERT ids (`<pad>`=0 `<unk>`=1 `[CLS]`=2 `[SEP]`=3 `[MASK]`=4) and back.

    A vocabulary with `normalize` compiled in (`train_vocab`'s, or `raw_text_model`'s) gets raw text, as
    MediaPipe gives it; any other (a checkpoint's own `30k-clean.model`) gets `normalize(text)`, as the original
    ALBERT and transformers give it. The tests hold both ways to the same ids.
    """

    def __init__(self, model_proto):
        self.model_proto = model_proto
        self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        for piece, expected in SPECIAL_TOKENS.items():
            if self.sp.piece_to_id(piece) != expected:
                raise ValueError(f"not an ALBERT vocabulary: {piece!r} has id {self.sp.piece_to_id(piece)}, "
                                 f"expected {expected}")
        self.raw_text = is_raw_text_model(model_proto)
        self._raw_text_proto = model_proto if self.raw_text else None
        self._tf = self._offsets = None

    @classmethod
    def from_file(cls, path):
        """A SentencePiece model (`spiece.model`) or a transformers `tokenizer.json` (all transformers 5 saves)."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"tokenizer file not found: {path}")
        with open(path, "rb") as f:
            data = f.read()
        try:
            if data.lstrip()[:1] == b"{":
                from keras_albert.tokenizer_json import read_tokenizer_json
                return cls(raw_text_model(read_tokenizer_json(data, path)))
            return cls(data)
        except RuntimeError:
            raise ValueError(f"{path} is not a SentencePiece model (nor a transformers tokenizer.json)") from None
        except ValueError as e:
            raise ValueError(str(e) if path in str(e) else f"{path}: {e}") from None

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.model_proto)

    def save_tokenizer_json(self, path):
        """transformers' format (tokenizer.json), which `AutoTokenizer.from_pretrained` reads to the same ids."""
        from keras_albert.tokenizer_json import write_tokenizer_json
        write_tokenizer_json(self, path)

    @property
    def vocab_size(self):
        return self.sp.get_piece_size()

    def id_to_piece(self, i):
        return self.sp.id_to_piece(int(i))

    def piece_to_id(self, piece):
        return self.sp.piece_to_id(piece)

    def tokenize(self, text, special_tokens=False):
        """One string -> list of ids. User text is text: literal [CLS]/[SEP]/[MASK] become their special ids only
        with `special_tokens=True` (fill-mask reads [MASK] so). Lone surrogates and argv's undecodable bytes
        become U+FFFD (`valid_text`), as on every path."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not special_tokens:
            return self._encode(text)
        ids = []
        for part in _SPECIAL_RE.split(text):
            ids.extend([SPECIAL_TOKENS[part]] if part in SPECIAL_TOKENS else self._encode(part))
        return ids

    def tokenize_with_offsets(self, text, special_tokens=False):
        """One string -> (ids, offsets): ids as `tokenize` gives them, offsets[i] = (start, end) of id i in the
        ORIGINAL text, as transformers' fast ALBERT tokenizer reports them (`keras_albert.offsets`)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if self._offsets is None:
            from keras_albert.offsets import OffsetTokenizer
            self._offsets = OffsetTokenizer(self)
        if not special_tokens:
            return self._offsets(text)
        ids, offsets, start = [], [], 0
        for part in _SPECIAL_RE.split(text):
            if part in SPECIAL_TOKENS:
                ids.append(SPECIAL_TOKENS[part])
                offsets.append((start, start + len(part)))
            elif part:
                part_ids, part_offsets = self._offsets(part)
                ids += part_ids
                offsets += [(a + start, b + start) for a, b in part_offsets]
            start += len(part)
        return ids, offsets

    def _encode(self, text):
        return self.sp.encode(valid_text(text) if self.raw_text else normalize(text))

    def __call__(self, texts, special_tokens=False):
        if isinstance(texts, (list, tuple)):
            return [self.tokenize(t, special_tokens) for t in texts]
        return self.tokenize(texts, special_tokens)

    def detokenize(self, ids):
        """Ids -> text, dropping padding; special tokens other than <pad> are kept as their pieces."""
        out, run = [], []
        for i in (int(i) for i in ids):
            if i == PAD_ID:
                continue
            if i in (CLS_ID, SEP_ID, MASK_ID):
                out.append(self.sp.decode(run)) if run else None
                out.append(self.id_to_piece(i))
                run = []
            else:
                run.append(i)
        if run:
            out.append(self.sp.decode(run))
        return " ".join(p for p in out if p)

    # -- in-graph version -------------------------------------------------------------------------
    @property
    def raw_text_proto(self):
        """This vocabulary with `normalize` compiled in (compiled once, on first use): what runtimes that give
        SentencePiece raw text need (the SavedModel graph, the copy packed into a .tflite for MediaPipe)."""
        if self._raw_text_proto is None:
            self._raw_text_proto = raw_text_model(self.model_proto)
        return self._raw_text_proto

    @property
    def tf_tokenizer(self):
        """A tensorflow_text.FastSentencepieceTokenizer over `raw_text_proto` (built once)."""
        if self._tf is None:
            import tensorflow_text as tf_text
            self._tf = tf_text.FastSentencepieceTokenizer(self.raw_text_proto)
        return self._tf

    def tokenize_tf(self, strings):
        """A string tensor [batch] -> int32 RaggedTensor [batch, None]; user text is text. Invalid UTF-8 becomes
        U+FFFD as in `valid_text`; the vocabulary's compiled character map does the rest of `normalize`."""
        import tensorflow as tf
        strings = tf.strings.unicode_transcode(strings, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
        return tf.cast(self.tf_tokenizer.tokenize(strings), tf.int32)


def train_vocab(texts, vocab_size=8000, output_path=None, seed_sentencepiece_size=1000000):
    """Train an ALBERT-style unigram SentencePiece model on `texts`; returns an AlbertTokenizer.

    Special ids follow ALBERT. SentencePiece learns pieces from `normalize`d text; then `normalize` is compiled
    into the model (`raw_text_model`), so any SentencePiece runtime that encodes raw text gets the same pieces.
    A text too small for `vocab_size` pieces gives fewer, with a warning that says how many.
    """
    texts = [t for t in (normalize(t) for t in texts if t) if t]
    if not texts:
        raise ValueError("train_vocab needs at least one non-empty text")
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "spiece")
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(texts), model_prefix=prefix, vocab_size=vocab_size, model_type="unigram",
                pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]", "[MASK]"],
                normalization_rule_name="identity", character_coverage=0.99995, shuffle_input_sentence=True,
                seed_sentencepiece_size=seed_sentencepiece_size, hard_vocab_limit=False, num_threads=2,
                minloglevel=2)
        except RuntimeError as e:
            raise ValueError(f"SentencePiece training failed: {e}") from None
        with open(prefix + ".model", "rb") as f:
            tokenizer = AlbertTokenizer(raw_text_model(_without_paths(f.read())))
    if tokenizer.vocab_size < vocab_size:
        import warnings

        from keras_albert.notices import AlbertWarning
        warnings.warn(f"the text supports only {tokenizer.vocab_size:,} SentencePiece pieces: the vocabulary has "
                      f"{tokenizer.vocab_size:,}, not the {vocab_size:,} asked for", AlbertWarning, stacklevel=2)
    if output_path is not None:
        tokenizer.save(output_path)
    return tokenizer


def _without_paths(model_proto):
    """The model without the trainer's file names (its random temporary folder): the same texts and options give
    the same bytes, which `pretrain` fingerprints to resume a killed run."""
    from keras_albert.normalization import _parse
    proto = _parse(model_proto)
    proto.trainer_spec.ClearField("model_prefix")
    proto.trainer_spec.ClearField("input")
    return proto.SerializeToString()
