"""AlbertTokenizer against references: transformers' AlbertTokenizer on the same spiece.model, its normalizer on
every code point, and SentencePiece itself on raw text with `normalize` compiled into the vocabulary."""
import json
import os
import shutil
import unicodedata

import pytest
import sentencepiece as spm
import tensorflow as tf
import transformers
from odd_text import LONG_TEXT, ODD_TEXTS, has_lone_surrogate, original_like_vocab
from sentencepiece import sentencepiece_model_pb2 as sp_pb

from keras_albert.tokenizer import AlbertTokenizer, normalize, raw_text_model, train_vocab, valid_text


@pytest.fixture(scope="module")
def original_like(tmp_path_factory, rt_texts):
    """(path, AlbertTokenizer) of a vocabulary made like `30k-clean.model` (default nmt_nfkc normalization)."""
    path = original_like_vocab(rt_texts[0][:4000], tmp_path_factory.mktemp("orig") / "30k-like.model")
    return path, AlbertTokenizer.from_file(path)


@pytest.fixture(scope="module")
def hf_tokenizer(tmp_path_factory, spiece_path):
    folder = tmp_path_factory.mktemp("hf_spiece")
    shutil.copy(spiece_path, folder / "spiece.model")
    return transformers.AlbertTokenizer.from_pretrained(folder)


def _identity_base(model_proto):
    """The vocabulary as SentencePiece trained it for train_vocab (on `normalize`d text, no character map)."""
    proto = sp_pb.ModelProto()
    proto.ParseFromString(model_proto)
    proto.normalizer_spec.precompiled_charsmap = b""
    proto.normalizer_spec.name = "identity"
    return proto.SerializeToString()


def test_special_ids(tokenizer):
    for piece, i in {"<pad>": 0, "<unk>": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}.items():
        assert tokenizer.piece_to_id(piece) == i and tokenizer.id_to_piece(i) == piece


def test_normalize_equals_transformers_normalizer_on_every_code_point():
    """`normalize` is transformers' ALBERT normalizer (``/'' -> ", NFKD, StripAccents, Lowercase), checked on
    "a" + c + "b" for every code point that Unicode 3.2 already had (newer ones depend on each library's tables),
    with a typed ▁ a space first, as the original vocabulary's nmt_nfkc character map makes it."""
    from tokenizers import normalizers
    hf = normalizers.Sequence([normalizers.Replace("\u2581", " "), normalizers.Replace("``", '"'),
                               normalizers.Replace("''", '"'), normalizers.NFKD(),
                               normalizers.StripAccents(), normalizers.Lowercase()])
    checked, differ = 0, []
    for cp in range(1, 0x110000):
        if 0xD800 <= cp <= 0xDFFF or unicodedata.ucd_3_2_0.category(chr(cp)) == "Cn":
            continue
        text = f"a{chr(cp)}b"
        checked += 1
        if normalize(text) != " ".join(hf.normalize_str(text).split()):
            differ.append(hex(cp))
    assert checked > 200_000 and differ == []
    assert normalize("  Café\tDÉJÀ  ``vu''  ") == 'cafe deja "vu"' and normalize("ΟΔΟΣ") == "οδοσ"


def test_matches_transformers_on_the_same_spiece_model(hf_tokenizer, tokenizer, rt_texts):
    """Real sentences and odd text give transformers' ids; transformers reads literal [MASK] as special, which we
    do only when asked (fill-mask); it cannot take lone surrogates, so it gets `valid_text`'s U+FFFD."""
    for text in list(rt_texts[0][:1000]) + ODD_TEXTS + [LONG_TEXT]:
        theirs = hf_tokenizer(valid_text(text), add_special_tokens=False)["input_ids"]
        assert theirs == tokenizer.tokenize(text, special_tokens=True), text
        if "[" not in text:
            assert theirs == tokenizer.tokenize(text), text


