"""Run an exported .tflite classifier in Python: `ai_edge_litert`, else `tflite_runtime`.

Deliberately free of TensorFlow and keras_albert imports at import time, so it also runs in a lean environment
with only an old `tflite_runtime` and numpy (the compatibility test loads this file there by path); only `pack`,
which takes the library's tokenizer, imports the library's packer.
"""
import io
import os
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


def pack(tokenizer, text, max_length=None, text_pair=None):
    """One sentence -> MediaPipe's BERT inputs: `[CLS] pieces [SEP]`, mask 1, segment ids 0, shape [1, n]; with
    `text_pair` (a pair classifier) `[CLS] text [SEP] text_pair [SEP]`, segment ids 1 on the second text, the
    longer text cut first. `max_length`: where to cut, the file's own cut (`TFLiteClassifier.input_limit`); None
    packs one text whole, which a `keras-albert export` file cuts where its export did (as MediaPipe, which
    passes the whole text, gets it); a pair needs it, since a cut pair is cut from its longer text, not its end.
    The library's one packer (`keras_albert.packing.pack`), imported here only, since it needs the library's
    tokenizer anyway."""
    from keras_albert.packing import pack as pack_rows
    if max_length is None and text_pair is not None:
        raise ValueError("a sentence pair is cut from its longer text: give max_length (the file's input_limit)")
    [row] = pack_rows(tokenizer, text, text_pair, max_length=max_length or 2**31 - 1, offsets=False)
    ids = np.asarray([row.ids], np.int32)
    return {"ids": ids, "mask": np.ones_like(ids), "segment_ids": np.asarray([row.segment_ids], np.int32)}


def associated_files(tflite_bytes):
    """Files packed into the model by its metadata (spiece.model, labels.txt), by name; {} without any."""
    try:
        with zipfile.ZipFile(io.BytesIO(tflite_bytes)) as z:
            return {name: z.read(name) for name in z.namelist()}
    except zipfile.BadZipFile:
        return {}


def read_exported(model_path):
    """A .tflite written by `keras-albert export` -> (its bytes, AlbertTokenizer, labels or None): the vocabulary
    and labels from the file's metadata or, failing that, spiece.model / labels.txt beside it."""
    from keras_albert.model_dir import LABELS, SPIECE, parse_labels

    content, files, packed = read_with_files(model_path)
    if SPIECE not in files:
        raise FileNotFoundError(f"{model_path} carries no vocabulary and there is no {SPIECE} beside it")
    labels = parse_labels(files[LABELS].decode("utf-8", "replace"), where_is(model_path, LABELS, packed)) \
        if LABELS in files else None
    return content, tokenizer_of(model_path, files, packed), labels


def where_is(model_path, name, packed):
    """How an error names one of a .tflite's files: packed in it, or the file beside it."""
    return (f"the {name} packed in {model_path}" if name in packed
            else os.path.join(os.path.dirname(model_path) or ".", name))


def tokenizer_of(model_path, files, packed):
    """The AlbertTokenizer of a .tflite's vocabulary (`read_with_files`' files); one line naming it if broken."""
    from keras_albert.model_dir import SPIECE
    from keras_albert.tokenizer import AlbertTokenizer
    try:
        return AlbertTokenizer(files[SPIECE])
    except RuntimeError:  # sentencepiece's own parse error
        raise ValueError(f"{where_is(model_path, SPIECE, packed)} is not a SentencePiece model") from None


def read_with_files(model_path):
    """A .tflite -> (its bytes, {name: bytes}, the names packed in the file): the files packed in its metadata,
    and spiece.model / labels.txt from beside it where the file has none."""
    from keras_albert.model_dir import LABELS, SPIECE

    if not os.path.isfile(model_path):
        raise FileNotFoundError(f"no TFLite model at {model_path}")
    with open(model_path, "rb") as f:
        content = f.read()
    if content[4:8] != b"TFL3":
        raise ValueError(f"{model_path} is not a TFLite model")
    try:  # a truncated or damaged file: named here, not LiteRT's bare "not a valid Flatbuffer buffer" later
        interpreter_class()(model_content=content)
    except ValueError as e:
        raise ValueError(f"{model_path}: {str(e).splitlines()[0] if str(e) else 'LiteRT cannot read it'}") from None
    files = associated_files(content)
    packed = frozenset(files)
    folder = os.path.dirname(os.path.abspath(model_path))
    for name in (SPIECE, LABELS):
        if name not in files and os.path.isfile(os.path.join(folder, name)):
            with open(os.path.join(folder, name), "rb") as f:
                files[name] = f.read()
    return content, files, packed


