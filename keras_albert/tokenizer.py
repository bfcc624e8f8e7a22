"""AlbertTokenizer: SentencePiece with ALBERT's normalization, in Python and as a tensorflow-text graph."""
import os
import re
import tempfile
import unicodedata

import sentencepiece as spm

SPECIAL_TOKENS = {"<pad>": 0, "<unk>": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
_SPECIAL_RE = re.compile(r"(\[CLS\]|\[SEP\]|\[MASK\])")


def normalize(text):
    """ALBERT's preprocessing: collapse whitespace, `` and '' to ", NFKD, drop accents (Mn), lowercase."""
    text = " ".join(text.split()).replace("``", '"').replace("''", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()


def normalize_tf(strings):
    """The same normalization as `normalize`, in TensorFlow ops (for tf.data and the SavedModel)."""
    import tensorflow as tf
    import tensorflow_text as tf_text
    s = tf.strings.regex_replace(strings, r"[\s\x{0B}\x{1C}-\x{1F}\x{85}\p{Z}]+", " ")
    s = tf.strings.regex_replace(s, r"^ | $", "")
    s = tf.strings.regex_replace(s, "``|''", '"')
    s = tf_text.normalize_utf8(s, "NFKD")
    s = tf.strings.regex_replace(s, r"\p{Mn}", "")
    return tf.strings.lower(s, encoding="utf-8")


class AlbertTokenizer:
    """Text -> ALBERT ids (`<pad>`=0 `<unk>`=1 `[CLS]`=2 `[SEP]`=3 `[MASK]`=4) and back."""

    def __init__(self, model_proto):
        self.model_proto = model_proto
        self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        for piece, expected in SPECIAL_TOKENS.items():
            if self.sp.piece_to_id(piece) != expected:
                raise ValueError(f"not an ALBERT vocabulary: {piece!r} has id {self.sp.piece_to_id(piece)}, "
                                 f"expected {expected}")
        self._tf = None

    @classmethod
    def from_file(cls, path):
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"SentencePiece model not found: {path}")
        with open(path, "rb") as f:
            proto = f.read()
        try:
            return cls(proto)
        except RuntimeError:
            raise ValueError(f"{path} is not a SentencePiece model") from None

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.model_proto)

    @property
    def vocab_size(self):
        return self.sp.get_piece_size()

    def id_to_piece(self, i):
        return self.sp.id_to_piece(int(i))

    def piece_to_id(self, piece):
        return self.sp.piece_to_id(piece)

    def tokenize(self, text):
        """One string -> list of ids; literal [CLS]/[SEP]/[MASK] in the text become their special ids."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        ids = []
        for part in _SPECIAL_RE.split(text):
            if part in SPECIAL_TOKENS:
                ids.append(SPECIAL_TOKENS[part])
            elif part.strip():
                ids.extend(self.sp.encode(normalize(part)))
        return ids

    def __call__(self, texts):
        return [self.tokenize(t) for t in texts] if isinstance(texts, (list, tuple)) else self.tokenize(texts)

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
    def tf_tokenizer(self):
        """A tensorflow_text.FastSentencepieceTokenizer over the same model (built once)."""
        if self._tf is None:
            import tensorflow_text as tf_text
            self._tf = tf_text.FastSentencepieceTokenizer(self.model_proto)
        return self._tf

    def tokenize_tf(self, strings):
        """A string tensor [batch] -> int32 RaggedTensor [batch, None] (no special-token splitting)."""
        import tensorflow as tf
        return tf.cast(self.tf_tokenizer.tokenize(normalize_tf(strings)), tf.int32)


def _normalization_rules():
    """SentencePiece rules that make the vocabulary itself normalize as `normalize` does (for runtimes,
    such as MediaPipe on Android, that only lowercase ASCII before `sp.Encode`)."""
    rules = []
    for cp in range(0x09, 0x30000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cs", "Co", "Cn"):
            continue
        target = " " if ch.isspace() else normalize(ch)
        if target != ch and target:
            rules.append(f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in target)}")
    return "\n".join(rules) + "\n"


def train_vocab(texts, vocab_size=8000, output_path=None, seed_sentencepiece_size=1000000):
    """Train an ALBERT-style unigram SentencePiece model on `texts`; returns an AlbertTokenizer.

    Special ids follow ALBERT; the text is normalized first and the same normalization is compiled into
    the model, so any SentencePiece runtime that encodes raw text gets the same pieces.
    """
    texts = [normalize(t) for t in texts if t and t.strip()]
    if not texts:
        raise ValueError("train_vocab needs at least one non-empty text")
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "rules.tsv")
        with open(rules, "w", encoding="utf-8") as f:
            f.write(_normalization_rules())
        prefix = os.path.join(tmp, "spiece")
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(texts), model_prefix=prefix, vocab_size=vocab_size, model_type="unigram",
                pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]", "[MASK]"],
                normalization_rule_tsv=rules, character_coverage=0.99995, shuffle_input_sentence=True,
                seed_sentencepiece_size=seed_sentencepiece_size, hard_vocab_limit=False, num_threads=2,
                minloglevel=2)
        except RuntimeError as e:
            raise ValueError(f"SentencePiece training failed: {e}") from None
        with open(prefix + ".model", "rb") as f:
            tokenizer = AlbertTokenizer(f.read())
    if output_path is not None:
        tokenizer.save(output_path)
    return tokenizer
