"""A sentence-pair classifier exported end to end: its SavedModel takes `text` and `text_pair`, its float32 /
dynamic_int8 / full_int8 .tflite files run on the Python packer's pair encoding, and `classify --pair` prints
what the Keras model gives."""
import json

import numpy as np
import pytest

from conftest import tiny_config

LABELS = ("entailment", "neutral", "contradiction")


def _pairs(rt_texts, n):
    texts = rt_texts[0]
    odd = [("Zoë   met Tom.", "Ｔom met ZOË 👍🏽"), ("", "x")]
    return [(texts[i], texts[i + 1]) for i in range(0, 2 * n, 2)] + odd


@pytest.fixture(scope="module")
def pair_export(tmp_path_factory, tokenizer, rt_texts):
    import keras

    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.datasets import write_heldout
    from keras_albert.model_dir import HELDOUT, save_model_dir
    from keras_albert_export.pipeline import export_all
    keras.utils.set_random_seed(6)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2)),
                             len(LABELS))
    root = tmp_path_factory.mktemp("pairs")
    model_dir = save_model_dir(str(root / "model"), model, tokenizer, list(LABELS))
    pairs = _pairs(rt_texts, 20)[:-1]  # (a held-out row's text is never empty)
    write_heldout(f"{model_dir}/{HELDOUT}", pairs, [i % 3 for i in range(len(pairs))], list(LABELS))
    out = root / "export"
    report = export_all(model_dir, str(out), variants=("float32", "dynamic_int8", "full_int8"), max_drop=None,
                        sequence_length=48, log=lambda *_: None)
    return model, model_dir, out, report


def _keras_probabilities(model, tokenizer, pairs, length):
    from keras_albert.packing import pack, pad
    rows = [pack(tokenizer, a, b, max_length=length, offsets=False)[0] for a, b in pairs]
    logits = np.concatenate([np.asarray(model(pad([r]), training=False), np.float64) for r in rows])
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_pair_export_writes_every_variant_and_a_pair_savedmodel(pair_export, tokenizer, rt_texts):
    import tensorflow as tf

    from keras_albert_export.tflite import check_builtin_only
    model, _, out, report = pair_export
    assert {p.name for p in out.iterdir()} >= {"saved_model", "model_float32.tflite", "model_dynamic_int8.tflite",
                                               "model_full_int8.tflite", "labels.txt", "spiece.model"}
    assert report["task"] == "classification"
    for variant in ("float32", "dynamic_int8", "full_int8"):
        assert check_builtin_only((out / f"model_{variant}.tflite").read_bytes())
    serve = tf.saved_model.load(str(out / "saved_model")).signatures["serving_default"]
    assert sorted(serve.structured_input_signature[1]) == ["text", "text_pair"]
    pairs = _pairs(rt_texts, 5)
    got = serve(text=tf.constant([a for a, _ in pairs]), text_pair=tf.constant([b for _, b in pairs]))
    np.testing.assert_allclose(got["probabilities"].numpy(), _keras_probabilities(model, tokenizer, pairs, 48),
                               atol=1e-4)


def test_float32_tflite_pairs_equal_keras(pair_export, tokenizer, rt_texts):
    from keras_albert.preprocessor import AlbertPreprocessor
    from keras_albert_export.runtime import TFLiteClassifier, pack
    model, _, out, _ = pair_export
    pairs = _pairs(rt_texts, 12) + [(" ".join(rt_texts[0][:5]), rt_texts[0][30])]  # the last: cut to 48
    expected = _keras_probabilities(model, tokenizer, pairs, 48)
    runtimes = {v: TFLiteClassifier(str(out / f"model_{v}.tflite")) for v in ("float32", "dynamic_int8", "full_int8")}
    graph = AlbertPreprocessor(tokenizer, 48)([a for a, _ in pairs], [b for _, b in pairs])
    agree = {v: 0 for v in runtimes}
    for i, (a, b) in enumerate(pairs):
        inputs = pack(tokenizer, a, 48, text_pair=b)
        n = inputs["ids"].shape[1]
        assert inputs["ids"][0].tolist() == graph["token_ids"].numpy()[i, :n].tolist()  # the SavedModel's packing
        assert inputs["segment_ids"][0].tolist() == graph["segment_ids"].numpy()[i, :n].tolist()
        np.testing.assert_allclose(runtimes["float32"](inputs), expected[i], atol=1e-4)
        for v, runtime in runtimes.items():
            agree[v] += int(np.argmax(runtime(inputs)) == np.argmax(expected[i]))
    assert n == 48 and set(inputs["segment_ids"][0].tolist()) == {0, 1}
    assert agree["float32"] == len(pairs)
    assert agree["dynamic_int8"] >= 0.7 * len(pairs) and agree["full_int8"] >= 0.6 * len(pairs), agree


