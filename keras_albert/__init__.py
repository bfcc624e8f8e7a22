"""keras-albert: ALBERT for Keras 3, from pretraining to a phone.

The public names import on first use, so `keras-albert --help` answers at once and the command line can
silence TensorFlow's native logs before TensorFlow loads.
"""
import importlib

_EXPORTS = {"AlbertBackbone": "backbone", "PRESETS": "config", "AlbertConfig": "config", "get_preset": "config",
            "AlbertClassifier": "heads", "AlbertMaskedLM": "heads", "AlbertPretrainer": "heads",
            "AlbertEmbedding": "layers", "TransformerBlock": "layers", "save_hf": "convert.hf",
            "pipeline": "pipelines", "from_pretrained": "pretrained"}
__all__ = list(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'keras_albert' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"keras_albert.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
