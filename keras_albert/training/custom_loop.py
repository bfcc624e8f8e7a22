"""The multi-worker training loop: the model's own `train_step` driven by `strategy.run`, because Keras 3
`model.fit` fails under MultiWorkerMirroredStrategy (keras-team/keras#20585; tests/test_distribute.py notices
when that is fixed). Fine-tuning and pretraining both train here, each with the loss and metrics it compiled.

Each replica trains on its rows of every global batch (same batch plan, same padded width); Keras divides each
replica's loss by the number of replicas and the optimizer sums the gradients across workers, so all workers
keep identical weights. Multi-worker training opens a gRPC server on every interface: run it on a trusted
network only.
"""
import numpy as np
import tensorflow as tf


def fit_multi_worker(model, strategy, global_batches, tracker, epochs, steps_per_epoch, *, batch_size,
                     total_steps=None, evaluate=None, verbose=1):
    """Train the compiled `model` for `epochs` x `steps_per_epoch` steps (or stop at `total_steps`), resuming
    from `tracker` (a `ResumableTraining`) exactly as `model.fit` does.

    `global_batches(skip)`: the dataset of global batches of `batch_size` after the first `skip`, the same on
    every worker; replica r of R trains on rows r, r + R, ... of each. `evaluate()`: validation logs (`val_*`)
    at each epoch's end, the same on every worker.
    """
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ValueError(f"the batch size {batch_size} (--batch-size) does not split evenly over {replicas} replicas")
    total_steps = epochs * steps_per_epoch if total_steps is None else total_steps
    tracker.set_model(model)
    with strategy.scope():
        tracker.on_train_begin()
    skip = tracker.step
    iterator = iter(strategy.distribute_datasets_from_function(
        lambda ctx: global_batches(skip).apply(_replica_rows(ctx))))

    @tf.function
    def train_step(batch):
        strategy.run(model.train_step, args=(batch,))

    start_epoch, done = divmod(tracker.step, steps_per_epoch)
    for epoch in range(start_epoch, epochs):
        left = min(steps_per_epoch - (done if epoch == start_epoch else 0), total_steps - tracker.step)
        if tracker.state["stopped"] or left <= 0:
            break
        model.reset_metrics()
        tracker.on_epoch_begin(epoch)
        for _ in range(left):
            train_step(next(iterator))
            tracker.on_train_batch_end(None)
        with strategy.scope():  # metric variables are sync-on-read: read here, they are summed over workers
            logs = {k: float(v) for k, v in model.get_metrics_result().items()}
        if evaluate is not None:
            logs.update(evaluate())
        if tracker.step >= total_steps:
            tracker.state["stopped"] = True  # a resumed run takes no more steps
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        tracker.on_epoch_end(epoch, logs)


def evaluate_locally(model, strategy, ds):
    """The model's compiled loss and metrics on the whole (small) held-out set, which every worker evaluates
    (identical weights, so identical sums); -> {"val_<name>": value}, the same on every worker."""
    step = tf.function(model.test_step)
    logs = {}
    with strategy.scope():  # cross-replica context: no strategy.run, the whole batch on this worker
        model.reset_metrics()
        for batch in ds:
            logs = step(batch)
    return {f"val_{k}": float(v) for k, v in logs.items()}


def _replica_rows(ctx):
    """This worker's share of each global batch: one element per local replica, replica r taking every R-th
    row from row r (equal shares, so the mean of the replicas' means is the batch's)."""
    count = ctx.num_replicas_in_sync
    local = count // ctx.num_input_pipelines
    first = ctx.input_pipeline_id * local

    def split(*batch):
        return tf.nest.map_structure(lambda t: tf.stack([t[r::count] for r in range(first, first + local)]),
                                     batch if len(batch) > 1 else batch[0])
    return lambda ds: ds.map(split).unbatch()


def predict_classes(model, strategy, ds):
    """Every worker evaluates the whole (small) validation set locally: no collectives, identical weights."""
    true, pred = [], []
    for x, y in ds:
        true.append(np.argmax(y.numpy(), -1))
        pred.append(np.argmax(model(x, training=False).numpy(), -1))
    return np.concatenate(true), np.concatenate(pred)
