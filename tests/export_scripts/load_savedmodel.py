"""Load an exported SavedModel in a process that never imports keras_albert; print its outputs as JSON.

usage: python load_savedmodel.py SAVED_MODEL_DIR  (stdin: {"texts": [...], "ids": {...}})
"""
import json
import sys

import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tokenizer's ops)

job = json.load(sys.stdin)
loaded = tf.saved_model.load(sys.argv[1])
raw = loaded.signatures["serving_default"](text=tf.constant(job["texts"]))
ids = loaded.signatures["token_ids"](**{k: tf.constant(v, tf.int32) for k, v in job["ids"].items()})
print(json.dumps({
    "probabilities": raw["probabilities"].numpy().tolist(),
    "label": [x.decode() for x in raw["label"].numpy()],
    "ids_probabilities": ids["probabilities"].numpy().tolist(),
    "imported_keras_albert": any(m.startswith("keras_albert") for m in sys.modules),
}))
