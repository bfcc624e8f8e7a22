"""CSV/TSV/JSONL readers (bad rows named by file and line, or counted), batch plans, the in-graph pipeline."""
import json

import numpy as np
import pytest

from keras_albert import datasets
from keras_albert.preprocessor import AlbertPreprocessor


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_read_csv_tsv_jsonl(tmp_path):
    csv_path = _write(tmp_path / "d.csv", 'text,label\n"good, fun",pos\nawful,neg\n\nok,pos\n')
    t = datasets.read_table(csv_path)
    assert t.texts == ["good, fun", "awful", "ok"] and t.labels == ["pos", "neg", "pos"] and t.skipped == 0
    tsv_path = _write(tmp_path / "d.tsv", "a\tb\ty\nx one\tx two\t1\nz\tw\t0\n")
    t = datasets.read_table(tsv_path, text_columns=("a", "b"), label_column="y")
    assert t.texts == [("x one", "x two"), ("z", "w")] and datasets.label_names(t.labels) == ["0", "1"]
    jsonl = _write(tmp_path / "d.jsonl", json.dumps({"text": "hi", "label": 2}) + "\n\n" +
                   json.dumps({"text": "yo", "label": 10}) + "\n")
    t = datasets.read_table(jsonl)
    assert t.labels == ["2", "10"] and datasets.label_names(t.labels) == ["2", "10"]  # numeric order


@pytest.mark.parametrize("name,content,line,why,bad", [
    ("bad.csv", "text,label\nfine,a\ntoo,many,fields\n", 3, "3 fields", 1),
    ("bad.tsv", "text\tlabel\nfine\ta\n\tb\n", 3, "empty", 1),
    ("bad.jsonl", '{"text": "a", "label": 1}\n{"text": "b"}\n{broken\n', 2, "missing label", 2),
])
def test_bad_rows_are_errors_or_counted(tmp_path, name, content, line, why, bad):
    path = _write(tmp_path / name, content)
    with pytest.raises(ValueError, match=rf"{name}:{line}: .*{why}"):
        datasets.read_table(path)
    t = datasets.read_table(path, skip_bad_rows=True)
    assert t.skipped == bad and len(t.texts) == 1
    # the hint names finetune's flag only where the caller offers it (export --data has no such flag)
    with pytest.raises(ValueError, match=r"\(pass --skip-bad-rows to skip and count such rows\)$"):
        datasets.read_table(path, skip_bad_rows=False)
    with pytest.raises(ValueError) as error:
        datasets.read_table(path)
    assert "--skip-bad-rows" not in str(error.value)


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        datasets.read_table(str(tmp_path / "nope.csv"))
    with pytest.raises(ValueError, match="unknown data format"):
        datasets.read_table(_write(tmp_path / "x.xml", "<a/>"))
    with pytest.raises(ValueError, match="no usable rows"):
        datasets.read_table(_write(tmp_path / "e.csv", "text,label\n,1\n"), skip_bad_rows=True)
    for skip in (False, True):  # a column the header lacks is the file's error, not one bad row each
        with pytest.raises(ValueError, match=r"h.csv: the header has no column 'label' \(its columns: 'text', 'y'\)"):
            datasets.read_table(_write(tmp_path / "h.csv", "text,y\nfine,1\n"), skip_bad_rows=skip)


def test_a_stray_quote_that_swallows_rows_is_never_skipped_as_one(tmp_path):
    """A review starting with `"` in a .tsv opens a quoted field that takes every later line into one row: with
    --skip-bad-rows 174 of 195 rows vanished as "1 malformed row". It is the file's error, with or without it; a
    quoted field that spans lines and fits the header stays one good row."""
    rows = "".join(f"review {i}\t{'good' if i % 2 else 'bad'}\n" for i in range(30))
    path = _write(tmp_path / "q.tsv", "text\tlabel\n" + rows[:40] + '" quoted start\tgood\n' + rows[40:])
    for skip in (None, True):
        with pytest.raises(ValueError, match=r'q.tsv:5: a quote \(\"\) opens a field that runs to line 32'):
            datasets.read_table(path, skip_bad_rows=skip)
    fine = _write(tmp_path / "fine.csv", 'text,label\n"two\nlines",good\nplain,bad\n')
    assert datasets.read_table(fine).texts == ["two\nlines", "plain"]


def test_load_splits_builtin_and_file(tmp_path):
    from keras_albert.data import splits
    got, names, skipped = datasets.load_splits("rotten_tomatoes")
    assert got == splits("rotten_tomatoes") and names == ["negative", "positive"] and skipped == 0
    rows = "".join(f"t{i},{'yes' if i % 3 else 'no'}\n" for i in range(50))
    got, names, _ = datasets.load_splits(_write(tmp_path / "f.csv", "text,label\n" + rows))
    assert names == ["no", "yes"]
    assert [len(got[k][0]) for k in ("train", "validation", "test")] == [40, 5, 5]
    all_texts = sorted(t for k in got for t in got[k][0])
    assert all_texts == sorted(f"t{i}" for i in range(50))
    assert all(got["train"][1][j] == (0 if int(t[1:]) % 3 == 0 else 1) for j, t in enumerate(got["train"][0]))


