"""Answer spans from start/end logits, as transformers' question-answering pipeline (4.x) chooses them.

One window at a time: positions that cannot hold an answer (the question, [SEP], padding) get -10000 before the
softmax, [CLS] keeps its probability only as the "no answer" score, and a span's score is p(start) * p(end)
with start <= end < start + max_answer_len. The pipeline, the exported models' Python runtime and the SQuAD
evaluation all decode through here, so they pick the same answers.
"""
import numpy as np

MASKED = -10000.0


def window_spans(start_logits, end_logits, allowed, top_k=1, max_answer_len=15):
    """One window -> (starts, ends, scores) of its best `top_k` candidate spans, and its null score.

    `allowed`: 1 where an answer may lie (context pieces and [CLS] at 0), 0 elsewhere (question, [SEP],
    padding). Candidates are ranked over every (start, end) pair as transformers ranks them, then those that
    start or end outside `allowed` are dropped (so fewer than `top_k` may come back)."""
    allowed = np.asarray(allowed).astype(bool)
    start = _softmax(np.where(allowed, np.asarray(start_logits, "float32"), np.float32(MASKED)))
    end = _softmax(np.where(allowed, np.asarray(end_logits, "float32"), np.float32(MASKED)))
    null_score = float(start[0] * end[0])
    start[0] = end[0] = 0.0
    candidates = np.tril(np.triu(np.outer(start, end)), max_answer_len - 1)
    flat = candidates.ravel()
    if top_k == 1:
        order = np.array([np.argmax(flat)])
    elif flat.size < top_k:
        order = np.argsort(-flat)
    else:
        best = np.argpartition(-flat, top_k)[:top_k]
        order = best[np.argsort(-flat[best])]
    starts, ends = np.unravel_index(order, candidates.shape)
    keep = allowed[starts] & allowed[ends]
    starts, ends = starts[keep], ends[keep]
    return starts, ends, candidates[starts, ends], null_score


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()
