"""Sentence-pair regression (STS-B): {"text", "text_pair", "label": float} -> packed pairs, labels [n, 1]."""
import numpy as np

from keras_albert.features.base import Features, packed_pairs


def regression_features(tokenizer, records, labels, sequence_length):
    """`labels` is unused (a regression head has no classes); a record without `text_pair` is one sentence."""
    pairs = all(r.get("text_pair") is not None for r in records)
    inputs = packed_pairs(tokenizer, [r["text"] for r in records],
                          [r["text_pair"] for r in records] if pairs else None, sequence_length)
    gold = [float(r["label"]) for r in records]
    return Features(inputs, np.asarray(gold, np.float32).reshape(-1, 1), gold,
                    decode=lambda f, out: [float(v) for v in np.asarray(out).reshape(-1)])
