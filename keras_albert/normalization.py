"""ALBERT's text normalization: the rule in Python (`normalize`), and the same rule compiled into a SentencePiece
model (`raw_text_model`) for runtimes that hand raw text to SentencePiece.

MediaPipe on Android lowercases ASCII and calls `sp.Encode`; the SavedModel runs tensorflow-text's SentencePiece op.
Neither runs Python, so the vocabulary itself must carry every rule of `normalize`: `raw_text_model` compiles them
into the model's character map (SentencePiece's own `precompiled_charsmap`, built by SentencePiece's builder), on
top of whatever map the model had (the original ALBERT `30k-clean.model` has SentencePiece's default nmt_nfkc).
"""
import contextlib
import functools
import os
import unicodedata

RAW_TEXT = "albert_raw_text"  # normalizer name of a compiled model: it expects raw text, not `normalize`d text
QUOTES = ("``", "''")


def valid_text(text):
    """`text` with what is not text replaced by U+FFFD, the one rule of every path: invalid UTF-8 gives one
    U+FFFD per maximal invalid run, as `bytes.decode("utf-8", "replace")` and TensorFlow's `unicode_transcode`
    do. Bytes that Python kept from argv as surrogate escapes are decoded that way; other lone surrogates
    become one U+FFFD each (SentencePiece's binding cannot take them at all)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    data = b"".join(bytes([ord(c) - 0xDC00]) if "\udc80" <= c <= "\udcff"
                    else ("\ufffd" if "\ud800" <= c <= "\udfff" else c).encode("utf-8") for c in text)
    return data.decode("utf-8", "replace")


def normalize(text):
    """ALBERT's preprocessing, as transformers' AlbertTokenizer applies it: collapse whitespace, `` and '' to ",
    NFKD, drop combining marks (Mn, Mc, Me), lowercase each character (no context rules: a final capital sigma
    becomes σ, as in transformers and in a character map). SentencePiece's visible space ▁ (U+2581) typed in text
    is a space, as the original vocabulary's nmt_nfkc map makes it: SentencePiece implementations disagree on a
    literal ▁ (the Python binding takes it for whitespace, tensorflow-text's fast tokenizer for a piece)."""
    text = " ".join(valid_text(text).replace("\u2581", " ").split()).replace("``", '"').replace("''", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "M").replace("Σ", "σ").lower()


def is_raw_text_model(model_proto):
    return _parse(model_proto).normalizer_spec.name == RAW_TEXT


def raw_text_model(model_proto):
    """A copy of a SentencePiece model (bytes) whose own normalization is `normalize` followed by the model's:
    `SentencePieceProcessor(model_proto=raw_text_model(m)).encode(text)` gives the ids of
    `SentencePieceProcessor(model_proto=m).encode(normalize(text))`. A compiled model is returned as it is.

    Each code point maps to the model's normalization of its `normalize` image; the model's multi-character
    rules (compositions such as Bengali vowel signs) are kept where `normalize` leaves their characters alone;
    `` and '' map to ". Pieces, scores and the whitespace flags stay."""
    import sentencepiece as spm

    proto = _parse(model_proto)
    spec = proto.normalizer_spec
    if spec.name == RAW_TEXT:
        return model_proto
    if not hasattr(spm.SentencePieceNormalizer, "decompile"):
        raise ImportError(f"compiling ALBERT's normalization into a vocabulary needs sentencepiece>=0.2.2 "
                          f"(SentencePieceNormalizer.decompile); this is {spm.__version__}: "
                          "pip install -U sentencepiece")
    if not (spec.add_dummy_prefix and spec.remove_extra_whitespaces and spec.escape_whitespaces):
        raise ValueError("this SentencePiece model turns off SentencePiece's default whitespace handling; "
                         "ALBERT's normalization cannot be compiled into it")
    chars, images = _char_images()
    if spec.precompiled_charsmap:
        base = spm.SentencePieceNormalizer(normalizer_spec=_charsmap_only(spec))
        base_rules = base.decompile()
        apply = base.normalize
    else:
        base_rules, apply = [], lambda texts: texts
    targets = apply(list(images))
    rules = {c: t for c, t in zip(chars, targets) if t != c}
    unchanged = {c for c, image in zip(chars, images) if image == c}  # characters `normalize` leaves alone
    for source, _ in base_rules:
        if len(source) > 1 and all(c in unchanged for c in source):
            target = apply([source])[0]
            if target != "".join(rules.get(c, c) for c in source):
                rules[source] = target
    for quotes in QUOTES:
        rules[quotes] = apply(['"'])[0]
    with _quiet_stderr():  # the builder logs at INFO level
        compiled = spm.SentencePieceNormalizer(norm_map=sorted(rules.items()))
        charsmap = _parse_spec(compiled.serialized_normalizer_spec()).precompiled_charsmap
    spec.precompiled_charsmap = charsmap
    spec.name = RAW_TEXT
    return proto.SerializeToString()


def blank_code_points(model_proto):
    """Sorted code points that a raw-text model (`raw_text_model`'s output, bytes) normalizes into nothing but
    whitespace, or into nothing (spaces, spacing and combining accents, zero-width and control characters, and
    whatever the model's own character map blanks): no piece's offsets begin or end on one of them."""
    import sentencepiece as spm
    spec = _parse(model_proto).normalizer_spec
    if spec.name != RAW_TEXT:
        raise ValueError("blank_code_points takes a raw-text model (raw_text_model's output)")
    chars, _ = _char_images()
    images = spm.SentencePieceNormalizer(normalizer_spec=_charsmap_only(spec)).normalize(list(chars))
    return [ord(c) for c, image in zip(chars, images) if not image.strip()]


@functools.lru_cache(maxsize=1)
def _char_images():
    """Every assigned code point and its `normalize` image inside a word ("a" + c + "b"), so that whitespace
    maps to one space and a spacing accent such as ¨ (NFKD: space + mark) to a space."""
    chars = [chr(cp) for cp in range(1, 0x110000)
             if not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp)) != "Cn"]
    return tuple(chars), tuple(normalize(f"a{c}b")[1:-1] for c in chars)


def _charsmap_only(spec):
    """The model's character map without SentencePiece's whitespace handling (applied once, after ours)."""
    from sentencepiece import sentencepiece_model_pb2
    return sentencepiece_model_pb2.NormalizerSpec(
        name=spec.name, precompiled_charsmap=spec.precompiled_charsmap, add_dummy_prefix=False,
        remove_extra_whitespaces=False, escape_whitespaces=False)


def _parse(model_proto):
    from sentencepiece import sentencepiece_model_pb2
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model_proto)
    return proto


def _parse_spec(data):
    from sentencepiece import sentencepiece_model_pb2
    spec = sentencepiece_model_pb2.NormalizerSpec()
    spec.ParseFromString(data)
    return spec


@contextlib.contextmanager
def _quiet_stderr():
    """Native log lines off file descriptor 2 for a block (Python exceptions still propagate)."""
    import sys
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
