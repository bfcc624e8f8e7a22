"""Streaming pretraining shards: the same examples however the work is split (one process, a pool, Apache
Beam), compact rows that train like dense ones, one-line errors for bad corpora, a bounded vocabulary sample."""
import collections
import dataclasses
import glob
import json
import os

import numpy as np
import pytest

from keras_albert.pretraining_stream import (Document, ExampleOptions, document_records, iter_documents,
                                             prepare_shards, scan_corpus, serialize)
from keras_albert.tokenizer import CLS_ID, SEP_ID

OPTS = ExampleOptions(sequence_length=48, max_predictions=8, max_ngram=3, whole_word=True, dupe_factor=2,
                      eval_fraction=0.1, num_shards=3, seed=5)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, rt_texts):
    """60 documents of 2..7 Rotten Tomatoes sentences, two one-sentence documents, one document twice."""
    texts, path, i = rt_texts[0], tmp_path_factory.mktemp("corpus") / "corpus.txt", 0
    docs = []
    for k in range(60):
        n = 2 + k % 6
        docs.append(texts[i:i + n])
        i += n
    docs[10:10] = [["a lonely sentence ."]]
    docs += [["another lonely one ."], docs[3]]
    path.write_text("\n\n".join("\n".join(d) for d in docs) + "\n", encoding="utf-8")
    return str(path)


def _line(path, text):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines().index(text) + 1


def _records(folder, split):
    """The examples of a split as a multiset of {feature: values} (record bytes need not be canonical)."""
    import tensorflow as tf
    out = collections.Counter()
    for path in sorted(glob.glob(os.path.join(folder, f"{split}-*.tfrecord"))):
        for raw in tf.data.TFRecordDataset(path).as_numpy_iterator():
            feats = tf.train.Example.FromString(raw).features.feature
            out[tuple(sorted((k, tuple(v.int64_list.value)) for k, v in feats.items()))] += 1
    return out


def test_one_process_and_n_processes_write_the_same_examples(tmp_path, corpus, tokenizer):
    one = prepare_shards([corpus], str(tmp_path / "one"), tokenizer=tokenizer, opts=OPTS, progress=False)
    two = prepare_shards([corpus], str(tmp_path / "two"), tokenizer=tokenizer, opts=OPTS, workers=2, progress=False)
    assert one["counts"] == two["counts"]
    c = one["counts"]
    assert c["documents"] == 63 and c["skipped_short"] == 2
    assert c["first_skipped"] == [corpus, _line(corpus, "a lonely sentence .")]
    assert c["eval_examples"] > 0 and c["train_examples"] > 100
    for split in ("train", "eval"):
        got = _records(tmp_path / "one", split)
        assert sum(got.values()) == c[f"{split}_examples"]
        assert got == _records(tmp_path / "two", split)
    train = _records(tmp_path / "one", "train")
    assert max(train.values()) >= 2          # the repeated document gave the same examples twice
    assert len(glob.glob(str(tmp_path / "one" / "train-*-of-00003.tfrecord"))) == 3


@pytest.mark.slow
def test_beam_writes_the_same_examples_as_one_process(tmp_path, corpus, tokenizer, spiece_path):
    """Beam cannot share this environment (protobuf pins: see tests/beam_env.py): it runs in its own."""
    from beam_env import run_in_beam_env
    one = prepare_shards([corpus], str(tmp_path / "one"), tokenizer=tokenizer, opts=OPTS, progress=False)
    p = run_in_beam_env("beam_shards.py", corpus, spiece_path, tmp_path / "beam", json.dumps(dataclasses.asdict(OPTS)))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-5000:]
    report = json.loads(p.stdout.strip().splitlines()[-1])
    assert report["beam"].startswith("2.") and report["protobuf"].startswith("6.")
    assert report["counts"] == one["counts"] and report["counts"]["eval_examples"] > 0
    for split in ("train", "eval"):
        beam = _records(tmp_path / "beam", split)
        assert sum(beam.values()) == one["counts"][f"{split}_examples"]
        assert beam == _records(tmp_path / "one", split)
    assert len(glob.glob(str(tmp_path / "beam" / "train-*-of-00003.tfrecord"))) == 3


