"""`keras-albert export` and `keras-albert classify` on a model directory the test writes."""
import csv
import json
import os
import shutil
import sys

import numpy as np
import pytest

from export_common import LABELS, MAX_LENGTH, held_out, keras_probabilities, trained_classifier


def write_heldout(path, texts, labels):
    """heldout.jsonl as `keras-albert finetune` records it: {"text", "label": name} per line."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"text": t, "label": y}) + "\n" for t, y in zip(texts, labels))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, spiece_path):
    from keras_albert.data import LABEL_NAMES, splits
    from keras_albert.model_dir import HELDOUT, save_model_dir
    model, tokenizer = trained_classifier(spiece_path)
    path = save_model_dir(str(tmp_path_factory.mktemp("cli") / "model"), model, tokenizer, LABELS)
    texts, ids = splits()["test"]
    write_heldout(os.path.join(path, HELDOUT), texts, [LABEL_NAMES[i] for i in ids])
    return path


USER_FILES = {"report.md": "my notes", "report.json": "{}", "labels.txt": "mine\n", "spiece.model": "x",
              "model_dynamic_int8_buckets.tflite": "y", "notes.txt": "keep me"}


@pytest.fixture(scope="module")
def exported(model_dir, tmp_path_factory):
    """An export over a folder that holds the user's own files: refused, then replaced whole with --overwrite."""
    from keras_albert_cli.cli import main
    out = tmp_path_factory.mktemp("cli") / "export"
    out.mkdir()
    for name, text in USER_FILES.items():
        (out / name).write_text(text)
    argv = ["export", model_dir, "--out", str(out), "--variants", "float32,dynamic_int8", "--limit", "150",
            "--metadata", "off", "--max-accuracy-drop", "5"]
    refused = main(argv)
    kept = {p.name: p.read_text() for p in out.iterdir()}
    rc = main(argv + ["--overwrite"])
    return str(out), rc, refused, kept


def test_export_never_touches_user_files_without_overwrite(exported):
    out, _, refused, kept = exported
    assert refused == 2 and kept == USER_FILES  # refused before any work; every file as it was


def test_export_writes_everything(exported):
    from keras_albert_export.cpu import cpu_kind
    out, rc, _, _ = exported
    assert rc == 0
    names = set(os.listdir(out))
    assert names == {"saved_model", "model_float32.tflite", "model_dynamic_int8.tflite", "report.md", "report.json",
                     "latency.png", "spiece.model", "labels.txt"}  # replaced as a whole: no user file left
    assert [p for p in os.listdir(os.path.dirname(out)) if p != "export"] == []  # no staging or rejected folder
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    assert report["test_sentences"] == 150 and report["heldout"].endswith("heldout.jsonl")
    for variant in ("float32", "dynamic_int8"):
        r = report["variants"][variant]
        assert r["size_mb"] == pytest.approx(os.path.getsize(os.path.join(out, r["file"])) / 2**20, abs=1e-3)
        assert sorted(r["latency_ms"]) == ["1", "2"] and sorted(map(int, r["latency_ms"]["1"])) == [16, 32, 64, 128]
        assert all(ms > 0 for row in r["latency_ms"].values() for ms in row.values())
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0
    drop = report["keras"]["accuracy"] - report["variants"]["dynamic_int8"]["accuracy"]
    assert report["gate"] == {"max_drop": 5.0, "passed": drop <= 5.0, "failed": [] if drop <= 5.0 else ["dynamic_int8"]}
    with open(os.path.join(out, "report.md")) as f:
        text = f.read()
    assert "| dynamic_int8 |" in text and "seq 128" in text
    assert f"Latency (ms, median, batch 1, ai_edge_litert) on {cpu_kind()}:" in text  # a time names its CPU
    assert report["cpu"] == cpu_kind()
    assert "Held-out set: 150 sentences from" in text
    word = "lost" if drop > 0 else "gained" if drop < 0 else "matched"
    assert f"dynamic_int8 {word}" in text and "Gate (at most 5 points lost): passed." in text


