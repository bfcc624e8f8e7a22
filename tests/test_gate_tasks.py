"""The int8 gate for question answering and token classification: each variant scored by the task's own metric
(SQuAD F1 / exact match, entity F1) on the model's held-out data, the Keras pipeline as the float reference,
agreement with it, rejection when int8 loses too much, refusal without data, and the report's fields.

References are computed here on their own: the Keras `question-answering` pipeline and the exported file's runtime
answers scored by keras_albert.metrics; for tagging, the per-word tags of finetune's own scoring path
(`token_features(...).predict`) and of the .tflite run directly on the same word-piece rows."""
import json
import os

import numpy as np
import pytest

from conftest import tiny_config

LENGTH = 64  # the tiny models' position table: the QA export's fixed window (min(384, 64)) and the tagging length
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
VARIANTS = ("float32", "dynamic_int8", "full_int8")  # full_int8 calibrated by the export (task-shaped rows)


def _qa(tokenizer, initializer_range):
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.tasks.question_answering import AlbertQuestionAnswerer
    keras.utils.set_random_seed(3)
    return AlbertQuestionAnswerer(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size,
                                                             initializer_range=initializer_range)))


@pytest.fixture(scope="module")
def qa_model(tokenizer):
    """A random-init tiny question answerer with wide weights (answers far from ties)."""
    return _qa(tokenizer, 0.2)


@pytest.fixture(scope="module")
def coarse_qa_model(tokenizer):
    """Weights so wide that int8 rounding moves many of its answers: an int8 export that truly loses F1."""
    return _qa(tokenizer, 0.5)


@pytest.fixture(scope="module")
def tag_model(tokenizer):
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.tasks.token_classification import AlbertTokenClassifier
    keras.utils.set_random_seed(4)
    return AlbertTokenClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2)),
                                 len(LABELS))


def _questions(rt_texts, n=30):
    """SQuAD records: two review sentences as the context, its first word as the gold answer."""
    texts = rt_texts[0]
    return [{"id": f"q{i}", "question": "what is it about?", "context": f"{texts[3 * i]} {texts[3 * i + 1]}",
             "answers": [(texts[3 * i].split()[0], 0)], "is_impossible": False} for i in range(n)]


def _keras_answers(model, tokenizer, records):
    from keras_albert.pipelines import pipeline
    qa = pipeline("question-answering", model, tokenizer, max_seq_len=LENGTH)
    return [qa(question=r["question"], context=r["context"]) for r in records]


def _tflite_answers(path, tokenizer, records):
    from keras_albert_export.tasks.question_answering import TFLiteQuestionAnswerer
    qa = TFLiteQuestionAnswerer(model_path=str(path), tokenizer=tokenizer)
    return [qa(r["question"], r["context"]) for r in records]


def _squad(records, answers):
    from keras_albert.metrics import squad_scores
    return squad_scores(records, {r["id"]: a["answer"] for r, a in zip(records, answers)})


def _span(a):
    return a["start"], a["end"], a["answer"]


def _qa_dir(tmp_path, model, tokenizer, records=None):
    from keras_albert.model_dir import HELDOUT_SQUAD, save_model_dir
    from keras_albert.readers import write_squad
    path = save_model_dir(str(tmp_path / "qa_model"), model, tokenizer)
    if records is not None:
        write_squad(os.path.join(path, HELDOUT_SQUAD), records)
    return path


def _quiet(*_):
    pass


def test_finetune_writes_the_questions_it_held_out_as_squad_json(tmp_path, tokenizer, rt_texts):
    """finetune's held-out split for question answering is SQuAD JSON the gate reads back record for record."""
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.model_dir import HELDOUT, HELDOUT_SQUAD
    from keras_albert.training import finetune
    from keras_albert_export import gate, tasks
    records = _questions(rt_texts, 12)
    keras.utils.set_random_seed(0)
    out = str(tmp_path / "ft")
    finetune(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, num_hidden_layers=2)), tokenizer,
             records[:8], records[8:10], out_dir=out, task="question_answering", heldout=records[4:12], epochs=1,
             batch_size=4, sequence_length=48, verbose=0)
    assert os.path.isfile(os.path.join(out, HELDOUT_SQUAD)) and not os.path.exists(os.path.join(out, HELDOUT))
    back, source = gate.records(tasks.get("question_answering"), out, None)
    assert back == records[4:12] and source == "the model's heldout.json"
    assert tasks.get("question_answering").gate.heldout == HELDOUT_SQUAD
    assert tasks.get("token_classification").gate.heldout == tasks.get("classification").gate.heldout == HELDOUT


