"""`keras-albert pretrain --corpus` killed after a backup resumes when run again: the vocabulary and the shards it
regenerates on every run are byte-identical (they are fingerprinted), and so is `pretrain-data`'s output."""
import json
import os
import signal
import time

import pytest
from cli_common import PRETRAIN_TINY, backup_step, cli, run_cli, write_corpus

from keras_albert.staging import staging_path
from keras_albert.tokenizer import train_vocab

TINY = PRETRAIN_TINY + ["--verbose", "1", "--eval-fraction", "0.1"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, rt_texts):
    return write_corpus(tmp_path_factory.mktemp("resume") / "corpus.txt", rt_texts[0][:300])


def test_train_vocab_gives_the_same_bytes_for_the_same_texts(rt_texts):
    """It trained in a random temporary folder whose path the model kept (trainer_spec.model_prefix)."""
    a, b = (train_vocab(rt_texts[0][:1000], vocab_size=300).model_proto for _ in range(2))
    assert a == b


@pytest.mark.slow
def test_killed_pretrain_corpus_resumes_and_pretrain_data_is_byte_identical(corpus, tmp_path):
    out = str(tmp_path / "pre")
    command = ("pretrain", "--corpus", corpus, "--out", out, "--steps", "250", "--steps-per-log", "100", *TINY)
    proc = cli(*command)
    backup = os.path.join(staging_path(out, "partial"), "backup")
    deadline = time.time() + 300
    while backup_step(backup) < 100 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    at_kill = backup_step(backup)
    assert proc.returncode == -signal.SIGKILL and 100 <= at_kill < 250, at_kill
    assert not os.path.exists(out)

    rc, stdout, stderr = run_cli(*command)  # was refused: "other inputs (changed: training data; vocabulary)"
    assert rc == 0, stderr[-2000:]
    assert f"resuming from step {at_kill}" in stdout
    assert json.load(open(os.path.join(out, "pretrain_history.json")))["steps"] == 250

    # pretrain-data in two processes: the same files, byte for byte (vocabulary and records)
    folders = [str(tmp_path / f"shards{i}") for i in range(2)]
    for folder in folders:
        rc, _, stderr = run_cli("pretrain-data", "--corpus", corpus, "--out", folder, "--vocab-size", "400",
                                "--sequence-length", "32", "--max-predictions", "4", "--quiet")
        assert rc == 0, stderr[-2000:]
    names = sorted(os.listdir(folders[0]))
    assert names == sorted(os.listdir(folders[1])) and "spiece.model" in names
    for name in names:
        with open(os.path.join(folders[0], name), "rb") as f, open(os.path.join(folders[1], name), "rb") as g:
            assert f.read() == g.read(), name
