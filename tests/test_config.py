import json

import pytest

from keras_albert import PRESETS, AlbertConfig, get_preset


def test_json_round_trip(tmp_path):
    config = AlbertConfig(hidden_size=64, num_attention_heads=4, num_hidden_layers=6, num_hidden_groups=3,
                          inner_group_num=2, hidden_act="gelu")
    path = tmp_path / "config.json"
    config.to_json(str(path))
    assert AlbertConfig.from_json(str(path)) == config
    assert AlbertConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize("fields, message", [
    (dict(hidden_size=100, num_attention_heads=16), "not divisible by num_attention_heads"),
    (dict(num_hidden_layers=5, num_hidden_groups=2), "not divisible by num_hidden_groups"),
    (dict(hidden_act="swish"), "hidden_act"),
    (dict(vocab_size=0), "vocab_size"),
    (dict(hidden_dropout_prob=1.5), "hidden_dropout_prob"),
])
def test_invalid_configs_name_the_problem(fields, message):
    with pytest.raises(ValueError, match=message):
        AlbertConfig(**fields)


def test_unknown_fields_rejected_unless_asked():
    with pytest.raises(ValueError, match="unknown AlbertConfig field.*hidden_sise"):
        AlbertConfig.from_dict({"hidden_sise": 3})
    hf_style = {**AlbertConfig().to_dict(), "model_type": "albert", "architectures": ["AlbertForMaskedLM"]}
    assert AlbertConfig.from_dict(hf_style, ignore_unknown=True) == AlbertConfig()


def test_not_json_is_a_clear_error(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text("not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        AlbertConfig.from_json(str(bad))


def test_presets_have_the_published_shapes():
    assert len(PRESETS) == 8
    large = get_preset("albert-large-v2")
    assert (large.hidden_size, large.num_hidden_layers, large.num_attention_heads, large.intermediate_size,
            large.embedding_size) == (1024, 24, 16, 4096, 128)
    assert large.hidden_dropout_prob == 0 and large.hidden_act == "gelu_new"
    v1 = get_preset("albert/albert-base-v1")
    assert v1.hidden_dropout_prob == 0.1 and v1.hidden_act == "gelu"
    xx = get_preset("albert-xxlarge-v2")
    assert (xx.hidden_size, xx.num_hidden_layers, xx.num_attention_heads, xx.intermediate_size) == (4096, 12, 64, 16384)
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("albert-huge-v3")
    json.dumps(large.to_dict())


def test_group_rule_of_the_original():
    config = AlbertConfig(num_hidden_layers=12, num_hidden_groups=3)
    assert [config.group_of_layer(i) for i in range(12)] == [0] * 4 + [1] * 4 + [2] * 4
