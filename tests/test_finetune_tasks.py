"""finetune(task=...) for every task through the one training path, on a tiny model and tiny files: pair
classification (MNLI-style TSV), regression (STS-B, Pearson), token classification (CoNLL; word pieces checked
against transformers' `is_split_into_words`), multiple choice (RACE JSONL). Each reports the task's main metric
per epoch, keeps the best epoch by it, and its final scores equal the metric recomputed from the saved model."""
import json
import os

import keras
import numpy as np
import pytest
import transformers
from conftest import tiny_config
from report_markdown import check_report_md
from scipy import stats

from keras_albert import AlbertBackbone
from keras_albert import tasks
from keras_albert.features import IGNORE, token_features, word_pieces
from keras_albert.model_dir import load_model_dir
from keras_albert.training import finetune

ARGS = dict(epochs=3, batch_size=8, sequence_length=32, learning_rate=2e-3, warmup_ratio=0.0, verbose=0)


def _backbone(tokenizer):
    keras.utils.set_random_seed(0)
    return AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, num_hidden_layers=2))


def _read(task, path):
    return tasks.recipe(task)[1].reader(path)


def _check_run(result, out, metric, epochs=3):
    """The main metric logged every epoch; the kept model is the best epoch's; report.json says so."""
    h = result.history
    assert len(h[f"val_{metric}"]) == epochs and len(h["loss"]) == epochs
    scores = [s for s in h[f"val_{metric}"] if s == s]  # NaN (a constant prediction) is never the best
    if scores:
        assert result.metrics[metric] == pytest.approx(max(scores), abs=1e-5)
    report = json.load(open(os.path.join(out, "report.json")))
    assert report["main_metric"] == metric and len(report["history"][f"val_{metric}"]) == epochs
    assert os.path.isfile(os.path.join(out, "training_curves.png"))
    check_report_md(out)  # report.md: the same numbers, the task's metric per epoch
    return report


def test_pair_classification_tsv(tmp_path, tokenizer, rt_texts):
    rng = np.random.default_rng(0)
    rows = ["sentence1\tsentence2\tgold_label"]
    for i in range(48):
        s = rt_texts[0][i].replace("\t", " ")
        same = rng.integers(2)
        rows.append(f"{s}\t{s if same else rt_texts[0][i + 500]}\t{'entailment' if same else 'contradiction'}")
    path = tmp_path / "mnli.tsv"
    path.write_text("\n".join(rows) + "\n")
    records = _read("pair_classification", str(path))
    out = str(tmp_path / "out")
    result = finetune(_backbone(tokenizer), tokenizer, records[:32], records[32:], out_dir=out,
                      task="pair_classification", **ARGS)
    _check_run(result, out, "accuracy")
    model, _, labels = load_model_dir(out)
    assert labels == ["contradiction", "entailment"] and model.num_classes == 2
    feats = tasks.get("classification")  # the saved classifier scores the validation pairs as the report says
    from keras_albert.features import packed_pairs
    x = packed_pairs(tokenizer, [r["text"] for r in records[32:]], [r["text_pair"] for r in records[32:]], 32)
    assert x["segment_ids"].max() == 1 and feats.head is type(model)
    predicted = np.argmax(model.predict(x, verbose=0), -1)
    gold = [labels.index(r["label"]) for r in records[32:]]
    assert result.metrics["accuracy"] == pytest.approx(np.mean(predicted == gold))


