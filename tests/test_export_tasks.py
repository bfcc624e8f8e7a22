"""Question answering and token classification as TFLite: the export task table's signatures, and the Python
runtimes giving the Keras pipelines' answers and entities (same packing, same decoding code)."""
import json

import numpy as np
import pytest

from conftest import tiny_config

LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")
VARIANTS = ("float32", "dynamic_int8", "full_int8")


def _contexts(rt_texts):
    return [rt_texts[0][3], rt_texts[0][7], " ".join(rt_texts[0][:8]), "Ｔhe CAFÉ in São Paulo opened in 1998."]


@pytest.fixture(scope="module")
def qa(tokenizer, rt_texts):
    """A random-init tiny question answerer (wide initial weights, so spans are far from ties) and its
    float32, dynamic_int8 and full_int8 exports (calibrated on other sentences than the tests ask about)."""
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.tasks.question_answering import AlbertQuestionAnswerer
    from keras_albert_export.tflite import convert
    keras.utils.set_random_seed(3)
    model = AlbertQuestionAnswerer(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size,
                                                              initializer_range=0.2)))
    return model, {v: convert(model, v, tokenizer=tokenizer, calibration_texts=rt_texts[0][1000:1300])
                   for v in VARIANTS}


@pytest.fixture(scope="module")
def tagger(tokenizer, rt_texts):
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.tasks.token_classification import AlbertTokenClassifier
    from keras_albert_export.tflite import convert
    keras.utils.set_random_seed(4)
    model = AlbertTokenClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size,
                                                             initializer_range=0.2)), len(LABELS))
    return model, {v: convert(model, v, sequence_length=40, tokenizer=tokenizer,
                              calibration_texts=rt_texts[0][1000:1300]) for v in VARIANTS}


def _spans(result):
    return [(a["start"], a["end"], a["answer"]) for a in (result if isinstance(result, list) else [result])]


def _scores(result):
    return [a["score"] for a in (result if isinstance(result, list) else [result])]


def test_qa_signature_is_the_task_librarys(qa):
    from keras_albert_export.tasks.question_answering import TFLiteQuestionAnswerer
    from keras_albert_export.tflite import check_builtin_only
    for data in qa[1].values():
        assert check_builtin_only(data)
        runner = TFLiteQuestionAnswerer(model_content=data, tokenizer=object()).model.runner
        inputs = runner.get_input_details()
        assert sorted(inputs) == ["ids", "mask", "segment_ids"]
        assert all(list(d["shape_signature"]) == [1, 64] for d in inputs.values())  # min(384, the table)
        assert all(d["dtype"] == np.int32 for d in inputs.values())
        assert sorted(runner.get_output_details()) == ["end_logits", "start_logits"]
    assert len(qa[1]["dynamic_int8"]) < 0.7 * len(qa[1]["float32"])


def test_float32_qa_answers_as_the_keras_pipeline(qa, tokenizer, rt_texts):
    from keras_albert import pipeline
    from keras_albert_export.tasks.question_answering import TFLiteQuestionAnswerer
    model, files = qa
    keras_qa = pipeline("question-answering", model=model, tokenizer=tokenizer)
    ours = TFLiteQuestionAnswerer(model_content=files["float32"], tokenizer=tokenizer)
    calls = [dict(question=q, context=c) for q in ("who is it?", "what happened in the end?")
             for c in _contexts(rt_texts)]
    calls += [dict(question="why?", context=_contexts(rt_texts)[2], top_k=3, max_seq_len=24, doc_stride=6),
              dict(question="where?", context=_contexts(rt_texts)[3], handle_impossible_answer=True, top_k=2),
              dict(question="when?", context=_contexts(rt_texts)[3], align_to_words=False, top_k=4)]
    assert len(keras_qa.to_rows(0, ("why?", _contexts(rt_texts)[2]), keras_qa.options({}))) > 1  # multi-window
    for call in calls:
        expected, got = keras_qa(**call), ours(**call)
        assert _spans(got) == _spans(expected), call
        np.testing.assert_allclose(_scores(got), _scores(expected), atol=1e-4)


