"""keras-albert: ALBERT for Keras 3, from pretraining to a phone."""
from keras_albert.backbone import AlbertBackbone
from keras_albert.config import PRESETS, AlbertConfig, get_preset
from keras_albert.heads import AlbertClassifier, AlbertMaskedLM, AlbertPretrainer
from keras_albert.layers import AlbertEmbedding, TransformerBlock

__version__ = "0.1.0"
