"""The task table: one `Task` per use of the model, one module per task. Every layer of the package (the
loader, the converters, the pipelines, the command line) looks tasks up here and nowhere branches on a name.

Adding a task: write `tasks/NAME.py` (its head model and its `TASK` named NAME) and add NAME to `NAMES`.
The heads import Keras on first use of `TASKS`, so the command line can list `NAMES` at once.
"""
import functools
import importlib

from keras_albert.tasks.base import Task  # noqa: F401

NAMES = ("backbone", "masked_lm", "pretraining", "classification", "token_classification", "question_answering",
         "multiple_choice")

# A checkpoint that names no architecture (TF1): the first of these whose head weights it holds. A fine-tuned
# checkpoint still holds its pretraining heads, so fine-tuning heads come first; the token-classification and
# multiple-choice heads carry the sequence classifier's names and cannot be told from it.
GUESS_ORDER = ("question_answering", "classification", "pretraining", "masked_lm")


@functools.cache
def _table():
    table = {name: importlib.import_module(f"keras_albert.tasks.{name}").TASK for name in NAMES}
    assert all(name == task.name for name, task in table.items())
    return table


def __getattr__(name):
    if name == "TASKS":
        return _table()
    if name == "BACKBONE":
        return _table()["backbone"]
    raise AttributeError(f"module 'keras_albert.tasks' has no attribute {name!r}")


def get(name):
    """A task by name (None: the bare backbone); an unknown name is one ValueError listing the known ones."""
    name = "backbone" if name is None else name
    if name not in NAMES:
        raise ValueError(f"unknown task {name!r}; expected one of {list(NAMES)}")
    return _table()[name]


def recipe(name):
    """(task, recipe) of a fine-tuning name (`finetune --task`): a task's own name or one of its data kinds
    (`pair_classification`, `regression`); an unknown name is one ValueError listing the known ones."""
    found = {r.name: (t, r) for t in _table().values() for r in t.recipes}
    if name not in found:
        raise ValueError(f"cannot fine-tune {name!r}; expected one of {['classification', *found]}")
    return found[name]


def of_model(model):
    """The task whose head built `model` (the backbone task for an AlbertBackbone or anything else)."""
    return next((t for t in _table().values() if t.head is not None and type(model) is t.head), _table()["backbone"])


def of_registered_name(registered_name):
    """The task whose head class Keras saves under `registered_name` (a .keras archive's), else the backbone's."""
    import keras
    return next((t for t in _table().values()
                 if t.head is not None and keras.saving.get_registered_name(t.head) == registered_name),
                _table()["backbone"])


def of_architecture(architecture):
    """transformers' architecture name (config.json) -> its task, or None."""
    return next((t for t in _table().values() if t.architecture == architecture), None)


def all_head_entries(config):
    """Every head row of every task (open sizes left None): names that a checkpoint may hold beside ours."""
    return [e for t in _table().values() for e in t.entries(config)]