def test_user_text_is_text(tokenizer):
    """A literal [MASK] typed into a classifier is text, as on the SavedModel, MediaPipe and the Java core."""
    text = "hello i'm a [MASK] model. [CLS] x [SEP]"
    assert not {2, 3, 4} & set(tokenizer.tokenize(text))
    assert tokenizer.tokenize(text) == tokenizer.sp.encode(text)
    special = tokenizer.tokenize(text, special_tokens=True)
    assert special.count(4) == 1 and special.count(2) == 1 and special.count(3) == 1
    assert special[:len(tokenizer.tokenize("hello i'm a"))] == tokenizer.tokenize("hello i'm a")
    assert tokenizer([text, "[MASK]"], special_tokens=True)[1] == [4]


def test_raw_text_sentencepiece_gives_our_ids_for_train_vocab(tokenizer, spiece_path, rt_texts):
    """The train_vocab model carries `normalize`: SentencePiece on raw text (MediaPipe's way, after `valid_text`)
    equals SentencePiece on `normalize`d text over the same pieces without a character map."""
    raw = spm.SentencePieceProcessor(model_file=spiece_path)
    reference = spm.SentencePieceProcessor(model_proto=_identity_base(tokenizer.model_proto))
    for text in list(rt_texts[0][:1000]) + ODD_TEXTS + [LONG_TEXT]:
        expected = reference.encode(normalize(text))
        assert raw.encode(valid_text(text)) == expected == tokenizer.tokenize(text), text
        ascii_lower = "".join(c.lower() if c.isascii() else c for c in valid_text(text))  # MediaPipe's own step
        assert raw.encode(ascii_lower) == expected, text


def test_raw_text_sentencepiece_gives_our_ids_for_an_original_vocabulary(original_like, rt_texts):
    """A vocabulary trained as 30k-clean was (nmt_nfkc): `raw_text_model` of it encodes raw text to the ids of
    `AlbertTokenizer` on the original, which is SentencePiece on `normalize`d text."""
    path, original = original_like
    assert not original.raw_text
    compiled_proto = raw_text_model(original.model_proto)
    compiled = spm.SentencePieceProcessor(model_proto=compiled_proto)
    plain = spm.SentencePieceProcessor(model_file=path)
    for text in list(rt_texts[0][:1000]) + ODD_TEXTS + [LONG_TEXT]:
        expected = original.tokenize(text)
        assert expected == plain.encode(normalize(text))
        assert compiled.encode(valid_text(text)) == expected, text
    assert AlbertTokenizer(compiled_proto).tokenize(ODD_TEXTS[3]) == original.tokenize(ODD_TEXTS[3])
    assert raw_text_model(compiled_proto) == compiled_proto  # compiling twice changes nothing
    proto = sp_pb.ModelProto()
    proto.ParseFromString(compiled_proto)
    assert [p.piece for p in proto.pieces] == [original.id_to_piece(i) for i in range(original.vocab_size)]


def test_graph_tokenizer_equals_python(tokenizer, original_like, rt_texts):
    """tensorflow-text on raw strings (the SavedModel's path), for both kinds of vocabulary; invalid UTF-8 bytes
    get U+FFFD as the Python tokenizer gives argv's surrogate escapes."""
    bad_bytes = [b"a\xffb", b"caf\xc3 \xe2\x82a", b"\xed\xa0\x80x", b"ok \xf0\x9f\x98 end", b"\x80\x80 caf\xc3\xa9"]
    for tok in (tokenizer, original_like[1]):
        texts = [t for t in list(rt_texts[0][:500]) + ODD_TEXTS + [LONG_TEXT] if not has_lone_surrogate(t)]
        graph = tok.tokenize_tf(tf.constant([t.encode() for t in texts] + bad_bytes)).to_list()
        expected = [tok.tokenize(t) for t in texts] + [tok.tokenize(os.fsdecode(b)) for b in bad_bytes]
        assert graph == expected


