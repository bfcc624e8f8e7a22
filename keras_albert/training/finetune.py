"""`finetune`: any task's model trained with model.fit on tf.data, one training path for every task.

The task's `Recipe` (keras_albert/tasks) supplies what differs: reader, feature builder, loss and main metric.
Classification (and sentence pairs) keeps its in-graph-tokenizing text pipeline and confusion matrix; every other
task trains on `keras_albert.features.Features`. Both go through `_train`: the same compile, resumable fit, best
epoch by the task's main metric, report.
"""
import dataclasses
import json
import math
import os
import shutil

import keras
import numpy as np

from keras_albert import metrics as metrics_lib
from keras_albert.metrics import MAIN_METRIC
from keras_albert.training import report as report_lib
from keras_albert.training.optim import OPTIMIZERS, make_optimizer
from keras_albert.training.resume import STATE, ResumableTraining, check_fingerprint, digest
from keras_albert.training.strategies import distribution_scope, get_strategy, is_chief, task_id

MIXED_PRECISION = (None, "mixed_bfloat16", "mixed_float16", "float32")


@dataclasses.dataclass
class FinetuneResult:
    model: keras.Model   # the best weights (by validation accuracy, else training loss)
    history: dict        # per-epoch logs: loss, accuracy, f1, val_* ...
    metrics: dict        # validation metrics of the best model (accuracy, f1, loss)
    steps: int = 0       # optimizer steps taken, across resumes
    report: dict = None
    test: dict = None    # metrics of the best model on `heldout` (accuracy, f1, confusion_matrix)


