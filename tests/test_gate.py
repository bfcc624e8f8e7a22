"""The int8 gate's data and words: the model's own held-out split and labels, pairs included."""
import json

import numpy as np
import pytest

from keras_albert_export import gate


def test_heldout_reads_the_models_split_with_its_labels(tmp_path):
    rows = [{"text": "is it good", "text_pair": "yes", "label": "entail"},
            {"text": "is it bad", "text_pair": "no", "label": "contradict"},
            {"text": "who knows", "text_pair": "maybe", "label": "neutral"}]
    (tmp_path / "heldout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    labels = ["contradict", "entail", "neutral"]
    texts, ids, source = gate.heldout(str(tmp_path), labels)
    assert texts == [("is it good", "yes"), ("is it bad", "no"), ("who knows", "maybe")] and ids == [1, 0, 2]
    assert source == "the model's heldout.jsonl"
    assert gate.heldout(str(tmp_path), labels, limit=2)[1] == [1, 0]
    with pytest.raises(ValueError, match=r"label 'neutral' is not one of the model's labels \(contradict, entail\)"):
        gate.heldout(str(tmp_path), ["contradict", "entail"])


def test_heldout_from_the_users_file_or_nothing(tmp_path):
    data = tmp_path / "mine.tsv"
    data.write_text("review\tstars\ngreat\t5\nawful\t1\n")
    assert gate.heldout(str(tmp_path), ["1", "5"], str(data), ["review"], "stars")[:2] == (["great", "awful"], [1, 0])
    with pytest.raises(ValueError, match="no heldout.jsonl.*--data FILE.*--no-gate"):
        gate.heldout(str(tmp_path), ["1", "5"])
    with pytest.raises(ValueError, match=r"mine.tsv: the header has no column 'text' \(its columns: 'review', 'stars'"):
        gate.heldout(str(tmp_path), ["1", "5"], str(data))


def test_the_sign_is_spelled_out():
    report = {"keras": {"accuracy": 80.0}, "variants": {"float32": {"accuracy": 80.0},
                                                        "dynamic_int8": {"accuracy": 80.3},
                                                        "full_int8": {"accuracy": 79.5}}}
    assert gate.drops(report) == {"dynamic_int8": -0.3, "full_int8": 0.5}
    assert [gate.describe(v, d) for v, d in gate.drops(report).items()] == ["dynamic_int8 gained 0.30 points",
                                                                           "full_int8 lost 0.50 points"]
    assert gate.failures(report, 0.4) == {"full_int8": 0.5} and gate.failures(report, 0.5) == {}
    for bad in (-1, 100.5, float("nan")):
        with pytest.raises(ValueError, match="--max-accuracy-drop"):
            gate.check_max_drop(bad)


def test_pairs_reach_tflite_packed_like_the_keras_model(tokenizer):
    """A pair classifier's held-out rows go to the .tflite as `[CLS] a [SEP] b [SEP]` with segment ids, the
    preprocessor's packing and trimming, unpadded (batch 1, as a device runs it)."""
    from keras_albert_export.report import device_inputs
    from keras_albert.preprocessor import AlbertPreprocessor
    pairs = [("a short question", "and its answer"), ("a " * 40 + "long one", "b " * 30)]
    rows = device_inputs(tokenizer, pairs, max_length=24)
    padded = AlbertPreprocessor(tokenizer, 24)([p[0] for p in pairs], [p[1] for p in pairs])
    for row, ids, segments, mask in zip(rows, *(padded[k].numpy() for k in ("token_ids", "segment_ids",
                                                                            "padding_mask"))):
        n = mask.sum()
        np.testing.assert_array_equal(row["ids"][0], ids[:n])
        np.testing.assert_array_equal(row["segment_ids"][0], segments[:n])
        assert row["ids"].shape == (1, n) and row["mask"].all() and (row["ids"][0] == 3).sum() == 2
