"""finetune(): learns a real signal, keeps the best epoch, writes a loadable model directory and report into a
staging folder published whole; refuses bad input before any work; one optimizer step of AdamW and LAMB against
the update computed by hand; mixed precision that trains; early stopping; the finetune and pretrain CLI end to end."""
import json
import os

import keras
import numpy as np
import pytest
from conftest import tiny_config
from report_markdown import check_report_md

from keras_albert import AlbertBackbone, AlbertClassifier
from keras_albert_cli.cli import main
from keras_albert import datasets
from keras_albert.model_dir import HELDOUT, load_model_dir, save_model_dir
from keras_albert.staging import staging_path
from keras_albert.training import WarmupLinearDecay, evaluate, finetune, make_optimizer
from keras_albert.training.resume import STATE


def _keyword_task(rt_texts, n, offset=0, seed=0):
    """Real sentences with a label-bearing word appended: a signal a tiny model learns in a few epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n).tolist()
    texts = [f"{'wonderful' if y else 'dreadful'} {t}" for t, y in zip(rt_texts[0][offset:offset + n], labels)]
    return texts, labels


def _model(tokenizer, **overrides):
    keras.utils.set_random_seed(0)
    return AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, **overrides)), 2)


def test_warmup_linear_decay():
    s = WarmupLinearDecay(1e-3, total_steps=100, warmup_steps=10)
    got = [float(s(i)) for i in (0, 5, 10, 55, 100, 120)]
    np.testing.assert_allclose(got, [0, 5e-4, 1e-3, 5e-4, 0, 0], atol=1e-9)
    assert WarmupLinearDecay.from_config(s.get_config()).get_config() == s.get_config()
    flat = WarmupLinearDecay(1e-3, total_steps=100, warmup_steps=0)  # no warmup: the first step learns too
    np.testing.assert_allclose([float(flat(i)) for i in (0, 50, 100)], [1e-3, 5e-4, 0], atol=1e-9)


def test_finetune_learns_keeps_best_and_writes_model_dir(tmp_path, tokenizer, rt_texts, train_step_traces):
    train, val = _keyword_task(rt_texts, 256), _keyword_task(rt_texts, 64, offset=1000, seed=1)
    out = str(tmp_path / "run")
    traces = train_step_traces(AlbertClassifier)
    result = finetune(_model(tokenizer), tokenizer, train, val, out_dir=out, labels=("neg", "pos"), epochs=8,
                      batch_size=16, sequence_length=64, learning_rate=1e-3, warmup_ratio=0.0, verbose=0)
    assert len(traces) == 1  # loss, metrics and optimizer built before the first step: it is traced once
    h = result.history
    assert len(h["loss"]) == 8 and h["loss"][-1] < 0.5 * h["loss"][0]
    assert max(h["val_accuracy"]) >= 0.8 and result.steps == 128
    assert result.metrics["accuracy"] == pytest.approx(max(h["val_accuracy"]), abs=1e-6)  # the best epoch's weights
    model, tok, labels = load_model_dir(out)
    assert labels == ["neg", "pos"] and tok.model_proto == tokenizer.model_proto
    for a, b in zip(model.weights, result.model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    again = evaluate(model, tok, *val, sequence_length=64)
    assert again["accuracy"] == pytest.approx(result.metrics["accuracy"])
    report = json.load(open(os.path.join(out, "report.json")))
    assert np.sum(report["confusion_matrix"]) == 64 and report["steps"] == 128
    check_report_md(out)
    for png in ("training_curves.png", "confusion_matrix.png"):
        with open(os.path.join(out, png), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert not os.path.exists(os.path.join(out, "backup")) and os.listdir(tmp_path) == ["run"]  # no staging left
    with pytest.raises(FileExistsError):
        finetune(_model(tokenizer), tokenizer, train, out_dir=out)


def test_bad_arguments(tmp_path, tokenizer):
    m = _model(tokenizer)
    out = str(tmp_path / "out")
    two = (["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="label 2"):
        finetune(m, tokenizer, (["a", "b"], [0, 2]), out_dir=out, sequence_length=32)
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        finetune(m, tokenizer, (["a", "b"], [0]), out_dir=out, sequence_length=32)
    with pytest.raises(ValueError, match="optimizer"):
        finetune(m, tokenizer, two, out_dir=out, sequence_length=32, optimizer="rmsprop")
    with pytest.raises(ValueError, match="2 classes, the labels are 3"):
        finetune(m, tokenizer, two, out_dir=out, sequence_length=32, labels=("a", "b", "c"))
    refused = [
        (dict(sequence_length=65), r"sequence_length 65 is longer than the model's position table \(64\)"),
        (dict(batch_size=0), r"batch_size \(--batch-size\) must be an integer of at least 1, got 0"),
        (dict(epochs=0), r"epochs \(--epochs\) must be an integer of at least 1, got 0"),
        (dict(learning_rate=0.0), "learning_rate .* must be a number above 0"),
        (dict(sequence_length=2), "at least 3"), (dict(warmup_ratio=1.5), r"in \[0, 1\]"),
        (dict(labels=("pos",)), "at least two distinct"),
        (dict(train=(["a", "b"], [1, 1])), "every example has the label 'positive'; a classifier needs at least two"),
        (dict(validation=(["c"], [1]), train=(["a", "b"], [0, 0])), "every example has the label"),
        (dict(validation=(["c"], [2]), labels=("x", "y", "z")), "2 classes, the labels are 3"),
    ]
    for kwargs, why in refused:
        kwargs = {"train": two, "sequence_length": 32, **kwargs}
        with pytest.raises(ValueError, match=why):
            finetune(m, tokenizer, out_dir=out, **kwargs)
        assert os.listdir(tmp_path) == []          # refused before any work: no backup, no staging folder
    three = AlbertClassifier(m.backbone, 3)
    with pytest.raises(ValueError, match="validation: label 'c' \\(id 2\\) never occurs in the training data"):
        finetune(three, tokenizer, two, (["x"], [2]), labels=("a", "b", "c"), out_dir=out, sequence_length=32)
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        finetune(m, tokenizer, two, out_dir=str(tmp_path / "file"), sequence_length=32)
    assert (tmp_path / "file").read_text() == "mine" and sorted(os.listdir(tmp_path)) == ["file"]


def test_new_head_fine_tunes_a_classifier_again_on_other_labels(tmp_path, tokenizer):
    """A 2-class classifier refused for 3 labels says how to start a new head; `new_head=True` trains one on the
    classifier's own backbone (its weights, not a random backbone)."""
    m = _model(tokenizer)
    before = [w.copy() for w in m.backbone.get_weights()]
    data = (["good", "bad", "fine", "awful", "ok", "meh"], [0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match=r"2 classes, the labels are 3; .*new_head=True \(`finetune --new-head`\)"):
        finetune(m, tokenizer, data, labels=("a", "b", "c"), out_dir=str(tmp_path / "refused"), sequence_length=32)
    result = finetune(m, tokenizer, data, labels=("a", "b", "c"), out_dir=str(tmp_path / "out"), sequence_length=32,
                      epochs=1, batch_size=6, learning_rate=1e-9, warmup_ratio=0.0, new_head=True, verbose=0)
    assert result.model.num_classes == 3 and m.num_classes == 2
    after = result.model.backbone.get_weights()
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(before, after))  # lr 1e-9: the given backbone's weights


