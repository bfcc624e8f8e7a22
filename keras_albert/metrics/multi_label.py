"""Multi-label scores from multi-hot rows (scikit-learn): micro and macro F1, and subset accuracy (the share of
examples whose whole label set is right). Scores are in 0-1."""
import numpy as np


def multi_label_scores(gold, predicted):
    from sklearn.metrics import accuracy_score, f1_score
    gold, predicted = np.asarray(gold, np.int64), np.asarray(predicted, np.int64)
    if gold.ndim != 2 or gold.shape != predicted.shape:
        raise ValueError(f"multi-label scores need multi-hot rows of one shape, got {gold.shape} and "
                         f"{predicted.shape}")
    if not len(gold):
        raise ValueError("no examples to score")
    return {"micro_f1": float(f1_score(gold, predicted, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
            "subset_accuracy": float(accuracy_score(gold, predicted))}