def finetune(model, tokenizer, train, validation=None, *, out_dir, task="classification", labels=None,
             sequence_length=128, epochs=3, batch_size=32, learning_rate=5e-5, warmup_ratio=0.1,
             optimizer="adamw", strategy="default", mixed_precision=None, seed=0, verbose=1,
             weight_decay=0.01, clipnorm=1.0, early_stopping=None, backup_every=100, bucket=True, jit_compile="auto",
             deterministic=False, overwrite=False, callbacks=(), write_report=True, heldout=None, report_extra=None,
             new_head=False):
    """Fine-tune `model` on `train` = (texts, label ids); write the best model to the folder `out_dir`.

    `task`: "classification" (the default: `train` = (texts, label ids), texts strings or (first, second) pairs,
    `labels` the class names, default negative/positive), or a fine-tuning recipe of the task table
    (`pair_classification`, `regression`, `token_classification`, `multiple_choice`, `question_answering`,
    `multi_label`): then `train`,
    `validation` and `heldout` are the records of the recipe's reader and `labels` defaults to the training
    records' classes. The best epoch is the one with the best main metric of the task on `validation`.
    `model`: a model of the task's head, an AlbertBackbone (the head is added, drawn from `seed`), a model
    directory or a preset name; `new_head=True` drops a task model's own head and draws a new one on its backbone
    (a classifier fine-tuned again on other labels). `heldout` = (texts, label ids):
    the test split, scored at the end (`result.test`, report.json) and written for the int8 gate in the reader's
    format (heldout.jsonl; question answering: heldout.json, SQuAD JSON). Everything is checked before any
    work; `out_dir` must be new or empty unless `overwrite` (it is then replaced as a whole). The run writes into a staging folder beside `out_dir` and moves it into place when
    complete; a run killed at any point resumes when called again with the same arguments (a changed input is
    refused: see `resume.check_fingerprint`).
    `clipnorm` clips each gradient's norm; under tf.distribute Keras clips each replica's gradient before the
    all-reduce, so results then differ slightly from one device (pass None for identical updates).
    """
    from keras_albert import datasets, tasks
    from keras_albert.model_dir import HELDOUT, save_model_dir
    from keras_albert import staging as staging_lib
    from keras_albert.staging import check_output, publish, staging_path

    head_task, recipe = (tasks.get("classification"), None) if task == "classification" else tasks.recipe(task)
    text_path = recipe is None or recipe.features is None
    if recipe is not None and text_path:  # sentence-pair classes: records -> the classification text pipeline
        _check_records("train", train)
        labels = list(labels) if labels is not None else recipe.labels(train)
        train, validation, heldout = (None if r is None else _records_table(n, r, labels) for n, r in
                                      (("train", train), ("validation", validation), ("heldout", heldout)))
    hyper = dict(task=task, sequence_length=sequence_length, epochs=epochs, batch_size=batch_size,
                 learning_rate=learning_rate, warmup_ratio=warmup_ratio, optimizer=optimizer, mixed_precision=mixed_precision, seed=seed,
                 weight_decay=weight_decay, clipnorm=clipnorm, early_stopping=early_stopping, bucket=bool(bucket),
                 strategy=strategy)
    check_hyperparameters(**hyper, backup_every=backup_every)
    check_output(out_dir, overwrite)
    if text_path:
        labels = list(labels) if labels is not None else ["negative", "positive"]
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ValueError(f"labels {labels}: a classifier needs at least two distinct class names")
    else:
        for name, part in (("train", train), ("validation", validation), ("heldout", heldout)):
            if part is not None:
                _check_records(name, part)
        labels = None if recipe.labels is None else list(labels) if labels is not None else recipe.labels(train)
    head_args = {"size": len(labels)} if recipe is None else recipe.head_args(labels)
    keras.utils.set_random_seed(seed)  # before anything random: a new classifier head is drawn from it
    if deterministic:
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
    model, tokenizer = _resolve_model(model, tokenizer, head_task, dict(head_args), new_head)
    _check_label_order(model, labels, new_head)
    if sequence_length > model.config.max_position_embeddings:
        raise ValueError(f"sequence_length {sequence_length} is longer than the model's position table "
                         f"({model.config.max_position_embeddings})")
    if text_path:
        for name, part in {"train": train, "validation": validation, "heldout": heldout}.items():
            if part is not None:
                _check_split(name, part, labels, None if name == "train" else set(train[1]))

    dist = get_strategy(strategy)
    chief = is_chief(dist)
    staging = staging_path(out_dir, "partial" if chief else f"partial-worker-{task_id(dist)}")
    backup_dir = os.path.join(staging, "backup")
    held = staging_lib.hold(staging, out_dir)  # one run at a time on one output
    try:
        fingerprint = run_fingerprint(model, tokenizer, train, validation, labels, hyper)
        check_fingerprint(backup_dir, fingerprint)
        _clear_except(staging, "backup")  # what a killed run wrote after its training: rewritten below
        try:
            if text_path:
                data = _text_data(tokenizer, train, validation, labels, **hyper)
            else:
                data = _feature_data(recipe, tokenizer, train, validation, labels, **hyper)
            result, best_epoch, matrix = _train(model, data, dist, backup_dir, fingerprint, list(callbacks),
                                                **hyper, verbose=verbose, backup_every=backup_every,
                                                jit_compile=jit_compile)
            if chief:
                if heldout is not None and text_path:
                    result.test = _evaluate(result.model, dist, tokenizer, *heldout, len(labels), sequence_length,
                                            batch_size)
                    datasets.write_heldout(os.path.join(staging, HELDOUT), *heldout, labels)
                elif heldout is not None:
                    test = recipe.features(tokenizer, heldout, labels, sequence_length)
                    predicted = test.predict(result.model, batch_size, local=strategy == "multi_worker")
                    result.test = _scores(recipe.metric_task, test.gold, predicted)
                    name, write = recipe.heldout or (HELDOUT, _write_records)
                    write(os.path.join(staging, name), heldout)
                if write_report:
                    metric_task = "classification" if recipe is None else recipe.metric_task
                    extra = {"task": task, "main_metric": MAIN_METRIC[metric_task], "steps": result.steps,
                             "best_epoch": best_epoch, "validation": result.metrics, **(report_extra or {})}
                    if result.test is not None:
                        extra["test"] = result.test
                    result.report = report_lib.write_report(staging, result.history, matrix, labels or [], extra,
                                                            metric=MAIN_METRIC[metric_task])
                save_model_dir(staging, result.model, tokenizer, labels, overwrite=True)
            shutil.rmtree(backup_dir)
        except BaseException:
            if not os.path.isfile(os.path.join(backup_dir, STATE)):  # nothing to resume from: leave nothing behind
                shutil.rmtree(staging, ignore_errors=True)
            raise
        if chief:
            publish(staging, out_dir, overwrite)
        else:
            shutil.rmtree(staging, ignore_errors=True)
        return result
    finally:
        held.release()