def test_a_continued_head_keeps_its_class_order(tmp_path, tokenizer):
    """A classifier whose classes are positive,negative continued on data labelled negative,positive (the sorted
    default) would map each name onto the other's weights: refused, naming the order to pass; its own order
    trains."""
    m = AlbertClassifier(_model(tokenizer).backbone, 2, labels=["positive", "negative"])
    data = (["good", "bad", "fine", "awful"], [1, 0, 1, 0])
    with pytest.raises(ValueError, match=r"classes are positive,negative in that order, the data's negative,positive: "
                                         r"pass labels in its order \(`--labels positive,negative`\)"):
        finetune(m, tokenizer, data, labels=("negative", "positive"), out_dir=str(tmp_path / "refused"),
                 sequence_length=32)
    assert not (tmp_path / "refused").exists()
    result = finetune(m, tokenizer, data, labels=("positive", "negative"), out_dir=str(tmp_path / "out"),
                      sequence_length=32, epochs=1, batch_size=4, verbose=0)
    assert result.model.labels == ["positive", "negative"]


def _hand_steps(rule, w, grads, lrs, decay, weight_decay=0.1, clipnorm=1.0, b1=0.9, b2=0.999, eps=1e-6):
    """AdamW or LAMB as Keras defines them, step by step in float64: clip each gradient's norm, decoupled weight
    decay (w -= w * wd * lr) unless excluded, then the Adam (or layer-wise trust-ratio) update."""
    w, m, v = np.asarray(w, np.float64), 0.0, 0.0
    for t, (g, lr) in enumerate(zip(grads, lrs), 1):
        g = np.asarray(g, np.float64)
        g = g * min(1.0, clipnorm / np.linalg.norm(g))
        if decay:
            w = w - w * weight_decay * lr
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        if rule == "adamw":
            w = w - m * (lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)) / (np.sqrt(v) + eps)
        else:
            update = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
            w = w - np.linalg.norm(w) / np.linalg.norm(update) * lr * update
    return w


