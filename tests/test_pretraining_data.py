"""Statistical checks of the pretraining data against the ALBERT recipe: 15% selected, 80/10/10, n-gram spans
with P(n) ~ 1/n, whole words on SentencePiece boundaries, SOP pairs of consecutive segments swapped half the time."""
import numpy as np
import pytest

from keras_albert.pretraining_data import (make_examples, mask_tokens, random_other_token, shard_dataset,
                                           sop_pairs, word_start_table, write_shards)
from keras_albert.tokenizer import CLS_ID, MASK_ID, SEP_ID

V = 1000


def _sequence(rng, n):
    return np.array([CLS_ID, *rng.integers(5, V, n), SEP_ID, *rng.integers(5, V, n // 2), SEP_ID])


def _runs(positions):
    """Lengths of runs of consecutive positions."""
    runs, last = [], None
    for p in positions:
        if last is not None and p == last + 1:
            runs[-1] += 1
        else:
            runs.append(1)
        last = p
    return runs


def test_mask_rates_80_10_10():
    rng = np.random.default_rng(0)
    selected = candidates = masked = replaced = kept = 0
    for _ in range(1500):
        ids = _sequence(rng, 80)
        out, pos, orig = mask_tokens(ids, rng, V, max_predictions=1000)
        special = np.isin(ids, (CLS_ID, SEP_ID))
        assert not special[pos].any()                       # never [CLS] / [SEP]
        assert (orig == ids[pos]).all()
        untouched = np.setdiff1d(np.arange(len(ids)), pos)
        assert (out[untouched] == ids[untouched]).all()     # only selected positions change
        assert len(pos) == round(0.15 * (~special).sum())   # exactly 15% of the candidates
        is_mask = out[pos] == MASK_ID
        same = out[pos] == ids[pos]
        masked += is_mask.sum()
        kept += same.sum()
        replaced += (~is_mask & ~same).sum()                # a random token, never the original
        selected += len(pos)
        candidates += (~special).sum()
    n = selected
    sigma = np.sqrt(0.1 * 0.9 / n)
    assert abs(selected / candidates - 0.15) < 0.002
    assert abs(masked / n - 0.8) < 5 * np.sqrt(0.16 / n)
    assert abs(replaced / n - 0.1) < 5 * sigma
    assert abs(kept / n - 0.1) < 5 * sigma


def test_random_token_is_uniform_and_different():
    rng = np.random.default_rng(1)
    for original in (5, 7, 9, 1):  # 1 is <unk>: any non-special token is "different"
        draws = np.array([random_other_token(original, 10, rng) for _ in range(6000)])
        assert draws.min() >= 5 and draws.max() <= 9 and not (draws == original).any()
        counts = np.bincount(draws, minlength=10)[5:]
        expected = len(draws) / (5 - (original >= 5))
        nonzero = counts[counts > 0]
        assert len(nonzero) == 5 - (original >= 5)
        assert np.abs(nonzero - expected).max() < 5 * np.sqrt(expected)


def test_ngram_span_lengths_follow_one_over_n():
    rng = np.random.default_rng(2)
    runs = []
    for _ in range(300):
        ids = np.array([CLS_ID, *rng.integers(5, V, 3000), SEP_ID])
        _, pos, _ = mask_tokens(ids, rng, V, mask_rate=0.03, max_predictions=10_000, max_ngram=3)
        assert len(pos) == round(0.03 * 3000)
        runs += _runs(pos)
    runs = np.array(runs)
    # sparse masking: spans rarely touch, so run lengths are the sampled n: P(n) = (6, 3, 2) / 11
    for n, p in zip((1, 2, 3), (6 / 11, 3 / 11, 2 / 11)):
        assert abs((runs == n).mean() - p) < 0.03, (n, (runs == n).mean())
    _, pos1, _ = mask_tokens(ids, rng, V, mask_rate=0.03, max_predictions=10_000, max_ngram=1)
    assert np.mean(_runs(pos1)) < 1.1


def test_whole_word_masking_takes_whole_words(tokenizer, rt_texts):
    rng = np.random.default_rng(3)
    starts = word_start_table(tokenizer)
    assert starts[tokenizer.piece_to_id("▁the")] and not starts[CLS_ID]
    selected = candidates = 0
    multi_piece_words = 0
    for text in rt_texts[0][:600]:
        ids = np.array([CLS_ID, *tokenizer.tokenize(text), SEP_ID])
        _, pos, _ = mask_tokens(ids, rng, tokenizer.vocab_size, max_predictions=1000, max_ngram=3, word_starts=starts)
        words, current = [], []
        for i in range(1, len(ids) - 1):                    # group pieces into words at "▁"
            if starts[ids[i]] and current:
                words.append(current)
                current = []
            current.append(i)
        words.append(current)
        chosen = set(pos.tolist())
        for w in words:
            hit = chosen.intersection(w)
            assert not hit or len(hit) == len(w), (text, w, pos)
            multi_piece_words += len(w) > 1 and len(hit) > 0
        selected += len(pos)
        candidates += len(ids) - 2
    assert multi_piece_words > 50                           # the check exercised words of several pieces
    assert 0.12 < selected / candidates <= 0.155


def test_sop_pairs_are_consecutive_and_swapped_half_the_time():
    rng = np.random.default_rng(4)
    swapped = total = exact = 0
    for d in range(400):
        n_sent = int(rng.integers(2, 12))
        document = [list(range(100_000 * d + 100 * k, 100_000 * d + 100 * k + int(rng.integers(3, 20))))
                    for k in range(n_sent)]
        flat = [t for s in document for t in s]
        where = {t: i for i, t in enumerate(flat)}
        for a, b, label in sop_pairs(document, 64, rng):
            first, second = (b, a) if label else (a, b)
            for seg in (first, second):                      # each segment is a contiguous slice
                idx = [where[t] for t in seg]
                assert idx == list(range(idx[0], idx[0] + len(idx)))
            assert where[first[-1]] < where[second[0]]       # in document order once un-swapped
            if len(a) + len(b) < 64:                         # not truncated: the junction is intact
                assert where[first[-1]] + 1 == where[second[0]]
                exact += 1
            swapped += label
            total += 1
    assert total > 500
    assert exact > 0.3 * total
    assert abs(swapped / total - 0.5) < 4 * np.sqrt(0.25 / total)


def test_examples_round_trip_through_shards(tmp_path, tokenizer, rt_texts):
    texts = rt_texts[0][:200]
    documents = [texts[i:i + 5] for i in range(0, 200, 5)]
    ex = make_examples(documents, tokenizer, sequence_length=48, max_predictions=8, max_ngram=2, seed=0)
    n = len(ex["sop_label"])
    assert n > 20
    for i in range(n):
        ids, seg, mask = ex["token_ids"][i], ex["segment_ids"][i], ex["padding_mask"][i]
        length = mask.sum()
        assert mask[:length].all() and not mask[length:].any() and not ids[length:].any()
        seps = np.flatnonzero(ids == SEP_ID)
        assert ids[0] == CLS_ID and len(seps) == 2 and seps[1] == length - 1
        assert (seg[:seps[0] + 1] == 0).all() and (seg[seps[0] + 1:length] == 1).all()
        k = ex["mask_weights"][i].sum()
        assert 1 <= k <= 8
        assert (ex["mask_positions"][i, :k] < length).all()
    paths = write_shards(ex, str(tmp_path), num_shards=3)
    assert len(paths) == 3
    ds = shard_dataset(str(tmp_path / "train-*"), 48, 8, batch_size=n, repeat=False)
    x, y, w = next(iter(ds))
    got = np.sort(x["token_ids"].numpy(), axis=0)
    np.testing.assert_array_equal(got, np.sort(ex["token_ids"], axis=0))
    assert y["sop_logits"].numpy().sum() == ex["sop_label"].sum()
    np.testing.assert_array_equal(w["mlm_logits"].numpy().sum(), ex["mask_weights"].sum())


def test_corpus_errors(tmp_path):
    from keras_albert.pretraining_data import read_corpus
    with pytest.raises(FileNotFoundError):
        read_corpus([str(tmp_path / "missing.txt")])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(ValueError, match="no text"):
        read_corpus([str(empty)])
    two = tmp_path / "two.txt"
    two.write_text("a b.\nc d.\n\ne f.\n")
    assert read_corpus([str(two)]) == [["a b.", "c d."], ["e f."]]
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("first line.\n\nun caf\u00e9 cr\u00e8me.\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.txt:3: byte 0xe9 at column 7 is not UTF-8"):
        read_corpus([str(latin1)])


@pytest.mark.parametrize("source", ["rotten_tomatoes", "imdb"])
def test_a_builtin_corpus_is_its_training_split_only(source):
    """`--corpus rotten_tomatoes` pretrained on all 8,530 sentences, the 853 seed-0 test ones included."""
    from keras_albert import data
    from keras_albert.pretraining_data import read_corpus, split_sentences
    from keras_albert.pretraining_stream import iter_documents
    parts = data.splits(source)
    held_out = {tuple(split_sentences(t)) for name in ("validation", "test") for t in parts[name][0]}
    held_out -= {tuple(split_sentences(t)) for t in parts["train"][0]}  # a review also in the train split
    for documents in (read_corpus([source]), [d.sentences for d in iter_documents([source])]):
        assert len(documents) == len(parts["train"][0])
        assert not held_out.intersection(map(tuple, documents))
