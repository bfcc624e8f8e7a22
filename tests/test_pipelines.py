"""Pipelines against transformers' own pipelines on the same weights and the same spiece.model."""
import shutil
import warnings

import numpy as np
import pytest
import transformers
from test_convert_hf import hf_config, hf_model

import keras_albert
from keras_albert import pipeline
from keras_albert_cli.cli import main

SENTENCES = ["Hello I'm a [MASK] model.", "the film is a [MASK] , funny and [MASK] ride .",
             "An astonishing [MASK] of Café culture, ``quoted'' twice."]


@pytest.fixture(scope="module")
def hf_dirs(tmp_path_factory, tokenizer, spiece_path):
    """An AlbertForMaskedLM and an AlbertForSequenceClassification over the trained vocabulary, saved by HF."""
    root = tmp_path_factory.mktemp("hf_pipelines")
    cfg = dict(vocab_size=tokenizer.vocab_size, num_hidden_groups=2, inner_group_num=2)
    mlm = hf_model(transformers.AlbertForMaskedLM, hf_config(**cfg), seed=21)
    cls = hf_model(transformers.AlbertForSequenceClassification,
                   hf_config(**cfg, num_labels=2, id2label={0: "negative", 1: "positive"},
                             label2id={"negative": 0, "positive": 1}), seed=22)
    for name, model in (("mlm", mlm), ("cls", cls)):
        model.save_pretrained(root / name)
        shutil.copy(spiece_path, root / name / "spiece.model")
    hf_tokenizer = transformers.AlbertTokenizer.from_pretrained(root / "mlm")
    return root, mlm, cls, hf_tokenizer


def test_hf_tokenizer_from_the_same_spiece_model_gives_our_ids(hf_dirs, tokenizer, rt_texts):
    _, _, _, hf_tokenizer = hf_dirs
    for text in list(rt_texts[0][:300]) + SENTENCES:
        assert hf_tokenizer(text)["input_ids"] == [2, *tokenizer.tokenize(text, special_tokens=True), 3], text


def assert_same_predictions(ours, theirs):
    assert type(ours) is type(theirs) and len(ours) == len(theirs)
    if isinstance(ours, list) and ours and isinstance(ours[0], list):
        for a, b in zip(ours, theirs):
            assert_same_predictions(a, b)
        return
    for a, b in zip(ours, theirs):
        assert set(a) == {"sequence", "score", "token", "token_str"}
        assert (a["token"], a["token_str"], a["sequence"]) == (b["token"], b["token_str"], b["sequence"])
        assert abs(a["score"] - b["score"]) < 1e-4
    assert [p["score"] for p in ours] == sorted((p["score"] for p in ours), reverse=True)


def test_fill_mask_matches_transformers(hf_dirs):
    root, mlm, _, hf_tokenizer = hf_dirs
    ours = pipeline("fill-mask", model=str(root / "mlm"))
    theirs = transformers.pipeline("fill-mask", model=mlm, tokenizer=hf_tokenizer)
    for text in SENTENCES:  # one [MASK] -> a list; several -> a list per [MASK]
        assert_same_predictions(ours(text), theirs(text))
        assert_same_predictions(ours(text, top_k=2), theirs(text, top_k=2))
    assert_same_predictions(ours(SENTENCES, batch_size=2), theirs(SENTENCES))  # padded batches
    assert len(ours(SENTENCES[0], top_k=7)) == 7
    with pytest.raises(ValueError, match=r"no \[MASK\]"):
        ours("nothing to fill here")


def test_feature_extraction_matches_transformers(hf_dirs):
    root, mlm, _, hf_tokenizer = hf_dirs
    ours = pipeline("feature-extraction", model=str(root / "cls"))
    theirs = transformers.pipeline("feature-extraction", model=transformers.AlbertModel.from_pretrained(root / "cls"),
                                   tokenizer=hf_tokenizer)
    texts = ["a short one .", "a much longer sentence , with more words to pad the other one ."]
    got, expected = ours(texts), theirs(texts)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-4, rtol=0)
    assert ours(texts[0]).shape == np.asarray(theirs(texts[0])).shape


def test_text_classification_matches_transformers(hf_dirs, tmp_path):
    root, _, cls, hf_tokenizer = hf_dirs
    theirs = transformers.pipeline("text-classification", model=cls, tokenizer=hf_tokenizer)
    texts = ["a gorgeous , witty , seductive movie .", "the plot is nothing but boilerplate clichés ."]
    # From the HF directory and from our converted model directory (labels.txt).
    assert main(["convert", str(root / "cls"), str(tmp_path)]) == 0
    assert (tmp_path / "labels.txt").read_text().split() == ["negative", "positive"]
    for source in (root / "cls", tmp_path):
        ours = pipeline("text-classification", model=str(source))
        for got, expected in ((ours(texts[0]), theirs(texts[0])), (ours(texts), theirs(texts)),
                              (ours(texts, top_k=None), theirs(texts, top_k=None))):
            assert _labels(got) == _labels(expected)
            np.testing.assert_allclose(_scores(got), _scores(expected), atol=1e-4)


