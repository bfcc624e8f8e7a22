"""`keras-albert convert`: never writes over what the user had, replaces a folder as a whole, and builds the
model the --task asks for."""
import os

import pytest

from cli_common import tiny_model_dir
from keras_albert_cli.cli import main


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory, spiece_path):
    return tiny_model_dir(tmp_path_factory.mktemp("convert") / "cls", spiece_path, labels=("bad", "good", "meh"))


@pytest.fixture(scope="module")
def backbone_dir(tmp_path_factory, classifier_dir):
    from keras_albert.model_dir import load_model_dir, save_model_dir
    model, tokenizer, _ = load_model_dir(classifier_dir)
    return save_model_dir(str(tmp_path_factory.mktemp("convert") / "backbone"), model.backbone, tokenizer)


def user_folder(path):
    path.mkdir()
    for name in ("config.json", "spiece.model", "labels.txt", "notes.txt"):
        (path / name).write_text(f"the user's {name}")
    return path


def test_convert_refuses_a_folder_with_files_and_replaces_it_whole(backbone_dir, tmp_path, capsys):
    from keras_albert.model_dir import load_model_dir
    out = user_folder(tmp_path / "out")
    assert main(["convert", backbone_dir, str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert sorted(p.read_text() for p in out.iterdir()) == sorted(f"the user's {n}" for n in
                                                                  ("config.json", "spiece.model", "labels.txt",
                                                                   "notes.txt"))
    assert main(["convert", backbone_dir, str(out), "--overwrite"]) == 0
    # no stale labels.txt (or anything else) of the old folder inside the new model
    assert sorted(os.listdir(out)) == ["config.json", "model.keras", "spiece.model"]
    model, tokenizer, labels = load_model_dir(str(out))
    assert type(model).__name__ == "AlbertBackbone" and labels is None and tokenizer is not None
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_convert_hf_is_staged_too(backbone_dir, tmp_path, capsys):
    out = user_folder(tmp_path / "hf")
    assert main(["convert", backbone_dir, str(out), "--hf"]) == 2
    assert (out / "config.json").read_text() == "the user's config.json"
    assert main(["convert", backbone_dir, str(out), "--hf", "--overwrite"]) == 0
    names = set(os.listdir(out))
    assert {"config.json", "model.safetensors", "spiece.model"} <= names and "notes.txt" not in names
    assert "labels.txt" not in names and sorted(os.listdir(tmp_path)) == ["hf"]


def test_convert_task_backbone_writes_a_backbone(classifier_dir, tmp_path):
    """--task backbone of a classifier directory: the backbone alone."""
    from keras_albert.model_dir import load_model_dir
    out = tmp_path / "bb"
    assert main(["convert", classifier_dir, str(out), "--task", "backbone"]) == 0
    model, _, labels = load_model_dir(str(out))
    assert type(model).__name__ == "AlbertBackbone" and labels is None
    assert "labels.txt" not in os.listdir(out)
    source = load_model_dir(classifier_dir)[0].backbone
    for a, b in zip(model.weights, source.weights):
        assert (a.numpy() == b.numpy()).all()