def test_invalid_text_becomes_replacement_characters(tokenizer, original_like):
    """Lone surrogates (Python API) and argv's undecodable bytes: U+FFFD, the way UTF-8 decoders replace."""
    assert valid_text("a\ud800b") == "a\ufffdb" and valid_text("ok") == "ok"
    argv = os.fsdecode(b"caf\xc3 \xe2\x82a \xff")  # what Python makes of undecodable argv bytes
    assert valid_text(argv) == b"caf\xc3 \xe2\x82a \xff".decode("utf-8", "replace") == "caf\ufffd \ufffda \ufffd"
    for tok in (tokenizer, original_like[1]):
        assert tok.tokenize("lone \ud800 high") == tok.tokenize("lone \ufffd high")
        assert tok.tokenize(argv) == tok.tokenize("caf\ufffd \ufffda \ufffd")


def test_tokenizer_json_from_transformers(tmp_path, tokenizer, original_like, rt_texts):
    """transformers 5 saves only tokenizer.json: read it to the ids of transformers' own tokenizer."""
    for name, spiece in (("ours", tokenizer.model_proto), ("original", _plain_pieces(original_like[1].model_proto))):
        source, saved = tmp_path / f"{name}_spiece", tmp_path / f"{name}_saved"
        source.mkdir()
        (source / "spiece.model").write_bytes(spiece)
        transformers.AlbertTokenizer.from_pretrained(source).save_pretrained(saved)
        assert not (saved / "spiece.model").exists()
        theirs = transformers.AutoTokenizer.from_pretrained(saved)
        ours = AlbertTokenizer.from_file(saved / "tokenizer.json")
        texts = [t for t in list(rt_texts[0][:500]) + ODD_TEXTS if _transformers_agrees(name, t)]
        for text in texts:
            assert ours.tokenize(text, special_tokens=True) == theirs(valid_text(text), add_special_tokens=False)[
                "input_ids"], text


def _plain_pieces(model_proto):
    """The vocabulary with its user-defined pieces made normal ones: transformers' conversion splits user-defined
    pieces (30k-clean's "(", "-", "£", ...) out of the text before its Unigram model, where SentencePiece matches
    them inside the lattice, so around those characters the two cannot agree."""
    proto = sp_pb.ModelProto()
    proto.ParseFromString(model_proto)
    for piece in proto.pieces:
        if piece.type == piece.USER_DEFINED:
            piece.type = piece.NORMAL
    return proto.SerializeToString()


def _transformers_agrees(vocabulary, text):
    """transformers' own conversion of an nmt_nfkc vocabulary deletes the control characters that ALBERT (Python's
    str.split) counts as whitespace: \\x0b and \\x1c-\\x1f."""
    return vocabulary == "ours" or not any(c in text for c in "\x0b\x1c\x1d\x1e\x1f")


def test_save_tokenizer_json_loads_in_transformers(tmp_path, tokenizer, original_like, rt_texts):
    """A folder with only our tokenizer.json (+ config.json) gives our ids through AutoTokenizer, single and pairs."""
    for name, tok in (("ours", tokenizer), ("original", original_like[1])):
        folder = tmp_path / name
        folder.mkdir()
        tok.save_tokenizer_json(folder / "tokenizer.json")
        (folder / "config.json").write_text(json.dumps({"model_type": "albert"}))
        theirs = transformers.AutoTokenizer.from_pretrained(folder)
        texts = list(rt_texts[0][:300]) + [valid_text(t) for t in ODD_TEXTS] + [LONG_TEXT]
        for text in texts:
            assert theirs(text)["input_ids"] == [2, *tok.tokenize(text, special_tokens=True), 3], text
        pair = theirs("a fine film", "the plot drags", return_token_type_ids=True)
        a, b = tok.tokenize("a fine film"), tok.tokenize("the plot drags")
        assert pair["input_ids"] == [2, *a, 3, *b, 3]
        assert pair["token_type_ids"] == [0] * (len(a) + 2) + [1] * (len(b) + 1)
        again = AlbertTokenizer.from_file(folder / "tokenizer.json")
        assert [again.tokenize(t) for t in texts] == [tok.tokenize(t) for t in texts]