def test_regression_reports_pearson(tmp_path, tokenizer, rt_texts):
    rows = ["sentence1\tsentence2\tscore"]
    rng = np.random.default_rng(1)
    for i in range(40):
        a, b = rt_texts[0][i].replace("\t", " "), rt_texts[0][i + 700].replace("\t", " ")
        rows.append(f"{a}\t{b}\t{rng.uniform(0, 5):.2f}")
    path = tmp_path / "stsb.tsv"
    path.write_text("\n".join(rows) + "\n")
    records = _read("regression", str(path))
    assert isinstance(records[0]["label"], float)
    out = str(tmp_path / "out")
    result = finetune(_backbone(tokenizer), tokenizer, records[:32], records[32:], out_dir=out, task="regression",
                      **ARGS)
    report = _check_run(result, out, "pearson")
    assert report["validation"]["pearson"] == pytest.approx(result.metrics["pearson"], nan_ok=True)
    model, _, labels = load_model_dir(out)
    assert model.num_classes == 1 and model.problem_type == "regression" and labels is None
    from keras_albert.features import regression_features
    val = regression_features(tokenizer, records[32:], None, 32)
    predicted = model.predict(val.inputs, verbose=0)[:, 0]
    assert result.metrics["pearson"] == pytest.approx(stats.pearsonr(val.gold, predicted)[0], abs=1e-5)
    assert result.metrics["spearman"] == pytest.approx(stats.spearmanr(val.gold, predicted)[0], abs=1e-5)


def _their_tokenizer(tmp_path, tokenizer):
    """transformers' fast tokenizer from our tokenizer.json: the reference for pieces and windows."""
    folder = tmp_path / "hf"
    folder.mkdir()
    tokenizer.save_tokenizer_json(folder / "tokenizer.json")
    (folder / "config.json").write_text(json.dumps({"model_type": "albert"}))
    return transformers.AutoTokenizer.from_pretrained(folder)


def test_word_pieces_match_transformers_is_split_into_words(tmp_path, tokenizer, rt_texts):
    theirs = _their_tokenizer(tmp_path, tokenizer)
    sentences = [t.split() for t in rt_texts[0][:100]] + [["New", "York", ",", "U.S.A.", "isn't", "Ünïcode", "5,000"]]
    for words in sentences:
        for length in (512, 16):
            enc = theirs(words, is_split_into_words=True, truncation=True, max_length=length)
            ids, word_ids = word_pieces(tokenizer, words, length)
            assert ids == enc["input_ids"], words
            assert word_ids == enc.word_ids(), words


def _conll(path, sentences):
    with open(path, "w") as f:
        f.write("-DOCSTART- -X- O O\n\n")
        for words, tags in sentences:
            f.writelines(f"{w} NN O {t}\n" for w, t in zip(words, tags))
            f.write("\n")


def _tagged(rt_texts, n, offset=0):
    """Real words; a name from a short list (tagged B-PER, its second word I-PER) inserted in each sentence."""
    names = [["john", "smith"], ["mary"], ["paris", "hilton"], ["tom"]]
    out = []
    for i in range(n):
        words = rt_texts[0][offset + i].split()[:8]
        name = names[i % len(names)]
        at = i % (len(words) + 1)
        tags = ["O"] * len(words)
        out.append((words[:at] + name + words[at:], tags[:at] + ["B-PER"] + ["I-PER"] * (len(name) - 1) + tags[at:]))
    return out


def test_token_features_label_first_piece_only(tokenizer):
    records = [{"tokens": ["unbelievably", "good"], "tags": ["O", "B-X"], "line": 1}]
    f = token_features(tokenizer, records, ["O", "B-X"], 16)
    ids, word_ids = word_pieces(tokenizer, records[0]["tokens"], 16)
    n = len(ids)
    expected = [IGNORE if w is None or (p > 0 and word_ids[p - 1] == w) else (0 if w == 0 else 1)
                for p, w in enumerate(word_ids)]
    assert f.labels[0, :n].tolist() == expected and (f.labels[0, n:] == IGNORE).all()
    assert f.inputs["token_ids"][0, :n].tolist() == ids and f.inputs["padding_mask"][0].sum() == n
    logits = np.zeros((1, 16, 2))
    logits[0, f.extra["first_piece"][0][1], 1] = 1
    assert f.decode(f, logits) == [["O", "B-X"]]
    with pytest.raises(ValueError, match="line 1: tag 'B-X' is not one of the training tags O"):
        token_features(tokenizer, records, ["O"], 16)