@pytest.mark.parametrize("rule", ["adamw", "lamb"])
def test_optimizer_steps_match_the_update_computed_by_hand(rule):
    """Two steps on a kernel (decayed) and a bias (not), the first gradient 50x over the clip norm."""
    peak, total = 0.1, 10
    opt = make_optimizer(rule, peak, total, warmup_ratio=0.0, weight_decay=0.1, clipnorm=1.0)
    start = {"kernel": np.array([0.5, -1.0, 2.0, 0.25], "float32"), "bias": np.array([0.3, -0.2], "float32")}
    grads = {"kernel": [np.array([30.0, -40.0, 0.0, 0.0]), np.array([0.1, 0.2, -0.3, 0.05])],
             "bias": [np.array([0.02, -0.5]), np.array([0.3, 0.1])]}
    variables = {name: keras.Variable(value, name=name) for name, value in start.items()}
    for step in range(2):
        opt.apply_gradients([(keras.ops.convert_to_tensor(grads[n][step], "float32"), variables[n])
                             for n in variables])
    lrs = [peak, peak * (total - 1) / total]           # linear decay from the peak at step 0 (no warmup)
    for name, variable in variables.items():
        expected = _hand_steps(rule, start[name], grads[name], lrs, decay=name == "kernel")
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5, atol=1e-5, err_msg=name)  # float32 vs 64
        unclipped = _hand_steps(rule, start[name], grads[name], lrs, decay=name == "kernel", clipnorm=1e9)
        if name == "kernel":                           # the clip matters here: the test would see it missing
            assert np.abs(unclipped - expected).max() > 1e-3


def _all_layers(layer):
    yield layer
    for child in layer._layers:
        yield from _all_layers(child)


def test_weight_decay_skips_layernorm_and_biases(tokenizer):
    """Zero gradients: Adam moves nothing, so a variable changes only by its weight decay, w * (1 - lr * wd)."""
    model = _model(tokenizer)
    layers = list(_all_layers(model))
    exempt = {id(layer.gamma) for layer in layers if isinstance(layer, keras.layers.LayerNormalization)}
    exempt |= {id(layer.beta) for layer in layers if isinstance(layer, keras.layers.LayerNormalization)}
    exempt |= {id(layer.bias) for layer in layers if getattr(layer, "bias", None) is not None}
    variables = model.trainable_variables
    assert 10 < len(exempt) < len(variables)
    before = [v.numpy() for v in variables]
    opt = make_optimizer("adamw", 0.01, 10, warmup_ratio=0.0, weight_decay=0.5)
    opt.apply_gradients([(keras.ops.zeros(v.shape), v) for v in variables])
    for v, old in zip(variables, before):
        factor = 1.0 if id(v) in exempt else 1 - 0.01 * 0.5
        np.testing.assert_allclose(v.numpy(), old * factor, rtol=1e-6, err_msg=v.path)