def test_tokenizer_json_refusals(tmp_path):
    cases = {"bpe.json": ({"model": {"type": "BPE", "vocab": {}}}, "Unigram"),
             "cased.json": ({"model": {"type": "Unigram", "vocab": [], "unk_id": 1}, "normalizer": {"type": "NFKD"},
                             "pre_tokenizer": {"type": "Metaspace"}}, "lacks Lowercase, StripAccents"),
             "nfc.json": ({"model": {"type": "Unigram", "vocab": []}, "normalizer": {"type": "NFC"}}, "NFC"),
             "broken.json": ("{not json", "not a JSON tokenizer")}
    for name, (content, message) in cases.items():
        (tmp_path / name).write_text(content if isinstance(content, str) else json.dumps(content))
        with pytest.raises(ValueError, match=message) as info:
            AlbertTokenizer.from_file(tmp_path / name)
        assert name in str(info.value)


def test_detokenize_round_trip(tokenizer, rt_texts):
    for text in rt_texts[0][:200]:
        ids = tokenizer.tokenize(text)
        if 1 not in ids:
            assert tokenizer.detokenize(ids) == normalize(text)
    assert tokenizer.detokenize([2] + tokenizer.tokenize("a good film") + [3, 0, 0]) == "[CLS] a good film [SEP]"


def test_train_vocab_builds_an_albert_vocabulary(tmp_path, rt_texts):
    path = tmp_path / "v.model"
    tok = train_vocab(rt_texts[0][:3000], vocab_size=800, output_path=str(path))
    assert tok.vocab_size == 800 and AlbertTokenizer.from_file(str(path)).vocab_size == 800
    assert tok.raw_text and AlbertTokenizer.from_file(str(path)).raw_text
    ids = tok.tokenize(rt_texts[0][0])
    assert ids and min(ids) >= 5 or 1 in ids


def test_bad_files_and_inputs(tmp_path, tokenizer):
    with pytest.raises(FileNotFoundError, match="not found"):
        AlbertTokenizer.from_file(str(tmp_path / "missing.model"))
    junk = tmp_path / "junk.model"
    junk.write_bytes(b"this is not a sentencepiece model")
    with pytest.raises(ValueError, match="not a SentencePiece model"):
        AlbertTokenizer.from_file(str(junk))
    with pytest.raises(TypeError, match="must be a str"):
        tokenizer.tokenize(123)
    with pytest.raises(ValueError, match="non-empty"):
        train_vocab(["", "  ", "\u0301"], vocab_size=10)


def test_non_albert_vocabulary_is_refused(tmp_path, rt_texts):
    prefix = str(tmp_path / "plain")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(rt_texts[0][:2000]), model_prefix=prefix, vocab_size=300,
                                   minloglevel=2)
    with pytest.raises(ValueError, match="not an ALBERT vocabulary"):
        AlbertTokenizer.from_file(prefix + ".model")


def test_train_vocab_says_when_the_text_supports_fewer_pieces():
    texts = ["a small text", "with very few distinct words", "a small text again"]
    with pytest.warns(UserWarning, match=r"supports only \d+ SentencePiece pieces.*not the 30,000 asked for"):
        tokenizer = train_vocab(texts, vocab_size=30000)
    assert tokenizer.vocab_size < 30000


OFFSET_TEXTS = ["Café DÉJÀ vu", "UPPER case", "ﬁne ﬂow ﬃx", "Ｆｕｌｌｗｉｄｔｈ １２３", "runs   of    spaces",
                "  leading and trailing  ", "tabs\tand\nnewlines\r\n", "``quoted'' and \"plain\" ''x''",
                "emoji 👍🏽 😀 ok", "", "e\u0301 a\u0308", "ΟΔΟΣ Straße İstanbul"]


