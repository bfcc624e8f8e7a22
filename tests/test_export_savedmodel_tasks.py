"""The raw-string SavedModel of every exported task, loaded in a fresh process that imports only tensorflow and
tensorflow_text: question answering and token classification return logits with each piece's character offsets
into the original text (equal to the Python tokenizer's), pair classification takes two strings. Each compares
with the Keras model on the Python packer's encoding."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import tiny_config
from odd_text import ODD_TEXTS, has_lone_surrogate

HERE = os.path.dirname(__file__)
TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")
# accented, uppercase, runs of whitespace, emoji, quotes, ligatures: where byte offsets and characters part
TEXTS = ["Ｔhe CAFÉ in São Paulo opened in 1998.", "Zoë   met\tTom  in ÉCOLE ÉLÉMENTAIRE!",
         "emoji 👍🏽 ok 😀 ❤️ fine", "``quoted'' text", "ﬁne ½ e\u0301 naïve", "", "   "] + [t for t in ODD_TEXTS if not has_lone_surrogate(t)]


def _load(path, inputs):
    done = subprocess.run([sys.executable, os.path.join(HERE, "export_scripts", "load_task_savedmodel.py"), path],
                          input=json.dumps(inputs), capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["imported_keras_albert"] is False
    assert out["inputs"] == sorted(inputs)
    return {k: np.asarray(v) if k not in ("label", "label_names") else v for k, v in out["outputs"].items()}


def _model(kind, vocab_size, seed, *args):
    import keras

    from keras_albert import AlbertBackbone
    keras.utils.set_random_seed(seed)
    return kind(AlbertBackbone(tiny_config(vocab_size=vocab_size, initializer_range=0.2)), *args)


def _keras(model, encodings):
    """The Keras model's outputs on the Python packer's rows, one row at a time (no padding)."""
    from keras_albert.packing import pad
    return [model(pad([e]), training=False) for e in encodings]


def _python_offsets(row, segment):
    """The packer's offsets of one segment's pieces; (-1, -1) everywhere else (the SavedModel's convention)."""
    return [list(o) if s == segment else [-1, -1] for o, s in zip(row.offsets, row.sequence_ids)]


@pytest.fixture(scope="module")
def qa(tmp_path_factory, tokenizer):
    from keras_albert.tasks.question_answering import AlbertQuestionAnswerer
    from keras_albert_export.savedmodel import export_savedmodel
    model = _model(AlbertQuestionAnswerer, tokenizer.vocab_size, 3)
    path = str(tmp_path_factory.mktemp("qa") / "saved_model")
    export_savedmodel(model, tokenizer, None, path, sequence_length=40)
    return model, path


def test_question_answering_savedmodel(qa, tokenizer, rt_texts):
    from keras_albert.packing import pack
    model, path = qa
    contexts = TEXTS + [" ".join(rt_texts[0][:6])]  # the last: far longer than 40 pieces, cut to one window
    questions = ["Where is IT?", "who   met Zoë?", "what?"] * (len(contexts) // 3 + 1)
    questions = questions[:len(contexts)]
    out = _load(path, {"question": questions, "context": contexts})
    rows = [pack(tokenizer, q, c, max_length=40, truncation="only_second")[0] for q, c in zip(questions, contexts)]
    assert len(rows[-1]) == 40 and out["token_ids"].shape[1] == 40
    for i, (row, expected) in enumerate(zip(rows, _keras(model, rows))):
        n = len(row)
        assert out["token_ids"][i, :n].tolist() == row.ids, contexts[i]
        assert (out["token_ids"][i, n:] == 0).all()
        assert out["offsets"][i, :n].tolist() == _python_offsets(row, 1), contexts[i]
        assert (out["offsets"][i, n:] == -1).all()
        for name in ("start_logits", "end_logits"):
            np.testing.assert_allclose(out[name][i, :n], np.asarray(expected[name])[0], atol=1e-4)
    # offsets cut the pieces out of the ORIGINAL context
    i = contexts.index("Ｔhe CAFÉ in São Paulo opened in 1998.")
    spans = [contexts[i][a:b] for a, b in out["offsets"][i].tolist() if a >= 0]
    assert spans[0] == "Ｔhe" and "São" in "".join(spans) and "CAFÉ" in "".join(spans)


@pytest.fixture(scope="module")
def tagger(tmp_path_factory, tokenizer):
    from keras_albert.tasks.token_classification import AlbertTokenClassifier
    from keras_albert_export.savedmodel import export_savedmodel
    model = _model(AlbertTokenClassifier, tokenizer.vocab_size, 4, len(TAGS))
    path = str(tmp_path_factory.mktemp("tag") / "saved_model")
    export_savedmodel(model, tokenizer, list(TAGS), path, sequence_length=48)
    return model, path


def test_token_classification_savedmodel(tagger, tokenizer, rt_texts):
    from keras_albert.packing import pack
    model, path = tagger
    texts = TEXTS + [" ".join(rt_texts[0][:6])]
    out = _load(path, {"text": texts})
    assert out["label_names"] == list(TAGS)
    rows = [pack(tokenizer, t, max_length=48)[0] for t in texts]
    assert len(rows[-1]) == 48 and out["logits"].shape == (len(texts), 48, len(TAGS))
    for i, (row, expected) in enumerate(zip(rows, _keras(model, rows))):
        n = len(row)
        assert out["token_ids"][i, :n].tolist() == row.ids, texts[i]
        assert out["offsets"][i, :n].tolist() == _python_offsets(row, 0), texts[i]
        assert (out["offsets"][i, n:] == -1).all()
        np.testing.assert_allclose(out["logits"][i, :n], np.asarray(expected)[0], atol=1e-4)
        assert out["label"][i][:n] == [TAGS[j] for j in np.asarray(expected)[0].argmax(-1)]


@pytest.fixture(scope="module")
def pair(tmp_path_factory, tokenizer):
    from keras_albert import AlbertClassifier
    from keras_albert_export.savedmodel import export_savedmodel
    model = _model(AlbertClassifier, tokenizer.vocab_size, 5, 3)
    path = str(tmp_path_factory.mktemp("pair") / "saved_model")
    export_savedmodel(model, tokenizer, ["entailment", "neutral", "contradiction"], path, sequence_length=32,
                      pairs=True)
    return model, path


def test_pair_classification_savedmodel(pair, tokenizer, rt_texts):
    from keras_albert.packing import pack
    model, path = pair
    firsts = TEXTS[:8] + [" ".join(rt_texts[0][:4]), "short", rt_texts[0][9]]
    seconds = list(reversed(TEXTS[:8])) + ["a short one", " ".join(rt_texts[0][4:8]), rt_texts[0][10]]
    out = _load(path, {"text": firsts, "text_pair": seconds})
    rows = [pack(tokenizer, a, b, max_length=32, offsets=False)[0] for a, b in zip(firsts, seconds)]
    assert max(len(r) for r in rows) == 32  # both cut, longest first
    logits = np.concatenate([np.asarray(x, np.float64) for x in _keras(model, rows)])
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(out["probabilities"], expected, atol=1e-4)
    assert out["label_id"].tolist() == expected.argmax(-1).tolist()
    assert out["label"] == [["entailment", "neutral", "contradiction"][j] for j in expected.argmax(-1)]


def test_pairs_only_for_classifiers(qa, tokenizer, tmp_path):
    from keras_albert_export.savedmodel import export_savedmodel
    with pytest.raises(ValueError, match="pairs are for classifiers"):
        export_savedmodel(qa[0], tokenizer, None, str(tmp_path / "sm"), pairs=True)


@pytest.mark.parametrize("vocabulary", ["trained", "original_like"])
def test_graph_offsets_equal_the_python_tokenizers(vocabulary, tokenizer, rt_texts, tmp_path):
    """The graph's offsets rules on both kinds of vocabulary (ours with the normalization compiled in; one trained
    as the original ALBERT's, nmt_nfkc and user-defined symbols), and on bytes that are not UTF-8."""
    import tensorflow as tf

    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert_export.offsets_graph import OffsetTokenizer
    from odd_text import original_like_vocab
    if vocabulary == "original_like":
        tokenizer = AlbertTokenizer.from_file(original_like_vocab(rt_texts[0], tmp_path / "spiece.model"))
    texts = TEXTS + list(rt_texts[0][:100]) + ["a (quoted) £5 – €6 \"x\" -y."]
    raw = [t.encode("utf-8") for t in texts] + [b"caf\xc3 \xff\xfe bytes", b"\xe2\x82a truncated"]
    ids, starts, ends = OffsetTokenizer(tokenizer)(tf.constant(raw))
    for i, data in enumerate(raw):
        text = data.decode("utf-8", "replace")  # what every path reads invalid UTF-8 as
        expected_ids, expected_offsets = tokenizer.tokenize_with_offsets(text)
        assert ids[i].numpy().tolist() == expected_ids, text
        assert list(zip(starts[i].numpy().tolist(), ends[i].numpy().tolist())) == \
            [tuple(o) for o in expected_offsets], text
