"""Multiple choice (RACE): each (article, question + option) pair packed; inputs [n, choices, sequence_length].

The second segment is the question with the option in place of its blank `_` (RACE's cloze questions), else the
question followed by the option: the rule of the reference RACE / SWAG fine-tuning scripts (`choice_segments`,
which the multiple-choice pipeline and the exported runtimes pack with too).
"""
import numpy as np

from keras_albert.features.base import Features, packed_pairs


def choice_segments(context, question, choice):
    """(first, second) text of one choice's row `[CLS] first [SEP] second [SEP]`, the one rule for training, the
    pipeline and the exported runtimes: first = the context (the question when there is none); second = the
    question with the choice in place of its blank `_` (RACE's cloze questions), else the question and the choice
    joined by a space, or the choice alone when the question is already first or absent (SWAG). An empty context
    or question is an absent one, as the exported SavedModel's graph reads it."""
    if not context:
        return question, choice
    if not question:
        return context, choice
    return context, question.replace("_", choice) if "_" in question else f"{question} {choice}"


def choice_features(tokenizer, records, labels, sequence_length):
    choices = len(records[0]["options"])
    firsts, seconds = [], []
    for r in records:
        for option in r["options"]:
            first, second = choice_segments(r["article"], r["question"], option)
            firsts.append(first)
            seconds.append(second)
    flat = packed_pairs(tokenizer, firsts, seconds, sequence_length)
    inputs = {k: v.reshape(len(records), choices, -1) for k, v in flat.items()}
    gold = [int(r["label"]) for r in records]
    return Features(inputs, np.asarray(gold, np.int32), gold,
                    decode=lambda f, out: [int(i) for i in np.argmax(out, -1)])
