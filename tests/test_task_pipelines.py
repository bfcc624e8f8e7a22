"""The task pipelines against transformers' own pipelines on the same random weights and the same tokenizer:
token-classification (every aggregation strategy), zero-shot-classification, text-classification on pairs
(and its default scores by problem_type), and our multiple-choice against transformers' model run by hand."""
import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import transformers
from test_convert_hf import hf_config, hf_model

from keras_albert import pipeline

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
NLI = ["contradiction", "neutral", "entailment"]
# accents, uppercase, runs of spaces, emoji, tabs, an unknown character, punctuation glued to words
TEXTS = ["Café déjà vu in PARIS with Zoë   and  José.", "ALL CAPS SHOUTING about Berlin!!",
         "emoji 👍🏽 then   a film , naïve and  WONDERFUL ride .", "tabs\tand  runs   of    space in Ünïcödé",
         "the plot is nothing but boilerplate clichés from 日本 ."]


def _save(model, path, tokenizer, spiece_path):
    model.save_pretrained(path)
    shutil.copy(spiece_path, path / "spiece.model")
    tokenizer.save_tokenizer_json(path / "tokenizer.json")
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory, tokenizer, spiece_path):
    """Random transformers heads (checkpoint-like weights) saved with our tokenizer files, and its tokenizer."""
    root = tmp_path_factory.mktemp("task_pipelines")
    cfg = dict(vocab_size=tokenizer.vocab_size, num_hidden_groups=2, inner_group_num=2)

    def labelled(names, **extra):
        return hf_config(**{**cfg, **extra}, num_labels=len(names), id2label=dict(enumerate(names)),
                         label2id={n: i for i, n in enumerate(names)})

    one_layer = labelled(TAGS, num_hidden_layers=1, num_hidden_groups=1, inner_group_num=1)
    made = {"ner": _spread(hf_model(transformers.AlbertForTokenClassification, one_layer, seed=31), tokenizer),
            "nli": hf_model(transformers.AlbertForSequenceClassification, labelled(NLI), seed=32),
            "regression": hf_model(transformers.AlbertForSequenceClassification,
                                   hf_config(**cfg, num_labels=1, problem_type="regression"), seed=33),
            "multi": hf_model(transformers.AlbertForSequenceClassification,
                              labelled(["action", "comedy", "drama"], problem_type="multi_label_classification"),
                              seed=34),
            "choice": hf_model(transformers.AlbertForMultipleChoice, hf_config(**cfg), seed=35)}
    dirs = {name: _save(m, root / name, tokenizer, spiece_path) for name, m in made.items()}
    hf_tokenizer = transformers.AutoTokenizer.from_pretrained(dirs["ner"])
    # transformers 5.x's AlbertTokenizer leaves token_type_ids out of its model inputs, so its pipelines read a
    # pair's second text as segment 0; ALBERT was trained (and we pack) with segment 1, as transformers 4 did
    hf_tokenizer.model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    return dirs, made, hf_tokenizer


def _spread(model, tokenizer, scale=5.0):
    """A random encoder's outputs differ little from position to position, so a random head tags most pieces
    alike: centre and scale the head so that pieces get different tags (one layer: the least alike)."""
    ids = torch.tensor([[2, *[i for t in TEXTS for i in tokenizer.tokenize(t)][:60], 3]])
    with torch.no_grad():
        mean = model.albert(ids).last_hidden_state[0].mean(0)
        model.classifier.weight.mul_(scale)
        model.classifier.bias.copy_(-(model.classifier.weight @ mean))
    return model


def test_the_reference_tokenizer_is_fast_and_gives_our_ids(models, tokenizer):
    _, _, hf_tokenizer = models
    assert hf_tokenizer.is_fast
    for text in TEXTS:
        assert hf_tokenizer(text)["input_ids"] == [2, *tokenizer.tokenize(text), 3], text
    assert any(1 in tokenizer.tokenize(t) for t in TEXTS)  # an unknown piece: its word is the original text
    pair = hf_tokenizer(TEXTS[0], TEXTS[1])
    n = len(tokenizer.tokenize(TEXTS[0])) + 2
    assert pair["token_type_ids"] == [0] * n + [1] * (len(pair["input_ids"]) - n)