def test_batch_plan_is_a_fixed_permutation_per_epoch():
    lengths = np.random.default_rng(0).integers(1, 60, 1000)
    a = datasets.batch_plan(lengths, 32, seed=5, epoch=0)
    assert [x.tolist() for x in a] == [x.tolist() for x in datasets.batch_plan(lengths, 32, seed=5, epoch=0)]
    assert len(a) == 32 and sorted(np.concatenate(a).tolist()) == list(range(1000))
    b = datasets.batch_plan(lengths, 32, seed=5, epoch=1)
    assert [x.tolist() for x in a] != [x.tolist() for x in b]
    spread = lambda plan: np.mean([np.ptp(lengths[x]) for x in plan])  # noqa: E731
    assert spread(a) < 0.2 * spread(datasets.batch_plan(lengths, 32, seed=5, bucket=False))


def test_pipeline_tokenizes_in_graph_and_buckets(tokenizer, rt_texts):
    texts, labels = rt_texts[0][:300], rt_texts[1][:300]
    ds, steps = datasets.text_dataset(tokenizer, texts, labels, 2, sequence_length=64, batch_size=16, epochs=2)
    batches = list(ds)
    assert steps == 19 and len(batches) == 38
    reference = AlbertPreprocessor(tokenizer, 64)
    widths, seen = [], []
    lengths = datasets.token_lengths(tokenizer, texts)
    for epoch in range(2):
        plan = datasets.batch_plan(lengths, 16, 0, epoch)
        for idx, (x, y) in zip(plan, batches[epoch * steps:(epoch + 1) * steps]):
            width = x["token_ids"].shape[1]
            assert width % 16 == 0 or width == 64
            expected = reference([texts[i] for i in idx])
            for k in x:
                np.testing.assert_array_equal(x[k].numpy(), expected[k].numpy()[:, :width])
                assert not expected[k].numpy()[:, width:].any()   # only padding was cut
            np.testing.assert_array_equal(y.numpy().argmax(1), [labels[i] for i in idx])
            widths.append(width)
            seen += idx.tolist()
    assert sorted(seen) == sorted(list(range(300)) * 2)
    assert np.mean(widths) < 48                                # shorter than padding everything to 64
    skipped, _ = datasets.text_dataset(tokenizer, texts, labels, 2, 64, 16, epochs=2, skip=25)
    rest = list(skipped)
    assert len(rest) == 13
    for (x1, _), (x2, _) in zip(rest, batches[25:]):
        np.testing.assert_array_equal(x1["token_ids"].numpy(), x2["token_ids"].numpy())


def test_pairs_pack_two_segments(tokenizer):
    texts = [("a fine film .", "not at all boring"), ("bad", "very very bad indeed")]
    ds, _ = datasets.text_dataset(tokenizer, texts, [1, 0], 2, 32, 2, shuffle=False, bucket=False)
    x, _ = next(iter(ds))
    expected = AlbertPreprocessor(tokenizer, 32)([t[0] for t in texts], [t[1] for t in texts])
    width = x["token_ids"].shape[1]
    np.testing.assert_array_equal(x["segment_ids"].numpy(), expected["segment_ids"].numpy()[:, :width])
    assert x["segment_ids"].numpy().max() == 1


def _labelled_file(tmp_path, labels, name="l.csv"):
    """A CSV whose row i (file line i + 2) has labels[i]."""
    return _write(tmp_path / name, "text,label\n" + "".join(f"t{i},{y}\n" for i, y in enumerate(labels)))


def _split_of_rows(n, seed=0):
    from keras_albert.data import split_rows
    parts = split_rows(list(range(n)), [0] * n, seed=seed)
    return {i: name for name, (rows, _) in parts.items() for i in rows}


def test_labels_come_from_the_training_split(tmp_path):
    where = _split_of_rows(60)
    base = ["pos" if i % 2 else "neg" for i in range(60)]
    held = next(i for i in range(60) if where[i] == "test")
    typo = list(base)
    typo[held] = "positve"                                      # a typo in the test split: refused by file:line
    path = _labelled_file(tmp_path, typo)
    with pytest.raises(ValueError, match=rf"l\.csv:{held + 2}: label 'positve' \(test split\) never occurs in the "
                                         "training split"):
        datasets.load_splits(path)
    trained = next(i for i in range(60) if where[i] == "train")
    typo = list(base)
    typo[trained] = "positve"                                   # in training: a class of one row is a typo too
    with pytest.raises(ValueError, match=rf"l\.csv:{trained + 2}: label 'positve' occurs on this row only"):
        datasets.load_splits(_labelled_file(tmp_path, typo))
    numbers = ["1" if i % 2 else "0" for i in range(60)]
    numbers[trained], numbers[trained + 1 if trained + 1 < 60 else trained - 1] = "1.0", "1.0"
    with pytest.raises(ValueError, match=r"labels '1' \(line \d+\) and '1.0' \(line \d+\) are the same number"):
        datasets.load_splits(_labelled_file(tmp_path, numbers))
    with pytest.raises(ValueError, match="the training split has only the label 'pos'; a classifier needs at least"):
        datasets.load_splits(_labelled_file(tmp_path, ["pos"] * 30))
    cased = [("Pos" if i % 9 == 0 else "pos") if i % 2 else "neg" for i in range(60)]  # a class typed two ways
    with pytest.raises(ValueError, match=r"labels 'Pos' \(line \d+\) and 'pos' \(line \d+\) differ only in case"):
        datasets.load_splits(_labelled_file(tmp_path, cased))
    assert datasets.load_splits(_labelled_file(tmp_path, cased), labels="neg,pos,Pos")[1] == ["neg", "pos", "Pos"]