def window(model_content, model_path="the model", signature=SIGNATURE):
    """The fixed input length of a .tflite's signature (a question-answering window), or None for any length;
    a file LiteRT cannot read is one ValueError naming it."""
    try:
        runner = interpreter_class()(model_content=model_content).get_signature_runner(signature)
    except ValueError as e:  # no such signature
        raise ValueError(f"{model_path}: {str(e).splitlines()[0] if str(e) else 'no ' + signature}") from None
    details = runner.get_input_details()
    if any(n not in details for n in INPUTS):
        raise ValueError(f"{model_path} is not a file `keras-albert export` writes: inputs {sorted(details)}")
    length = int(details["ids"]["shape_signature"][-1])
    return length if length > 0 else None


def signature_outputs(model_content, signature=SIGNATURE):
    """The output names of a .tflite's signature (what tells an exported task's file from another's)."""
    return tuple(interpreter_class()(model_content=model_content).get_signature_list().get(signature, {})
                 .get("outputs", ()))


class TFLiteClassifier:
    """A .tflite with inputs ids/mask/segment_ids and output probabilities (softmax), any sequence length.

    `weight_cache=True` runs it with LiteRT's CompiledModel and XNNPACK's weight cache, which packs ALBERT's
    shared block once instead of once per layer (albert-large int8: 45 instead of 56 ms at 128 tokens, 92 MB
    instead of 1.5 GB; BENCHMARKS.md). The default is the classic Interpreter, which every runtime has.
    """

    def __init__(self, model_path=None, model_content=None, num_threads=None, signature=SIGNATURE,
                 weight_cache=False):
        if model_content is None:
            with open(model_path, "rb") as f:
                model_content = f.read()
        self.model_content, self.signature = model_content, signature
        if weight_cache:
            self.interpreter = self.runner = CompiledRunner(model_content, num_threads or 1, signature)
        else:
            self.interpreter = interpreter_class()(model_content=model_content, num_threads=num_threads)
            self.runner = self.interpreter.get_signature_runner(signature)
        details = self.runner.get_input_details()
        missing = [n for n in INPUTS if n not in details]
        if missing:
            raise ValueError(f"not a keras-albert classifier: inputs {sorted(details)} lack {missing}")

    @property
    def input_limit(self):
        """Where the file cuts longer input (its export's sequence length; None if the graph does not say):
        packing to it gives what a runtime that passes the whole text (MediaPipe) gives."""
        from keras_albert_export.tflite import input_limit
        return input_limit(self.model_content, self.signature)

    OUTPUT, KIND = "probabilities", "classifier"  # the signature output read, the model it makes in words

    def __call__(self, inputs):
        """inputs: dict ids/mask/segment_ids int32 [1, n] -> probabilities [classes] (resizes as needed)."""
        out = self.runner(**{n: np.asarray(inputs[n], np.int32) for n in INPUTS})
        if self.OUTPUT not in out:
            raise ValueError(f"not a keras-albert {self.KIND}: its outputs {sorted(out)} lack {self.OUTPUT!r}")
        return out[self.OUTPUT][0].copy()

    @staticmethod
    def names(labels, values):
        """Label names for the output's columns: the model's labels, else the column numbers."""
        if labels and len(labels) != len(values):
            raise ValueError(f"the labels name {len(labels)} classes but the model has {len(values)} outputs: "
                             f"labels.txt does not belong to this model")
        return list(labels) if labels else [str(i) for i in range(len(values))]

    def result(self, values, labels=None):
        """One prediction in words: the best class and its probability, and every class's probability."""
        names = self.names(labels, values)
        best = int(np.argmax(values))
        return {"label": names[best], "score": float(values[best]),
                "probabilities": dict(zip(names, map(float, values)))}

    @staticmethod
    def columns(result):
        """`result` as the columns of one line of `keras-albert classify`."""
        return [result["label"], f"{result['score']:.4f}"]

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


