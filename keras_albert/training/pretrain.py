"""`pretrain`: AlbertPretrainer (MLM + SOP) on TFRecord shards, resumable like `finetune`; on one device,
`mirrored`, `tpu` and JAX `data_parallel` with `model.fit`, across machines (`multi_worker`) with the shared
loop of `custom_loop` (the chief writes the model)."""
import os
import shutil

import keras

from keras_albert.training.optim import make_optimizer
from keras_albert.training.resume import ResumableTraining, digest
from keras_albert.training.strategies import distribution_scope, get_strategy, is_chief


def pretrain(config, tokenizer, train_shards, *, out_dir, eval_shards=None, sequence_length=128,
             max_predictions=20, steps=1000, steps_per_log=200, batch_size=64, learning_rate=1e-3,
             warmup_ratio=0.05, optimizer="lamb", strategy="default", mixed_precision=None, seed=0,
             verbose=1, backup_every=100, overwrite=False, initial_weights=None):
    """Train an AlbertPretrainer for exactly `steps` steps; returns (model, history). Reports MLM and SOP
    accuracy on `eval_shards` every `steps_per_log` steps (and after the last step); writes a model directory
    to `out_dir` (the command stages it). It starts fresh, or from `initial_weights` (`get_weights()` of an
    AlbertPretrainer of the same config: continued pretraining). `history["steps"]`: steps trained."""
    from keras_albert import AlbertBackbone, AlbertPretrainer
    from keras_albert.model_dir import save_model_dir
    from keras_albert.pretraining_data import shard_dataset

    if os.path.exists(os.path.join(out_dir, "model.keras")) and not overwrite:
        raise FileExistsError(f"{out_dir}/model.keras already exists; pass overwrite=True (--overwrite)")
    for name, value in (("steps", steps), ("steps_per_log", steps_per_log), ("batch_size", batch_size)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if config.vocab_size < tokenizer.vocab_size:
        raise ValueError(f"config.vocab_size {config.vocab_size} < tokenizer size {tokenizer.vocab_size}")
    keras.utils.set_random_seed(seed)
    dist = get_strategy(strategy)
    previous = keras.config.dtype_policy()
    with distribution_scope(strategy, dist):
        if mixed_precision:
            keras.config.set_dtype_policy(mixed_precision)
        try:
            model = AlbertPretrainer(AlbertBackbone(config), mask_positions=True)
            if initial_weights is not None:
                model.set_weights(initial_weights)
        finally:
            keras.config.set_dtype_policy(previous)
        acc = keras.metrics.SparseCategoricalAccuracy
        model.compile(optimizer=make_optimizer(optimizer, learning_rate, steps, warmup_ratio),
                      loss={"mlm_logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                            "sop_logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
                      weighted_metrics={"mlm_logits": [acc(name="accuracy")], "sop_logits": [acc(name="accuracy")]})
    steps_per_log = min(steps_per_log, steps)
    epochs = -(-steps // steps_per_log)  # the last log interval is cut short by _StopAt
    fingerprint = {"training data": _shards_digest(train_shards), "vocabulary": digest(tokenizer.model_proto),
                   "model": config.to_dict(), "initial weights": None if initial_weights is None else
                   digest(b"".join(keras.ops.convert_to_numpy(w).tobytes() for w in initial_weights)),
                   "steps": steps, "batch_size": batch_size, "learning_rate": learning_rate, "optimizer": optimizer,
                   "sequence_length": sequence_length, "max_predictions": max_predictions, "seed": seed,
                   "warmup_ratio": warmup_ratio, "mixed_precision": mixed_precision}
    tracker = ResumableTraining(os.path.join(out_dir, "backup"), steps_per_log, backup_every,
                                "val_mlm_logits_accuracy" if eval_shards else "mlm_logits_accuracy",
                                fingerprint=fingerprint)
    val = None if not eval_shards else shard_dataset(eval_shards, sequence_length, max_predictions, batch_size,
                                                     repeat=False)

    def data(skip):
        return shard_dataset(train_shards, sequence_length, max_predictions, batch_size, seed=seed, skip=skip)

    if strategy == "multi_worker":
        from keras_albert.training.custom_loop import evaluate_locally, fit_multi_worker
        fit_multi_worker(model, dist, data, tracker, epochs, steps_per_log, batch_size=batch_size, total_steps=steps,
                         evaluate=None if val is None else lambda: evaluate_locally(model, dist, val), verbose=verbose)
    else:
        from keras_albert.training.finetune import _fit_resumable
        _fit_resumable(model, data, val, tracker, epochs, steps_per_log, verbose, [_StopAt(tracker, steps)],
                       strategy=strategy)
    if is_chief(dist):
        save_model_dir(out_dir, model, tokenizer, overwrite=True)
    shutil.rmtree(tracker.dir, ignore_errors=True)
    return model, {**tracker.state["history"], "steps": tracker.step}


def _shards_digest(pattern):
    """The training examples by content, so a rerun on another corpus is refused instead of resumed."""
    import glob
    import hashlib
    h = hashlib.sha256()
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return "sha256:" + h.hexdigest()


class _StopAt(keras.callbacks.Callback):
    """Stop after exactly `steps` steps, inside the last log interval (Keras then still evaluates and logs it).
    Marking the run stopped in the backup keeps a resumed run from taking more."""

    def __init__(self, tracker, steps):
        super().__init__()
        self.tracker, self.steps = tracker, steps

    def on_train_batch_end(self, batch, logs=None):
        if self.tracker.step >= self.steps:
            self.tracker.state["stopped"] = True
            self.model.stop_training = True
