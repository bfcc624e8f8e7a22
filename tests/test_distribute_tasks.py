"""`finetune --strategy multi_worker` for the tasks beyond classification: 2 MultiWorkerMirroredStrategy
workers on loopback train token classification and question answering (records through the task's features,
the same loop as classification) to identical weights and identical per-epoch validation scores."""
import json
import os

import numpy as np
import pytest
from test_distribute import _two_workers


@pytest.mark.slow
def test_multi_worker_token_classification_and_question_answering(tmp_path, spiece_path):
    p = _two_workers("multi_worker_tasks", spiece_path, tmp_path)
    assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-2000:]
    runs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith('{"task"')]
    for name, metric in (("token_classification", "f1"), ("question_answering", "f1")):
        a, b = sorted((r for r in runs if r["name"] == name), key=lambda r: r["task"])
        assert (a["task"], b["task"]) == (0, 1)
        assert a["steps"] == b["steps"] == 2 * (a["examples"] // 8)  # full batches of 8 only, 2 epochs
        assert name == "question_answering" or a["examples"] == 30  # (a context makes several windows)
        assert len(a["history"][f"val_{metric}"]) == 2 and np.isfinite(a["history"]["loss"]).all()
        assert a["history"] == b["history"] and a["validation"] == b["validation"]  # every worker the same scores
        wa, wb = (np.load(tmp_path / f"{name}-weights-{i}.npz") for i in (0, 1))
        for k in wa.files:
            np.testing.assert_array_equal(wa[k], wb[k])
        assert os.path.isfile(tmp_path / f"{name}-0" / "report.md")  # only the chief writes the model
        assert not os.path.exists(tmp_path / f"{name}-1")
        report = json.load(open(tmp_path / f"{name}-0" / "report.json"))
        assert report["test"][metric] == a["test"][metric] and report["validation"] == a["validation"]
