"""Shared pieces of the export tests: one tiny classifier trained briefly on real sentences (built once)."""
import functools

from conftest import tiny_config

LABELS = ("negative", "positive")
MAX_LENGTH = 128


@functools.lru_cache(maxsize=None)
def trained_classifier(spiece_path):
    """A tiny AlbertClassifier fit for three epochs on 4,000 Rotten Tomatoes sentences: its outputs are far
    from ties, so top labels mean something when runtimes are compared."""
    import keras
    import numpy as np

    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.data import splits
    from keras_albert.preprocessor import AlbertPreprocessor
    from keras_albert.tokenizer import AlbertTokenizer

    tokenizer = AlbertTokenizer.from_file(spiece_path)
    keras.utils.set_random_seed(0)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size,
                                                        max_position_embeddings=MAX_LENGTH)), 2)
    texts, labels = splits()["train"]
    inputs = {k: v.numpy() for k, v in AlbertPreprocessor(tokenizer, MAX_LENGTH)(texts[:4000]).items()}
    model.compile(optimizer=keras.optimizers.Adam(3e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(inputs, np.asarray(labels[:4000]), batch_size=32, epochs=3, verbose=0)
    return model, tokenizer


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
