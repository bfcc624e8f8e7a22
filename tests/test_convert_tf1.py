"""Original google-research checkpoints: written here with the original variable names (plus optimizer slots),
loaded by us and, as the reference, by transformers' own TF1 name rules into a torch model."""
import json
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf
import torch
import transformers
from conftest import random_inputs
from test_convert_hf import checkpoint_like, close, hf_config, ours, run_hf

import keras_albert


def tf1_shapes(c, num_labels=None):
    """name -> shape of a google-research ALBERT checkpoint for config `c`."""
    V, E, H, I, P, T = (c.vocab_size, c.embedding_size, c.hidden_size, c.intermediate_size,
                        c.max_position_embeddings, c.type_vocab_size)
    s = {"bert/embeddings/word_embeddings": (V, E), "bert/embeddings/position_embeddings": (P, E),
         "bert/embeddings/token_type_embeddings": (T, E), "bert/embeddings/LayerNorm/gamma": (E,),
         "bert/embeddings/LayerNorm/beta": (E,), "bert/encoder/embedding_hidden_mapping_in/kernel": (E, H),
         "bert/encoder/embedding_hidden_mapping_in/bias": (H,), "bert/pooler/dense/kernel": (H, H),
         "bert/pooler/dense/bias": (H,), "cls/predictions/transform/dense/kernel": (H, E),
         "cls/predictions/transform/dense/bias": (E,), "cls/predictions/transform/LayerNorm/gamma": (E,),
         "cls/predictions/transform/LayerNorm/beta": (E,), "cls/predictions/output_bias": (V,),
         "cls/seq_relationship/output_weights": (2, H), "cls/seq_relationship/output_bias": (2,)}
    for g in range(c.num_hidden_groups):
        for j in range(c.inner_group_num):
            pre = f"bert/encoder/transformer/group_{g}/inner_group_{j}/"
            for n in ("query", "key", "value"):
                s[f"{pre}attention_1/self/{n}/kernel"], s[f"{pre}attention_1/self/{n}/bias"] = (H, H), (H,)
            s.update({f"{pre}attention_1/output/dense/kernel": (H, H), f"{pre}attention_1/output/dense/bias": (H,),
                      f"{pre}LayerNorm/gamma": (H,), f"{pre}LayerNorm/beta": (H,),
                      f"{pre}ffn_1/intermediate/dense/kernel": (H, I), f"{pre}ffn_1/intermediate/dense/bias": (I,),
                      f"{pre}ffn_1/intermediate/output/dense/kernel": (I, H),
                      f"{pre}ffn_1/intermediate/output/dense/bias": (H,),
                      f"{pre}LayerNorm_1/gamma": (H,), f"{pre}LayerNorm_1/beta": (H,)})
    if num_labels:  # run_classifier.py's head, at the top level
        s.update({"output_weights": (num_labels, H), "output_bias": (num_labels,)})
    return s


def write_checkpoint(prefix, arrays, optimizer=True):
    """A TF1 checkpoint by name (tf.raw_ops.SaveV2), with Adam slots and global_step as training writes them."""
    names, tensors = list(arrays), [tf.constant(a) for a in arrays.values()]
    if optimizer:
        for name, a in arrays.items():
            names += [f"{name}/adam_m", f"{name}/adam_v"]
            tensors += [tf.constant(np.ones_like(a)), tf.constant(np.ones_like(a))]
        names.append("global_step")
        tensors.append(tf.constant(1000, tf.int64))
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)


# transformers' `load_tf_weights_in_albert` renaming rules (the reference converter, removed in transformers 5).
REFERENCE_RULES = [("module/", ""), ("ffn_1", "ffn"), ("bert/", "albert/"), ("attention_1", "attention"),
                   ("transform/", ""), ("LayerNorm_1", "full_layer_layer_norm"), ("LayerNorm", "attention/LayerNorm"),
                   ("transformer/", ""), ("intermediate/dense/", ""), ("ffn/intermediate/output/dense/", "ffn_output/"),
                   ("/output/", "/"), ("/self/", "/"), ("pooler/dense", "pooler"), ("cls/predictions", "predictions"),
                   ("predictions/attention", "predictions"), ("embeddings/attention", "embeddings"),
                   ("inner_group_", "albert_layers/"), ("group_", "albert_layer_groups/")]


