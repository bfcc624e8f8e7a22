"""`ExportTask`: one exported task's differences, and the runtime's shared loading of a .tflite signature.

Free of TensorFlow and keras_albert at import time: the runtimes run with only a TFLite runtime and numpy (the
library is imported where a tokenizer's packing is needed)."""
import dataclasses
import operator
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class ExportTask:
    name: str                  # the entry's name: the library's task name (keras_albert.tasks), or a classifier
    #                            problem's (`problem_type`) for the classifier's other two problems
    outputs: tuple             # the TFLite signature's output names
    signature: Callable        # (keras model, backbone inputs) -> {output name: tensor}, traced into the export
    default_length: int        # a fixed window's length when the user gives none (capped at the position table);
    #                            None: any length, cut where the pipelines cut (the position table)
    fixed_length: bool         # serving_default at [1, length] (the Task Library reads its window from it)
    variants: tuple            # TFLite variants offered
    runtime: str               # "module:Class" of the Python runtime, imported on use
    measures: str              # what the report measures for this task (written into report.json)
    labels: Callable = None    # model -> default label names (labels.txt); None: the task has no labels
    gate: "Gate" = None        # how the int8 gate scores this task on held-out data (None: no gate)
    savedmodel: Callable = None  # (model, tokenizer, labels, sequence_length, pairs) -> Endpoints of the SavedModel
    metadata: str = None       # "module:function" (model bytes, spiece path, labels) -> bytes with device metadata
    calibration: Callable = None  # (tokenizer, texts, length) -> full_int8 calibration rows shaped as the task's
    #                               input; None: single sentences (keras_albert_export.tflite.representative_inputs)
    full_int8_float_ops: tuple = ()  # ops full_int8 keeps float for this task, beyond tflite.FLOAT_OPS
    full_int8_float_head: bool = False  # full_int8 keeps the output dense layer float (tflite.output_heads)
    task: str = None           # the library task it exports when not `name` (a classifier problem's entry)
    input_rows: int = 1        # the TFLite inputs' first axis: 1 (one text a run), None (a row per choice)
    problem_type: str = None   # the classifier problem it exports (keras_albert.tasks.classification.PROBLEM_TYPES)
    command: str = None        # the `keras-albert` command that runs its .tflite (classify, answer, tag, choose)

    def length(self, table, asked=None):
        """Where the export cuts input: the length asked for, else the fixed window (a fixed window costs its full
        length), else the model's position table, where the library's pipelines cut: so a long text gives every
        path the same answer."""
        return min(int(asked or self.default_length or table), table)

    @property
    def exports(self):
        """The library task whose models this entry exports."""
        return self.task or self.name

    def runtime_class(self):
        return _load(self.runtime)

    def metadata_writer(self):
        """The function writing this task's on-device metadata (`--metadata`), or None if it has none."""
        return _load(self.metadata) if self.metadata else None


def _load(target):
    """"module:name" -> the object, imported on use."""
    import importlib
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


@dataclasses.dataclass(frozen=True)
class Gate:
    """How the int8 gate scores one task: held-out records in the task's reader format, predicted by the Keras
    model through its pipeline (the float reference) and by each .tflite through the task's runtime, scored by
    keras_albert.metrics. Every score is in points (0-100) so one `--max-metric-drop` reads alike for all."""
    metrics: tuple        # the score names of `score`, the main one first (the one the gate compares)
    unit: str             # what one held-out record is, in words ("sentences", "questions")
    heldout: str          # the held-out split `finetune` writes into the model directory (keras_albert.model_dir)
    formats: str          # the formats `--data` may be in, in words (for the line refusing to gate without data)
    read: Callable        # (path, labels, default, text_columns, label_column) -> records (default: `heldout`)
    keras: Callable       # (model, tokenizer, labels, records, length) -> one prediction per record; two
    tflite: Callable      #   predictions agree when `agree` says so (default equal: a class id, a span, tags)
    score: Callable       # (records, predictions) -> {metric: points}
    agree: Callable = operator.eq  # (int8 prediction, Keras prediction) -> whether they agree
    sources: tuple = ()   # the built-in sets (keras_albert.data.SOURCES) `--data` may name instead of a file


def check_known(path, records, field, labels, what="label"):
    """Each record's `field` (a list of names) within the model's `labels`: one ValueError naming the file, line
    and the first unknown name; returns `records`."""
    known = set(labels or ())
    for r in records:
        unknown = [x for x in r[field] if x not in known]
        if unknown:
            raise ValueError(f"{path}:{r['line']}: {what} {unknown[0]!r} is not one of the model's labels "
                             f"({', '.join(labels or ())})")
    return records


@dataclasses.dataclass(frozen=True)
class Endpoints:
    """A task's SavedModel signatures: `raw` takes string tensors [batch] named `raw_inputs` (in that order, its
    argument names), `ids` the backbone's three int32 inputs as a dict; both return {output name: tensor}.
    `resources`: TensorFlow objects the graph uses beyond the model (a tokenizer's op resource), saved with it."""
    raw: Callable
    raw_inputs: tuple
    ids: Callable
    resources: tuple = ()
    raw_shapes: dict = dataclasses.field(default_factory=dict)  # a raw input's shape when not [batch]
    ids_shape: tuple = (None, None)  # the `token_ids` signature's input shape ([batch, choices, seq]: 3 axes)


class SignatureModel:
    """A .tflite's `serving_default` runner with inputs ids/mask/segment_ids and the task's outputs checked."""

    def __init__(self, model_path=None, model_content=None, num_threads=None, outputs=()):
        from keras_albert_export.runtime import INPUTS, SIGNATURE, interpreter_class
        if model_content is None:
            with open(model_path, "rb") as f:
                model_content = f.read()
        self.model_content = model_content
        self.interpreter = interpreter_class()(model_content=model_content, num_threads=num_threads)
        self.runner = self.interpreter.get_signature_runner(SIGNATURE)
        inputs, have = self.runner.get_input_details(), self.runner.get_output_details()
        missing = [n for n in INPUTS if n not in inputs] + [n for n in outputs if n not in have]
        if missing:
            raise ValueError(f"signature inputs {sorted(inputs)} and outputs {sorted(have)} lack {missing}")
        length = int(inputs["ids"]["shape_signature"][1])
        self.fixed_length = length if length > 0 else None

    def run(self, encoding):
        """One `packing.Encoding` -> {output: array without the batch axis}, padded to a fixed length if any."""
        n = len(encoding)
        length = self.fixed_length or n
        if n > length:
            raise ValueError(f"a row of {n} pieces is longer than the model's {length}")
        ids, segments, mask = (np.zeros((1, length), np.int32) for _ in range(3))
        ids[0, :n], segments[0, :n], mask[0, :n] = encoding.ids, encoding.segment_ids, 1
        out = self.runner(ids=ids, mask=mask, segment_ids=segments)
        return {k: np.asarray(v[0], np.float32) for k, v in out.items()}