def check_hyperparameters(*, sequence_length, epochs, batch_size, learning_rate, warmup_ratio=0.1, optimizer="adamw",
                          mixed_precision=None, seed=0, weight_decay=0.01, clipnorm=1.0, early_stopping=None,
                          backup_every=100, **_):
    """One line for a number or name that would crash later or train nothing (epochs 0, learning rate 0)."""
    def whole(v, least):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= least

    def real(v):
        return isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and math.isfinite(v)
    rules = [
        ("sequence_length", sequence_length, whole(sequence_length, 3), "an integer of at least 3"),
        ("epochs", epochs, whole(epochs, 1), "an integer of at least 1"),
        ("batch_size", batch_size, whole(batch_size, 1), "an integer of at least 1"),
        ("learning_rate", learning_rate, real(learning_rate) and learning_rate > 0, "a number above 0"),
        ("warmup_ratio", warmup_ratio, real(warmup_ratio) and 0 <= warmup_ratio <= 1, "a number in [0, 1]"),
        ("weight_decay", weight_decay, real(weight_decay) and weight_decay >= 0, "a number of at least 0"),
        ("clipnorm", clipnorm, clipnorm is None or real(clipnorm) and clipnorm > 0, "None or a number above 0"),
        ("early_stopping", early_stopping, early_stopping is None or whole(early_stopping, 1),
         "None or an integer of at least 1"),
        ("backup_every", backup_every, whole(backup_every, 0), "an integer of at least 0"),
        ("seed", seed, whole(seed, 0), "an integer of at least 0"),
        ("optimizer", optimizer, optimizer in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}"),
        ("mixed_precision", mixed_precision, mixed_precision in MIXED_PRECISION, "mixed_bfloat16 or mixed_float16"),
    ]
    for name, value, ok, what in rules:
        if not ok:
            flag = f" (--{name.replace('_', '-')})" if name not in ("weight_decay", "clipnorm", "backup_every") else ""
            raise ValueError(f"{name}{flag} must be {what}, got {value!r}")


def run_fingerprint(model, tokenizer, train, validation, labels, hyper):
    """What a run's result depends on, for `check_fingerprint`: data and vocabulary by content hash, the rest
    as values (so a refusal can say what changed)."""
    return {"training data": _data_digest(train),
            "validation data": None if validation is None else _data_digest(validation),
            "labels": None if labels is None else list(labels), "vocabulary": digest(tokenizer.model_proto),
            "model": {"class": type(model).__name__, "config": model.config.to_dict()},
            **json.loads(json.dumps(hyper, default=lambda v: v.item()))}  # numpy numbers as JSON numbers


@dataclasses.dataclass
class _Data:
    """What `_train` needs from a task: its batches, loss, Keras metrics and how to score the best model."""
    steps_per_epoch: int
    train: callable          # skip -> the training batches of every epoch, the first `skip` left out
    validation: object       # the validation batches (val_loss), or None
    loss: object
    metrics: list            # Keras metrics logged each step (accuracy ...)
    monitor: str             # the log key that picks the best epoch
    callbacks: list          # run before the backup callback at each epoch end (they add `monitor` to the logs)
    score: callable          # best model -> (validation metrics, confusion matrix or None)
    multi_worker: callable = None


