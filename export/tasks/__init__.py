"""The export side of the task table: what differs per exported task (the TFLite signature's outputs, whether
its length is fixed, the Python runtime, what the report measures), one module per task keyed by the library's
task name. Nothing else in the export package branches on a task's name.

Adding a task: write `tasks/NAME.py` with its `TASK` (an `ExportTask`) and add NAME to `NAMES`. A classifier's
problems (single-label, multi-label, regression) are entries of their own: one library task, three signatures.
"""
import importlib

from keras_albert_export.tasks.base import ExportTask  # noqa: F401

NAMES = ("classification", "multi_label_classification", "regression", "question_answering", "token_classification",
         "multiple_choice")


def get(name):
    """The export entry by its name (a module of this package); one ValueError naming the exportable ones."""
    if name not in NAMES:
        raise ValueError(f"no export entry {name!r}; exportable: {', '.join(NAMES)}")
    task = importlib.import_module(f"keras_albert_export.tasks.{name}").TASK
    assert task.name == name
    return task


def of_model(model):
    """The export entry for a Keras task model (looked up through the library's own table)."""
    from keras_albert import tasks
    return _exportable(tasks.of_model(model).name, getattr(model, "problem_type", None),
                       getattr(model, "num_classes", None))


def of_model_dir(model_dir):
    """The export entry for a model directory's model, read from its archive before any weights load."""
    from keras_albert import tasks
    from keras_albert.model_dir import archived_class
    registered_name, config = archived_class(model_dir)
    return _exportable(tasks.of_registered_name(registered_name).name, config.get("problem_type"),
                       config.get("num_classes"))


def of_outputs(outputs):
    """The export entry whose signature outputs a .tflite's `serving_default` has, or None."""
    return next((get(name) for name in NAMES if set(get(name).outputs) <= set(outputs)), None)


def _exportable(task_name, problem_type, num_classes):
    """The entry exporting a `task_name` model; a classifier's by the problem it solves (single-label classes,
    multi-label classes or regression: transformers' rule when its config leaves it open)."""
    entries = [get(name) for name in NAMES if get(name).exports == task_name]
    if not entries:
        exportable = ", ".join(dict.fromkeys(get(name).exports for name in NAMES))
        raise ValueError(f"a {task_name} model cannot be exported yet; exportable tasks: {exportable}")
    if num_classes is not None:
        from keras_albert.tasks.classification import resolve_problem_type
        problem_type = resolve_problem_type(problem_type, num_classes)
    return next(t for t in entries if t.problem_type in (problem_type, None))


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