def assert_same_entities(ours, theirs, text):
    assert len(ours) == len(theirs), (text, ours, theirs)
    for a, b in zip(ours, theirs):
        assert set(a) == set(b), (a, b)
        for key in set(a) - {"score"}:
            assert a[key] == b[key], (text, key, a, b)
        assert abs(a["score"] - float(b["score"])) < 1e-4
        assert 0 <= a["start"] <= a["end"] <= len(text), (text, a)  # offsets into the original text


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
@pytest.mark.parametrize("strategy", ["none", "simple", "first", "average", "max"])
def test_token_classification_matches_transformers(models, strategy):
    dirs, made, hf_tokenizer = models
    theirs = transformers.pipeline("token-classification", model=made["ner"], tokenizer=hf_tokenizer,
                                   aggregation_strategy=strategy)
    ours = pipeline("token-classification", model=str(dirs["ner"]), aggregation_strategy=strategy)
    called = pipeline("token-classification", model=str(dirs["ner"]))
    seen = set()
    for text in TEXTS:
        expected = theirs(text)
        assert_same_entities(ours(text), expected, text)
        assert_same_entities(called(text, aggregation_strategy=strategy), expected, text)
        everything = theirs(text, ignore_labels=[])
        seen |= {e.get("entity", e.get("entity_group")) for e in everything}
        assert_same_entities(ours(text, ignore_labels=[]), everything, text)
    assert len(seen) >= (4 if strategy == "none" else 3), seen  # several tags: grouping is exercised
    for text, got, expected in zip(TEXTS, ours(TEXTS, batch_size=2), theirs(TEXTS)):  # padded batches
        assert_same_entities(got, expected, text)


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
def test_token_classification_windows_match_transformers(models):
    """A long text read in overlapping windows (stride): the same entities as transformers' windows."""
    dirs, made, hf_tokenizer = models
    long = "  ".join(TEXTS * 3)
    hf_tokenizer.model_max_length = 24
    try:
        theirs = transformers.pipeline("token-classification", model=made["ner"], tokenizer=hf_tokenizer,
                                       aggregation_strategy="simple", stride=6)
        expected = theirs(long)
    finally:
        hf_tokenizer.model_max_length = int(1e30)
    ours = pipeline("token-classification", model=str(dirs["ner"]), aggregation_strategy="simple", stride=6,
                    max_length=24)
    assert_same_entities(ours(long), expected, long)
    with pytest.raises(ValueError, match="stride reads the text in windows"):
        pipeline("token-classification", model=str(dirs["ner"]), stride=4)


@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_matches_transformers(models, multi_label):
    dirs, made, hf_tokenizer = models
    theirs = transformers.pipeline("zero-shot-classification", model=made["nli"], tokenizer=hf_tokenizer)
    ours = pipeline("zero-shot-classification", model=str(dirs["nli"]))
    candidates = ["cinema", "politics", "cooking", "Sport and GAMES"]
    for kwargs in ({}, {"hypothesis_template": "The topic is {} ."}):
        expected = theirs(TEXTS[:3], candidate_labels=candidates, multi_label=multi_label, **kwargs)
        got = ours(TEXTS[:3], candidate_labels=candidates, multi_label=multi_label, batch_size=3, **kwargs)
        for a, b in zip(got, expected):
            assert a["sequence"] == b["sequence"] and a["labels"] == b["labels"]
            np.testing.assert_allclose(a["scores"], b["scores"], atol=1e-4)
            assert multi_label or abs(sum(a["scores"]) - 1) < 1e-5
    made_ours = pipeline("zero-shot-classification", model=str(dirs["nli"]), candidate_labels=candidates,
                         multi_label=multi_label, hypothesis_template="The topic is {} .")
    np.testing.assert_allclose(made_ours(TEXTS[0])["scores"], expected[0]["scores"], atol=1e-4)
    one = ours(TEXTS[0], "cinema, politics", multi_label=multi_label)  # a comma-separated string of labels
    expected = theirs(TEXTS[0], "cinema, politics", multi_label=multi_label)
    assert one["labels"] == expected["labels"]
    np.testing.assert_allclose(one["scores"], expected["scores"], atol=1e-4)
    single = ours(TEXTS[1], candidate_labels=["cinema"])  # one label: entailment against contradiction
    np.testing.assert_allclose(single["scores"], theirs(TEXTS[1], candidate_labels=["cinema"])["scores"], atol=1e-4)


def test_zero_shot_refusals(models):
    dirs = models[0]
    ours = pipeline("zero-shot-classification", model=str(dirs["nli"]))
    with pytest.raises(ValueError, match="needs candidate_labels"):
        ours(TEXTS[0])
    with pytest.raises(ValueError, match="hypothesis_template must contain"):
        ours(TEXTS[0], candidate_labels=["a"], hypothesis_template="no slot")
    with pytest.raises(ValueError, match="labels name an entailment class"):
        pipeline("zero-shot-classification", model=str(dirs["multi"]))


