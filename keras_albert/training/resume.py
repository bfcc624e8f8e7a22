"""Exact resume after SIGKILL: one atomic backup file with every variable that decides the next step.

Keras' `BackupAndRestore(save_freq=N)` restores only the epoch and reruns it from batch 0. This callback saves
model variables (dropout seed states included), optimizer state, the running metric totals, the step count and
the callbacks' own state (history, best score, early-stopping patience); `finetune` then skips the batches
already done, so the resumed run takes the same steps to the same weights as one that never stopped. The
backup also records the run's fingerprint (what its result depends on): a rerun with other data, labels,
model or hyperparameters is refused instead of silently continuing the old run.
"""
import hashlib
import json
import os

import keras
import numpy as np

STATE = "state.npz"
BEST = "best.npz"


def _save_arrays(path, arrays, meta=None):
    tmp = path + ".tmp.npz"
    payload = {f"a{i}": np.asarray(a) for i, a in enumerate(arrays)}
    if meta is not None:
        payload["meta"] = np.array(json.dumps(meta))
    np.savez(tmp, **payload)
    os.replace(tmp, path)  # a kill mid-write leaves the previous backup intact


def _load_arrays(path):
    with np.load(path) as f:
        meta = json.loads(str(f["meta"])) if "meta" in f.files else None
        arrays = [f[f"a{i}"] for i in range(len(f.files) - (meta is not None))]
    return arrays, meta


def _load_meta(path):
    with np.load(path) as f:
        return json.loads(str(f["meta"])) if "meta" in f.files else {}


def check_fingerprint(backup_dir, fingerprint):
    """Refuse to resume the backup in `backup_dir` if it was written by a run with another `fingerprint` (a dict
    of JSON values); the error names what changed and how to start fresh. No backup: nothing to check."""
    path = os.path.join(backup_dir, STATE)
    if not os.path.isfile(path):
        return
    old, new = _load_meta(path).get("fingerprint"), json.loads(json.dumps(fingerprint))
    if old == new:
        return
    folder = os.path.dirname(os.path.abspath(backup_dir))
    if old is None:
        changed = ["the backup records no inputs"]
    else:
        old, new = _flat(old), _flat(new)
        changed = [k if _is_digest(old.get(k)) or _is_digest(new.get(k)) else f"{k} {old.get(k)!r} -> {new.get(k)!r}"
                   for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    raise ValueError(f"{folder} holds an unfinished run with other inputs (changed: {'; '.join(changed)}); rerun "
                     f"with the same inputs to resume it, or delete {folder} to start fresh")


def _flat(tree, prefix=""):
    """{"model": {"config": {"hidden_size": 32}}} -> {"model.config.hidden_size": 32}: name the leaf that changed."""
    flat = {}
    for k, v in tree.items():
        flat.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return flat


def digest(value):
    """A content hash for a fingerprint entry (data, vocabulary): named when it changes, never printed."""
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _is_digest(value):
    return isinstance(value, str) and value.startswith("sha256:")


def _assign(variables, arrays):
    if len(variables) != len(arrays):
        raise ValueError(f"backup holds {len(arrays)} arrays, the model has {len(variables)} variables: "
                         "it was written by a different model; delete the backup directory to start over")
    for v, a in zip(variables, arrays):
        v.assign(a)


class Diverged(ValueError):
    """The training loss stopped being a number: nothing trained after it is worth keeping."""


def _check_finite(logs, step):
    loss = (logs or {}).get("loss")
    if loss is not None and not np.isfinite(float(loss)):
        raise Diverged(f"training diverged: the loss is {float(loss)} at step {step}; lower the learning rate "
                       "(--learning-rate) and start again")


class ResumableTraining(keras.callbacks.Callback):
    """Backups every `save_every` steps and at each epoch end; best weights; early stopping; history."""

    def __init__(self, backup_dir, steps_per_epoch, save_every=100, monitor="val_accuracy", patience=None,
                 fingerprint=None):
        super().__init__()
        self.dir, self.steps_per_epoch, self.save_every = backup_dir, steps_per_epoch, save_every
        self.monitor, self.patience, self.fingerprint = monitor, patience, fingerprint
        self.state = {"step": 0, "history": {}, "best": None, "best_epoch": None, "wait": 0, "stopped": False}
        self._pending = self._metric_totals = None
        os.makedirs(backup_dir, exist_ok=True)
        path = os.path.join(backup_dir, STATE)
        if os.path.isfile(path):
            if fingerprint is not None:
                check_fingerprint(backup_dir, fingerprint)
            arrays, self.state = _load_arrays(path)
            n = self.state.pop("sizes")
            self.state.pop("fingerprint", None)
            self._pending = (arrays[:n[0]], arrays[n[0]:n[0] + n[1]], arrays[n[0] + n[1]:])

    @property
    def step(self):
        return self.state["step"]

    @property
    def resumed(self):
        return self._pending is not None

    def on_train_begin(self, logs=None):
        if self._pending is not None:
            model_arrays, opt_arrays, _ = self._pending
            _assign(self.model.variables, model_arrays)
            if not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)
            _assign(self.model.optimizer.variables, opt_arrays)

    def on_epoch_begin(self, epoch, logs=None):
        if self._pending is not None:
            if self.step % self.steps_per_epoch:
                self._metric_totals = self._pending[2]
            self._pending = None

    def on_train_batch_end(self, batch, logs=None):
        if self._metric_totals is not None:
            # Keras builds compile metrics when the first step is traced, after every hook before it, so the
            # epoch's running totals (sums and counts, all additive) are added once the first step is done.
            totals, self._metric_totals = self._metric_totals, None
            if len(totals) != len(self.model.metrics_variables):
                raise ValueError("the backup's metrics do not match the model's; delete the backup directory")
            for v, a in zip(self.model.metrics_variables, totals):
                v.assign(v + a)
        self.state["step"] += 1
        if self.save_every and self.step % self.save_every == 0 and self.step % self.steps_per_epoch:
            _check_finite(logs, self.step)  # read only where a backup is written: no per-step device sync
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        _check_finite(logs, self.step)  # before a diverged model becomes the backup, the best or the result
        for k, v in logs.items():
            self.state["history"].setdefault(k, []).append(float(v))
        score = logs.get(self.monitor, None)
        if score is None:
            score = -logs.get("loss", 0.0)
        # a NaN score (Pearson of constant predictions) is never the best: NaN > x is False for ever after
        if not np.isnan(score) and (self.state["best"] is None or score > self.state["best"]):
            self.state.update(best=float(score), best_epoch=epoch, wait=0)
            _save_arrays(os.path.join(self.dir, BEST), [v.numpy() for v in self.model.weights])
        else:
            self.state["wait"] += 1
            if self.patience is not None and self.state["wait"] >= self.patience:
                self.state["stopped"] = True
        if self.state["stopped"]:
            self.model.stop_training = True
        self.save()

    def save(self):
        groups = [self.model.variables, self.model.optimizer.variables, self.model.metrics_variables]
        arrays = [keras.ops.convert_to_numpy(v) for g in groups for v in g]
        meta = {**self.state, "sizes": [len(g) for g in groups[:2]], "fingerprint": self.fingerprint}
        _save_arrays(os.path.join(self.dir, STATE), arrays, meta)

    def restore_best(self):
        path = os.path.join(self.dir, BEST)
        if os.path.isfile(path):
            _assign(self.model.weights, _load_arrays(path)[0])
