"""Extractive question answering (SQuAD): question + context windows with the answer's start and end piece.

Each question is packed `[CLS] question [SEP] context-window [SEP]` by the one packer (`packing.pack`,
truncation "only_second", consecutive windows sharing `sequence_length // 4` pieces), as transformers' run_qa
does. A window that does not hold the whole answer (or a v2.0 question without one) points at [CLS] (0, 0).
Decoding takes, over all windows of a question, the best span of context pieces (start <= end, at most
`MAX_ANSWER` pieces) by start + end logit, and its text by the pieces' offsets into the context; v2.0 data
answers "" when the [CLS] score beats it.
"""
import numpy as np

from keras_albert.features.base import Features

MAX_ANSWER = 30   # pieces in an answer span
TOP = 20          # start and end candidates per window


def answer_features(tokenizer, records, labels, sequence_length):
    from keras_albert.packing import pack, pad
    stride = sequence_length // 4
    rows, sample, starts, ends = [], [], [], []
    for i, r in enumerate(records):
        windows = pack(tokenizer, r["question"], r["context"], max_length=sequence_length,
                       truncation="only_second", stride=stride, return_overflowing=True)
        for w in windows:
            s, e = _span(w, r["answers"][0] if r["answers"] else None)
            rows.append(w)
            sample.append(i)
            starts.append(s)
            ends.append(e)
    inputs = pad(rows, sequence_length)
    labels = {"start_logits": np.asarray(starts, np.int32), "end_logits": np.asarray(ends, np.int32)}
    return Features(inputs, labels, list(records), decode=_decode,
                    extra={"rows": rows, "sample": sample, "v2": any(r["is_impossible"] for r in records)})


def _span(window, answer):
    """(start, end) piece of the answer in this window; (0, 0): [CLS], the answer is not (all) here."""
    context = [i for i, s in enumerate(window.sequence_ids) if s == 1]
    if answer is None or not context:
        return 0, 0
    text, start = answer
    end = start + len(text)
    offsets = window.offsets
    if offsets[context[0]][0] > start or offsets[context[-1]][1] < end:
        return 0, 0
    first = max(i for i in context if offsets[i][0] <= start)
    last = min(i for i in context if offsets[i][1] >= end)
    return first, last


def _decode(features, outputs):
    """-> {question id: answer text} (the form of `metrics.squad_scores`)."""
    start_logits, end_logits = np.asarray(outputs["start_logits"]), np.asarray(outputs["end_logits"])
    records = features.gold
    best = {}   # record index -> (score, text)
    null = {}   # record index -> the lowest [CLS] score over its windows
    for row, (w, i) in enumerate(zip(features.extra["rows"], features.extra["sample"])):
        context = np.array([s == 1 for s in w.sequence_ids] + [False] * (start_logits.shape[1] - len(w)))
        start = np.where(context, start_logits[row], -np.inf)
        end = np.where(context, end_logits[row], -np.inf)
        null[i] = min(null.get(i, np.inf), start_logits[row, 0] + end_logits[row, 0])
        for s in np.argsort(start)[::-1][:TOP]:
            for e in np.argsort(end)[::-1][:TOP]:
                if not (context[s] and context[e] and s <= e < s + MAX_ANSWER):
                    continue
                score = start[s] + end[e]
                if i not in best or score > best[i][0]:
                    best[i] = (score, records[i]["context"][w.offsets[s][0]:w.offsets[e][1]])
    answers = {}
    for i, r in enumerate(records):
        score, text = best.get(i, (-np.inf, ""))
        answers[r["id"]] = "" if features.extra["v2"] and null[i] > score else text
    return answers
