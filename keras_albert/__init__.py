"""keras-albert: ALBERT for Keras 3, from pretraining to a phone.

The public names import on first use, so `keras-albert --help` answers at once and the command line can
silence TensorFlow's native logs before TensorFlow loads. Once Keras is loaded (before this package, or by the
first name used from it) every class a saved `.keras` model may name is registered with it, so
`keras.saving.load_model("m.keras")` finds them as it finds keras-hub's.
"""
import importlib
import importlib.util
import sys

_EXPORTS = {"AlbertBackbone": "backbone", "PRESETS": "config", "AlbertConfig": "config", "get_preset": "config",
            "AlbertClassifier": "tasks.classification", "AlbertMaskedLM": "tasks.masked_lm",
            "AlbertPretrainer": "tasks.pretraining", "AlbertTokenClassifier": "tasks.token_classification",
            "AlbertQuestionAnswerer": "tasks.question_answering", "AlbertMultipleChoice": "tasks.multiple_choice",
            "AlbertEmbedding": "layers", "TransformerBlock": "layers", "save_hf": "convert.hf",
            "pipeline": "pipelines", "from_pretrained": "pretrained"}
__all__ = list(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name):
    if name not in _EXPORTS:
        if importlib.util.find_spec(f"keras_albert.{name}") is not None:  # a submodule: `keras_albert.tasks`
            return importlib.import_module(f"keras_albert.{name}")
        raise AttributeError(f"module 'keras_albert' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"keras_albert.{_EXPORTS[name]}"), name)
    globals()[name] = value
    _register_keras_classes()
    return value


def _register_keras_classes():
    """Import what registers our Keras classes (every head through the task table, the backbone, its layers and
    losses, the learning-rate schedule a compiled model's optimizer names); nothing before Keras is loaded."""
    if "keras" in sys.modules:
        importlib.import_module("keras_albert.tasks").TASKS
        importlib.import_module("keras_albert.training.optim")


_register_keras_classes()
