"""TFLite variants: builtin ops only, outputs equal to the Keras model, dynamic length, buckets, old-runtime compat."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import tiny_config
from export_common import MAX_LENGTH, held_out, keras_probabilities, trained_classifier, trained_tflite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def variants(spiece_path):
    from keras_albert_export.tflite import VARIANTS
    return {v: trained_tflite(spiece_path, v) for v in VARIANTS}


def _run_all(data, tokenizer, texts):
    from keras_albert_export.runtime import TFLiteClassifier, pack
    classifier = TFLiteClassifier(model_content=data)
    return np.asarray([classifier(pack(tokenizer, t, MAX_LENGTH)) for t in texts])


@pytest.mark.parametrize("variant,atol,min_agreement", [("float32", 1e-5, 1.0), ("dynamic_int8", 0.05, 0.95),
                                                        ("full_int8", 0.15, 0.9)])
def test_variant_matches_keras(variants, spiece_path, variant, atol, min_agreement):
    from keras_albert_export.tflite import check_builtin_only
    model, tokenizer = trained_classifier(spiece_path)
    data = variants[variant]
    assert check_builtin_only(data)
    texts = held_out(60)
    ours = _run_all(data, tokenizer, texts)  # each sentence at its own length: the dynamic dimension
    expected = keras_probabilities(model, tokenizer, texts)
    assert np.isfinite(ours).all()  # the uninitialised-variables failure mode outputs NaN
    assert np.abs(ours - expected).max() < atol
    assert (ours.argmax(-1) == expected.argmax(-1)).mean() >= min_agreement
    assert expected.max(-1).mean() > 0.6  # the model is trained: these are decisions, not coin flips


def test_inputs_outputs_and_sizes(variants):
    from keras_albert_export.runtime import TFLiteClassifier
    for variant, data in variants.items():
        runner = TFLiteClassifier(model_content=data).runner
        inputs = runner.get_input_details()
        assert sorted(inputs) == ["ids", "mask", "segment_ids"]
        assert all(list(d["shape_signature"]) == [1, -1] for d in inputs.values())
        assert list(runner.get_output_details()) == ["probabilities"]
    assert len(variants["dynamic_int8"]) < 0.7 * len(variants["float32"])


def test_flex_ops_are_detected(tmp_path):
    import tensorflow as tf

    from keras_albert_export.tflite import check_builtin_only, op_codes

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def lengths(s):
        return tf.strings.length(s)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([lengths.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    data = converter.convert()
    assert any("Flex" in name for name, _ in op_codes(data))
    with pytest.raises(ValueError, match="non-builtin"):
        check_builtin_only(data)


def test_over_long_input_keeps_sep(spiece_path):
    """A runtime that passes the whole text (MediaPipe with a dynamic-length model) gets what `pack` and the
    SavedModel give at the export's sequence length: the cut inside the graph keeps the final [SEP]."""
    from keras_albert_export.runtime import TFLiteClassifier, pack
    from keras_albert_export.tflite import convert
    model, tokenizer = trained_classifier(spiece_path)
    long_texts = [" ".join(held_out(30)[i:i + 10]) for i in range(0, 30, 10)]
    assert all(len(tokenizer.tokenize(t)) > MAX_LENGTH for t in long_texts)
    for length in (MAX_LENGTH, 40):
        data = trained_tflite(spiece_path, "float32") if length == MAX_LENGTH else convert(model, "float32",
                                                                                         sequence_length=length)
        classifier = TFLiteClassifier(model_content=data)
        for text in long_texts + held_out(3):
            whole = classifier(pack(tokenizer, text, 10**6))
            np.testing.assert_allclose(whole, classifier(pack(tokenizer, text, length)), atol=1e-6)
            np.testing.assert_allclose(whole, keras_probabilities(model, tokenizer, [text], length)[0], atol=1e-5)
    with pytest.raises(ValueError, match="sequence_length"):
        convert(model, "float32", sequence_length=2)


