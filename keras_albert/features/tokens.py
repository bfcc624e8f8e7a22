"""Token classification: words and their tags -> pieces, the first piece of each word carrying its tag.

Each word is tokenized on its own, as transformers does for `is_split_into_words=True` with a SentencePiece
vocabulary (every word begins with "▁"); the other pieces of a word and [CLS]/[SEP]/padding get -100, which
the loss ignores. Pieces past `sequence_length - 2` are cut; a word that lost its first piece is predicted "O".
"""
import numpy as np

from keras_albert.features.base import Features
from keras_albert.tokenizer import CLS_ID, SEP_ID

IGNORE = -100


def word_pieces(tokenizer, words, sequence_length):
    """-> (ids with [CLS]/[SEP], word index of each id (None for specials): transformers' `word_ids()`)."""
    ids, word_ids = [CLS_ID], [None]
    for w, word in enumerate(words):
        for piece in tokenizer.tokenize(word):
            if len(ids) >= sequence_length - 1:
                break
            ids.append(piece)
            word_ids.append(w)
    return ids + [SEP_ID], word_ids + [None]


def token_features(tokenizer, records, labels, sequence_length):
    index = {t: i for i, t in enumerate(labels)}
    n = len(records)
    token_ids = np.zeros((n, sequence_length), np.int32)
    mask = np.zeros((n, sequence_length), np.int32)
    targets = np.full((n, sequence_length), IGNORE, np.int32)
    firsts = []
    for i, r in enumerate(records):
        unknown = [t for t in r["tags"] if t not in index]
        if unknown:
            raise ValueError(f"line {r.get('line')}: tag {unknown[0]!r} is not one of the training tags "
                             f"{', '.join(labels)}")
        ids, word_ids = word_pieces(tokenizer, r["tokens"], sequence_length)
        token_ids[i, :len(ids)], mask[i, :len(ids)] = ids, 1
        first = np.full(len(r["tokens"]), -1, np.int64)
        for pos, w in enumerate(word_ids):
            if w is not None and first[w] < 0:
                first[w] = pos
                targets[i, pos] = index[r["tags"][w]]
        firsts.append(first)
    inputs = {"token_ids": token_ids, "segment_ids": np.zeros_like(token_ids), "padding_mask": mask}
    gold = [list(r["tags"]) for r in records]
    return Features(inputs, targets, gold, decode=_decode, token_labels=True,
                    extra={"first_piece": firsts, "labels": list(labels)})


def _decode(features, logits):
    """The tag of each word: the arg-max at its first piece ("O" for a word cut off by the sequence length)."""
    best = np.argmax(logits, -1)
    names = features.extra["labels"]
    outside = "O" if "O" in names else names[0]
    return [[names[best[i, p]] if p >= 0 else outside for p in first]
            for i, first in enumerate(features.extra["first_piece"])]