def test_mixed_bfloat16_lamb_trains(tmp_path, tokenizer, rt_texts):
    """At a real learning rate: bfloat16 compute, float32 variables, every variable (LayerNorm and biases, which
    take no weight decay, included) moved by its gradient, and the training loss falls."""
    train = _keyword_task(rt_texts, 64)
    start = _model(tokenizer)
    result = finetune(start, tokenizer, train, out_dir=str(tmp_path / "a"), epochs=2, batch_size=16,
                      sequence_length=32, optimizer="lamb", mixed_precision="mixed_bfloat16", learning_rate=0.05,
                      warmup_ratio=0.0, verbose=0)
    assert keras.config.dtype_policy().name == "float32"            # the global policy is left as it was
    model = result.model
    assert isinstance(model.optimizer, keras.optimizers.Lamb)
    assert model.backbone.embeddings.dtype_policy.name == "mixed_bfloat16"
    assert model.backbone.embeddings.compute_dtype == "bfloat16"
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    assert {v.dtype for v in model.optimizer.variables} == {"float32", "int64"}   # moments float32; step count
    from conftest import random_inputs
    assert model.backbone(random_inputs(model.backbone.config, seq=16))["sequence_output"].dtype == "bfloat16"
    loss = result.history["loss"]
    assert np.isfinite(loss).all() and loss[1] < loss[0] - 1e-3, loss
    before = {v.path: v.numpy() for v in start.trainable_variables}
    for v in model.trainable_variables:
        assert not np.array_equal(v.numpy(), before[v.path]), v.path  # (the key bias's gradient is ~0 in theory)


def test_early_stopping(tmp_path, tokenizer, rt_texts):
    train = _keyword_task(rt_texts, 64)
    result = finetune(_model(tokenizer), tokenizer, train, train, out_dir=str(tmp_path / "a"), epochs=5,
                      batch_size=16, sequence_length=32, learning_rate=1e-12, early_stopping=1, verbose=0)
    assert len(result.history["loss"]) == 2                          # no gain after epoch 1, patience 1


def test_cli_finetune_on_a_csv_and_errors(tmp_path, tokenizer, rt_texts, capsys):
    texts, labels = _keyword_task(rt_texts, 200)
    csv = tmp_path / "d.csv"
    rows = [f'"{t.replace(chr(34), "")}",{"good" if y else "bad"}\n' for t, y in zip(texts, labels)]
    csv.write_text("sentence,sentiment\n" + "".join(rows))
    base = str(tmp_path / "base")
    save_model_dir(base, AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)), tokenizer)
    out = str(tmp_path / "out")
    argv = ["finetune", "--model", base, "--data", str(csv), "--out", out, "--text-column", "sentence",
            "--label-column", "sentiment", "--epochs", "1", "--batch-size", "16", "--sequence-length", "48",
            "--learning-rate", "1e-3", "--verbose", "0", "--seed", "5"]  # (the split is seed 0's whatever --seed)
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed
    assert "baseline (tf-idf word 1-2-grams + logistic regression): test accuracy" in printed
    assert sorted(os.listdir(tmp_path)) == ["base", "d.csv", "out"]      # published whole; no staging left
    report = json.load(open(os.path.join(out, "report.json")))
    assert report["labels"] == ["bad", "good"] and np.sum(report["test"]["confusion_matrix"]) == 20
    assert report["data"] == str(csv) and report["skipped_rows"] == 0
    assert "| **accuracy** |" in check_report_md(out)  # the test accuracy with the baseline's beside it
    assert load_model_dir(out)[2] == ["bad", "good"]
    # the test split, with label names, for the export gate; scored exactly as report.json says
    splits, names, _ = datasets.load_splits(str(csv), ("sentence",), "sentiment")
    held_texts, held_labels = datasets.read_heldout(os.path.join(out, HELDOUT))
    assert held_texts == splits["test"][0] and held_labels == [names[y] for y in splits["test"][1]]
    from keras_albert.training.baseline import fit_baseline  # the same model on the same split as the report's
    assert report["baseline"]["accuracy"] == fit_baseline("classification", splits["train"], splits["test"])["accuracy"]
    model, tok, _ = load_model_dir(out)
    again = evaluate(model, tok, held_texts, [names.index(n) for n in held_labels], sequence_length=48)
    assert again["confusion_matrix"] == report["test"]["confusion_matrix"]
    assert main(argv) == 2 and "already exists" in capsys.readouterr().err
    with open(csv, "a") as f:
        f.write("one,two,three\n")
    assert main(argv + ["--overwrite"]) == 2
    assert f"{csv}:202:" in capsys.readouterr().err
    assert main(["finetune", "--model", "albert-base-v2", "--data", str(csv), "--out", str(tmp_path / "o2")]) == 2
    assert "--spiece" in capsys.readouterr().err


