"""The bag-of-words baseline: Rotten Tomatoes accuracy on our fixed split, a regression and a pair task on
synthetic data whose answer is known, scored by the registry's metric functions."""
import numpy as np
import pytest

from keras_albert import metrics
from keras_albert.training.baseline import fit_baseline


def test_rotten_tomatoes_accuracy():
    from keras_albert.data import splits
    parts = splits("rotten_tomatoes")
    got = fit_baseline("classification", parts["train"], parts["test"])
    # the literature's bag-of-bigrams number on the standard 10-fold split is 78.6%; this package ships 8,530
    # sentences and our seed-0 80/10/10 split scores 0.783 (853 test sentences)
    assert got["accuracy"] >= 0.74, got
    assert got["main"] == got["accuracy"] and got["main_metric"] == "accuracy"
    assert (got["train_examples"], got["test_examples"]) == (len(parts["train"][0]), len(parts["test"][0]))
    assert got["model"] == "tf-idf word 1-2-grams + logistic regression"


def _sentences(rng, n):
    """Sentences of filler words with some "good" and "bad" words; the score is #good - #bad."""
    filler = [f"w{i}" for i in range(30)]
    texts, scores = [], []
    for _ in range(n):
        good, bad = rng.integers(0, 4, 2)
        words = list(rng.choice(filler, 6)) + ["good"] * good + ["bad"] * bad
        rng.shuffle(words)
        texts.append(" ".join(words))
        scores.append(float(good - bad))
    return texts, scores


def test_regression_on_synthetic_scores():
    rng = np.random.default_rng(0)
    train, test = _sentences(rng, 600), _sentences(rng, 200)
    got = fit_baseline("regression", train, test)
    assert got["model"] == "tf-idf word 1-2-grams + ridge" and got["main"] == got["pearson"]
    assert got["pearson"] > 0.9 and got["spearman"] > 0.9, got


def test_pairs_see_shared_words():
    """Label: do the two sentences share a word? Only the A*B features can tell; one bag of A and B cannot."""
    rng = np.random.default_rng(1)
    vocab = [f"v{i}" for i in range(12)]

    def pairs(n):
        texts, labels = [], []
        for _ in range(n):
            a, b = rng.choice(vocab, 2, replace=False), rng.choice(vocab, 2, replace=False)
            texts.append((" ".join(a), " ".join(b)))
            labels.append("shared" if set(a) & set(b) else "disjoint")
        return texts, labels
    train, test = pairs(1500), pairs(400)
    got = fit_baseline("pairs", train, test)
    majority = max(np.mean(np.array(test[1]) == c) for c in ("shared", "disjoint"))
    assert got["accuracy"] > 0.9 > majority + 0.15, (got, majority)
    # the same data as one "A [SEP] B" bag of words: no feature says "this word is on both sides"
    joined = [[f"{a} [SEP] {b}" for a, b in split[0]] for split in (train, test)]
    one_bag = fit_baseline("classification", (joined[0], train[1]), (joined[1], test[1]))
    assert one_bag["accuracy"] < got["accuracy"] - 0.1, (one_bag, got)
    assert one_bag["accuracy"] == metrics.accuracy(test[1], _predict_one_bag(joined, train[1]))


def _predict_one_bag(joined, train_labels):
    """The one-bag model built with scikit-learn directly: the baseline adds nothing hidden to it."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    model = LogisticRegression(C=4.0, max_iter=2000).fit(vec.fit_transform(joined[0]), train_labels)
    return model.predict(vec.transform(joined[1]))


def test_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="the baseline covers classification, pairs, regression, multi_label, "
                                         "not 'question_answering'"):
        fit_baseline("question_answering", (["a"], [0]), (["b"], [0]))
    with pytest.raises(ValueError, match="train: 2 texts but 1 labels"):
        fit_baseline("classification", (["a", "b"], [0]), (["c"], [0]))
    with pytest.raises(ValueError, match="both be single texts or both pairs"):
        fit_baseline("pairs", ([("a", "b")], [0]), (["c"], [0]))


def test_multi_label_finds_each_keyword():
    """Each class is one keyword's presence (several, one or none per sentence): one-vs-rest finds them all."""
    rng = np.random.default_rng(2)
    filler, keys = [f"w{i}" for i in range(30)], ["alpha", "beta", "gamma"]

    def rows(n):
        texts, labels = [], []
        for _ in range(n):
            present = [k for k in keys if rng.random() < 0.4]
            words = list(rng.choice(filler, 6)) + present
            rng.shuffle(words)
            texts.append(" ".join(words))
            labels.append(present)
        return texts, labels
    got = fit_baseline("multi_label", rows(600), rows(200))
    assert got["model"] == "tf-idf word 1-2-grams + one-vs-rest logistic regression"
    assert got["main_metric"] == "micro_f1" and got["main"] == got["micro_f1"]
    assert got["micro_f1"] > 0.95 and got["macro_f1"] > 0.95 and got["subset_accuracy"] > 0.9, got
