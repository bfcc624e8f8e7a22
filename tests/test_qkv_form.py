"""The q/k/v projection forms an export may trace (keras_albert.layers.qkv_form): same numbers, other graph."""
import numpy as np
import pytest

from conftest import random_inputs, tiny_config


def test_qkv_forms_agree():
    from keras_albert.backbone import AlbertBackbone
    from keras_albert.layers import attention_implementation, qkv_form
    backbone = AlbertBackbone(tiny_config())
    inputs = random_inputs(backbone.config)
    with attention_implementation("explicit"):
        fused = backbone(inputs)["sequence_output"]
        with qkv_form("separate"):
            separate = backbone(inputs)["sequence_output"]
        again = backbone(inputs)["sequence_output"]  # the scope ended: back to the default form
    np.testing.assert_allclose(np.asarray(fused), np.asarray(separate), atol=1e-5)
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


def test_unknown_form_is_one_clear_error():
    from keras_albert.layers import qkv_form
    with pytest.raises(ValueError, match="q/k/v form 'split3'"):
        with qkv_form("split3"):
            pass
