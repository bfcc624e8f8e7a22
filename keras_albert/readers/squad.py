"""SQuAD v1.1 / v2.0 JSON -> question records.

A record is {"id", "question", "context", "answers": [(text, start)], "is_impossible"}. Every answer is checked
against its context (`context[start:start + len(text)] == text`): a wrong offset would train the model on the
wrong span, silently. v2.0's `plausible_answers` are ignored (they are not answers). `write_squad` writes records
back as SQuAD JSON (finetune's held-out split, which the int8 gate reads with `read_squad`).
"""
import json
import os

from keras_albert.datasets import skip_or_raise, utf8_lines
from keras_albert.readers import Records


class _Bad(ValueError):
    pass


def read_squad(path, skip_bad_rows=None):
    """All questions of a SQuAD file, in file order (see the module docstring)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    try:
        doc = json.loads("".join(utf8_lines(path)))
    except json.JSONDecodeError as e:
        what = " (question answering reads SQuAD JSON)" if path.lower().endswith((".csv", ".tsv", ".txt")) else ""
        raise ValueError(f"{path}:{e.lineno}: invalid JSON ({e.msg}, column {e.colno}){what}") from None
    articles = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(articles, list):
        raise ValueError(f"{path}: a SQuAD file is an object with a list \"data\"")
    records, skipped, seen = Records(), 0, {}
    for i, article in enumerate(articles):
        paragraphs = _field(path, f"data[{i}]", article, "paragraphs", list)
        for j, paragraph in enumerate(paragraphs):
            where = f"data[{i}].paragraphs[{j}]"
            context = _field(path, where, paragraph, "context", str)
            for k, qa in enumerate(_field(path, where, paragraph, "qas", list)):
                try:
                    record = _question(f"{where}.qas[{k}]", qa, context)
                    if record["id"] in seen:
                        raise _Bad(f"{where}.qas[{k}]: id {record['id']!r} is also {seen[record['id']]}")
                except _Bad as e:
                    skipped += skip_or_raise(path, None, e, skip_bad_rows)
                    continue
                seen[record["id"]] = f"{where}.qas[{k}]"
                records.append(record)
    records.skipped = skipped
    if not records:
        raise ValueError(f"{path}: no questions")
    return records


def _field(path, where, obj, name, kind):
    """A structural field (article, paragraph): missing or mistyped is an error even when skipping rows."""
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, kind):
        raise ValueError(f"{path}: {where}.{name} is missing or not a {kind.__name__}")
    return value


def _question(where, qa, context):
    if not isinstance(qa, dict):
        raise _Bad(f"{where}: not an object")
    for name in ("id", "question"):
        if not isinstance(qa.get(name), str) or not qa[name].strip():
            raise _Bad(f"{where}.{name} is missing or empty")
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise _Bad(f"{where}.is_impossible is {impossible!r}, not true or false")
    answers = qa.get("answers", [])
    if not isinstance(answers, list):
        raise _Bad(f"{where}.answers is not a list")
    if impossible and answers:
        raise _Bad(f"{where} (id {qa['id']!r}) is_impossible but has {len(answers)} answer(s)")
    if not impossible and not answers:
        raise _Bad(f"{where} (id {qa['id']!r}) has no answers and is not marked is_impossible")
    spans = []
    for n, answer in enumerate(answers):
        at = f"{where}.answers[{n}]"
        text = answer.get("text") if isinstance(answer, dict) else None
        start = answer.get("answer_start") if isinstance(answer, dict) else None
        if not isinstance(text, str) or not text:
            raise _Bad(f"{at}.text is missing or empty")
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise _Bad(f"{at}.answer_start is {start!r}, not a character offset")
        found = context[start:start + len(text)]
        if found != text:
            raise _Bad(f"{at} (id {qa['id']!r}): answer {text!r} does not start at character {start} of the "
                       f"context, which has {found!r} there")
        spans.append((text, start))
    return {"id": qa["id"], "question": qa["question"], "context": context, "answers": spans,
            "is_impossible": impossible}


def write_squad(path, records):
    """Question records -> a SQuAD JSON file that `read_squad` reads back as the same records (consecutive
    questions on one context share a paragraph; `is_impossible` is written, so v1.1 data stays v1.1-scored)."""
    paragraphs = []
    for r in records:
        if not paragraphs or paragraphs[-1]["context"] != r["context"]:
            paragraphs.append({"context": r["context"], "qas": []})
        paragraphs[-1]["qas"].append({"id": r["id"], "question": r["question"], "is_impossible": r["is_impossible"],
                                      "answers": [{"text": t, "answer_start": s} for t, s in r["answers"]]})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"version": "heldout", "data": [{"title": "heldout", "paragraphs": paragraphs}]}, f)