def test_cli_refuses_bad_input_in_one_line_before_any_work(tmp_path, tokenizer, rt_texts, capsys):
    texts, labels = _keyword_task(rt_texts, 100)
    names = ["bad", "good"]
    rows = [f"{i},{names[y]}" for i, y in enumerate(labels)]
    csv = tmp_path / "d.csv"
    csv.write_text("text,label\n" + "".join(r + "\n" for r in rows))
    rows[37] = "37,goood"                                     # a typo: a class of its own, or a held-out label
    typo = tmp_path / "typo.csv"
    typo.write_text("text,label\n" + "".join(r + "\n" for r in rows))
    base = str(tmp_path / "base")
    save_model_dir(base, AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)), tokenizer)
    (tmp_path / "afile").write_text("mine")
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("text,label\n" + "".join(r + "\n" for r in rows[:3] + rows[50:53]))
    argv = ["finetune", "--model", base, "--epochs", "1", "--batch-size", "16", "--sequence-length", "32",
            "--verbose", "0", "--data"]
    cases = [
        ([str(typo), "--out", str(tmp_path / "o")], f"{typo}:39: label 'goood'"),
        ([str(typo), "--out", str(tmp_path / "o"), "--labels", "bad,good"],
         f"{typo}:39: label 'goood' is not one of --labels"),
        ([str(csv), "--out", str(tmp_path / "o"), "--sequence-length", "100"],
         "longer than the model's position table (64)"),
        ([str(csv), "--out", str(tmp_path / "o"), "--batch-size", "0"],
         "batch_size (--batch-size) must be an integer of at least 1"),
        ([str(csv), "--out", str(tmp_path / "o"), "--epochs", "0"],
         "epochs (--epochs) must be an integer of at least 1"),
        ([str(csv), "--out", str(tmp_path / "afile")], "afile is a file, not a folder"),
        ([str(tiny), "--out", str(tmp_path / "o")], f"{tiny}: 6 examples are too few for an 80/10/10 split"),
    ]
    for extra, why in cases:
        assert main(argv + extra) == 2, extra
        err = capsys.readouterr().err
        assert why in err and err.count("\n") == 1, err       # one line, no traceback
        assert sorted(os.listdir(tmp_path)) == ["afile", "base", "d.csv", "tiny.csv", "typo.csv"]  # nothing written
    assert (tmp_path / "afile").read_text() == "mine"