@pytest.mark.parametrize("flags, message", [
    (["--limit", "0"], "--limit must be at least 1"),
    (["--limit", "-2"], "--limit must be at least 1"),
    (["--max-accuracy-drop", "-1"], "--max-accuracy-drop must be between 0 and 100"),
    (["--max-accuracy-drop", "101"], "--max-accuracy-drop must be between 0 and 100"),
    (["--max-accuracy-drop", "nan"], "--max-accuracy-drop must be between 0 and 100"),
    (["--sequence-length", "2"], "--sequence-length must be at least 3"),
    (["--sequence-length", "1000"], "position table"),
    (["--no-gate", "--max-accuracy-drop", "2"], "contradict"),
    (["--variants", "int4"], "unknown TFLite variant"),
    (["--buckets", "2,16"], "--buckets lengths must be at least 3"),
])
def test_every_number_is_checked_before_work(model_dir, tmp_path, capsys, flags, message):
    from keras_albert_cli.cli import main
    assert main(["export", model_dir, "--out", str(tmp_path / "out")] + flags) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_labels_that_do_not_fit_the_model_are_refused_before_work(model_dir, tmp_path, capsys):
    """A model directory's labels.txt naming another number of classes (or a name twice) is one line naming the
    file, from every command, before anything is written (export printed its first step, then blamed 'labels')."""
    from keras_albert_cli.cli import main
    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    for text, problem in (("a\nb\nc\n", "names 3 classes but the model has 2: it does not belong to this model"),
                          ("a\na\n", "names the class 'a' twice: each class needs a name of its own")):
        (folder / "labels.txt").write_text(text, encoding="utf-8")
        for command in (["export", str(folder), "--out", str(tmp_path / "out"), "--no-gate"], ["info", str(folder)]):
            capsys.readouterr()
            assert main(command) == 2
            out, err = capsys.readouterr()
            assert (out, err) == ("", f"keras-albert {command[0]}: error: {folder / 'labels.txt'} {problem}\n")
        assert not (tmp_path / "out").exists()


