"""The base of every task model: a functional model over an AlbertBackbone that saves as the backbone plus the
head's own arguments. The task models themselves live in `keras_albert.tasks`, one module per task."""
import importlib

import keras

from keras_albert.backbone import ConfigModel

# Where the task models moved from here (`from keras_albert.heads import AlbertClassifier` keeps working).
_MOVED = {"AlbertClassifier": "classification", "AlbertMaskedLM": "masked_lm", "AlbertMLMHead": "masked_lm",
          "AlbertPretrainer": "pretraining", "AlbertTokenClassifier": "token_classification",
          "AlbertQuestionAnswerer": "question_answering", "AlbertMultipleChoice": "multiple_choice"}


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertTask(ConfigModel):
    """A functional model over a backbone; saves as the backbone's config plus the head's arguments."""

    def __init__(self, backbone, inputs, outputs, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone, self.config = backbone, backbone.config

    def head_config(self):
        return {}

    # A head that never reads the pooled [CLS] (tags, answers, fill-mask: transformers builds those without a
    # pooler) trains without the backbone's pooler: listed as non-trainable for this model only, so the optimizer
    # keeps no slots for it and does not warn "Gradients do not exist" every fit, and the backbone (which a
    # classifier may share) is left as it is.
    def _unread(self):
        from keras_albert import tasks
        return set() if tasks.of_model(self).pooler else {id(v) for v in self.backbone.pooler.variables}

    def _split(self, trainable, non_trainable):
        unread = self._unread()
        return ([v for v in trainable if id(v) not in unread],
                non_trainable + [v for v in trainable if id(v) in unread])

    @property
    def trainable_weights(self):
        return self._split(super().trainable_weights, super().non_trainable_weights)[0]

    @property
    def non_trainable_weights(self):
        return self._split(super().trainable_weights, super().non_trainable_weights)[1]

    @property
    def trainable_variables(self):
        return self._split(super().trainable_variables, super().non_trainable_variables)[0]

    @property
    def non_trainable_variables(self):
        return self._split(super().trainable_variables, super().non_trainable_variables)[1]

    # keras-hub's per-task compile: `model.compile()` (or compile(optimizer=...)) trains with the task's own loss
    # and metrics, the ones transformers' heads compute; an explicit loss or metrics replace them.
    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        auto_loss, auto_metrics = (isinstance(x, str) and x == "auto" for x in (loss, metrics))
        optimizer = keras.optimizers.AdamW(learning_rate=5e-5) if optimizer == "auto" else optimizer
        loss = self.default_loss() if auto_loss else loss
        # the task's metrics go with the task's loss: a loss of your own (one-hot labels) takes metrics of yours
        metrics = (self.default_metrics() if auto_loss else None) if auto_metrics else metrics
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compile_from_config(self, config):
        """A saved compiled model loads compiled (optimizer state included), as Keras' own models do: Keras skips
        it, with a warning, for a model whose compile() is its own. The config holds what compile() resolved."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def default_loss(self):
        """The loss `compile()` uses: the task's (None: the task has none to offer)."""
        return None

    def default_metrics(self):
        return None

    def get_config(self):
        return {"backbone": keras.saving.serialize_keras_object(self.backbone), "name": self.name,
                **self.head_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


def checked_labels(labels, size):
    """A labelled head's class names (id2label as a list), or None: one name per output, as strings."""
    if labels is None:
        return None
    labels = list(labels)
    if len(labels) != size or not all(isinstance(n, str) and n for n in labels):
        raise ValueError(f"labels must be {size} non-empty strings (one per output), got {labels!r:.120}")
    return labels


def __getattr__(name):
    if name not in _MOVED:
        raise AttributeError(f"module 'keras_albert.heads' has no attribute {name!r}")
    return getattr(importlib.import_module(f"keras_albert.tasks.{_MOVED[name]}"), name)