def test_token_classification_conll(tmp_path, tokenizer, rt_texts):
    import seqeval.metrics
    train, val = tmp_path / "train.conll", tmp_path / "val.conll"
    _conll(train, _tagged(rt_texts, 32))
    _conll(val, _tagged(rt_texts, 16, offset=300))
    out = str(tmp_path / "out")
    result = finetune(_backbone(tokenizer), tokenizer, _read("token_classification", str(train)),
                      _read("token_classification", str(val)), out_dir=out, task="token_classification",
                      **{**ARGS, "epochs": 4, "learning_rate": 3e-3})
    _check_run(result, out, "f1", epochs=4)
    h = result.history
    assert h["loss"][-1] < 0.7 * h["loss"][0]
    model, _, labels = load_model_dir(out)
    assert labels == ["O", "B-PER", "I-PER"] and model.num_labels == 3
    records = _read("token_classification", str(val))
    f = token_features(tokenizer, records, labels, 32)
    predicted = f.decode(f, model.predict(f.inputs, verbose=0))
    assert [len(p) for p in predicted] == [len(r["tokens"]) for r in records]
    assert result.metrics["f1"] == pytest.approx(seqeval.metrics.f1_score(f.gold, predicted), abs=1e-6)


def test_multiple_choice_race(tmp_path, tokenizer, rt_texts):
    path = tmp_path / "race.jsonl"
    rng = np.random.default_rng(2)
    with open(path, "w") as f:
        for i in range(24):
            options = [rt_texts[0][i * 4 + k][:40] for k in range(4)]
            f.write(json.dumps({"article": rt_texts[0][i + 900], "question": "which one _ ?", "options": options,
                                "answer": "ABCD"[rng.integers(4)]}) + "\n")
    records = _read("multiple_choice", str(path))
    out = str(tmp_path / "out")
    result = finetune(_backbone(tokenizer), tokenizer, records[:16], records[16:], out_dir=out,
                      task="multiple_choice", **{**ARGS, "epochs": 2})
    _check_run(result, out, "accuracy", epochs=2)
    model, _, labels = load_model_dir(out)
    assert type(model).__name__ == "AlbertMultipleChoice" and labels is None
    from keras_albert.features import choice_features
    val = choice_features(tokenizer, records[16:], None, 32)
    assert val.inputs["token_ids"].shape == (8, 4, 32)
    predicted = np.argmax(model.predict(val.inputs, verbose=0), -1)
    assert result.metrics["accuracy"] == pytest.approx(np.mean(predicted == val.gold))
    assert os.path.isfile(os.path.join(out, "heldout.jsonl")) is False


def test_multiple_choice_learns_which_option_is_right(tmp_path, tokenizer, rt_texts):
    """When the option alone tells (the right one is always one of a few words, the wrong ones other words), the
    model learns to pick it on held-out questions: each option's row scores the option, and the answer letter
    stays with its row through packing, folding and batching."""
    words = sorted({w for t in rt_texts[0][:400] for w in t.split() if w.isalpha() and len(w) > 4})
    right, wrong = words[:8], words[8:]
    rng = np.random.default_rng(3)
    path = tmp_path / "race.jsonl"
    with open(path, "w") as f:
        for i in range(320):
            options = list(rng.choice(wrong, 4, replace=False))
            answer = int(rng.integers(4))
            options[answer] = right[int(rng.integers(len(right)))]
            f.write(json.dumps({"article": rt_texts[0][i + 1000], "question": "the word is _ .",
                                "options": options, "answer": "ABCD"[answer]}) + "\n")
    records = _read("multiple_choice", str(path))
    out = str(tmp_path / "out")
    result = finetune(_backbone(tokenizer), tokenizer, records[:256], records[256:], out_dir=out,
                      task="multiple_choice", **{**ARGS, "epochs": 4, "batch_size": 16})
    assert result.metrics["accuracy"] >= 0.9, result.history  # chance: 0.25


def test_bad_task_and_head(tmp_path, tokenizer):
    with pytest.raises(ValueError, match="cannot fine-tune 'tagging'; expected one of"):
        finetune(_backbone(tokenizer), tokenizer, [], out_dir=str(tmp_path / "o"), task="tagging")
    with pytest.raises(ValueError, match="train: expected a non-empty list of records"):
        finetune(_backbone(tokenizer), tokenizer, [], out_dir=str(tmp_path / "o"), task="regression")


