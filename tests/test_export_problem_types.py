"""A multi-label classifier and a regression model exported end to end: each .tflite gives the Keras model's
sigmoid probabilities / score (float32 within 1e-4), its SavedModel takes raw text (and pairs), the report and
the int8 gate score them on the task's own metric (micro F1, Pearson), and `classify` / `info` read the file's
problem from its outputs. Before, both were refused: the export's softmax would have been wrong for them."""
import json

import numpy as np
import pytest

from conftest import tiny_config

GENRES = ("action", "comedy", "drama")


def _model_dir(root, tokenizer, size, problem_type, labels, seed):
    import keras

    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.model_dir import save_model_dir
    keras.utils.set_random_seed(seed)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2)),
                             size, problem_type=problem_type)
    return model, save_model_dir(str(root / "model"), model, tokenizer, labels)


def _write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)


@pytest.fixture(scope="module")
def multi_label(tmp_path_factory, tokenizer, rt_texts):
    from keras_albert.model_dir import HELDOUT
    from keras_albert_export.pipeline import export_all
    root = tmp_path_factory.mktemp("multi_label")
    model, model_dir = _model_dir(root, tokenizer, 3, "multi_label_classification", list(GENRES), 8)
    texts = rt_texts[0][:24]
    _write_jsonl(f"{model_dir}/{HELDOUT}", [{"text": t, "labels": [g for j, g in enumerate(GENRES) if (i >> j) & 1]}
                                            for i, t in enumerate(texts)])
    out = root / "export"
    report = export_all(model_dir, str(out), variants=("float32", "dynamic_int8", "full_int8"), sequence_length=48,
                        max_drop=100, metadata="on", log=lambda *_: None)
    return model, out, report, texts


@pytest.fixture(scope="module")
def regression(tmp_path_factory, tokenizer, rt_texts):
    from keras_albert.model_dir import HELDOUT
    from keras_albert_export.pipeline import export_all
    root = tmp_path_factory.mktemp("regression")
    # one output with the problem left open (as an older STS-B checkpoint has it): exported as regression
    model, model_dir = _model_dir(root, tokenizer, 1, None, None, 9)
    texts = rt_texts[0]
    pairs = [(texts[i], texts[i + 1]) for i in range(0, 48, 2)]
    _write_jsonl(f"{model_dir}/{HELDOUT}", [{"text": a, "text_pair": b, "label": (i % 6) * 1.0}
                                            for i, (a, b) in enumerate(pairs)])
    out = root / "export"
    report = export_all(model_dir, str(out), variants=("float32", "dynamic_int8", "full_int8"), sequence_length=48,
                        max_drop=100, log=lambda *_: None)
    return model, out, report, pairs, model_dir


def _logits(model, tokenizer, items, length=48):
    from keras_albert.packing import pack, pad
    rows = [pack(tokenizer, *(item if isinstance(item, tuple) else (item,)), max_length=length, offsets=False)[0]
            for item in items]
    return np.concatenate([np.asarray(model(pad([r]), training=False), np.float64) for r in rows])


def test_multi_label_tflite_gives_each_class_its_sigmoid(multi_label, tokenizer):
    from keras_albert_export.runtime import TFLiteMultiLabelClassifier, pack
    model, out, report, texts = multi_label
    expected = 1 / (1 + np.exp(-_logits(model, tokenizer, texts[:8])))
    assert np.ptp(expected) > 0.1  # the classes' probabilities differ: a softmax over them would not match
    runtime = TFLiteMultiLabelClassifier(str(out / "model_float32.tflite"))
    got = np.stack([runtime(pack(tokenizer, t, 48)) for t in texts[:8]])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert not np.allclose(got.sum(-1), 1.0)
    result = runtime.result(got[0], list(GENRES))
    assert result["labels"] == [g for g, p in zip(GENRES, expected[0]) if p > 0.5]
    assert report["task"] == "multi_label_classification" and report["main_metric"] == "micro_f1"
    for row in (report["keras"], *report["variants"].values()):
        assert set(row) >= {"micro_f1", "macro_f1", "subset_accuracy"} and 0 <= row["micro_f1"] <= 100
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0
    assert report["variants"]["float32"]["micro_f1"] == report["keras"]["micro_f1"]
    # full_int8 (calibrated on real sentences, the sigmoid kept float): each class's probability near float's
    full = TFLiteMultiLabelClassifier(str(out / "model_full_int8.tflite"))
    got = np.stack([full(pack(tokenizer, t, 48)) for t in texts[:8]])
    assert np.abs(got - expected).max() < 0.05 and not np.allclose(got.sum(-1), 1.0)
    assert set(report["variants"]["full_int8"]) >= {"micro_f1", "agreement_with_keras"}


def test_mediapipe_reads_the_multi_label_file_as_our_runtime_does(multi_label, tokenizer):
    """The app's runtime: MediaPipe shows each class's own sigmoid probability, from the metadata's labels."""
    from export_common import mediapipe_scores
    from keras_albert_export.runtime import TFLiteMultiLabelClassifier, associated_files, pack
    _, out, _, texts = multi_label
    content = (out / "model_dynamic_int8.tflite").read_bytes()
    assert associated_files(content)["labels.txt"].decode().split() == list(GENRES)
    ours = TFLiteMultiLabelClassifier(model_content=content)
    expected = np.stack([ours(pack(tokenizer, t, 48)) for t in texts[:10]])
    np.testing.assert_allclose(mediapipe_scores(str(out / "model_dynamic_int8.tflite"), texts[:10], GENRES), expected,
                               atol=1e-5)


