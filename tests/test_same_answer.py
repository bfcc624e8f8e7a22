"""Same text -> same ids -> same answer on every path a user can reach from Python, for one small exported
classifier: the Python tokenizer + `pack` + TFLite (float32, dynamic_int8), `classify`'s tokenizer (the vocabulary
packed in the .tflite), the SavedModel's raw-string signature, MediaPipe's TextClassifier on the file with
metadata, the Android demo's Java core, the Keras model via AlbertPreprocessor, and `pipeline("text-classification")`.

Two vocabularies: one from `train_vocab` (normalization compiled in) and one trained as ALBERT's `30k-clean.model`
(SentencePiece's default nmt_nfkc, as a converted checkpoint brings it).
"""
import re

import numpy as np
import pytest
from odd_text import LONG_TEXT, ODD_TEXTS, has_lone_surrogate, original_like_vocab

from conftest import tiny_config

LABELS = ("negative", "positive")
LENGTH = 64  # the export's sequence length and the model's position table
TEXTS = ODD_TEXTS + [LONG_TEXT, "a gorgeous, witty film .", "the plot drags and the jokes fall flat ."]


def _as_bytes(text):
    """What a bytes API (the SavedModel) is given for this text: argv's surrogate escapes as the bytes they stand
    for, other lone surrogates as the only bytes Python writes for them (surrogatepass: invalid UTF-8 too)."""
    return b"".join(bytes([ord(c) - 0xDC00]) if "\udc80" <= c <= "\udcff" else c.encode("utf-8", "surrogatepass")
                    for c in text)


@pytest.fixture(scope="module", params=["train_vocab", "original"])
def exported(request, tmp_path_factory, spiece_path, rt_texts):
    """A random-init small classifier (decisive: large initial weights) and its exports."""
    import keras

    from keras_albert_export.metadata import add_metadata
    from keras_albert_export.savedmodel import export_savedmodel
    from keras_albert_export.tflite import convert
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.tokenizer import AlbertTokenizer

    out = tmp_path_factory.mktemp(f"same_answer_{request.param}")
    spiece = spiece_path if request.param == "train_vocab" else original_like_vocab(rt_texts[0][:4000],
                                                                                    out / "30k-like.model")
    tokenizer = AlbertTokenizer.from_file(spiece)
    keras.utils.set_random_seed(3)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2,
                                                        max_position_embeddings=LENGTH)), 2)
    files = {}
    for variant in ("float32", "dynamic_int8"):
        files[variant] = out / f"model_{variant}.tflite"
        files[variant].write_bytes(add_metadata(convert(model, variant, sequence_length=LENGTH), spiece, LABELS))
    export_savedmodel(model, tokenizer, LABELS, str(out / "saved_model"), sequence_length=LENGTH)
    return {"spiece": spiece, "tokenizer": tokenizer, "model": model, "files": files,
            "saved_model": str(out / "saved_model")}


def _python_ids(tokenizer, text):
    from keras_albert_export.runtime import pack
    return pack(tokenizer, text, LENGTH)["ids"][0].tolist()


def _tflite(path, tokenizer, whole_text=False):
    from keras_albert_export.runtime import TFLiteClassifier, pack
    classifier = TFLiteClassifier(str(path))
    return np.asarray([classifier(pack(tokenizer, t, 10**6 if whole_text else LENGTH)) for t in TEXTS])


def test_ids_agree_across_python_paths(exported):
    """Ids where a path exposes them: the Python tokenizer, the in-graph AlbertPreprocessor (SavedModel, tf.data,
    Keras), `classify`'s tokenizer over the vocabulary packed in the .tflite (MediaPipe's copy)."""
    from keras_albert_cli.commands.classify import load
    from keras_albert.preprocessor import AlbertPreprocessor
    tokenizer = exported["tokenizer"]
    expected = [_python_ids(tokenizer, t) for t in TEXTS]
    graph = AlbertPreprocessor(tokenizer, LENGTH)(TEXTS)
    assert [row[row != 0].tolist() for row in graph["token_ids"].numpy()] == expected
    for variant, path in exported["files"].items():
        _, packed_tokenizer, labels = load(str(path))
        assert labels == list(LABELS) and packed_tokenizer.raw_text
        assert [_python_ids(packed_tokenizer, t) for t in TEXTS] == expected
    long_ids = expected[TEXTS.index(LONG_TEXT)]
    assert len(long_ids) == LENGTH and long_ids[-1] == 3  # cut, [SEP] kept
    literal = expected[TEXTS.index("a [MASK] b [CLS][SEP] [cls] [MASK]")]
    assert not {2, 3, 4} & set(literal[1:-1])  # user text is text


