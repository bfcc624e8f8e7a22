"""The layers of ALBERT: the factorized embedding, the transformer block that all layers share, their LayerNorm."""
import contextlib
import contextvars

import keras
from keras import ops

from keras_albert.config import AlbertConfig


def activation(name):
    """HF names: `gelu` is exact, `gelu_new` / `gelu_pytorch_tanh` the tanh approximation."""
    if name == "relu":
        return keras.activations.relu
    approximate = name != "gelu"
    return lambda x: keras.activations.gelu(x, approximate=approximate)


def _init(config):
    """A new initializer for every weight: an unseeded Keras 3 initializer instance returns the SAME values
    on every call (one shared instance made query == key == value at init, and word/position rows equal)."""
    return keras.initializers.TruncatedNormal(stddev=config.initializer_range)


@contextlib.contextmanager
def _scoped(variable, value):
    """`variable` (a ContextVar the layers read when a model is traced) set to `value` inside the `with` only:
    scoped to this thread and context, so a model traced elsewhere meanwhile is not affected."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


_gamma_on_rows = contextvars.ContextVar("keras_albert_gamma_on_rows", default=False)


def gamma_on_rows(enabled=True):
    """LayerNorms traced inside this scope multiply gamma onto the normalized rows instead of the per-row scale:
    the same arithmetic, a graph the full-integer quantizer handles better. Read when a model is traced."""
    return _scoped(_gamma_on_rows, bool(enabled))


QKV_FORMS = ("fused", "separate", "blocks")
_qkv_form = contextvars.ContextVar("keras_albert_qkv_form", default="fused")


def qkv_form(form):
    """How TransformerBlocks traced inside this scope project q, k, v for the explicit attention: "fused" (the
    default) is one [H, 3H] matmul, one transpose and a split; "separate" is three [H, H] matmuls, each
    reshaped and transposed into heads; "blocks" is "separate" plus the feed-forward network as [H, H] weight
    blocks (ffn column blocks, each through the activation, times the matching ffn_output row block, summed).
    Same arithmetic; an export choice (int8 GEMM shapes: a weight block a CPU core's L2 holds, and node count)."""
    if form not in QKV_FORMS:
        raise ValueError(f"unknown q/k/v form {form!r}; expected one of {', '.join(QKV_FORMS)}")
    return _scoped(_qkv_form, form)


@keras.saving.register_keras_serializable(package="keras_albert")
class LayerNorm(keras.layers.LayerNormalization):
    """LayerNorm over the last axis, always in float32: (x - mean) * rsqrt(var + eps) * gamma + beta.

    The same weights and arithmetic as Keras' layer, written as the 9 ops a converter keeps (Keras' form
    becomes 10 TFLite ops, and this one runs 25% faster in XNNPACK; albert-large has 49 of them).
    Where gamma multiplies is an export choice, not arithmetic: by default it scales the per-row factor, so
    the converter cannot fold it into the next int8 kernel (layer 0, fed by the embedding projection, would
    then keep its own 3 MB copy of the q|k|v kernel); the full-integer export traces inside `gamma_on_rows()`,
    because int8 activations quantize the normalized rows well and rsqrt * gamma badly.
    """

    def __init__(self, epsilon=1e-12, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(epsilon=epsilon, **kwargs)

    def call(self, x):
        x = ops.cast(x, "float32")
        centered = x - ops.mean(x, axis=-1, keepdims=True)
        inverse_std = ops.rsqrt(ops.mean(ops.square(centered), axis=-1, keepdims=True) + self.epsilon)
        if _gamma_on_rows.get():
            return centered * inverse_std * self.gamma + self.beta
        return centered * (inverse_std * self.gamma) + self.beta


@keras.saving.register_keras_serializable(package="keras_albert")
class ConfigLayer(keras.layers.Layer):
    """A layer whose only hyperparameter is the AlbertConfig."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config if isinstance(config, AlbertConfig) else AlbertConfig.from_dict(config)

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}


@keras.saving.register_keras_serializable(package="keras_albert")
class AlbertEmbedding(ConfigLayer):
    """word (V x E) + position + segment embeddings, LayerNorm, dropout, then the E -> H projection."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        init = lambda: _init(c)  # noqa: E731
        self.word_embeddings = keras.layers.Embedding(c.vocab_size, c.embedding_size, embeddings_initializer=init(),
                                                      name="word_embeddings")
        self.position_embeddings = keras.layers.Embedding(c.max_position_embeddings, c.embedding_size,
                                                          embeddings_initializer=init(), name="position_embeddings")
        self.segment_embeddings = keras.layers.Embedding(c.type_vocab_size, c.embedding_size,
                                                         embeddings_initializer=init(), name="segment_embeddings")
        self.layer_norm = LayerNorm(c.layer_norm_eps, name="layer_norm")
        self.dropout = keras.layers.Dropout(c.hidden_dropout_prob)
        self.projection = keras.layers.Dense(c.hidden_size, kernel_initializer=init(), name="projection")

    def build(self, token_ids_shape, segment_ids_shape=None):
        c = self.config
        self.word_embeddings.build(token_ids_shape)
        self.position_embeddings.build((None,))
        self.segment_embeddings.build(token_ids_shape)
        self.layer_norm.build((None, None, c.embedding_size))
        self.projection.build((None, None, c.embedding_size))

    def call(self, token_ids, segment_ids, training=False):
        positions = ops.arange(ops.shape(token_ids)[1])
        x = (self.word_embeddings(token_ids) + self.segment_embeddings(segment_ids)
             + ops.expand_dims(self.position_embeddings(positions), 0))
        x = self.dropout(ops.cast(self.layer_norm(x), self.compute_dtype), training=training)
        return self.projection(x)


ATTENTION_KINDS = ("auto", "fused", "explicit")
_attention_kind = contextvars.ContextVar("keras_albert_attention", default="auto")


def attention_implementation(kind):
    """The attention that TransformerBlocks trace inside this scope. "explicit": 2-D matmuls and a softmax,
    the graph every export is written for; "fused": `keras.ops.dot_product_attention` (cuDNN flash attention
    on a JAX GPU in bf16, SDPA on torch); "auto" (the default): fused on JAX and torch, explicit on TensorFlow,
    the backend that exports trace on (and that has no fused kernel). Read when a model is traced, so wrap the
    first `fit` / `predict` / jitted call; training with attention dropout always takes the explicit path."""
    if kind not in ATTENTION_KINDS:
        raise ValueError(f"unknown attention implementation {kind!r}; expected one of {', '.join(ATTENTION_KINDS)}")
    return _scoped(_attention_kind, kind)


def fused_attention_enabled():
    kind = _attention_kind.get()
    return kind == "fused" or (kind == "auto" and keras.backend.backend() != "tensorflow")


@keras.saving.register_keras_serializable(package="keras_albert")
class TransformerBlock(ConfigLayer):
    """One post-LayerNorm encoder block: h = LN(x + attention(x)); y = LN(h + FFN(h)).

    ALBERT creates one of these per group and calls it for many layers.
    """

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        init = lambda: _init(c)  # noqa: E731
        heads, size = c.num_attention_heads, c.head_size

        # Per-head kernels [H, heads, head_size] (the checkpoint layout; `call` multiplies them as [H, H])
        def project(name):
            return keras.layers.EinsumDense("bsh,hnd->bsnd", (None, heads, size), bias_axes="nd",
                                            kernel_initializer=init(), name=name)
        self.query, self.key, self.value = project("query"), project("key"), project("value")
        self.attention_output = keras.layers.EinsumDense("bsnd,ndh->bsh", (None, c.hidden_size), bias_axes="h",
                                                         kernel_initializer=init(), name="attention_output")
        self.attention_norm = LayerNorm(c.layer_norm_eps, name="attention_norm")
        self.ffn = keras.layers.Dense(c.intermediate_size, kernel_initializer=init(), name="ffn")
        self.ffn_output = keras.layers.Dense(c.hidden_size, kernel_initializer=init(), name="ffn_output")
        self.output_norm = LayerNorm(c.layer_norm_eps, name="output_norm")
        self.act = activation(c.hidden_act)
        self.attention_dropout = keras.layers.Dropout(c.attention_probs_dropout_prob)
        self.dropout = keras.layers.Dropout(c.hidden_dropout_prob)
        self.scale = 1.0 / float(size) ** 0.5

    def build(self, x_shape, attention_bias_shape=None):
        c = self.config
        seq = (None, None, c.hidden_size)
        for layer in (self.query, self.key, self.value):
            layer.build(seq)
        self.attention_output.build((None, None, c.num_attention_heads, c.head_size))
        self.attention_norm.build(seq)
        self.ffn.build(seq)
        self.ffn_output.build((None, None, c.intermediate_size))
        self.output_norm.build(seq)

    def call(self, x, attention_bias, training=False):
        """`attention_bias` is [b, 1, 1, s] float32: 0 for real tokens, a large negative value for padding."""
        # Plain 2-D matmuls over [batch * seq, H] and reshapes whose only unknown is `-1`: the same arithmetic
        # as einsum, but a TFLite graph with a dynamic length (and batch 1) then has constant shapes everywhere
        # and needs no SHAPE/REDUCE_PROD/PACK ops to rebuild them at run time.
        c, batch = self.config, ops.shape(x)[0]
        rows = ops.reshape(x, (-1, c.hidden_size))
        if fused_attention_enabled() and not (training and self.attention_dropout.rate):
            context = self._fused_attention(rows, batch, attention_bias)
        else:
            q, k, v = self._heads(rows, batch)                              # [b, n, s, d]; q pre-scaled
            scores = ops.matmul(q, ops.swapaxes(k, -1, -2))
            # (Keras autocasts float call arguments to the compute dtype: bring the bias back to float32)
            scores = ops.cast(scores, "float32") + ops.cast(attention_bias, "float32")
            probs = self.attention_dropout(ops.softmax(scores, axis=-1), training=training)
            context = ops.transpose(ops.matmul(ops.cast(probs, self.compute_dtype), v), (0, 2, 1, 3))
            context = ops.reshape(context, (-1, c.hidden_size))
        out = self.attention_output
        attended = ops.matmul(context, self._weight(out.kernel, (-1, c.hidden_size))) + \
            ops.cast(out.bias, self.compute_dtype)
        attended = self.dropout(attended, training=training)
        h = ops.cast(self.attention_norm(rows + attended), self.compute_dtype)
        ffn = self.dropout(self._feed_forward(h), training=training)
        return ops.reshape(ops.cast(self.output_norm(h + ffn), self.compute_dtype), (batch, -1, c.hidden_size))

    def _feed_forward(self, h):
        """ffn_output(act(ffn(h))); in the "blocks" form as a sum over [H, H] blocks of both kernels."""
        c = self.config
        blocks = c.intermediate_size // c.hidden_size
        if _qkv_form.get() != "blocks" or c.intermediate_size % c.hidden_size or blocks == 1:
            return self.ffn_output(self.act(self.ffn(h)))
        w1, b1 = ops.cast(self.ffn.kernel, self.compute_dtype), ops.cast(self.ffn.bias, self.compute_dtype)
        w2 = ops.cast(self.ffn_output.kernel, self.compute_dtype)
        out = ops.cast(self.ffn_output.bias, self.compute_dtype)
        for i in range(0, c.intermediate_size, c.hidden_size):
            part = self.act(ops.matmul(h, w1[:, i:i + c.hidden_size]) + b1[i:i + c.hidden_size])
            out = ops.matmul(part, w2[i:i + c.hidden_size]) + out
        return out

    def _weight(self, variable, shape):
        return ops.reshape(ops.cast(variable, self.compute_dtype), shape)

    def _fused_attention(self, rows, batch, attention_bias):
        """The same attention as one `dot_product_attention` on [b, s, n, d] (no transposes). The bias is
        broadcast to [b, 1, s, s]: JAX's cuDNN kernel refuses a [b, 1, 1, s] one."""
        c = self.config
        q, k, v = ops.split(self._qkv(rows, batch), 3, axis=2)
        seq = ops.shape(q)[1]
        bias = ops.broadcast_to(ops.cast(attention_bias, "float32"), (batch, 1, seq, seq))
        context = ops.dot_product_attention(q, k, v, bias=bias, scale=1.0)  # q is pre-scaled
        return ops.reshape(context, (-1, c.hidden_size))

    def _heads(self, rows, batch):
        """q, k, v as [b, n, s, d]: one transpose and a split of `_qkv`, or (`qkv_form("separate")`) three
        matmuls each transposed into heads."""
        if _qkv_form.get() != "fused":
            c = self.config
            out = []
            for i, p in enumerate((self.query, self.key, self.value)):
                kernel = self._weight(p.kernel, (c.hidden_size, -1))
                bias = self._weight(p.bias, (-1,))
                if i == 0:  # the query pre-scaled, as in `_qkv`
                    kernel, bias = kernel * self.scale, bias * self.scale
                x = ops.matmul(rows, kernel) + bias
                x = ops.reshape(x, (batch, -1, c.num_attention_heads, c.head_size))
                out.append(ops.transpose(x, (0, 2, 1, 3)))
            return out
        return ops.split(ops.transpose(self._qkv(rows, batch), (0, 2, 1, 3)), 3, axis=1)

    def _qkv(self, rows, batch):
        """q|k|v as [b, s, 3 * heads, head_size] from ONE [H, 3H] matmul, the query kernel pre-scaled by
        1/sqrt(head_size). A converter folds the concatenated kernels into one constant, so a TFLite layer
        has 1 FULLY_CONNECTED, 1 TRANSPOSE and no score MUL where it had 3, 3 and 1."""
        c = self.config
        projections = (self.query, self.key, self.value)
        kernels = [self._weight(p.kernel, (c.hidden_size, -1)) for p in projections]
        biases = [self._weight(p.bias, (-1,)) for p in projections]
        kernels[0], biases[0] = kernels[0] * self.scale, biases[0] * self.scale
        qkv = ops.matmul(rows, ops.concatenate(kernels, 1)) + ops.concatenate(biases, 0)
        return ops.reshape(qkv, (batch, -1, 3 * c.num_attention_heads, c.head_size))