@pytest.mark.parametrize("variant", ["dynamic_int8", "full_int8"])
def test_int8_qa_agrees_on_most_spans(qa, tokenizer, rt_texts, variant):
    """Padded windows (short contexts): full_int8 is calibrated on whole windows, so the padding's -1e9
    attention bias does not set its int8 score range."""
    from keras_albert import pipeline
    from keras_albert_export.tasks.question_answering import TFLiteQuestionAnswerer
    model, files = qa
    keras_qa = pipeline("question-answering", model=model, tokenizer=tokenizer)
    ours = TFLiteQuestionAnswerer(model_content=files[variant], tokenizer=tokenizer)
    calls = [(q, c) for q in ("who?", "what is it?", "how good is it?") for c in rt_texts[0][20:30]]
    same = [_spans(ours(q, c)) == _spans(keras_qa(question=q, context=c)) for q, c in calls]
    assert np.mean(same) >= 0.7, np.mean(same)


def test_token_classification_signature(tagger):
    from keras_albert_export.tasks.token_classification import TFLiteTokenClassifier
    from keras_albert_export.tflite import check_builtin_only
    for data in tagger[1].values():
        assert check_builtin_only(data)
        tflite = TFLiteTokenClassifier(model_content=data, tokenizer=object())
        inputs = tflite.model.runner.get_input_details()
        assert sorted(inputs) == ["ids", "mask", "segment_ids"]
        assert all(list(d["shape_signature"]) == [1, -1] for d in inputs.values())
        assert list(tflite.model.runner.get_output_details()) == ["logits"]
        assert tflite.max_length == 40  # read from the model: where its graph cuts


@pytest.mark.parametrize("strategy,stride", [("none", None), ("simple", None), ("first", 8), ("average", None),
                                             ("max", 8)])
def test_float32_entities_as_the_keras_pipeline(tagger, tokenizer, rt_texts, strategy, stride):
    from keras_albert import pipeline
    from keras_albert_export.tasks.token_classification import TFLiteTokenClassifier
    model, files = tagger
    keras_tagger = pipeline("token-classification", model=model, tokenizer=tokenizer, labels=list(LABELS),
                            max_length=40)
    ours = TFLiteTokenClassifier(model_content=files["float32"], tokenizer=tokenizer, labels=LABELS)
    texts = list(rt_texts[0][:4]) + [" ".join(rt_texts[0][4:8]), "Zoë met Ｔom in São Paulo."]
    found = 0
    for text in texts:
        expected = keras_tagger(text, aggregation_strategy=strategy, stride=stride, ignore_labels=[])
        got = ours(text, aggregation_strategy=strategy, stride=stride, ignore_labels=[])
        key = "entity" if strategy == "none" else "entity_group"
        assert [(e[key], e["start"], e["end"], e["word"]) for e in got] == \
            [(e[key], e["start"], e["end"], e["word"]) for e in expected], text
        np.testing.assert_allclose([e["score"] for e in got], [e["score"] for e in expected], atol=1e-4)
        found += len(got)
    assert found > len(texts)


@pytest.mark.parametrize("variant", ["dynamic_int8", "full_int8"])
def test_int8_entities_mostly_agree(tagger, tokenizer, rt_texts, variant):
    from keras_albert import pipeline
    from keras_albert_export.tasks.token_classification import TFLiteTokenClassifier
    model, files = tagger
    keras_tagger = pipeline("token-classification", model=model, tokenizer=tokenizer, labels=list(LABELS),
                            max_length=40)
    ours = TFLiteTokenClassifier(model_content=files[variant], tokenizer=tokenizer, labels=LABELS)
    got = [e["entity"] for t in rt_texts[0][30:40] for e in ours(t, ignore_labels=[])]
    expected = [e["entity"] for t in rt_texts[0][30:40] for e in keras_tagger(t, ignore_labels=[])]
    assert len(got) == len(expected) and np.mean(np.array(got) == np.array(expected)) >= 0.9


