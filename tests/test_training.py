"""finetune(): learns a real signal, keeps the best epoch, writes a loadable model directory and report;
schedules, LAMB, mixed precision, early stopping; the finetune and pretrain CLI end to end."""
import json
import os

import keras
import numpy as np
import pytest
from conftest import tiny_config

from keras_albert import AlbertBackbone, AlbertClassifier
from keras_albert.cli import main
from keras_albert.model_dir import load_model_dir, save_model_dir
from keras_albert.training import WarmupLinearDecay, evaluate, finetune


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


def test_finetune_learns_keeps_best_and_writes_model_dir(tmp_path, tokenizer, rt_texts):
    train, val = _keyword_task(rt_texts, 256), _keyword_task(rt_texts, 64, offset=1000, seed=1)
    out = str(tmp_path / "run")
    result = finetune(_model(tokenizer), tokenizer, train, val, out_dir=out, labels=("neg", "pos"), epochs=8,
                      batch_size=16, sequence_length=64, learning_rate=1e-3, warmup_ratio=0.0, verbose=0)
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
    for png in ("training_curves.png", "confusion_matrix.png"):
        with open(os.path.join(out, png), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert not os.path.exists(os.path.join(out, "backup"))
    with pytest.raises(FileExistsError):
        finetune(_model(tokenizer), tokenizer, train, out_dir=out)


def test_bad_arguments(tmp_path, tokenizer):
    m = _model(tokenizer)
    with pytest.raises(ValueError, match="label 2"):
        finetune(m, tokenizer, (["a", "b"], [0, 2]), out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        finetune(m, tokenizer, (["a", "b"], [0]), out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="optimizer"):
        finetune(m, tokenizer, (["a", "b"], [0, 1]), out_dir=str(tmp_path), optimizer="rmsprop")
    with pytest.raises(ValueError, match="2 classes, the labels are 3"):
        finetune(m, tokenizer, (["a", "b"], [0, 1]), out_dir=str(tmp_path), labels=("a", "b", "c"))


def test_lamb_mixed_bfloat16_and_early_stopping(tmp_path, tokenizer, rt_texts):
    train = _keyword_task(rt_texts, 64)
    result = finetune(_model(tokenizer), tokenizer, train, train, out_dir=str(tmp_path / "a"), epochs=5,
                      batch_size=16, sequence_length=32, optimizer="lamb", mixed_precision="mixed_bfloat16",
                      learning_rate=0.0, early_stopping=1, verbose=0)
    assert keras.config.dtype_policy().name == "float32"            # the global policy is left as it was
    assert result.model.backbone.embeddings.dtype_policy.name == "mixed_bfloat16"
    assert isinstance(result.model.optimizer, keras.optimizers.Lamb)
    assert len(result.history["loss"]) == 2                          # lr 0: no gain after epoch 1, patience 1
    assert np.isfinite(result.history["loss"]).all()


def test_cli_finetune_on_a_csv_and_errors(tmp_path, tokenizer, rt_texts, capsys):
    texts, labels = _keyword_task(rt_texts, 200)
    csv = tmp_path / "d.csv"
    csv.write_text("sentence,sentiment\n" + "".join(f'"{t.replace(chr(34), "")}",{"good" if y else "bad"}\n'
                                                      for t, y in zip(texts, labels)))
    base = str(tmp_path / "base")
    save_model_dir(base, AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)), tokenizer)
    out = str(tmp_path / "out")
    argv = ["finetune", "--model", base, "--data", str(csv), "--out", out, "--text-column", "sentence",
            "--label-column", "sentiment", "--epochs", "1", "--batch-size", "16", "--sequence-length", "48",
            "--learning-rate", "1e-3", "--verbose", "0"]
    assert main(argv) == 0
    assert "test accuracy" in capsys.readouterr().out
    report = json.load(open(os.path.join(out, "report.json")))
    assert report["labels"] == ["bad", "good"] and np.sum(report["test"]["confusion_matrix"]) == 20
    assert load_model_dir(out)[2] == ["bad", "good"]
    assert main(argv) == 2 and "already exists" in capsys.readouterr().err
    with open(csv, "a") as f:
        f.write("one,two,three\n")
    assert main(argv + ["--overwrite"]) == 2
    assert f"{csv}:202:" in capsys.readouterr().err
    assert main(["finetune", "--model", "albert-base-v2", "--data", str(csv), "--out", str(tmp_path / "o2")]) == 2
    assert "--spiece" in capsys.readouterr().err


def test_cli_pretrain_then_finetune(tmp_path, rt_texts, capsys):
    corpus = tmp_path / "corpus.txt"
    sents = rt_texts[0][:600]
    corpus.write_text("".join("\n".join(sents[i:i + 6]) + "\n\n" for i in range(0, 600, 6)))
    out = str(tmp_path / "pre")
    rc = main(["pretrain", "--corpus", str(corpus), "--out", out, "--vocab-size", "400", "--hidden-size", "32",
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
