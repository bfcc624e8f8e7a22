"""Run an exported .tflite classifier in Python: `ai_edge_litert`, else `tflite_runtime`.

Deliberately free of TensorFlow and keras_albert imports, so it also runs in a lean environment with only
an old `tflite_runtime` and numpy (the compatibility test loads this file there by path).
"""
import io
import time
import zipfile

import numpy as np

CLS_ID, SEP_ID = 2, 3
SIGNATURE = "serving_default"
INPUTS = ("ids", "mask", "segment_ids")


def interpreter_class():
    """The TFLite Interpreter class of whichever runtime is installed, or a clear error."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            raise ValueError("no TFLite runtime installed: pip install ai-edge-litert "
                             "(or tflite-runtime)") from None
    return Interpreter


def pack(tokenizer, text, max_length=128):
    """One sentence -> MediaPipe's BERT inputs: `[CLS] pieces [SEP]`, mask 1, segment ids 0, shape [1, n]."""
    ids = [CLS_ID] + tokenizer.tokenize(text)[:max_length - 2] + [SEP_ID]
    ids = np.asarray([ids], np.int32)
    return {"ids": ids, "mask": np.ones_like(ids), "segment_ids": np.zeros_like(ids)}


def associated_files(tflite_bytes):
    """Files packed into the model by its metadata (spiece.model, labels.txt), by name; {} without any."""
    try:
        with zipfile.ZipFile(io.BytesIO(tflite_bytes)) as z:
            return {name: z.read(name) for name in z.namelist()}
    except zipfile.BadZipFile:
        return {}


class TFLiteClassifier:
    """A .tflite with inputs ids/mask/segment_ids and output probabilities, any sequence length."""

    def __init__(self, model_path=None, model_content=None, num_threads=None, signature=SIGNATURE):
        if model_content is None:
            with open(model_path, "rb") as f:
                model_content = f.read()
        self.model_content = model_content
        self.interpreter = interpreter_class()(model_content=model_content, num_threads=num_threads)
        self.runner = self.interpreter.get_signature_runner(signature)
        details = self.runner.get_input_details()
        missing = [n for n in INPUTS if n not in details]
        if missing:
            raise ValueError(f"not a keras-albert classifier: inputs {sorted(details)} lack {missing}")

    def __call__(self, inputs):
        """inputs: dict ids/mask/segment_ids int32 [1, n] -> probabilities [classes] (resizes as needed)."""
        return self.runner(**{n: np.asarray(inputs[n], np.int32) for n in INPUTS})["probabilities"][0].copy()

    def latency_ms(self, length, runs=20, warmup=2):
        """Median wall time of one inference on a [1, length] input, after `warmup` runs."""
        ids = np.full((1, length), 5, np.int32)
        ids[0, 0], ids[0, -1] = CLS_ID, SEP_ID
        inputs = {"ids": ids, "mask": np.ones_like(ids), "segment_ids": np.zeros_like(ids)}
        times = []
        for i in range(warmup + runs):  # same shape every run: the runner's resize is a no-op
            start = time.perf_counter()
            self.runner(**inputs)
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
        return float(np.median(times))