def test_unexportable_task_and_variant_are_one_line(tokenizer):
    from keras_albert import AlbertBackbone
    from keras_albert.tasks.masked_lm import AlbertMaskedLM
    from keras_albert.tasks.question_answering import AlbertQuestionAnswerer
    from keras_albert_export.tflite import convert
    backbone = AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size))
    with pytest.raises(ValueError, match="a masked_lm model cannot be exported yet"):
        convert(AlbertMaskedLM(backbone), "float32")
    with pytest.raises(ValueError, match="full_int8 needs a tokenizer and calibration sentences"):
        convert(AlbertQuestionAnswerer(backbone), "full_int8")
    from keras_albert import AlbertClassifier
    from keras_albert_export import tasks
    with pytest.raises(ValueError, match="full_int8 needs a tokenizer and calibration sentences"):
        convert(AlbertClassifier(backbone, 3, problem_type="multi_label_classification"), "full_int8")
    with pytest.raises(ValueError, match="unknown TFLite variant 'int4'; choose from float32, dynamic_int8, full_int8"):
        convert(AlbertClassifier(backbone, 3), "int4")
    # a classifier's problem decides its export entry; left open, transformers' rule (one output: regression)
    assert tasks.of_model(AlbertClassifier(backbone, 1)).name == "regression"
    assert tasks.of_model(AlbertClassifier(backbone, 3)).name == "classification"
    assert tasks.of_model(AlbertClassifier(backbone, 1, problem_type="single_label_classification")).name == \
        "classification"


def test_task_read_from_the_archive_is_the_loaded_models(tokenizer, tmp_path):
    """`keras-albert export` reads the task from the .keras archive's config before loading the weights: the same
    export entry (or the same refusal) as the loaded model gives, for every head."""
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.model_dir import save_model_dir
    from keras_albert.tasks import TASKS
    from keras_albert_export import tasks
    backbone = AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size))
    models = [AlbertClassifier(backbone, 1, problem_type="regression"), AlbertClassifier(backbone, 1),
              AlbertClassifier(backbone, 3, problem_type="multi_label_classification")]
    models += [backbone] + [t.head(backbone, **({t.size_arg: 3} if t.size_arg else {}))
                            for t in TASKS.values() if t.head]
    for i, model in enumerate(models):
        path = save_model_dir(str(tmp_path / str(i)), model)
        try:
            expected = tasks.of_model(model).name
        except ValueError as e:
            with pytest.raises(ValueError, match=str(e)):
                tasks.of_model_dir(path)
            continue
        assert tasks.of_model_dir(path).name == expected


def _same_output(got, expected, key):
    """The same lines; JSON lines the same but for float rounding in the scores."""
    import json
    assert expected.strip() and len(got.splitlines()) == len(expected.splitlines())
    for mine, theirs in zip(got.splitlines(), expected.splitlines()):
        if not theirs.startswith("{"):
            assert mine == theirs
            continue
        mine, theirs = json.loads(mine), json.loads(theirs)
        strip = [{k: v for k, v in a.items() if k != "score"} for a in theirs[key]]
        assert [{k: v for k, v in a.items() if k != "score"} for a in mine[key]] == strip
        np.testing.assert_allclose([a["score"] for a in mine[key]], [a["score"] for a in theirs[key]], atol=1e-4)


def _model_dir(tmp_path, model, tokenizer, labels=None):
    from keras_albert.model_dir import save_model_dir
    return save_model_dir(str(tmp_path / "model"), model, tokenizer, labels)


