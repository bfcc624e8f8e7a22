"""Parity with transformers: random HF models saved with save_pretrained load into Keras with the same outputs,
and our models exported with save_hf load into transformers with the same outputs."""
import numpy as np
import pytest
import torch
import transformers
from conftest import random_inputs

import keras_albert
from keras_albert import AlbertConfig

CONFIGS = {  # small shapes, every sharing layout, exact and tanh GELU
    "1x1-gelu_new": dict(num_hidden_layers=3),
    "2x1-gelu": dict(num_hidden_layers=4, num_hidden_groups=2, hidden_act="gelu"),
    "2x2-gelu_new": dict(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2),
    "3x2-gelu": dict(num_hidden_layers=6, num_hidden_groups=3, inner_group_num=2, hidden_act="gelu"),
}
ATOL = 1e-4


def hf_config(**overrides):
    base = dict(vocab_size=500, embedding_size=16, hidden_size=32, num_hidden_layers=4, num_attention_heads=4,
                intermediate_size=48, max_position_embeddings=64, hidden_act="gelu_new")
    return transformers.AlbertConfig(**{**base, **overrides})


def checkpoint_like(name, shape, rng):
    """A random array shaped like a trained checkpoint's: LayerNorm gammas near 1 and betas small (so hidden
    states keep unit scale), query/key projections large enough that attention is peaked but not one-hot
    (scores with a std near 3), every other weight and bias random too (so a swap shows). With every weight
    from N(0, 0.2) attention was nearly uniform and a wrong 1/sqrt(head_size) scale went unnoticed.
    `name`: an HF, TF1 or Keras weight name."""
    lowered = name.lower()
    if "layernorm" in lowered.replace("_", "") or "gamma" in lowered or "beta" in lowered:
        bias = lowered.endswith(("bias", "beta"))
        return (rng.normal(0.0, 0.05, shape) if bias else 1.0 + rng.normal(0.0, 0.1, shape)).astype("float32")
    if lowered.endswith("bias"):
        return rng.normal(0.0, 0.1, shape).astype("float32")
    projection = any(k in lowered.replace("/", ".").split(".") for k in ("query", "key"))
    return rng.normal(0.0, 0.3 if projection else 0.2, shape).astype("float32")


def hf_model(cls, config, seed=0):
    """A transformers model with EVERY parameter random, checkpoint-like (see `checkpoint_like`)."""
    torch.manual_seed(seed)
    model = cls(config).eval()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(checkpoint_like(name, tuple(p.shape), rng)))
    return model


def ours(hf_cfg):
    return AlbertConfig.from_dict(hf_cfg.to_dict(), ignore_unknown=True)


def torch_inputs(x):
    return dict(input_ids=torch.tensor(x["token_ids"], dtype=torch.long),
                token_type_ids=torch.tensor(x["segment_ids"], dtype=torch.long),
                attention_mask=torch.tensor(x["padding_mask"], dtype=torch.long))


def run_hf(model, x):
    with torch.no_grad():
        return model(**torch_inputs(x))


def close(a, b, mask=None):
    a, b = np.asarray(a), np.asarray(b)
    if mask is not None:  # compare only real tokens
        a, b = a[mask.astype(bool)], b[mask.astype(bool)]
    np.testing.assert_allclose(a, b, atol=ATOL, rtol=0)


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def pretraining_dir(request, tmp_path_factory):
    config = hf_config(**CONFIGS[request.param])
    model = hf_model(transformers.AlbertForPreTraining, config)
    path = tmp_path_factory.mktemp(request.param)
    model.save_pretrained(path)
    return path, model, ours(config)


def test_backbone_mlm_and_sop_match_transformers(pretraining_dir):
    path, hf, config = pretraining_dir
    x = random_inputs(config, batch=3, seq=14, seed=1)
    expected, base = run_hf(hf, x), run_hf(hf.albert, x)
    backbone = keras_albert.from_pretrained(path)
    assert isinstance(backbone, keras_albert.AlbertBackbone) and backbone.config == config
    out = backbone(x)
    close(out["sequence_output"], base.last_hidden_state, x["padding_mask"])
    close(out["pooled_output"], base.pooler_output)
    pretrainer = keras_albert.from_pretrained(path, task="pretraining")
    out = pretrainer(x)
    close(out["mlm_logits"], expected.prediction_logits, x["padding_mask"])
    close(out["sop_logits"], expected.sop_logits)
    close(keras_albert.from_pretrained(path, task="masked_lm")(x), expected.prediction_logits, x["padding_mask"])


