"""`keras-albert pretrain`: exactly --steps steps, and an output folder that appears whole or not at all."""
import json
import os

import pytest

from cli_common import PRETRAIN_TINY, write_corpus

from keras_albert_cli.cli import main

TINY = PRETRAIN_TINY + ["--verbose", "0"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, rt_texts):
    return write_corpus(tmp_path_factory.mktemp("pre") / "corpus.txt", rt_texts[0][:300])


def test_pretrain_trains_exactly_steps_not_a_whole_log_interval(corpus, tmp_path, capsys, train_step_traces):
    out = tmp_path / "pre"
    assert main(["pretrain", "--corpus", corpus, "--out", str(out), "--steps", "3", "--steps-per-log", "200"]
                + TINY) == 0  # before: rounded up to 200 steps
    assert "trained 3 steps" in capsys.readouterr().out
    history = json.loads((out / "pretrain_history.json").read_text())
    assert history["steps"] == 3 and len(history["val_mlm_logits_accuracy"]) == 1
    assert {"model.keras", "config.json", "spiece.model", "shards"} <= set(os.listdir(out))
    assert "backup" not in os.listdir(out) and sorted(os.listdir(tmp_path)) == ["pre"]  # nothing staged left

    # the library: 7 steps logged every 3 are 3 + 3 + 1 optimizer updates, with a log after the last one
    from keras_albert.model_dir import load_model_dir
    from keras_albert.training.pretrain import pretrain
    from keras_albert import AlbertPretrainer
    model, tokenizer, _ = load_model_dir(str(out))
    traces = train_step_traces(AlbertPretrainer)
    model, history = pretrain(model.config, tokenizer, str(out / "shards" / "train-*"), out_dir=str(tmp_path / "lib"),
                              eval_shards=str(out / "shards" / "eval-*"), sequence_length=32, max_predictions=4,
                              steps=7, steps_per_log=3, batch_size=8, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 7 and history["steps"] == 7
    assert len(traces) == 1  # its weighted metrics built before the first step: traced once, not twice
    assert len(history["loss"]) == 3


def test_pretrain_refuses_before_any_work(corpus, tmp_path, capsys):
    out = tmp_path / "pre"
    out.mkdir()
    (out / "config.json").write_text("the user's")
    assert main(["pretrain", "--corpus", corpus, "--out", str(out), "--steps", "2"] + TINY) == 2
    assert "--overwrite" in capsys.readouterr().err and os.listdir(out) == ["config.json"]
    for flag, value in (("--steps", "0"), ("--steps-per-log", "-1"), ("--batch-size", "0"), ("--eval-fraction", "1"),
                        ("--learning-rate", "-1"), ("--learning-rate", "nan")):
        assert main(["pretrain", "--corpus", corpus, "--out", str(tmp_path / "x"), *TINY, flag, value]) == 2
        assert flag in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["pre"]


def test_shape_and_length_flags_are_refused_before_the_vocabulary_is_trained(corpus, tmp_path, capsys, monkeypatch):
    """--sequence-length 4 was numpy's "low >= high" after the vocabulary; a preset's position table was exceeded
    at the first step, after the shards, leaving them staged; a bad head count came after the vocabulary."""
    import keras_albert.tokenizer

    def no_work(*args, **kwargs):
        raise AssertionError("the vocabulary was trained before the flags were checked")
    monkeypatch.setattr(keras_albert.tokenizer, "train_vocab", no_work)
    for flags, says in (
            (["--sequence-length", "4"], "--sequence-length 4 is out of range: it must be at least 8"),
            (["--preset", "albert-base-v2", "--sequence-length", "1024"],
             "--sequence-length 1024 is longer than --preset albert-base-v2's position table (512)"),
            (["--hidden-size", "30", "--num-attention-heads", "4"],
             "--hidden-size 30 is not divisible by --num-attention-heads 4")):
        assert main(["pretrain", "--corpus", corpus, "--out", str(tmp_path / "x"), "--steps", "1", *TINY, *flags]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], err
        assert not os.listdir(tmp_path)  # no staging folder left


def test_a_corpus_without_training_examples_is_one_line(tmp_path, capsys, rt_texts):
    """Documents of one sentence make no sentence-order pair: one line saying so, and no output folder (it was
    a StopIteration traceback)."""
    lonely = tmp_path / "lonely.txt"
    lonely.write_text("\n\n".join(rt_texts[0][:40]) + "\n")
    assert main(["pretrain", "--corpus", str(lonely), "--out", str(tmp_path / "x"), "--steps", "2"] + TINY) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no training examples in 40 document(s) after holding out 1 for evaluation" in err[0]
    assert sorted(os.listdir(tmp_path)) == ["lonely.txt"]


def test_pretrain_trains_from_streamed_shards(corpus, tmp_path, capsys):
    shards, out = tmp_path / "shards", tmp_path / "pre"
    assert main(["pretrain-data", "--corpus", corpus, "--out", str(shards), "--vocab-size", "400",
                 "--sequence-length", "32", "--max-predictions", "4", "--quiet"]) == 0
    flags = [f for f in TINY if f not in ("--vocab-size", "400")]
    assert main(["pretrain", "--shards", str(shards), "--out", str(out), "--steps", "2"] + flags) == 0
    assert "trained 2 steps" in capsys.readouterr().out
    from keras_albert.model_dir import load_model_dir
    _, tokenizer, _ = load_model_dir(str(out))
    assert tokenizer.model_proto == (shards / "spiece.model").read_bytes()  # the shards' vocabulary
    # one line, before any work: both sources, or a sequence length shorter than the shards'
    assert main(["pretrain", "--shards", str(shards), "--corpus", corpus, "--out", str(tmp_path / "x")] + flags) == 2
    assert main(["pretrain", "--shards", str(shards), "--out", str(tmp_path / "x"), *flags,
                 "--sequence-length", "16"]) == 2
    assert "shorter than the shards'" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_paper_recipe_resolves_to_the_papers_values_and_a_flag_wins():
    """Parsed only (125k steps of batch 4096 are not run): the recipe is defined once, in config.py."""
    from keras_albert.config import PRETRAIN_RECIPES
    from keras_albert_cli.cli import build_parser
    from keras_albert_cli.commands.pretrain import resolve_recipe
    parse = build_parser().parse_args
    args = resolve_recipe(parse(["pretrain", "--shards", "s", "--out", "o", "--recipe", "paper"]))
    assert (args.optimizer, args.batch_size, args.steps, args.sequence_length) == ("lamb", 4096, 125_000, 512)
    assert (args.max_predictions, args.ngram, args.learning_rate) == (20, 3, 0.00176)
    assert round(args.warmup_ratio * args.steps) == 3125
    args = resolve_recipe(parse(["pretrain", "--shards", "s", "--out", "o", "--recipe", "paper", "--batch-size", "512",
                                 "--learning-rate", "0.0005", "--ngram", "1"]))
    assert (args.batch_size, args.learning_rate, args.ngram, args.steps) == (512, 0.0005, 1, 125_000)
    args = resolve_recipe(parse(["pretrain", "--corpus", "c", "--out", "o"]))  # no --recipe: the small default
    assert args.steps == PRETRAIN_RECIPES["default"].steps == 1000 and args.batch_size == 64
    help_text = build_parser()._subparsers._group_actions[0].choices["pretrain"].format_help()
    assert "paper: LAMB, batch 4,096, 125,000 steps, learning rate 0.00176 with 3,125 warmup steps" in " ".join(
        help_text.split())


def test_multi_worker_needs_shards_and_tf_config_and_unknown_recipe_is_one_line(corpus, tmp_path, capsys,
                                                                                   monkeypatch):
    assert main(["pretrain", "--corpus", corpus, "--out", str(tmp_path / "o"), "--strategy", "multi_worker"]) == 2
    assert "--strategy multi_worker trains from --shards" in capsys.readouterr().err
    for bad, says in (("{host0", "TF_CONFIG is not valid JSON"), ('{"cluster": {"worker": ["h:1"]}, "task": {"type": '
                      '"chef", "index": 0}}', 'TF_CONFIG must look like {"cluster": {"worker": ["host0:port", ...]}, '
                      '"task": {"type": "worker", "index": 0}}')):
        monkeypatch.setenv("TF_CONFIG", bad)
        assert main(["pretrain", "--shards", str(tmp_path), "--out", str(tmp_path / "o"), "--strategy",
                     "multi_worker"]) == 2
        err = capsys.readouterr().err
        assert says in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["pretrain", "--corpus", corpus, "--out", str(tmp_path / "o"), "--recipe", "bert"])
    assert "invalid choice: 'bert'" in capsys.readouterr().err and not os.listdir(tmp_path)
