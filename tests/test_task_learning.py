"""bench/task_learning.py: the section shows each start's score per task and replaces only its own section."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.task_learning import markdown, pretraining, put_section  # noqa: E402


def _run(test, val, seconds):
    return {"metric": "accuracy", "test": test, "validation": val, "history": [val - 0.1, val], "seconds": seconds,
            "command": "keras-albert finetune --task pair_classification --model INIT"}


def _results():
    return {"pair_classification": {
        "runs": {"pretrained": _run(0.71, 0.69, 100), "random": _run(0.52, 0.5, 80)}, "examples": 2000, "seq": 96, "epochs": 4,
        "data": "/x/pairs.tsv", "chance": 0.5, "chance_is": "majority class", "baseline": 0.55}}


def test_markdown_has_a_column_per_start():
    text = markdown(_results(), "Two starts.", "Some CPU", "2026-01-01", "python bench/task_learning.py OUT")
    header = next(line for line in text.splitlines() if line.startswith("| task"))
    assert "pretrained test | random test | pretrained val | random val" in header
    row = next(line for line in text.splitlines() if line.startswith("| pair_classification"))
    assert row.startswith("| pair_classification | 2000 | 96 | 4 | accuracy |")
    assert "**0.710** | **0.520** | 0.690 | 0.500" in row and "| 0.550 |" in row and "100 + 80" in row
    assert row.count("|") == header.count("|")
    assert "3 minutes for the whole table" in text and "Some CPU" in text


def test_put_section_replaces_only_its_section(tmp_path):
    path = tmp_path / "B.md"
    path.write_text("# Bench\n\n## Learning every task\nold numbers\n\n## GPU training\nkept\n")
    put_section(str(path), "## Learning every task\nnew numbers\n")
    text = path.read_text()
    assert "old numbers" not in text and "new numbers" in text and "## GPU training\nkept" in text
    assert text.count("## Learning every task") == 1
    assert text.index("new numbers") < text.index("## GPU training")  # in place: the order of sections is kept
    path.write_text("# Bench\n")
    put_section(str(path), "## Learning every task\nfirst\n")
    assert path.read_text() == "# Bench\n\n## Learning every task\nfirst\n"


def test_pretrained_start_is_described_by_its_pretraining_run(tmp_path):
    assert pretraining(str(tmp_path)) == f"the checkpoint `{tmp_path}`"
    (tmp_path / "pretrain_run.json").write_text(
        '{"command": "keras-albert pretrain --corpus imdb --steps 9000", "seconds": 2460.0, "machine": "x86_64"}')
    text = pretraining(str(tmp_path))
    assert "`keras-albert pretrain --corpus imdb --steps 9000`" in text and "41 minutes on x86_64" in text


def test_a_task_model_as_init_is_named_an_intermediate_task_start(tmp_path):
    (tmp_path / "report.json").write_text(json.dumps(
        {"task": "question_answering", "main_metric": "f1", "test": {"f1": 86.29, "exact_match": 70.3}}))
    text = pretraining(str(tmp_path))
    assert "fine-tuned question_answering model (test f1 86.290)" in text and "intermediate-task" in text
