"""Data files for every fine-tuning task, built from the IMDB reviews (no SQuAD/CoNLL/MNLI/RACE/STS-B offline).

Each file is in its task's real format, every sentence is used at most once per file (in one example: the CLI's
80/10/10 split never puts a test sentence in training), and each task needs context, not a word list:
- pairs.tsv (pair classification, RTE/QNLI labels): a review sentence and a 4-8 word phrase; `entailment` when
  the phrase is a piece of the sentence, `not_entailment` when it is a piece of another sentence of the same
  review or the sentence's own piece with one word swapped for one of that other sentence.
- sts.tsv (regression, STS-B columns): B is A with a random share of its words replaced, in place, by words
  of another review's sentence (never an A); `score` = 5 x the share of A's words that B keeps.
- tags.conll (token classification): the opening sentences of a review; a content word is tagged B-REP where the
  text has already used it (a repeated mention), O at its first use: the same word gets both tags.
- choice.jsonl (multiple choice, RACE): the article is 2 sentences of a review; the question quotes 3 words of
  it (`what comes after " ... " ?`); the right option is the next 3 words, the wrong ones other 3-word pieces of it.
- squad.json (question answering, SQuAD v1.1): the context is 1-2 sentences of a review; the question quotes
  3 words of it (`what comes after " ... " ?`, a quote found once in the context); the answer is the next 3 words.
Deterministic for a seed:  python bench/task_data.py OUT_DIR [--seed 0] [--limit N]
"""
import argparse
import collections
import collections.abc
import functools
import html
import itertools
import json
import os
import re

import numpy as np

FILES = {"pair_classification": "pairs.tsv", "regression": "sts.tsv", "token_classification": "tags.conll",
         "multiple_choice": "choice.jsonl", "question_answering": "squad.json"}
ENDS = frozenset(".!?")
STOP = set("the a an and or but of to in on at for with from by as is are was were be been it its this that these "
           "those his her their there here than then so too very not no into about just more most much has have "
           "had who whom what which when where why how all any some can will would could should may might you your "
           "they them he she we our one out up only also even such own does did doing being".split())
_TOKEN = re.compile(r"(?:\w\.){2,}|\w+(?:'\w+)*|[^\w\s]")  # "u.s." and "don't" stay one word
_CONTENT = re.compile(r"^[a-z]{4,}$")


def _is_word(w):
    return w[0].isalnum()


def _content(w):
    return bool(_CONTENT.match(w)) and w not in STOP


def split_sentences(text):
    """A review as lowercase word lists, one per sentence (a run of . ! ? ends one; markup dropped)."""
    words = _TOKEN.findall(html.unescape(text.replace("<br />", " ")).lower())
    out, current = [], []
    for n, w in enumerate(words):
        current.append(w)
        if w in ENDS and (n + 1 == len(words) or words[n + 1] not in ENDS):
            out.append(current)
            current = []
    return out + ([current] if current else [])


def clean(s, low=6, high=30):
    """One sentence of `low`-`high` words (symbols count as words) whose only . ! ? ends it, after a word."""
    return low <= len(s) <= high and s[-1] in ENDS and ENDS.isdisjoint(s[:-1]) and _is_word(s[-2])


class Reviews(collections.abc.Sequence):
    """Reviews as lists of sentences (word lists), each split on first use and kept: a builder stopped early by
    `limit` splits only the reviews it read (splitting all 25,000 is a fifth of a full `write_all`)."""

    def __init__(self, texts):
        self.texts, self.split = texts, {}

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, i):
        if i not in self.split:
            self.split[i] = split_sentences(self.texts[i])
        return self.split[i]


@functools.lru_cache(maxsize=1)
def reviews():
    """Every distinct IMDB review (`Reviews`), in the package's order; one per process, shared by every builder."""
    from keras_albert.data import load_texts
    return Reviews(list(distinct(load_texts("imdb"), key=lambda t: t)))


