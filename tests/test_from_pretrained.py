"""from_pretrained: every source (HF dir, hub id from the cache, TF1, saved model), every task, clear errors."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import transformers
from conftest import random_inputs
from safetensors.numpy import load_file, save_file
from test_convert_hf import close, hf_config, hf_model, ours

import keras_albert
from keras_albert.model_dir import save_model_dir
from keras_albert.pretrained import load_pretrained


@pytest.fixture(scope="module")
def pretraining_dir(tmp_path_factory, spiece_path):
    path = tmp_path_factory.mktemp("hf_pretraining")
    model = hf_model(transformers.AlbertForPreTraining, hf_config(num_hidden_groups=2, num_hidden_layers=2), seed=31)
    model.save_pretrained(path)
    shutil.copy(spiece_path, path / "spiece.model")
    return path, model


def copy_with(src, dst, config=None, tensors=None):
    """A copy of an HF directory with config fields and/or tensors changed (None deletes a tensor)."""
    shutil.copytree(src, dst)
    if config:
        raw = json.loads((dst / "config.json").read_text())
        (dst / "config.json").write_text(json.dumps({**raw, **config}))
    if tensors:
        state = load_file(dst / "model.safetensors")
        for name, value in tensors.items():
            state.pop(name) if value is None else state.__setitem__(name, value)
        save_file(state, dst / "model.safetensors")
    return dst


def test_tokenizer_loads_when_present_and_model_loads_without_it(pretraining_dir, tmp_path, tokenizer):
    path, _ = pretraining_dir
    model, tok, labels = load_pretrained(path, task="masked_lm")
    assert tok.tokenize("a charming film .") == tokenizer.tokenize("a charming film .") and labels is None
    bare = copy_with(path, tmp_path / "bare")
    os.remove(bare / "spiece.model")
    model, tok, _ = load_pretrained(bare)
    assert tok is None and isinstance(model, keras_albert.AlbertBackbone)


@pytest.mark.parametrize("change, message", [
    (dict(config={"hidden_size": 64, "num_attention_heads": 4}),
     r"'encoder.embedding_hidden_mapping_in.weight' has shape \(32, 16\) in the checkpoint but the model "
     r"expects \(64, 16\)"),
    (dict(config={"vocab_size": 499}), r"'embeddings.word_embeddings.weight' has shape \(500, 16\).*\(499, 16\)"),
    (dict(config={"num_hidden_groups": 1}),
     r"unexpected tensor 'encoder.albert_layer_groups.1.albert_layers.0.attention.dense.bias' with shape \(32,\)"),
    (dict(tensors={"albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight": None}),
     r"missing tensor 'encoder.albert_layer_groups.0.albert_layers.0.ffn.weight' \(model expects shape \(48, 32\)\)"),
    (dict(tensors={"albert.pooler.bias": np.zeros(31, "float32")}), r"'pooler.bias' has shape \(31,\)"),
    (dict(tensors={"predictions.decoder.weight": np.zeros((500, 16), "float32")}), "untied MLM decoders"),
    (dict(tensors={"sop_classifier.classifier.bias": None}), r"missing tensor 'sop_classifier.classifier.bias'"),
    (dict(config={"model_type": "bert"}), "holds a 'bert' model, not ALBERT"),
    (dict(config={"hidden_act": "swish"}), "hidden_act 'swish' is not one of"),
])
def test_mismatches_raise_one_clear_error(pretraining_dir, tmp_path, change, message):
    path, _ = pretraining_dir
    with pytest.raises(ValueError, match=message):
        keras_albert.from_pretrained(copy_with(path, tmp_path / "bad", **change), task="pretraining")


def test_files_that_are_not_checkpoints(pretraining_dir, tmp_path):
    path, _ = pretraining_dir
    bad = copy_with(path, tmp_path / "garbage")
    (bad / "model.safetensors").write_bytes(b"this is not a checkpoint")
    with pytest.raises(ValueError, match="not a readable safetensors checkpoint"):
        keras_albert.from_pretrained(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="is not an ALBERT checkpoint"):
        keras_albert.from_pretrained(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="no such file"):
        keras_albert.from_pretrained(str(tmp_path / "missing" / "dir"))
    with pytest.raises(ValueError, match="unknown task"):
        keras_albert.from_pretrained(path, task="qa")
    unstated = copy_with(path, tmp_path / "no_labels")
    raw = json.loads((unstated / "config.json").read_text())
    raw.pop("id2label", None), raw.pop("label2id", None), raw.pop("num_labels", None)
    (unstated / "config.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="has no classifier head and its config states no labels: task "
                                         "'classification' needs .* or num_classes="):
        keras_albert.from_pretrained(unstated, task="classification")


def test_a_new_head_takes_the_size_and_names_its_config_states(pretraining_dir, tmp_path):
    """As transformers: a checkpoint without the head, whose config.json names labels, gets a new head of that
    many outputs (with a warning), and the names come with it."""
    path, _ = pretraining_dir
    named = copy_with(path, tmp_path / "named", config={"id2label": {"0": "neg", "1": "neu", "2": "pos"},
                                                        "label2id": {"neg": 0, "neu": 1, "pos": 2}})
    reference = transformers.AlbertForSequenceClassification.from_pretrained(named)
    with pytest.warns(UserWarning, match="no classifier head"):
        model, _, labels = load_pretrained(named, task="classification")
    assert model.num_classes == reference.config.num_labels == 3 and labels == ["neg", "neu", "pos"]


def test_config_and_head_that_disagree_are_refused(pretraining_dir, tmp_path):
    """transformers refuses a config whose labels and classifier tensors disagree; so do we (not a silent
    model of the tensors' size with the config's names dropped)."""
    path, _ = pretraining_dir
    head = {"classifier.weight": np.zeros((2, 32), "float32"), "classifier.bias": np.zeros(2, "float32")}
    bad = copy_with(path, tmp_path / "disagree", config={"architectures": ["AlbertForSequenceClassification"],
                                                         "id2label": {"0": "a", "1": "b", "2": "c"},
                                                         "label2id": {"a": 0, "b": 1, "c": 2}}, tensors=head)
    with pytest.raises(RuntimeError):
        transformers.AlbertForSequenceClassification.from_pretrained(bad)
    with pytest.raises(ValueError, match="its config states 3 labels but its classifier head has 2 outputs"):
        keras_albert.from_pretrained(bad, task="auto")


def test_new_heads_start_fresh_with_a_warning(pretraining_dir):
    path, hf = pretraining_dir
    with pytest.warns(UserWarning, match="no classifier head"):
        model = keras_albert.from_pretrained(path, task="classification", num_classes=4)
    x = random_inputs(model.config, seed=2)
    close(model.backbone(x)["pooled_output"], hf.albert(**_t(x)).pooler_output.detach())


def _t(x):
    from test_convert_hf import torch_inputs
    return torch_inputs(x)


def test_saved_model_directory_as_is_and_reheaded(pretraining_dir, tmp_path):
    path, hf = pretraining_dir
    model, tok, _ = load_pretrained(path, task="pretraining")
    save_model_dir(tmp_path / "saved", model, tokenizer=tok)
    again = keras_albert.from_pretrained(tmp_path / "saved", task="auto")
    assert isinstance(again, keras_albert.AlbertPretrainer)
    x = random_inputs(model.config, seed=3)
    close(again(x)["sop_logits"], model(x)["sop_logits"])
    mlm = keras_albert.from_pretrained(tmp_path / "saved", task="masked_lm")  # re-headed through the table
    close(mlm(x), model(x)["mlm_logits"], x["padding_mask"])
    backbone = keras_albert.from_pretrained(tmp_path / "saved")  # task None: the backbone, as documented
    assert type(backbone) is keras_albert.AlbertBackbone
    close(backbone(x)["pooled_output"], model.backbone(x)["pooled_output"])
    with pytest.raises(ValueError, match=r"saved AlbertBackbone\) has no masked-LM head: task 'masked_lm' needs"):
        keras_albert.from_pretrained(save_model_dir(tmp_path / "bb", model.backbone), task="masked_lm")


def test_convert_task_backbone_writes_the_backbone(pretraining_dir, tmp_path):
    from keras_albert_cli.cli import main
    path, _ = pretraining_dir
    model, tok, _ = load_pretrained(path, task="classification", num_classes=2)
    save_model_dir(tmp_path / "clf", model, tokenizer=tok, labels=["no", "yes"])
    assert main(["convert", str(tmp_path / "clf"), str(tmp_path / "bb"), "--task", "backbone"]) == 0
    converted = keras_albert.from_pretrained(tmp_path / "bb", task="auto")
    assert type(converted) is keras_albert.AlbertBackbone
    x = random_inputs(model.config, seed=5)
    close(converted(x)["pooled_output"], model.backbone(x)["pooled_output"])


def test_pretraining_starts_from_a_classifier_or_a_masked_lm_without_pooler(pretraining_dir, tmp_path):
    """`pretrain --init` takes anything from_pretrained loads: heads the source lacks start random, said so."""
    path, _ = pretraining_dir
    model, tok, _ = load_pretrained(path, task="classification", num_classes=2)
    save_model_dir(tmp_path / "clf", model, tokenizer=tok)
    with pytest.warns(UserWarning) as caught:
        pretrainer = keras_albert.from_pretrained(tmp_path / "clf", task="pretraining")
    assert {str(w.message) for w in caught} >= {
        "the checkpoint has no masked-LM head: it starts from random weights",
        "the checkpoint has no sentence-order head: it starts from random weights"}
    x = random_inputs(model.config, seed=6)
    close(pretrainer.backbone(x)["pooled_output"], model.backbone(x)["pooled_output"])

    mlm = hf_model(transformers.AlbertForMaskedLM, hf_config(num_hidden_groups=2, num_hidden_layers=2), seed=32)
    mlm.save_pretrained(tmp_path / "mlm")
    with pytest.warns(UserWarning) as caught:
        pretrainer = keras_albert.from_pretrained(tmp_path / "mlm", task="pretraining")
    assert {str(w.message) for w in caught} >= {"the checkpoint has no pooler: it starts from random weights",
                                                "the checkpoint has no sentence-order head: it starts from random "
                                                "weights"}
    close(pretrainer(x)["mlm_logits"], mlm(**_t(x)).logits.detach(), x["padding_mask"])


def test_sizes_are_checked_before_the_model_is_built(pretraining_dir, tmp_path, monkeypatch):
    """vocab_size 1e9 with small weights used to allocate 64 GB (and die) before the shapes were compared."""
    path, _ = pretraining_dir
    bad = copy_with(path, tmp_path / "huge", config={"vocab_size": 10**9})

    def build(*args, **kwargs):
        raise AssertionError("the model was built before the checkpoint was checked against the config")
    monkeypatch.setattr(keras_albert.pretrained, "build", build)
    with pytest.raises(ValueError, match=r"'embeddings.word_embeddings.weight' has shape \(500, 16\) in the "
                                         r"checkpoint but the model expects \(1000000000, 16\)"):
        keras_albert.from_pretrained(bad, task="pretraining")


def test_broken_files_are_one_line(pretraining_dir, tmp_path):
    path, _ = pretraining_dir
    listed = copy_with(path, tmp_path / "list")
    (listed / "config.json").write_text('["albert"]')
    with pytest.raises(ValueError, match=r"config.json holds a JSON list, not an object of config fields"):
        keras_albert.from_pretrained(listed)
    model, tok, _ = load_pretrained(path, task="masked_lm")
    save_model_dir(tmp_path / "saved", model, tokenizer=tok)
    keras = tmp_path / "saved" / "model.keras"
    keras.write_bytes(keras.read_bytes()[:5000])  # cut short, as an interrupted copy leaves it
    with pytest.raises(ValueError) as e:
        keras_albert.from_pretrained(tmp_path / "saved")
    assert str(e.value) == (f"{keras} is corrupt or truncated: a .keras model is a zip archive and this is not one")


def test_fill_mask_on_a_classifier_says_what_it_is(pretraining_dir, tmp_path, capsys):
    from keras_albert_cli.cli import main
    path, _ = pretraining_dir
    model, tok, _ = load_pretrained(path, task="classification", num_classes=2)
    save_model_dir(tmp_path / "clf", model, tokenizer=tok)
    assert main(["fill-mask", str(tmp_path / "clf"), "a [MASK] film ."]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"keras-albert fill-mask: error: {tmp_path / 'clf'} (a saved AlbertClassifier) has no masked-LM "
                   f"head: task 'masked_lm' needs a checkpoint that has one")


def test_a_tokenizer_json_is_the_vocabulary_when_there_is_no_spiece_model(pretraining_dir, tmp_path, monkeypatch):
    """transformers 5 writes tokenizer.json only: the loader hands it to AlbertTokenizer.from_file."""
    from keras_albert.tokenizer import AlbertTokenizer
    path, _ = pretraining_dir
    only_json = copy_with(path, tmp_path / "json")
    (only_json / "spiece.model").unlink()
    (only_json / "tokenizer.json").write_text("{}")
    opened = []
    monkeypatch.setattr(AlbertTokenizer, "from_file", classmethod(lambda cls, p: opened.append(p) or "tokenizer"))
    assert load_pretrained(only_json).tokenizer == "tokenizer"
    assert opened == [str(only_json / "tokenizer.json")]
    assert load_pretrained(path).tokenizer == "tokenizer" and opened[-1] == str(path / "spiece.model")


def _run_offline(code, hf_home):
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(hf_home), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_hub_ids_load_from_the_hub_cache_and_fail_clearly_offline(pretraining_dir, tmp_path):
    """A hub id resolves through huggingface_hub (here: its cache, offline); an unknown one names the id."""
    path, hf = pretraining_dir
    repo = tmp_path / "hub" / "hub" / "models--test-org--tiny-albert"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(path, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    x = random_inputs(ours(hf.config), seed=4)
    np.save(tmp_path / "x.npy", np.stack([x["token_ids"], x["segment_ids"], x["padding_mask"]]))
    code = (f"import numpy as np, keras_albert; t, s, m = np.load({str(tmp_path / 'x.npy')!r}); "
            "model = keras_albert.from_pretrained('test-org/tiny-albert', task='pretraining'); "
            f"np.save({str(tmp_path / 'sop.npy')!r}, np.asarray(model("
            "{'token_ids': t, 'segment_ids': s, 'padding_mask': m})['sop_logits']))")
    done = _run_offline(code, tmp_path / "hub")
    assert done.returncode == 0, done.stderr[-2000:]
    close(np.load(tmp_path / "sop.npy"), hf(**_t(x)).sop_logits.detach())

    done = _run_offline("from keras_albert_cli.cli import main; raise SystemExit(main(['convert', "
                        f"'nobody/no-such-albert', {str(tmp_path / 'out')!r}]))", tmp_path / "hub")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert "could not download model 'nobody/no-such-albert' from the Hugging Face Hub" in last, done.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_label_names_travel_with_the_model(tmp_path, spiece_path):
    """from_pretrained -> save_hf keeps the checkpoint's id2label (it wrote LABEL_0.. before), and so do a .keras
    file and the pipelines on the model object, as transformers keeps them in its config."""
    from keras_albert.pipelines import pipeline
    from keras_albert.tokenizer import AlbertTokenizer
    names = {0: "O", 1: "B-PER", 2: "I-PER"}
    tokenizer = AlbertTokenizer.from_file(spiece_path)
    hf = hf_model(transformers.AlbertForTokenClassification,
                  hf_config(vocab_size=tokenizer.vocab_size, num_labels=3, id2label=names,
                            label2id={v: k for k, v in names.items()}), seed=5)
    hf.save_pretrained(tmp_path / "hf")
    model = keras_albert.from_pretrained(tmp_path / "hf", task="auto")
    assert model.labels == ["O", "B-PER", "I-PER"]
    keras_albert.save_hf(model, tmp_path / "back", tokenizer=tokenizer)
    assert transformers.AutoConfig.from_pretrained(tmp_path / "back").id2label == names
    model.save(str(tmp_path / "m.keras"))
    assert load_pretrained(tmp_path / "m.keras", task="auto").labels == ["O", "B-PER", "I-PER"]
    tagged = pipeline("token-classification", model=model, tokenizer=tokenizer)("bob went home")
    assert {e["entity"] for e in tagged} <= {"B-PER", "I-PER"}
    save_model_dir(tmp_path / "renamed", model, tokenizer, ["O", "B-ORG", "I-ORG"])  # (finetune on new tags)
    import keras
    assert keras.models.load_model(str(tmp_path / "renamed" / "model.keras")).labels == ["O", "B-ORG", "I-ORG"]
    with pytest.raises(ValueError, match="labels must be 3 non-empty strings"):
        keras_albert.AlbertTokenClassifier(model.backbone, 3, labels=["O", "B-PER"])
