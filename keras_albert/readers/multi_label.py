"""Multi-label text data -> records {"text", "labels": [names], "line"}: JSON lines {"text", "labels": [...]}, or
a .csv/.tsv whose labels column joins the names with a separator ("sports|politics"). An empty list (or an empty
cell) is a valid row: no label applies to that text."""
import os

from keras_albert.datasets import BadRow, skip_or_raise, table_rows
from keras_albert.readers import Records

SEPARATOR = "|"


def read_multi_label(path, text_column="text", labels_column="labels", separator=SEPARATOR, skip_bad_rows=None):
    """The labelled texts of a .jsonl/.csv/.tsv file; a .tsv is read without quoting, as GLUE writes it."""
    path = os.fspath(path)
    if not separator:
        raise ValueError("the labels separator must not be empty")
    records = Records()
    for line, row in table_rows(path, quoting=not path.lower().endswith(".tsv")):
        try:
            if isinstance(row, BadRow):
                raise row
            records.append({"text": _text(row, text_column), "labels": _names(row, labels_column, separator),
                            "line": line})
        except BadRow as e:
            records.skipped += skip_or_raise(path, line, e, skip_bad_rows)
    if not records:
        raise ValueError(f"{path}: no usable rows")
    return records


def _text(row, column):
    value = row.get(column)
    if not isinstance(value, str) or not value.strip():
        raise BadRow(f"text column {column!r} is missing, empty or not text")
    return value


def _names(row, column, separator):
    """A list of names, or one string of names joined by `separator`; duplicates are kept once, in order."""
    if column not in row:
        raise BadRow(f"missing labels column {column!r}")
    value = row[column]
    if isinstance(value, str):
        names = [n.strip() for n in value.split(separator)]
        names = [n for n in names if n]
    elif isinstance(value, list) and all(isinstance(n, (str, int)) and not isinstance(n, bool) for n in value):
        names = [str(n).strip() for n in value]
        if not all(names):
            raise BadRow(f"column {column!r} holds an empty label name")
    else:
        raise BadRow(f"column {column!r} must be a list of label names or names joined by {separator!r}, "
                     f"got {value!r}")
    return list(dict.fromkeys(names))


def label_names(records):
    """The class names of a multi-label training split: every name that occurs, sorted."""
    from keras_albert.datasets import label_names as sort_names
    names = sort_names([n for r in records for n in r["labels"]])
    if not names:
        raise ValueError("no training record has a label: a multi-label classifier needs at least one class")
    return names
