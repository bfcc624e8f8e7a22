"""`keras-albert export` and `keras-albert classify` on a model directory the test writes."""
import json
import os
import sys

import numpy as np
import pytest

from export_common import LABELS, MAX_LENGTH, held_out, keras_probabilities, trained_classifier


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, spiece_path):
    from keras_albert.model_dir import save_model_dir
    model, tokenizer = trained_classifier(spiece_path)
    return save_model_dir(str(tmp_path_factory.mktemp("cli") / "model"), model, tokenizer, LABELS)


@pytest.fixture(scope="module")
def exported(model_dir, tmp_path_factory):
    from keras_albert.cli import main
    out = str(tmp_path_factory.mktemp("cli") / "export")
    rc = main(["export", model_dir, "--out", out, "--variants", "float32,dynamic_int8", "--limit", "150",
               "--metadata", "off"])
    return out, rc


def test_export_writes_everything(exported):
    out, rc = exported
    names = set(os.listdir(out))
    assert {"saved_model", "model_float32.tflite", "model_dynamic_int8.tflite", "report.md", "report.json",
            "latency.png", "spiece.model", "labels.txt"} <= names
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    assert report["test_sentences"] == 150
    for variant in ("float32", "dynamic_int8"):
        r = report["variants"][variant]
        assert r["size_mb"] == pytest.approx(os.path.getsize(os.path.join(out, r["file"])) / 2**20, abs=1e-3)
        assert sorted(r["latency_ms"]) == ["1", "2"] and sorted(map(int, r["latency_ms"]["1"])) == [16, 32, 64, 128]
        assert all(ms > 0 for row in r["latency_ms"].values() for ms in row.values())
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0
    drop = report["keras"]["accuracy"] - report["variants"]["dynamic_int8"]["accuracy"]
    assert rc == (1 if drop > 1.0 else 0)  # the gate, at its default margin
    with open(os.path.join(out, "report.md")) as f:
        text = f.read()
    assert "| dynamic_int8 |" in text and "seq 128" in text


def test_export_gate_and_refusals(exported, model_dir, tmp_path, capsys):
    from keras_albert.cli import main
    out, _ = exported
    assert main(["export", model_dir, "--out", out, "--variants", "float32"]) == 2  # never overwrites silently
    assert "already exists" in capsys.readouterr().err
    assert main(["export", model_dir, "--out", str(tmp_path / "x"), "--variants", "int4"]) == 2
    # A margin nothing can meet: int8 must then fail the export with a non-zero exit.
    assert main(["export", model_dir, "--out", str(tmp_path / "gate"), "--variants", "dynamic_int8",
                 "--limit", "20", "--metadata", "off", "--max-accuracy-drop", "-101"]) == 1
    assert "lost too much accuracy" in capsys.readouterr().err


def test_classify_prints_label_and_probability(exported, spiece_path, capsys):
    from export.runtime import TFLiteClassifier, pack
    from keras_albert.cli import main
    model, tokenizer = trained_classifier(spiece_path)
    path = os.path.join(exported[0], "model_float32.tflite")
    sentences = held_out(3)
    assert main(["classify", path] + sentences) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    expected = keras_probabilities(model, tokenizer, sentences, MAX_LENGTH)
    assert len(lines) == 3
    for line, probs, sentence in zip(lines, expected, sentences):
        label, p, text = line.split("\t")
        assert label == LABELS[int(probs.argmax())] and text == sentence
        assert float(p) == pytest.approx(probs.max(), abs=1e-4)
    direct = TFLiteClassifier(path)(pack(tokenizer, sentences[0], MAX_LENGTH))
    assert float(lines[0].split("\t")[1]) == pytest.approx(direct.max(), abs=1e-4)
    assert main(["classify", path, "--weight-cache"] + sentences) == 0  # the CompiledModel path: same lines
    assert capsys.readouterr().out.strip().splitlines() == lines


def test_classify_errors(exported, tmp_path, monkeypatch, capsys):
    from keras_albert.cli import main
    assert main(["classify", str(tmp_path / "missing.tflite"), "x"]) == 2
    (tmp_path / "junk.tflite").write_bytes(b"not a model at all")
    assert main(["classify", str(tmp_path / "junk.tflite"), "x"]) == 2
    for name in ("ai_edge_litert", "ai_edge_litert.interpreter", "tflite_runtime", "tflite_runtime.interpreter"):
        monkeypatch.setitem(sys.modules, name, None)  # neither runtime importable
    capsys.readouterr()
    assert main(["classify", os.path.join(exported[0], "model_float32.tflite"), "x"]) == 2
    assert "no TFLite runtime installed" in capsys.readouterr().err
