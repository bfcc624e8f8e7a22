"""The task table: every head of the model card loads from transformers' checkpoints with transformers'
outputs, is chosen from config.json's `architectures`, and writes back a directory transformers loads exactly."""
import json
import re
import warnings

import numpy as np
import pytest
import torch
import transformers
from conftest import random_inputs
from test_convert_hf import CONFIGS, close, hf_config, hf_model, ours, random_model, run_hf

import keras_albert
from keras_albert import tasks
from keras_albert.pretrained import load_pretrained

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
HF_CLASSES = {"classification": transformers.AlbertForSequenceClassification,
              "token_classification": transformers.AlbertForTokenClassification,
              "question_answering": transformers.AlbertForQuestionAnswering,
              "multiple_choice": transformers.AlbertForMultipleChoice}
HEADS = {"classification": keras_albert.AlbertClassifier, "token_classification": keras_albert.AlbertTokenClassifier,
         "question_answering": keras_albert.AlbertQuestionAnswerer,
         "multiple_choice": keras_albert.AlbertMultipleChoice}


def task_inputs(task, config, seed=3):
    """Backbone inputs; for multiple choice [batch, choices, seq] (3 questions x 4 options)."""
    if task != "multiple_choice":
        return random_inputs(config, batch=3, seq=11, seed=seed)
    flat = random_inputs(config, batch=12, seq=9, seed=seed)
    return {k: v.reshape(3, 4, 9) for k, v in flat.items()}


def assert_same_outputs(task, ours_out, theirs, x):
    """Our outputs against a transformers ModelOutput, on real (unpadded) positions where outputs are per token."""
    mask = x["padding_mask"]
    if task == "question_answering":
        close(ours_out["start_logits"], theirs.start_logits, mask)
        close(ours_out["end_logits"], theirs.end_logits, mask)
    else:
        close(ours_out, theirs.logits, mask if task == "token_classification" else None)


def hf_task_config(task, **overrides):
    extra = {"classification": dict(num_labels=3), "multiple_choice": {}, "question_answering": {},
             "token_classification": dict(id2label=dict(enumerate(LABELS)),
                                          label2id={n: i for i, n in enumerate(LABELS)})}[task]
    return hf_config(**{**extra, **overrides})


@pytest.mark.parametrize("layout", ["2x2-gelu_new", "3x2-gelu"])
@pytest.mark.parametrize("task", sorted(HF_CLASSES))
def test_transformers_checkpoint_loads_with_its_outputs_and_its_head(tmp_path, task, layout):
    """task="auto" takes the head from `architectures` (the sequence, token and multiple-choice heads all name
    their weights classifier.*: the tensors alone could not tell them apart)."""
    config = hf_task_config(task, **CONFIGS[layout])
    hf = hf_model(HF_CLASSES[task], config, seed=11)
    hf.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every weight is in the checkpoint: no "starts from random" warning
        model, _, labels = load_pretrained(tmp_path, task="auto")
    assert type(model) is HEADS[task] and model.config == ours(config)
    x = task_inputs(task, model.config)
    assert_same_outputs(task, model(x), run_hf(hf, x), x)
    if task == "token_classification":
        assert labels == LABELS and model.num_labels == len(LABELS)
    explicit = keras_albert.from_pretrained(tmp_path, task=task)
    for a, b in zip(model.weights, explicit.weights):
        if tasks.get(task).pooler or "pooler" not in a.path:  # (an unused pooler is left as initialized)
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("task", sorted(HF_CLASSES))
def test_save_hf_writes_what_transformers_loads_exactly(tmp_path, task, tokenizer):
    config = ours(hf_config(num_hidden_groups=2, inner_group_num=2, hidden_act="gelu",
                            vocab_size=tokenizer.vocab_size))
    model = random_model(task, config)
    labels = ["a", "b"] if tasks.get(task).labelled else None
    keras_albert.save_hf(model, tmp_path / "hf", tokenizer=tokenizer, labels=labels)
    written = json.loads((tmp_path / "hf" / "config.json").read_text())
    assert written["architectures"] == [tasks.get(task).architecture]
    hf, info = HF_CLASSES[task].from_pretrained(tmp_path / "hf", output_loading_info=True)
    assert not info["missing_keys"] and not info["mismatched_keys"] and not info["unexpected_keys"]
    x = task_inputs(task, config, seed=5)
    assert_same_outputs(task, model(x), run_hf(hf.eval(), x), x)
    if labels:
        assert hf.config.id2label == {0: "a", 1: "b"}
    again, _, back = load_pretrained(tmp_path / "hf", task="auto")
    assert type(again) is type(model) and back == labels
    pooler = tasks.get(task).pooler
    for a, b in zip(model.weights, again.weights):
        if pooler or "pooler" not in a.path:  # (no pooler in a token or QA checkpoint to carry)
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("problem_type, num_labels", [("regression", 1), ("multi_label_classification", 4),
                                                       ("single_label_classification", 3)])