def _steps(n, batch_size, strategy):
    # multi-worker: full global batches only, so every worker's shard has the same shape at each step
    steps = n // batch_size if strategy == "multi_worker" else -(-n // batch_size)
    if not steps:
        raise ValueError(f"{n} training examples do not make one batch of {batch_size}")
    return steps


def _text_data(tokenizer, train, validation, labels, *, strategy, sequence_length, epochs, batch_size, seed,
               bucket, **_):
    """Classification: in-graph tokenizing text batches, one-hot labels, accuracy and macro F1, confusion matrix."""
    from keras_albert import datasets
    n = len(labels)

    def train_data(skip):
        return datasets.text_dataset(tokenizer, train[0], train[1], n, sequence_length, batch_size, epochs, seed,
                                     shuffle=True, bucket=bucket, skip=skip)[0]

    val_ds = None
    if validation is not None:
        val_ds = datasets.text_dataset(tokenizer, validation[0], validation[1], n, sequence_length, batch_size,
                                       shuffle=False, bucket=bucket)[0]

    def score(model, dist):
        if val_ds is None:
            return {}, None
        matrix = report_lib.confusion_matrix(*_predict(model, dist, val_ds), n)
        return report_lib.scores(matrix), matrix

    def multi_worker(model, dist, tracker, verbose):
        from keras_albert.training.custom_loop import fit_multi_worker, predict_classes

        def global_batches(skip):  # full batches only, so every replica's share has the same shape
            return datasets.text_dataset(tokenizer, train[0], train[1], n, sequence_length, batch_size, epochs, seed,
                                         shuffle=True, bucket=bucket, skip=skip, drop_remainder=True)[0]

        def evaluate():
            matrix = report_lib.confusion_matrix(*predict_classes(model, dist, val_ds), n)
            return {f"val_{k}": v for k, v in report_lib.scores(matrix).items()}
        fit_multi_worker(model, dist, global_batches, tracker, epochs, tracker.steps_per_epoch, batch_size=batch_size,
                         evaluate=None if val_ds is None else evaluate, verbose=verbose)

    return _Data(_steps(len(train[0]), batch_size, strategy), train_data, val_ds,
                 keras.losses.CategoricalCrossentropy(from_logits=True),
                 [keras.metrics.CategoricalAccuracy(name="accuracy"), keras.metrics.F1Score(average="macro", name="f1")],
                 "val_accuracy" if validation is not None else "accuracy", [], score, multi_worker)


def _feature_data(recipe, tokenizer, train, validation, labels, *, strategy, sequence_length, epochs, batch_size, seed,
                  bucket, **_):
    """Every other task: the recipe's features; the main metric on validation, computed at each epoch end."""
    train_f = recipe.features(tokenizer, train, labels, sequence_length)
    val_f = None if validation is None else recipe.features(tokenizer, validation, labels, sequence_length)
    main = MAIN_METRIC[recipe.metric_task]
    evaluator = [] if val_f is None else [_MainMetric(val_f, recipe.metric_task, f"val_{main}", batch_size)]

    local = strategy == "multi_worker"  # every worker scores the whole validation split itself

    def score(model, dist):
        if val_f is None:
            return {}, None
        return _scores(recipe.metric_task, val_f.gold, val_f.predict(model, batch_size, local)), None

    def multi_worker(model, dist, tracker, verbose):
        from keras_albert.training.custom_loop import fit_multi_worker

        def global_batches(skip):  # full batches only, so every replica's share has the same shape
            return train_f.dataset(batch_size, epochs, seed, shuffle=True, bucket=bucket, skip=skip,
                                   drop_remainder=True)

        def evaluate():
            predicted = val_f.predict(model, batch_size, local=True)
            return {f"val_{main}": metrics_lib.evaluate(recipe.metric_task, val_f.gold, predicted)["main"]}
        fit_multi_worker(model, dist, global_batches, tracker, epochs, tracker.steps_per_epoch, batch_size=batch_size,
                         evaluate=None if val_f is None else evaluate, verbose=verbose)

    return _Data(_steps(len(train_f), batch_size, strategy),
                 lambda skip: train_f.dataset(batch_size, epochs, seed, shuffle=True, bucket=bucket, skip=skip),
                 None if val_f is None else val_f.dataset(batch_size, shuffle=False, bucket=bucket),
                 recipe.loss(None), [], f"val_{main}" if val_f is not None else "loss", evaluator, score, multi_worker)