def test_probabilities_agree_across_float_paths(exported):
    """TFLite float32 on our ids, on the whole text (the graph cuts it), MediaPipe, the SavedModel on raw bytes,
    and Keras: probabilities within 1e-5, hence the same labels."""
    import tensorflow as tf
    import tensorflow_text  # noqa: F401

    from keras_albert.preprocessor import AlbertPreprocessor
    tokenizer, path = exported["tokenizer"], exported["files"]["float32"]
    ours = _tflite(path, tokenizer)
    assert np.abs(ours[:, 0] - 0.5).max() > 0.1  # decisions, not coin flips
    np.testing.assert_allclose(_tflite(path, tokenizer, whole_text=True), ours, atol=1e-5)
    np.testing.assert_allclose(_mediapipe(path, TEXTS), ours, atol=1e-5)
    served = tf.saved_model.load(exported["saved_model"]).signatures["serving_default"](
        text=tf.constant([_as_bytes(t) for t in TEXTS]))
    np.testing.assert_allclose(served["probabilities"].numpy(), ours, atol=1e-5)
    assert [x.decode() for x in served["label"].numpy()] == [LABELS[i] for i in ours.argmax(-1)]
    inputs = {k: v.numpy() for k, v in AlbertPreprocessor(tokenizer, LENGTH)(TEXTS).items()}
    logits = np.asarray(exported["model"].predict(inputs, verbose=0), np.float64)
    keras_probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(keras_probabilities, ours, atol=1e-5)


def test_int8_paths_agree(exported):
    """dynamic_int8: MediaPipe and our runtime run the same file to the same scores; its labels are the float
    model's wherever the float model is not near a tie."""
    tokenizer = exported["tokenizer"]
    int8 = _tflite(exported["files"]["dynamic_int8"], tokenizer)
    np.testing.assert_allclose(_mediapipe(exported["files"]["dynamic_int8"], TEXTS), int8, atol=1e-5)
    np.testing.assert_allclose(_tflite(exported["files"]["dynamic_int8"], tokenizer, whole_text=True), int8,
                               atol=1e-5)
    float32 = _tflite(exported["files"]["float32"], tokenizer)
    clear = np.abs(float32[:, 0] - float32[:, 1]) > 0.05
    assert clear.mean() > 0.5 and (int8.argmax(-1) == float32.argmax(-1))[clear].all()
    assert np.abs(int8 - float32).max() < 0.05


def test_pipeline_agrees_on_every_text(exported):
    """`pipeline("text-classification")` on the Keras model: by default it truncates over-long text as the
    exported paths do (first pieces + [SEP] at the position table, which is the export's length here)."""
    from keras_albert import pipeline
    tokenizer = exported["tokenizer"]
    assert any(len(tokenizer.tokenize(t)) > LENGTH - 2 for t in TEXTS)
    expected = _tflite(exported["files"]["float32"], tokenizer)
    results = pipeline("text-classification", model=exported["model"], tokenizer=tokenizer, labels=list(LABELS))(
        TEXTS, top_k=None)
    for result, probabilities in zip(results, expected):
        scores = {r["label"]: r["score"] for r in result}
        np.testing.assert_allclose([scores[name] for name in LABELS], probabilities, atol=1e-5)


def test_java_core_gives_the_same_ids(spiece_path, tokenizer, tmp_path, java_classpath):
    """The Android demo's pure-Java tokenizer and packer on the same corpus, with the train_vocab vocabulary (the
    Java normalizer stands in for its compiled character map; a checkpoint's nmt_nfkc vocabulary reaches Android
    through MediaPipe, whose packed copy is checked above)."""
    from java_core import run_junit

    from keras_albert_export import android_golden
    android_golden.write_vocabulary(spiece_path, str(tmp_path / android_golden.VOCAB_FILE))
    lines = android_golden.write_golden(tokenizer, str(tmp_path / android_golden.GOLDEN_FILE), LENGTH,
                                        cases=[(f"text_{i}", t) for i, t in enumerate(TEXTS)])
    passed, failed, done = run_junit(java_classpath, f"-Dalbert.golden.dir={tmp_path}")
    assert failed == 0 and done.returncode == 0 and passed >= lines, done.stdout
    assert re.search(r"^tokenize\ttext_\d+\tlone \\uD800 high", (tmp_path / android_golden.GOLDEN_FILE).read_text(),
                     re.MULTILINE)


def _mediapipe(path, texts):
    """MediaPipe's TextClassifier scores in LABELS order. Its Python API refuses lone surrogates (it encodes to
    UTF-8 strictly), so it gets what the Android app hands it: the text after `valid_text` (Java: TextInput)."""
    from mediapipe.tasks.python import text
    from mediapipe.tasks.python.core.base_options import BaseOptions

    from keras_albert.tokenizer import valid_text
    options = text.TextClassifierOptions(base_options=BaseOptions(model_asset_path=str(path)))
    rows = []
    with text.TextClassifier.create_from_options(options) as classifier:
        for t in texts:
            if has_lone_surrogate(t):
                with pytest.raises(UnicodeEncodeError):
                    classifier.classify(t)
            categories = classifier.classify(valid_text(t)).classifications[0].categories
            scores = {c.category_name: c.score for c in categories}
            rows.append([scores[name] for name in LABELS])
    return np.asarray(rows)