def test_a_document_gives_the_same_records_wherever_it_is(tokenizer, rt_texts):
    sentences = rt_texts[0][:6]
    first = document_records(Document(sentences, "a.txt", 1), tokenizer, OPTS)
    assert first == document_records(Document(list(sentences), "b.txt", 999), tokenizer, OPTS)
    assert [split for split, _, _ in first] == ["train", "train"]   # dupe_factor 2
    (_, s0, r0), (_, s1, r1) = first
    assert r0 != r1 and s1 == (s0 + 1) % 3                      # two maskings, on neighbouring shards
    assert document_records(Document(sentences, "a.txt", 1), tokenizer, dataclasses.replace(OPTS, seed=6)) != first


def test_compact_rows_read_like_dense_rows(tmp_path, tokenizer, rt_texts):
    """A compact record and the dense record of the same example give the same batch."""
    import tensorflow as tf
    from keras_albert.pretraining_data import shard_dataset, write_shards
    rng = np.random.default_rng(0)
    ids = np.array([CLS_ID, *rng.integers(5, 500, 9), SEP_ID, *rng.integers(5, 500, 6), SEP_ID])
    pos, orig, b = np.array([2, 3, 12]), ids[[2, 3, 12]], 11
    seq, preds = 24, 5
    dense = {"token_ids": np.zeros((1, seq), np.int64), "segment_ids": np.zeros((1, seq), np.int64),
             "padding_mask": np.zeros((1, seq), np.int64), "mask_positions": np.zeros((1, preds), np.int64),
             "mask_ids": np.zeros((1, preds), np.int64), "mask_weights": np.zeros((1, preds), np.int64),
             "sop_label": np.array([1])}
    dense["token_ids"][0, :len(ids)] = ids
    dense["segment_ids"][0, b:len(ids)] = 1
    dense["padding_mask"][0, :len(ids)] = 1
    dense["mask_positions"][0, :3], dense["mask_ids"][0, :3], dense["mask_weights"][0, :3] = pos, orig, 1
    write_shards(dense, str(tmp_path / "dense"), num_shards=1)
    os.makedirs(tmp_path / "compact")
    with tf.io.TFRecordWriter(str(tmp_path / "compact" / "train-0.tfrecord")) as w:
        w.write(serialize(ids, b, pos, orig, 1))
    got = [next(iter(shard_dataset(str(tmp_path / d / "train-*"), seq, preds, 1, repeat=False)))
           for d in ("dense", "compact")]
    for a, c in zip(*got):
        assert a.keys() == c.keys()
        for k in a:
            np.testing.assert_array_equal(a[k].numpy(), c[k].numpy(), err_msg=k)


def test_shard_folder_trains_from_the_manifest(tmp_path, corpus, tokenizer, spiece_path):
    from keras_albert.pretraining_data import load_shards, shard_dataset
    from keras_albert.tokenizer import AlbertTokenizer, train_vocab
    prepare_shards([corpus], str(tmp_path / "s"), tokenizer=tokenizer, opts=OPTS, progress=False)
    m = load_shards(str(tmp_path / "s"), AlbertTokenizer.from_file(tmp_path / "s" / "spiece.model"), 64)
    x, y, w = next(iter(shard_dataset(m["train"], 64, OPTS.max_predictions, 512, repeat=False)))
    ids, seg, mask = (x[k].numpy() for k in ("token_ids", "segment_ids", "padding_mask"))
    assert len(ids) == m["counts"]["train_examples"]
    for i in range(len(ids)):
        n = mask[i].sum()
        seps = np.flatnonzero(ids[i] == SEP_ID)
        assert ids[i, 0] == CLS_ID and seps[-1] == n - 1 and not ids[i, n:].any() and n <= OPTS.sequence_length
        assert (seg[i, :seps[0] + 1] == 0).all() and (seg[i, seps[0] + 1:n] == 1).all() and not seg[i, n:].any()
        k = int(w["mlm_logits"].numpy()[i].sum())
        assert 1 <= k <= OPTS.max_predictions and (x["mask_positions"].numpy()[i, :k] < n).all()
    assert set(np.unique(y["sop_logits"].numpy())) == {0, 1}
    other = train_vocab(["something else entirely"] * 50, vocab_size=40)
    with pytest.raises(ValueError, match="another vocabulary"):
        load_shards(str(tmp_path / "s"), other)
    with pytest.raises(ValueError, match="shorter than the shards"):
        load_shards(str(tmp_path / "s"), None, 32)
    with pytest.raises(FileNotFoundError, match="not a shard folder"):
        load_shards(str(tmp_path))


