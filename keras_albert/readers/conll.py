"""Token-tagging data -> sentence records {"tokens", "tags", "line"}.

Two formats: CoNLL-2003 style text (one `token ... tag` line per token, the LAST column is the tag, a blank
line between sentences, `-DOCSTART-` lines skipped) and JSON lines `{"tokens": [...], "tags": [...]}` (.jsonl).
"""
import os

from keras_albert.datasets import BadRow, jsonl_rows, skip_or_raise, utf8_lines
from keras_albert.readers import Records


def read_conll(path, skip_bad_rows=None, tokens_field="tokens", tags_field="tags"):
    """The sentences of a CoNLL text file or a .jsonl file (by extension); `line` is where each starts."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    if path.lower().endswith(".jsonl"):
        rows = _jsonl_sentences(path, tokens_field, tags_field)
    else:
        rows = _text_sentences(path)
    records = Records()
    for line, row in rows:
        if isinstance(row, BadRow):
            records.skipped += skip_or_raise(path, line, row, skip_bad_rows)
        else:
            records.append(row)
    if not records:
        raise ValueError(f"{path}: no sentences")
    return records


def label_list(records):
    """The tags of the records as class names: "O" first, then sorted (so entity types group together)."""
    tags = {t for r in records for t in r["tags"]}
    return (["O"] if "O" in tags else []) + sorted(tags - {"O"})


def _text_sentences(path):
    """(line, sentence or BadRow): a sentence with a bad line is one bad row, named by that line."""
    tokens, tags, start, bad = [], [], None, None
    for number, text in enumerate(utf8_lines(path), 1):
        fields = text.split()
        if not fields or fields[0] == "-DOCSTART-":
            if start is not None:
                yield bad or (start, {"tokens": tokens, "tags": tags, "line": start})
            tokens, tags, start, bad = [], [], None, None
            continue
        start = start or number
        if len(fields) < 2:
            bad = bad or (number, BadRow(f"{fields[0]!r} alone: expected a token and its tag, the tag last"))
            continue
        tokens.append(fields[0])
        tags.append(fields[-1])
    if start is not None:
        yield bad or (start, {"tokens": tokens, "tags": tags, "line": start})


def _jsonl_sentences(path, tokens_field, tags_field):
    for line, row in jsonl_rows(path):
        if not isinstance(row, BadRow):
            row = _sentence(row, tokens_field, tags_field, line)
        yield line, row


def _sentence(row, tokens_field, tags_field, line):
    values = []
    for name in (tokens_field, tags_field):
        value = row.get(name)
        if not isinstance(value, list) or not value:
            return BadRow(f"{name!r} is missing or not a non-empty list")
        if not all(isinstance(v, str) and v.strip() for v in value):
            return BadRow(f"{name!r} must hold non-empty strings (tag names, not ids)")
        values.append(value)
    if len(values[0]) != len(values[1]):
        return BadRow(f"{len(values[0])} tokens but {len(values[1])} tags")
    return {"tokens": values[0], "tags": values[1], "line": line}
