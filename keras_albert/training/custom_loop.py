"""The multi-worker training loop: a step driven by `strategy.run`, because Keras 3 `model.fit` fails under
MultiWorkerMirroredStrategy (keras-team/keras#20585; tests/test_distribute.py notices when that is fixed).

Each worker reads its rows of every global batch (same batch plan, same padded width), the optimizer sums
gradients across workers, so all workers keep identical weights. Multi-worker training opens a gRPC server on
every interface: run it on a trusted network only.
"""
import numpy as np
import tensorflow as tf


def fit_multi_worker(model, strategy, tokenizer, train, val_ds, tracker, epochs, steps_per_epoch, batch_size,
                     sequence_length, num_classes, seed, bucket, verbose):
    from keras_albert import datasets
    from keras_albert.training import report as report_lib

    tracker.set_model(model)
    with strategy.scope():
        tracker.on_train_begin()

    def dataset_fn(ctx):
        ds, _ = datasets.text_dataset(tokenizer, train[0], train[1], num_classes, sequence_length, batch_size,
                                      epochs, seed, shuffle=True, bucket=bucket, skip=tracker.step,
                                      shard=(ctx.input_pipeline_id, ctx.num_input_pipelines), drop_remainder=True)
        return ds

    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))

    def replica_step(x, y):
        count = tf.cast(tf.shape(y)[0], tf.float32)
        total = tf.distribute.get_replica_context().all_reduce("SUM", count)
        with tf.GradientTape() as tape:
            logits = tf.cast(model(x, training=True), tf.float32)
            loss = tf.reduce_sum(tf.keras.losses.categorical_crossentropy(y, logits, from_logits=True)) / total
            scaled = model.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, model.trainable_variables)
        model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
        correct = tf.reduce_sum(tf.cast(tf.argmax(logits, -1) == tf.argmax(y, -1), tf.float32))
        return loss, correct, count

    @tf.function
    def train_step(x, y):
        results = strategy.run(replica_step, args=(x, y))
        return [strategy.reduce("SUM", r, axis=None) for r in results]

    start_epoch, done = divmod(tracker.step, steps_per_epoch)
    for epoch in range(start_epoch, epochs):
        if tracker.state["stopped"]:
            break
        tracker.on_epoch_begin(epoch)
        sums = np.zeros(3)
        for _ in range(steps_per_epoch - (done if epoch == start_epoch else 0)):
            x, y = next(iterator)
            sums += [float(v) for v in train_step(x, y)]
            tracker.on_train_batch_end(None)
        steps = max(steps_per_epoch - (done if epoch == start_epoch else 0), 1)
        logs = {"loss": sums[0] / steps, "accuracy": sums[1] / max(sums[2], 1)}
        if val_ds is not None:
            logs.update({f"val_{k}": v for k, v in
                         report_lib.scores(report_lib.confusion_matrix(*predict_classes(model, strategy, val_ds),
                                                                       num_classes)).items()})
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        tracker.on_epoch_end(epoch, logs)


def predict_classes(model, strategy, ds):
    """Every worker evaluates the whole (small) validation set locally: no collectives, identical weights."""
    true, pred = [], []
    for x, y in ds:
        true.append(np.argmax(y.numpy(), -1))
        pred.append(np.argmax(model(x, training=False).numpy(), -1))
    return np.concatenate(true), np.concatenate(pred)
