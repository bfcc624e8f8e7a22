"""The q/k/v projection forms an export may trace (keras_albert.layers.qkv_form): same numbers, other graph."""
import numpy as np
import pytest

from conftest import random_inputs, tiny_config


@pytest.mark.parametrize("form", ["separate", "blocks"])
def test_qkv_forms_agree(form):
    from keras_albert.backbone import AlbertBackbone
    from keras_albert.layers import attention_implementation, qkv_form
    backbone = AlbertBackbone(tiny_config(intermediate_size=64))  # 2 feed-forward blocks of 32
    inputs = random_inputs(backbone.config)
    with attention_implementation("explicit"):
        fused = backbone(inputs)["sequence_output"]
        with qkv_form(form):
            other = backbone(inputs)["sequence_output"]
        again = backbone(inputs)["sequence_output"]  # the scope ended: back to the default form
    np.testing.assert_allclose(np.asarray(fused), np.asarray(other), atol=1e-5)
    np.testing.assert_array_equal(np.asarray(fused), np.asarray(again))


def test_separate_form_is_three_matmuls_in_tflite():
    from keras_albert_export.tflite import convert, op_histogram
    from keras_albert.backbone import AlbertBackbone
    from keras_albert.heads import AlbertClassifier
    from keras_albert.layers import qkv_form
    model = AlbertClassifier(AlbertBackbone(tiny_config(num_hidden_layers=1)), 2)
    fused = op_histogram(convert(model, "dynamic_int8"))
    with qkv_form("separate"):
        separate = op_histogram(convert(model, "dynamic_int8"))
    assert separate["FULLY_CONNECTED"] == fused["FULLY_CONNECTED"] + 2
    assert separate["TRANSPOSE"] == fused["TRANSPOSE"] + 2 and "SPLIT" not in separate


def test_blocks_form_keeps_one_copy_of_each_weight_block():
    """Every layer's ffn block i reads the same constant (so the file and the weight cache hold one copy)."""
    from keras_albert_export.tflite import convert, op_histogram
    from keras_albert.backbone import AlbertBackbone
    from keras_albert.heads import AlbertClassifier
    from keras_albert.layers import qkv_form
    sizes = {}
    for layers in (1, 3):
        config = tiny_config(num_hidden_layers=layers, hidden_size=64, intermediate_size=128)
        model = AlbertClassifier(AlbertBackbone(config), 2)
        with qkv_form("blocks"):
            data = convert(model, "dynamic_int8")
        sizes[layers] = len(data)
        ops_per_layer = op_histogram(data)["FULLY_CONNECTED"]
    # per layer q, k, v, output, 2 ffn blocks, 2 ffn_output blocks; the embedding projection, pooler, classifier
    assert ops_per_layer == 3 * (3 + 1 + 2 + 2) + 3
    one_layer_of_int8_weights = 4 * 64 * 64 + 2 * 64 * 128
    assert sizes[3] - sizes[1] < one_layer_of_int8_weights  # two more layers add ops, not weights


def test_unknown_form_is_one_clear_error():
    from keras_albert.layers import qkv_form
    with pytest.raises(ValueError, match="q/k/v form 'split3'"):
        with qkv_form("split3"):
            pass