@pytest.mark.parametrize("kwargs, message", [
    (dict(aggregation_strategy="longest"), "aggregation_strategy must be one of"),
    (dict(ignore_labels="O"), "ignore_labels must be a list of label names"),
    (dict(stride=-1, aggregation_strategy="first"), "stride must be a non-negative integer"),
    (dict(max_length=65), "max_length must be an integer from 3 to the model's 64 positions"),
])
def test_token_classification_bad_arguments_are_one_line(models, kwargs, message):
    dirs = models[0]
    with pytest.raises(ValueError, match=message):
        pipeline("token-classification", model=str(dirs["ner"]), **kwargs)
    with pytest.raises(ValueError, match=message):
        pipeline("token-classification", model=str(dirs["ner"]))(TEXTS[0], **kwargs)


def test_token_classification_refuses_over_long_text_without_truncation(models):
    ours = pipeline("token-classification", model=str(models[0]["ner"]))
    long = " ".join(TEXTS * 3)
    assert ours(long)[-1]["end"] < len(long)  # cut to the model's 64 positions by default
    with pytest.raises(ValueError, match=r"input 0 is \d+ tokens long, more than max_length 64"):
        ours(long, truncation=False)


def test_pipelines_refuse_other_heads(models, tokenizer):
    import keras_albert
    classifier = keras_albert.from_pretrained(models[0]["nli"], task="classification")
    for name in ("token-classification", "multiple-choice"):
        with pytest.raises(ValueError, match=f"{name} needs .*got AlbertClassifier"):
            pipeline(name, model=classifier, tokenizer=tokenizer)
    with pytest.raises(ValueError, match="zero-shot-classification needs an NLI classifier .*got AlbertBackbone"):
        pipeline("zero-shot-classification", model=classifier.backbone, tokenizer=tokenizer, labels=NLI)


PAIRS = [{"text": TEXTS[0], "text_pair": TEXTS[2]}, {"text": "a gorgeous , witty , seductive movie .",
                                                     "text_pair": "The film is GOOD."}]


def test_text_classification_pairs_match_transformers(models):
    dirs, made, hf_tokenizer = models
    theirs = transformers.pipeline("text-classification", model=made["nli"], tokenizer=hf_tokenizer)
    ours = pipeline("text-classification", model=str(dirs["nli"]))
    for inputs, kwargs in ((PAIRS[0], {}), (PAIRS, {}), (PAIRS, {"top_k": None}), (PAIRS[1], {"top_k": 2})):
        got, expected = ours(inputs, **kwargs), theirs(inputs, **kwargs)
        assert _flat(got, "label") == _flat(expected, "label")
        np.testing.assert_allclose(_flat(got, "score"), _flat(expected, "score"), atol=1e-4)
    # longest-first truncation of a pair, as transformers' tokenizer cuts it
    long = {"text": " ".join(TEXTS), "text_pair": TEXTS[1]}
    expected = theirs(long, top_k=None, truncation=True, max_length=30)
    got = ours(long, top_k=None, max_length=30)
    np.testing.assert_allclose(_flat(got, "score"), _flat(expected, "score"), atol=1e-4)
    with pytest.raises(ValueError, match="text pair is a dict"):
        ours({"text": "a", "pair": "b"})


@pytest.mark.parametrize("name", ["regression", "multi"])
def test_text_classification_default_scores_by_problem_type(models, name):
    """Regression: the raw output; multi-label: sigmoids (they need not sum to 1); as transformers decides."""
    dirs, made, hf_tokenizer = models
    theirs = transformers.pipeline("text-classification", model=made[name], tokenizer=hf_tokenizer)
    ours = pipeline("text-classification", model=str(dirs[name]))
    inputs = TEXTS[:2] + PAIRS
    got, expected = ours(inputs, top_k=None), theirs(inputs, top_k=None)
    assert _flat(got, "label") == _flat(expected, "label")
    np.testing.assert_allclose(_flat(got, "score"), _flat(expected, "score"), atol=1e-4)
    if name == "regression":
        logits = made[name](**hf_tokenizer(TEXTS[0], return_tensors="pt")).logits[0, 0].item()
        assert abs(ours(TEXTS[0])[0]["score"] - logits) < 1e-4