def test_cli_exports_and_answers_with_the_tflite(qa, tokenizer, rt_texts, tmp_path, capsys):
    """`export` of a question-answering directory writes its SavedModel and TFLite files; `answer MODEL.tflite`
    prints what `answer MODEL_DIR` prints."""
    import json

    from keras_albert_cli.cli import main
    model_dir = _model_dir(tmp_path, qa[0], tokenizer)
    out = tmp_path / "export"
    assert main(["export", model_dir, "--out", str(out), "--no-gate"]) == 0  # no held-out questions
    capsys.readouterr()
    assert {p.name for p in out.iterdir()} == {"saved_model", "model_float32.tflite", "model_dynamic_int8.tflite",
                                               "spiece.model", "report.md", "report.json", "latency.png"}
    report = json.loads((out / "report.json").read_text())
    assert report["task"] == "question_answering" and report["gate"]["max_drop"] is None
    assert list(report["variants"]["float32"]["latency_ms"]["1"]) == ["64"]  # the fixed window only
    context = " ".join(rt_texts[0][:6])
    for extra in ([], ["--top-k", "3", "--json"]):
        argv = ["--question", "who?", "--context", context] + extra
        assert main(["answer", model_dir] + argv) == 0
        expected = capsys.readouterr().out
        assert main(["answer", str(out / "model_float32.tflite")] + argv) == 0
        _same_output(capsys.readouterr().out, expected, "answers")
    assert main(["tag", str(out / "model_float32.tflite"), "some text"]) == 2
    assert "is not an exported token_classification model" in capsys.readouterr().err


def test_cli_exports_and_tags_with_the_tflite(tagger, tokenizer, rt_texts, tmp_path, capsys):
    from keras_albert_cli.cli import main
    model_dir = _model_dir(tmp_path, tagger[0], tokenizer, LABELS)
    out = tmp_path / "export"
    assert main(["export", model_dir, "--out", str(out), "--variants", "float32", "--sequence-length", "40"]) == 0
    capsys.readouterr()
    report = json.loads((out / "report.json").read_text())  # timed up to the cut, never past it
    assert list(report["variants"]["float32"]["latency_ms"]["1"]) == ["16", "32", "40"]
    assert (out / "labels.txt").read_text().split() == list(LABELS)
    assert (out / "saved_model" / "saved_model.pb").is_file()
    # texts that fit both the Keras directory's 64 positions and the export's 40 (longer ones are cut differently)
    texts = [t for t in rt_texts[0][:40] if len(tokenizer.tokenize(t)) <= 38][:3]
    assert len(texts) == 3
    for extra in ([], ["--aggregation-strategy", "first", "--json"]):
        assert main(["tag", model_dir] + texts + extra) == 0
        expected = capsys.readouterr().out
        assert main(["tag", str(out / "model_float32.tflite")] + texts + extra) == 0
        _same_output(capsys.readouterr().out, expected, "entities")
        if not extra:
            expected_plain = expected  # one line of entities per text
    assert main(["export", model_dir, "--out", str(tmp_path / "x"), "--variants", "full_int8"]) == 2
    assert "has no heldout.jsonl" in capsys.readouterr().err  # an int8 variant is gated, or --no-gate says so
    assert main(["export", model_dir, "--out", str(tmp_path / "x"), "--variants", "full_int8", "--no-gate",
                 "--sequence-length", "40"]) == 0
    capsys.readouterr()
    assert main(["tag", str(tmp_path / "x" / "model_full_int8.tflite")] + texts) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(expected_plain.splitlines())


def test_every_export_entry_names_the_command_that_runs_its_file():
    import argparse
    import importlib
    import pkgutil

    from keras_albert_cli import commands
    from keras_albert_export import tasks
    sub = argparse.ArgumentParser().add_subparsers()
    for info in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"keras_albert_cli.commands.{info.name}").register(sub)
    for name in tasks.NAMES:
        assert tasks.get(name).command in sub.choices, name
