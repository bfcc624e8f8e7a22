"""Multi-label classification: the reader (JSON lines with a list, CSV/TSV with '|'-joined names), the loss
(transformers' BCEWithLogitsLoss), the scores (micro / macro F1, subset accuracy), `finetune(task="multi_label")`
through the one training path, the saved model's round trip to transformers, and the command line."""
import json
import os

import keras
import numpy as np
import pytest
import torch
import transformers
from conftest import tiny_config
from report_markdown import check_report_md
from test_convert_hf import close, run_hf

import keras_albert
from keras_albert import AlbertBackbone, metrics, tasks
from keras_albert.features import multi_label_features
from keras_albert.model_dir import load_model_dir
from keras_albert.readers import read_multi_label
from keras_albert.training import finetune

ARGS = dict(epochs=3, batch_size=8, sequence_length=32, learning_rate=3e-3, warmup_ratio=0.0, verbose=0)
KEYWORDS = {"film": "film", "movie": "movie", "story": "story"}


def _rows(rt_texts, n, offset=0):
    """Real sentences; a sentence's labels are the keywords it holds (several, one or none)."""
    rows = []
    for text in rt_texts[0][offset:offset + n]:
        words = set(text.lower().split())
        rows.append({"text": text, "labels": [name for word, name in KEYWORDS.items() if word in words]})
    return rows


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _backbone(tokenizer):
    keras.utils.set_random_seed(0)
    return AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, num_hidden_layers=2))


def test_reader_jsonl_and_csv_agree_and_bad_rows_name_their_line(tmp_path):
    rows = [{"text": "a good film", "labels": ["film", "good"]}, {"text": "nothing", "labels": []},
            {"text": "again, a film", "labels": ["film", "film"]}]
    from_json = read_multi_label(_jsonl(tmp_path / "d.jsonl", rows))
    (tmp_path / "d.csv").write_text('text,labels\na good film,film|good\nnothing,\n"again, a film",film | film\n')
    from_csv = read_multi_label(str(tmp_path / "d.csv"))
    strip = [{k: v for k, v in r.items() if k != "line"} for r in from_json]
    assert strip == [{k: v for k, v in r.items() if k != "line"} for r in from_csv]
    assert strip[2]["labels"] == ["film"] and strip[1]["labels"] == []
    assert tasks.recipe("multi_label")[1].labels(from_json) == ["film", "good"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "labels": ["a"]}\n{"text": "x", "labels": {"a": 1}}\n{"text": "", "labels": []}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: column 'labels' must be a list of label names"):
        read_multi_label(str(bad))
    records = read_multi_label(str(bad), skip_bad_rows=True)
    assert len(records) == 1 and records.skipped == 2
    with pytest.raises(ValueError, match="no training record has a label"):
        tasks.recipe("multi_label")[1].labels([{"text": "x", "labels": []}])


def test_scores_and_loss_match_references():
    gold = [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]]
    predicted = [[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0]]
    got = metrics.evaluate("multi_label", gold, predicted)
    # by hand: tp 3, fp 1, fn 2 -> micro F1 6 / 9; per class F1 (1, 2/3, 0) -> macro 5/9; 2 of 4 rows exact
    assert got["micro_f1"] == pytest.approx(6 / 9) and got["macro_f1"] == pytest.approx(5 / 9)
    assert got["subset_accuracy"] == 0.5 and got["main"] == got["micro_f1"]
    rng = np.random.default_rng(0)
    logits, hot = rng.normal(size=(5, 3)).astype("float32"), rng.integers(0, 2, (5, 3)).astype("float32")
    ours = float(tasks.recipe("multi_label")[1].loss(None)(hot, logits))
    theirs = torch.nn.BCEWithLogitsLoss()(torch.tensor(logits), torch.tensor(hot))
    assert ours == pytest.approx(float(theirs), abs=1e-6)