class _StopAtStep(keras.callbacks.Callback):
    """Interrupts the run after `step` optimizer steps (after the backup callback has saved that step)."""

    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            raise KeyboardInterrupt


def test_token_classification_resumes_to_identical_weights(tmp_path, tokenizer, rt_texts):
    """Interrupted mid-epoch 2 and rerun: the same steps, history and weights as a run never interrupted
    (dropout on, deterministic ops)."""
    from keras_albert.staging import staging_path
    path = tmp_path / "train.conll"
    _conll(path, _tagged(rt_texts, 32))
    records = _read("token_classification", str(path))

    def model():
        keras.utils.set_random_seed(0)
        return AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, num_hidden_layers=2,
                                          hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1))
    args = dict(task="token_classification", epochs=2, batch_size=8, sequence_length=32, learning_rate=2e-3,
                backup_every=2, deterministic=True, verbose=0)
    killed, whole = str(tmp_path / "killed"), str(tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        finetune(model(), tokenizer, records[:24], records[24:], out_dir=killed, **args, callbacks=[_StopAtStep(5)])
    from keras_albert.training.resume import STATE, _load_arrays
    backup = os.path.join(staging_path(killed, "partial"), "backup", STATE)
    assert _load_arrays(backup)[1]["step"] == 4 and not os.path.exists(killed)  # mid-epoch 2 (3 steps an epoch)
    resumed = finetune(model(), tokenizer, records[:24], records[24:], out_dir=killed, **args)
    reference = finetune(model(), tokenizer, records[:24], records[24:], out_dir=whole, **args)
    assert resumed.steps == reference.steps == 6
    assert resumed.history == reference.history and len(resumed.history["val_f1"]) == 2
    a, b = load_model_dir(killed)[0], load_model_dir(whole)[0]
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy(), err_msg=wa.path)


def test_cli_finetunes_token_classification_jsonl(tmp_path, tokenizer, rt_texts, capsys):
    from keras_albert.model_dir import save_model_dir
    from keras_albert_cli.cli import main
    base = str(tmp_path / "base")
    save_model_dir(base, _backbone(tokenizer), tokenizer)
    data = tmp_path / "ner.jsonl"
    data.write_text("".join(json.dumps({"tokens": w, "tags": t}) + "\n" for w, t in _tagged(rt_texts, 40)))
    out = str(tmp_path / "out")
    assert main(["finetune", "--task", "token_classification", "--model", base, "--data", str(data), "--out", out,
                 "--epochs", "1", "--batch-size", "8", "--sequence-length", "32", "--verbose", "0"]) == 0
    printed = capsys.readouterr().out
    assert "validation f1" in printed and "test f1" in printed and "over 4 examples" in printed
    report = json.load(open(os.path.join(out, "report.json")))
    assert report["task"] == "token_classification" and "f1" in report["test"]
    assert report["baseline"] is None  # (a bag of words has no tags to give)
    heldout = [json.loads(line) for line in open(os.path.join(out, "heldout.jsonl"))]
    assert len(heldout) == 4 and set(heldout[0]) == {"tokens", "tags"}
    assert main(["finetune", "--task", "multiple_choice", "--model", base, "--data", str(data),
                 "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ner.jsonl:1" in err[0]


def _squad(path, rt_texts, n, offset=0, impossible=False):
    """Real sentences as contexts; the question names a word, the answer is the word after it."""
    paragraphs = []
    for i in range(n):
        context = " ".join(rt_texts[0][offset + i: offset + i + 3])
        words = context.split()
        k = (i * 7) % (len(words) - 1)
        start = len(" ".join(words[:k + 1])) + 1
        answer = words[k + 1]
        qa = {"id": f"q{i}", "question": f"what follows {words[k]} ?",
              "answers": [] if impossible and i % 3 == 0 else [{"text": answer, "answer_start": start}]}
        if impossible:
            qa["is_impossible"] = not qa["answers"]
        paragraphs.append({"context": context, "qas": [qa]})
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}))
    return str(path)


