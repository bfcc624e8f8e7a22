"""Sequence (and sentence-pair) classification, regression and multi-label: pooled [CLS] -> dropout -> dense."""
import keras

from keras_albert.backbone import backbone_inputs
from keras_albert.convert.table import output_entries
from keras_albert.heads import AlbertTask, checked_labels
from keras_albert.layers import _init
from keras_albert.tasks.base import Recipe, Task

# transformers' `problem_type`: the loss the logits are trained with and the scores a pipeline shows.
# (None: decided by the number of outputs, as transformers decides: `problem_type_of`.)
PROBLEM_TYPES = ("single_label_classification", "multi_label_classification", "regression")


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertClassifier(AlbertTask):
    """Pooled [CLS] -> dropout -> dense: logits [b, num_classes]. `problem_type` as transformers' config has it:
    None (the default) lets the use decide as transformers does (one output trains as regression and is shown
    through a sigmoid; several as single-label classes), or it is set to one of `PROBLEM_TYPES`."""

    def __init__(self, backbone, num_classes, dropout=None, problem_type=None, labels=None, name="albert_classifier",
                 **kwargs):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
        if problem_type is not None and problem_type not in PROBLEM_TYPES:
            raise ValueError(f"problem_type must be one of {PROBLEM_TYPES}, got {problem_type!r}")
        c = backbone.config
        self.num_classes, self.problem_type = num_classes, problem_type
        self.labels = checked_labels(labels, num_classes)  # the class names (transformers' id2label), or None
        self.dropout = c.classifier_dropout_prob if dropout is None else dropout
        inputs = backbone_inputs()
        pooled = backbone(inputs)["pooled_output"]
        pooled = keras.layers.Dropout(self.dropout, name="classifier_dropout")(pooled)
        logits = keras.layers.Dense(num_classes, kernel_initializer=_init(c), dtype="float32",
                                    name="classifier")(pooled)
        super().__init__(backbone, inputs, logits, name=name, **kwargs)

    def head_config(self):
        return {"num_classes": self.num_classes, "dropout": self.dropout, "problem_type": self.problem_type,
                "labels": self.labels}

    def default_loss(self):
        """transformers' loss for the problem: integer class ids, multi-hot rows, or scores."""
        return {PROBLEM_TYPES[0]: lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                PROBLEM_TYPES[1]: lambda: keras.losses.BinaryCrossentropy(from_logits=True),
                PROBLEM_TYPES[2]: lambda: keras.losses.MeanSquaredError()}[problem_type_of(self)]()

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")] \
            if problem_type_of(self) == PROBLEM_TYPES[0] else None


def problem_type_of(model):
    """The problem a classifier solves: its own `problem_type`, else transformers' rule from its outputs."""
    return resolve_problem_type(model.problem_type, model.num_classes)


def resolve_problem_type(problem_type, num_classes):
    """`problem_type_of` from a classifier's config values (a saved archive's, read before any weights load)."""
    return problem_type or (PROBLEM_TYPES[2] if num_classes == 1 else PROBLEM_TYPES[0])


def _pairs_reader(regression):
    def read(path, skip_bad_rows=None):
        from keras_albert.readers import read_pairs
        return read_pairs(path, regression=regression, skip_bad_rows=skip_bad_rows)
    return read


def _class_names(records):
    from keras_albert.datasets import label_names
    return label_names([r["label"] for r in records])


def _read_multi_label(path, skip_bad_rows=None):
    from keras_albert.readers import read_multi_label
    return read_multi_label(path, skip_bad_rows=skip_bad_rows)


def _multi_label_names(records):
    from keras_albert.readers.multi_label import label_names
    return label_names(records)


def _multi_label_features(*args):
    from keras_albert.features import multi_label_features
    return multi_label_features(*args)


def _regression_features(*args):
    from keras_albert.features import regression_features
    return regression_features(*args)


RECIPES = (
    # features None: the classification text pipeline (in-graph tokenizing, one-hot labels, confusion matrix)
    Recipe("pair_classification", reader=_pairs_reader(False), features=None, metric_task="pairs",
           loss=lambda model: keras.losses.CategoricalCrossentropy(from_logits=True),
           head_args=lambda labels: {"size": len(labels)}, labels=_class_names),
    Recipe("regression", reader=_pairs_reader(True), features=_regression_features, metric_task="regression",
           loss=lambda model: keras.losses.MeanSquaredError(),
           head_args=lambda labels: {"size": 1, "problem_type": "regression"}),
    # one sigmoid per class, binary cross-entropy on multi-hot labels (transformers' BCEWithLogitsLoss)
    Recipe("multi_label", reader=_read_multi_label, features=_multi_label_features, metric_task="multi_label",
           loss=lambda model: keras.losses.BinaryCrossentropy(from_logits=True),
           head_args=lambda labels: {"size": len(labels), "problem_type": "multi_label_classification"},
           labels=_multi_label_names),
)

TASK = Task(
    name="classification", head=AlbertClassifier, architecture="AlbertForSequenceClassification",
    groups={"classifier": "classifier head"},
    head_weights=lambda c, n: output_entries("classifier", "classifier", "", (c.hidden_size, n), "classifier"),
    size_arg="num_classes", labelled=True, hf_fields=("problem_type",),
    pipelines=("text-classification", "zero-shot-classification"), recipes=RECIPES)