def _scores(metric_task, gold, predicted):
    """The task's metrics (keras_albert.metrics), without nested per-type tables: numbers for the report."""
    scores = metrics_lib.evaluate(metric_task, gold, predicted)
    return {k: float(v) for k, v in scores.items() if isinstance(v, (int, float, np.number))}


class _MainMetric(keras.callbacks.Callback):
    """At each epoch end: the task's main metric on the validation features, added to the logs as `key` (before
    the backup callback reads them, so the best epoch is picked on it and the history records it)."""

    def __init__(self, features, metric_task, key, batch_size):
        super().__init__()
        self.features, self.metric_task, self.key, self.batch_size = features, metric_task, key, batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            predicted = self.features.predict(self.model, self.batch_size)
            logs[self.key] = metrics_lib.evaluate(self.metric_task, self.features.gold, predicted)["main"]


def _train(model, data, dist, backup_dir, fingerprint, callbacks, *, strategy, epochs, learning_rate, warmup_ratio,
           optimizer, mixed_precision, weight_decay, clipnorm, early_stopping, verbose, backup_every, jit_compile,
           **_):
    """The one resumable fit of every task; -> (FinetuneResult with the best weights, best epoch, confusion
    matrix or None)."""
    with distribution_scope(strategy, dist):
        model = _rebuild(model, mixed_precision)
        opt = make_optimizer(optimizer, learning_rate, data.steps_per_epoch * epochs, warmup_ratio, weight_decay,
                             clipnorm)
        model.compile(optimizer=opt, loss=data.loss, metrics=data.metrics,
                      jit_compile=jit_compile if dist is None or strategy == "default" else False)
    tracker = ResumableTraining(backup_dir, data.steps_per_epoch, backup_every, data.monitor, early_stopping,
                                fingerprint=fingerprint)
    if strategy == "multi_worker":
        data.multi_worker(model, dist, tracker, verbose)
    else:
        _fit_resumable(model, data.train, data.validation, tracker, epochs, data.steps_per_epoch, verbose, callbacks,
                       before=data.callbacks, strategy=strategy)

    tracker.restore_best()
    result = FinetuneResult(model, tracker.state["history"], {}, tracker.step)
    result.metrics, matrix = data.score(model, dist)
    return result, tracker.state["best_epoch"], matrix


def evaluate(model, tokenizer, texts, labels, num_classes=None, sequence_length=128, batch_size=64):
    """-> {"accuracy", "f1", "confusion_matrix"} of a classifier on labelled texts."""
    return _evaluate(model, None, tokenizer, texts, labels, num_classes or model.num_classes, sequence_length,
                     batch_size)


def _evaluate(model, dist, tokenizer, texts, labels, num_classes, sequence_length, batch_size):
    from keras_albert import datasets
    ds, _ = datasets.text_dataset(tokenizer, texts, labels, num_classes, sequence_length, batch_size, shuffle=False)
    matrix = report_lib.confusion_matrix(*_predict(model, dist, ds), num_classes)
    return {**report_lib.scores(matrix), "confusion_matrix": matrix.tolist()}


