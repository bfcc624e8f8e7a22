"""keras-albert: ALBERT for Keras 3, from pretraining to a phone."""
from keras_albert.backbone import AlbertBackbone
from keras_albert.config import PRESETS, AlbertConfig, get_preset
from keras_albert.heads import AlbertClassifier, AlbertMaskedLM, AlbertPretrainer
from keras_albert.layers import AlbertEmbedding, TransformerBlock
from keras_albert.convert.hf import save_hf  # noqa: E402  (pretrained weights: issue 3)
from keras_albert.pipelines import pipeline  # noqa: E402
from keras_albert.pretrained import from_pretrained  # noqa: E402

__version__ = "0.1.0"
