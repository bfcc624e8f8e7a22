"""Checks a fine-tuning run's report.md against its report.json: the same per-epoch logs (the task's own
metrics), the best epoch, and the validation / test scores with the baseline beside the test scores."""
import json
import math
import os


def tables(text):
    """{section title: [[cell, ...] per row]} of the Markdown tables under each `## ` heading."""
    found, title = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:]
            found[title] = []
        elif line.startswith("|") and title is not None and not set(line) <= set("|-: "):
            found[title].append([c.strip() for c in line.strip("|").split(" | ")])
    return found


def same(cell, value):
    if isinstance(value, float) and math.isnan(value):
        return cell == "nan"
    return abs(float(cell) - value) <= 5e-5 * max(1.0, abs(value))


def check_report_md(out):
    report = json.load(open(os.path.join(out, "report.json")))
    text = open(os.path.join(out, "report.md"), encoding="utf-8").read()
    metric, history = report["main_metric"], report["history"]
    assert text.startswith(f"# Fine-tuning report: {report['task']}\n") and f"Main metric: **{metric}**" in text
    t = tables(text)
    header, *rows = t["Per epoch"]
    assert header[0] == "epoch" and set(header[1:]) == set(history) and header[1] == "loss"
    assert f"val_{metric}" in header or metric in header  # the task's own metric, every epoch
    assert len(rows) == len(history["loss"])
    for e, row in enumerate(rows):
        assert row[0] == (f"{e + 1} (best)" if e == report["best_epoch"] else str(e + 1))
        for key, cell in zip(header[1:], row[1:]):
            assert same(cell, history[key][e]), (key, e, cell, history[key][e])
    for title, part in (("Validation (best epoch)", "validation"), ("Test", "test")):
        if not report.get(part):
            assert title not in t
            continue
        header, *rows = t[title]
        scores = {r[0].strip("*"): r for r in rows}
        assert set(scores) == {k for k, v in report[part].items() if isinstance(v, (int, float)) and k != "main"}
        assert scores[metric][0] == f"**{metric}**"
        baseline = report.get("baseline") or {}
        for k, row in scores.items():
            assert same(row[1], report[part][k])
            if part == "test" and k in baseline:
                assert header[2] == f"baseline ({baseline['model']})" and same(row[2], baseline[k])
    if report.get("confusion_matrix"):
        _, *rows = t["Confusion matrix (validation; rows: true, columns: predicted)"]
        assert [[int(c) for c in r[1:]] for r in rows] == report["confusion_matrix"]
    return text
