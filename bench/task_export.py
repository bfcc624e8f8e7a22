"""Do the int8 exports keep what a task model learned? Each variant scored on the task's own held-out metric.

Every variant of `keras-albert export`, scored on the task's own metric over the model's held-out split.

For each model directory (a `keras-albert finetune` output, e.g. bench/task_learning.py's OUT/START/TASK): one
`keras-albert export DIR --out OUT/TASK --variants float32,dynamic_int8,full_int8 --no-gate` (a subprocess, the
command line as a user runs it; --no-gate so a variant that would fail the 1-point gate is still measured), then
a table of the Keras float score, each variant's score, its agreement with Keras (the gate's own measure: same
label, same span, same entities, within 0.01 of the score) and its file size, as the export report has them.
    python bench/task_export.py OUT MODEL_DIR [MODEL_DIR ...] [--limit N]
(writes OUT/task_export.md: the section BENCHMARKS.md keeps)
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_albert_export.cpu import cpu_kind  # noqa: E402

VARIANTS = ("float32", "dynamic_int8", "full_int8")
HEADING = "### int8 exports of the learned task models"


def export(model_dir, out, limit):
    """One `keras-albert export` run (skipped when OUT already has its report) -> (report, seconds, argv)."""
    argv = ["keras-albert", "export", model_dir, "--out", out, "--variants", ",".join(VARIANTS), "--no-gate"]
    if limit:
        argv += ["--limit", str(limit)]
    start = time.time()
    if not os.path.exists(os.path.join(out, "report.json")):
        subprocess.run([sys.executable, "-m", "keras_albert_cli", *argv[1:], "--overwrite"], check=True)
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f), round(time.time() - start), argv


def row(name, report, trained):
    """One markdown row: the task (`name`: the finetune task, a pair classifier's included), its held-out set,
    Keras' score and each variant's score (agreement, MB)."""
    main = report["main_metric"]
    cells = [f"{name} ({trained})", f"{report['test_examples']:,} {report.get('unit', 'sentences')}",
             main, f"{report['keras'][main]:.2f}"]
    for variant in VARIANTS:
        r = report["variants"][variant]
        cells.append(f"{r[main]:.2f} ({r['agreement_with_keras']:.2f}%, {r['size_mb']:.2f} MB)")
    return "| " + " | ".join(cells) + " |"


def trained_as(model_dir):
    """How the model was trained, from its finetune report: its test score on the main metric."""
    path = os.path.join(model_dir, "report.json")
    if not os.path.exists(path):
        return "no finetune report"
    run = json.load(open(path))
    metric = run["main_metric"]
    return f"finetune test {metric} {run['test'][metric]:.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="a folder for the exports (one subfolder per task) and task_export.md")
    parser.add_argument("model_dirs", nargs="+", metavar="MODEL_DIR", help="a fine-tuned task model directory")
    parser.add_argument("--limit", type=int, help="score only the first N held-out examples of each task")
    args = parser.parse_args()
    missing = [d for d in args.model_dirs if not os.path.exists(os.path.join(d, "model.keras"))]
    if missing:
        parser.error(f"not a model directory (no model.keras): {missing[0]}")
    cpu, rows, runs = cpu_kind(), [], []
    for model_dir in args.model_dirs:
        task = os.path.basename(os.path.normpath(model_dir))
        report, seconds, argv = export(model_dir, os.path.join(args.out, task), args.limit)
        rows.append(row(task, report, trained_as(model_dir)))
        runs.append(f"{task} {seconds} s")
        print(rows[-1], flush=True)
    # (the folders by their last two parts, bench/task_learning.py's START/TASK: no machine's paths in the record)
    command = "python bench/task_export.py OUT " + " ".join(
        "LEARNED/" + "/".join(os.path.normpath(d).split(os.sep)[-2:]) for d in args.model_dirs)
    command += f" --limit {args.limit}" if args.limit else ""
    section = "\n".join([
        HEADING,
        f"`{command}` ({datetime.date.today().isoformat()}, {cpu}): each model exported by `keras-albert export "
        f"MODEL_DIR --out OUT --variants {','.join(VARIANTS)} --no-gate` and scored on its held-out (test) split "
        "by the export's own gate, each file run as a device runs it (batch 1, through its runtime); cells are the "
        "task's main metric in % (points), then the agreement with the Keras model and the file size. Export "
        f"times: {', '.join(runs)}.", "",
        "| task (model) | held-out | metric | Keras float | " + " | ".join(VARIANTS) + " |",
        "|---|---|---|---|" + "---|" * len(VARIANTS), *rows, ""])
    with open(os.path.join(args.out, "task_export.md"), "w") as f:
        f.write(section)
    print(section)


if __name__ == "__main__":
    main()