def windows(sentences, rng, low, high, max_words):
    """Non-overlapping runs of `low`..`high` consecutive clean sentences of one review, at most `max_words` words
    each, in reading order (each run's size drawn at random)."""
    i = 0
    while i < len(sentences):
        size = int(rng.integers(low, high + 1))
        run = sentences[i:i + size]
        if len(run) == size and all(clean(s) for s in run) and sum(map(len, run)) <= max_words:
            yield run
            i += size
        else:
            i += 1


def review_windows(docs, rng, low, high, max_words):
    """`windows` of every review, the reviews in a random order."""
    return (w for d in rng.permutation(len(docs)) for w in windows(docs[d], rng, low, high, max_words))


def clean_sentences(review):
    return [s for s in review if clean(s, 8)]


def distinct(rows, key):
    """`rows` without those whose `key` was seen before (IMDB repeats stock sentences across reviews), lazily:
    a builder stops drawing once its caller has the examples it wants."""
    seen = set()
    return (r for r in rows if not (key(r) in seen or seen.add(key(r))))


def build_pairs(docs, rng):
    """(sentence, phrase, entailment / not_entailment): every phrase is a real 4-8 word piece of this review,
    so only reading both texts tells whether the sentence contains it."""
    order = rng.permutation(len(docs))

    def rows():
        for d in order:
            own = clean_sentences(docs[d])
            for k in (range(len(own)) if len(own) > 1 else ()):
                a, b = own[k], own[(k + 1 + int(rng.integers(len(own) - 1))) % len(own)]  # b: any other sentence
                yield _pair(a, b, rng)
    return distinct((r for r in rows() if r), key=lambda r: r[0])


def _pair(a, b, rng):
    """One (sentence, phrase, label) from sentence `a` and another sentence `b` of its review; None if no near
    miss can be made."""
    size = int(rng.integers(4, min(9, len(a), len(b))))  # a piece leaves out the final . ! ?
    piece = lambda s: s[:-1][(j := int(rng.integers(len(s) - size))):j + size]  # noqa: E731
    hypothesis, label = piece(a), "entailment"
    if rng.random() < 0.5:
        if rng.random() < 0.5:
            hypothesis = piece(b)
        else:  # near miss: one word of the sentence's own piece swapped for a word it does not have
            swap = [w for w in b[:-1] if w not in a]
            if not swap:
                return None
            hypothesis = list(hypothesis)
            hypothesis[int(rng.integers(size))] = swap[int(rng.integers(len(swap)))]
        label = "not_entailment"
    return " ".join(a), " ".join(hypothesis), label


def build_sts(docs, rng):
    """(A, B, 5 x the share of A's words that B keeps in place): another review's words fill the rest."""
    picked = distinct((s for d in rng.permutation(len(docs)) for s in clean_sentences(docs[d])), key=tuple)
    for a, donor in zip(picked, picked):  # consecutive sentences: a donor is never an A, so no test A lends words
        share = rng.uniform(0.0, 1.0)
        replace = rng.permutation(len(a))[:int(round(share * len(a)))]
        b = list(a)
        for k, j in enumerate(replace):
            b[j] = donor[(j + k) % len(donor)]
        kept = sum(x == y for x, y in zip(a, b))
        yield " ".join(a), " ".join(b), round(5.0 * kept / len(a), 3)


def build_tags(docs, rng, max_words=60):
    """2-4 consecutive sentences of a review as one CoNLL sentence: B-REP on each content word the text has
    used before (a repeated mention), O elsewhere; texts without a repeat are left out."""
    for span in review_windows(docs, rng, 2, 4, max_words):
        tokens = [w for s in span for w in s]
        seen, tags = set(), []
        for w in tokens:
            tags.append("B-REP" if _content(w) and w in seen else "O")
            seen.add(w)
        if "B-REP" in tags:
            yield tokens, tags


def quoted_place(words, rng):
    """(the 3-grams of `words`, a random i whose 3-gram occurs once and is followed by 3 more words) or (grams,
    None): the quote of a `what comes after " ... " ?` question and, at i + 3, its answer."""
    grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    counts, word = collections.Counter(grams), [_is_word(w) for w in words]
    places = [i for i in range(len(words) - 5) if all(word[i:i + 6]) and counts[grams[i]] == 1]
    return grams, (places[int(rng.integers(len(places)))] if places else None)


