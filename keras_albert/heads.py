"""Task models on an AlbertBackbone: sequence classifier, masked LM (tied decoder), MLM + SOP pretrainer."""
import keras
from keras import ops

from keras_albert.backbone import ConfigModel, backbone_inputs
from keras_albert.layers import ConfigLayer, LayerNorm, _init, activation


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
class AlbertTask(ConfigModel):
    """A functional model over a backbone; saves as the backbone's config plus the head's arguments."""

    def __init__(self, backbone, inputs, outputs, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone, self.config = backbone, backbone.config

    def head_config(self):
        return {}

    def get_config(self):
        return {"backbone": keras.saving.serialize_keras_object(self.backbone), "name": self.name,
                **self.head_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertClassifier(AlbertTask):
    """Pooled [CLS] -> dropout -> dense: logits [b, num_classes]."""

    def __init__(self, backbone, num_classes, dropout=None, name="albert_classifier", **kwargs):
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
        c = backbone.config
        self.num_classes = num_classes
        self.dropout = c.classifier_dropout_prob if dropout is None else dropout
        inputs = backbone_inputs()
        pooled = backbone(inputs)["pooled_output"]
        pooled = keras.layers.Dropout(self.dropout, name="classifier_dropout")(pooled)
        logits = keras.layers.Dense(num_classes, kernel_initializer=_init(c), dtype="float32",
                                    name="classifier")(pooled)
        super().__init__(backbone, inputs, logits, name=name, **kwargs)

    def head_config(self):
        return {"num_classes": self.num_classes, "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertMaskedLM(AlbertTask):
    """MLM logits [b, s, vocab] for every position (or [b, P, vocab] with a `mask_positions` input)."""

    def __init__(self, backbone, mask_positions=False, name="albert_masked_lm", **kwargs):
        inputs, out = _mlm_graph(backbone, mask_positions)
        self.mask_positions = mask_positions
        super().__init__(backbone, inputs, ops.cast(out["mlm_logits"], "float32"), name=name, **kwargs)

    def head_config(self):
        return {"mask_positions": self.mask_positions}


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertPretrainer(AlbertTask):
    """MLM logits plus sentence-order-prediction logits [b, 2] from the pooled output."""

    def __init__(self, backbone, mask_positions=False, name="albert_pretrainer", **kwargs):
        c = backbone.config
        inputs, out = _mlm_graph(backbone, mask_positions)
        pooled = keras.layers.Dropout(c.classifier_dropout_prob, name="sop_dropout")(out["pooled_output"])
        sop = keras.layers.Dense(2, kernel_initializer=_init(c), dtype="float32", name="sop_classifier")(pooled)
        self.mask_positions = mask_positions
        super().__init__(backbone, inputs, {"mlm_logits": ops.cast(out["mlm_logits"], "float32"), "sop_logits": sop},
                         name=name, **kwargs)

    def head_config(self):
        return {"mask_positions": self.mask_positions}


def _mlm_graph(backbone, mask_positions):
    inputs = backbone_inputs()
    if mask_positions:
        inputs["mask_positions"] = keras.Input(shape=(None,), dtype="int32", name="mask_positions")
    out = backbone({k: inputs[k] for k in ("token_ids", "segment_ids", "padding_mask")})
    head = AlbertMLMHead(backbone.config, backbone.word_embeddings, name="mlm_head")
    logits = head(out["sequence_output"], inputs.get("mask_positions"))
    return inputs, {"mlm_logits": logits, "pooled_output": out["pooled_output"]}