def _labels(result):
    return [_labels(r) if isinstance(r, list) else r["label"] for r in result]


def _scores(result):
    return [_scores(r) if isinstance(r, list) else r["score"] for r in result]


def test_cli_convert_and_fill_mask(hf_dirs, tmp_path, capsys):
    root, mlm, _, hf_tokenizer = hf_dirs
    out = tmp_path / "converted"
    assert main(["convert", str(root / "mlm"), str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.keras", "spiece.model"]
    assert main(["convert", str(root / "mlm"), str(out)]) == 2  # never overwrites silently
    assert "already exists" in capsys.readouterr().err
    assert main(["fill-mask", str(out), SENTENCES[0], "--top-k", "3"]) == 0
    printed = capsys.readouterr().out
    expected = transformers.pipeline("fill-mask", model=mlm, tokenizer=hf_tokenizer)(SENTENCES[0], top_k=3)
    for p in expected:
        assert f"{p['score']:.4f}  {p['token_str']:<16} {p['sequence']}" in printed
    assert main(["fill-mask", str(out), "no mask"]) == 2
    assert "no [MASK]" in capsys.readouterr().err
    assert main(["fill-mask", str(out), SENTENCES[0], "no mask"]) == 2  # checked before the first answer
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.strip() == ("keras-albert fill-mask: error: no [MASK] token in text 2: "
                                                           "'no mask'")
    long = "a film " * 40 + "[MASK] ."  # 84 pieces with [CLS] and [SEP] ([MASK] is one) for a 64-position model
    assert main(["fill-mask", str(out), SENTENCES[0], long]) == 2  # before the first answer, in the command's terms
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.strip() == (
        "keras-albert fill-mask: error: text 2 is 84 tokens long, more than the model's 64 positions: shorten it "
        "around its [MASK]")


@pytest.fixture(scope="module")
def long_texts(rt_texts):
    """Reviews longer than the 64-position table, between short ones."""
    joined = [" ".join(rt_texts[0][i:i + 6]) for i in range(0, 30, 6)]
    return ["a gorgeous , witty , seductive movie .", *joined[:2], "boilerplate clichés .", *joined[2:]]


def test_text_classification_truncates_like_transformers(hf_dirs, tokenizer, long_texts):
    """Over-long text is cut to [CLS] + the first max_length - 2 pieces + [SEP] by default (as the exported
    models cut it), so one long review no longer fails a whole list; transformers' arguments are accepted."""
    root, _, cls, hf_tokenizer = hf_dirs
    assert max(len(tokenizer.tokenize(t)) for t in long_texts) > 64
    theirs = transformers.pipeline("text-classification", model=cls, tokenizer=hf_tokenizer)
    ours = pipeline("text-classification", model=str(root / "cls"))
    for kwargs in ({}, dict(max_length=20), dict(top_k=None, function_to_apply="none", batch_size=3)):
        expected = theirs(long_texts, truncation=True, **{"max_length": 64, **kwargs})
        for got in (ours(long_texts, **kwargs), ours(long_texts, truncation=True, **kwargs)):
            assert _labels(got) == _labels(expected)
            np.testing.assert_allclose(_scores(got), _scores(expected), atol=1e-4)
    with pytest.raises(ValueError, match=r"input 1 is \d+ tokens long, more than max_length 64: pass "
                                         r"truncation=True"):
        ours(long_texts, truncation=False)


@pytest.mark.parametrize("kwargs", [dict(top_k=1), dict(top_k=2), dict(top_k=None), dict(function_to_apply="sigmoid"),
                                    dict(function_to_apply="NONE", top_k=None), dict(function_to_apply="softmax"),
                                    dict(truncation=True, max_length=12, batch_size=1)])
def test_text_classification_arguments_at_construction_and_call(hf_dirs, long_texts, kwargs):
    root, _, cls, hf_tokenizer = hf_dirs
    texts = long_texts[:1] + ["the plot is nothing but boilerplate clichés ."]
    made_ours = pipeline("text-classification", model=str(root / "cls"), **kwargs)
    made_theirs = transformers.pipeline("text-classification", model=cls, tokenizer=hf_tokenizer, **kwargs)
    called_ours = pipeline("text-classification", model=str(root / "cls"))
    called_theirs = transformers.pipeline("text-classification", model=cls, tokenizer=hf_tokenizer)
    for inputs in (texts[0], texts):  # (one string and a list come back in different shapes)
        for got, expected in ((made_ours(inputs), made_theirs(inputs)),
                              (called_ours(inputs, **kwargs), called_theirs(inputs, **kwargs))):
            assert _shape(got) == _shape(expected)
            assert _labels(got) == _labels(expected)
            np.testing.assert_allclose(_scores(got), _scores(expected), atol=1e-4)


def _shape(result):
    return [_shape(r) for r in result] if isinstance(result, list) else type(result).__name__


@pytest.mark.parametrize("kwargs, message", [
    (dict(top_k=0), "top_k must be a positive integer, got 0"),
    (dict(function_to_apply="relu"), "function_to_apply must be one of"),
    (dict(max_length=65), "max_length must be an integer from 3 to the model's 64 positions, got 65"),
    (dict(batch_size=0), "batch_size must be a positive integer"),
    (dict(truncation="yes"), "truncation must be True or False"),
])
def test_text_classification_bad_arguments_are_one_line(hf_dirs, kwargs, message):
    root = hf_dirs[0]
    with pytest.raises(ValueError, match=message):
        pipeline("text-classification", model=str(root / "cls"), **kwargs)
    with pytest.raises(ValueError, match=message):
        pipeline("text-classification", model=str(root / "cls"))("a film", **kwargs)


def test_fill_mask_top_k_and_truncation(hf_dirs, long_texts):
    root, mlm, _, hf_tokenizer = hf_dirs
    ours = pipeline("fill-mask", model=str(root / "mlm"))
    for top_k in (0, -1):
        with pytest.raises(ValueError, match=f"top_k must be a positive integer, got {top_k}"):
            ours(SENTENCES[0], top_k=top_k)
        with pytest.raises(ValueError, match="top_k must be a positive integer"):
            pipeline("fill-mask", model=str(root / "mlm"), top_k=top_k)
    long = "a [MASK] film . " + long_texts[1]
    with pytest.raises(ValueError, match=r"input 0 is \d+ tokens long, more than max_length 64"):
        ours(long)
    theirs = transformers.pipeline("fill-mask", model=mlm, tokenizer=hf_tokenizer)
    cut = {"truncation": True, "max_length": 30}
    assert_same_predictions(ours(long, tokenizer_kwargs=cut, top_k=3), theirs(long, tokenizer_kwargs=cut, top_k=3))
    made = pipeline("fill-mask", model=str(root / "mlm"), top_k=2, tokenizer_kwargs=cut, batch_size=1)
    assert_same_predictions(made([long, SENTENCES[1]]), theirs([long, SENTENCES[1]], top_k=2, tokenizer_kwargs=cut))
    with pytest.raises(ValueError, match=r"no \[MASK\] token in input 0.*after truncation to max_length 12"):
        ours(long_texts[1] + " [MASK]", truncation=True, max_length=12)


def test_feature_extraction_reads_a_masked_lm_checkpoint_and_model(hf_dirs, long_texts):
    """transformers' AlbertModel reads an AlbertForMaskedLM checkpoint (no pooler): so do we; and a masked-LM
    model object gives its backbone's features, not vocabulary logits."""
    root, mlm, _, hf_tokenizer = hf_dirs
    reference = transformers.AlbertModel.from_pretrained(root / "mlm")
    theirs = transformers.pipeline("feature-extraction", model=reference, tokenizer=hf_tokenizer)
    texts = ["a short one .", "a much longer sentence , with more words to pad the other one ."]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the pooler it does not use is not worth a warning
        from_dir = pipeline("feature-extraction", model=str(root / "mlm"))
    masked_lm = keras_albert.from_pretrained(root / "mlm", task="masked_lm")
    from_model = pipeline("feature-extraction", model=masked_lm, tokenizer=from_dir.tokenizer)
    for ours in (from_dir, from_model):
        for a, b in zip(ours(texts), theirs(texts)):
            assert a.shape == np.asarray(b).shape and a.shape[-1] == 32
            np.testing.assert_allclose(a, np.asarray(b), atol=1e-4, rtol=0)
    cut = {"truncation": True, "max_length": 64}
    for a, b in zip(from_dir(long_texts, tokenize_kwargs=cut), theirs(long_texts, tokenize_kwargs=cut)):
        assert a.shape == np.asarray(b).shape
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-4, rtol=0)


def test_a_model_of_another_task_is_refused(hf_dirs, tokenizer):
    root = hf_dirs[0]
    classifier = keras_albert.from_pretrained(root / "cls", task="classification")
    with pytest.raises(ValueError, match="fill-mask needs a model with a masked-LM head .*got AlbertClassifier"):
        pipeline("fill-mask", model=classifier, tokenizer=tokenizer)
    with pytest.raises(ValueError, match="text-classification needs a classifier .*got AlbertBackbone"):
        pipeline("text-classification", model=classifier.backbone, tokenizer=tokenizer)