def test_files_and_sets_read_as_they_are(tmp_path):
    """A .json holding one JSON array is the file's error (it was 'line 1: invalid JSON, pass --skip-bad-rows',
    advice that skips every line); a built-in set refuses column names it does not have (they were ignored)."""
    array = _write(tmp_path / "a.json", '[{"text": "a", "label": "x"},\n {"text": "b", "label": "y"}]\n')
    for skip in (None, True):
        with pytest.raises(ValueError, match=r"a.json: one JSON array; the data format is JSON lines"):
            datasets.read_table(array, skip_bad_rows=skip)
    with pytest.raises(ValueError, match="rotten_tomatoes is a built-in set with its own text and labels"):
        datasets.load_splits("rotten_tomatoes", ("sentence",))


def test_explicit_labels(tmp_path):
    base = ["pos" if i % 2 else "neg" for i in range(60)]
    got, names, _ = datasets.load_splits(_labelled_file(tmp_path, base), labels="pos, neg")
    assert names == ["pos", "neg"]                              # the given order is the id order
    texts, ids = got["train"]
    assert all(ids[j] == (0 if int(t[1:]) % 2 else 1) for j, t in enumerate(texts))
    bad = list(base)
    bad[41] = "positive"
    with pytest.raises(ValueError, match=r"l\.csv:43: label 'positive' is not one of --labels pos,neg"):
        datasets.load_splits(_labelled_file(tmp_path, bad), labels=["pos", "neg"])
    rare = list(base)
    rare[7] = "neutral"                                         # named explicitly: a rare class is the user's call
    _, names, _ = datasets.load_splits(_labelled_file(tmp_path, rare), labels="neg,neutral,pos")
    assert names == ["neg", "neutral", "pos"]
    for given, why in (("a,a", "more than once"), ("a", "at least two"), ("a,,b", "empty")):
        with pytest.raises(ValueError, match=why):
            datasets.parse_labels(given)
    with pytest.raises(ValueError, match="rotten_tomatoes has the labels negative,positive"):
        datasets.load_splits("rotten_tomatoes", labels="bad,good")


@pytest.mark.parametrize("name,content", [
    ("latin1.csv", "text,label\nfine,a\nun caf\u00e9,b\n"),
    ("latin1.tsv", "text\tlabel\nfine\ta\nun caf\u00e9\tb\n"),
    ("latin1.jsonl", '{"text": "fine", "label": "a"}\n{"text": "un caf\u00e9", "label": "b"}\n'),
])
def test_bytes_that_are_not_utf8_are_named_by_file_and_line(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    line = 3 if name.endswith("sv") else 2
    with pytest.raises(ValueError, match=rf"{name}:{line}: byte 0xe9 at column \d+ is not UTF-8 text"):
        datasets.read_table(str(path))
    path.write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))  # UTF-8 with a byte-order mark reads fine
    assert datasets.read_table(str(path)).texts == ["fine", "un caf\u00e9"]


def test_heldout_file_round_trip(tmp_path):
    names = ["neg", "pos"]
    texts = ["a \"quoted\" caf\u00e9 \U0001F600", "tab\there\nnewline", "lone \ud800 surrogate"]
    path = str(tmp_path / "heldout.jsonl")
    datasets.write_heldout(path, texts, [1, 0, 1], names)
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    assert rows[0] == {"text": texts[0], "label": "pos"} and len(rows) == 3
    assert datasets.read_heldout(path) == (texts, ["pos", "neg", "pos"])
    pairs = [("first", "second"), ("x", "y")]
    datasets.write_heldout(path, pairs, [0, 1], names)
    assert json.loads(open(path).readline()) == {"text": "first", "text_pair": "second", "label": "neg"}
    assert datasets.read_heldout(path) == (pairs, ["neg", "pos"])
    # what a user can feed back in: the same file read as finetune data
    t = datasets.read_table(path, text_columns=("text", "text_pair"))
    assert t.texts == pairs and t.labels == ["neg", "pos"]
