"""A real `keras-albert finetune --task token_classification` SIGKILLed after its first checkpoint and run again
with the same command resumes to the weights and history of a run never killed (dropout on: the seed
generator's state travels in the backup too)."""
import json
import os
import signal
import time

import keras
import numpy as np
import pytest
from cli_common import backup_step, cli
from conftest import tiny_config

from keras_albert import AlbertBackbone
from keras_albert.model_dir import load_model_dir, save_model_dir
from keras_albert.staging import staging_path


def _tagged(rt_texts, n):
    names = [["john", "smith"], ["mary"], ["paris", "hilton"], ["tom"]]
    rows = []
    for i in range(n):
        words, name = rt_texts[0][i].split()[:10], names[i % len(names)]
        at = i % (len(words) + 1)
        tags = ["O"] * at + ["B-PER"] + ["I-PER"] * (len(name) - 1) + ["O"] * (len(words) - at)
        rows.append({"tokens": words[:at] + name + words[at:], "tags": tags})
    return rows


@pytest.mark.slow
def test_killed_cli_token_classification_resumes_to_identical_weights(tmp_path, tokenizer, spiece_path, rt_texts,
                                                                      request):
    keras.utils.set_random_seed(0)
    base = str(tmp_path / "base")
    save_model_dir(base, AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, num_hidden_layers=2,
                                                    hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)),
                   tokenizer)
    data = tmp_path / "ner.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _tagged(rt_texts, 400)))

    def command(out):
        return ("finetune", "--task", "token_classification", "--model", base, "--data", data, "--out", out,
                "--epochs", "3", "--batch-size", "8", "--sequence-length", "32", "--learning-rate", "2e-3",
                "--deterministic", "--verbose", "2")
    killed, whole = str(tmp_path / "killed"), str(tmp_path / "whole")
    reference = cli(*command(whole))  # independent of the killed run: it runs alongside
    request.addfinalizer(lambda: reference.poll() is None and (reference.kill(), reference.communicate()))
    proc = cli(*command(killed))
    backup = os.path.join(staging_path(killed, "partial"), "backup")
    deadline = time.time() + 300
    while backup_step(backup) < 0 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # right after the first checkpoint (the end of epoch 1: 40 steps)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    at_kill = backup_step(backup)
    assert 0 < at_kill < 120, at_kill
    assert not os.path.exists(killed)  # nothing under the final name until the run is complete

    resumed = cli(*command(killed))
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    ref_out, ref_err = reference.communicate(timeout=600)
    assert reference.returncode == 0, ref_err[-3000:]
    assert f"resuming from step {at_kill}" in out and "resuming" not in ref_out
    scores = [o.splitlines()[-1].split("; model in")[0] for o in (out, ref_out)]
    assert scores[0] == scores[1] and scores[0].startswith("validation f1")  # the same scores printed

    a, b = load_model_dir(killed)[0], load_model_dir(whole)[0]
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy(), err_msg=wa.path)
    ra, rb = (json.load(open(os.path.join(d, "report.json"))) for d in (killed, whole))
    assert ra["steps"] == rb["steps"] == 120 and ra["history"] == rb["history"]
    assert len(ra["history"]["val_f1"]) == 3
    assert not os.path.exists(staging_path(killed, "partial"))
