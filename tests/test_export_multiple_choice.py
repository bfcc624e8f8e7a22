"""A multiple-choice model exported end to end (it was refused): its .tflite takes one row per choice and gives the
`multiple-choice` pipeline's scores (float32 within 1e-4, cloze questions and SWAG-style items included), its
SavedModel packs raw context / question / choices in the graph as fine-tuning packs them, and the report gates
int8 on accuracy over held-out RACE-style questions that `finetune` records."""
import json

import numpy as np
import pytest

from conftest import tiny_config

ITEMS = [
    {"context": "The film opened in May. Critics liked the music more than the plot.",
     "question": "What did critics like?", "choices": ["the music", "the plot", "the ending"]},
    {"context": "She opened the door and the dog ran out into the rain.",
     "question": "The _ ran out.", "choices": ["cat", "dog", "door", "rain"]},  # a cloze question
    {"context": "He sat down at the piano", "choices": ["and played a song .", "then ate the keys ."]},  # SWAG
    {"question": "Which is a colour?", "choices": ["red", "seven"]},  # no context: the question goes first
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tokenizer, rt_texts):
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.model_dir import HELDOUT, save_model_dir
    from keras_albert.readers.race import write_race
    from keras_albert.tasks.multiple_choice import AlbertMultipleChoice
    from keras_albert_export.pipeline import export_all
    keras.utils.set_random_seed(12)
    model = AlbertMultipleChoice(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2)))
    root = tmp_path_factory.mktemp("choice")
    model_dir = save_model_dir(str(root / "model"), model, tokenizer)
    texts = rt_texts[0]
    records = [{"article": " ".join(texts[i:i + 3]), "question": "Which sentence is in it?" if i % 2 else
                "It says _ .", "options": [texts[i + 1], texts[i + 40], texts[i + 80]], "label": i % 3}
               for i in range(0, 60, 3)]
    write_race(f"{model_dir}/{HELDOUT}", records)
    out = root / "export"
    report = export_all(model_dir, str(out), variants=("float32", "dynamic_int8", "full_int8"), sequence_length=64,
                        max_drop=100, log=lambda *_: None)
    return model, model_dir, out, report, records


def test_tflite_gives_the_pipelines_scores(exported, tokenizer):
    from keras_albert.pipelines import pipeline
    from keras_albert_export.tasks.multiple_choice import TFLiteMultipleChoice
    model, _, out, _, _ = exported
    keras_chooser = pipeline("multiple-choice", model, tokenizer, max_length=64)
    runtimes = {v: TFLiteMultipleChoice(model_path=str(out / f"model_{v}.tflite"), tokenizer=tokenizer)
                for v in ("float32", "dynamic_int8", "full_int8")}
    assert runtimes["float32"].max_length == 64  # read from the file
    for item in ITEMS:
        expected = keras_chooser(item)
        got = runtimes["float32"](item)
        assert [r["choice"] for r in got] == [r["choice"] for r in expected]
        np.testing.assert_allclose([r["score"] for r in got], [r["score"] for r in expected], atol=1e-4)
        assert abs(sum(r["score"] for r in runtimes["dynamic_int8"](item)) - 1) < 1e-4
        # full_int8 (calibrated on [choices, n] rows packed as the runtime packs them): near float's scores
        full = {r["choice"]: r["score"] for r in runtimes["full_int8"](item)}
        assert max(abs(full[r["choice"]] - r["score"]) for r in expected) < 0.1 and abs(sum(full.values()) - 1) < 1e-4
    with pytest.raises(ValueError, match="'choices' must be a non-empty list"):
        runtimes["float32"]({"question": "q", "choices": []})


def test_full_int8_keeps_the_attention_matmuls_float(exported):
    """Rows padded to the longest choice: int8 attention matmuls calibrated on them left a learned model at chance
    (BENCHMARKS.md, "int8 exports of the learned task models"); the dense layers stay int8."""
    from ai_edge_litert import schema_py_generated as schema

    from keras_albert_export.tflite import _operators, _parse, weight_types
    _, _, out, _, _ = exported
    data = (out / "model_full_int8.tflite").read_bytes()
    matmul_inputs = [graph.tensors[i].type for graph, op, kind in _operators(None, _parse(data))
                     if kind == "BATCH_MATMUL" for i in op.inputs]
    assert matmul_inputs and set(matmul_inputs) == {schema.TensorType.FLOAT32}
    assert weight_types(data) == {"int8"}


def test_savedmodel_packs_choices_in_the_graph(exported, tokenizer):
    import tensorflow as tf

    from keras_albert.pipelines import pipeline
    model, _, out, _, _ = exported
    keras_chooser = pipeline("multiple-choice", model, tokenizer, max_length=64)
    serve = tf.saved_model.load(str(out / "saved_model")).signatures["serving_default"]
    assert sorted(serve.structured_input_signature[1]) == ["choices", "context", "question"]
    cloze = {**ITEMS[1], "choices": ITEMS[1]["choices"][:3]}  # a batch shares its number of choices
    for group in ([ITEMS[0], cloze], [ITEMS[2]], [ITEMS[3]]):
        got = serve(context=tf.constant([i.get("context", "") for i in group]),
                    question=tf.constant([i.get("question", "") for i in group]),
                    choices=tf.constant([i["choices"] for i in group]))
        for row, item in enumerate(group):
            expected = {r["choice"]: r["score"] for r in keras_chooser(item)}
            if "context" not in item:  # an empty context is an absent one on every path, as in the graph
                assert keras_chooser({**item, "context": ""}) == keras_chooser(item)
            np.testing.assert_allclose(got["probabilities"].numpy()[row], [expected[c] for c in item["choices"]],
                                       atol=1e-4)
            assert item["choices"][int(got["choice"].numpy()[row])] == keras_chooser(item)[0]["choice"]


