"""SavedModel: raw-string and token-id signatures, loaded in a fresh process that never imports keras_albert."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from export_common import LABELS, MAX_LENGTH, held_out, keras_probabilities, trained_classifier
from odd_text import ODD_TEXTS, has_lone_surrogate

HERE = os.path.dirname(__file__)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, spiece_path):
    from keras_albert_export.savedmodel import export_savedmodel
    model, tokenizer = trained_classifier(spiece_path)
    path = str(tmp_path_factory.mktemp("sm") / "saved_model")
    export_savedmodel(model, tokenizer, LABELS, path, sequence_length=512)
    return path, model, tokenizer


def test_fresh_process_matches_keras(exported):
    from keras_albert.preprocessor import AlbertPreprocessor
    path, model, tokenizer = exported
    long_text = " ".join(held_out(20))  # far beyond 128 tokens: truncated, not an error
    texts = held_out(8) + ["", "   ", "Une comédie très réussie, vraiment.", long_text] + [
        t for t in ODD_TEXTS if not has_lone_surrogate(t)]  # JSON carries text; bytes: tests/test_same_answer.py
    ids = {k: v.numpy().tolist() for k, v in AlbertPreprocessor(tokenizer, 40)(held_out(3)).items()}
    done = subprocess.run([sys.executable, os.path.join(HERE, "export_scripts", "load_savedmodel.py"), path],
                          input=json.dumps({"texts": texts, "ids": ids}), capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["imported_keras_albert"] is False

    # The export asked for 512 but the position table is 128 long: the serving length is capped there
    # and over-long text is truncated.
    expected = keras_probabilities(model, tokenizer, texts, MAX_LENGTH)
    np.testing.assert_allclose(out["probabilities"], expected, atol=1e-5)
    assert out["label"] == [LABELS[i] for i in expected.argmax(-1)]
    np.testing.assert_allclose(out["probabilities"][8], out["probabilities"][9], atol=1e-5)  # "" == "   "
    # ... and equal to Keras on the Python tokenizer's ids (`pack`): the graph's tokenizer gives the same ids
    np.testing.assert_allclose(out["probabilities"], _on_python_ids(model, tokenizer, texts), atol=1e-5)
    np.testing.assert_allclose(out["ids_probabilities"], keras_probabilities(model, tokenizer, held_out(3), 40),
                               atol=1e-5)


def _on_python_ids(model, tokenizer, texts):
    from keras_albert_export.runtime import pack
    rows = []
    for text in texts:
        ids = pack(tokenizer, text, MAX_LENGTH)["ids"]
        inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}
        logits = np.asarray(model(inputs), np.float64)[0]
        rows.append(np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum())
    return np.asarray(rows)


def test_saved_model_cli_lists_both_signatures(exported):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    done = subprocess.run([cli, "show", "--dir", exported[0], "--tag_set", "serve"], capture_output=True,
                          text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"serving_default"' in done.stdout and '"token_ids"' in done.stdout


def test_refuses_to_overwrite(exported, spiece_path):
    from keras_albert_export.savedmodel import export_savedmodel
    model, tokenizer = trained_classifier(spiece_path)
    with pytest.raises(FileExistsError):
        export_savedmodel(model, tokenizer, LABELS, exported[0])
    with pytest.raises(ValueError, match="labels"):
        export_savedmodel(model, tokenizer, ["only-one"], exported[0] + "-x")
