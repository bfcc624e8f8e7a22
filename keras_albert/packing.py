"""The one Python packer: `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]`, with truncation, windows and offsets.

Its semantics are transformers' fast tokenizer's (`truncation=`, `stride=`, `return_overflowing_tokens=`), so a
pipeline's windows and answer offsets compare with transformers one to one. `AlbertPreprocessor` does the same
packing in TensorFlow ops (tf.data, the SavedModel); the tests hold the two to the same ids.
"""
import dataclasses

import numpy as np

from keras_albert.tokenizer import CLS_ID, PAD_ID, SEP_ID

STRATEGIES = ("longest_first", "only_first", "only_second")


@dataclasses.dataclass
class Encoding:
    """One packed row. offsets[i] = (start, end) in the original text of its segment ((0, 0) for [CLS]/[SEP]);
    sequence_ids[i] = 0 or 1 for a piece of the first or second text, None for [CLS]/[SEP]."""
    ids: list
    segment_ids: list
    offsets: list
    sequence_ids: list

    def __len__(self):
        return len(self.ids)


def pack(tokenizer, text, text_pair=None, max_length=512, truncation="longest_first", stride=0,
         return_overflowing=False, special_tokens=False, offsets=True):
    """Text (and a pair) -> [Encoding]: one row, or with `return_overflowing` every window, the first row first.

    truncation: "longest_first" (True) cuts the longer text first, as transformers does; "only_first" /
    "only_second" cut one text; False keeps everything. Windows step by the kept length minus `stride`, so
    consecutive windows share `stride` pieces (question answering: question first, `only_second`).
    `special_tokens=True` reads typed [CLS]/[SEP]/[MASK] as special ids (fill-mask); `offsets=False` skips
    computing offsets (they are None then), for callers that need ids only."""
    truncation = _strategy(truncation)
    max_length, stride = _count("max_length", max_length, 1), _count("stride", stride, 0)
    first = _tokenize(tokenizer, text, special_tokens, offsets)
    second = None if text_pair is None else _tokenize(tokenizer, text_pair, special_tokens, offsets)
    budget = max_length - (2 if second is None else 3)
    total = len(first[0]) + (0 if second is None else len(second[0]))
    if not truncation or total <= budget:
        keep = (len(first[0]), None if second is None else len(second[0]))
    else:
        keep = _keep(truncation, len(first[0]), None if second is None else len(second[0]), budget, max_length)
    first_windows = _windows(len(first[0]), keep[0], stride, "first")
    if second is None:
        rows = [(w, None) for w in first_windows]
    else:
        second_windows = _windows(len(second[0]), keep[1], stride, "second")
        rows = _combinations(first_windows, second_windows)
    rows = rows if return_overflowing else rows[:1]
    return [_encoding(first, a, second, b) for a, b in rows]


def pack_batch(tokenizer, texts, text_pairs=None, **kwargs):
    """Many texts (and pairs) -> (encodings, sample): sample[i] is the input that row i came from, like
    transformers' `overflow_to_sample_mapping`."""
    pairs = [None] * len(texts) if text_pairs is None else list(text_pairs)
    if len(pairs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(pairs)} text pairs")
    encodings, sample = [], []
    for i, (text, pair) in enumerate(zip(texts, pairs)):
        rows = pack(tokenizer, text, pair, **kwargs)
        encodings += rows
        sample += [i] * len(rows)
    return encodings, sample


def pad(encodings, length=None):
    """Encodings -> the backbone's three int32 inputs [rows, length], right-padded (to the longest by default)."""
    length = length or max(len(e) for e in encodings)
    ids = np.full((len(encodings), length), PAD_ID, "int32")
    segments = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encodings):
        ids[i, :len(e)], segments[i, :len(e)], mask[i, :len(e)] = e.ids, e.segment_ids, 1
    return {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}


def _strategy(truncation):
    if truncation is True:
        return "longest_first"
    if truncation in (False, None):
        return False
    if truncation not in STRATEGIES:
        raise ValueError(f"truncation must be True, False or one of {', '.join(STRATEGIES)}; got {truncation!r}")
    return truncation


def _count(name, value, least):
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
    return value


def _tokenize(tokenizer, text, special_tokens, offsets):
    if offsets:
        return tokenizer.tokenize_with_offsets(text, special_tokens=special_tokens)
    ids = tokenizer.tokenize(text, special_tokens=special_tokens)
    return ids, None


def _keep(truncation, n1, n2, budget, max_length):
    """How many pieces of each text the first row keeps (transformers' rules)."""
    if n2 is None:
        if truncation == "only_second":
            raise ValueError(f"the text is longer than max_length {max_length} and truncation='only_second' "
                             "cuts only a second text, which there is not")
        if budget < 0:
            raise ValueError(f"max_length {max_length} leaves no room for [CLS] and [SEP]")
        return budget, None
    if truncation == "longest_first":
        if budget < 0:
            raise ValueError(f"max_length {max_length} leaves no room for [CLS], [SEP] and [SEP]")
        shorter = min(min(n1, n2), budget // 2)  # the shorter text keeps all it can up to half the room
        return (budget - shorter, shorter) if n1 > n2 else (shorter, budget - shorter)
    cut, other = (n1, n2) if truncation == "only_first" else (n2, n1)
    if budget - other < 1:
        name = "first" if truncation == "only_first" else "second"
        raise ValueError(f"cannot truncate only the {name} text to max_length {max_length}: the other text "
                         f"alone has {other} pieces")
    return (budget - other, n2) if truncation == "only_first" else (n1, budget - other)


def _windows(n, keep, stride, which):
    """[(start, stop)] over n pieces, `keep` at a time, each window starting `keep - stride` after the last."""
    if keep >= n:
        return [(0, n)]
    if keep == 0:
        return [(0, 0), (0, n)]
    if stride >= keep:
        raise ValueError(f"stride {stride} must be smaller than the {keep} pieces of the {which} text that each "
                         "window keeps")
    windows, start = [], 0
    while True:
        stop = min(start + keep, n)
        windows.append((start, stop))
        if stop == n:
            return windows
        start += keep - stride


def _combinations(first, second):
    """Row order of transformers' pair windows: the first row; each later window of the first text with the first
    window of the second, then with each later one; then the first window of the first text with each later
    window of the second."""
    rows = [(first[0], second[0])]
    for a in first[1:]:
        rows += [(a, second[0])] + [(a, b) for b in second[1:]]
    return rows + [(first[0], b) for b in second[1:]]


def _encoding(first, a, second, b):
    ids, segments, offsets, sequence = [CLS_ID], [0], [(0, 0)], [None]
    for segment, (pieces, spans), (start, stop) in [(0, first, a)] + ([] if second is None else [(1, second, b)]):
        ids += pieces[start:stop] + [SEP_ID]
        segments += [segment] * (stop - start + 1)
        offsets += (spans[start:stop] if spans is not None else [None] * (stop - start)) + [(0, 0)]
        sequence += [segment] * (stop - start) + [None]
    return Encoding(ids, segments, offsets if first[1] is not None else None, sequence)
