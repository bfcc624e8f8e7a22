"""Where the TFLite time of one ALBERT layer goes: each piece of the block converted alone, timed alone.

ai_edge_litert's Python API has no op profiler, so every piece (a dense layer, the attention matmuls,
LayerNorm, GELU, ...) becomes its own tiny .tflite at the albert-large-v2 shape, converted the way the
classifier is (dynamic-range int8 unless the piece has no weights), and is timed at batch 1 with fixed shapes.
Count x time over one layer, x24 layers, is compared with the whole model's time in BENCHMARKS.md.

Run:  python bench/tflite_ops.py [--seq 128] [--threads 2] [--runs 50]
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

H, HEADS, FFN = 1024, 16, 4096


def pieces(seq):
    """{name: (function, input shapes, count per layer)}; weights are constants in the function."""
    import numpy as np
    import tensorflow as tf
    rng = np.random.default_rng(0)
    d = H // HEADS

    def dense(n_in, n_out):
        w = tf.constant(rng.normal(0, 0.02, (n_in, n_out)).astype("float32"))
        b = tf.constant(np.zeros(n_out, "float32"))
        return lambda x: tf.matmul(x, w) + b

    def layer_norm(x):
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + 1e-12)

    def keras_gelu(x):
        return tf.nn.gelu(x, approximate=True)

    def attention(qkv):  # [s, 3H] -> [s, H]: the float middle of attention as the block computes it
        heads = tf.transpose(tf.reshape(qkv, [seq, 3 * HEADS, d]), [1, 0, 2])  # one TRANSPOSE, then SPLIT
        q, k, v = tf.split(heads, 3, axis=0)  # the query kernel is pre-scaled: no MUL on the scores
        probs = tf.nn.softmax(tf.matmul(q, k, transpose_b=True), axis=-1)
        return tf.reshape(tf.transpose(tf.matmul(probs, v), [1, 0, 2]), [seq, H])

    return {
        f"dense {H}->{3 * H} (fused q|k|v)": (dense(H, 3 * H), [[seq, H]], 1),
        f"dense {H}->{H} (attention output)": (dense(H, H), [[seq, H]], 1),
        f"dense {H}->{FFN} (ffn)": (dense(H, FFN), [[seq, H]], 1),
        f"dense {FFN}->{H} (ffn output)": (dense(FFN, H), [[seq, FFN]], 1),
        "attention core (split heads, QK^T, softmax, PV, merge)": (attention, [[seq, 3 * H]], 1),
        "softmax alone [16, s, s]": (lambda x: tf.nn.softmax(x, axis=-1), [[1, HEADS, seq, seq]], 1),
        "LayerNorm (moments form)": (layer_norm, [[1, seq, H]], 2),
        "GELU tanh approximation": (keras_gelu, [[1, seq, FFN]], 1),
        "residual add": (lambda a, b: a + b, [[1, seq, H]] * 2, 2),
    }


def convert(fn, shapes):
    import tensorflow as tf
    concrete = tf.function(fn).get_concrete_function(*[tf.TensorSpec(s, tf.float32) for s in shapes])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def time_ms(content, shapes, threads, runs):
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=content, num_threads=threads)
    interp.allocate_tensors()
    for i, s in zip(interp.get_input_details(), shapes):
        interp.set_tensor(i["index"], np.random.default_rng(0).normal(size=s).astype("float32"))
    for _ in range(5):
        interp.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--layers", type=int, default=24)
    args = parser.parse_args()
    from keras_albert_export.cpu import cpu_kind
    total, by_kind = 0.0, {}
    print(f"{cpu_kind()}; seq {args.seq}, {args.threads} thread(s), load {os.getloadavg()}")
    print("| piece | ms each | per layer | x layers |\n|---|---|---|---|")
    for name, (fn, shapes, count) in pieces(args.seq).items():
        ms = time_ms(convert(fn, shapes), shapes, args.threads, args.runs)
        if not name.startswith("softmax alone"):
            total += ms * count
            kind = name.split()[0] if name.split()[0] in ("dense", "attention") else "rest"
            by_kind[kind] = by_kind.get(kind, 0.0) + ms * count
        print(f"| {name} | {ms:.3f} | {ms * count:.3f} | {ms * count * args.layers:.1f} |", flush=True)
    print(f"| sum (one layer; softmax counted inside attention) | | {total:.3f} | {total * args.layers:.1f} |")
    print("share of the sum: " + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in by_kind.items()))


if __name__ == "__main__":
    sys.exit(main())
