"""Run an exported SavedModel's `serving_default` in a process that never imports keras_albert; print its outputs
as JSON (strings decoded, arrays as lists) with whether keras_albert got imported.

usage: python load_task_savedmodel.py SAVED_MODEL_DIR  (stdin: {input name: [strings], ...})
"""
import json
import sys

import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tokenizer's ops)


def plain(value):
    value = value.numpy()
    if value.dtype == object:
        return [plain_bytes(v) for v in value.tolist()] if value.ndim else value.decode("utf-8")
    return value.tolist()


def plain_bytes(v):
    return [plain_bytes(x) for x in v] if isinstance(v, list) else v.decode("utf-8")


job = json.load(sys.stdin)
loaded = tf.saved_model.load(sys.argv[1])
signature = loaded.signatures["serving_default"]
out = signature(**{name: tf.constant(texts, tf.string) for name, texts in job.items()})
print(json.dumps({"outputs": {k: plain(v) for k, v in out.items()},
                  "inputs": sorted(signature.structured_input_signature[1]),
                  "imported_keras_albert": any(m.startswith("keras_albert") for m in sys.modules)}))
