"""transformers' `tokenizer.json` for ALBERT, both ways: transformers 5 saves only this file (no spiece.model).

Reading turns its Unigram pieces, scores and character map into a SentencePiece ModelProto (SentencePiece then
segments exactly as the Unigram model does); writing builds the file with the `tokenizers` library, in the form
transformers' own ALBERT converter gives it, so `AutoTokenizer.from_pretrained` reads it to our ids.
"""
import base64
import json

from sentencepiece import sentencepiece_model_pb2 as sp_pb

from keras_albert.normalization import QUOTES as QUOTE_PAIRS

# transformers' ALBERT normalizer: these steps are `normalize`, which the tokenizer applies itself
ALBERT_STEPS = {"NFKD", "StripAccents", "Lowercase"}
QUOTES = dict.fromkeys(QUOTE_PAIRS, '"')  # `normalize` turns each into a plain double quote
SPACE = "\u2581"
_T = sp_pb.ModelProto.SentencePiece


def read_tokenizer_json(data, path="tokenizer.json"):
    """tokenizer.json bytes -> SentencePiece ModelProto bytes (the model's own character map, without
    `normalize` compiled in: see `keras_albert.normalization.raw_text_model`). ValueError names what does not fit."""
    try:
        spec = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a JSON tokenizer file ({e})") from None
    model = spec.get("model") if isinstance(spec, dict) else None
    if not isinstance(model, dict) or model.get("type") != "Unigram":
        kind = model.get("type") if isinstance(model, dict) else None
        raise ValueError(f"{path}: ALBERT needs a Unigram (SentencePiece) tokenizer, this one is {kind or 'unknown'}")
    if model.get("byte_fallback"):
        raise ValueError(f"{path}: byte fallback is not part of ALBERT's tokenizer")
    steps, charsmap = _normalizer_steps(spec.get("normalizer"), path)
    if not ALBERT_STEPS <= steps:
        raise ValueError(f"{path}: the normalizer lacks {', '.join(sorted(ALBERT_STEPS - steps))} (a cased or "
                         "accent-keeping tokenizer), which ALBERT's normalization would change")
    added = {t.get("content"): bool(t.get("special")) for t in spec.get("added_tokens") or []}
    proto = sp_pb.ModelProto()
    unk_id = model.get("unk_id")
    for i, (piece, score) in enumerate(model["vocab"]):
        # transformers lists SentencePiece's control pieces as special added tokens and its user-defined
        # pieces (30k-clean's "(", "-", "£", ...) as other added tokens
        kind = (_T.UNKNOWN if i == unk_id else _T.NORMAL if piece not in added
                else _T.CONTROL if added[piece] else _T.USER_DEFINED)
        proto.pieces.add(piece=piece, score=float(score), type=kind)
    ids = {p.piece: i for i, p in enumerate(proto.pieces)}
    proto.trainer_spec.model_type = sp_pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(proto.pieces)
    proto.trainer_spec.unk_id = -1 if unk_id is None else unk_id
    proto.trainer_spec.pad_id = ids.get("<pad>", -1)
    proto.trainer_spec.bos_id = proto.trainer_spec.eos_id = -1
    norm = proto.normalizer_spec
    norm.name = "precompiled" if charsmap else "identity"
    norm.precompiled_charsmap = charsmap
    norm.add_dummy_prefix = _prepend_space(spec.get("pre_tokenizer"), path)
    norm.remove_extra_whitespaces = norm.escape_whitespaces = True
    return proto.SerializeToString()


def _normalizer_steps(step, path):
    """({names of the normalizer's steps}, the Precompiled character map or b"") of a tokenizer.json normalizer."""
    if step is None:
        return set(), b""
    kind = step.get("type")
    if kind == "Sequence":
        steps, charsmap = set(), b""
        for inner in step.get("normalizers") or []:
            s, c = _normalizer_steps(inner, path)
            steps |= s
            charsmap = c or charsmap
        return steps, charsmap
    if kind == "Precompiled":
        return {kind}, base64.b64decode(step.get("precompiled_charsmap") or "")
    if kind == "Replace":
        pattern = step.get("pattern") or {}
        if QUOTES.get(pattern.get("String")) == step.get("content") or (
                pattern.get("Regex") == " {2,}" and step.get("content") == " "):
            return {kind}, b""  # `` and '' to ", runs of spaces to one: both are ALBERT's
    elif kind in ALBERT_STEPS:
        return {kind}, b""
    raise ValueError(f"{path}: normalizer step {json.dumps(step)[:120]} is not part of ALBERT's normalization")


def _prepend_space(step, path):
    """Whether the Metaspace pre-tokenizer marks the first word as a word start (SentencePiece's dummy prefix)."""
    steps = (step or {}).get("pretokenizers") if (step or {}).get("type") == "Sequence" else [step or {}]
    metaspace = [s for s in steps if s.get("type") == "Metaspace"]
    if not metaspace or metaspace[0].get("replacement", SPACE) != SPACE:
        raise ValueError(f"{path}: ALBERT's pre-tokenizer is Metaspace with {SPACE!r}; this file has {step}")
    scheme = metaspace[0].get("prepend_scheme", "always" if metaspace[0].get("add_prefix_space", True) else "never")
    return scheme != "never"


def write_tokenizer_json(tokenizer, path):
    """Write `tokenizer` (an AlbertTokenizer) as transformers' tokenizer.json (`build_tokenizer_json`)."""
    build_tokenizer_json(tokenizer).save(str(path))


def build_tokenizer_json(tokenizer):
    """`tokenizer` (an AlbertTokenizer) as a `tokenizers.Tokenizer` in transformers' form: Unigram model,
    ALBERT's normalizer (quotes, NFKD, accents, lowercase, then the vocabulary's compiled character map),
    Metaspace pre-tokenizer,
    `[CLS] $A [SEP] $B [SEP]` post-processor. User-defined pieces keep SentencePiece's preference for them
    (score: UTF-8 length times the best piece score, minus 0.1), so the Unigram lattice picks what SentencePiece
    picks."""
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    from keras_albert.tokenizer import CLS_ID, SEP_ID, SPECIAL_TOKENS, UNK_ID

    proto = sp_pb.ModelProto()
    proto.ParseFromString(tokenizer.raw_text_proto)
    best = max(p.score for p in proto.pieces if p.type == _T.NORMAL)
    vocab = [(p.piece, len(p.piece.encode()) * best - 0.1 if p.type == _T.USER_DEFINED else p.score)
             for p in proto.pieces]
    built = Tokenizer(Unigram(vocab, unk_id=UNK_ID, byte_fallback=False))
    built.normalizer = normalizers.Sequence(
        [normalizers.Replace(a, b) for a, b in QUOTES.items()]
        + [normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase(),
           normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap)])
    scheme = "always" if proto.normalizer_spec.add_dummy_prefix else "never"
    built.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme=scheme)])
    built.decoder = decoders.Metaspace(replacement=SPACE, prepend_scheme=scheme)
    built.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", CLS_ID), ("[SEP]", SEP_ID)])
    built.add_special_tokens([AddedToken(piece, special=True, normalized=False) for piece in SPECIAL_TOKENS])
    return built