@pytest.fixture(scope="module")
def hf_fast(tmp_path_factory, tokenizer, original_like):
    """transformers' fast tokenizers loaded from what save_tokenizer_json writes, for both kinds of vocabulary."""
    out = {}
    for name, tok in (("ours", tokenizer), ("original", original_like[1])):
        folder = tmp_path_factory.mktemp(f"offsets_{name}")
        tok.save_tokenizer_json(folder / "tokenizer.json")
        (folder / "config.json").write_text(json.dumps({"model_type": "albert"}))
        out[name] = (tok, transformers.AutoTokenizer.from_pretrained(folder))
    return out


def test_offsets_equal_transformers(hf_fast, rt_texts):
    """Offsets into the ORIGINAL text equal transformers' `return_offsets_mapping` and ids equal `tokenize`, for a
    raw-text vocabulary (train_vocab's) and a plain one (normalize() first): accents, case, ligatures, full width,
    whitespace runs, quotes, emoji, empty text, typed [MASK] with special_tokens."""
    texts = OFFSET_TEXTS + [t for t in ODD_TEXTS if not has_lone_surrogate(t)] + list(rt_texts[0][:300])
    for name, (tok, theirs) in hf_fast.items():
        assert tok.raw_text == (name == "ours")
        for text in texts:
            ids, offsets = tok.tokenize_with_offsets(text)
            assert ids == tok.tokenize(text), text
            if "[" not in text:
                expected = theirs(text, add_special_tokens=False, return_offsets_mapping=True)
                assert (ids, offsets) == (expected["input_ids"], expected["offset_mapping"]), (name, text)
            ids, offsets = tok.tokenize_with_offsets(text, special_tokens=True)
            expected = theirs(text, add_special_tokens=False, return_offsets_mapping=True)
            assert (ids, offsets) == (expected["input_ids"], expected["offset_mapping"]), (name, text)
    tok = hf_fast["ours"][0]
    text = "  Café\tDÉJÀ  ﬁne "
    ids, offsets = tok.tokenize_with_offsets(text)
    words = ["".join(text[a:b] for a, b in offsets[i:j]) for i, j in ((0, 3), (3, 6))]
    assert words == ["Café", "DÉJÀ"] and offsets[-1][1] == 16 and tok.tokenize_with_offsets("") == ([], [])


def test_offsets_of_replaced_characters(tokenizer):
    """Lone surrogates and argv's undecodable bytes: ids as `tokenize` (U+FFFD), offsets into the text as given
    (a run of undecodable bytes is one span)."""
    for text in [t for t in ODD_TEXTS if has_lone_surrogate(t)]:
        ids, offsets = tokenizer.tokenize_with_offsets(text)
        assert ids == tokenizer.tokenize(text) and len(offsets) == len(ids)
        assert all(0 <= a <= b <= len(text) for a, b in offsets), text
        if not any("\udc80" <= c <= "\udcff" for c in text):  # lone surrogates: one U+FFFD each, in place
            assert offsets == tokenizer.tokenize_with_offsets(valid_text(text))[1]
    text = "ok \udce2\udc82a end"  # two undecodable bytes -> one U+FFFD, then "a"
    ids, offsets = tokenizer.tokenize_with_offsets(text)
    assert [text[a:b] for a, b in offsets if b > a][-1] == "end"
    assert all(b <= 3 or a >= 3 for a, b in offsets) and offsets[-2:][0][0] >= 5


def test_offsets_keep_ids_when_normalizations_disagree(tokenizer, monkeypatch):
    """If the alignment's normalizer ever gave other pieces than SentencePiece, ids would still be `tokenize`'s
    and offsets SentencePiece's own (leading space left out)."""
    from tokenizers import normalizers
    tokenizer.tokenize_with_offsets("warm up")
    aligner = tokenizer._offsets
    monkeypatch.setattr(aligner, "normalizer", normalizers.Sequence([normalizers.Lowercase()]))
    text = "Café  film"
    ids, offsets = tokenizer.tokenize_with_offsets(text)
    assert ids == tokenizer.tokenize(text) and len(offsets) == len(ids)
    assert "".join(text[a:b] for a, b in offsets) == "Caféfilm" and offsets[-1][1] == len(text)
