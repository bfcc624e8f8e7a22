import subprocess
import sys


def test_info_builds_a_preset_and_runs_a_sentence():
    result = subprocess.run([sys.executable, "-m", "keras_albert_cli.cli", "info", "albert-base-v2", "--text",
                             "A fine film."], capture_output=True, text=True, check=True)
    assert "11,683,584 parameters" in result.stdout
    assert "pooled_output (1, 768)" in result.stdout


def test_unknown_preset_is_one_clear_line():
    result = subprocess.run([sys.executable, "-m", "keras_albert_cli.cli", "info", "albert-huge-v9"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("keras-albert info: error: unknown preset")


def test_info_describes_a_model_directory_and_its_exports(tmp_path, spiece_path, capsys):
    """A model directory (loaded) and a .tflite (the file alone): task, size, shape, where input is cut, whether
    the weights are int8, where vocabulary and labels come from; each line checked against the model itself."""
    from cli_common import tiny_model_dir
    from keras_albert.model_dir import load_model_dir
    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert_cli.cli import main
    from keras_albert_export.metadata import add_metadata
    from keras_albert_export.tflite import convert
    model_dir = tiny_model_dir(tmp_path / "model", spiece_path, texts=["a fine film"])
    model = load_model_dir(model_dir)[0]
    vocab = AlbertTokenizer.from_file(spiece_path).vocab_size
    assert main(["info", model_dir]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{model_dir}: AlbertClassifier (classification), {model.count_params():,} parameters, 4 layers sharing "
        "1 block(s), hidden size 32, position table 64",
        f"vocabulary: {vocab:,} pieces", "labels: negative, positive", "held-out split: heldout.jsonl",
        "export: classification (float32, dynamic_int8, full_int8; outputs probabilities; on-device metadata)"]
    plain = tmp_path / "float.tflite"  # vocabulary and labels beside it
    plain.write_bytes(convert(model, "float32", sequence_length=40, buckets=(16,)))
    for name in ("spiece.model", "labels.txt"):
        (tmp_path / name).write_bytes((tmp_path / "model" / name).read_bytes())
    packed = tmp_path / "int8" / "m.tflite"  # both inside, no files beside
    packed.parent.mkdir()
    packed.write_bytes(add_metadata(convert(model, "dynamic_int8"), spiece_path, ["negative", "positive"]))
    for path, weights, length, signatures, where in (
            (plain, "float32", 40, "serving_default, length_16", "spiece.model beside it"),
            (packed, "int8", 64, "serving_default", "in the file")):
        assert main(["info", str(path)]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == f"{path}: classification model, {path.stat().st_size / 1e6:.2f} MB, {weights} weights"
        assert lines[1] == f"input: ids, mask, segment_ids; any length, cut at {length} tokens; signatures: {signatures}"
        assert lines[2] == f"vocabulary: {vocab:,} pieces ({where})"
        assert lines[3].startswith("labels: negative, positive (")
        assert lines[4] == f"run: keras-albert classify {path} ..."
    alone = tmp_path / "alone" / "float.tflite"  # moved away from its vocabulary: still described
    alone.parent.mkdir()
    alone.write_bytes(plain.read_bytes())
    assert main(["info", str(alone)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{alone}: classification model") and len(lines) == 4
    assert lines[2] == "vocabulary: none (not in the file and no spiece.model beside it: put the model's " \
                       "spiece.model there to run it)"
    assert main(["classify", str(alone), "a fine film"]) == 2
    assert "carries no vocabulary and there is no spiece.model beside it" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "missing.tflite")]) == 2
    assert capsys.readouterr().err.strip() == f"keras-albert info: error: no such file or directory: " \
                                              f"{tmp_path / 'missing.tflite'}"


def test_info_says_how_a_model_directory_exports_or_why_not(tmp_path, tokenizer, capsys):
    from conftest import tiny_config
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.model_dir import save_model_dir
    from keras_albert.tasks.masked_lm import AlbertMaskedLM
    from keras_albert.tasks.multiple_choice import AlbertMultipleChoice
    from keras_albert_cli.cli import main
    backbone = AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size))
    for name, model, line in (
            ("regression", AlbertClassifier(backbone, 1, problem_type="regression"),
             "export: regression (float32, dynamic_int8, full_int8; outputs score)"),
            ("multi", AlbertClassifier(backbone, 3, problem_type="multi_label_classification"),
             "export: multi_label_classification (float32, dynamic_int8, full_int8; outputs multi_label_probabilities; "
             "on-device metadata)"),
            ("choice", AlbertMultipleChoice(backbone),
             "export: multiple_choice (float32, dynamic_int8, full_int8; outputs choice_probabilities)"),
            ("mlm", AlbertMaskedLM(backbone), "export: none (a masked_lm model cannot be exported yet; exportable "
                                              "tasks: classification, question_answering, token_classification, "
                                              "multiple_choice)")):
        path = save_model_dir(str(tmp_path / name), model, tokenizer)
        assert main(["info", path]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == line
