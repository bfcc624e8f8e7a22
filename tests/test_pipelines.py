"""Pipelines against transformers' own pipelines on the same weights and the same spiece.model."""
import shutil

import numpy as np
import pytest
import transformers
from test_convert_hf import hf_config, hf_model

from keras_albert import pipeline
from keras_albert.cli import main

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
        assert hf_tokenizer(text)["input_ids"] == [2, *tokenizer.tokenize(text), 3], text


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