def test_classify_takes_pairs(pair_export, tokenizer, rt_texts, capsys):
    from keras_albert_cli.cli import main
    model, _, out, _ = pair_export
    pairs = _pairs(rt_texts, 2)
    argv = ["classify", str(out / "model_float32.tflite"), "--json", "--sequence-length", "48"]
    for a, b in pairs:
        argv += [a, "--pair", b]
    assert main(argv) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = _keras_probabilities(model, tokenizer, pairs, 48)
    assert [(x["text"], x["text_pair"]) for x in lines] == pairs
    assert [x["label"] for x in lines] == [LABELS[i] for i in expected.argmax(-1)]
    np.testing.assert_allclose([[x["probabilities"][n] for n in LABELS] for x in lines], expected, atol=1e-4)
    assert main(["classify", str(out / "model_float32.tflite"), "a", "b", "--pair", "c"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 sentences but 1 --pair texts" in err[0]


def test_a_pair_model_is_known_by_its_directory(tmp_path):
    from keras_albert_export.savedmodel import is_pair_model
    assert not is_pair_model(str(tmp_path))
    (tmp_path / "report.json").write_text(json.dumps({"task": "pair_classification"}))
    assert is_pair_model(str(tmp_path)) and is_pair_model(str(tmp_path / "model.keras"))
    (tmp_path / "heldout.jsonl").write_text(json.dumps({"text": "a", "label": "x"}) + "\n")
    assert not is_pair_model(str(tmp_path))  # the held-out rows say single sentences
    (tmp_path / "heldout.jsonl").write_text(json.dumps({"text": "a", "text_pair": "b", "label": "x"}) + "\n")
    assert is_pair_model(str(tmp_path))
    pair = json.dumps({"text": "a", "text_pair": "b", "label": "x"}) + "\n"
    for text in ("\n" + pair, "\ufeff" + pair):  # read as the gate reads it: blank lines skipped, a BOM dropped
        (tmp_path / "heldout.jsonl").write_text(text, encoding="utf-8")
        assert is_pair_model(str(tmp_path)), repr(text[:2])
    (tmp_path / "heldout.jsonl").write_text("\nnot json\n")
    with pytest.raises(ValueError, match=r"heldout.jsonl, line 2: not a JSON object"):
        is_pair_model(str(tmp_path))
    empty = tmp_path / "converted"  # a converted checkpoint: no held-out split; the export's --data names pairs
    empty.mkdir()
    assert not is_pair_model(str(empty), ["premise"])
    assert is_pair_model(str(empty), ["premise", "hypothesis"])


def test_a_converted_pair_model_gated_on_pair_data_serves_pairs(pair_export, rt_texts, tmp_path):
    """A converted MNLI checkpoint has no held-out split: the export's --data with two text columns is what says
    it takes pairs (its SavedModel took `text` alone while the gate scored pairs)."""
    import shutil

    import tensorflow as tf

    from keras_albert_export.pipeline import export_all
    _, model_dir, _, _ = pair_export
    converted = tmp_path / "converted"
    shutil.copytree(model_dir, converted, ignore=shutil.ignore_patterns("heldout.jsonl"))
    csv = tmp_path / "pairs.csv"
    csv.write_text("premise,hypothesis,label\n" + "".join(
        f'"{a.replace(chr(34), "")}","{b.replace(chr(34), "")}",{LABELS[i % 3]}\n'
        for i, (a, b) in enumerate(_pairs(rt_texts, 6)[:-1])))
    export_all(str(converted), str(tmp_path / "out"), variants=("float32",), max_drop=None, sequence_length=48,
               data=str(csv), text_columns=["premise", "hypothesis"], metadata="off", log=lambda *_: None)
    serve = tf.saved_model.load(str(tmp_path / "out" / "saved_model")).signatures["serving_default"]
    assert sorted(serve.structured_input_signature[1]) == ["text", "text_pair"]