def test_seed_fixes_a_new_head(tmp_path, tokenizer, rt_texts):
    """Two runs from a backbone checkpoint with the same seed are bit-identical, whatever the random state
    before the call (the classifier head is drawn after the seed is set)."""
    base = str(tmp_path / "base")
    save_model_dir(base, AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)), tokenizer)
    train = _keyword_task(rt_texts, 32)
    runs = []
    for i in range(2):
        keras.utils.set_random_seed(100 + i)                 # another global state before each call
        runs.append(finetune(base, None, train, out_dir=str(tmp_path / f"run{i}"), epochs=1, batch_size=16,
                             sequence_length=32, learning_rate=1e-3, seed=7, verbose=0).model)
    for a, b in zip(runs[0].weights, runs[1].weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


class _Interrupt(keras.callbacks.Callback):
    """Stops a run with an exception after `steps` steps (a kill that lets the test go on)."""

    def __init__(self, steps):
        super().__init__()
        self.steps, self.done = steps, 0

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done == self.steps:
            raise KeyboardInterrupt


def test_two_runs_on_one_output_at_once(tmp_path, tokenizer):
    """A second fine-tuning run on an output another run is writing is refused in one line (both wrote one staging
    folder, and the second died on a file the first had removed)."""
    from keras_albert.staging import hold
    out = tmp_path / "out"
    first = hold(staging_path(out, "partial"), str(out))
    try:
        with pytest.raises(ValueError, match=rf"another run is writing {out} right now"):
            finetune(_model(tokenizer), tokenizer, (["good", "bad"], [1, 0]), out_dir=str(out), sequence_length=32)
    finally:
        first.release()
    assert not out.exists()


def test_output_is_staged_and_published_whole(tmp_path, tokenizer, rt_texts):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user's file")
    train = _keyword_task(rt_texts, 64)
    args = dict(out_dir=str(out), epochs=1, batch_size=16, sequence_length=32, learning_rate=1e-3, verbose=0,
                backup_every=2)
    with pytest.raises(FileExistsError, match="already exists and is not empty; pass --overwrite"):
        finetune(_model(tokenizer), tokenizer, train, **args)
    with pytest.raises(KeyboardInterrupt):                    # interrupted after 3 steps, backed up after 2
        finetune(_model(tokenizer), tokenizer, train, **args, overwrite=True, callbacks=[_Interrupt(3)])
    assert sorted(os.listdir(out)) == ["mine.txt"]            # the user's folder is untouched
    staging = staging_path(out, "partial")
    assert os.path.isfile(os.path.join(staging, "backup", STATE))
    result = finetune(_model(tokenizer), tokenizer, train, **args, overwrite=True, heldout=train)
    assert result.steps == 4
    assert sorted(os.listdir(tmp_path)) == ["out"]            # the staging folder became `out`
    assert sorted(os.listdir(out)) == sorted(["config.json", "heldout.jsonl", "labels.txt", "model.keras",
                                              "report.json", "report.md", "spiece.model", "training_curves.png"])
    assert json.load(open(out / "report.json"))["test"]["accuracy"] == result.test["accuracy"]


def test_cli_pretrain_then_finetune(tmp_path, rt_texts, capsys):
    from cli_common import write_corpus
    corpus = write_corpus(tmp_path / "corpus.txt", rt_texts[0][:600])
    out = str(tmp_path / "pre")
    rc = main(["pretrain", "--corpus", corpus, "--out", out, "--vocab-size", "400", "--hidden-size", "32",
               "--num-hidden-layers", "2", "--num-attention-heads", "2", "--intermediate-size", "64",
               "--embedding-size", "16", "--sequence-length", "64", "--max-predictions", "8", "--ngram", "3",
               "--whole-word", "--steps", "6", "--steps-per-log", "3", "--batch-size", "8", "--verbose", "0"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "eval MLM accuracy" in printed and "SOP accuracy" in printed
    model, tokenizer, _ = load_model_dir(out)
    assert type(model).__name__ == "AlbertPretrainer" and tokenizer.vocab_size <= 400
    history = json.load(open(os.path.join(out, "pretrain_history.json")))
    assert len(history["val_sop_logits_accuracy"]) == 2
    # continued pretraining starts from the checkpoint's weights and vocabulary (a vanishing learning rate
    # leaves them where they were; a fresh start would be a different random model)
    again = str(tmp_path / "again")
    assert main(["pretrain", "--corpus", str(corpus), "--init", out, "--out", again, "--sequence-length", "64",
                 "--max-predictions", "8", "--steps", "2", "--steps-per-log", "2", "--batch-size", "8",
                 "--learning-rate", "1e-12", "--verbose", "0"]) == 0
    assert main(["pretrain", "--corpus", str(corpus), "--init", out, "--out", str(tmp_path / "too-long"),
                 "--sequence-length", "512", "--verbose", "0"]) == 2
    assert "position table (128)" in capsys.readouterr().err
    continued, tokenizer2, _ = load_model_dir(again)
    assert continued.config == model.config and tokenizer2.vocab_size == tokenizer.vocab_size
    for a, b in zip(continued.weights, model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    result = finetune(out, None, _keyword_task(rt_texts, 32), out_dir=str(tmp_path / "ft"), epochs=1,
                      batch_size=16, sequence_length=32, verbose=0)
    for a, b in zip(result.model.backbone.weights, model.backbone.weights):
        assert a.shape == b.shape
    assert not np.array_equal(result.model.backbone.weights[0].numpy(), model.backbone.weights[0].numpy())


def test_a_diverged_run_stops_and_publishes_nothing(tmp_path, tokenizer, rt_texts):
    """A learning rate that drives the loss to NaN is stopped at the first epoch end in one line, and no model
    appears (a NaN model was written as the result before); without clipping, 1e8 overflows in the first steps."""
    from keras_albert.training.resume import Diverged
    train = _keyword_task(rt_texts, 64)
    out = tmp_path / "run"
    with pytest.raises(Diverged, match=r"training diverged: the loss is nan at step 4; lower the learning rate"):
        finetune(_model(tokenizer), tokenizer, train, out_dir=str(out), epochs=3, batch_size=16, sequence_length=64,
                 learning_rate=1e8, warmup_ratio=0.0, clipnorm=None, verbose=0)
    assert not out.exists()