def test_multi_label_savedmodel_and_classify(multi_label, tokenizer, capsys):
    import tensorflow as tf

    from keras_albert_cli.cli import main
    model, out, _, texts = multi_label
    expected = 1 / (1 + np.exp(-_logits(model, tokenizer, texts[:4])))
    serve = tf.saved_model.load(str(out / "saved_model")).signatures["serving_default"]
    got = serve(text=tf.constant(texts[:4]))
    np.testing.assert_allclose(got["probabilities"].numpy(), expected, atol=1e-4)
    assert got["predicted"].numpy().tolist() == (expected > 0.5).tolist()
    assert [x.decode() for x in got["label_names"].numpy()] == list(GENRES)
    assert main(["classify", str(out / "model_float32.tflite"), "--json", *texts[:4]]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [x["labels"] for x in lines] == [[g for g, p in zip(GENRES, row) if p > 0.5] for row in expected]
    np.testing.assert_allclose([[x["probabilities"][g] for g in GENRES] for x in lines], expected, atol=1e-4)
    assert main(["classify", str(out / "model_float32.tflite"), texts[0]]) == 0
    first = capsys.readouterr().out.rstrip("\n").split("\t")
    assert first[0] == (",".join(lines[0]["labels"]) or "-") and first[-1] == texts[0]
    assert main(["info", str(out / "model_dynamic_int8.tflite")]) == 0
    assert "multi_label_classification model" in capsys.readouterr().out
    again = out.parent / "again"
    assert main(["export", str(out.parent / "model"), "--out", str(again), "--data", "imdb"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the built-in imdb set is single-label sentiment" in err[0] and not again.exists()


def test_regression_tflite_gives_the_score(regression, tokenizer):
    from keras_albert_export.runtime import TFLiteRegressor, pack
    from keras_albert import pipeline
    model, out, report, pairs, model_dir = regression
    expected = _logits(model, tokenizer, pairs[:8]).reshape(-1)
    runtime = TFLiteRegressor(str(out / "model_float32.tflite"))
    got = [float(runtime(pack(tokenizer, a, 48, text_pair=b))[0]) for a, b in pairs[:8]]
    np.testing.assert_allclose(got, expected, atol=1e-4)
    # the pipeline cut to the file's length gives its answer: the raw score (transformers' would show a sigmoid)
    shown = pipeline("text-classification", model=model_dir)([{"text": a, "text_pair": b} for a, b in pairs[:8]],
                                                              max_length=48)
    np.testing.assert_allclose([r["score"] for r in shown], got, atol=1e-4)
    int8 = TFLiteRegressor(str(out / "model_dynamic_int8.tflite"))
    int8_scores = [float(int8(pack(tokenizer, a, 48, text_pair=b))[0]) for a, b in pairs[:8]]
    assert np.corrcoef(int8_scores, expected)[0, 1] > 0.9
    # full_int8, calibrated on pairs with the output layer float: the score near float's, not in int8 steps
    full = TFLiteRegressor(str(out / "model_full_int8.tflite"))
    full_scores = [float(full(pack(tokenizer, a, 48, text_pair=b))[0]) for a, b in pairs[:8]]
    assert np.corrcoef(full_scores, expected)[0, 1] > 0.9 and len(set(np.round(full_scores, 6))) == 8
    assert report["task"] == "regression" and report["main_metric"] == "pearson"
    assert set(report["keras"]) == {"pearson", "spearman"}
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0
    assert abs(report["variants"]["float32"]["pearson"] - report["keras"]["pearson"]) < 0.05
    assert not (out / "labels.txt").exists()


def test_regression_savedmodel_takes_pairs_and_classify_prints_the_score(regression, tokenizer, capsys):
    import tensorflow as tf

    from keras_albert_cli.cli import main
    model, out, _, pairs, _ = regression
    expected = _logits(model, tokenizer, pairs[:3]).reshape(-1)
    serve = tf.saved_model.load(str(out / "saved_model")).signatures["serving_default"]
    got = serve(text=tf.constant([a for a, _ in pairs[:3]]), text_pair=tf.constant([b for _, b in pairs[:3]]))
    np.testing.assert_allclose(got["score"].numpy(), expected, atol=1e-4)
    argv = ["classify", str(out / "model_float32.tflite")]
    for a, b in pairs[:3]:
        argv += [a, "--pair", b]
    assert main(argv + ["--json"]) == 0
    np.testing.assert_allclose([json.loads(x)["score"] for x in capsys.readouterr().out.splitlines()], expected,
                               atol=1e-4)
    assert main(argv) == 0
    first = capsys.readouterr().out.splitlines()[0].split("\t")
    assert abs(float(first[0]) - expected[0]) < 1e-3 and first[1:] == list(pairs[0])
    assert main(["info", str(out / "model_float32.tflite")]) == 0
    assert "regression model" in capsys.readouterr().out


def test_classify_refuses_a_question_answering_file_in_one_line(tmp_path, tokenizer, capsys):
    from keras_albert import AlbertBackbone
    from keras_albert.tasks.question_answering import AlbertQuestionAnswerer
    from keras_albert_cli.cli import main
    from keras_albert_export.tflite import convert
    model = AlbertQuestionAnswerer(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)))
    (tmp_path / "qa.tflite").write_bytes(convert(model, "float32", sequence_length=32))
    tokenizer.save(str(tmp_path / "spiece.model"))
    assert main(["classify", str(tmp_path / "qa.tflite"), "a sentence"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a question_answering model: run it with `keras-albert answer`" in err[0]
