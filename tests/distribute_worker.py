"""Runs in a subprocess for tests/test_distribute.py (devices must be set up before TensorFlow starts).

python tests/distribute_worker.py MODE SPIECE OUT   with MODE one of
  mirrored       default vs MirroredStrategy over 2 logical CPUs, same global batch -> max weight difference
  jax            (KERAS_BACKEND=jax, 2 host devices) default vs DataParallel -> max weight difference
  multi_worker   one worker (TF_CONFIG set by tests/multi_worker_launch.py): finetune, save weights
  upstream_fit   one worker: plain Keras model.fit under MultiWorkerMirroredStrategy (keras-team/keras#20585)
  multi_worker_pretrain   one worker: `keras-albert pretrain --shards SPIECE(=a shard folder) --strategy
                 multi_worker --out OUT/model`, every worker the same --out (shared storage); save weights
  multi_worker_tasks   one worker: finetune token classification and question answering (records through
                 the task's features), save each model's weights
  multi_worker_resume   one process, no TF_CONFIG: pretrain under `multi_worker` straight through, and again
                 killed (an exception) after a mid-interval backup and rerun -> max weight difference
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's keras_albert


def _setup(mode):
    if mode.startswith("multi_worker") or mode == "upstream_fit":  # before any TensorFlow op
        from keras_albert.training import get_strategy
        get_strategy("multi_worker")
    if mode == "mirrored":
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


def _model_and_data(spiece):
    import keras
    from conftest import tiny_config

    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.data import splits
    from keras_albert.tokenizer import AlbertTokenizer
    tokenizer = AlbertTokenizer.from_file(spiece)
    keras.utils.set_random_seed(3)
    model = AlbertClassifier(AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, classifier_dropout_prob=0.0)), 2)
    s = splits()
    return model, tokenizer, (s["train"][0][:128], s["train"][1][:128]), (s["validation"][0][:32], s["validation"][1][:32])


def _train(model, tokenizer, train, out, strategy, validation=None, optimizer="adamw"):
    # clipnorm=None: under tf.distribute Keras clips per replica, before the all-reduce. JAX compiles the whole
    # step (as `jit_compile="auto"`, the CLI's default, does there): un-jitted, it compiles every op on its
    # own, 2x the time of this test.
    import keras

    from keras_albert.training import finetune
    return finetune(model, tokenizer, train, validation, out_dir=out, epochs=1, batch_size=16, sequence_length=48,
                    learning_rate=1e-3 if optimizer == "adamw" else 0.1, optimizer=optimizer, strategy=strategy,
                    jit_compile=keras.backend.backend() == "jax", clipnorm=None, backup_every=0, verbose=0)


def _max_diff(a, b):
    return max(float(abs(x.numpy() - y.numpy()).max()) for x, y in zip(a.weights, b.weights))


def _pretrain(shards, out):
    """The command line on this worker; the model it trained is kept by wrapping the library call."""
    import importlib

    import numpy as np

    from keras_albert_cli.cli import main
    lib = importlib.import_module("keras_albert.training.pretrain")  # the package's `pretrain` is the function
    trained, call = [], lib.pretrain

    def keep(*args, **kwargs):
        trained.append(call(*args, **kwargs))
        return trained[-1]
    lib.pretrain = keep
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    rc = main(["pretrain", "--shards", shards, "--out", os.path.join(out, "model"), "--strategy", "multi_worker",
               "--steps", "5", "--steps-per-log", "3", "--batch-size", "8", "--sequence-length", "32",
               "--hidden-size", "32", "--num-hidden-layers", "2", "--num-attention-heads", "2",
               "--intermediate-size", "64", "--embedding-size", "16", "--verbose", "0"])
    model, history = trained[0]
    np.savez(os.path.join(out, f"weights-{task}.npz"), *[w.numpy() for w in model.weights])
    print(json.dumps({"task": task, "rc": rc, "iterations": int(model.optimizer.iterations.numpy()),
                      "history": history}))


def _resume(shards, out):
    import keras
    import numpy as np

    from conftest import tiny_config

    from keras_albert.pretraining_data import load_shards
    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert.training.pretrain import pretrain
    from keras_albert.training.resume import ResumableTraining
    tokenizer = AlbertTokenizer.from_file(os.path.join(shards, "spiece.model"))
    m = load_shards(shards, tokenizer)
    config = tiny_config(vocab_size=tokenizer.vocab_size)

    def run(name):
        return pretrain(config, tokenizer, m["train"], out_dir=os.path.join(out, name), eval_shards=m["eval"],
                        sequence_length=32, max_predictions=m["max_predictions"], steps=7, steps_per_log=3,
                        batch_size=8, strategy="multi_worker", backup_every=2, verbose=0)
    straight, _ = run("straight")
    count = ResumableTraining.on_train_batch_end

    def killed_at_5(self, batch, logs=None):
        count(self, batch, logs)
        if self.step == 5:
            raise KeyboardInterrupt("killed")
    ResumableTraining.on_train_batch_end = killed_at_5
    try:
        run("resumed")
    except KeyboardInterrupt:
        pass
    ResumableTraining.on_train_batch_end = count
    resumed, history = run("resumed")
    hits = np.zeros(4)  # the held-out accuracies by hand, to hold the loop's evaluation to
    from keras_albert.pretraining_data import shard_dataset
    for x, y, w in shard_dataset(m["eval"], 32, m["max_predictions"], 8, repeat=False):
        out = resumed(x, training=False)
        mask = w["mlm_logits"].numpy()
        hits += [((out["mlm_logits"].numpy().argmax(-1) == y["mlm_logits"].numpy()) * mask).sum(), mask.sum(),
                 (out["sop_logits"].numpy().argmax(-1) == y["sop_logits"].numpy()).sum(), len(mask)]
    print(json.dumps({"by_hand": [hits[0] / hits[1], hits[2] / hits[3]], "max_diff": max(float(abs(a - b).max()) for a, b in zip(
        [keras.ops.convert_to_numpy(w) for w in straight.weights], [keras.ops.convert_to_numpy(w) for w in resumed.weights])),
        "iterations": int(resumed.optimizer.iterations.numpy()), "history": history}))


def _task_records(texts):
    """Token-classification records (a name tagged in real words) and SQuAD records (the word after a named one)."""
    import tempfile

    from keras_albert.readers import read_squad
    names = [["john", "smith"], ["mary"], ["paris", "hilton"], ["tom"]]
    tagged = []
    for i, text in enumerate(texts[:40]):
        words, name = text.split()[:8], names[i % 4]
        at = i % (len(words) + 1)
        tags = ["O"] * at + ["B-PER"] + ["I-PER"] * (len(name) - 1) + ["O"] * (len(words) - at)
        tagged.append({"tokens": words[:at] + name + words[at:], "tags": tags, "line": i + 1})
    paragraphs = []
    for i in range(40):
        context = " ".join(texts[100 + i: 102 + i])
        words = context.split()
        k = (i * 7) % (len(words) - 1)
        paragraphs.append({"context": context, "qas": [{"id": f"q{i}", "question": f"what follows {words[k]} ?",
                           "answers": [{"text": words[k + 1], "answer_start": len(" ".join(words[:k + 1])) + 1}]}]})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"data": [{"title": "t", "paragraphs": paragraphs}]}, f)
    return tagged, list(read_squad(f.name))


def _tasks(spiece, out):
    import keras
    import numpy as np
    from conftest import tiny_config

    from keras_albert import AlbertBackbone, tasks
    from keras_albert.data import splits
    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert.training import finetune
    tokenizer = AlbertTokenizer.from_file(spiece)
    tagged, squad = _task_records(splits()["train"][0])
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    for task, records, length in (("token_classification", tagged, 32), ("question_answering", squad, 48)):
        keras.utils.set_random_seed(3)
        backbone = AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, num_hidden_layers=2))
        result = finetune(backbone, tokenizer, records[:30], records[30:], out_dir=os.path.join(out, f"{task}-{index}"),
                          task=task, epochs=2, batch_size=8, sequence_length=length, learning_rate=1e-3,
                          strategy="multi_worker", clipnorm=None, backup_every=0, heldout=records[30:], verbose=0)
        np.savez(os.path.join(out, f"{task}-weights-{index}.npz"), *[w.numpy() for w in result.model.weights])
        recipe = tasks.recipe(task)[1]
        labels = recipe.labels(records[:30]) if recipe.labels else None
        examples = len(recipe.features(tokenizer, records[:30], labels, length))
        print(json.dumps({"task": index, "name": task, "steps": result.steps, "history": result.history,
                          "examples": examples,
                          "validation": result.metrics, "test": result.test}))


def main(mode, spiece, out):
    _setup(mode)
    if mode == "multi_worker_tasks":
        return _tasks(spiece, out)
    if mode == "multi_worker_pretrain":
        return _pretrain(spiece, out)
    if mode == "multi_worker_resume":
        return _resume(spiece, out)
    import keras
    import numpy as np
    model, tokenizer, train, val = _model_and_data(spiece)
    if mode in ("mirrored", "jax"):
        # Mirrored uses SGD: Keras' TF Adam/AdamW update of embedding gradients (IndexedSlices with the replicas'
        # duplicate rows) differs from one device by ~1e-3 after a few steps; the JAX backend has no such path.
        opt = "sgd" if mode == "mirrored" else "adamw"
        base = _train(model, tokenizer, train, os.path.join(out, "default"), "default", optimizer=opt)
        other = _train(model, tokenizer, train, os.path.join(out, mode),
                       "mirrored" if mode == "mirrored" else "data_parallel", optimizer=opt)
        from keras_albert.training.strategies import replicas
        print(json.dumps({"max_diff": _max_diff(base.model, other.model), "steps": [base.steps, other.steps],
                          "moved": _max_diff(base.model, model), "devices": len(keras.distribution.list_devices())
                          if mode == "jax" else replicas(__import__("tensorflow").distribute.MirroredStrategy(
                              ["/cpu:0", "/cpu:1"]))}))
        return
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    if mode == "multi_worker":
        result = _train(model, tokenizer, train, os.path.join(out, f"worker-{task}"), "multi_worker", val)
        np.savez(os.path.join(out, f"weights-{task}.npz"), *[w.numpy() for w in result.model.weights])
        print(json.dumps({"task": task, "steps": result.steps, "moved": _max_diff(result.model, model),
                          "history": result.history}))
        return
    import tensorflow as tf  # upstream_fit
    from keras_albert.training import get_strategy
    strategy = get_strategy("multi_worker")
    with strategy.scope():
        clone = keras.models.clone_model(model)
        clone.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    from keras_albert.preprocessor import AlbertPreprocessor
    x = {k: v.numpy() for k, v in AlbertPreprocessor(tokenizer, 32)(train[0][:32]).items()}
    clone.fit(tf.data.Dataset.from_tensor_slices((x, np.array(train[1][:32]))).batch(16), epochs=1, verbose=0)
    print(json.dumps({"task": task, "fit": "ok"}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
