"""Token classification (NER, POS): every position's output -> dropout -> dense. No pooler."""
import keras

from keras_albert.backbone import backbone_inputs
from keras_albert.convert.table import output_entries
from keras_albert.heads import AlbertTask, checked_labels
from keras_albert.layers import _init
from keras_albert.tasks.base import Recipe, Task


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertTokenClassifier(AlbertTask):
    """Sequence output -> dropout -> dense: logits [b, s, num_labels] (transformers' AlbertForTokenClassification)."""

    def __init__(self, backbone, num_labels, dropout=None, labels=None, name="albert_token_classifier", **kwargs):
        if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
            raise ValueError(f"num_labels must be a positive integer, got {num_labels!r}")
        c = backbone.config
        self.num_labels = num_labels
        self.labels = checked_labels(labels, num_labels)  # the tag names (transformers' id2label), or None
        self.dropout = c.classifier_dropout_prob if dropout is None else dropout
        inputs = backbone_inputs()
        x = backbone(inputs)["sequence_output"]
        x = keras.layers.Dropout(self.dropout, name="classifier_dropout")(x)
        logits = keras.layers.Dense(num_labels, kernel_initializer=_init(c), dtype="float32", name="classifier")(x)
        super().__init__(backbone, inputs, logits, name=name, **kwargs)

    def head_config(self):
        return {"num_labels": self.num_labels, "dropout": self.dropout, "labels": self.labels}

    def default_loss(self):
        return tag_loss()


def tag_loss():
    """A tag id per position; -100 (transformers' ignore index: [CLS], [SEP], padding, a word's later pieces) is
    left out."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)


def _read(path, skip_bad_rows=None):
    from keras_albert.readers import read_conll
    return read_conll(path, skip_bad_rows=skip_bad_rows)


def _labels(records):
    from keras_albert.readers import label_list
    return label_list(records)


def _features(*args):
    from keras_albert.features import token_features
    return token_features(*args)


# the first piece of each word carries its tag; every other position is -100, left out of the loss
RECIPE = Recipe("token_classification", reader=_read, features=_features, metric_task="token_classification",
                loss=lambda model: tag_loss(),
                head_args=lambda labels: {"size": len(labels)}, labels=_labels)

TASK = Task(
    name="token_classification", head=AlbertTokenClassifier, architecture="AlbertForTokenClassification",
    groups={"token_classifier": "token-classification head"}, pooler=False,
    head_weights=lambda c, n: output_entries("classifier", "classifier", "", (c.hidden_size, n), "token_classifier"),
    size_arg="num_labels", labelled=True, pipelines=("token-classification",),
    recipes=(RECIPE,))