def test_classifier_problem_type_survives_both_ways(tmp_path, tokenizer, problem_type, num_labels):
    config = hf_config(num_labels=num_labels, problem_type=problem_type, vocab_size=tokenizer.vocab_size)
    hf = hf_model(transformers.AlbertForSequenceClassification, config, seed=2)
    hf.save_pretrained(tmp_path / "theirs")
    model = keras_albert.from_pretrained(tmp_path / "theirs", task="auto")
    assert model.problem_type == problem_type and model.num_classes == num_labels
    x = random_inputs(model.config, seed=6)
    close(model(x), run_hf(hf, x).logits)
    keras_albert.save_hf(model, tmp_path / "ours", tokenizer=tokenizer)
    assert transformers.AutoConfig.from_pretrained(tmp_path / "ours").problem_type == problem_type


def test_problem_type_left_open_is_decided_as_transformers_decides(tmp_path, tokenizer):
    """No problem_type in config.json: one output is regression (a sigmoid in transformers' pipeline), several
    are classes; the open value round-trips (it is not written as a guess)."""
    from keras_albert.tasks.classification import problem_type_of
    backbone = keras_albert.AlbertBackbone(ours(hf_config(vocab_size=tokenizer.vocab_size)))
    one, two = keras_albert.AlbertClassifier(backbone, 1), keras_albert.AlbertClassifier(backbone, 2)
    assert one.problem_type is None and problem_type_of(one) == "regression"
    assert problem_type_of(two) == "single_label_classification"
    keras_albert.save_hf(one, tmp_path / "one", tokenizer=tokenizer)
    assert "problem_type" not in json.loads((tmp_path / "one" / "config.json").read_text())
    assert keras_albert.from_pretrained(tmp_path / "one", task="auto").problem_type is None
    with pytest.raises(ValueError, match="problem_type must be one of"):
        keras_albert.AlbertClassifier(backbone, 2, problem_type="ranking")


def test_a_head_the_checkpoint_lacks_starts_random_with_a_warning_and_no_pooler_is_needed(tmp_path):
    """An AlbertModel checkpoint re-headed for question answering: encoder exact, head random (warned); a
    token-classification checkpoint (no pooler) loads as the backbone with a pooler warning only."""
    config = hf_config(num_hidden_groups=2)
    base = hf_model(transformers.AlbertModel, config, seed=4)
    base.save_pretrained(tmp_path / "base")
    with pytest.warns(UserWarning, match="no question-answering head: it starts from random weights"):
        qa = keras_albert.from_pretrained(tmp_path / "base", task="question_answering")
    x = random_inputs(qa.config, seed=9)
    close(qa.backbone(x)["sequence_output"], run_hf(base, x).last_hidden_state, x["padding_mask"])
    from keras_albert.pipelines import pipeline  # a pipeline only predicts: a random head is refused, not warned
    with pytest.raises(ValueError, match="has no question-answering head: task 'question_answering' needs"):
        pipeline("question-answering", tmp_path / "base")
    # no head, no size asked and none stated in config.json (transformers would guess 2): refused, not guessed
    no_head = (re.escape(str(tmp_path / "base")) + ".* has no token-classification head and its config states no "
               r"labels: .* or num_classes= \(num_labels=\)")
    with pytest.raises(ValueError, match=no_head):
        keras_albert.from_pretrained(tmp_path / "base", task="token_classification")
    tagger = keras_albert.from_pretrained(tmp_path / "base", task="token_classification", num_labels=7)
    assert tagger(x).shape == (3, 12, 7)


