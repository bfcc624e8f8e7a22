"""`keras-albert quickstart`, the main job, end to end: the real command in a subprocess, and its int8 gate
failing for real (exit 1, nothing shippable under the good name)."""
import json
import os

import pytest

from cli_common import NOISE, run_cli

QUICK = ["--limit", "200", "--epochs", "1", "--vocab-size", "500", "--sequence-length", "32"]


@pytest.mark.slow
def test_quickstart_end_to_end(tmp_path):
    out = tmp_path / "qs"
    rc, stdout, stderr = run_cli("quickstart", "--out", out, *QUICK, "--max-accuracy-drop", "100")
    assert (rc, stderr) == (0, ""), stderr[-3000:]
    lines = stdout.splitlines()
    assert not [line for line in lines if NOISE.search(line)], stdout
    assert any(line.startswith("fine-tuning ") and line.endswith(" for 1 epochs on 200 sentences") for line in lines)
    assert "Held-out set: 200 sentences from the model's heldout.jsonl; Keras float accuracy" in stdout
    assert ".partial" not in stdout  # paths as the user will find them, not the staging folder's
    assert "Gate (at most 100 points lost): passed." in stdout
    shipped = out / "export" / "model_dynamic_int8.tflite"
    examples = lines[lines.index(f"classifying with dynamic_int8 TFLite ({shipped}):") + 1:][:3]
    assert [line.split()[0] for line in examples] != [] and all(line.split()[0] in ("negative", "positive")
                                                                for line in examples)
    assert lines[-1].endswith(f"classify {shipped} \"your sentence\"")
    assert sorted(os.listdir(tmp_path)) == ["qs"]  # nothing staged or rejected left beside it
    assert {"model.keras", "labels.txt", "spiece.model", "heldout.jsonl"} <= set(os.listdir(out / "model"))
    report = json.loads((out / "export" / "report.json").read_text())
    assert report["test_sentences"] == 200 and report["gate"]["passed"] is True
    rc, stdout, stderr = run_cli("quickstart", "--out", out, *QUICK)  # never over an earlier run
    assert rc == 2 and "--overwrite" in stderr and stderr.count("\n") == 1


@pytest.mark.slow
def test_quickstart_int8_that_loses_fails_and_ships_nothing(tmp_path, monkeypatch, capsys):
    """An int8 file that answers the opposite class: the real gate must turn that into exit 1 and move
    everything to OUT.rejected."""
    import keras_albert_export.report
    from keras_albert_cli.cli import main
    real = keras_albert_export.report.tflite_predictions

    def broken_int8(path, *args, **kwargs):
        predictions = real(path, *args, **kwargs)
        return 1 - predictions if "int8" in os.path.basename(path) else predictions

    monkeypatch.setattr(keras_albert_export.report, "tflite_predictions", broken_int8)
    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), *QUICK, "--variants", "dynamic_int8"]) == 1  # the gated file only
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dynamic_int8 lost" in err[0] and f"{out}.rejected" in err[0]
    assert not out.exists()
    rejected = tmp_path / "qs.rejected"
    assert (rejected / "REJECTED.txt").exists() and (rejected / "export" / "model_dynamic_int8.tflite").exists()
    assert sorted(os.listdir(tmp_path)) == ["qs.rejected"]


def test_quickstart_checks_numbers_before_work(tmp_path, capsys):
    from keras_albert_cli.cli import main
    for flags, message in ((["--limit", "0"], "--limit"), (["--max-accuracy-drop", "-1"], "--max-accuracy-drop"),
                           (["--epochs", "0"], "--epochs"), (["--sequence-length", "129"], "position table"),
                           (["--variants", "float16"], "unknown TFLite variant"), (["--seed", "-1"], "--seed")):
        assert main(["quickstart", "--out", str(tmp_path / "qs"), *flags]) == 2
        assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_quickstart_draws_its_new_model_from_seed(rt_texts):
    """The same --seed gives the same starting weights (so the same command gives the same model: before, the
    small model's weights were unseeded and one start in several never learned); another seed, others."""
    from argparse import Namespace

    import numpy as np

    from keras_albert_cli.commands.quickstart import SCRATCH_LEARNING_RATE, _model_and_tokenizer

    def start(seed):
        model, _, rate, epochs = _model_and_tokenizer(Namespace(model=None, seed=seed, vocab_size=300, epochs=None),
                                                      rt_texts[0][:400])
        assert (rate, epochs) == (SCRATCH_LEARNING_RATE, 4)
        return model.get_weights()

    first, again, other = start(0), start(0), start(1)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not any(np.array_equal(a, b) for a, b in zip(first, other) if a.std() > 0)
