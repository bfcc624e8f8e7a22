"""MediaPipe TextClassifier on the exported file: the model the Android demo loads behaves as the app expects."""
import numpy as np
import pytest

from export_common import (LABELS, MAX_LENGTH, held_out, keras_probabilities, mediapipe_scores,
                           trained_classifier, trained_tflite)
from odd_text import ODD_TEXTS

ACCENTED = ["Café crème: très, très réussi.", "Ein schönes Märchen für Groß und Klein.", "ÉNORME déception, naïf",
            "Ångström-level détail in an otherwise dull façade", "mañana nunca llega"]


@pytest.fixture(scope="module")
def files(tmp_path_factory, spiece_path):
    from keras_albert_export.metadata import add_metadata
    out = {}
    for variant in ("float32", "dynamic_int8"):
        path = tmp_path_factory.mktemp("md") / f"model_{variant}.tflite"
        path.write_bytes(add_metadata(trained_tflite(spiece_path, variant), spiece_path, LABELS))
        out[variant] = str(path)
    return out


def _mediapipe_scores(path, texts):
    return mediapipe_scores(path, texts, LABELS)


@pytest.mark.parametrize("variant", ["float32", "dynamic_int8"])
def test_mediapipe_equals_our_runtime(files, spiece_path, variant):
    from keras_albert_export.runtime import TFLiteClassifier, associated_files, pack
    from keras_albert.tokenizer import valid_text
    _, tokenizer = trained_classifier(spiece_path)
    with open(files[variant], "rb") as f:
        content = f.read()
    packed = associated_files(content)
    assert packed["labels.txt"].decode().split() == list(LABELS)
    assert packed["spiece.model"] == tokenizer.model_proto
    texts = held_out(40) + ACCENTED + ODD_TEXTS + ["", " ".join(held_out(30))]  # the last one: far past 128 tokens
    ours = TFLiteClassifier(model_content=content)
    # MediaPipe passes a dynamic-length model the whole text; the model cuts it as `pack` does, keeping [SEP].
    # Literal [MASK] is text on both sides; MediaPipe gets lone surrogates as U+FFFD, as the app hands them.
    expected = np.asarray([ours(pack(tokenizer, t, MAX_LENGTH)) for t in texts])
    np.testing.assert_allclose(_mediapipe_scores(files[variant], [valid_text(t) for t in texts]), expected, atol=1e-5)


def test_mediapipe_top_label_equals_keras(files, spiece_path):
    """Issue 6 item 3: the shipped file (dynamic-range int8 with metadata) labels held-out text as Keras does."""
    model, tokenizer = trained_classifier(spiece_path)
    texts = held_out(150)
    keras_top = keras_probabilities(model, tokenizer, texts).argmax(-1)
    assert (_mediapipe_scores(files["float32"], texts).argmax(-1) == keras_top).all()
    assert (_mediapipe_scores(files["dynamic_int8"], texts).argmax(-1) == keras_top).mean() >= 0.98


def test_vocab_normalizes_like_albert_tokenizer(tokenizer, rt_texts):
    """MediaPipe lowercases ASCII only and calls sp.Encode; vocabularies from train_vocab carry our
    normalization (NFKD, drop accents, lowercase) inside, so both paths give the same ids."""
    accented = [t for t in rt_texts[0] if any(ord(c) > 127 for c in t)][:200] + ACCENTED
    assert len(accented) > 50
    ascii_lower = lambda s: "".join(c.lower() if c.isascii() else c for c in s)  # noqa: E731
    for text in accented:
        assert tokenizer.sp.encode(ascii_lower(text)) == tokenizer.tokenize(text), text
