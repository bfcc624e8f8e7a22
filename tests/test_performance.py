"""What the performance work relies on: distinct initial weights, constant shapes in the dynamic-length TFLite
graph, and full_int8 calibration on unpadded text. (Timings are benchmarks in bench/, never tests.)"""
import numpy as np

from conftest import tiny_config

SHAPE_OPS = ("SHAPE", "REDUCE_PROD", "PACK", "CONCATENATION", "GATHER")


def test_initial_weights_are_distinct():
    from keras_albert.backbone import AlbertBackbone
    backbone = AlbertBackbone(tiny_config())
    block = backbone.groups[0][0]
    q, k, v = (np.asarray(layer.kernel) for layer in (block.query, block.key, block.value))
    assert not np.allclose(q, k) and not np.allclose(q, v) and not np.allclose(k, v)
    emb = backbone.embeddings
    rows = min(emb.position_embeddings.input_dim, 4)
    assert not np.allclose(np.asarray(emb.word_embeddings.embeddings)[:rows],
                           np.asarray(emb.position_embeddings.embeddings)[:rows])


def _ops(layers):
    from keras_albert_export.tflite import convert, op_histogram
    from keras_albert.backbone import AlbertBackbone
    from keras_albert.heads import AlbertClassifier
    model = AlbertClassifier(AlbertBackbone(tiny_config(num_hidden_layers=layers)), 2)
    data = convert(model, "dynamic_int8", buckets=(16,))
    return op_histogram(data, "serving_default"), op_histogram(data, "length_16")


def test_dynamic_length_layers_need_no_shape_ops():
    """Each extra layer adds the same ops to the dynamic graph as to the fixed-length one: no op rebuilds a
    shape at run time inside the transformer (they were ~20 of ~60 ops per layer with einsum attention)."""
    (dyn1, fixed1), (dyn3, fixed3) = _ops(1), _ops(3)
    per_layer_dynamic = {k: dyn3.get(k, 0) - dyn1.get(k, 0) for k in set(dyn3) | set(dyn1)}
    per_layer_fixed = {k: fixed3.get(k, 0) - fixed1.get(k, 0) for k in set(fixed3) | set(fixed1)}
    # (one RESHAPE per layer with a constant target stays unfolded when the length is unknown: a no-op copy)
    assert per_layer_dynamic.pop("RESHAPE") <= per_layer_fixed.pop("RESHAPE") + 2
    assert {k: v for k, v in per_layer_dynamic.items() if v} == {k: v for k, v in per_layer_fixed.items() if v}
    assert all(per_layer_dynamic.get(op, 0) == 0 for op in SHAPE_OPS)
    # one fused q|k|v matmul, attention output, ffn, ffn output; one transpose into heads and one back
    assert per_layer_dynamic.get("FULLY_CONNECTED") == 2 * 4
    assert per_layer_dynamic.get("TRANSPOSE") == 2 * 2 and per_layer_dynamic.get("SPLIT") == 2 * 1


def test_calibration_rows_are_unpadded_real_text(tokenizer, rt_texts):
    from keras_albert_export.runtime import CLS_ID, SEP_ID, pack
    from keras_albert_export.tflite import representative_inputs
    texts = list(rt_texts[0][:50])
    rows = list(representative_inputs(tokenizer, texts, max_length=64, limit=50))
    longest = max(pack(tokenizer, t, 64)["ids"].shape[1] for t in texts)
    assert len(rows) == 50
    for row in rows:
        assert row["ids"].shape == (1, longest)
        assert row["mask"].min() == 1 and row["segment_ids"].max() == 0  # no padding anywhere
        assert row["ids"][0, 0] == CLS_ID and row["ids"][0, -1] == SEP_ID
        assert (row["ids"] != 0).all()  # no <pad> id
    # the first row starts with the first sentence, exactly as the device would see it
    first = pack(tokenizer, texts[0], 64)["ids"][0]
    np.testing.assert_array_equal(rows[0]["ids"][0, :len(first)], first)


def test_a_pair_model_calibrates_on_pairs(tokenizer, rt_texts):
    """A pair model's rows are packed pairs, segment ids 1 on the second text (its embedding calibrated too)."""
    from keras_albert_export.pipeline import calibration_texts
    from keras_albert_export.runtime import pack
    from keras_albert_export.tflite import representative_inputs
    texts = list(rt_texts[0][:40])
    pairs = list(zip(texts[0::2], texts[1::2]))
    rows = list(representative_inputs(tokenizer, pairs, max_length=64, limit=20))
    first = pack(tokenizer, pairs[0][0], 64, text_pair=pairs[0][1])
    n = first["ids"].shape[1]
    np.testing.assert_array_equal(rows[0]["ids"][0, :n], first["ids"][0])
    np.testing.assert_array_equal(rows[0]["segment_ids"][0, :n], first["segment_ids"][0])
    assert all(row["segment_ids"].max() == 1 and row["mask"].min() == 1 for row in rows)
    assert isinstance(calibration_texts(pairs=True)[0], tuple) and isinstance(calibration_texts()[0], str)



def test_layer_norm_forms_agree():
    """The full-integer export traces LayerNorm with gamma on the normalized rows; same arithmetic."""
    from conftest import random_inputs
    from keras_albert.backbone import AlbertBackbone
    from keras_albert.layers import LayerNorm, gamma_on_rows
    backbone = AlbertBackbone(tiny_config())
    for w in backbone.weights:
        if w.path.endswith(("gamma", "beta")):
            w.assign(np.random.default_rng(0).normal(1.0, 0.2, w.shape))
    inputs = random_inputs(backbone.config)
    default = backbone(inputs)["sequence_output"]
    with gamma_on_rows():
        on_rows = backbone(inputs)["sequence_output"]
    assert not LayerNorm.__dict__.get("gamma_on_rows"), "a class attribute would be process-wide state"
    np.testing.assert_allclose(np.asarray(default), np.asarray(on_rows), atol=1e-5)
