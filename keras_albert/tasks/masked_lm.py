"""Masked language modelling (fill-mask): the MLM head, its decoder tied to the word embeddings. No pooler."""
import keras
from keras import ops

from keras_albert.backbone import backbone_inputs
from keras_albert.convert.table import COPY, Entry, dense_entries, norm_entries
from keras_albert.heads import AlbertTask
from keras_albert.layers import ConfigLayer, LayerNorm, _init, activation
from keras_albert.tasks.base import Task


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertMLMHead(ConfigLayer):
    """dense H -> E, activation, LayerNorm, then logits against the (tied) word embeddings plus a bias."""

    def __init__(self, config, word_embeddings, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        self.word_embeddings = word_embeddings  # shared with the backbone, not a copy
        self.dense = keras.layers.Dense(c.embedding_size, kernel_initializer=_init(c), name="dense")
        self.layer_norm = LayerNorm(c.layer_norm_eps, name="layer_norm")
        self.act = activation(c.hidden_act)

    def build(self, x_shape, positions_shape=None):
        self.dense.build((None, None, self.config.hidden_size))
        self.layer_norm.build((None, None, self.config.embedding_size))
        self.bias = self.add_weight(shape=(self.config.vocab_size,), initializer="zeros", name="bias")

    def call(self, x, positions=None):
        if positions is not None:  # only the masked positions: [b, P, H]
            x = ops.take_along_axis(x, ops.expand_dims(positions, -1), axis=1)
        h = ops.cast(self.layer_norm(self.act(self.dense(x))), self.compute_dtype)
        table = ops.cast(self.word_embeddings.embeddings, self.compute_dtype)
        return ops.einsum("bse,ve->bsv", h, table) + ops.cast(self.bias, self.compute_dtype)


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertMaskedLM(AlbertTask):
    """MLM logits [b, s, vocab] for every position (or [b, P, vocab] with a `mask_positions` input)."""

    def __init__(self, backbone, mask_positions=False, name="albert_masked_lm", **kwargs):
        inputs, out = mlm_graph(backbone, mask_positions)
        self.mask_positions = mask_positions
        super().__init__(backbone, inputs, ops.cast(out["mlm_logits"], "float32"), name=name, **kwargs)

    def head_config(self):
        return {"mask_positions": self.mask_positions}

    def default_loss(self):
        return mlm_loss()


def mlm_loss():
    """The masked piece's id at each position; -100 (transformers' ignore index: every unmasked one) left out."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)


def mlm_graph(backbone, mask_positions):
    inputs = backbone_inputs()
    if mask_positions:
        inputs["mask_positions"] = keras.Input(shape=(None,), dtype="int32", name="mask_positions")
    out = backbone({k: inputs[k] for k in ("token_ids", "segment_ids", "padding_mask")})
    head = AlbertMLMHead(backbone.config, backbone.word_embeddings, name="mlm_head")
    logits = head(out["sequence_output"], inputs.get("mask_positions"))
    return inputs, {"mlm_logits": logits, "pooled_output": out["pooled_output"]}


def mlm_entries(c):
    """The MLM head's rows (its decoder is the word-embedding table: no row of its own)."""
    return [*dense_entries("mlm_head.dense", "predictions.dense", "cls/predictions/transform/dense",
                           (c.hidden_size, c.embedding_size), group="mlm"),
            *norm_entries("mlm_head.layer_norm", "predictions.LayerNorm", "cls/predictions/transform/LayerNorm",
                          c.embedding_size, "mlm"),
            Entry("mlm_head.bias", "predictions.bias", "cls/predictions/output_bias", (c.vocab_size,), COPY, "mlm")]


TASK = Task(
    name="masked_lm", head=AlbertMaskedLM, architecture="AlbertForMaskedLM", groups={"mlm": "masked-LM head"},
    head_weights=lambda c, n: mlm_entries(c), pooler=False, head_required=True, pipelines=("fill-mask",))
