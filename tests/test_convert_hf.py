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


def hf_model(cls, config, seed=0):
    """A transformers model with EVERY parameter random (biases and LayerNorms too, so a swap shows)."""
    torch.manual_seed(seed)
    model = cls(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.2)
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
    with pytest.raises(ValueError, match=r"missing tensor 'pooler.weight' \(model expects shape \(32, 32\)\)"):
        keras_albert.from_pretrained(tmp_path / "mlm")


def test_pickles_with_code_are_refused(tmp_path):
    hf_config().to_json_file(tmp_path / "config.json")
    torch.save({"weights": torch.zeros(2), "payload": print}, tmp_path / "pytorch_model.bin")
    with pytest.raises(ValueError, match="not a weights-only PyTorch checkpoint"):
        keras_albert.from_pretrained(tmp_path)


@pytest.mark.parametrize("task, cls", [(None, transformers.AlbertModel),
                                       ("masked_lm", transformers.AlbertForMaskedLM),
                                       ("pretraining", transformers.AlbertForPreTraining),
                                       ("classification", transformers.AlbertForSequenceClassification)])
def test_save_hf_round_trip_loads_in_transformers_with_same_outputs(tmp_path, task, cls):
    config = ours(hf_config(num_hidden_groups=2, inner_group_num=2, hidden_act="gelu"))
    model = keras_albert.pretrained.build(task, config, num_classes=2)
    rng = np.random.default_rng(7)
    for v in model.weights:
        v.assign(rng.normal(0, 0.2, v.shape).astype("float32"))
    keras_albert.save_hf(model, tmp_path, labels=["bad", "good"] if task == "classification" else None)
    with pytest.raises(FileExistsError):
        keras_albert.save_hf(model, tmp_path)
    hf, info = cls.from_pretrained(tmp_path, output_loading_info=True)
    hf.eval()
    assert not info["missing_keys"] and not info["mismatched_keys"]
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
    again = keras_albert.from_pretrained(tmp_path, task=task)
    for a, b in zip(model.weights, again.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
