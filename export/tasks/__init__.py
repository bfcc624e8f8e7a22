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
    return _exportable(tasks.of_model(model).name, getattr(model, "problem_type", None))


def of_model_dir(model_dir):
    """The export entry for a model directory's model, read from its archive before any weights load."""
    from keras_albert import tasks
    from keras_albert.model_dir import archived_class
    registered_name, config = archived_class(model_dir)
    return _exportable(tasks.of_registered_name(registered_name).name, config.get("problem_type"))


def _exportable(name, problem_type):
    if problem_type in ("regression", "multi_label_classification"):  # softmax probabilities would be wrong
        raise ValueError(f"a {problem_type.replace('_', '-')} classifier cannot be exported yet: the exported "
                         "outputs are single-label class probabilities")
    return get(name)


def load_runtime(model_path, task_name, num_threads=2, **kwargs):
    """A .tflite written by `keras-albert export` -> its task's Python runtime, with the vocabulary and labels
    from the file's metadata or, failing that, spiece.model / labels.txt beside it."""
    from keras_albert_export.runtime import read_exported
    content, tokenizer, labels = read_exported(model_path)
    try:
        return get(task_name).runtime_class()(model_path=model_path, model_content=content,
                                              tokenizer=tokenizer, labels=labels,
                                              num_threads=num_threads, **kwargs)
    except ValueError as e:
        raise ValueError(f"{model_path} is not an exported {task_name} model ({e})") from None
