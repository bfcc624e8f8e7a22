"""The export side of the task table: what differs per exported task (the TFLite signature's outputs, whether
its length is fixed, the Python runtime, what the report measures), one module per task keyed by the library's
task name. Nothing else in the export package branches on a task's name.

Adding a task: write `tasks/NAME.py` with its `TASK` (an `ExportTask`) and add NAME to `NAMES`.
"""
import importlib

from keras_albert_export.tasks.base import ExportTask  # noqa: F401

NAMES = ("classification", "question_answering", "token_classification")


def get(name):
    """The export entry of a library task name; one ValueError naming what can be exported otherwise."""
    if name not in NAMES:
        raise ValueError(f"a {name} model cannot be exported yet; exportable tasks: {', '.join(NAMES)}")
    task = importlib.import_module(f"keras_albert_export.tasks.{name}").TASK
    assert task.name == name
    return task


def of_model(model):
    """The export entry for a Keras task model (looked up through the library's own table)."""
    from keras_albert import tasks
    return get(tasks.of_model(model).name)


def of_tflite(runner):
    """The export entry whose signature outputs a .tflite's signature runner has (None: no keras-albert task)."""
    outputs = sorted(runner.get_output_details())
    return next((t for t in map(get, NAMES) if sorted(t.outputs) == outputs), None)
