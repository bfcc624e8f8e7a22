"""Data files for every fine-tuning task, built from the Rotten Tomatoes sentences (no SQuAD/CoNLL/RACE offline).

Each file is in its task's real format and each task needs context, not a word list:
- pairs.tsv (pair classification, MNLI-like): a sentence and a claim about its sentiment (the claim's
  polarity drawn at random); label `entailment` / `contradiction`.
- sts.tsv (regression, STS-B columns): B is A with a random share of its words replaced, in place, by words
  of another sentence; `score` = 5 x the share of A's words that B keeps.
- tags.conll (token classification): two one-sentence lines, one after the other; every word is tagged B-/I-POS
  or B-/I-NEG by the sentiment of the line it comes from, so one sentence is one entity.
- choice.jsonl (multiple choice, RACE): a sentence with one content word blanked (`_`), the article names the
  sentence's sentiment; 4 options, the 3 wrong ones are words of other sentences from the answer's frequency band.
- squad.json (question answering, SQuAD v1.1): a context of 3-4 one-sentence lines (one . ! ? each, at the
  end); the question quotes the first 3 words of one and asks how it ends; the answer is its last 3 words.
Every sentence is used at most once per file, so the CLI's 80/10/10 split never puts a test sentence in training.
Deterministic for a seed:  python bench/task_data.py OUT_DIR [--seed 0]
"""
import argparse
import collections
import json
import os
import re

import numpy as np

FILES = {"pair_classification": "pairs.tsv", "regression": "sts.tsv", "token_classification": "tags.conll",
         "multiple_choice": "choice.jsonl", "question_answering": "squad.json"}
SENTIMENT = ("negative", "positive")
STOP = set("the a an and or but of to in on at for with from by as is are was were be been it its this that these "
           "those his her their there here than then so too very not no into about just more most much has have "
           "had who whom what which when where why how all any some can will would could should may might you your "
           "they them he she we our one out up only also even such own does did doing being".split())
_WORD = re.compile(r"^[a-z]{4,}$")


def sentences():
    """(word lists, labels) of Rotten Tomatoes, whitespace normalized (its text is already tokenized)."""
    from keras_albert.data import load_labelled
    texts, labels = load_labelled("rotten_tomatoes")
    words = [t.replace("\t", " ").split() for t in texts]
    keep = [i for i, w in enumerate(words) if len(w) >= 4]
    return [words[i] for i in keep], [labels[i] for i in keep]


# claims about a review's sentiment, (positive, negative) in several wordings: no single word names the label
CLAIMS = [("the critic liked the film .", "the critic disliked the film ."),
          ("this is a positive review .", "this is a negative review ."),
          ("the reviewer recommends this movie .", "the reviewer does not recommend this movie ."),
          ("the writer enjoyed watching it .", "the writer did not enjoy watching it .")]


def build_pairs(words, labels, rng):
    """(sentence, a claim about its sentiment, entailment / contradiction): the claim's polarity is drawn at
    random, so neither text alone tells the label (as in MNLI, the hypothesis must be checked against the
    premise). Comparing two sentences' sentiments (an XOR of two noisy judgements) had a ceiling near chance."""
    rows = []
    for i in rng.permutation(len(words)):
        positive = bool(rng.integers(2))
        claim = CLAIMS[rng.integers(len(CLAIMS))][0 if positive else 1]
        rows.append((" ".join(words[i]), claim, "entailment" if positive == bool(labels[i]) else "contradiction"))
    return rows


def build_sts(words, rng):
    order = rng.permutation(len(words))
    rows = []
    for n, i in enumerate(order):
        a = words[i]
        donor = words[order[(n + 1) % len(order)]]  # another sentence's words replace the dropped ones
        share = rng.uniform(0.0, 1.0)
        replace = rng.permutation(len(a))[:int(round(share * len(a)))]
        b = list(a)
        for k, j in enumerate(replace):
            b[j] = donor[(j + k) % len(donor)]
        kept = sum(x == y for x, y in zip(a, b))
        rows.append((" ".join(a), " ".join(b), round(5.0 * kept / len(a), 3)))
    return rows


def build_tags(words, labels, rng, max_words=22):
    """Two one-sentence lines (at most `max_words` words, one . ! ? and only at the end) as one CoNLL sentence:
    the entity boundary is visible (the first line's end), the entity's kind is not (its sentiment)."""
    ends = {".", "!", "?"}
    order = [i for i in rng.permutation(len(words)) if len(words[i]) <= max_words and words[i][-1] in ends
             and not any(w in ends for w in words[i][:-1])]
    rows = []
    for a, b in zip(order[0::2], order[1::2]):
        tokens, tags = [], []
        for i in (a, b):
            kind = "POS" if labels[i] else "NEG"
            tokens += words[i]
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(words[i]) - 1)
        rows.append((tokens, tags))
    return rows


