"""`keras-albert finetune --mixed-precision mixed_bfloat16 --strategy mirrored` for the tasks beyond
classification (token classification, question answering): the one training path trains them in bfloat16 under
MirroredStrategy (one CPU device here), and the saved model loads and scores its held-out split as the report says."""
import json
import os

import keras
import numpy as np
import pytest
from conftest import tiny_config
from test_finetune_tasks import _squad, _tagged

from keras_albert import AlbertBackbone, metrics
from keras_albert.model_dir import HELDOUT, HELDOUT_SQUAD, load_model_dir, save_model_dir
from keras_albert.readers import read_squad
from keras_albert_cli.cli import main

FLAGS = ["--epochs", "1", "--batch-size", "8", "--learning-rate", "1e-3", "--verbose", "0",
         "--mixed-precision", "mixed_bfloat16", "--strategy", "mirrored"]


@pytest.fixture
def trained(monkeypatch):
    """The models `finetune` builds to train: their dtype policy and the strategy whose scope built them."""
    import tensorflow as tf

    import importlib
    module = importlib.import_module("keras_albert.training.finetune")
    seen, rebuild = [], module._rebuild

    def spy(model, mixed_precision):
        clone = rebuild(model, mixed_precision)
        seen.append((clone.backbone.embeddings.dtype_policy.name, type(tf.distribute.get_strategy()).__name__,
                     clone.backbone.embeddings.compute_dtype))
        return clone
    monkeypatch.setattr(module, "_rebuild", spy)
    return seen


@pytest.fixture
def base(tmp_path, tokenizer):
    keras.utils.set_random_seed(0)
    path = str(tmp_path / "base")
    save_model_dir(path, AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, num_hidden_layers=2)), tokenizer)
    return path


def _heldout(out):
    return [json.loads(line) for line in open(os.path.join(out, HELDOUT), encoding="utf-8")]


def _check_model(out, class_name, trained):
    """Trained in bfloat16 under MirroredStrategy; saved with float32 weights; the loss is finite."""
    assert trained == [("mixed_bfloat16", "MirroredStrategy", "bfloat16")]
    model, tokenizer, labels = load_model_dir(out)
    assert type(model).__name__ == class_name
    assert all(v.dtype == "float32" for v in model.weights)
    assert keras.config.dtype_policy().name == "float32"  # the process-wide policy is left as it was
    report = json.load(open(os.path.join(out, "report.json")))
    assert np.isfinite(report["history"]["loss"]).all() and len(report["history"]["loss"]) == 1
    return model, tokenizer, labels, report


def test_token_classification_bfloat16_mirrored(tmp_path, base, trained, tokenizer, rt_texts, capsys):
    from keras_albert.features import token_features
    data = tmp_path / "ner.jsonl"
    data.write_text("".join(json.dumps({"tokens": w, "tags": t}) + "\n" for w, t in _tagged(rt_texts, 80)))
    out = str(tmp_path / "out")
    assert main(["finetune", "--task", "token_classification", "--model", base, "--data", str(data), "--out", out,
                 "--sequence-length", "32", *FLAGS]) == 0, capsys.readouterr().err
    model, tokenizer, labels, report = _check_model(out, "AlbertTokenClassifier", trained)
    heldout = _heldout(out)
    f = token_features(tokenizer, heldout, labels, 32)
    predicted = f.decode(f, model.predict(f.inputs, verbose=0))
    assert [len(p) for p in predicted] == [len(r["tokens"]) for r in heldout]
    assert report["test"]["f1"] == pytest.approx(metrics.evaluate("token_classification", f.gold, predicted)["f1"])


def test_question_answering_bfloat16_mirrored(tmp_path, base, trained, tokenizer, rt_texts, capsys):
    from keras_albert.features import answer_features
    data = _squad(tmp_path / "squad.json", rt_texts, 40)
    out = str(tmp_path / "out")
    assert main(["finetune", "--task", "question_answering", "--model", base, "--data", data, "--out", out,
                 "--sequence-length", "48", *FLAGS]) == 0, capsys.readouterr().err
    model, tokenizer, _, report = _check_model(out, "AlbertQuestionAnswerer", trained)
    heldout = read_squad(os.path.join(out, HELDOUT_SQUAD))  # question answering keeps its held-out split as SQuAD
    f = answer_features(tokenizer, heldout, None, 48)
    outputs = model.predict(f.inputs, verbose=0)
    assert all(np.isfinite(v).all() for v in outputs.values())
    predicted = f.decode(f, outputs)
    assert set(predicted) == {r["id"] for r in heldout}
    assert report["test"]["f1"] == pytest.approx(metrics.evaluate("question_answering", heldout, predicted)["f1"])