def test_qa_gate_scores_squad_f1_of_the_pipeline_and_of_each_runtime(qa_model, tokenizer, rt_texts, tmp_path):
    from keras_albert_export.pipeline import export_all
    records = _questions(rt_texts)
    keras_answers = _keras_answers(qa_model, tokenizer, records)
    for r, a in zip(records[::3], keras_answers[::3]):  # a third answered as the float model answers: F1 well above 0
        r["answers"] = [(a["answer"], a["start"])]
    out = tmp_path / "export"
    report = export_all(_qa_dir(tmp_path, qa_model, tokenizer, records), str(out), max_drop=100, log=_quiet,
                        variants=VARIANTS)
    expected = _squad(records, keras_answers)
    assert 0 < expected["f1"] < 100
    assert report["keras"] == {"f1": round(expected["f1"], 2), "exact_match": round(expected["exact_match"], 2)}
    assert report["main_metric"] == "f1" and report["metrics"] == ["f1", "exact_match"]
    assert report["test_examples"] == report["test_sentences"] == 30 and report["unit"] == "questions"
    assert report["heldout"] == "the model's heldout.json" and report["gate"] == {"max_drop": 100, "passed": True,
                                                                                  "failed": []}
    for variant in VARIANTS:
        r, path = report["variants"][variant], out / f"model_{variant}.tflite"
        answers = _tflite_answers(path, tokenizer, records)
        scores = _squad(records, answers)
        assert r["f1"] == round(scores["f1"], 2) and r["exact_match"] == round(scores["exact_match"], 2)
        same = np.mean([_span(a) == _span(b) for a, b in zip(answers, keras_answers)])
        assert r["agreement_with_keras"] == round(100 * same, 2)
        assert r["size_mb"] == round(os.path.getsize(path) / 2**20, 3) and r["file"] == path.name
        assert set(r["latency_ms"]) == {1, 2} and all(list(row) == [LENGTH] and row[LENGTH] > 0
                                                     for row in r["latency_ms"].values())  # the fixed window only
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0
    saved = json.loads((out / "report.json").read_text())
    assert saved["variants"]["dynamic_int8"]["latency_ms"]["1"][str(LENGTH)] > 0 and saved["keras"] == report["keras"]
    text = (out / "report.md").read_text()
    assert "Held-out set: 30 questions from the model's heldout.json; Keras float f1" in text
    assert "| variant | size (MB) | f1 (%) | exact_match (%) | agreement with Keras (%) |" in text
    assert "Against float (f1): dynamic_int8 " in text and "Gate (at most 100 points lost): passed." in text


def test_qa_int8_that_changes_answers_is_rejected(coarse_qa_model, tokenizer, rt_texts, tmp_path):
    """Gold = the float model's own answers, so float scores its best and every answer int8 changes is a loss."""
    from keras_albert_export.gate import GateFailed
    from keras_albert_export.pipeline import export_all
    records = _questions(rt_texts)
    answers = _keras_answers(coarse_qa_model, tokenizer, records)
    for r, a in zip(records, answers):
        r["answers"] = [(a["answer"], a["start"])]
    out = tmp_path / "export"
    with pytest.raises(GateFailed) as failed:
        export_all(_qa_dir(tmp_path, coarse_qa_model, tokenizer, records), str(out), max_drop=0.0, log=_quiet)
    assert not out.exists()
    rejected = tmp_path / "export.rejected"
    assert failed.value.rejected == str(rejected) and (rejected / "REJECTED.txt").is_file()
    report = json.loads((rejected / "report.json").read_text())
    int8 = _squad(records, _tflite_answers(rejected / "model_dynamic_int8.tflite", tokenizer, records))["f1"]
    floating = _squad(records, answers)["f1"]  # below 100 only where an answer normalizes to nothing (".")
    assert report["keras"]["f1"] == round(floating, 2) and report["variants"]["dynamic_int8"]["f1"] == round(int8, 2)
    assert int8 < floating
    assert report["gate"] == {"max_drop": 0.0, "passed": False, "failed": ["dynamic_int8"]}
    message = str(failed.value)
    assert message.startswith("int8 lost too much f1 against float: dynamic_int8 lost ")
    assert "on 30 held-out questions (allowed 0)" in message and str(rejected) in message


