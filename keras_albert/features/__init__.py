"""Feature builders: a task's records -> model inputs and labels as arrays, and one tf.data pipeline over them.

Every builder returns a `Features`; the training loop only calls `Features.dataset` and `Features.decode`, so a
new task needs a builder here and a `Recipe` in its tasks/ module, never a training loop of its own.
"""
from keras_albert.features.answers import answer_features  # noqa: F401
from keras_albert.features.base import Features, packed_pairs  # noqa: F401
from keras_albert.features.choices import choice_features  # noqa: F401
from keras_albert.features.multi_label import multi_label_features  # noqa: F401
from keras_albert.features.pairs import regression_features  # noqa: F401
from keras_albert.features.tokens import IGNORE, token_features, word_pieces  # noqa: F401

__all__ = ["Features", "answer_features", "packed_pairs", "choice_features", "multi_label_features",
           "regression_features", "token_features", "word_pieces", "IGNORE"]
