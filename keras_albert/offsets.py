"""Character offsets into the ORIGINAL text for each id, as transformers' fast ALBERT tokenizer gives them.

SentencePiece knows where its pieces lie only in the text it normalized. The `tokenizers` library keeps an
alignment through every normalization step (quotes, NFKD, accent removal, lowercasing, the vocabulary's character
map) back to the original characters, and splits words as transformers does (whitespace, then Metaspace). So
`tokenizers` normalizes, aligns and splits words; SentencePiece segments each (already normalized) word, with a
copy of the vocabulary that has no character map; `tokenizers` turns the pieces' places back into offsets.
"""
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as sp_pb

from keras_albert.normalization import valid_text


class OffsetTokenizer:
    """`OffsetTokenizer(albert_tokenizer)(text) -> (ids, [(start, end), ...])` with ids equal to
    `albert_tokenizer.tokenize(text)` and offsets equal to transformers' `return_offsets_mapping=True`."""

    def __init__(self, tokenizer):
        from keras_albert.tokenizer_json import build_tokenizer_json
        self.tokenizer = tokenizer
        built = build_tokenizer_json(tokenizer)
        self.normalizer, self.pre_tokenizer = built.normalizer, built.pre_tokenizer
        self.words = spm.SentencePieceProcessor(model_proto=_word_model(tokenizer.raw_text_proto))
        self._raw = None

    def __call__(self, text):
        from tokenizers import PreTokenizedString
        valid, spans = _valid_with_spans(text)
        split = PreTokenizedString(valid)
        split.normalize(self.normalizer.normalize)
        self.pre_tokenizer.pre_tokenize(split)
        split.tokenize(self._segment)
        encoding = split.to_encoding()
        ids, offsets = list(encoding.ids), list(encoding.offsets)
        expected = self.tokenizer.tokenize(text)
        if ids != expected:  # the two normalizations disagree (never seen; the tests hold them equal)
            ids, offsets = expected, self._sentencepiece_offsets(valid)
        return ids, offsets if spans is None else [_to_original(o, spans, len(text)) for o in offsets]

    def _segment(self, word):
        """One normalized word ("▁word") -> its SentencePiece pieces as `tokenizers` Tokens (UTF-8 offsets)."""
        from tokenizers import Token
        return [Token(p.id, p.piece, (p.begin, p.end)) for p in self.words.encode(word, return_type="proto").pieces]

    def _sentencepiece_offsets(self, valid):
        """SentencePiece's own alignment on raw text, leading whitespace left out as transformers leaves it out."""
        if self._raw is None:
            self._raw = spm.SentencePieceProcessor(model_proto=self.tokenizer.raw_text_proto)
        data = valid.encode("utf-8")
        chars = [0] * (len(data) + 1)
        position = 0
        for i, c in enumerate(valid):
            n = len(c.encode("utf-8"))
            chars[position:position + n] = [i] * n
            position += n
        chars[len(data)] = len(valid)
        offsets = []
        for piece in self._raw.encode(valid, return_type="proto").pieces:
            start, end = chars[piece.begin], chars[piece.end]
            while start < end and valid[start].isspace():
                start += 1
            offsets.append((start, end))
        return offsets


def _word_model(raw_text_proto):
    """The vocabulary with no character map and no whitespace handling: it segments a normalized word as it is."""
    proto = sp_pb.ModelProto()
    proto.ParseFromString(raw_text_proto)
    spec = proto.normalizer_spec
    spec.name, spec.precompiled_charsmap = "identity", b""
    spec.add_dummy_prefix = spec.remove_extra_whitespaces = False
    return proto.SerializeToString()


def _valid_with_spans(text):
    """(`valid_text(text)`, None) when nothing was replaced, else (it, the original span of each of its characters).
    A run of argv's undecodable bytes (surrogate escapes) becomes one or more U+FFFD, each spanning the whole run."""
    valid = valid_text(text)
    if valid == text:
        return text, None
    spans, i = [], 0
    while i < len(text):
        j = i + 1
        if "\udc80" <= text[i] <= "\udcff":
            while j < len(text) and "\udc80" <= text[j] <= "\udcff":
                j += 1
            count = len(bytes(ord(c) - 0xDC00 for c in text[i:j]).decode("utf-8", "replace"))
        else:
            count = 1
        spans += [(i, j)] * count
        i = j
    if len(spans) != len(valid):
        raise AssertionError(f"valid_text changed {text!r} in a way the offsets do not follow")
    return valid, spans


def _to_original(offset, spans, length):
    start, end = offset
    if start == end:
        position = spans[start][0] if start < len(spans) else length
        return position, position
    return spans[start][0], spans[end - 1][1]
