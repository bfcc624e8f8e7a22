"""bench/task_data.py: every file reads with its task's reader, is deterministic, and is not degenerate."""
import collections
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.task_data import STOP, write_all  # noqa: E402


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


def test_a_limit_keeps_the_first_examples_of_the_longer_file(files, tmp_path):
    """The builders stop once `limit` examples are drawn (a tenth of a second instead of twenty), so a smaller
    limit must give the first examples of a larger one: a test file is a prefix of the published one."""
    import json

    from keras_albert.readers import read_conll, read_race, read_squad
    fewer = write_all(str(tmp_path / "fewer"), seed=0, limit=250)
    for task in ("pair_classification", "regression"):
        lines = open(fewer[task], encoding="utf-8").read().splitlines()
        assert len(lines) == 251 and lines == open(files[task], encoding="utf-8").read().splitlines()[:251]
    for task, read in (("token_classification", read_conll), ("multiple_choice", read_race)):
        few, many = list(read(fewer[task])), list(read(files[task]))
        assert len(few) == 250 and len(many) == 600 and few == many[:250], task
    few, many = (json.load(open(p["question_answering"]))["data"] for p in (fewer, files))
    assert len(few) == 250 and few == many[:250]
    assert read_squad(fewer["question_answering"])


def _piece_of(words, sentence):
    return any(sentence[i:i + len(words)] == words for i in range(len(sentence) - len(words) + 1))


def test_pairs_need_both_texts(files):
    from keras_albert.readers import read_pairs
    records = read_pairs(files["pair_classification"])
    assert len(records) == 600
    counts = collections.Counter(r["label"] for r in records)
    assert set(counts) == {"entailment", "not_entailment"} and min(counts.values()) > 0.4 * len(records)
    texts = [r["text"] for r in records]
    assert len(set(texts)) == len(texts)  # every sentence a premise once: no test sentence is seen in training
    near = 0
    for r in records:
        sentence, phrase = r["text"].split(), r["text_pair"].split()
        assert 4 <= len(phrase) <= 8
        assert _piece_of(phrase, sentence) == (r["label"] == "entailment")
        near += r["label"] == "not_entailment" and any(  # the sentence's own piece but for one word
            sum(a != b for a, b in zip(phrase, sentence[i:i + len(phrase)])) == 1
            for i in range(len(sentence) - len(phrase) + 1))
    assert near > 0.15 * counts["not_entailment"]


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


def test_tags_mark_repeated_mentions(files):
    from keras_albert.readers import label_list, read_conll
    records = read_conll(files["token_classification"])
    assert set(label_list(records)) == {"B-REP", "O"} and len(records) == 600
    word_tags = collections.defaultdict(set)
    for r in records:
        assert len(r["tokens"]) <= 60 and "B-REP" in r["tags"]
        for i, (w, t) in enumerate(zip(r["tokens"], r["tags"])):
            content = re.fullmatch("[a-z]{4,}", w) is not None and w not in STOP
            assert (t == "B-REP") == (content and w in r["tokens"][:i])  # tagged exactly where used before
            word_tags[w].add(t)
    assert sum(len(t) == 2 for t in word_tags.values()) > 300  # many words carry both tags: context decides


def test_choice_options_all_in_the_article(files):
    from keras_albert.readers import read_race
    records = read_race(files["multiple_choice"])
    positions = collections.Counter(r["label"] for r in records)
    assert set(positions) == {0, 1, 2, 3} and min(positions.values()) > 0.15 * len(records)
    head, tail = 'what comes after " ', ' " ?'
    for r in records:
        words = r["article"].split()
        assert len(words) <= 40 and r["question"].startswith(head) and r["question"].endswith(tail)
        quote = r["question"][len(head):-len(tail)].split()
        places = [i for i in range(len(words) - 2) if words[i:i + 3] == quote]
        assert len(quote) == 3 and len(places) == 1  # the quote names one place
        assert len(set(r["options"])) == 4 and all(len(o.split()) == 3 for o in r["options"])
        assert all(_piece_of(o.split(), words) for o in r["options"])  # being in the article tells nothing
        assert _piece_of(quote + r["options"][r["label"]].split(), words)  # the answer follows the quote ...
        for k, o in enumerate(r["options"]):
            if k != r["label"]:  # ... and no wrong option does
                assert not _piece_of(quote + o.split(), words)
    assert len({r["options"][r["label"]] for r in records}) > 550  # not a fixed answer


def test_squad_answer_follows_the_quote(files):
    from keras_albert.readers import read_squad
    records = read_squad(files["question_answering"])
    assert len(records) == 600 and len({r["context"] for r in records}) == 600
    head, tail = 'what comes after " ', ' " ?'
    for r in records:
        (text, start), = r["answers"]
        assert r["question"].startswith(head) and r["question"].endswith(tail)
        quoted = r["question"][len(head):-len(tail)]
        assert len(text.split()) == 3 and len(quoted.split()) == 3
        words = r["context"].split()
        assert len(words) <= 40
        places = [i for i in range(len(words) - 2) if " ".join(words[i:i + 3]) == quoted]
        assert len(places) == 1  # the quote names one place
        assert r["context"][start:start + len(text)] == text
        assert r["context"][:start].split()[-3:] == quoted.split()  # the answer comes right after the quote
        assert all(w[0].isalnum() for w in text.split())
    assert len({r["answers"][0][0] for r in records}) > 550  # not a fixed answer
