"""The int8 gate: each int8 variant against the float model, on the held-out data of THIS model, by ITS labels,
scored by the task's own metric (accuracy, SQuAD F1, entity F1: the task's `Gate` in keras_albert_export.tasks).

A score on someone else's data and labels means nothing (a 3-class model scored on Rotten Tomatoes' two
labels still "passes"), so the data is the held-out split the model was fine-tuned with (`heldout.jsonl` in
its directory; question answering: `heldout.json`) or a file the user names; a label the model does not have
is an error, and with neither the gate refuses to run rather than guess.
"""
import os

DEFAULT_MAX_DROP = 1.0


def heldout(model_dir, labels, data=None, text_columns=None, label_column="label", limit=None):
    """-> (texts, label ids, source) of the gate's sentences.

    `data`: a .csv/.tsv/.jsonl file (the finetune formats), or `rotten_tomatoes` / `imdb` (their test split);
    default the model directory's heldout.jsonl. `labels`: the model's class names (labels.txt)."""
    from keras_albert.data import LABEL_NAMES, SOURCES, splits
    from keras_albert.datasets import read_heldout, read_table
    from keras_albert.model_dir import HELDOUT

    if data in SOURCES:
        texts, ids = splits(data)["test"]
        source, raw = f"the {data} test split", [LABEL_NAMES[i] for i in ids]
    else:
        path = data or os.path.join(model_dir, HELDOUT)
        if data is None and not os.path.isfile(path):
            raise ValueError(
                f"{model_dir} has no {HELDOUT} (the held-out split `keras-albert finetune` records), so int8 "
                "cannot be checked against float on this model's own data: pass --data FILE (.csv/.tsv/.jsonl "
                "with text and label columns, the model's label names), or --no-gate to export unchecked")
        if data is None:
            (texts, raw), source = read_heldout(path), f"the model's {HELDOUT}"
        else:
            table = read_table(path, tuple(text_columns or ("text",)), label_column)
            texts, raw, source = table.texts, table.labels, data
    index = {name: i for i, name in enumerate(labels)}
    unknown = sorted({x for x in raw if x not in index})
    if unknown:
        raise ValueError(f"{source}: label {unknown[0]!r} is not one of the model's labels ({', '.join(labels)})"
                         + (f"; {len(unknown) - 1} more unknown" if len(unknown) > 1 else ""))
    texts, raw = texts[:limit], raw[:limit]
    return list(texts), [index[x] for x in raw], source


def records(task, model_dir, labels, data=None, text_columns=None, label_column="label", limit=None):
    """-> (the first `limit` held-out records of an export task, source in words): `data`, else the model
    directory's held-out split; without either, one line refusing to gate by guess."""
    g = task.gate
    check_heldout(task, model_dir, data)
    path = data or os.path.join(model_dir, g.heldout)
    found = list(g.read(path, labels, data is None, text_columns, label_column))[:limit]
    source = f"the model's {g.heldout}" if data is None else data
    if not found:
        raise ValueError(f"{source}: the held-out set is empty: the int8 gate needs at least one of its {g.unit}")
    return found, source


def check_heldout(task, model_dir, data=None):
    """One line refusing to gate by guess when neither `data` nor the model directory's held-out split is there,
    or when `data` names a built-in set (single-label sentiment) this task's gate cannot score."""
    from keras_albert.data import SOURCES
    g = task.gate
    if data in SOURCES and data not in g.sources and not os.path.exists(data):
        raise ValueError(
            f"--data {data}: the built-in {data} set is single-label sentiment (text, positive/negative) and cannot "
            f"check a {task.name} model; pass --data FILE ({g.formats}), or the model directory's {g.heldout}")
    if data is None and not os.path.isfile(os.path.join(model_dir, g.heldout)):
        raise ValueError(
            f"{model_dir} has no {g.heldout} (the held-out split `keras-albert finetune` records), so int8 cannot "
            f"be checked against float on this model's own data: pass --data FILE ({g.formats}), or --no-gate to "
            "export unchecked")


def has_heldout(task, model_dir):
    """Whether the model directory holds its task's held-out split (then measured even when not gated)."""
    return task.gate is not None and os.path.isfile(os.path.join(model_dir, task.gate.heldout))


def check_max_drop(points):
    if not 0 <= points <= 100:
        raise ValueError("--max-metric-drop/--max-accuracy-drop must be between 0 and 100 points of the task's "
                         f"metric, got {points:g}")
    return points


def drops(report):
    """{int8 variant: points of the main metric lost against the Keras float model (negative: gained)}."""
    main = report.get("main_metric", "accuracy")
    if report.get("keras", {}).get(main) is None:
        return {}
    base = report["keras"][main]
    return {v: round(base - r[main], 2) for v, r in report["variants"].items() if "int8" in v}


def failures(report, max_drop):
    """The int8 variants that lost more than `max_drop` points."""
    return {v: d for v, d in drops(report).items() if d > max_drop}


def describe(variant, points):
    """'full_int8 lost 0.50 points' / 'gained 0.30 points' / 'matched float': the sign in words."""
    if points > 0:
        return f"{variant} lost {points:.2f} points"
    return f"{variant} gained {-points:.2f} points" if points < 0 else f"{variant} matched float"


REJECTED_NOTE = "REJECTED.txt"


class GateFailed(Exception):
    """An int8 variant lost more of the task's metric than allowed; the export was moved aside (`rejected`)."""

    def __init__(self, message, rejected):
        super().__init__(message)
        self.rejected = rejected


def rejected_path(out):
    """Where a failed export goes: beside `out`, named so nobody mistakes it for the deliverable."""
    return os.path.normpath(os.path.abspath(os.fspath(out))) + ".rejected"


def check_rejected_path(out):
    """Before any work: `OUT.rejected` may be replaced only if an earlier failed gate wrote it."""
    path = rejected_path(out)
    if os.path.exists(path) and not os.path.isfile(os.path.join(path, REJECTED_NOTE)) and (
            not os.path.isdir(path) or os.listdir(path)):
        raise FileExistsError(f"{path} exists and was not written by a failed export; move it away (a failed "
                              "int8 gate puts its files there)")
    return path


def reject(staging, out, message):
    """Move the finished-but-failed staging folder to `OUT.rejected` with a note; returns GateFailed."""
    from keras_albert.staging import publish
    with open(os.path.join(staging, REJECTED_NOTE), "w", encoding="utf-8") as f:
        f.write(f"NOT FOR SHIPPING. {message}\n")
    path = publish(staging, check_rejected_path(out), overwrite=True)
    return GateFailed(f"{message}; {out} was not written (nothing shippable): the rejected files are in {path}", path)


def failure_message(report):
    """One line: which int8 variants lost how much of which metric, on how many examples, against what margin."""
    gate = report["gate"]
    found = drops(report)
    return (f"int8 lost too much {report.get('main_metric', 'accuracy')} against float: "
            + ", ".join(describe(v, found[v]) for v in gate["failed"])
            + f" on {report['test_sentences']} held-out {report.get('unit', 'sentences')} "
            f"(allowed {gate['max_drop']:g})")
