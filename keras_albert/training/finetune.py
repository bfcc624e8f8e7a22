"""`finetune`: an AlbertClassifier trained with model.fit on an in-graph-tokenizing tf.data pipeline."""
import dataclasses
import json
import math
import os
import shutil

import keras
import numpy as np

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


def finetune(model, tokenizer, train, validation=None, *, out_dir, labels=("negative", "positive"),
             sequence_length=128, epochs=3, batch_size=32, learning_rate=5e-5, warmup_ratio=0.1,
             optimizer="adamw", strategy="default", mixed_precision=None, seed=0, verbose=1,
             weight_decay=0.01, clipnorm=1.0, early_stopping=None, backup_every=100, bucket=True, jit_compile="auto",
             deterministic=False, overwrite=False, callbacks=(), write_report=True, heldout=None, report_extra=None):
    """Fine-tune `model` on `train` = (texts, label ids); write the best model to the folder `out_dir`.

    `model`: an AlbertClassifier, an AlbertBackbone (a classifier head is added, drawn from `seed`), a model
    directory or a preset name. Texts may be strings or (first, second) pairs. `heldout` = (texts, label ids):
    the test split, scored at the end (`result.test`, report.json) and written as heldout.jsonl for the int8
    gate. Everything is checked before any work; `out_dir` must be new or empty unless `overwrite` (it is then
    replaced as a whole). The run writes into a staging folder beside `out_dir` and moves it into place when
    complete; a run killed at any point resumes when called again with the same arguments (a changed input is
    refused: see `resume.check_fingerprint`).
    `clipnorm` clips each gradient's norm; under tf.distribute Keras clips each replica's gradient before the
    all-reduce, so results then differ slightly from one device (pass None for identical updates).
    """
    from keras_albert import datasets
    from keras_albert.model_dir import HELDOUT, save_model_dir
    from keras_albert.staging import check_output, publish, staging_path

    hyper = dict(sequence_length=sequence_length, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                 warmup_ratio=warmup_ratio, optimizer=optimizer, mixed_precision=mixed_precision, seed=seed,
                 weight_decay=weight_decay, clipnorm=clipnorm, early_stopping=early_stopping, bucket=bool(bucket),
                 strategy=strategy)
    check_hyperparameters(**hyper, backup_every=backup_every)
    check_output(out_dir, overwrite)
    labels = list(labels)
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"labels {labels}: a classifier needs at least two distinct class names")
    keras.utils.set_random_seed(seed)  # before anything random: a new classifier head is drawn from it
    if deterministic:
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
    model, tokenizer = _resolve_model(model, tokenizer, len(labels))
    if sequence_length > model.config.max_position_embeddings:
        raise ValueError(f"sequence_length {sequence_length} is longer than the model's position table "
                         f"({model.config.max_position_embeddings})")
    splits = {"train": train, "validation": validation, "heldout": heldout}
    for name, part in splits.items():
        if part is not None:
            _check_split(name, part, labels, None if name == "train" else set(train[1]))

    dist = get_strategy(strategy)
    chief = is_chief(dist)
    staging = staging_path(out_dir, "partial" if chief else f"partial-worker-{task_id(dist)}")
    backup_dir = os.path.join(staging, "backup")
    fingerprint = run_fingerprint(model, tokenizer, train, validation, labels, hyper)
    check_fingerprint(backup_dir, fingerprint)
    _clear_except(staging, "backup")  # what a killed run wrote after its training: rewritten below
    try:
        result, best_epoch, matrix = _train(model, tokenizer, train, validation, labels, dist, backup_dir,
                                            fingerprint, list(callbacks), **hyper, verbose=verbose,
                                            backup_every=backup_every, jit_compile=jit_compile)
        if chief:
            if heldout is not None:
                result.test = _evaluate(result.model, dist, tokenizer, *heldout, len(labels), sequence_length,
                                        batch_size)
                datasets.write_heldout(os.path.join(staging, HELDOUT), *heldout, labels)
            if write_report:
                extra = {"steps": result.steps, "best_epoch": best_epoch, **(report_extra or {})}
                if result.test is not None:
                    extra["test"] = result.test
                result.report = report_lib.write_report(staging, result.history, matrix, labels, extra)
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
    return {"training data": digest([list(train[0]), [int(y) for y in train[1]]]),
            "validation data": None if validation is None else
            digest([list(validation[0]), [int(y) for y in validation[1]]]),
            "labels": list(labels), "vocabulary": digest(tokenizer.model_proto),
            "model": {"class": type(model).__name__, "config": model.config.to_dict()},
            **json.loads(json.dumps(hyper, default=lambda v: v.item()))}  # numpy numbers as JSON numbers


