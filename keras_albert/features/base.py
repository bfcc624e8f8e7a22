"""`Features`: packed model inputs, labels and the gold answers of one split, and its tf.data pipeline.

The batch order comes from `datasets.batch_plan`, a pure function of (seed, epoch), so a resumed run skips
exactly the batches it already trained on; each batch is cut to its longest row (a multiple of 16).
"""
import dataclasses

import numpy as np

from keras_albert.datasets import PAD_MULTIPLE, batch_plan


@dataclasses.dataclass
class Features:
    inputs: dict            # token_ids / segment_ids / padding_mask: int32 [n, (choices,) sequence_length]
    labels: object          # what the loss reads: [n] / [n, 1], [n, sequence_length] per token (-100: ignored),
                            # or a dict of such arrays by output name (question answering: start / end)
    gold: list              # what the task's metric compares predictions with (one entry per example or record)
    decode: callable        # (Features, model outputs [n, ...]) -> predictions in the form of `gold`
    token_labels: bool = False  # labels run along the sequence axis (cut with the inputs)
    extra: dict = dataclasses.field(default_factory=dict)  # what `decode` needs (first piece of each word ...)

    def __len__(self):
        return len(self.inputs["token_ids"])

    @property
    def lengths(self):
        """Tokens of each example (its longest choice): the bucketing key and the batch's padded width."""
        mask = self.inputs["padding_mask"]
        return mask.sum(-1).reshape(len(mask), -1).max(-1)

    def dataset(self, batch_size, epochs=1, seed=0, shuffle=True, bucket=True, skip=0, trim=True, labels=True,
                drop_remainder=False):
        """(inputs, labels) batches over `epochs` epochs, the first `skip` left out; `trim=False` pads every
        batch to the full sequence length (predictions of a whole split then stack); `drop_remainder`: full
        batches only (multi-worker training splits each batch evenly over the replicas)."""
        import tensorflow as tf
        lengths = self.lengths
        plans = [batch_plan(lengths, batch_size, seed, e, shuffle, bucket, drop_remainder) for e in range(epochs)]
        flat = [b for plan in plans for b in plan][skip:]
        if not flat:
            raise ValueError(f"nothing left after skipping {skip} batches")
        index = tf.RaggedTensor.from_row_lengths(np.concatenate(flat).astype(np.int64), [len(b) for b in flat])
        inputs = {k: tf.constant(v) for k, v in self.inputs.items()}
        targets = tf.nest.map_structure(tf.constant, self.labels)
        widths = tf.constant(lengths.astype(np.int64))
        full = self.inputs["token_ids"].shape[-1]

        def load(idx):
            x = {k: tf.gather(v, idx) for k, v in inputs.items()}
            y = tf.nest.map_structure(lambda t: tf.gather(t, idx), targets)
            if trim:
                longest = tf.reduce_max(tf.gather(widths, idx))
                width = tf.minimum(-(-longest // PAD_MULTIPLE) * PAD_MULTIPLE, full)
                x = {k: v[..., :width] for k, v in x.items()}
                y = y[:, :width] if self.token_labels else y
            return (x, y) if labels else x

        ds = tf.data.Dataset.from_tensor_slices(index).map(load, num_parallel_calls=tf.data.AUTOTUNE,
                                                           deterministic=True)
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return ds.with_options(options).prefetch(tf.data.AUTOTUNE)

    def predict(self, model, batch_size=64, local=False):
        """The model's outputs on every example, in record order, then `decode`d to the form of `gold`.
        `local`: call the model batch by batch in this process (under MultiWorkerMirroredStrategy every worker
        scores the whole split itself: identical weights, no collectives)."""
        ds = self.dataset(batch_size, shuffle=False, bucket=False, trim=False, labels=False)
        if not local:
            return self.decode(self, model.predict(ds, verbose=0))
        import tensorflow as tf
        parts = [tf.nest.map_structure(np.asarray, model(x, training=False)) for x in ds]
        return self.decode(self, tf.nest.map_structure(lambda *a: np.concatenate(a), *parts))


def packed_pairs(tokenizer, firsts, seconds, sequence_length, chunk=2048):
    """[CLS] A [SEP] B [SEP] of each pair through the one packer (AlbertPreprocessor), as int32 numpy arrays."""
    from keras_albert.preprocessor import AlbertPreprocessor
    tokenizer.tf_tokenizer  # built eagerly once
    pack = AlbertPreprocessor(tokenizer, sequence_length)
    parts = [pack(list(firsts[i:i + chunk]), None if seconds is None else list(seconds[i:i + chunk]))
             for i in range(0, len(firsts), chunk)]
    return {k: np.concatenate([p[k].numpy() for p in parts]).astype(np.int32) for k in parts[0]}
