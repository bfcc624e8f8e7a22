"""How long fine-tuning takes to start: the first `fit` call (building, tracing, one step) of an albert-base
classifier, with the compiled loss/metrics/optimizer built before it (what finetune and pretrain do) or left to
Keras, which on TensorFlow without a strategy builds them inside the first trace and then traces again.

    python bench/first_step.py [--preset albert-base-v2] [--rounds 3]

Each round runs both ways in fresh processes, in alternating order; prints the CPU and the medians.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _one(preset, build_first):
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert.training.finetune import _build_compiled_state
    from keras_albert.training.optim import make_optimizer
    keras.utils.set_random_seed(0)
    model = AlbertClassifier(AlbertBackbone.from_preset(preset, vocab_size=30000), 2)
    rng = np.random.default_rng(0)
    x = {"token_ids": rng.integers(5, 30000, (64, 128)).astype("int32"),
         "segment_ids": np.zeros((64, 128), "int32"), "padding_mask": np.ones((64, 128), "int32")}
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 64)]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    model.compile(optimizer=make_optimizer("adamw", 5e-5, 100, 0.1, 0.01, 1.0),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    start = time.perf_counter()
    if build_first:
        _build_compiled_state(model, data)
    model.fit(data, epochs=1, steps_per_epoch=1, verbose=0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(data, epochs=1, steps_per_epoch=1, verbose=0)
    return {"first": first, "later": time.perf_counter() - start}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="albert-base-v2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["built", "keras"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_one(args.preset, args.child == "built")))
        return
    from keras_albert_export.cpu import cpu_kind
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    times = {"built": [], "keras": []}
    for r in range(args.rounds):
        for way in (("built", "keras") if r % 2 == 0 else ("keras", "built")):
            out = subprocess.run([sys.executable, __file__, "--preset", args.preset, "--child", way], env=env,
                                 capture_output=True, text=True, check=True).stdout
            times[way].append(json.loads(out.strip().splitlines()[-1]))
    print(f"CPU: {cpu_kind()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.preset}, batch 8 x 128")
    for way, label in (("keras", "left to Keras (traced twice)"), ("built", "built first (traced once)")):
        first = [t["first"] for t in times[way]]
        print(f"{label}: first fit call {statistics.median(first):.1f} s (runs {', '.join(f'{v:.1f}' for v in first)});"
              f" a later one-step call {statistics.median(t['later'] for t in times[way]):.2f} s")


if __name__ == "__main__":
    main()