def reference_state(arrays):
    """TF1 arrays -> a torch state dict by the reference rules (kernels transposed, output_weights not)."""
    state = {}
    for name, a in arrays.items():
        for old, new in REFERENCE_RULES:
            name = name.replace(old, new)
        if len(name.split("/")) == 1:
            name = "classifier/" + name
        name = name.replace("seq_relationship/output_", "sop_classifier/classifier/")
        name = name.removeprefix("cls/")  # the reference walks attributes and skips the unknown `cls`
        parts = name.split("/")
        last = {"kernel": "weight", "gamma": "weight", "beta": "bias", "output_bias": "bias",
                "output_weights": "weight", "weights": "weight", "bias": "bias"}.get(parts[-1])
        key = ".".join(parts[:-1] + [last]) if last else ".".join(parts + ["weight"])
        state[key] = torch.tensor(a.T if parts[-1] == "kernel" else a)
    return state


def make_tf1_dir(path, hf_cfg, spiece_path, seed, num_labels=None, hub_prefix=False):
    c = ours(hf_cfg)
    rng = np.random.default_rng(seed)
    arrays = {n: checkpoint_like(n, shape, rng) for n, shape in tf1_shapes(c, num_labels).items()}
    path.mkdir(parents=True, exist_ok=True)
    stale = {n: np.zeros_like(a) for n, a in arrays.items()}  # an older checkpoint next to it must not be picked
    write_checkpoint(path / "model.ckpt-500", stale)
    write_checkpoint(path / "model.ckpt-1000", {("module/" if hub_prefix else "") + n: a for n, a in arrays.items()})
    raw = {k: getattr(c, k) for k in ("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers",
                                      "num_attention_heads", "intermediate_size", "num_hidden_groups",
                                      "inner_group_num", "max_position_embeddings", "type_vocab_size",
                                      "initializer_range", "hidden_dropout_prob", "attention_probs_dropout_prob")}
    raw.update(hidden_act="gelu", net_structure_type=0, layers_to_keep=[], gap_size=0, num_memory_blocks=0,
               down_scale_factor=1)  # google's "gelu" IS the tanh approximation
    (path / "albert_config.json").write_text(json.dumps(raw))
    shutil.copy(spiece_path, path / "30k-clean.model")
    return arrays


@pytest.mark.parametrize("layout", [dict(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2),
                                    dict(num_hidden_layers=3)])
def test_tf1_pretraining_checkpoint_matches_reference(tmp_path, spiece_path, layout):
    cfg = hf_config(**layout, hidden_act="gelu_new")
    arrays = make_tf1_dir(tmp_path, cfg, spiece_path, seed=11)
    reference = transformers.AlbertForPreTraining(cfg).eval()
    missing, unexpected = reference.load_state_dict(reference_state(arrays), strict=False)
    assert not unexpected and set(missing) <= {"predictions.decoder.weight", "predictions.decoder.bias"}
    reference.tie_weights()
    with torch.no_grad():
        reference.predictions.decoder.bias.copy_(reference.predictions.bias)

    model, tokenizer, _ = keras_albert.pretrained.load_pretrained(tmp_path, task="pretraining")
    assert model.config.hidden_act == "gelu_new" and tokenizer is not None
    x = random_inputs(ours(cfg), batch=3, seq=12, seed=3)
    got, expected = model(x), run_hf(reference, x)
    close(got["mlm_logits"], expected.prediction_logits, x["padding_mask"])
    close(got["sop_logits"], expected.sop_logits)
    base = keras_albert.from_pretrained(tmp_path)(x)
    close(base["pooled_output"], run_hf(reference.albert, x).pooler_output)


def test_tf1_classifier_checkpoint_from_tf_hub_names(tmp_path, spiece_path):
    cfg = hf_config(num_hidden_layers=2)
    arrays = make_tf1_dir(tmp_path, cfg, spiece_path, seed=12, num_labels=3, hub_prefix=True)
    reference = transformers.AlbertForSequenceClassification(hf_config(num_hidden_layers=2, num_labels=3)).eval()
    state = {k: v for k, v in reference_state(arrays).items() if not k.startswith(("predictions", "sop_"))}
    missing, _ = reference.load_state_dict(state, strict=False)
    assert not missing
    model = keras_albert.from_pretrained(tmp_path, task="auto")
    assert isinstance(model, keras_albert.AlbertClassifier) and model.num_classes == 3
    x = random_inputs(ours(cfg), seed=5)
    close(model(x), run_hf(reference, x).logits)


