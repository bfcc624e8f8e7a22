"""When the metadata writer cannot be set up (offline, empty cache): tried once per process, said in one line,
and `--metadata on` refused before any work; a question-answering window the Task Library cannot run is said."""
import subprocess

import pytest
from conftest import tiny_config

PIP_ERROR = ("ERROR: Could not find a version that satisfies the requirement nosuch==1 (from versions: none)\n"
             "ERROR: No matching distribution found for nosuch==1\n")


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty cache, no importable writer and a pip that finds nothing (as PIP_NO_INDEX=1 does); -> the list of
    the venv/pip commands run."""
    from keras_albert_export import metadata
    calls, real = [], subprocess.run

    def run(cmd, *args, **kwargs):
        if "venv" in cmd or "pip" in cmd:
            calls.append(cmd)
            if "pip" in cmd:
                raise subprocess.CalledProcessError(1, cmd, stderr=PIP_ERROR)
            return subprocess.CompletedProcess(cmd, 0, "", "")
        return real(cmd, *args, **kwargs)
    monkeypatch.setenv("KERAS_ALBERT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_ALBERT_METADATA_WRITER", "nosuch==1")
    monkeypatch.setattr(metadata.subprocess, "run", run)
    monkeypatch.setattr(metadata, "_writer_importable", lambda: False)
    monkeypatch.setattr(metadata, "_FAILED", {}, raising=False)
    return calls


def _classifier_dir(path, tokenizer):
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.model_dir import save_model_dir
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)), 2)
    return save_model_dir(str(path), model, tokenizer, ["neg", "pos"])


def test_a_failed_setup_is_tried_once_and_said_in_one_line(offline):
    """venv + pip ran again for every exported file, and the error carried pip's whole stderr (two lines)."""
    from keras_albert_export.metadata import writer_python
    messages = []
    for _ in range(2):
        with pytest.raises(RuntimeError) as e:
            writer_python()
        messages.append(str(e.value))
    assert len(offline) == 2  # one venv, one pip: the second call remembers the failure
    assert messages[0] == messages[1] and len(messages[0].splitlines()) == 1
    assert messages[0].endswith(": ERROR: No matching distribution found for nosuch==1")


def test_metadata_auto_warns_once_for_every_variant(offline, tmp_path, tokenizer):
    from keras_albert_export.pipeline import export_all
    lines = []
    export_all(_classifier_dir(tmp_path / "model", tokenizer), str(tmp_path / "out"), max_drop=None,
               log=lines.append)
    warnings = [line for line in lines if "warning" in line]
    assert len(warnings) == 1 and len(warnings[0].splitlines()) == 1
    assert warnings[0].startswith("warning: written without on-device metadata (could not set up the metadata writer")
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"model_float32.tflite", "model_dynamic_int8.tflite"}


def test_metadata_on_is_refused_before_any_work(offline, tmp_path, tokenizer, capsys):
    """It failed only after the SavedModel and every conversion, in two lines."""
    from keras_albert_cli.cli import main
    model_dir = _classifier_dir(tmp_path / "model", tokenizer)
    out = tmp_path / "out"
    assert main(["export", model_dir, "--out", str(out), "--no-gate", "--metadata", "on"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "could not set up the metadata writer (nosuch==1)" in captured.err
    assert not list(tmp_path.glob("out*"))


def test_task_library_metadata_off_its_window_is_said(tmp_path, tokenizer, monkeypatch):
    """A question-answering window other than 384 carries metadata the Task Library cannot run: one warning,
    before the work (here the writer's set-up then fails: nothing else runs)."""
    from keras_albert import AlbertBackbone, AlbertQuestionAnswerer
    from keras_albert.model_dir import save_model_dir
    from keras_albert_export import metadata
    from keras_albert_export.pipeline import export_all

    def fail(writer):
        raise RuntimeError("offline")
    monkeypatch.setattr(metadata, "ensure_writer", fail, raising=False)
    model = AlbertQuestionAnswerer(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)))
    lines = []
    with pytest.raises(ValueError, match="offline"):
        export_all(save_model_dir(str(tmp_path / "qa"), model, tokenizer, None), str(tmp_path / "out"),
                   variants=["float32"], metadata="on", max_drop=None, log=lines.append)
    assert lines == ["warning: a question_answering file's metadata is for a runtime that runs a 384-token window "
                     "only (the TFLite Task Library): this 64-token export will not run there"]