def test_the_cut_costs_a_few_ops_once(monkeypatch):
    """Keeping [SEP] adds one gather per input and the index arithmetic, once per run (not per layer)."""
    import keras

    import keras_albert_export.tflite
    from keras_albert import AlbertBackbone, AlbertClassifier
    keras.utils.set_random_seed(0)
    model = AlbertClassifier(AlbertBackbone(tiny_config(max_position_embeddings=64)), 2)
    with_cut = keras_albert_export.tflite.op_histogram(keras_albert_export.tflite.convert(model, "dynamic_int8"))
    monkeypatch.setattr(keras_albert_export.tflite, "keep_sep", lambda tensors, limit: tensors)
    without = keras_albert_export.tflite.op_histogram(keras_albert_export.tflite.convert(model, "dynamic_int8"))
    added = {op: with_cut.get(op, 0) - without.get(op, 0) for op in set(with_cut) | set(without)}
    assert added["GATHER"] == 3 and min(added.values()) >= 0 and sum(added.values()) <= 10, added


def test_length_buckets_match_dynamic(spiece_path):
    from keras_albert_export.runtime import TFLiteClassifier, pack
    from keras_albert_export.tflite import bucket_signature, convert
    model, tokenizer = trained_classifier(spiece_path)
    data = convert(model, "float32", buckets=(16, 32))
    dynamic = TFLiteClassifier(model_content=data)
    fixed = TFLiteClassifier(model_content=data, signature=bucket_signature(32))
    assert list(fixed.runner.get_input_details()["ids"]["shape_signature"]) == [1, 32]
    for text in held_out(5):
        inputs = pack(tokenizer, text, 32)
        padded = {k: np.pad(v, ((0, 0), (0, 32 - v.shape[1]))) for k, v in inputs.items()}
        np.testing.assert_allclose(fixed(padded), dynamic(inputs), atol=1e-5)
    with pytest.raises(ValueError, match="buckets"):
        convert(model, "float32", buckets=(1000,))


def test_variants_converted_together_are_the_files_converted_alone(variants, spiece_path):
    """The export converts its float32 and dynamic_int8 files from one SavedModel: the same bytes as one
    conversion each, and every argument checked before any work."""
    from keras_albert_export.tflite import convert_variants
    model, _ = trained_classifier(spiece_path)
    together = convert_variants(model, ["dynamic_int8", "float32"])
    assert list(together) == ["dynamic_int8", "float32"]
    assert together["float32"] == variants["float32"] and together["dynamic_int8"] == variants["dynamic_int8"]
    with pytest.raises(ValueError, match="calibration"):
        convert_variants(model, ["float32", "full_int8"])


def _fc_versions(data):
    from keras_albert_export.tflite import op_codes
    return {v for name, v in op_codes(data) if name == "FULLY_CONNECTED"}


def test_compat_writes_per_tensor_dense_weights(variants, spiece_path):
    from keras_albert_export.tflite import convert
    model, tokenizer = trained_classifier(spiece_path)
    assert max(_fc_versions(variants["dynamic_int8"])) >= 12  # per-channel: what tflite-runtime 2.14 rejects
    compat = convert(model, "dynamic_int8", compat="tflite-2.14")
    assert max(_fc_versions(compat)) < 12
    texts = held_out(30)
    ours = _run_all(compat, tokenizer, texts)
    assert np.abs(ours - keras_probabilities(model, tokenizer, texts)).max() < 0.05
    with pytest.raises(ValueError, match="compatibility"):
        convert(model, "dynamic_int8", compat="tflite-1.0")


@pytest.mark.slow
def test_compat_file_runs_under_tflite_runtime_214(tmp_path, spiece_path):
    """An app pinning tflite-runtime 2.14 (numpy<2) loads and runs the --compat tflite-2.14 file."""
    from keras_albert_export.runtime import pack
    from keras_albert_export.tflite import convert
    model, tokenizer = trained_classifier(spiece_path)
    path = tmp_path / "compat.tflite"
    path.write_bytes(convert(model, "dynamic_int8", compat="tflite-2.14"))
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    pip = subprocess.run([str(env / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                          "tflite-runtime==2.14.*", "numpy<2"], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-2000:]
    texts = held_out(10)
    inputs = [{k: v.tolist() for k, v in pack(tokenizer, t, MAX_LENGTH).items()} for t in texts]
    done = subprocess.run([str(env / "bin" / "python"), os.path.join(ROOT, "tests", "export_scripts", "run_tflite.py"),
                           os.path.join(ROOT, "export", "runtime.py"), str(path)],
                          input=json.dumps(inputs), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["runtime"].startswith("tflite_runtime")
    expected = keras_probabilities(model, tokenizer, texts)
    assert np.abs(np.asarray(out["probabilities"]) - expected).max() < 0.05
    assert (np.asarray(out["probabilities"]).argmax(-1) == expected.argmax(-1)).mean() >= 0.9