def build_choice(words, labels, rng, bands=8):
    counts = collections.Counter(w for s in words for w in s)
    content = sorted(w for w in counts if _WORD.match(w) and w not in STOP)
    rank = {w: r for r, w in enumerate(sorted(content, key=lambda w: (-counts[w], w)))}
    band_of = {w: min(bands - 1, int(bands * rank[w] / len(rank))) for w in content}
    by_band = collections.defaultdict(list)
    for w in content:
        by_band[band_of[w]].append(w)
    rows = []
    for i in rng.permutation(len(words)):
        s = words[i]
        slots = [j for j, w in enumerate(s) if w in band_of and s.count(w) == 1]  # blanked = gone
        if not slots:
            continue
        j = slots[rng.integers(len(slots))]
        answer = s[j]
        pool = [w for w in by_band[band_of[answer]] if w not in s]
        wrong = [pool[k] for k in rng.choice(len(pool), 3, replace=False)]
        options = wrong + [answer]
        rng.shuffle(options)
        question = " ".join(s[:j] + ["_"] + s[j + 1:])
        rows.append({"article": f"a {SENTIMENT[labels[i]]} review of a film.", "question": question,
                     "options": options, "answer": "ABCD"[options.index(answer)]})
    return rows


def build_squad(words, rng, min_words=8, max_words=24):
    """Contexts of 3-4 one-sentence lines (a single . ! ? and only at the end, 8-24 words, so "the sentence"
    is unambiguous and a context mostly fits one 128-piece window with its question)."""
    ends = {".", "!", "?"}
    clean = lambda s: (min_words <= len(s) <= max_words and s[-1] in ends  # noqa: E731
                       and not any(w in ends for w in s[:-1]) and s[-2][0].isalnum())
    order = [i for i in rng.permutation(len(words)) if clean(words[i])]
    data, n, q = [], 0, 0
    while n + 4 <= len(order):
        size = int(rng.integers(3, 5))
        group = [words[i] for i in order[n:n + size]]
        n += size
        starts = [" ".join(s[:3]) for s in group]
        if len(set(starts)) != len(starts) or not all(sum(w[0].isalnum() for w in s) >= 6 for s in group):
            continue
        context, offsets = "", []
        for s in group:
            offsets.append(len(context))
            context += " ".join(s) + " "
        context = context.rstrip()
        pick = int(rng.integers(len(group)))
        s = group[pick]
        body = s[:-1]  # the last words, not the final punctuation
        answer = " ".join(body[-3:])
        start = offsets[pick] + len(" ".join(s[:len(body) - 3])) + (1 if len(body) > 3 else 0)
        assert context[start:start + len(answer)] == answer
        data.append({"title": f"rt-{q}", "paragraphs": [{"context": context, "qas": [{
            "id": f"q{q}", "question": f"how does the sentence that begins \" {starts[pick]} \" end ?",
            "answers": [{"text": answer, "answer_start": start}]}]}]})
        q += 1
    return {"version": "1.1", "data": data}


def write_all(out_dir, seed=0, limit=None):
    """Write the five files to out_dir; `limit` caps the examples of each (the first after shuffling)."""
    os.makedirs(out_dir, exist_ok=True)
    words, labels = sentences()
    cap = (lambda rows: rows[:limit]) if limit else (lambda rows: rows)
    paths = {task: os.path.join(out_dir, name) for task, name in FILES.items()}
    rng = lambda k: np.random.default_rng([seed, k])  # noqa: E731  (one stream per task: files independent)
    with open(paths["pair_classification"], "w", encoding="utf-8") as f:
        f.write("sentence1\tsentence2\tlabel\n")
        f.writelines(f"{a}\t{b}\t{y}\n" for a, b, y in cap(build_pairs(words, labels, rng(1))))
    with open(paths["regression"], "w", encoding="utf-8") as f:
        f.write("sentence1\tsentence2\tscore\n")
        f.writelines(f"{a}\t{b}\t{y}\n" for a, b, y in cap(build_sts(words, rng(2))))
    with open(paths["token_classification"], "w", encoding="utf-8") as f:
        for tokens, tags in cap(build_tags(words, labels, rng(3))):
            f.writelines(f"{t} {g}\n" for t, g in zip(tokens, tags))
            f.write("\n")
    with open(paths["multiple_choice"], "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in cap(build_choice(words, labels, rng(4))))
    squad = build_squad(words, rng(5))
    squad["data"] = cap(squad["data"])
    with open(paths["question_answering"], "w", encoding="utf-8") as f:
        json.dump(squad, f)
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