def test_tf1_mismatches_name_the_tensor(tmp_path, spiece_path):
    cfg = hf_config(num_hidden_layers=2)
    arrays = make_tf1_dir(tmp_path / "ok", cfg, spiece_path, seed=13)
    # config says 2 groups, checkpoint has 1: the second group's tensors are missing
    raw = json.loads((tmp_path / "ok" / "albert_config.json").read_text())
    shutil.copytree(tmp_path / "ok", tmp_path / "groups")
    (tmp_path / "groups" / "albert_config.json").write_text(json.dumps(dict(raw, num_hidden_groups=2)))
    with pytest.raises(ValueError, match=r"missing tensor 'bert/encoder/transformer/group_1/inner_group_0/"):
        keras_albert.from_pretrained(tmp_path / "groups")
    # wrong hidden size in the config: the shapes are named
    shutil.copytree(tmp_path / "ok", tmp_path / "hidden")
    (tmp_path / "hidden" / "albert_config.json").write_text(json.dumps(dict(raw, hidden_size=64)))
    with pytest.raises(ValueError, match=re.escape("'bert/encoder/embedding_hidden_mapping_in/kernel' has shape "
                                                   "(16, 32) in the checkpoint but the model expects (16, 64)")):
        keras_albert.from_pretrained(tmp_path / "hidden")
    # an extra, unknown tensor
    (tmp_path / "extra").mkdir()
    shutil.copy(tmp_path / "ok" / "albert_config.json", tmp_path / "extra")
    write_checkpoint(tmp_path / "extra" / "model.ckpt-1", dict(arrays, **{"bert/encoder/mystery": np.zeros(3, "f")}))
    with pytest.raises(ValueError, match=r"unexpected tensor 'bert/encoder/mystery' with shape \(3,\)"):
        keras_albert.from_pretrained(tmp_path / "extra")
    (tmp_path / "empty").mkdir()
    shutil.copy(tmp_path / "ok" / "albert_config.json", tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="no model.ckpt"):
        keras_albert.from_pretrained(tmp_path / "empty")


@pytest.fixture(scope="module")
def tf1_dir(tmp_path_factory, spiece_path):
    path = tmp_path_factory.mktemp("tf1") / "ok"
    make_tf1_dir(path, hf_config(num_hidden_layers=2), spiece_path, seed=14)
    return path


def _one_line_error(path, match, error=ValueError):
    with pytest.raises(error, match=match) as e:
        keras_albert.from_pretrained(path)
    assert "\n" not in str(e.value)
    return str(e.value)


def test_missing_or_truncated_data_file_is_one_line(tf1_dir, tmp_path):
    shutil.copytree(tf1_dir, tmp_path / "missing")
    (tmp_path / "missing" / "model.ckpt-1000.data-00000-of-00001").unlink()
    _one_line_error(tmp_path / "missing", r"model.ckpt-1000.data-00000-of-00001 is missing")
    shutil.copytree(tf1_dir, tmp_path / "truncated")
    data = tmp_path / "truncated" / "model.ckpt-1000.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    _one_line_error(tmp_path / "truncated", r"model.ckpt-1000: tensor '.*' cannot be read, the .data file is "
                                            r"truncated")


def test_checkpoint_file_naming_a_missing_step_is_refused(tf1_dir, tmp_path):
    """TensorFlow would log an error and pick nothing; falling back to the newest step loaded another one."""
    shutil.copytree(tf1_dir, tmp_path / "named")
    state = tmp_path / "named" / "checkpoint"
    state.write_text('model_checkpoint_path: "model.ckpt-500"\nall_model_checkpoint_paths: "model.ckpt-500"\n')
    stale = keras_albert.from_pretrained(tmp_path / "named")  # the named step is loaded, not the newest
    assert not np.any(np.asarray(stale.embeddings.word_embeddings.embeddings))
    state.write_text('model_checkpoint_path: "/elsewhere/run/model.ckpt-1000"\n')  # a moved run folder
    assert np.any(np.asarray(keras_albert.from_pretrained(tmp_path / "named").embeddings.word_embeddings.embeddings))
    state.write_text('model_checkpoint_path: "model.ckpt-2000"\n')
    _one_line_error(tmp_path / "named", r"checkpoint names 'model.ckpt-2000', which is not in .*steps here: "
                                        r"model.ckpt-500, model.ckpt-1000")
    state.write_text("not a checkpoint state {{")
    _one_line_error(tmp_path / "named", r"checkpoint is not a TensorFlow checkpoint state file")


def test_config_that_is_json_but_not_an_object(tf1_dir, tmp_path):
    shutil.copytree(tf1_dir, tmp_path / "list")
    (tmp_path / "list" / "albert_config.json").write_text("[1, 2, 3]")
    _one_line_error(tmp_path / "list", r"albert_config.json holds a JSON list, not an object")