def test_answer_windows_and_spans_match_transformers(tmp_path, tokenizer, rt_texts):
    """Windows and the answer's start/end piece as transformers' fast tokenizer + run_qa's mapping give them."""
    from keras_albert.features import answer_features
    theirs = _their_tokenizer(tmp_path, tokenizer)
    records = _read("question_answering", _squad(tmp_path / "s.json", rt_texts, 12))
    f = answer_features(tokenizer, records, None, 48)
    enc = theirs([r["question"] for r in records], [r["context"] for r in records], truncation="only_second",
                 max_length=48, stride=12, return_overflowing_tokens=True, return_offsets_mapping=True)
    assert len(f) == len(enc["input_ids"]) > len(records)  # long contexts make several windows
    assert f.extra["sample"] == list(enc["overflow_to_sample_mapping"])
    for row, ids in enumerate(enc["input_ids"]):
        assert f.inputs["token_ids"][row, :len(ids)].tolist() == ids
        r = records[enc["overflow_to_sample_mapping"][row]]
        text, start = r["answers"][0]
        end = start + len(text)
        seq, offsets = enc.sequence_ids(row), enc["offset_mapping"][row]
        ctx_start, ctx_end = seq.index(1), len(seq) - 1 - seq[::-1].index(1)
        if not (offsets[ctx_start][0] <= start and offsets[ctx_end][1] >= end):
            expected = (0, 0)
        else:  # run_qa's mapping
            s = ctx_start
            while s <= ctx_end and offsets[s][0] <= start:
                s += 1
            e = ctx_end
            while e >= ctx_start and offsets[e][1] >= end:
                e -= 1
            expected = (s - 1, e + 1)
        got = (f.labels["start_logits"][row], f.labels["end_logits"][row])
        assert got == expected, (row, r["question"])
    # logits peaked at the labelled span decode to the gold answers (every question has a window holding it)
    logits = {k: np.where(np.arange(48)[None] == f.labels[k][:, None], 10.0, 0.0) for k in f.labels}
    answers = f.decode(f, logits)
    assert answers == {r["id"]: r["answers"][0][0] for r in records}


def test_question_answering_squad(tmp_path, tokenizer, rt_texts):
    from keras_albert.features import answer_features
    from keras_albert.metrics import squad_scores
    train = _read("question_answering", _squad(tmp_path / "train.json", rt_texts, 24, impossible=True))
    val = _read("question_answering", _squad(tmp_path / "val.json", rt_texts, 8, offset=400, impossible=True))
    out = str(tmp_path / "out")
    result = finetune(_backbone(tokenizer), tokenizer, train, val, out_dir=out, task="question_answering",
                      **{**ARGS, "sequence_length": 48, "epochs": 2})
    _check_run(result, out, "f1", epochs=2)
    model = load_model_dir(out)[0]
    assert type(model).__name__ == "AlbertQuestionAnswerer"
    f = answer_features(tokenizer, val, None, 48)
    predicted = f.decode(f, model.predict(f.inputs, verbose=0))
    scores = squad_scores(val, predicted)
    assert "HasAns_f1" in scores and result.metrics["f1"] == pytest.approx(scores["f1"])


def test_question_answering_loss_is_the_mean_of_start_and_end_as_in_transformers():
    import keras
    import torch

    from keras_albert.tasks.question_answering import _loss
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=(4, 9)).astype("float32"), rng.normal(size=(4, 9)).astype("float32")
    y_start, y_end = np.array([0, 3, 8, 2]), np.array([0, 5, 8, 2])
    losses = _loss(None)
    ours = float(losses["start_logits"](y_start, start)) + float(losses["end_logits"](y_end, end))
    ce = torch.nn.CrossEntropyLoss()
    theirs = (ce(torch.tensor(start), torch.tensor(y_start)) + ce(torch.tensor(end), torch.tensor(y_end))) / 2
    assert abs(ours - float(theirs)) < 1e-5
    again = keras.losses.deserialize(keras.losses.serialize(losses["start_logits"]))
    assert abs(float(again(y_start, start)) - float(losses["start_logits"](y_start, start))) < 1e-7