def _train(model, tokenizer, train, validation, labels, dist, backup_dir, fingerprint, callbacks, *,
           sequence_length, epochs, batch_size, learning_rate, warmup_ratio, optimizer, mixed_precision, seed,
           weight_decay, clipnorm, early_stopping, bucket, strategy, verbose, backup_every, jit_compile):
    """The resumable fit; -> (FinetuneResult with the best weights, best epoch, validation confusion matrix)."""
    from keras_albert import datasets

    with distribution_scope(strategy, dist):
        model = _rebuild(model, mixed_precision)
        # multi-worker: full global batches only, so every worker's shard has the same shape at each step
        steps_per_epoch = len(train[0]) // batch_size if strategy == "multi_worker" else -(-len(train[0]) // batch_size)
        if not steps_per_epoch:
            raise ValueError(f"{len(train[0])} training examples do not make one batch of {batch_size}")
        opt = make_optimizer(optimizer, learning_rate, steps_per_epoch * epochs, warmup_ratio, weight_decay,
                             clipnorm)
        model.compile(optimizer=opt, loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.CategoricalAccuracy(name="accuracy"),
                               keras.metrics.F1Score(average="macro", name="f1")],
                      jit_compile=jit_compile if dist is None or strategy == "default" else False)
    tracker = ResumableTraining(backup_dir, steps_per_epoch, backup_every,
                                "val_accuracy" if validation is not None else "accuracy", early_stopping,
                                fingerprint=fingerprint)

    def train_data(skip):
        return datasets.text_dataset(tokenizer, train[0], train[1], len(labels), sequence_length, batch_size,
                                     epochs, seed, shuffle=True, bucket=bucket, skip=skip)[0]

    val_ds = None
    if validation is not None:
        val_ds = datasets.text_dataset(tokenizer, validation[0], validation[1], len(labels), sequence_length,
                                       batch_size, shuffle=False, bucket=bucket)[0]
    if strategy == "multi_worker":
        from keras_albert.training.custom_loop import fit_multi_worker, predict_classes

        def global_batches(skip):  # full batches only, so every replica's share has the same shape
            return datasets.text_dataset(tokenizer, train[0], train[1], len(labels), sequence_length, batch_size,
                                         epochs, seed, shuffle=True, bucket=bucket, skip=skip,
                                         drop_remainder=True)[0]

        def evaluate():
            matrix = report_lib.confusion_matrix(*predict_classes(model, dist, val_ds), len(labels))
            return {f"val_{k}": v for k, v in report_lib.scores(matrix).items()}
        fit_multi_worker(model, dist, global_batches, tracker, epochs, steps_per_epoch, batch_size=batch_size,
                         evaluate=None if val_ds is None else evaluate, verbose=verbose)
    else:
        _fit_resumable(model, train_data, val_ds, tracker, epochs, steps_per_epoch, verbose, callbacks)

    tracker.restore_best()
    result, matrix = FinetuneResult(model, tracker.state["history"], {}, tracker.step), None
    if val_ds is not None:
        matrix = report_lib.confusion_matrix(*_predict(model, dist, val_ds), len(labels))
        result.metrics = report_lib.scores(matrix)
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


def _fit_resumable(model, train_data, val_ds, tracker, epochs, steps_per_epoch, verbose, callbacks):
    """model.fit, split in two when resuming mid-epoch: the rest of that epoch, then the remaining epochs."""
    epoch, done = divmod(tracker.step, steps_per_epoch)
    if tracker.resumed and verbose:
        print(f"resuming from step {tracker.step} (epoch {epoch + 1}, batch {done}) in {tracker.dir}")
    if tracker.state["stopped"] or epoch >= epochs:
        model.optimizer.build(model.trainable_variables)
        tracker.on_train_begin()
        return
    cbs = [tracker, *callbacks]
    if done:
        model.fit(train_data(tracker.step), validation_data=val_ds, initial_epoch=epoch, epochs=epoch + 1,
                  steps_per_epoch=steps_per_epoch - done, callbacks=cbs, verbose=verbose, shuffle=False)
        epoch += 1
    if epoch < epochs and not tracker.state["stopped"]:
        model.fit(train_data(tracker.step), validation_data=val_ds, initial_epoch=epoch, epochs=epochs,
                  steps_per_epoch=steps_per_epoch, callbacks=cbs, verbose=verbose, shuffle=False)


def _predict(model, dist, ds):
    """-> (true class ids, predicted class ids) in the dataset's (length-bucketed) order."""
    if dist is not None and dist.__class__.__name__.startswith("MultiWorker"):
        from keras_albert.training.custom_loop import predict_classes
        return predict_classes(model, dist, ds)
    true = np.concatenate([y.numpy().argmax(-1) for _, y in ds])
    return true, np.argmax(model.predict(ds.map(lambda x, y: x), verbose=0), axis=-1)


def _resolve_model(model, tokenizer, num_classes):
    from keras_albert import AlbertBackbone, AlbertClassifier
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
    if isinstance(model, AlbertClassifier):
        if model.num_classes != num_classes:
            raise ValueError(f"the classifier has {model.num_classes} classes, the labels are {num_classes}")
        return model, tokenizer
    backbone = model if isinstance(model, AlbertBackbone) else getattr(model, "backbone", None)
    if backbone is None:
        raise ValueError(f"cannot fine-tune a {type(model).__name__}: give an ALBERT backbone or task model")
    return AlbertClassifier(backbone, num_classes), tokenizer


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