@pytest.mark.parametrize("name", ["2x2-gelu_new", "1x1-gelu_new"])
def test_sequence_classifier_matches_transformers_and_keeps_labels(tmp_path, name):
    config = hf_config(**CONFIGS[name], num_labels=3, id2label={0: "neg", 1: "neutral", 2: "pos"},
                       label2id={"neg": 0, "neutral": 1, "pos": 2})
    hf = hf_model(transformers.AlbertForSequenceClassification, config, seed=3)
    hf.save_pretrained(tmp_path)
    x = random_inputs(ours(config), batch=4, seq=10, seed=2)
    model, _, labels = keras_albert.pretrained.load_pretrained(tmp_path, task="classification")
    assert model.num_classes == 3 and labels == ["neg", "neutral", "pos"]
    close(model(x), run_hf(hf, x).logits)
    assert isinstance(keras_albert.from_pretrained(tmp_path, task="auto"), keras_albert.AlbertClassifier)
    with pytest.raises(ValueError, match=r"'classifier.weight' has shape \(3, 32\).*expects \(5, 32\)"):
        keras_albert.from_pretrained(tmp_path, task="classification", num_classes=5)


def test_pytorch_bin_unprefixed_model_and_masked_lm_without_pooler(tmp_path):
    config = hf_config(num_hidden_groups=2, inner_group_num=2)
    x = random_inputs(ours(config), seed=4)
    base = hf_model(transformers.AlbertModel, config, seed=5)
    (tmp_path / "base").mkdir()
    state = dict(base.state_dict(), **{"embeddings.position_ids": torch.arange(64)[None]})  # as older files hold
    torch.save(state, tmp_path / "base" / "pytorch_model.bin")
    config.to_json_file(tmp_path / "base" / "config.json")
    close(keras_albert.from_pretrained(tmp_path / "base")(x)["sequence_output"], run_hf(base, x).last_hidden_state,
          x["padding_mask"])

    mlm = hf_model(transformers.AlbertForMaskedLM, config, seed=6)  # no pooler; tied decoder in the .bin
    (tmp_path / "mlm").mkdir()
    torch.save(mlm.state_dict(), tmp_path / "mlm" / "pytorch_model.bin")
    config.to_json_file(tmp_path / "mlm" / "config.json")
    assert "predictions.decoder.weight" in mlm.state_dict()
    close(keras_albert.from_pretrained(tmp_path / "mlm", task="masked_lm")(x), run_hf(mlm, x).logits,
          x["padding_mask"])
    # Its encoder alone, as transformers' AlbertModel reads it: the absent pooler starts random, with a warning.
    with pytest.warns(UserWarning, match="no pooler: it starts from random weights"):
        backbone = keras_albert.from_pretrained(tmp_path / "mlm")
    reference = transformers.AlbertModel.from_pretrained(tmp_path / "mlm").eval()
    close(backbone(x)["sequence_output"], run_hf(reference, x).last_hidden_state, x["padding_mask"])


def test_pickles_with_code_are_refused_in_one_line_of_ours(tmp_path):
    hf_config().to_json_file(tmp_path / "config.json")
    torch.save({"weights": torch.zeros(2), "payload": print}, tmp_path / "pytorch_model.bin")
    with pytest.raises(ValueError) as e:
        keras_albert.from_pretrained(tmp_path)
    assert str(e.value) == (f"{tmp_path / 'pytorch_model.bin'} holds Python code (print), not only weights: "
                            "it was not loaded (only weights-only checkpoints are read)")
    (tmp_path / "pytorch_model.bin").write_bytes(b"no pickle at all")
    with pytest.raises(ValueError) as e:
        keras_albert.from_pretrained(tmp_path)
    assert str(e.value).endswith("is not a PyTorch checkpoint: torch cannot read it as weights")
    assert "weights_only" not in str(e.value)


ARCHITECTURES = [(None, transformers.AlbertModel), ("masked_lm", transformers.AlbertForMaskedLM),
                 ("pretraining", transformers.AlbertForPreTraining),
                 ("classification", transformers.AlbertForSequenceClassification)]


def random_model(task, config, seed=7):
    """A model of `task` (two classes or labels where the head has a size) with every weight checkpoint-like."""
    from keras_albert import tasks
    model = keras_albert.pretrained.build(task, config, 2 if tasks.get(task).size_arg else None)
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign(checkpoint_like(v.path, tuple(v.shape), rng))
    return model


