"""SIGKILL a real fine-tuning run mid-epoch; the resumed run must end with the same steps and weights as an
uninterrupted run on the same seed (dropout on, deterministic ops). A rerun whose inputs changed is refused."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import keras
from cli_common import backup_step
from conftest import tiny_config

from keras_albert import AlbertBackbone, AlbertClassifier
from keras_albert.model_dir import load_model_dir
from keras_albert.staging import staging_path
from keras_albert.training import finetune
from keras_albert.training.resume import STATE

WORKER = os.path.join(os.path.dirname(__file__), "train_worker.py")


def _run(*args):
    return subprocess.run([sys.executable, WORKER, *args], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_sigkill_mid_epoch_resumes_exactly(tmp_path, spiece_path, request):
    whole, killed = str(tmp_path / "whole"), str(tmp_path / "killed")
    # the uninterrupted reference run is independent of the killed one: it runs alongside (a core of its own)
    reference = subprocess.Popen([sys.executable, WORKER, spiece_path, whole], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
    request.addfinalizer(lambda: reference.poll() is None and (reference.kill(), reference.communicate()))
    proc = subprocess.Popen([sys.executable, WORKER, spiece_path, killed, "0.1"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    backup = os.path.join(staging_path(killed, "partial"), "backup")   # a fixed staging folder: found again
    deadline = time.time() + 300
    while backup_step(backup) < 19 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)        # in epoch 2 (16 steps per epoch), between two backups
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    at_kill = backup_step(backup)
    assert 16 < at_kill < 32 and at_kill % 16, at_kill
    assert not os.path.exists(killed)        # nothing under the final name until the run is complete

    resumed = _run(spiece_path, killed)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming from step {at_kill}" in resumed.stdout
    reference_out, reference_err = reference.communicate(timeout=600)
    assert reference.returncode == 0, reference_err[-3000:]
    assert "resuming" not in reference_out
    assert "STEPS 32" in resumed.stdout and "STEPS 32" in reference_out

    a, _, _ = load_model_dir(killed)
    b, _, _ = load_model_dir(whole)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy(), err_msg=wa.path)
    ra, rb = (json.load(open(os.path.join(d, "report.json"))) for d in (killed, whole))
    assert ra["steps"] == rb["steps"] == 32
    assert ra["history"] == rb["history"]    # per-epoch logs too: the metric totals were restored
    assert not os.path.exists(backup)        # removed once the run completed
    assert sorted(os.listdir(tmp_path)) == ["killed", "whole"]


class _Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            raise KeyboardInterrupt


def test_a_rerun_with_other_inputs_is_refused(tmp_path, tokenizer):
    """Backed up after 2 steps, interrupted after 3: a rerun with other data, labels or hyperparameters says
    what changed and how to start fresh, and touches nothing; the same rerun resumes."""
    def model(**config):
        keras.utils.set_random_seed(0)
        return AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, **config)), 2)
    from keras_albert.data import splits
    texts, labels = splits()["train"]
    train = (texts[:64], labels[:64])
    out = str(tmp_path / "out")
    args = dict(out_dir=out, epochs=1, batch_size=16, sequence_length=32, learning_rate=1e-3, backup_every=2,
                verbose=0)
    with pytest.raises(KeyboardInterrupt):
        finetune(model(), tokenizer, train, **args, callbacks=[_Interrupt()])
    staging = staging_path(out, "partial")
    state = os.path.join(staging, "backup", STATE)
    saved = open(state, "rb").read()
    other = (texts[64:128], labels[64:128])
    changes = [
        (dict(train=other), r"changed: training data\)"),
        (dict(batch_size=8), r"changed: batch_size 16 -> 8\)"),
        (dict(labels=("neg", "pos")), r"changed: labels \['negative', 'positive'\] -> \['neg', 'pos'\]\)"),
        (dict(learning_rate=2e-3, seed=1), r"changed: learning_rate 0.001 -> 0.002; seed 0 -> 1\)"),
        (dict(config={"hidden_dropout_prob": 0.1}), r"changed: model.config.hidden_dropout_prob 0.0 -> 0.1\)"),
    ]
    for change, why in changes:
        kwargs = {**args, "train": train, **change}
        config = kwargs.pop("config", {})
        with pytest.raises(ValueError, match=why + rf"; rerun with the same inputs to resume it, or delete "
                                                   rf"{staging} to start fresh"):
            finetune(model(**config), tokenizer, **kwargs)
        assert open(state, "rb").read() == saved
    result = finetune(model(), tokenizer, train, **args)
    assert result.steps == 4 and not os.path.exists(staging) and os.path.isfile(os.path.join(out, "model.keras"))


def test_a_nan_score_is_never_the_best_epoch(tmp_path):
    """Regression's Pearson is NaN while predictions are constant: such an epoch is never kept as the best, nor does
    it make every later epoch count as 'no gain' (NaN compares False with everything) and stop the run early."""
    from keras_albert.training.resume import ResumableTraining
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.optimizer.build(model.trainable_variables)
    tracker = ResumableTraining(str(tmp_path), steps_per_epoch=1, monitor="val_pearson", patience=2)
    tracker.set_model(model)
    for epoch, score in enumerate([float("nan"), 0.2, float("nan"), 0.5]):
        tracker.on_epoch_end(epoch, {"loss": 1.0, "val_pearson": score})
    assert (tracker.state["best_epoch"], tracker.state["best"], tracker.state["stopped"]) == (3, 0.5, False)
