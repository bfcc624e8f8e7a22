"""Multiple-choice reading comprehension (RACE style JSON lines) -> records {"article", "question", "options",
"label", "line"}, `label` the index of the answer letter ("A" -> 0).

Every question of a file has the same number of options: the model scores [batch, choices, seq] tensors, so
a ragged file is an error (naming the first line that differs), not a silent padding.
"""
import json
import os

from keras_albert.datasets import BadRow, jsonl_rows, skip_or_raise
from keras_albert.readers import Records


def read_race(path, skip_bad_rows=None):
    """The questions of a RACE-style .jsonl file: {"article", "question", "options": [...], "answer": "A"}."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    if path.lower().endswith((".csv", ".tsv")):  # each row would be an "invalid JSON" bad row
        raise ValueError(f"{path}: multiple choice reads RACE-style JSON lines (.jsonl: article, question, options, "
                         "answer), not a table")
    records, first = Records(), None
    for line, row in jsonl_rows(path):
        try:
            if isinstance(row, BadRow):
                raise row
            record = _question(row, line)
        except BadRow as e:
            records.skipped += skip_or_raise(path, line, e, skip_bad_rows)
            continue
        if first is None:
            first = record
        elif len(record["options"]) != len(first["options"]):
            raise ValueError(f"{path}:{line}: {len(record['options'])} options, but line {first['line']} has "
                             f"{len(first['options'])}; every question of a file needs the same number")
        records.append(record)
    if not records:
        raise ValueError(f"{path}: no usable rows")
    return records


def _question(row, line):
    for name in ("article", "question"):
        if not isinstance(row.get(name), str) or not row[name].strip():
            raise BadRow(f"{name!r} is missing or empty")
    options = row.get("options")
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
        raise BadRow("'options' must be a list of at least two strings")
    answer = row.get("answer")
    letters = "".join(chr(ord("A") + i) for i in range(len(options)))
    if not isinstance(answer, str) or len(answer.strip()) != 1 or answer.strip().upper() not in letters:
        raise BadRow(f"answer {answer!r} is not one of the letters {', '.join(letters)} ({len(options)} options)")
    return {"article": row["article"], "question": row["question"], "options": options,
            "label": letters.index(answer.strip().upper()), "line": line}


def race_item(record):
    """A RACE question ({"article", "question", "options"}: a record or a raw line) as the `multiple-choice`
    pipeline's input {"context", "question", "choices"}; an absent article or question stays absent."""
    named = {"context": "article", "question": "question"}
    return {**{k: record[name] for k, name in named.items() if name in record}, "choices": record["options"]}


def write_race(path, records):
    """Records back to RACE-style JSON lines (the answer as its letter): the held-out split `finetune` records,
    which `read_race` (the int8 gate of an exported model) reads again."""
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({"article": r["article"], "question": r["question"], "options": list(r["options"]),
                                "answer": chr(ord("A") + int(r["label"]))}, ensure_ascii=False) + "\n")