def test_one_output_left_open_shows_the_raw_score_as_its_exported_files_do(models, tmp_path):
    """One output and no problem_type (an older STS-B checkpoint): transformers trains it as regression but its
    pipeline shows a sigmoid; ours shows the raw score, the answer its SavedModel and .tflite files give
    (tests/test_export_problem_types.py), and gives transformers' sigmoid when asked for it."""
    import copy
    dirs, made, hf_tokenizer = models
    shutil.copytree(dirs["regression"], tmp_path / "open")
    config = json.loads((tmp_path / "open" / "config.json").read_text())
    del config["problem_type"]
    (tmp_path / "open" / "config.json").write_text(json.dumps(config))
    open_model = copy.deepcopy(made["regression"])
    open_model.config.problem_type = None
    theirs = transformers.pipeline("text-classification", model=open_model, tokenizer=hf_tokenizer)
    ours = pipeline("text-classification", model=str(tmp_path / "open"))
    assert ours.model.problem_type is None
    inputs = TEXTS[:2] + PAIRS
    raw = _flat(theirs(inputs, top_k=None, function_to_apply="none"), "score")
    np.testing.assert_allclose(_flat(ours(inputs, top_k=None), "score"), raw, atol=1e-4)
    sigmoid = _flat(theirs(inputs, top_k=None), "score")  # transformers' default for this model
    np.testing.assert_allclose(sigmoid, 1 / (1 + np.exp(-np.asarray(raw))), atol=1e-5)
    np.testing.assert_allclose(_flat(ours(inputs, top_k=None, function_to_apply="sigmoid"), "score"), sigmoid,
                               atol=1e-4)


def _flat(result, key):
    if isinstance(result, dict):
        return [result[key]]
    return [x for r in result for x in _flat(r, key)]


def test_multiple_choice_matches_transformers_model(models):
    """Our pipeline's packing (context first; question + choice second) run through transformers' model."""
    dirs, made, hf_tokenizer = models
    ours = pipeline("multiple-choice", model=str(dirs["choice"]))
    items = [{"context": TEXTS[0], "question": "Who went?", "choices": ["Zoë", "a CAT", "nobody  at all"]},
             {"question": "Which film is best?", "choices": ["the first", "the second", "Ünïcödé", "none"]},
             {"context": "She opened the door", "choices": ["and smiled .", "then left . 👍"]},
             {"context": TEXTS[1], "question": "The _ was the best part of it.", "choices": ["acting", "music"]}]
    got = ours(items, batch_size=2)
    for item, result in zip(items, got):
        first = item.get("context", item.get("question"))
        # RACE's rule, as fine-tuning packs it: a cloze question's blank takes the choice
        q = item.get("question")
        seconds = [(q.replace("_", c) if "_" in q else f"{q} {c}") if "context" in item and q else c
                   for c in item["choices"]]
        enc = hf_tokenizer([first] * len(seconds), seconds, padding=True, return_tensors="pt")
        with torch.no_grad():
            logits = made["choice"](**{k: v[None] for k, v in enc.items()}).logits[0].numpy()
        probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        order = np.argsort(-probs, kind="stable")
        assert [r["choice"] for r in result] == [item["choices"][i] for i in order]
        np.testing.assert_allclose([r["score"] for r in result], probs[order], atol=1e-4)
    assert ours(items[0]) == got[0] or np.allclose([r["score"] for r in ours(items[0])],
                                                  [r["score"] for r in got[0]], atol=1e-5)
    from keras_albert.features import choice_features  # the pipeline packs every choice as training did
    record = {"article": items[3]["context"], "question": items[3]["question"], "options": items[3]["choices"],
              "label": 0}
    trained = choice_features(ours.tokenizer, [record], None, 64)
    rows = ours.to_rows(0, items[3], SimpleNamespace(max_length=64, truncation=True))[0]
    for j, row in enumerate(rows):
        assert trained.inputs["token_ids"][0, j, :len(row.ids)].tolist() == list(row.ids)
    with pytest.raises(ValueError, match="'choices' must be a non-empty list"):
        ours({"question": "q", "choices": "a"})
    with pytest.raises(ValueError, match="no 'context' or 'question'"):
        ours({"choices": ["a", "b"]})


def test_cli_tag_prints_the_pipelines_entities(models, tmp_path, capsys):
    from keras_albert_cli.cli import main
    dirs, _, _ = models
    expected = pipeline("token-classification", model=str(dirs["ner"]), aggregation_strategy="first")(TEXTS[0])
    assert main(["tag", str(dirs["ner"]), TEXTS[0], "--aggregation-strategy", "first"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "" and [line.split("\t")[2:4] for line in lines[:-1]] == \
        [[str(e["start"]), str(e["end"])] for e in expected]
    (tmp_path / "texts.txt").write_text("\n".join(TEXTS[:2]), encoding="utf-8")
    assert main(["tag", str(dirs["ner"]), "--file", str(tmp_path / "texts.txt"), "--json"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["text"] for p in printed] == TEXTS[:2]
    assert main(["tag", str(dirs["ner"])]) == 2
    assert capsys.readouterr().err.strip().endswith("error: no texts: give them as arguments or with --file FILE "
                                                    "(`-` for standard input)")