def test_finetune_multi_label_and_round_trip_to_transformers(tmp_path, tokenizer, rt_texts):
    read = tasks.recipe("multi_label")[1].reader
    train = read(_jsonl(tmp_path / "train.jsonl", _rows(rt_texts, 64)))
    val = read(_jsonl(tmp_path / "val.jsonl", _rows(rt_texts, 24, offset=500)))
    out = str(tmp_path / "out")
    result = finetune(_backbone(tokenizer), tokenizer, train, val, out_dir=out, task="multi_label", **ARGS)
    h = result.history
    assert len(h["val_micro_f1"]) == 3 and h["loss"][-1] < h["loss"][0]
    assert result.metrics["micro_f1"] == pytest.approx(max(h["val_micro_f1"]), abs=1e-6)
    model, _, labels = load_model_dir(out)
    assert labels == ["film", "movie", "story"]
    assert model.problem_type == "multi_label_classification" and model.num_classes == 3
    f = multi_label_features(tokenizer, val, labels, 32)
    logits = model.predict(f.inputs, verbose=0)
    predicted = (logits > 0).astype(int)
    from sklearn.metrics import accuracy_score, f1_score
    assert result.metrics["micro_f1"] == pytest.approx(f1_score(f.gold, predicted, average="micro", zero_division=0))
    assert result.metrics["macro_f1"] == pytest.approx(f1_score(f.gold, predicted, average="macro", zero_division=0))
    assert result.metrics["subset_accuracy"] == pytest.approx(accuracy_score(f.gold, predicted))
    report = json.load(open(os.path.join(out, "report.json")))
    assert report["main_metric"] == "micro_f1" and report["validation"] == pytest.approx(result.metrics)
    check_report_md(out)

    keras_albert.save_hf(model, tmp_path / "hf", tokenizer=tokenizer, labels=labels)
    hf, info = transformers.AlbertForSequenceClassification.from_pretrained(tmp_path / "hf",
                                                                           output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert hf.config.problem_type == "multi_label_classification" and hf.config.id2label == dict(enumerate(labels))
    x = {k: v[:6] for k, v in f.inputs.items()}
    theirs = run_hf(hf.eval(), x).logits
    close(model(x), theirs)
    from test_convert_hf import torch_inputs
    with torch.no_grad():  # transformers picks BCEWithLogitsLoss from problem_type: the loss we trained with
        hf_loss = hf(**torch_inputs(x), labels=torch.tensor(f.labels[:6])).loss
    ours = float(tasks.recipe("multi_label")[1].loss(None)(f.labels[:6], model(x)))
    assert ours == pytest.approx(float(hf_loss), abs=1e-5)
    again = keras_albert.from_pretrained(tmp_path / "hf", task="auto")
    assert again.problem_type == "multi_label_classification"


def test_cli_finetunes_multi_label_csv(tmp_path, tokenizer, rt_texts, capsys):
    from keras_albert.model_dir import save_model_dir
    from keras_albert_cli.cli import main
    base = str(tmp_path / "base")
    save_model_dir(base, _backbone(tokenizer), tokenizer)
    rows = _rows(rt_texts, 120)
    data = tmp_path / "tags.csv"
    import csv
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "labels"])
        w.writerows([r["text"], "|".join(r["labels"])] for r in rows)
    out = str(tmp_path / "out")
    assert main(["finetune", "--task", "multi_label", "--model", base, "--data", str(data), "--out", out,
                 "--epochs", "1", "--batch-size", "16", "--sequence-length", "32", "--verbose", "0"]) == 0
    printed = capsys.readouterr().out
    assert "validation micro_f1" in printed and "test micro_f1" in printed and "over 12 examples" in printed
    report = json.load(open(os.path.join(out, "report.json")))
    assert report["task"] == "multi_label" and set(report["test"]) >= {"micro_f1", "macro_f1", "subset_accuracy"}
    assert report["baseline"]["model"] == "tf-idf word 1-2-grams + one-vs-rest logistic regression"
    assert 0 <= report["baseline"]["micro_f1"] <= 1
    text = check_report_md(out)
    assert "| **micro_f1** |" in text and "one-vs-rest logistic regression)" in text
    heldout = [json.loads(line) for line in open(os.path.join(out, "heldout.jsonl"))]
    assert len(heldout) == 12 and set(heldout[0]) == {"text", "labels"}
