"""Task metrics: one registry from metric name to function, and each task's main metric.

`METRICS[name](gold, predicted, **options)` returns a float or a dict of floats; `TASK_METRICS[task]` lists the
metrics a task reports and `MAIN_METRIC[task]` is the key its model is judged by (the int8 gate, the report).
`evaluate(task, gold, predicted)` runs a task's metrics and returns one flat dict holding every score.
SQuAD scores are percentages (as the official script prints them); every other score is 0-1.
"""
from keras_albert.metrics.correlation import accuracy, mnli_accuracy, pearson, spearman
from keras_albert.metrics.entities import entity_scores
from keras_albert.metrics.multi_label import multi_label_scores
from keras_albert.metrics.squad import squad_scores

METRICS = {
    "accuracy": accuracy,
    "pearson": pearson,
    "spearman": spearman,
    "entities": entity_scores,   # precision, recall, f1, support, per_type
    "squad": squad_scores,       # v1.1: exact_match, f1; v2.0: exact, f1, HasAns_*, NoAns_*, best_*
    "multi_label": multi_label_scores,  # micro_f1, macro_f1, subset_accuracy
}

TASK_METRICS = {
    "question_answering": ("squad",),
    "token_classification": ("entities",),
    "classification": ("accuracy",),
    "pairs": ("accuracy",),
    "regression": ("pearson", "spearman"),
    "multiple_choice": ("accuracy",),
    "multi_label": ("multi_label",),
}

MAIN_METRIC = {
    "question_answering": "f1",
    "token_classification": "f1",
    "classification": "accuracy",
    "pairs": "accuracy",
    "regression": "pearson",
    "multiple_choice": "accuracy",
    "multi_label": "micro_f1",
}


def evaluate(task, gold, predicted, **options):
    """Every metric of `task` on (gold, predicted) -> {score name: value, ..., "main": the main score}.
    `options` go to the metric functions (squad: na_probs; entities: scheme)."""
    if task not in TASK_METRICS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASK_METRICS)}")
    scores = {}
    for name in TASK_METRICS[task]:
        value = METRICS[name](gold, predicted, **options)
        scores.update(value if isinstance(value, dict) else {name: value})
    scores["main"] = scores[MAIN_METRIC[task]]
    return scores


__all__ = ["METRICS", "TASK_METRICS", "MAIN_METRIC", "evaluate", "accuracy", "pearson", "spearman",
           "mnli_accuracy", "entity_scores", "squad_scores",
           "multi_label_scores"]
