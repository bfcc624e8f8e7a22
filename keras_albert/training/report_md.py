"""report.md: the training report (report.json) as Markdown for people: the task's metrics per epoch, the best
model's validation and test scores with the bag-of-words baseline beside them where one was trained, the
confusion matrix of classes, and the plots."""
import math
import os

SKIP = {"history", "labels", "confusion_matrix", "validation", "test", "baseline", "task", "main_metric", "steps",
        "best_epoch", "accuracy", "f1"}


def write_markdown(out_dir, report):
    path = os.path.join(out_dir, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(markdown(report))
    return path


def markdown(report):
    metric, history = report.get("main_metric", "accuracy"), report.get("history", {})
    best = report.get("best_epoch")
    epochs = max((len(v) for v in history.values()), default=0)
    lines = [f"# Fine-tuning report: {report.get('task', 'classification')}", ""]
    summary = [f"Main metric: **{metric}**"]
    if best is not None:
        summary.append(f"best epoch {best + 1} of {epochs} (by validation {metric} when there is a validation split)")
    if report.get("steps"):
        summary.append(f"{report['steps']} optimizer steps")
    summary += [f"{k.replace('_', ' ')}: {report[k]}" for k in report if k not in SKIP and _plain(report[k])]
    lines += ["; ".join(summary) + ".", ""]

    if epochs:
        keys = _history_keys(history)
        lines += ["## Per epoch", "", _row(["epoch", *keys]), _row(["---:"] * (len(keys) + 1))]
        for e in range(epochs):
            label = f"{e + 1} (best)" if e == best else str(e + 1)
            lines.append(_row([label, *(_num(history[k][e]) if e < len(history[k]) else "" for k in keys)]))
        lines.append("")

    baseline = report.get("baseline") or {}
    for title, scores, with_baseline in (("Validation (best epoch)", report.get("validation"), False),
                                         ("Test", report.get("test"), True)):
        scores = {k: v for k, v in (scores or {}).items() if _number(v) and k != "main"}  # main: a copy
        if not scores:
            continue
        shown = with_baseline and any(k in baseline for k in scores)
        header = ["metric", "model"] + ([f"baseline ({baseline.get('model', 'bag of words')})"] if shown else [])
        lines += [f"## {title}", "", _row(header), _row(["---"] + ["---:"] * (len(header) - 1))]
        for k, v in scores.items():
            name = f"**{k}**" if k == metric else k
            lines.append(_row([name, _num(v)] + ([_num(baseline[k]) if k in baseline else ""] if shown else [])))
        lines.append("")
    if "not_trained" in baseline:
        lines += [f"Baseline not trained: {baseline['not_trained']}", ""]

    matrix, labels = report.get("confusion_matrix"), report.get("labels") or []
    if matrix is not None and len(labels) == len(matrix):
        lines += ["## Confusion matrix (validation; rows: true, columns: predicted)", "",
                  _row(["", *labels]), _row(["---"] + ["---:"] * len(labels))]
        lines += [_row([labels[i], *map(str, row)]) for i, row in enumerate(matrix)]
        lines += ["", "![confusion matrix](confusion_matrix.png)", ""]
    lines += ["![training curves](training_curves.png)", ""]
    return "\n".join(lines)


def _history_keys(history):
    """loss first, then each log with its validation twin beside it (val_f1 after f1)."""
    bases = list(dict.fromkeys(k[4:] if k.startswith("val_") else k for k in history))
    bases.sort(key=lambda b: b != "loss")
    return [k for b in bases for k in (b, f"val_{b}") if k in history]


def _row(cells):
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _plain(v):
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def _num(v):
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return str(v) if isinstance(v, int) else f"{v:.4f}"