def test_saved_model_directory_is_reheaded_through_the_table(tmp_path, tokenizer):
    from keras_albert.model_dir import save_model_dir
    config = ours(hf_config(vocab_size=tokenizer.vocab_size))
    tagger = random_model("token_classification", config)
    save_model_dir(str(tmp_path / "tagger"), tagger, tokenizer, ["O", "X"])
    same, _, labels = load_pretrained(tmp_path / "tagger", task="token_classification")
    assert type(same) is keras_albert.AlbertTokenClassifier and labels == ["O", "X"]
    with pytest.warns(UserWarning, match="no multiple-choice head"):
        chooser = keras_albert.from_pretrained(tmp_path / "tagger", task="multiple_choice")
    for a, b in zip(chooser.backbone.weights, tagger.backbone.weights):
        if "pooler" not in a.path:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_multiple_choice_scores_each_option_alone():
    """[b, choices, s]: an option's score depends on that option's row only, and rank-2 input is refused."""
    config = ours(hf_config())
    model = random_model("multiple_choice", config)
    x = task_inputs("multiple_choice", config)
    full = np.asarray(model(x))
    assert full.shape == (3, 4)
    one = {k: v[:, 2:3] for k, v in x.items()}
    np.testing.assert_allclose(np.asarray(model(one))[:, 0], full[:, 2], atol=1e-5)
    with pytest.raises(ValueError, match=r"`token_ids` must have rank 3 \[batch, choices, seq\]"):
        model(random_inputs(config))


def test_unknown_task_names_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="unknown task 'ner'; expected one of .*token_classification"):
        keras_albert.from_pretrained(tmp_path, task="ner")


def test_every_task_is_one_table_entry():
    """Each name of the table resolves to its module's TASK, with an architecture transformers has."""
    assert set(tasks.TASKS) == set(tasks.NAMES)
    for name, task in tasks.TASKS.items():
        assert task.name == name and hasattr(transformers, task.architecture)
        assert tasks.of_architecture(task.architecture) is task
    assert {p for t in tasks.TASKS.values() for p in t.pipelines} >= {
        "fill-mask", "feature-extraction", "text-classification"}
    assert torch.__version__  # (transformers' heads are the reference: torch is installed for them)


def test_cli_convert_handles_every_architecture(tmp_path, tokenizer):
    """`keras-albert convert` of a transformers token classifier: the Keras directory keeps the head and its
    labels, and `--hf` writes a directory AutoModelForTokenClassification loads with the same logits."""
    from keras_albert_cli.cli import main
    from keras_albert.model_dir import load_model_dir
    config = hf_task_config("token_classification", vocab_size=tokenizer.vocab_size)
    hf = hf_model(transformers.AlbertForTokenClassification, config, seed=12)
    hf.save_pretrained(tmp_path / "theirs")
    tokenizer.save(str(tmp_path / "theirs" / "spiece.model"))
    assert main(["convert", str(tmp_path / "theirs"), str(tmp_path / "keras")]) == 0
    model, _, labels = load_model_dir(str(tmp_path / "keras"))
    assert type(model) is keras_albert.AlbertTokenClassifier and labels == LABELS
    assert main(["convert", str(tmp_path / "keras"), str(tmp_path / "back"), "--hf"]) == 0
    again = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "back").eval()
    x = random_inputs(model.config, seed=13)
    close(model(x), run_hf(again, x).logits, x["padding_mask"])
    assert again.config.id2label == dict(enumerate(LABELS))