@pytest.mark.parametrize("task, cls", ARCHITECTURES)
def test_save_hf_round_trip_loads_in_transformers_with_same_outputs(tmp_path, task, cls, tokenizer):
    config = ours(hf_config(num_hidden_groups=2, inner_group_num=2, hidden_act="gelu",
                            vocab_size=tokenizer.vocab_size))
    model = random_model(task, config)
    keras_albert.save_hf(model, tmp_path / "hf", tokenizer=tokenizer,
                         labels=["bad", "good"] if task == "classification" else None)
    hf, info = cls.from_pretrained(tmp_path / "hf", output_loading_info=True)
    hf.eval()
    assert not info["missing_keys"] and not info["mismatched_keys"] and not info["unexpected_keys"]
    x = random_inputs(config, seed=8)
    got, expected = model(x), run_hf(hf, x)
    if task is None:
        close(got["sequence_output"], expected.last_hidden_state, x["padding_mask"])
        close(got["pooled_output"], expected.pooler_output)
    elif task == "pretraining":
        close(got["mlm_logits"], expected.prediction_logits, x["padding_mask"])
        close(got["sop_logits"], expected.sop_logits)
    else:
        close(got, expected.logits, x["padding_mask"] if task == "masked_lm" else None)
    if task == "classification":
        assert hf.config.id2label == {0: "bad", 1: "good"}
    # ...and back again: the exported directory is a checkpoint we load exactly.
    again = keras_albert.from_pretrained(tmp_path / "hf", task=task)
    for a, b in zip(model.weights, again.weights):
        if "pooler" not in a.path or task != "masked_lm":  # (AlbertForMaskedLM has no pooler to carry)
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("task, cls", ARCHITECTURES)
def test_save_hf_writes_exactly_the_tensors_transformers_writes(tmp_path, task, cls, tokenizer):
    """No `albert.pooler.*` in an AlbertForMaskedLM file (transformers would report them UNEXPECTED)."""
    from safetensors.numpy import load_file
    cfg = hf_config(num_hidden_groups=2, num_labels=2, vocab_size=tokenizer.vocab_size)
    cls(cfg).save_pretrained(tmp_path / "theirs")
    keras_albert.save_hf(random_model(task, ours(cfg)), tmp_path / "ours", tokenizer=tokenizer)
    assert set(load_file(tmp_path / "ours" / "model.safetensors")) == \
        set(load_file(tmp_path / "theirs" / "model.safetensors"))


def test_save_hf_writes_the_vocabulary_transformers_reads(tmp_path, tokenizer, rt_texts):
    """Without a tokenizer transformers would load a 5-token vocabulary and fill-mask would print empty strings:
    save_hf refuses, and with one the directory's tokenizer gives our ids."""
    config = ours(hf_config(vocab_size=tokenizer.vocab_size))
    model = random_model("masked_lm", config)
    with pytest.raises(ValueError, match="save_hf needs the model's tokenizer"):
        keras_albert.save_hf(model, tmp_path / "none")
    assert not (tmp_path / "none").exists()
    keras_albert.save_hf(model, tmp_path / "hf", tokenizer=tokenizer)
    written = {p.name for p in (tmp_path / "hf").iterdir()}
    assert {"config.json", "model.safetensors", "spiece.model"} <= written
    if hasattr(tokenizer, "save_tokenizer_json"):  # (the tokenizer's own writer, where it has one)
        assert "tokenizer.json" in written
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path / "hf")
    assert len(theirs) == tokenizer.vocab_size and theirs.model_max_length == config.max_position_embeddings
    for text in rt_texts[0][:200]:
        assert theirs(text)["input_ids"] == [2, *tokenizer.tokenize(text), 3], text
    small = ours(hf_config(vocab_size=500))
    with pytest.raises(ValueError, match=f"tokenizer has {tokenizer.vocab_size} pieces.*500"):
        keras_albert.save_hf(random_model("masked_lm", small), tmp_path / "small", tokenizer=tokenizer)


def test_save_hf_is_atomic_and_never_overwrites(tmp_path, tokenizer):
    config = ours(hf_config(vocab_size=tokenizer.vocab_size))
    model = random_model(None, config)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"is not empty; pass --overwrite \(in Python overwrite=True\)"):
        keras_albert.save_hf(model, tmp_path / "out", tokenizer=tokenizer)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]

    class Broken:  # fails half way, after the weights are written
        vocab_size = tokenizer.vocab_size

        def save(self, path):
            raise OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        keras_albert.save_hf(model, tmp_path / "new", tokenizer=Broken())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing under the name, no staging left
    keras_albert.save_hf(model, tmp_path / "out", tokenizer=tokenizer, overwrite=True)
    assert "notes.txt" not in {p.name for p in (tmp_path / "out").iterdir()}
    np.testing.assert_array_equal(np.asarray(keras_albert.from_pretrained(tmp_path / "out").weights[0]),
                                  np.asarray(model.weights[0]))
