"""ALBERT's own pretraining: masked LM + sentence-order prediction (SOP) from the pooled [CLS]."""
import keras
from keras import ops

from keras_albert.convert.table import output_entries
from keras_albert.heads import AlbertTask
from keras_albert.layers import _init
from keras_albert.tasks.base import Task
from keras_albert.tasks.masked_lm import mlm_entries, mlm_graph, mlm_loss


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertPretrainer(AlbertTask):
    """MLM logits plus sentence-order-prediction logits [b, 2] from the pooled output."""

    def __init__(self, backbone, mask_positions=False, name="albert_pretrainer", **kwargs):
        c = backbone.config
        inputs, out = mlm_graph(backbone, mask_positions)
        pooled = keras.layers.Dropout(c.classifier_dropout_prob, name="sop_dropout")(out["pooled_output"])
        sop = keras.layers.Dense(2, kernel_initializer=_init(c), dtype="float32", name="sop_classifier")(pooled)
        self.mask_positions = mask_positions
        super().__init__(backbone, inputs, {"mlm_logits": ops.cast(out["mlm_logits"], "float32"), "sop_logits": sop},
                         name=name, **kwargs)

    def head_config(self):
        return {"mask_positions": self.mask_positions}

    def default_loss(self):
        """MLM as AlbertMaskedLM's, and the sentence order: 0 in order, 1 swapped (transformers' labels)."""
        return {"mlm_logits": mlm_loss(), "sop_logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True)}


TASK = Task(
    name="pretraining", head=AlbertPretrainer, architecture="AlbertForPreTraining",
    groups={"mlm": "masked-LM head", "sop": "sentence-order head"},
    head_weights=lambda c, n: mlm_entries(c) + output_entries("sop_classifier", "sop_classifier.classifier",
                                                              "cls/seq_relationship/", (c.hidden_size, 2), "sop"),
    pipelines=("fill-mask",))
