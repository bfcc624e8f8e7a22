"""Shared pieces of the export tests: one tiny classifier trained briefly on real sentences (built once)."""
import functools
import os

from conftest import tiny_config

LABELS = ("negative", "positive")
MAX_LENGTH = 128


@functools.lru_cache(maxsize=None)
def trained_classifier(spiece_path):
    """A tiny AlbertClassifier fit for three epochs on 4,000 Rotten Tomatoes sentences: its outputs are far
    from ties, so top labels mean something when runtimes are compared. Trained once per test run (beside
    the run's vocabulary) and loaded by every other process."""
    import keras

    from conftest import built_once
    from keras_albert import AlbertClassifier  # noqa: F401  (registers the class that loading names)
    from keras_albert.tokenizer import AlbertTokenizer
    path = built_once(os.path.dirname(spiece_path), "trained_classifier.keras",
                      lambda partial: _fit_classifier(spiece_path).save(partial))
    return keras.models.load_model(path, compile=False), AlbertTokenizer.from_file(spiece_path)


def _fit_classifier(spiece_path):
    """Three epochs in length-bucketed batches (the library's fine-tuning input pipeline)."""
    import keras

    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.data import splits
    from keras_albert.datasets import text_dataset
    from keras_albert.tokenizer import AlbertTokenizer

    tokenizer = AlbertTokenizer.from_file(spiece_path)
    keras.utils.set_random_seed(0)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size,
                                                        max_position_embeddings=MAX_LENGTH)), 2)
    texts, labels = splits()["train"]
    data, steps = text_dataset(tokenizer, texts[:4000], labels[:4000], num_classes=2, sequence_length=MAX_LENGTH,
                               batch_size=32, epochs=3, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-4),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    model.fit(data, epochs=3, steps_per_epoch=steps, shuffle=False, verbose=0)  # the plan shuffles
    return model


@functools.lru_cache(maxsize=None)
def trained_tflite(spiece_path, variant):
    """`trained_classifier` converted once per variant at its full length and shared by the export tests
    (full_int8 calibrated on 200 train sentences the model never saw)."""
    from keras_albert.data import splits
    from keras_albert_export.tflite import convert
    model, tokenizer = trained_classifier(spiece_path)
    calibration = splits()["train"][0][4000:4200] if variant == "full_int8" else None
    return convert(model, variant, tokenizer=tokenizer, calibration_texts=calibration)


def keras_probabilities(model, tokenizer, texts, length=MAX_LENGTH):
    import numpy as np

    from keras_albert.preprocessor import AlbertPreprocessor
    inputs = {k: v.numpy() for k, v in AlbertPreprocessor(tokenizer, length)(list(texts)).items()}
    logits = np.asarray(model.predict(inputs, verbose=0), np.float64)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def held_out(n=60):
    from keras_albert.data import splits
    return splits()["test"][0][:n]


def mediapipe_scores(path, texts, labels):
    """MediaPipe TextClassifier's score of every label (columns in `labels`' order) for each text."""
    import numpy as np
    from mediapipe.tasks.python import text
    from mediapipe.tasks.python.core.base_options import BaseOptions
    options = text.TextClassifierOptions(base_options=BaseOptions(model_asset_path=path))
    with text.TextClassifier.create_from_options(options) as classifier:
        rows = []
        for t in texts:
            categories = classifier.classify(t).classifications[0].categories
            by_name = {c.category_name: c.score for c in categories}
            rows.append([by_name[name] for name in labels])
    return np.asarray(rows)
