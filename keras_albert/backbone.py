"""AlbertBackbone: embeddings, then the shared block(s) applied num_hidden_layers times, then the pooler."""
import keras
import numpy as np
from keras import ops

from keras_albert.config import AlbertConfig
from keras_albert.layers import AlbertEmbedding, TransformerBlock, _init

INPUT_NAMES = ("token_ids", "segment_ids", "padding_mask")


def backbone_inputs():
    return {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in INPUT_NAMES}


def attention_bias(padding_mask):
    """[b, s] 1/0 mask -> [b, 1, 1, s] float32 additive bias (0 keeps a key, -1e9 drops it)."""
    keep = ops.expand_dims(padding_mask, (1, 2)) > 0  # (an indexing `[:, None, None, :]` of a dynamic batch
    #                                                   converts to a non-builtin TFLite op)
    return ops.where(keep, 0.0, -1e9)  # (not `(1 - mask) * -1e9`: Keras 3.15 marks that KerasTensor sparse)


@keras.saving.register_keras_serializable(package="keras_albert")
class ConfigModel(keras.Model):
    """A functional model built from an AlbertConfig that checks concrete inputs before running them."""

    def check_inputs(self, inputs):
        check_backbone_inputs(inputs, self.config)

    def __call__(self, inputs, *args, **kwargs):
        self.check_inputs(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(self.checked(x), *args, **kwargs)

    # Training and evaluation check the same way: an id past the vocabulary would otherwise be a deep TensorFlow
    # error, or on JAX no error at all (the gather reads garbage and every weight turns NaN).
    def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
        if isinstance(validation_data, (tuple, list)) and validation_data:
            validation_data = (self.checked(validation_data[0]), *validation_data[1:])
        else:
            validation_data = self.checked(validation_data)
        return super().fit(self.checked(x), y, *args, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        return super().evaluate(self.checked(x), y, *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        return super().train_on_batch(self.checked(x), y, *args, **kwargs)

    def test_on_batch(self, x, y=None, *args, **kwargs):
        return super().test_on_batch(self.checked(x), y, *args, **kwargs)

    def predict_on_batch(self, x):
        return super().predict_on_batch(self.checked(x))

    def checked(self, x):
        """`x` checked now (arrays, tensors) or as it streams (a tf.data.Dataset: each batch's ids checked in the
        pipeline, the message naming the input and its range); anything else as Keras takes it."""
        if is_tf_dataset(x):
            return checked_dataset(x, self.config)
        self.check_inputs(x)
        return x


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertBackbone(ConfigModel):
    """Inputs `token_ids`, `segment_ids`, `padding_mask` [batch, seq]; outputs `sequence_output`, `pooled_output`."""

    def __init__(self, config, name="albert_backbone", **kwargs):
        config = config if isinstance(config, AlbertConfig) else AlbertConfig.from_dict(config)
        embeddings = AlbertEmbedding(config, name="embeddings")
        # One block per (group, inner index): these few blocks are all the transformer weights there are.
        groups = [[TransformerBlock(config, name=f"group_{g}_inner_{j}") for j in range(config.inner_group_num)]
                  for g in range(config.num_hidden_groups)]
        pooler = keras.layers.Dense(config.hidden_size, activation="tanh", kernel_initializer=_init(config),
                                    name="pooler")

        inputs = backbone_inputs()
        bias = attention_bias(inputs["padding_mask"])
        x = embeddings(inputs["token_ids"], inputs["segment_ids"])
        for i in range(config.num_hidden_layers):          # the layer sharing of ALBERT:
            for block in groups[config.group_of_layer(i)]:  # every layer calls the same block objects
                x = block(x, bias)
        pooled = pooler(x[:, 0, :])
        super().__init__(inputs=inputs, outputs={"sequence_output": x, "pooled_output": pooled}, name=name, **kwargs)
        self.config, self.embeddings, self.groups, self.pooler = config, embeddings, groups, pooler

    @property
    def word_embeddings(self):
        return self.embeddings.word_embeddings

    def get_config(self):
        return {"config": self.config.to_dict(), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @classmethod
    def from_preset(cls, name, **overrides):
        """Random-init backbone with a preset's shapes (`keras_albert.from_pretrained` loads weights)."""
        import dataclasses

        from keras_albert.config import get_preset
        return cls(dataclasses.replace(get_preset(name), **overrides))


def _concrete(value):
    """A numpy view of an eager array, or None for symbolic tensors (inside fit/predict graphs)."""
    if isinstance(value, keras.KerasTensor):
        return None
    if isinstance(value, (np.ndarray, list, tuple)):
        return np.asarray(value)
    try:
        return ops.convert_to_numpy(value)
    except Exception:
        return None


def is_tf_dataset(x):
    return type(x).__module__.startswith("tensorflow") and hasattr(x, "element_spec") and hasattr(x, "map")


def checked_dataset(dataset, config):
    """`dataset` with every element's ids range-checked in the pipeline (elements: inputs, or (inputs, labels...))."""
    import tensorflow as tf
    limits = {"token_ids": config.vocab_size, "segment_ids": config.type_vocab_size, "padding_mask": 2}

    def check(*element):
        inputs = element[0]
        if isinstance(inputs, dict):
            asserts = [tf.debugging.assert_less(tf.cast(inputs[n], tf.int64), tf.cast(limit, tf.int64),
                                                message=f"`{n}` values must be in [0, {limit})")
                       for n, limit in limits.items() if n in inputs]
            asserts += [tf.debugging.assert_non_negative(inputs[n], message=f"`{n}` values must be in [0, {limit})")
                        for n, limit in limits.items() if n in inputs]
            with tf.control_dependencies(asserts):
                inputs = {k: tf.identity(v) for k, v in inputs.items()}
        return (inputs, *element[1:]) if len(element) > 1 else inputs

    return dataset.map(check, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def check_backbone_inputs(inputs, config):
    """Clear errors for the mistakes users make, raised before any TensorFlow kernel sees the data."""
    if not isinstance(inputs, dict):
        return  # datasets, generators and positional calls are checked by Keras itself
    missing = [n for n in INPUT_NAMES if n not in inputs]
    if missing:
        raise ValueError(f"missing model input(s) {missing}; expected a dict with keys {list(INPUT_NAMES)}")
    arrays = {n: _concrete(inputs[n]) for n in INPUT_NAMES}
    if any(a is None for a in arrays.values()):
        return
    shape = arrays["token_ids"].shape
    for name, a in arrays.items():
        if a.ndim != 2:
            raise ValueError(f"`{name}` must have rank 2 [batch, seq], got shape {a.shape}")
        if a.shape != shape:
            raise ValueError(f"`{name}` has shape {a.shape} but `token_ids` has shape {shape}")
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"`{name}` must hold integers, got dtype {a.dtype}")
    if shape[1] > config.max_position_embeddings:
        raise ValueError(f"sequence length {shape[1]} exceeds max_position_embeddings "
                         f"({config.max_position_embeddings}); truncate the text")
    for name, limit in (("token_ids", config.vocab_size), ("segment_ids", config.type_vocab_size),
                        ("padding_mask", 2)):
        a = arrays[name]
        if a.size and (a.min() < 0 or a.max() >= limit):
            raise ValueError(f"`{name}` values must be in [0, {limit}), got range [{a.min()}, {a.max()}]")
