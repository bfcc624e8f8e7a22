"""`finetune`: an AlbertClassifier trained with model.fit on an in-graph-tokenizing tf.data pipeline."""
import dataclasses
import os
import shutil

import keras
import numpy as np

from keras_albert.training import report as report_lib
from keras_albert.training.optim import make_optimizer
from keras_albert.training.resume import ResumableTraining
from keras_albert.training.strategies import distribution_scope, get_strategy


@dataclasses.dataclass
class FinetuneResult:
    model: keras.Model   # the best weights (by validation accuracy, else training loss)
    history: dict        # per-epoch logs: loss, accuracy, f1, val_* ...
    metrics: dict        # validation metrics of the best model (accuracy, f1, loss)
    steps: int = 0       # optimizer steps taken, across resumes
    report: dict = None


def finetune(model, tokenizer, train, validation=None, *, out_dir, labels=("negative", "positive"),
             sequence_length=128, epochs=3, batch_size=32, learning_rate=5e-5, warmup_ratio=0.1,
             optimizer="adamw", strategy="default", mixed_precision=None, seed=0, verbose=1,
             weight_decay=0.01, clipnorm=1.0, early_stopping=None, backup_every=100, bucket=True, jit_compile="auto",
             deterministic=False, overwrite=False, callbacks=(), write_report=True):
    """Fine-tune `model` on `train` = (texts, label ids); write the best model to `out_dir`.

    `model`: an AlbertClassifier, an AlbertBackbone (a classifier head is added), a model directory or a
    preset name. Texts may be strings or (first, second) pairs. A run killed at any point resumes when called
    again with the same `out_dir` (backups in `out_dir/backup`, removed when the run completes).
    `clipnorm` clips each gradient's norm; under tf.distribute Keras clips each replica's gradient before the
    all-reduce, so results then differ slightly from one device (pass None for identical updates).
    """
    from keras_albert import datasets

    labels = list(labels)
    model, tokenizer = _resolve_model(model, tokenizer, len(labels))
    for name, part in (("train", train), ("validation", validation)):
        if part is not None:
            _check_split(name, part, len(labels))
    if mixed_precision not in (None, "mixed_bfloat16", "mixed_float16", "float32"):
        raise ValueError(f"unknown mixed_precision {mixed_precision!r}; use mixed_bfloat16 or mixed_float16")
    model_file = os.path.join(out_dir, "model.keras")
    if os.path.exists(model_file) and not overwrite:
        raise FileExistsError(f"{model_file} already exists; pass overwrite=True (--overwrite) to replace it")

    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
    dist = get_strategy(strategy)
    chief = _is_chief(dist)
    backup_dir = os.path.join(out_dir, "backup" if chief else f"backup-worker-{_task_id(dist)}")

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
                                "val_accuracy" if validation is not None else "accuracy", early_stopping)

    def train_data(skip):
        return datasets.text_dataset(tokenizer, train[0], train[1], len(labels), sequence_length, batch_size,
                                     epochs, seed, shuffle=True, bucket=bucket, skip=skip)[0]

    val_ds = None
    if validation is not None:
        val_ds = datasets.text_dataset(tokenizer, validation[0], validation[1], len(labels), sequence_length,
                                       batch_size, shuffle=False, bucket=bucket)[0]
    if strategy == "multi_worker":
        from keras_albert.training.custom_loop import fit_multi_worker
        fit_multi_worker(model, dist, tokenizer, train, val_ds, tracker, epochs, steps_per_epoch, batch_size,
                         sequence_length, len(labels), seed, bucket, verbose)
    else:
        _fit_resumable(model, train_data, val_ds, tracker, epochs, steps_per_epoch, verbose, list(callbacks))

    tracker.restore_best()
    result = FinetuneResult(model, tracker.state["history"], {}, tracker.step)
    if val_ds is not None:
        matrix = report_lib.confusion_matrix(*_predict(model, dist, val_ds), len(labels))
        result.metrics = report_lib.scores(matrix)
        if chief and write_report:
            os.makedirs(out_dir, exist_ok=True)
            result.report = report_lib.write_report(out_dir, result.history, matrix, labels,
                                                    {"steps": tracker.step, "best_epoch": tracker.state["best_epoch"]})
    if chief:
        from keras_albert.model_dir import save_model_dir
        save_model_dir(out_dir, model, tokenizer, labels, overwrite=True)
    shutil.rmtree(backup_dir, ignore_errors=True)
    return result


def evaluate(model, tokenizer, texts, labels, num_classes=None, sequence_length=128, batch_size=64):
    """-> {"accuracy", "f1", "confusion_matrix"} of a classifier on labelled texts."""
    from keras_albert import datasets
    num_classes = num_classes or model.num_classes
    ds, _ = datasets.text_dataset(tokenizer, texts, labels, num_classes, sequence_length, batch_size, shuffle=False)
    matrix = report_lib.confusion_matrix(*_predict(model, None, ds), num_classes)
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


def _check_split(name, part, num_classes):
    texts, y = part
    if len(texts) != len(y):
        raise ValueError(f"{name}: {len(texts)} texts but {len(y)} labels")
    if not len(texts):
        raise ValueError(f"{name}: no examples")
    bad = [v for v in y if not (isinstance(v, (int, np.integer)) and 0 <= v < num_classes)]
    if bad:
        raise ValueError(f"{name}: label {bad[0]!r} is not a class id in [0, {num_classes})")


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


def _is_chief(dist):
    resolver = getattr(getattr(dist, "cluster_resolver", None), "task_type", None)
    if resolver is None:
        return True
    return dist.cluster_resolver.task_type == "chief" or (
        dist.cluster_resolver.task_type == "worker" and dist.cluster_resolver.task_id == 0
        and "chief" not in dist.cluster_resolver.cluster_spec().as_dict())


def _task_id(dist):
    return getattr(getattr(dist, "cluster_resolver", None), "task_id", 0)
