"""Shared pieces of the command-line tests: a tiny (untrained) classifier directory, the real `keras-albert` run
as a user runs it, in a subprocess, and the step a killed run's backup holds."""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Lines that TensorFlow, absl, CUDA, XNNPACK or Python's warnings print on their own.
NOISE = re.compile(r"^[IWEF]\d{4} |absl|cuda|cudart|tensorflow|xnnpack|warning|^INFO|deprecat|Traceback", re.I)


def tiny_model_dir(path, spiece_path, texts=(), labels=("negative", "positive")):
    """A random-init AlbertClassifier directory with the test vocabulary and a held-out file of `texts`."""
    from conftest import tiny_config

    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.model_dir import HELDOUT, save_model_dir
    from keras_albert.tokenizer import AlbertTokenizer
    tokenizer = AlbertTokenizer.from_file(spiece_path)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)), len(labels))
    save_model_dir(str(path), model, tokenizer, list(labels))
    with open(os.path.join(path, HELDOUT), "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"text": t, "label": labels[i % len(labels)]}) + "\n" for i, t in enumerate(texts))
    return str(path)


def cli(*argv, **popen):
    """`python -m keras_albert_cli.cli ARGV...` started in a subprocess (stdout and stderr piped)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user runs it: the command must quiet TensorFlow itself
    return subprocess.Popen([sys.executable, "-m", "keras_albert_cli.cli", *map(str, argv)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def run_cli(*argv, timeout=600):
    proc = cli(*argv)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def backup_step(backup):
    """The step of the resume backup in `backup` (keras_albert.training.resume), or -1 while there is none or it
    is being written: the kill tests wait for it, then kill."""
    from keras_albert.training.resume import STATE, _load_arrays
    try:
        return _load_arrays(os.path.join(backup, STATE))[1]["step"]
    except (OSError, ValueError, KeyError, EOFError):
        return -1


# A pretraining run small enough for a test: the shape, vocabulary and batch of `keras-albert pretrain`.
PRETRAIN_TINY = ["--vocab-size", "400", "--hidden-size", "32", "--num-hidden-layers", "2", "--num-attention-heads",
                 "2", "--intermediate-size", "64", "--embedding-size", "16", "--sequence-length", "32",
                 "--max-predictions", "4", "--batch-size", "8"]


def write_corpus(path, sentences):
    """The original ALBERT corpus format: documents of six sentences, one per line, a blank line between."""
    path.write_text("".join("\n".join(sentences[i:i + 6]) + "\n\n" for i in range(0, len(sentences), 6)))
    return str(path)
