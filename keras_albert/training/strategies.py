"""Distribution strategies by name: tf.distribute on the TensorFlow backend, DataParallel on JAX."""
import contextlib

import keras

TF_STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
JAX_STRATEGIES = ("default", "data_parallel")


_CACHE = {}


def get_strategy(name):
    """-> a tf.distribute.Strategy (TensorFlow backend), or None (JAX: see `distribution_scope`).

    `multi_worker` and `tpu` must be created before TensorFlow runs any op: call `get_strategy(name)` first
    thing in the program; later calls (finetune's included) return that same instance.
    """
    if name in _CACHE:
        return _CACHE[name]
    backend = keras.backend.backend()
    if backend != "tensorflow":
        if name not in JAX_STRATEGIES:
            raise ValueError(f"strategy {name!r} needs the TensorFlow backend; on {backend} use one of "
                             f"{', '.join(JAX_STRATEGIES)}")
        return None
    import tensorflow as tf
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":  # all GPUs; without GPUs, every logical CPU device (one unless split before start)
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy(None if gpus else [d.name for d in tf.config.list_logical_devices("CPU")])
    if name == "multi_worker":  # reads TF_CONFIG; its gRPC server listens on all interfaces: trusted networks only
        _check_tf_config()
        try:
            _CACHE[name] = tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as e:
            raise ValueError(f"{e}: call keras_albert.training.get_strategy('multi_worker') before building "
                             "the model") from None
        return _CACHE[name]
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        _CACHE[name] = tf.distribute.TPUStrategy(resolver)
        return _CACHE[name]
    raise ValueError(f"unknown strategy {name!r}; on TensorFlow use one of {', '.join(TF_STRATEGIES)}")


def _check_tf_config():
    """A malformed TF_CONFIG in one line, not a traceback from deep inside tf.distribute."""
    import json
    import os
    text = os.environ.get("TF_CONFIG")
    if not text:
        return
    try:
        config = json.loads(text)
    except ValueError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON ({e})") from None
    task = config.get("task", {}) if isinstance(config, dict) else None
    if not isinstance(config, dict) or not isinstance(task, dict) or (
            config.get("cluster") and task.get("type") not in config["cluster"]):
        raise ValueError('TF_CONFIG must look like {"cluster": {"worker": ["host0:port", ...]}, "task": {"type": '
                         f'"worker", "index": 0}}}}, got {text}')


@contextlib.contextmanager
def distribution_scope(name, strategy):
    """Build and train inside this: the tf.distribute scope, or JAX DataParallel over all devices."""
    if strategy is not None:
        with strategy.scope():
            yield
    elif name == "data_parallel":
        previous = keras.distribution.distribution()
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        try:
            yield
        finally:
            keras.distribution.set_distribution(previous)
    else:
        yield


def replicas(strategy):
    if strategy is not None:
        return strategy.num_replicas_in_sync
    dist = keras.distribution.distribution()
    return len(dist.device_mesh.devices.flatten()) if dist is not None else 1


def is_chief(strategy):
    """Whether this process writes the results: always, except a multi-worker worker that is not the chief
    (the `chief` task, else worker 0)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if getattr(resolver, "task_type", None) is None:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0
                                             and "chief" not in resolver.cluster_spec().as_dict())


def task_id(strategy):
    return getattr(getattr(strategy, "cluster_resolver", None), "task_id", 0)
