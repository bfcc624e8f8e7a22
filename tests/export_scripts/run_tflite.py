"""Run a .tflite classifier with export/runtime.py loaded by path (no keras_albert, no TensorFlow):
for environments holding only an old tflite_runtime and numpy.

usage: python run_tflite.py RUNTIME_PY MODEL.tflite  (stdin: [{"ids": [[...]], "mask": ..., "segment_ids": ...}])
"""
import importlib.util
import json
import sys

spec = importlib.util.spec_from_file_location("runtime", sys.argv[1])
runtime = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runtime)
classifier = runtime.TFLiteClassifier(sys.argv[2])
out = [classifier(inputs).tolist() for inputs in json.load(sys.stdin)]
print(json.dumps({"probabilities": out, "runtime": classifier.interpreter.__class__.__module__}))