def test_report_gates_on_accuracy_and_info_names_the_task(exported, capsys):
    from keras_albert.metrics import accuracy
    from keras_albert_cli.cli import main
    from keras_albert_export.tasks.multiple_choice import _keras
    model, model_dir, out, report, records = exported
    assert report["task"] == "multiple_choice" and report["main_metric"] == "accuracy"
    assert report["test_examples"] == len(records) and report["unit"] == "questions"
    from keras_albert_export.runtime import read_exported
    _, tokenizer, _ = read_exported(str(out / "model_float32.tflite"))
    expected = 100 * accuracy([r["label"] for r in records], _keras(model, tokenizer, None, records, 64))
    assert report["keras"]["accuracy"] == round(expected, 2)
    assert report["variants"]["float32"]["agreement_with_keras"] == 100.0
    assert set(report["variants"]) == {"float32", "dynamic_int8", "full_int8"}
    assert all(0 <= report["variants"][v]["accuracy"] <= 100 for v in ("dynamic_int8", "full_int8"))
    assert main(["info", str(out / "model_dynamic_int8.tflite")]) == 0
    shown = capsys.readouterr().out
    assert "multiple_choice model" in shown and "(one row per choice); any length, cut at 64 tokens" in shown
    assert f"run: keras-albert choose {out / 'model_dynamic_int8.tflite'} ..." in shown


def test_finetune_records_its_held_out_questions_as_race_lines(tmp_path):
    """The recipe's held-out writer writes what the gate's reader reads (it wrote `label` ids, which read_race
    refuses)."""
    from keras_albert import tasks
    from keras_albert.readers import read_race
    name, write = tasks.get("multiple_choice").recipes[0].heldout
    records = [{"article": "a b", "question": "q _", "options": ["x", "y", "z"], "label": 2, "line": 1}]
    write(str(tmp_path / name), records)
    back = read_race(str(tmp_path / name))
    keys = ("article", "question", "options", "label")
    assert [{k: r[k] for k in keys} for r in back] == [{k: r[k] for k in keys} for r in records]


def test_cli_choose_gives_the_same_answer_from_the_model_and_the_tflite(exported, tmp_path, capsys):
    from keras_albert.pipelines import pipeline
    from keras_albert_cli.cli import main
    model, model_dir, out, _, _ = exported
    item = ITEMS[1]
    expected = pipeline("multiple-choice", model=model_dir, max_length=64)(item)
    argv = ["--context", item["context"], "--question", item["question"]]
    for choice in item["choices"]:
        argv += ["--choice", choice]
    outputs = {}
    for source in (model_dir, str(out / "model_float32.tflite")):
        assert main(["choose", source, *argv, "--sequence-length", "64"]) == 0
        outputs[source] = capsys.readouterr().out.splitlines()
        assert [line.split("\t")[1] for line in outputs[source]] == [r["choice"] for r in expected]
        np.testing.assert_allclose([float(line.split("\t")[0]) for line in outputs[source]],
                                   [r["score"] for r in expected], atol=2e-4)
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(i) for i in ITEMS[:3]) + "\n")
    assert main(["choose", str(out / "model_float32.tflite"), "--file", str(questions), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [x["result"][0]["choice"] for x in lines] == \
        [pipeline("multiple-choice", model=model_dir)(i)[0]["choice"] for i in ITEMS[:3]]
    questions.write_text(json.dumps({"article": ITEMS[1]["context"], "question": ITEMS[1]["question"],
                                     "options": ITEMS[1]["choices"], "answer": "B"}) + "\n")  # a RACE line
    assert main(["choose", str(out / "model_float32.tflite"), "--file", str(questions), "--sequence-length", "64"]) == 0
    assert capsys.readouterr().out.splitlines() == outputs[str(out / "model_float32.tflite")]
    assert main(["choose", str(out / "model_float32.tflite"), "-q", "q", "--choice", "a", "--choice", "b",
                 "--sequence-length", "65"]) == 2  # the file cuts at 64: refused as the model directory refuses it
    assert capsys.readouterr().err.strip().endswith("cuts its input at 64 tokens (its export's --sequence-length)")
    assert main(["choose", model_dir, "--question", "q", "--choice", "only one"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "give at least two choices" in err[0]
    questions.write_text('{"question": "q", "choices": "ab"}\n')
    assert main(["choose", model_dir, "--file", str(questions)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'choices' must be a non-empty list of non-empty strings" in err[0]
    for argv, message in ((["--context", "c", "--choice", "", "--choice", "b"], "non-empty strings"),
                          (["--question", " ", "--choice", "a", "--choice", "b"],
                           "has no 'context' or 'question' text")):
        assert main(["choose", model_dir, *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]