def _fit_resumable(model, train_data, val_ds, tracker, epochs, steps_per_epoch, verbose, callbacks, before=(),
                   strategy="default"):
    """model.fit, split in two when resuming mid-epoch: the rest of that epoch, then the remaining epochs.
    `before`: callbacks that run before the backup one (they add the monitored score to the epoch's logs)."""
    epoch, done = divmod(tracker.step, steps_per_epoch)
    if tracker.resumed and verbose:
        print(f"resuming from step {tracker.step} (epoch {epoch + 1}, batch {done}) in {tracker.dir}")
    if tracker.state["stopped"] or epoch >= epochs:
        model.optimizer.build(model.trainable_variables)
        tracker.on_train_begin()
        return
    cbs = [*before, tracker, *callbacks]
    first = train_data(tracker.step)
    if strategy == "default" and keras.backend.backend() == "tensorflow":
        _build_compiled_state(model, first)
    if done:
        model.fit(first, validation_data=val_ds, initial_epoch=epoch, epochs=epoch + 1,
                  steps_per_epoch=steps_per_epoch - done, callbacks=cbs, verbose=verbose, shuffle=False)
        epoch += 1
        first = None
    if epoch < epochs and not tracker.state["stopped"]:
        model.fit(train_data(tracker.step) if first is None else first, validation_data=val_ds,
                  initial_epoch=epoch, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=cbs,
                  verbose=verbose, shuffle=False)


def _build_compiled_state(model, dataset):
    """Builds the optimizer and the compiled loss and metrics before the first step, on one row of the first
    batch. Without a tf.distribute strategy Keras (TensorFlow) builds the metrics inside the first trace of
    its train step, and a tf.function that creates variables while tracing traces once more: the whole
    forward, backward and optimizer step twice (3 of the 5-6 s a tiny model's first step took)."""
    batch = keras.tree.map_structure(lambda t: t[:1], next(iter(dataset.take(1))))
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
    model.compute_metrics(x, y, y_pred, sample_weight)
    model.reset_metrics()
    model.optimizer.build(model.trainable_variables)


def _predict(model, dist, ds):
    """-> (true class ids, predicted class ids) in the dataset's (length-bucketed) order."""
    if dist is not None and dist.__class__.__name__.startswith("MultiWorker"):
        from keras_albert.training.custom_loop import predict_classes
        return predict_classes(model, dist, ds)
    true = np.concatenate([y.numpy().argmax(-1) for _, y in ds])
    return true, np.argmax(model.predict(ds.map(lambda x, y: x), verbose=0), axis=-1)


def _resolve_model(model, tokenizer, task, head_args, new_head=False):
    """-> (a model of `task`'s head, tokenizer): a model of that head is checked against `head_args` (unless
    `new_head`), a backbone (or any ALBERT model's backbone) gets a new head drawn from the seed."""
    from keras_albert import AlbertBackbone
    from keras_albert.tasks.classification import problem_type_of
    if isinstance(model, (str, os.PathLike)):
        if os.path.exists(model):
            from keras_albert.model_dir import load_model_dir
            model, dir_tokenizer, _ = load_model_dir(model)
            tokenizer = tokenizer or dir_tokenizer
        else:
            model = AlbertBackbone.from_preset(str(model))
    if tokenizer is None:
        raise ValueError("no tokenizer: pass one, or a model directory that has spiece.model")
    if model.config.vocab_size < tokenizer.vocab_size:
        raise ValueError(f"the tokenizer has {tokenizer.vocab_size} pieces, the model only "
                         f"{model.config.vocab_size} embeddings")
    size = head_args.pop("size", None)
    if isinstance(model, task.head) and not new_head:
        fresh = "; to fine-tune its backbone with a new head, pass new_head=True (`finetune --new-head`)"
        if task.size_arg and task.size_of(model) != size:
            what = "classes" if task.name == "classification" else "labels"
            raise ValueError(f"the {type(model).__name__} has {task.size_of(model)} {what}, the labels are {size}"
                             + fresh)
        have = {k: problem_type_of(model) if k == "problem_type" else getattr(model, k, v)
                for k, v in head_args.items()}
        wrong = {k: v for k, v in head_args.items() if have[k] != v}
        if wrong:
            k = next(iter(wrong))
            raise ValueError(f"the {type(model).__name__} has {k} {have[k]!r}, this task needs {wrong[k]!r}" + fresh)
        return model, tokenizer
    backbone = model if isinstance(model, AlbertBackbone) else getattr(model, "backbone", None)
    if backbone is None:
        raise ValueError(f"cannot fine-tune a {type(model).__name__}: give an ALBERT backbone or task model")
    return task.build(backbone, size, **head_args), tokenizer


