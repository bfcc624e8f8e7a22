"""A bag-of-words baseline for every sentence task: TF-IDF word 1-2-grams and a linear model (scikit-learn).

It trains in seconds on a CPU, so the report can put the number a fine-tuned ALBERT must beat next to the
model's own, scored by the same metric functions (`keras_albert.metrics`). Pairs are featurized as
[tfidf(A), tfidf(B), tfidf(A) * tfidf(B), cosine(A, B)] with one vocabulary: the product and the cosine carry
the words the two sentences share, which "A [SEP] B" as one bag would lose.
"""
import numpy as np

from keras_albert.metrics import MAIN_METRIC, evaluate

MODELS = {"classification": "logistic regression", "pairs": "logistic regression", "regression": "ridge",
          "multi_label": "one-vs-rest logistic regression"}


def fit_baseline(task, train, test, C=4.0, alpha=1.0):
    """train, test: (texts, labels); texts are str or (str, str) pairs; labels are classes (any hashable),
    for `regression` numbers, for `multi_label` lists of class names.
    -> {"model", "task", "train_examples", "test_examples", <scores>, "main"}."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge

    if task not in MODELS:
        raise ValueError(f"the baseline covers {', '.join(MODELS)}, not {task!r}")
    (train_texts, train_labels), (test_texts, test_labels) = train, test
    if not len(train_texts) or not len(test_texts):
        raise ValueError("the baseline needs a non-empty train and test split")
    for name, texts, labels in (("train", train_texts, train_labels), ("test", test_texts, test_labels)):
        if len(texts) != len(labels):
            raise ValueError(f"{name}: {len(texts)} texts but {len(labels)} labels")
    paired = isinstance(train_texts[0], (tuple, list))
    if paired != isinstance(test_texts[0], (tuple, list)):
        raise ValueError("train and test must both be single texts or both pairs")
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)

    if paired:
        vectorizer.fit([t for pair in train_texts for t in pair])

        def features(texts):
            a = vectorizer.transform([p[0] for p in texts])
            b = vectorizer.transform([p[1] for p in texts])
            shared = a.multiply(b)  # rows are L2-normalized: a row's sum is the cosine
            return sparse.hstack([a, b, shared, sparse.csr_matrix(shared.sum(axis=1))]).tocsr()
        x_train = features(train_texts)
    else:
        x_train = vectorizer.fit_transform(train_texts)

        def features(texts):
            return vectorizer.transform(texts)
    if task == "regression":
        model = Ridge(alpha=alpha).fit(x_train, np.asarray(train_labels, np.float64))
    elif task == "multi_label":  # one binary model per class, on multi-hot rows
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.preprocessing import MultiLabelBinarizer
        binarizer = MultiLabelBinarizer().fit(list(train_labels) + list(test_labels))
        train_labels, test_labels = binarizer.transform(train_labels), binarizer.transform(test_labels)
        model = OneVsRestClassifier(LogisticRegression(C=C, max_iter=2000)).fit(x_train, train_labels)
    else:
        model = LogisticRegression(C=C, max_iter=2000).fit(x_train, np.asarray(train_labels))
    predicted = model.predict(features(test_texts))
    scores = evaluate(task, np.asarray(test_labels, np.float64 if task == "regression" else None), predicted)
    return {"model": f"tf-idf word 1-2-grams + {MODELS[task]}", "task": task, "main_metric": MAIN_METRIC[task],
            "train_examples": len(train_texts), "test_examples": len(test_texts), **scores}
