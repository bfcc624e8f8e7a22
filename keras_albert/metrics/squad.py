"""SQuAD exact match and F1, as the official v1.1 and v2.0 evaluation scripts compute them.

Scores are percentages (0-100), as the official scripts print them and papers report them. An answer is
normalized before comparing (lowercase, punctuation and the articles a/an/the removed, whitespace collapsed);
a question scores the best over its gold answers. v2.0: the empty prediction means "no answer"; with per-question
null odds (`na_probs`, higher = more sure there is no answer) the best threshold is chosen on the data, as the v2.0
script's `--na-prob-file` does.
"""
import collections
import re
import string

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text):
    """Lowercase, drop punctuation, drop the articles a/an/the, collapse whitespace (in the official order)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact(gold, prediction):
    return int(normalize_answer(gold) == normalize_answer(prediction))


def f1(gold, prediction, v2=True):
    """Token-overlap F1 of the normalized answers. An empty side: v2.0 scores 1 when both are empty (both say
    "no answer"), v1.1 scores 0 (nothing in common)."""
    gold_tokens, pred_tokens = normalize_answer(gold).split(), normalize_answer(prediction).split()
    if not gold_tokens or not pred_tokens:
        return float(v2 and gold_tokens == pred_tokens)
    same = sum((collections.Counter(gold_tokens) & collections.Counter(pred_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_scores(records, predictions, na_probs=None, na_prob_thresh=1.0):
    """records: the reader's question records; predictions: {id: answer text ("" = no answer)}.

    v1.1 data (no impossible question, no `na_probs`) -> {"exact_match", "f1"}, the v1.1 script's keys.
    A question without a prediction is an error (the v1.1 script scores it 0, the v2.0 one leaves it out).
    Otherwise -> the v2.0 script's dict: exact, f1, total, HasAns_*/NoAns_* and, with `na_probs`, best_exact,
    best_exact_thresh, best_f1, best_f1_thresh. A question whose null odds exceed `na_prob_thresh` counts as
    answered "no answer" (the script's `--na-prob-thresh`, default 1.0).
    """
    golds = {r["id"]: [text for text, _ in r["answers"]] for r in records}
    if not golds:
        raise ValueError("no questions to score")
    missing = [qid for qid in golds if qid not in predictions]
    if missing:
        raise ValueError(f"no prediction for {len(missing)} question(s), e.g. id {missing[0]!r}")
    wrong = [qid for qid in golds if not isinstance(predictions[qid], str)]
    if wrong:
        raise ValueError(f"the prediction for id {wrong[0]!r} is {predictions[wrong[0]]!r}, not text "
                         "(\"\" means no answer)")
    if na_probs is not None:
        absent = [qid for qid in golds if qid not in na_probs]
        if absent:
            raise ValueError(f"no null odds for {len(absent)} question(s), e.g. id {absent[0]!r}")
    v2 = na_probs is not None or any(r["is_impossible"] for r in records)
    exact_raw, f1_raw = _raw_scores(golds, predictions, v2)
    if not v2:
        return {"exact_match": 100.0 * _mean(exact_raw.values()), "f1": 100.0 * _mean(f1_raw.values())}
    has_answer = {qid: bool(answers) for qid, answers in golds.items()}
    probs = na_probs if na_probs is not None else dict.fromkeys(golds, 0.0)
    exact_final = _apply_threshold(exact_raw, probs, has_answer, na_prob_thresh)
    f1_final = _apply_threshold(f1_raw, probs, has_answer, na_prob_thresh)
    out = _summary(exact_final, f1_final, list(golds))
    for prefix, wanted in (("HasAns", True), ("NoAns", False)):
        ids = [qid for qid in golds if has_answer[qid] == wanted]
        if ids:
            out.update({f"{prefix}_{k}": v for k, v in _summary(exact_final, f1_final, ids).items()})
    if na_probs is not None:
        for name, raw in (("exact", exact_raw), ("f1", f1_raw)):
            best, thresh = best_threshold(predictions, raw, probs, has_answer)
            out[f"best_{name}"], out[f"best_{name}_thresh"] = best, thresh
    return out


def best_threshold(predictions, raw_scores, na_probs, has_answer):
    """The v2.0 script's `find_best_thresh`: start from "no answer everywhere" (every no-answer question right),
    then answer the questions in order of rising null odds, keeping the best running total; the threshold is
    the null odds of the last question answered. -> (best score in %, threshold)."""
    score = best = sum(not v for v in has_answer.values())
    thresh = 0.0
    for qid in sorted(na_probs, key=lambda q: na_probs[q]):
        if qid not in raw_scores:
            continue
        if has_answer[qid]:
            score += raw_scores[qid]
        elif predictions[qid]:
            score -= 1
        if score > best:
            best, thresh = score, na_probs[qid]
    return 100.0 * best / len(raw_scores), thresh


def _raw_scores(golds, predictions, v2):
    exact_raw, f1_raw = {}, {}
    for qid, answers in golds.items():
        if v2:  # the v2.0 script drops gold answers that normalize to nothing; none left means "no answer"
            answers = [a for a in answers if normalize_answer(a)] or [""]
        prediction = predictions[qid]
        exact_raw[qid] = max(exact(a, prediction) for a in answers)
        f1_raw[qid] = max(f1(a, prediction, v2) for a in answers)
    return exact_raw, f1_raw


def _apply_threshold(scores, na_probs, has_answer, thresh):
    return {qid: float(not has_answer[qid]) if na_probs[qid] > thresh else s for qid, s in scores.items()}


def _summary(exact_scores, f1_scores, ids):
    return {"exact": 100.0 * _mean(exact_scores[q] for q in ids), "f1": 100.0 * _mean(f1_scores[q] for q in ids),
            "total": len(ids)}


def _mean(values):
    values = list(values)
    return sum(values) / len(values)