def test_no_held_out_data_no_gate(qa_model, tag_model, tokenizer, rt_texts, tmp_path, capsys):
    """Without the model's held-out split or --data the export refuses in one line, unless --no-gate, and so it
    does for a built-in sentiment set named as a tagger's data; --limit caps the examples; a tag the model lacks
    is named with its file and line."""
    from keras_albert.model_dir import save_model_dir
    from keras_albert.readers import write_squad
    from keras_albert_cli.cli import main
    qa_dir = _qa_dir(tmp_path, qa_model, tokenizer)
    assert main(["export", qa_dir, "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no heldout.json" in err[0] and "--data FILE (SQuAD v1.1/v2.0 JSON)" in err[0]
    assert "--no-gate" in err[0] and not (tmp_path / "a").exists()
    tag_dir = save_model_dir(str(tmp_path / "tag_model"), tag_model, tokenizer, LABELS)
    assert main(["export", tag_dir, "--out", str(tmp_path / "b"), "--max-metric-drop", "3"]) == 2
    assert "has no heldout.jsonl" in capsys.readouterr().err and not (tmp_path / "b").exists()
    # a built-in set is single-label sentiment: it cannot gate a tagger (it once said "data file not found")
    assert main(["export", tag_dir, "--out", str(tmp_path / "b"), "--data", "rotten_tomatoes"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--data rotten_tomatoes: the built-in rotten_tomatoes set is single-label" in err[0]
    assert "token_classification model" in err[0] and not (tmp_path / "b").exists()

    assert main(["export", qa_dir, "--out", str(tmp_path / "c"), "--no-gate"]) == 0
    report = json.loads((tmp_path / "c" / "report.json").read_text())
    assert report["keras"] == {"f1": None, "exact_match": None} and report["gate"]["max_drop"] is None
    assert "F1 not measured: no held-out data (exported with --no-gate)." in (tmp_path / "c" / "report.md").read_text()

    data = tmp_path / "mine.json"
    write_squad(str(data), _questions(rt_texts))
    assert main(["export", qa_dir, "--out", str(tmp_path / "d"), "--data", str(data), "--limit", "4",
                 "--variants", "float32"]) == 0
    report = json.loads((tmp_path / "d" / "report.json").read_text())
    assert report["test_examples"] == 4 and report["heldout"] == str(data)
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0

    conll = tmp_path / "mine.conll"
    conll.write_text("Paris B-LOC\nis O\n\nJohn B-ORG\nruns O\n")
    capsys.readouterr()
    assert main(["export", tag_dir, "--out", str(tmp_path / "e"), "--data", str(conll)]) == 2
    assert capsys.readouterr().err.strip() == (f"keras-albert export: error: {conll}:4: tag 'B-ORG' is not one of the model's labels "
                                               f"({', '.join(LABELS)})")


def _sentences(rt_texts, n=30):
    return [{"tokens": rt_texts[0][100 + i].split()[:20]} for i in range(n)]


def _feature_tags(model, tokenizer, records):
    """Per-word tags by finetune's own scoring path (token_features + its decode), the padded Keras model."""
    from keras_albert.features import token_features
    return token_features(tokenizer, [{**r, "tags": ["O"] * len(r["tokens"])} for r in records], LABELS,
                          LENGTH).predict(model)


def _tflite_tags(path, tokenizer, records):
    """Per-word tags of a .tflite run directly on the same word-piece rows, first piece's arg-max."""
    from keras_albert.features import word_pieces
    from keras_albert.packing import Encoding
    from keras_albert_export.tasks.base import SignatureModel
    runner = SignatureModel(str(path), outputs=("logits",))
    tags = []
    for r in records:
        ids, words = word_pieces(tokenizer, r["tokens"], LENGTH)
        best = runner.run(Encoding(ids, [0] * len(ids), None, None))["logits"].argmax(-1)
        firsts = {w: p for p, w in reversed(list(enumerate(words))) if w is not None}
        tags.append([LABELS[best[firsts[w]]] if w in firsts else "O" for w in range(len(r["tokens"]))])
    return tags


def _conll(path, records):
    path.write_text("".join("".join(f"{t} {g}\n" for t, g in zip(r["tokens"], r["tags"])) + "\n" for r in records))
    return str(path)


def test_token_gate_scores_entity_f1_on_the_words_of_each_variant(tag_model, tokenizer, rt_texts, tmp_path,
                                                                   capsys):
    from keras_albert.metrics import entity_scores
    from keras_albert.model_dir import HELDOUT, save_model_dir
    from keras_albert_cli.cli import main
    records = _sentences(rt_texts)
    float_tags = _feature_tags(tag_model, tokenizer, records)
    for i, (r, tags) in enumerate(zip(records, float_tags)):  # a third tagged as the float model tags them
        r["tags"] = tags if i % 3 == 0 else ["B-PER" if j % 4 == 0 else "O" for j in range(len(tags))]
    model_dir = save_model_dir(str(tmp_path / "model"), tag_model, tokenizer, LABELS)
    with open(os.path.join(model_dir, HELDOUT), "w") as f:  # as finetune writes it
        f.writelines(json.dumps({"tokens": r["tokens"], "tags": r["tags"]}) + "\n" for r in records)
    out = tmp_path / "export"
    assert main(["export", model_dir, "--out", str(out), "--sequence-length", str(LENGTH),
                 "--variants", ",".join(VARIANTS), "--max-metric-drop", "100"]) == 0
    printed = capsys.readouterr().out
    assert "Held-out set: 30 sentences from the model's heldout.jsonl; Keras float f1 " in printed
    report = json.loads((out / "report.json").read_text())
    gold = [r["tags"] for r in records]

    def points(tags, gold=gold):
        return {k: round(100 * v, 2) for k, v in entity_scores(gold, tags).items() if k in ("f1", "precision",
                                                                                               "recall")}
    assert 0 < report["keras"]["f1"] < 100 and report["keras"] == points(float_tags)
    assert report["main_metric"] == "f1" and report["unit"] == "sentences"
    for variant in VARIANTS:
        r = report["variants"][variant]
        tags = _tflite_tags(out / f"model_{variant}.tflite", tokenizer, records)
        assert {k: r[k] for k in ("f1", "precision", "recall")} == points(tags)
        assert r["agreement_with_keras"] == round(100 * np.mean([a == b for a, b in zip(tags, float_tags)]), 2)
        assert list(r["latency_ms"]["1"]) == ["16", "32", "64"]  # the lengths a tagger reads, up to its table
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0

    # gold = the float model's own tags: int8's changed tags cost entity F1, and --max-metric-drop 0 rejects
    data = _conll(tmp_path / "own.conll", [{**r, "tags": t} for r, t in zip(records, float_tags)])
    int8 = points(_tflite_tags(out / "model_dynamic_int8.tflite", tokenizer, records), float_tags)["f1"]
    assert points(float_tags, float_tags)["f1"] == 100.0 and int8 < 100.0
    out2 = tmp_path / "gated"
    assert main(["export", model_dir, "--out", str(out2), "--sequence-length", str(LENGTH), "--data", data,
                 "--max-accuracy-drop", "0"]) == 1  # the older name of --max-metric-drop
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "int8 lost too much f1 against float: dynamic_int8 lost" in err[0]
    assert f"{out2}.rejected" in err[0] and not out2.exists()


def test_word_tags_take_each_words_first_piece():
    from keras_albert_export.tasks.token_classification import word_tags
    pieces = [{"entity": "B-PER", "start": 0, "end": 2}, {"entity": "I-LOC", "start": 2, "end": 4},
              {"entity": "O", "start": 8, "end": 9}, {"entity": "I-PER", "start": 5, "end": 7}]
    assert word_tags(["John", "is", "x", "cut"], pieces) == ["B-PER", "I-PER", "O", "O"]


def test_max_metric_drop_and_its_older_name():
    import argparse

    from keras_albert_cli.commands import export
    parser = argparse.ArgumentParser()
    export.register(parser.add_subparsers())
    for flag in ("--max-metric-drop", "--max-accuracy-drop"):
        assert export.max_drop_of(parser.parse_args(["export", "m", "--out", "o", flag, "2.5"])) == 2.5
        with pytest.raises(ValueError, match="--no-gate and --max-metric-drop"):
            export.max_drop_of(parser.parse_args(["export", "m", "--out", "o", flag, "1", "--no-gate"]))
    assert export.max_drop_of(parser.parse_args(["export", "m", "--out", "o"])) == 1.0