class TFLiteMultiLabelClassifier(TFLiteClassifier):
    """A multi-label classifier's .tflite: one sigmoid probability per class, each class decided on its own
    (above 0.5, as transformers' `multi_label_classification` and the Keras model's logit above 0 decide)."""
    OUTPUT, KIND = "multi_label_probabilities", "multi-label classifier"

    def result(self, values, labels=None):
        names = self.names(labels, values)
        return {"labels": [n for n, p in zip(names, values) if p > 0.5],
                "probabilities": dict(zip(names, map(float, values)))}

    @staticmethod
    def columns(result):
        return [",".join(result["labels"]) or "-",
                ",".join(f"{result['probabilities'][n]:.4f}" for n in result["labels"]) or "-"]


class TFLiteRegressor(TFLiteClassifier):
    """A regression model's .tflite (STS-B-like scores): output `score` [1, 1], the raw regression value."""
    OUTPUT, KIND = "score", "regression model"

    def result(self, values, labels=None):
        return {"score": float(values[0])}

    @staticmethod
    def columns(result):
        return [f"{result['score']:.4f}"]


class CompiledRunner:
    """A signature runner (`runner(**inputs) -> {name: array}`) on ai_edge_litert's CompiledModel with the
    XNNPACK weight cache in a temporary file."""

    def __init__(self, model_content, num_threads, signature):
        import os
        import tempfile
        try:
            from ai_edge_litert.compiled_model import CompiledModel
            from ai_edge_litert.cpu_options import CpuOptions
            from ai_edge_litert.hardware_accelerator import HardwareAccelerator
            from ai_edge_litert.options import Options
        except ImportError:
            raise ValueError("the weight cache needs ai_edge_litert's CompiledModel: pip install ai-edge-litert") \
                from None
        self._dir = tempfile.TemporaryDirectory()
        cpu = CpuOptions(num_threads=num_threads, xnnpack_weight_cache_path=os.path.join(self._dir.name, "w.xnn"))
        with _quiet_native_stderr():  # LiteRT logs every accelerator it probes at INFO level
            self.model = CompiledModel.from_buffer(
                model_content, options=Options(hardware_accelerators=HardwareAccelerator.CPU, cpu_options=cpu))
        _silence_teardown_logs()
        self.key, self.index = signature, self.model.get_signature_index(signature)
        self.signature = self.model.get_signature_by_index(self.index)
        self._shape = None

    def get_input_details(self):
        return self.model.get_input_tensor_details(self.key)

    def __del__(self):
        with _quiet_native_stderr():
            self.__dict__.clear()

    def __call__(self, **inputs):
        with _quiet_native_stderr():  # buffers and runs may create a LiteRT environment, which logs too
            return self._run(inputs)

    def _run(self, inputs):
        shape = list(np.shape(inputs[self.signature["inputs"][0]]))
        if shape != self._shape:  # resize and new buffers only when the length changes
            for name in self.signature["inputs"]:
                self.model.resize_input_tensor_by_name(self.key, name, shape)
            self._in = self.model.create_input_buffers(self.index)
            self._out = self.model.create_output_buffers(self.index)
            details = self.model.get_output_tensor_details(self.key)
            self._out_shapes = [details[name]["shape"] for name in self.signature["outputs"]]
            self._shape = shape
        for buffer, name in zip(self._in, self.signature["inputs"]):
            buffer.write(np.ascontiguousarray(inputs[name], np.int32))
        self.model.run_by_index(self.index, self._in, self._out)
        return {name: buffer.read(int(np.prod(shape)), np.float32).reshape(shape)
                for buffer, name, shape in zip(self._out, self.signature["outputs"], self._out_shapes)}


class _quiet_native_stderr:
    """Silence file descriptor 2 (native logs) for a block; Python exceptions still propagate."""

    def __enter__(self):
        import os
        self._saved = os.dup(2)
        _stderr_to_devnull()

    def __exit__(self, *exc):
        import os
        os.dup2(self._saved, 2)
        os.close(self._saved)


_TEARDOWN_SILENCED = []


def _silence_teardown_logs():
    """LiteRT's global environment logs every accelerator it destroys when the interpreter shuts down, after
    the program's own output; point native stderr at /dev/null at exit (once) so those lines do not trail it."""
    if not _TEARDOWN_SILENCED:
        import atexit
        atexit.register(_stderr_to_devnull)
        _TEARDOWN_SILENCED.append(True)


def _stderr_to_devnull():
    """Point file descriptor 2 at /dev/null (after flushing what Python has buffered for it)."""
    import os
    import sys
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