def _check_label_order(model, labels, new_head):
    """A head continued as it is keeps its classes' order: the same names in another order would map each name onto
    another class's weights by position, silently flipping its predictions. (Other names are other classes: the
    head is re-used by position and takes the data's names, as transformers does.)"""
    have = getattr(model, "labels", None)
    if have and labels is not None and not new_head and sorted(have) == sorted(labels) and list(have) != list(labels):
        raise ValueError(f"the {type(model).__name__}'s classes are {','.join(have)} in that order, the data's "
                         f"{','.join(labels)}: pass labels in its order (`--labels {','.join(have)}`), or "
                         "new_head=True (`--new-head`) to draw a new head")


def _check_records(name, records):
    if not isinstance(records, (list, tuple)) or not records or not all(isinstance(r, dict) for r in records):
        raise ValueError(f"{name}: expected a non-empty list of records (dicts) from the task's reader")


def _records_table(name, records, labels):
    """Sentence-pair records -> ((text, text_pair) pairs, class ids) for the classification text pipeline."""
    _check_records(name, records)
    index = {n: i for i, n in enumerate(labels)}
    for r in records:
        if str(r["label"]) not in index:
            raise ValueError(f"{name} line {r.get('line')}: label {r['label']!r} is not one of {', '.join(labels)}")
    texts = [(r["text"], r["text_pair"]) if r.get("text_pair") is not None else r["text"] for r in records]
    return texts, [index[str(r["label"])] for r in records]


def _data_digest(part):
    if part and isinstance(part[0], dict):  # records: by content, not by where they stood in the file
        return digest([{k: v for k, v in r.items() if k != "line"} for r in part])
    return digest([list(part[0]), [int(y) for y in part[1]]])


def _write_records(path, records):
    """The held-out records as JSON lines (the reader's fields): what the int8 gate scores on."""
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({k: v for k, v in r.items() if k != "line"}) + "\n")


def _check_split(name, part, labels, trained=None):
    """Class ids in range; training shows at least two classes, and the other splits no class it lacks."""
    texts, y = part
    if len(texts) != len(y):
        raise ValueError(f"{name}: {len(texts)} texts but {len(y)} labels")
    if not len(texts):
        raise ValueError(f"{name}: no examples")
    bad = [v for v in y if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < len(labels))]
    if bad:
        raise ValueError(f"{name}: label {bad[0]!r} is not a class id in [0, {len(labels)})")
    if trained is None and len(set(y)) < 2:
        raise ValueError(f"{name}: every example has the label {labels[y[0]]!r}; a classifier needs at least "
                         "two classes to learn")
    unseen = sorted(set(y) - trained) if trained is not None else []
    if unseen:
        raise ValueError(f"{name}: label {labels[unseen[0]]!r} (id {unseen[0]}) never occurs in the training data")


def _rebuild(model, mixed_precision):
    """A copy built in the current scope (strategy, DataParallel) and dtype policy, with the same weights."""
    previous = keras.config.dtype_policy()
    if mixed_precision:
        keras.config.set_dtype_policy(mixed_precision)
    try:
        clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    finally:
        keras.config.set_dtype_policy(previous)
    clone.set_weights(model.get_weights())
    return clone


def _clear_except(folder, keep):
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name != keep:
                path = os.path.join(folder, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
