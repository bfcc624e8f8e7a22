"""bench/task_data.py: every file reads with its task's reader, is deterministic, and is not degenerate."""
import collections
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.task_data import write_all  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_all(str(tmp_path_factory.mktemp("tasks")), seed=0, limit=600)


def test_deterministic_and_seeded(files, tmp_path):
    again = write_all(str(tmp_path / "same"), seed=0, limit=600)
    other = write_all(str(tmp_path / "other"), seed=1, limit=600)
    for task, path in files.items():
        content = open(path, "rb").read()
        assert content == open(again[task], "rb").read(), task
        assert content != open(other[task], "rb").read(), task


def test_pairs_need_both_texts(files):
    from bench.task_data import CLAIMS
    from keras_albert.readers import read_pairs
    records = read_pairs(files["pair_classification"])
    assert len(records) == 600
    counts = collections.Counter(r["label"] for r in records)
    assert set(counts) == {"entailment", "contradiction"} and min(counts.values()) > 0.4 * len(records)
    texts = [r["text"] for r in records]
    assert len(set(texts)) == len(texts)  # every sentence used once: no test sentence is seen in training
    claims = {c for pair in CLAIMS for c in pair}
    by_claim = collections.defaultdict(collections.Counter)
    for r in records:
        assert r["text_pair"] in claims
        by_claim[r["text_pair"]][r["label"]] += 1
    for claim, c in by_claim.items():  # a claim alone does not tell the label
        assert min(c.values()) > 0.2 * sum(c.values()), claim


def test_regression_score_is_the_share_kept(files):
    import numpy as np
    from keras_albert.readers import read_pairs
    records = read_pairs(files["regression"])
    scores = np.array([r["label"] for r in records])
    assert scores.min() >= 0 and scores.max() <= 5 and scores.std() > 1.2  # spread over the scale
    for r in records[:50]:
        a, b = r["text"].split(), r["text_pair"].split()
        assert len(a) == len(b)
        assert r["label"] == pytest.approx(5 * sum(x == y for x, y in zip(a, b)) / len(a), abs=1e-3)


def test_tags_from_the_sentence_not_the_word(files):
    from keras_albert.readers import label_list, read_conll
    records = read_conll(files["token_classification"])
    assert label_list(records) == ["B-NEG", "B-POS", "I-NEG", "I-POS"]
    kinds = collections.Counter(t for r in records for t in r["tags"] if t.startswith("B-"))
    assert min(kinds.values()) > 0.4 * sum(kinds.values())
    assert all(sum(t.startswith("B-") for t in r["tags"]) == 2 for r in records)
    for r in records:  # two whole sentences of at most 22 words: the boundary is the first one's end, only
        assert len(r["tokens"]) <= 44
        ends = [i for i, w in enumerate(r["tokens"]) if w in (".", "!", "?")]
        starts = [i for i, t in enumerate(r["tags"]) if t.startswith("B-")]
        assert ends == [starts[1] - 1, len(r["tokens"]) - 1]
    word_kinds = collections.defaultdict(set)
    for r in records:
        for w, t in zip(r["tokens"], r["tags"]):
            word_kinds[w].add(t[2:])
    common = [w for w, k in word_kinds.items() if w.isalpha() and len(w) > 3]
    assert sum(len(word_kinds[w]) == 2 for w in common) > 100  # many words carry both tags


def test_choice_answers_spread_and_in_band(files):
    from keras_albert.readers import read_race
    records = read_race(files["multiple_choice"])
    positions = collections.Counter(r["label"] for r in records)
    assert set(positions) == {0, 1, 2, 3} and min(positions.values()) > 0.15 * len(records)
    for r in records:
        assert r["question"].count("_") >= 1 and len(set(r["options"])) == 4
        assert not any(o in r["question"].split() for o in r["options"])  # the blanked word is gone


def test_squad_spans(files):
    from keras_albert.readers import read_squad
    records = read_squad(files["question_answering"])
    assert len(records) == 600 and len({r["context"] for r in records}) == 600
    for r in records:
        (text, start), = r["answers"]
        head, tail = 'how does the sentence that begins " ', ' " end ?'
        assert r["question"].startswith(head) and r["question"].endswith(tail)
        quoted = r["question"][len(head):-len(tail)]
        assert len(text.split()) == 3 and len(quoted.split()) == 3
        assert 0 <= r["context"].rfind(quoted, 0, start) < start  # the named sentence comes before its end
        words = r["context"].split()
        ends = [i for i, w in enumerate(words) if w in (".", "!", "?")]
        assert len(ends) in (3, 4) and ends[-1] == len(words) - 1  # one end per sentence: "the sentence" is clear
        named = r["context"].index(quoted)
        between = r["context"][named:start + len(text)].split()
        assert not any(w in (".", "!", "?") for w in between)  # the answer ends the quoted sentence ...
        assert r["context"][start + len(text):].split()[0] in (".", "!", "?")  # ... right before its end
    assert len({r["answers"][0][0] for r in records}) > 550  # not a fixed answer
