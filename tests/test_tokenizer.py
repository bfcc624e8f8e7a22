import pytest
import sentencepiece as spm
import tensorflow as tf

from keras_albert.tokenizer import AlbertTokenizer, normalize, train_vocab

TRICKY = ["Café déjà vu, naïve ÉCOLE!", "  lots   of\tspace\u00a0and\u2003unicode  ", "``quoted'' text",
          "1,000,000 dollars; 3.14 pi", "ﬁne ligatures", "Straße", "", "   "]


def test_special_ids(tokenizer):
    for piece, i in {"<pad>": 0, "<unk>": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}.items():
        assert tokenizer.piece_to_id(piece) == i and tokenizer.id_to_piece(i) == piece


def test_matches_sentencepiece_library_on_real_sentences(spiece_path, tokenizer, rt_texts):
    sp = spm.SentencePieceProcessor(model_file=spiece_path)
    texts = rt_texts[0][:2000] + TRICKY
    assert [tokenizer.tokenize(t) for t in texts] == [sp.encode(normalize(t)) for t in texts]


def test_vocabulary_normalizes_by_itself(spiece_path, tokenizer, rt_texts):
    """A runtime that feeds raw text to sp.Encode (MediaPipe on Android) gets our ids."""
    sp = spm.SentencePieceProcessor(model_file=spiece_path)
    texts = rt_texts[0][:1000] + ["CAFÉ Déjà VU", "NAÏVE Ångström"]
    same = sum(tokenizer.tokenize(t) == sp.encode(t) for t in texts)
    assert same == len(texts)


def test_graph_tokenizer_equals_python(tokenizer, rt_texts):
    texts = rt_texts[0][:2000] + TRICKY
    graph = tokenizer.tokenize_tf(tf.constant(texts)).to_list()
    assert graph == [tokenizer.tokenize(t) for t in texts]


def test_normalize_follows_albert():
    assert normalize("  Café\tDÉJÀ  ``vu''  ") == 'cafe deja "vu"'
    assert normalize("") == ""


def test_special_tokens_in_text(tokenizer):
    ids = tokenizer.tokenize("hello i'm a [MASK] model.")
    assert ids.count(4) == 1 and ids[:len(tokenizer.tokenize("hello i'm a"))] == tokenizer.tokenize("hello i'm a")
    assert tokenizer.tokenize("[CLS] a [SEP]")[0] == 2 and tokenizer.tokenize("[CLS] a [SEP]")[-1] == 3


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
        train_vocab(["", "  "], vocab_size=10)


def test_non_albert_vocabulary_is_refused(tmp_path, rt_texts):
    prefix = str(tmp_path / "plain")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(rt_texts[0][:2000]), model_prefix=prefix, vocab_size=300,
                                   minloglevel=2)
    with pytest.raises(ValueError, match="not an ALBERT vocabulary"):
        AlbertTokenizer.from_file(prefix + ".model")
