"""Shared fixtures: a tiny config, a vocabulary trained once on real sentences, random model inputs."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keras_albert import AlbertConfig  # noqa: E402


def tiny_config(**overrides):
    base = dict(vocab_size=500, embedding_size=16, hidden_size=32, num_hidden_layers=4, num_attention_heads=4,
                intermediate_size=48, max_position_embeddings=64)
    return AlbertConfig(**{**base, **overrides})


def random_inputs(config, batch=3, seq=12, seed=0, pad=True):
    """Random ids with two segments and (optionally) right padding of different lengths."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, config.vocab_size, (batch, seq)).astype("int32")
    mask = np.ones((batch, seq), "int32")
    if pad:
        for i in range(batch):
            mask[i, seq - (i * seq) // (batch + 1):] = 0
    segments = np.zeros((batch, seq), "int32")
    segments[:, seq // 2:] = 1
    ids[:, 0] = 2
    return {"token_ids": ids * mask, "segment_ids": segments * mask, "padding_mask": mask}


@pytest.fixture(scope="session")
def rt_texts():
    from keras_albert.data import load_labelled
    return load_labelled("rotten_tomatoes")


def built_once(folder, name, build):
    """`folder/name`, made by `build(partial_path)` in the first process that asks for it: pytest-xdist's
    workers are separate processes, so what costs seconds to make (a vocabulary, a trained model) is made
    once per run under a file lock and moved into place whole, and the other workers read it."""
    from filelock import FileLock
    path = os.path.join(folder, name)
    with FileLock(path + ".lock"):
        if not os.path.exists(path):
            partial = os.path.join(folder, ".partial-" + name)
            build(partial)
            os.replace(partial, path)
    return path


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory):
    """One folder per test run that every xdist worker sees (the parent of the workers' own base temps)."""
    base = tmp_path_factory.getbasetemp()
    path = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
    path.mkdir(exist_ok=True)
    return str(path)


@pytest.fixture(scope="session")
def spiece_path(shared_dir, rt_texts):
    """A 2,000-piece ALBERT vocabulary trained on the Rotten Tomatoes sentences (once per run)."""
    from keras_albert.tokenizer import train_vocab
    return built_once(shared_dir, "spiece.model",
                      lambda path: train_vocab(rt_texts[0], vocab_size=2000, output_path=path))


@pytest.fixture(scope="session")
def tokenizer(spiece_path):
    from keras_albert.tokenizer import AlbertTokenizer
    return AlbertTokenizer.from_file(spiece_path)


@pytest.fixture(scope="session")
def java_classpath(tmp_path_factory):
    """The Android demo's Java core compiled once (javac costs seconds) for every test that runs it."""
    from java_core import compile_core
    return compile_core(tmp_path_factory.mktemp("classes"))


@pytest.fixture
def train_step_traces(monkeypatch):
    """`count(cls)` -> a list whose length is how often `cls.train_step` has run in Python: once per trace of
    Keras' compiled train function (TensorFlow), so a second trace of the same step shows."""
    def count(cls):
        calls, original = [], cls.train_step

        def counted(self, data):
            calls.append(1)
            return original(self, data)
        monkeypatch.setattr(cls, "train_step", counted)
        return calls
    return count
