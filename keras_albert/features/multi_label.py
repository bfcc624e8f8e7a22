"""Multi-label classification: {"text", "labels": [names]} -> packed texts and multi-hot labels [n, classes].

A class is predicted when its logit is above 0 (a sigmoid above 0.5), each class on its own, as transformers'
`multi_label_classification` decides; gold and predictions are multi-hot rows for the metrics (scikit-learn)."""
import numpy as np

from keras_albert.features.base import Features, packed_pairs


def multi_label_features(tokenizer, records, labels, sequence_length):
    index = {n: i for i, n in enumerate(labels)}
    hot = np.zeros((len(records), len(labels)), np.float32)
    for row, r in enumerate(records):
        for name in r["labels"]:
            if name not in index:
                raise ValueError(f"line {r.get('line')}: label {name!r} is not one of the training labels "
                                 f"{', '.join(labels)}")
            hot[row, index[name]] = 1.0
    inputs = packed_pairs(tokenizer, [r["text"] for r in records], None, sequence_length)
    return Features(inputs, hot, hot.astype(np.int64).tolist(), decode=decode_multi_label)


def decode_multi_label(features, logits):
    return (np.asarray(logits) > 0).astype(np.int64).tolist()
