"""Multiple choice (RACE, SWAG): every (context, option) pair through the encoder, one score each."""
import keras
from keras import ops

from keras_albert.backbone import INPUT_NAMES, _concrete, check_backbone_inputs
from keras_albert.convert.table import output_entries
from keras_albert.heads import AlbertTask
from keras_albert.layers import _init
from keras_albert.model_dir import HELDOUT
from keras_albert.tasks.base import Recipe, Task


@keras.saving.register_keras_serializable(package="keras_albert")
class FoldChoices(keras.layers.Layer):
    """[b, choices, s] -> [b * choices, s]: the options become rows of one batch."""

    def call(self, x):
        return ops.reshape(x, (-1, ops.shape(x)[-1]))

    def compute_output_shape(self, shape):
        return (None, shape[-1])


@keras.saving.register_keras_serializable(package="keras_albert")
class UnfoldChoices(keras.layers.Layer):
    """One score per row [b * choices, 1] -> [b, choices], the number of choices read from the inputs."""

    def call(self, scores, token_ids):
        return ops.reshape(scores, (-1, ops.shape(token_ids)[1]))

    def compute_output_shape(self, scores_shape, token_ids_shape):
        return (token_ids_shape[0], token_ids_shape[1])


def choice_loss():
    """The index of the right choice."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertMultipleChoice(AlbertTask):
    """Inputs [b, choices, s] -> pooled -> dropout -> dense(1): logits [b, choices] (AlbertForMultipleChoice)."""

    def __init__(self, backbone, dropout=None, name="albert_multiple_choice", **kwargs):
        c = backbone.config
        self.dropout = c.classifier_dropout_prob if dropout is None else dropout
        inputs = {n: keras.Input(shape=(None, None), dtype="int32", name=n) for n in INPUT_NAMES}
        fold = FoldChoices(name="fold_choices")
        pooled = backbone({n: fold(x) for n, x in inputs.items()})["pooled_output"]
        pooled = keras.layers.Dropout(self.dropout, name="classifier_dropout")(pooled)
        scores = keras.layers.Dense(1, kernel_initializer=_init(c), dtype="float32", name="classifier")(pooled)
        # float32 like every head's logits: under a mixed policy the softmax over the choices stays float32
        logits = UnfoldChoices(dtype="float32", name="unfold_choices")(scores, inputs["token_ids"])
        super().__init__(backbone, inputs, logits, name=name, **kwargs)

    def check_inputs(self, inputs):
        if not isinstance(inputs, dict):
            return
        arrays = {n: _concrete(inputs[n]) for n in INPUT_NAMES if n in inputs}  # (missing keys: named below)
        if len(arrays) == len(INPUT_NAMES) and all(a is not None for a in arrays.values()):
            for n, a in arrays.items():
                if a.ndim != 3:
                    raise ValueError(f"`{n}` must have rank 3 [batch, choices, seq], got shape {a.shape}")
            inputs = {n: a.reshape(-1, a.shape[-1]) for n, a in arrays.items()}
        check_backbone_inputs(inputs, self.config)

    def head_config(self):
        return {"dropout": self.dropout}

    def default_loss(self):
        return choice_loss()

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]


def _read(path, skip_bad_rows=None):
    from keras_albert.readers import read_race
    return read_race(path, skip_bad_rows=skip_bad_rows)


def _features(*args):
    from keras_albert.features import choice_features
    return choice_features(*args)


def _write_heldout(path, records):
    from keras_albert.readers.race import write_race
    write_race(path, records)


RECIPE = Recipe("multiple_choice", reader=_read, features=_features, metric_task="multiple_choice",
                loss=lambda model: choice_loss(),
                head_args=lambda labels: {}, heldout=(HELDOUT, _write_heldout))

TASK = Task(
    name="multiple_choice", head=AlbertMultipleChoice, architecture="AlbertForMultipleChoice",
    groups={"choice_classifier": "multiple-choice head"},
    head_weights=lambda c, n: output_entries("classifier", "classifier", "", (c.hidden_size, 1), "choice_classifier"),
    pipelines=("multiple-choice",), recipes=(RECIPE,))
