"""Sentence-level scores: accuracy (classes, pairs, multiple choice), Pearson / Spearman (STS-B regression, via
scipy), and MNLI's two numbers (accuracy on the matched and on the mismatched dev file). Scores are in 0-1."""
import numpy as np


def accuracy(gold, predicted):
    gold, predicted = _pair(gold, predicted)
    return float(np.mean(gold == predicted))


def pearson(gold, predicted):
    """Pearson's r; NaN when either side is constant (the correlation is undefined there, not 0)."""
    from scipy import stats
    gold, predicted = _pair(gold, predicted, float)
    if _constant(gold) or _constant(predicted):
        return float("nan")
    return float(stats.pearsonr(gold, predicted)[0])


def spearman(gold, predicted):
    """Spearman's rank correlation; NaN when either side is constant."""
    from scipy import stats
    gold, predicted = _pair(gold, predicted, float)
    if _constant(gold) or _constant(predicted):
        return float("nan")
    return float(stats.spearmanr(gold, predicted)[0])


def mnli_accuracy(matched, mismatched):
    """matched, mismatched: (gold, predicted) of each dev file -> {"matched_accuracy", "mismatched_accuracy"}."""
    return {"matched_accuracy": accuracy(*matched), "mismatched_accuracy": accuracy(*mismatched)}


def _pair(gold, predicted, dtype=None):
    gold, predicted = np.asarray(gold, dtype), np.asarray(predicted, dtype)
    if gold.ndim != 1 or gold.shape != predicted.shape:
        raise ValueError(f"gold and predicted must be two lists of one length, not {gold.shape} and "
                         f"{predicted.shape}")
    if not len(gold):
        raise ValueError("nothing to score: no examples")
    return gold, predicted


def _constant(values):
    return bool(np.all(values == values[0]))
