"""The training report: loss/accuracy curves and a confusion matrix, as PNGs plus report.json and report.md."""
import json
import os

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    m = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m


def scores(matrix):
    """accuracy and macro F1 from a confusion matrix (rows: true class, columns: predicted)."""
    matrix = np.asarray(matrix, np.float64)
    tp = np.diag(matrix)
    precision = np.divide(tp, matrix.sum(0), out=np.zeros_like(tp), where=matrix.sum(0) > 0)
    recall = np.divide(tp, matrix.sum(1), out=np.zeros_like(tp), where=matrix.sum(1) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(tp), where=precision + recall > 0)
    return {"accuracy": float(tp.sum() / max(matrix.sum(), 1)), "f1": float(f1.mean())}


def write_report(out_dir, history, matrix, labels, extra=None, metric="accuracy"):
    """training_curves.png (loss and the task's main `metric` per epoch), confusion_matrix.png (when there is a
    validation `matrix`), report.json and report.md (the same numbers for people)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, name in zip(axes, ("loss", metric)):
        for key in (name, f"val_{name}"):
            if key in history:
                ax.plot(range(1, len(history[key]) + 1), history[key], marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "training_curves.png"), dpi=100)
    plt.close(fig)

    report = {"history": history, "labels": list(labels), **(extra or {})}
    if matrix is not None:
        _plot_matrix(out_dir, matrix, labels, plt)
        report.update(confusion_matrix=np.asarray(matrix).tolist(), **scores(matrix))
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    from keras_albert.training.report_md import write_markdown
    write_markdown(out_dir, report)
    return report


def _plot_matrix(out_dir, matrix, labels, plt):
    fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 2, 1.2 * len(labels) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(j, i, str(n), ha="center", va="center", color="black")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "confusion_matrix.png"), dpi=100)
    plt.close(fig)