def after(quote):
    """The question the QA and multiple-choice files both ask about a 3-word quote."""
    return f"what comes after \" {' '.join(quote)} \" ?"


def build_choice(docs, rng, max_words=40):
    """RACE reading comprehension: the article is 2 sentences; the question quotes 3 words found once in it
    (`what comes after " ... " ?`); the right option is the 3 words after them, the 3 wrong options other 3-word
    pieces of the article (overlapping neither the quote nor the answer), so every option is in the article."""
    for span in review_windows(docs, rng, 2, 2, max_words):
        words = [w for s in span for w in s]
        grams, i = quoted_place(words, rng)
        if i is None:
            continue
        answer = grams[i + 3]
        pool = sorted({g for j, g in enumerate(grams) if (j + 3 <= i or j >= i + 6) and all(map(_is_word, g))
                       and g != answer})
        if len(pool) < 3:
            continue
        options = [pool[k] for k in rng.choice(len(pool), 3, replace=False)] + [answer]
        rng.shuffle(options)
        yield {"article": " ".join(words), "question": after(grams[i]),
               "options": [" ".join(o) for o in options], "answer": "ABCD"[options.index(answer)]}


def build_squad(docs, rng, max_words=40):
    """SQuAD v1.1 articles (the file's "data"): 1-2 sentences of a review; the question quotes 3 words found once
    in the context, the answer is the 3 words after them (all inside one sentence)."""
    q = 0
    for span in review_windows(docs, rng, 1, 2, max_words):
        words = [w for s in span for w in s]
        grams, i = quoted_place(words, rng)
        if i is None:
            continue
        context = " ".join(words)
        start = len(" ".join(words[:i + 3])) + 1
        answer = " ".join(words[i + 3:i + 6])
        assert context[start:start + len(answer)] == answer
        yield {"title": f"imdb-{q}", "paragraphs": [{"context": context, "qas": [{
            "id": f"q{q}", "question": after(grams[i]), "answers": [{"text": answer, "answer_start": start}]}]}]}
        q += 1


def write_all(out_dir, seed=0, limit=None):
    """Write the five files to out_dir; `limit` caps the examples of each (the first after shuffling: the
    builders are generators, so a limit stops them early and the first `limit` are those of the full files)."""
    os.makedirs(out_dir, exist_ok=True)
    docs = reviews()
    cap = lambda rows: itertools.islice(rows, limit)  # noqa: E731  (limit None: every row)
    paths = {task: os.path.join(out_dir, name) for task, name in FILES.items()}
    rng = lambda k: np.random.default_rng([seed, k])  # noqa: E731  (one stream per task: files independent)
    with open(paths["pair_classification"], "w", encoding="utf-8") as f:
        f.write("sentence1\tsentence2\tlabel\n")
        f.writelines(f"{a}\t{b}\t{y}\n" for a, b, y in cap(build_pairs(docs, rng(1))))
    with open(paths["regression"], "w", encoding="utf-8") as f:
        f.write("sentence1\tsentence2\tscore\n")
        f.writelines(f"{a}\t{b}\t{y}\n" for a, b, y in cap(build_sts(docs, rng(2))))
    with open(paths["token_classification"], "w", encoding="utf-8") as f:
        for tokens, tags in cap(build_tags(docs, rng(3))):
            f.writelines(f"{t} {g}\n" for t, g in zip(tokens, tags))
            f.write("\n")
    with open(paths["multiple_choice"], "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in cap(build_choice(docs, rng(4))))
    with open(paths["question_answering"], "w", encoding="utf-8") as f:
        json.dump({"version": "1.1", "data": list(cap(build_squad(docs, rng(5))))}, f)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="at most this many examples per task")
    args = parser.parse_args()
    for task, path in write_all(args.out, args.seed, args.limit).items():
        print(task, path)


if __name__ == "__main__":
    main()