def test_bad_corpora_get_one_line_with_file_and_line(tmp_path, capsys, corpus, spiece_path):
    from keras_albert_cli.cli import main
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"one sentence.\ntwo sentences.\n\nfine here.\nbroken \xff here.\n")
    empty, blank, lonely = tmp_path / "empty.txt", tmp_path / "blank.txt", tmp_path / "lonely.txt"
    empty.write_bytes(b"")
    blank.write_text("\n  \n\n")
    lonely.write_text("one sentence alone .\n\nanother alone .\n")
    for path, message in ((bad, f"{bad}:5: not UTF-8 text (byte 0xff at column 8)"),
                          (empty, f"{empty}: the file is empty"),
                          (blank, f"{blank}: the file has no text, only blank lines"),
                          (lonely, f"no training examples: skipped 2 of 2 documents too short for a sentence-order "
                                   f"pair (the first at {lonely}:1); a document needs two or more sentences"),
                          (tmp_path / "missing.txt", "corpus file not found")):
        corpora = [str(path)] if path == lonely else [corpus, str(path)]
        assert main(["pretrain-data", "--corpus", *corpora, "--out", str(tmp_path / "out"),
                     "--spiece", spiece_path, "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and message in err
        assert not os.path.exists(tmp_path / "out")              # nothing written
    assert main(["pretrain-data", "--corpus", corpus, "--out", str(tmp_path / "out"), "--eval-fraction", "1.5"]) == 2
    assert capsys.readouterr().err == ("keras-albert pretrain-data: error: --eval-fraction 1.5 is out of range: it "
                                       "must be at least 0 and below 1\n")
    assert main(["pretrain-data", "--corpus", corpus, "--out", str(tmp_path / "out"), "--vocab-size", "0"]) == 2
    assert capsys.readouterr().err == "keras-albert pretrain-data: error: --vocab-size must be at least 1, got 0\n"
    # streaming: the first document comes before the bad line is read
    docs = iter_documents([str(bad)])
    assert next(docs).sentences == ["one sentence.", "two sentences."]
    with pytest.raises(ValueError, match=":5:"):
        next(docs)
    # short documents are counted, skipped and reported at the end; an existing --out is kept
    assert main(["pretrain-data", "--corpus", corpus, "--out", str(tmp_path / "out"), "--spiece", spiece_path,
                 "--sequence-length", "64", "--quiet"]) == 0
    out = capsys.readouterr().out
    first = f"{corpus}:{_line(corpus, 'a lonely sentence .')}"
    assert f"skipped 2 of 63 documents too short for a sentence-order pair (the first at {first})" in out
    assert main(["pretrain-data", "--corpus", corpus, "--out", str(tmp_path / "out"), "--spiece", spiece_path]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_vocabulary_from_a_bounded_uniform_sample(tmp_path):
    path = tmp_path / "numbers.txt"
    path.write_text("\n\n".join(f"sentence {2 * i} .\nsentence {2 * i + 1} ." for i in range(500)) + "\n")
    n, sample = scan_corpus([str(path)], sample_size=100, seed=0)
    assert n == 500 and len(sample) == 100 == len(set(sample))
    numbers = np.array([int(s.split()[1]) for s in sample])
    assert (numbers >= 500).sum() > 25                          # not just the first 100 sentences
    assert scan_corpus([str(path)], sample_size=100, seed=0)[1] == sample


def test_missing_beam_is_one_line(monkeypatch, tmp_path, corpus):
    import sys
    monkeypatch.setitem(sys.modules, "apache_beam", None)
    with pytest.raises(ValueError, match=r"pip install 'keras-albert\[beam\]'"):
        prepare_shards([corpus], str(tmp_path / "x"), opts=OPTS, runner="DirectRunner")
