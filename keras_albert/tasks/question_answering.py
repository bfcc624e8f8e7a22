"""Extractive question answering: every position's output -> dense(2) -> start and end logits. No pooler."""
import keras
from keras import ops

from keras_albert.backbone import backbone_inputs
from keras_albert.convert.table import output_entries
from keras_albert.heads import AlbertTask
from keras_albert.layers import _init
from keras_albert.model_dir import HELDOUT_SQUAD
from keras_albert.tasks.base import Recipe, Task


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertQuestionAnswerer(AlbertTask):
    """Outputs `start_logits` and `end_logits` [b, s] (transformers' AlbertForQuestionAnswering: no dropout)."""

    def __init__(self, backbone, name="albert_question_answerer", **kwargs):
        inputs = backbone_inputs()
        x = backbone(inputs)["sequence_output"]
        logits = keras.layers.Dense(2, kernel_initializer=_init(backbone.config), dtype="float32",
                                    name="qa_outputs")(x)
        start, end = ops.unstack(logits, 2, axis=-1)
        super().__init__(backbone, inputs, {"start_logits": start, "end_logits": end}, name=name, **kwargs)

    def default_loss(self):
        return _loss(self)


def _read(path, skip_bad_rows=None):
    from keras_albert.readers import read_squad
    return read_squad(path, skip_bad_rows=skip_bad_rows)


def _features(*args):
    from keras_albert.features import answer_features
    return answer_features(*args)


@keras.saving.register_keras_serializable(package="keras_albert")
class HalfSpanLoss(keras.losses.SparseCategoricalCrossentropy):
    """Half the cross-entropy of one span boundary: Keras sums the start and end losses, transformers' QA loss
    is their mean, `(start + end) / 2`."""

    def call(self, y_true, y_pred):
        return 0.5 * super().call(y_true, y_pred)


def _loss(model):
    """Cross-entropy of the start and of the end piece (windows without the answer: both at [CLS]), averaged."""
    return {"start_logits": HalfSpanLoss(from_logits=True), "end_logits": HalfSpanLoss(from_logits=True)}


def _write(path, records):
    from keras_albert.readers import write_squad
    write_squad(path, records)


RECIPE = Recipe("question_answering", reader=_read, features=_features, loss=_loss,
                metric_task="question_answering", head_args=lambda labels: {},
                heldout=(HELDOUT_SQUAD, _write))

TASK = Task(
    name="question_answering", head=AlbertQuestionAnswerer, architecture="AlbertForQuestionAnswering",
    groups={"qa": "question-answering head"}, pooler=False,
    # google-research's run_squad names it cls/squad/output_weights [2, H]
    head_weights=lambda c, n: output_entries("qa_outputs", "qa_outputs", "cls/squad/", (c.hidden_size, 2), "qa"),
    pipelines=("question-answering",), recipes=(RECIPE,))
