"""Multiple choice (RACE): each (article, question + option) pair packed; inputs [n, choices, sequence_length].

The second segment is the question with the option in place of its blank `_` (RACE's cloze questions), else the
question followed by the option: the rule of the reference RACE / SWAG fine-tuning scripts.
"""
import numpy as np

from keras_albert.features.base import Features, packed_pairs


def choice_features(tokenizer, records, labels, sequence_length):
    choices = len(records[0]["options"])
    firsts, seconds = [], []
    for r in records:
        for option in r["options"]:
            firsts.append(r["article"])
            q = r["question"]
            seconds.append(q.replace("_", option) if "_" in q else f"{q} {option}")
    flat = packed_pairs(tokenizer, firsts, seconds, sequence_length)
    inputs = {k: v.reshape(len(records), choices, -1) for k, v in flat.items()}
    gold = [int(r["label"]) for r in records]
    return Features(inputs, np.asarray(gold, np.int32), gold,
                    decode=lambda f, out: [int(i) for i in np.argmax(out, -1)])
