"""Sentence-pair data (GLUE style: MNLI, QNLI, RTE, MRPC, QQP, STS-B) -> records {"text", "text_pair", "label",
"line"}, the fields of the held-out files (`datasets.write_heldout`).

A TSV is read as GLUE writes it, without quoting (MNLI has sentences that begin with `"`); the columns are found
by their common GLUE / Hugging Face names unless the caller names them. A class label stays a string (see
`datasets.label_names`); a regression label (STS-B `score`) must be a finite number.
"""
import csv
import math
import os

from keras_albert.datasets import BadRow, read_table, skip_or_raise, table_rows, utf8_lines
from keras_albert.readers import Records

TEXT_COLUMNS = (("sentence1", "sentence2"), ("premise", "hypothesis"), ("question", "sentence"),
                ("question1", "question2"), ("#1 String", "#2 String"), ("text", "text_pair"), ("text_a", "text_b"))
LABEL_COLUMNS = ("gold_label", "label", "is_duplicate", "score", "Quality")
REGRESSION_COLUMNS = ("score",)


def read_pairs(path, text_columns=None, label_column=None, regression=None, skip_bad_rows=None, quoting=None):
    """The labelled pairs of a .tsv/.csv/.jsonl file. `regression=None` means: when the label column is a
    regression column by name (`score`); `quoting=None` means: off for .tsv, on for .csv."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    if quoting is None:
        quoting = not path.lower().endswith(".tsv")
    if text_columns is None or label_column is None:
        text_columns, label_column = detect_columns(path, quoting, text_columns, label_column)
    if len(text_columns) != 2:
        raise ValueError(f"{path}: name two text columns for pairs, not {len(text_columns)}")
    if regression is None:
        regression = label_column in REGRESSION_COLUMNS
    table = read_table(path, text_columns, label_column, skip_bad_rows, quoting)
    records = Records(skipped=table.skipped)
    for (text, pair), label, line in zip(table.texts, table.labels, table.lines):
        if regression:
            try:
                label = _number(label, label_column)
            except BadRow as e:
                records.skipped += skip_or_raise(path, line, e, skip_bad_rows)
                continue
        records.append({"text": text, "text_pair": pair, "label": label, "line": line})
    if not records:
        raise ValueError(f"{path}: no usable rows")
    return records


def detect_columns(path, quoting=True, texts=None, label=None):
    """((first text, second text), label) column names from the header (a .jsonl: the first object's keys);
    the ones given are kept."""
    names = _column_names(path, quoting)
    texts = texts or next((pair for pair in TEXT_COLUMNS if all(n in names for n in pair)), None)
    label = label or next((n for n in LABEL_COLUMNS if n in names), None)
    if texts is None or label is None:
        raise ValueError(f"{path}: cannot tell the {'text' if texts is None else 'label'} columns from "
                         f"{', '.join(map(repr, names))}; name them (text columns, label column)")
    return texts, label


def _column_names(path, quoting):
    ext = os.path.splitext(path)[1].lower()
    if ext in (".csv", ".tsv"):
        lines = utf8_lines(path)
        first = next(lines, "")
        lines.close()
        dialect = {"delimiter": "\t" if ext == ".tsv" else ","}
        names = next(csv.reader([first], **dialect, **({} if quoting else {"quoting": csv.QUOTE_NONE})), [])
    else:
        names = next((row.keys() for _, row in table_rows(path, quoting) if isinstance(row, dict)), [])
    if not names:
        raise ValueError(f"{path}: no header or rows to find the columns in")
    return list(names)


def _number(raw, column):
    try:
        value = float(raw)
    except ValueError:
        raise BadRow(f"label column {column!r} is {raw!r}, not a number (regression)") from None
    if not math.isfinite(value):
        raise BadRow(f"label column {column!r} is {raw!r}, not a finite number")
    return value
