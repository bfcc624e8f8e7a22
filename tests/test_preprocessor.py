import numpy as np
import pytest
import tensorflow as tf

from keras_albert.preprocessor import AlbertPreprocessor


def _reference_pack(a, b, seq):
    """transformers' longest-first truncation and packing, in plain Python: pop from the longer segment; on ties
    pop from the first, except that the odd last piece goes to the segment that was longer at the start (the
    original ALBERT's loop pops the second on ties and so gives it to the first)."""
    a, b = list(a), list(b or [])
    budget = seq - 2 - (1 if b else 0)
    if not b:
        a = a[:budget]
    first_longer = len(a) > len(b)
    while len(a) + len(b) > budget:
        (a if len(a) > len(b) or (len(a) == len(b) and not first_longer) else b).pop()
    ids = [2] + a + [3] + (b + [3] if b else [])
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1 if b else 0)
    pad = seq - len(ids)
    return ids + [0] * pad, segments + [0] * pad, [1] * len(ids) + [0] * pad


def test_pairs_match_transformers_truncation(tokenizer, rt_texts):
    texts = rt_texts[0][:60]
    firsts, seconds = texts[:30], texts[30:]
    for seq in (8, 16, 33):
        out = AlbertPreprocessor(tokenizer, seq)(firsts, seconds)
        for i, (a, b) in enumerate(zip(firsts, seconds)):
            ids, segments, mask = _reference_pack(tokenizer.tokenize(a), tokenizer.tokenize(b), seq)
            assert out["token_ids"][i].numpy().tolist() == ids
            assert out["segment_ids"][i].numpy().tolist() == segments
            assert out["padding_mask"][i].numpy().tolist() == mask


def test_single_segment_and_dtypes(tokenizer, rt_texts):
    texts = rt_texts[0][:20] + [""]
    out = AlbertPreprocessor(tokenizer, 12)(texts)
    for i, text in enumerate(texts):
        ids, segments, mask = _reference_pack(tokenizer.tokenize(text), None, 12)
        assert out["token_ids"][i].numpy().tolist() == ids
    assert all(v.dtype == tf.int32 and v.shape == (21, 12) for v in out.values())
    assert not out["segment_ids"].numpy().any()


def test_pad_to_longest_and_tf_data(tokenizer):
    pre = AlbertPreprocessor(tokenizer, sequence_length=None)
    ds = tf.data.Dataset.from_tensor_slices(["a short one", "a somewhat longer sentence about a good movie"])
    shapes = [batch["token_ids"].shape for batch in ds.batch(1).map(pre)]
    assert shapes[0][1] < shapes[1][1]
    out = pre(["a b", "a good movie about nothing"])
    assert out["padding_mask"].numpy().sum(axis=1).max() == out["token_ids"].shape[1]


def test_bad_arguments(tokenizer):
    with pytest.raises(ValueError, match="at least 3"):
        AlbertPreprocessor(tokenizer, 2)
    with pytest.raises(ValueError, match="rank-1"):
        AlbertPreprocessor(tokenizer, 8)([["nested"]])
    assert np.array_equal(AlbertPreprocessor(tokenizer, 4)(["x"])["token_ids"].numpy()[0][[0]], [2])
    with pytest.raises(ValueError, match="3 texts but 2 text pairs"):
        AlbertPreprocessor(tokenizer, 8)(["a b", "c d", "e"], ["x", "y"])
    with pytest.raises(ValueError, match="text 1 is NoneType, not a string"):
        AlbertPreprocessor(tokenizer, 8)(["a", None])
    with pytest.raises(ValueError, match="text pair 0 is int, not a string"):
        AlbertPreprocessor(tokenizer, 8)(["a"], [3])
