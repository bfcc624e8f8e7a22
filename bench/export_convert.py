"""How long the float32 + dynamic_int8 conversion of `keras-albert export` takes: one `convert` per variant
(each traces the model to its own SavedModel) against `convert_variants` (one SavedModel for both).

    python bench/export_convert.py [--preset albert-base-v2] [--rounds 2]

Random-init classifier of the preset's shape; both ways in one process, alternating order; prints the CPU.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="albert-base-v2")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from keras_albert_export.cpu import cpu_kind
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert_export.tflite import convert, convert_variants
    keras.utils.set_random_seed(0)
    model = AlbertClassifier(AlbertBackbone.from_preset(args.preset, vocab_size=30000), 2)
    variants = ["float32", "dynamic_int8"]
    ways = {"one convert per variant": lambda: {v: convert(model, v) for v in variants},
            "convert_variants (one SavedModel)": lambda: convert_variants(model, variants)}
    convert(model, "float32")  # warm-up: TensorFlow's and the converter's first-use costs
    times = {name: [] for name in ways}
    for r in range(args.rounds):
        for name in (list(ways) if r % 2 == 0 else list(ways)[::-1]):
            start = time.perf_counter()
            ways[name]()
            times[name].append(time.perf_counter() - start)
    print(f"CPU: {cpu_kind()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.preset}, "
          f"{' + '.join(variants)}")
    for name, runs in times.items():
        print(f"{name}: {statistics.median(runs):.1f} s (runs {', '.join(f'{t:.1f}' for t in runs)})")


if __name__ == "__main__":
    main()
