"""SIGKILL a real fine-tuning run mid-epoch; the resumed run must end with the same steps and weights as an
uninterrupted run on the same seed (dropout on, deterministic ops)."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_albert.model_dir import load_model_dir
from keras_albert.training.resume import STATE, _load_arrays

WORKER = os.path.join(os.path.dirname(__file__), "train_worker.py")


def _run(*args):
    return subprocess.run([sys.executable, WORKER, *args], capture_output=True, text=True, timeout=600)


def _step(backup):
    try:
        return _load_arrays(os.path.join(backup, STATE))[1]["step"]
    except (OSError, ValueError, KeyError, EOFError):
        return -1


@pytest.mark.slow
def test_sigkill_mid_epoch_resumes_exactly(tmp_path, spiece_path):
    whole, killed = str(tmp_path / "whole"), str(tmp_path / "killed")
    proc = subprocess.Popen([sys.executable, WORKER, spiece_path, killed, "0.1"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    backup = os.path.join(killed, "backup")
    deadline = time.time() + 300
    while _step(backup) < 19 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)        # in epoch 2 (16 steps per epoch), between two backups
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    at_kill = _step(backup)
    assert 16 < at_kill < 32 and at_kill % 16, at_kill
    assert not os.path.exists(os.path.join(killed, "model.keras"))

    resumed = _run(spiece_path, killed)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming from step {at_kill}" in resumed.stdout
    reference = _run(spiece_path, whole)
    assert reference.returncode == 0, reference.stderr[-3000:]
    assert "resuming" not in reference.stdout
    assert "STEPS 32" in resumed.stdout and "STEPS 32" in reference.stdout

    a, _, _ = load_model_dir(killed)
    b, _, _ = load_model_dir(whole)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy(), err_msg=wa.path)
    ra, rb = (json.load(open(os.path.join(d, "report.json"))) for d in (killed, whole))
    assert ra["steps"] == rb["steps"] == 32
    assert ra["history"] == rb["history"]    # per-epoch logs too: the metric totals were restored
    assert not os.path.exists(backup)        # removed once the run completed