def test_gate_needs_the_models_own_data(model_dir, tmp_path, monkeypatch, capsys):
    import shutil

    from keras_albert import model_dir as model_dir_module
    from keras_albert_cli.cli import main
    bare = tmp_path / "bare"
    shutil.copytree(model_dir, bare, ignore=shutil.ignore_patterns("heldout.jsonl"))
    no_vocabulary = tmp_path / "no_vocabulary"
    shutil.copytree(model_dir, no_vocabulary, ignore=shutil.ignore_patterns("spiece.model"))
    with monkeypatch.context() as m:  # both refusals come from the archive's config, before any weights load
        m.setattr(model_dir_module, "load_model_dir", lambda *a, **k: pytest.fail("loaded the model first"))
        assert main(["export", str(bare), "--out", str(tmp_path / "o")]) == 2  # no held-out data: no gate by guess
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "no heldout.jsonl" in err[0] and "--data FILE" in err[0] and "--no-gate" in err[0]
        assert main(["export", str(no_vocabulary), "--out", str(tmp_path / "o"), "--no-gate"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "has no spiece.model" in err[0]
        assert main(["export", str(bare), "--out", str(tmp_path / "o"), "--variants", "int4"]) == 2
        assert "unknown TFLite variant" in capsys.readouterr().err
    other = tmp_path / "other.csv"  # labels of another task
    other.write_text("text,label\nfine film,positive\nso so,neutral\n")
    assert main(["export", model_dir, "--out", str(tmp_path / "o"), "--data", str(other)]) == 2
    assert "label 'neutral' is not one of the model's labels (negative, positive)" in capsys.readouterr().err
    assert main(["export", model_dir, "--out", str(tmp_path / "o"), "--data", str(tmp_path / "none.csv")]) == 2
    assert not (tmp_path / "o").exists()
    (tmp_path / "o.rejected").mkdir()
    (tmp_path / "o.rejected" / "mine.txt").write_text("user's")
    assert main(["export", model_dir, "--out", str(tmp_path / "o")]) == 2  # never replaces a folder not ours
    assert "o.rejected exists" in capsys.readouterr().err


def test_full_int8_that_loses_accuracy_fails_and_leaves_nothing_shippable(model_dir, spiece_path, tmp_path, capsys):
    """The user's file (own column names), labelled with the float model's answers on its closest calls: float
    scores 100%, so any flip by int8 is a loss, and full_int8 flips many of them. The gate must fail."""
    from keras_albert_cli.cli import main
    model, tokenizer = trained_classifier(spiece_path)
    texts = held_out(400)
    p = keras_probabilities(model, tokenizer, texts)
    closest = np.argsort(np.abs(p[:, 1] - 0.5))[:40]
    data = tmp_path / "mine.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment"])
        w.writerows([texts[i], LABELS[int(p[i].argmax())]] for i in closest)
    out = tmp_path / "out"
    rc = main(["export", model_dir, "--out", str(out), "--variants", "full_int8", "--data", str(data),
               "--text-column", "review", "--label-column", "sentiment", "--max-accuracy-drop", "0",
               "--metadata", "off"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1
    assert "full_int8 lost" in err[0] and "on 40 held-out sentences (allowed 0)" in err[0]
    assert "rejected files are in" in err[0] and str(out) + ".rejected" in err[0]
    assert not out.exists()  # nothing under the good name
    rejected = out.parent / "out.rejected"
    assert (rejected / "REJECTED.txt").read_text().startswith("NOT FOR SHIPPING")
    report = json.loads((rejected / "report.json").read_text())
    assert report["keras"]["accuracy"] == 100.0 and report["variants"]["full_int8"]["accuracy"] < 100.0
    assert report["gate"]["failed"] == ["full_int8"] and report["test_sentences"] == 40


def test_classify_prints_label_and_probability(exported, spiece_path, capsys):
    from keras_albert_export.runtime import TFLiteClassifier, pack
    from keras_albert_cli.cli import main
    model, tokenizer = trained_classifier(spiece_path)
    path = os.path.join(exported[0], "model_float32.tflite")
    sentences = held_out(3)
    assert main(["classify", path] + sentences) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    expected = keras_probabilities(model, tokenizer, sentences, MAX_LENGTH)
    assert len(lines) == 3
    for line, probs, sentence in zip(lines, expected, sentences):
        label, p, text = line.split("\t")
        assert label == LABELS[int(probs.argmax())] and text == sentence
        assert float(p) == pytest.approx(probs.max(), abs=1e-4)
    direct = TFLiteClassifier(path)(pack(tokenizer, sentences[0], MAX_LENGTH))
    assert float(lines[0].split("\t")[1]) == pytest.approx(direct.max(), abs=1e-4)
    assert main(["classify", path, "--weight-cache"] + sentences) == 0  # the CompiledModel path: same lines
    assert capsys.readouterr().out.strip().splitlines() == lines


def test_classify_escapes_what_would_break_lines_or_reach_the_terminal(exported, tmp_path, monkeypatch, capsys):
    import io

    from keras_albert_cli.cli import main
    path = os.path.join(exported[0], "model_float32.tflite")
    nasty = ["tab\there", "two\nlines", "red \x1b[31mALERT\x1b[0m", "back\\slash", "bidi \u202etxt", "café 映画 🎬"]
    assert main(["classify", path] + nasty) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(nasty)
    shown = [line.split("\t") for line in lines]
    assert all(len(parts) == 3 for parts in shown)  # label, probability, text: no tab from the text
    assert [parts[2] for parts in shown] == ["tab\\there", "two\\nlines", "red \\x1b[31mALERT\\x1b[0m",
                                             "back\\\\slash", "bidi \\u202etxt", "café 映画 🎬"]
    assert "\x1b" not in "".join(lines)

    # the same sentences from a file and from stdin, as JSON: one object per sentence, the text intact
    listing = tmp_path / "s.txt"
    listing.write_text("".join(s.replace("\n", " ") + "\n" for s in nasty), encoding="utf-8")
    assert main(["classify", path, "--json", "--file", str(listing)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == [s.replace("\n", " ") for s in nasty]
    assert all(r["label"] in LABELS and r["score"] == pytest.approx(max(r["probabilities"].values())) for r in rows)
    for stdin in (["-f", "-"], ["-"]):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(listing.read_bytes())))
        assert main(["classify", path, "--json"] + stdin) == 0
        assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == rows


@pytest.mark.parametrize("flags, message", [(["--sequence-length", "1"], "at least 3"),
                                            (["--sequence-length", "0"], "at least 3"),
                                            (["--sequence-length", "-5"], "at least 3"),
                                            (["--threads", "0"], "--threads must be from 1 to 1024, got 0"),
                                            (["--threads", "100000"], "--threads must be from 1 to 1024"),
                                            (["--file", "/no/such/file.txt"], "no sentence file"),
                                            (["  "], "sentence 2 is empty"),
                                            ([], "no sentences")])
def test_classify_bad_numbers_are_one_line(exported, capsys, flags, message):
    from keras_albert_cli.cli import main
    path = os.path.join(exported[0], "model_float32.tflite")
    assert main(["classify", path] + (["a fine film"] if flags else []) + flags) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_classify_errors(exported, tmp_path, monkeypatch, capsys):
    from keras_albert_cli.cli import main
    assert main(["classify", str(tmp_path / "missing.tflite"), "x"]) == 2
    (tmp_path / "junk.tflite").write_bytes(b"not a model at all")
    assert main(["classify", str(tmp_path / "junk.tflite"), "x"]) == 2
    (tmp_path / "cut.tflite").write_bytes(open(os.path.join(exported[0], "model_float32.tflite"), "rb").read()[:3000])
    for command in ("classify", "info"):  # a truncated file: one line naming it, not LiteRT's bare words
        capsys.readouterr()
        assert main([command, str(tmp_path / "cut.tflite")] + (["x"] if command == "classify" else [])) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"keras-albert {command}: error: {tmp_path / 'cut.tflite'}: ")
    for name in ("ai_edge_litert", "ai_edge_litert.interpreter", "tflite_runtime", "tflite_runtime.interpreter"):
        monkeypatch.setitem(sys.modules, name, None)  # neither runtime importable
    capsys.readouterr()
    assert main(["classify", os.path.join(exported[0], "model_float32.tflite"), "x"]) == 2
    assert "no TFLite runtime installed" in capsys.readouterr().err


def test_files_beside_a_tflite_are_read_as_the_model_directory_reads_them(exported, spiece_path, tmp_path, capsys):
    """labels.txt: one name per line, spaces and all (as load_model_dir and the Java core read it); a file naming
    another number of classes, or a broken spiece.model, is one line naming it, not ids or a traceback."""
    from keras_albert_cli.cli import main
    folder = tmp_path / "beside"
    folder.mkdir()
    shutil.copy(os.path.join(exported[0], "model_float32.tflite"), folder / "m.tflite")
    shutil.copy(spiece_path, folder / "spiece.model")
    (folder / "labels.txt").write_text("very bad\n\nvery good\n", encoding="utf-8")
    assert main(["classify", str(folder / "m.tflite"), "a fine film"]) == 0
    assert capsys.readouterr().out.split("\t")[0] in ("very bad", "very good")
    assert main(["info", str(folder / "m.tflite")]) == 0
    assert "labels: very bad, very good (labels.txt beside it)" in capsys.readouterr().out
    (folder / "labels.txt").write_text("a\nb\nc\n", encoding="utf-8")
    assert main(["classify", str(folder / "m.tflite"), "a fine film"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["keras-albert classify: error: the labels name 3 classes but the model has 2 outputs: labels.txt "
                   "does not belong to this model"]
    (folder / "labels.txt").write_text("good\ngood\n", encoding="utf-8")  # scores are keyed by name: one lost
    for command in (["classify", str(folder / "m.tflite"), "a fine film"], ["info", str(folder / "m.tflite")]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"keras-albert {command[0]}: error: {folder / 'labels.txt'} names the class 'good' twice: "
                       "each class needs a name of its own"]
    (folder / "labels.txt").write_text("very bad\nvery good\n", encoding="utf-8")
    (folder / "spiece.model").write_bytes(open(spiece_path, "rb").read()[:500])
    for command in (["classify", str(folder / "m.tflite"), "a fine film"], ["info", str(folder / "m.tflite")]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"keras-albert {command[0]}: error: {folder / 'spiece.model'} is not a SentencePiece model"]


def test_classify_prints_lone_surrogates_escaped(exported, capsys):
    """Invalid UTF-8 in argv arrives as lone surrogates: the tokenizer replaces them (U+FFFD), the echo escapes
    them instead of crashing the print."""
    from keras_albert_cli.cli import main
    path = os.path.join(exported[0], "model_float32.tflite")
    assert main(["classify", path, "bad \udcff byte", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "bad \udcff byte"
    assert main(["classify", path, "bad \udcff byte"]) == 0
    assert capsys.readouterr().out.rstrip("\n").split("\t")[2] == "bad \\udcff byte"


def test_classify_packs_to_the_files_own_cut(spiece_path, rt_texts, tmp_path, capsys):
    """An export longer than 128 tokens: `classify` packs a long text to the file's own cut by default (what a
    runtime that passes the whole text, MediaPipe, gets), not to 128."""
    import keras

    from conftest import tiny_config
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert_cli.cli import main
    from keras_albert_export.runtime import TFLiteClassifier, pack
    from keras_albert_export.tflite import convert
    tokenizer = AlbertTokenizer.from_file(spiece_path)
    keras.utils.set_random_seed(3)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2,
                                                        max_position_embeddings=256)), 2)
    path = tmp_path / "m.tflite"
    path.write_bytes(convert(model, "float32", sequence_length=256))
    (tmp_path / "spiece.model").write_bytes(open(spiece_path, "rb").read())
    text = " ".join(rt_texts[0][:12])
    assert len(tokenizer.tokenize(text)) > 128
    runtime = TFLiteClassifier(str(path))
    assert runtime.input_limit == 256
    expected = runtime(pack(tokenizer, text, 256))
    assert main(["classify", str(path), "--json", text]) == 0
    got = json.loads(capsys.readouterr().out)["probabilities"]
    np.testing.assert_allclose([got["0"], got["1"]], expected, atol=1e-6)
    assert not np.allclose(runtime(pack(tokenizer, text, 128)), expected, atol=1e-4)  # what the old default gave


def test_a_long_text_gets_the_pipelines_answer_from_every_export(spiece_path, rt_texts, tmp_path, capsys):
    """With no --sequence-length the export cuts where the pipeline does (the position table, here 256), not at
    128: a 200-piece text gets the pipeline's probabilities from the SavedModel and the .tflite (`classify`); the
    SavedModel pads a batch only to its longest row, so a short text next to it gets its own answer too."""
    import keras
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (the SavedModel's tokenizer ops)

    from conftest import tiny_config
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.model_dir import save_model_dir
    from keras_albert.pipelines import pipeline
    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert_cli.cli import main
    tokenizer = AlbertTokenizer.from_file(spiece_path)
    keras.utils.set_random_seed(5)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2,
                                                        max_position_embeddings=256)), 2)
    save_model_dir(str(tmp_path / "m"), model, tokenizer, ["neg", "pos"])
    assert main(["export", str(tmp_path / "m"), "--out", str(tmp_path / "out"), "--variants", "float32",
                 "--metadata", "off", "--no-gate"]) == 0
    capsys.readouterr()
    words = " ".join(rt_texts[0][:30]).split()
    long_text = next(" ".join(words[:n]) for n in range(40, len(words))
                     if len(tokenizer.tokenize(" ".join(words[:n]))) > 180)
    short_text = rt_texts[0][0]
    assert 180 < len(tokenizer.tokenize(long_text)) < 254
    expected = pipeline("text-classification", str(tmp_path / "m"), top_k=None)([long_text, short_text])
    expected = [{r["label"]: r["score"] for r in rows} for rows in expected]
    serve = tf.saved_model.load(str(tmp_path / "out" / "saved_model")).signatures["serving_default"]
    served = serve(text=tf.constant([long_text, short_text]))["probabilities"].numpy()
    np.testing.assert_allclose(served, [[e["neg"], e["pos"]] for e in expected], atol=1e-4)
    assert main(["classify", str(tmp_path / "out" / "model_float32.tflite"), "--json", long_text]) == 0
    got = json.loads(capsys.readouterr().out)["probabilities"]
    np.testing.assert_allclose([got["neg"], got["pos"]], [expected[0]["neg"], expected[0]["pos"]], atol=1e-4)
    # The Python API with its defaults (docs/export.md) is the same path: it cut at 128 and flipped such texts
    from keras_albert_export.runtime import TFLiteClassifier, pack
    from keras_albert_export.savedmodel import export_savedmodel
    export_savedmodel(model, tokenizer, ["neg", "pos"], str(tmp_path / "api"))
    served = tf.saved_model.load(str(tmp_path / "api")).signatures["serving_default"](text=tf.constant([long_text]))
    np.testing.assert_allclose(served["probabilities"].numpy()[0], [expected[0]["neg"], expected[0]["pos"]], atol=1e-4)
    runtime = TFLiteClassifier(str(tmp_path / "out" / "model_float32.tflite"))
    for packed in (pack(tokenizer, long_text), pack(tokenizer, long_text, runtime.input_limit)):
        np.testing.assert_allclose(runtime(packed), [expected[0]["neg"], expected[0]["pos"]], atol=1e-4)
