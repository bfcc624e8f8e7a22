"""The floor under albert-large's int8 latency: its dense layers alone, and what one small op costs.

1. Dense floor: the 4 dense layers of the block (fused q|k|v, attention output, ffn, ffn output) called 24
   times with ONE set of int8 weights, as in ALBERT, run by LiteRT CompiledModel with the XNNPACK weight cache
   (which packs them once). Each layer streams 12.6 MB of packed int8 weights from L3: at short lengths this
   costs about the same for 1 token as for 16, so no graph change can take the model below it.
2. Small-op cost: 600 chained elementwise ops on [seq, 1024] floats; the time per op is what every LayerNorm,
   residual add, reshape or transpose node costs at short lengths.
3. `--ab N`: N interleaved rounds of the same dense work as whole matrices vs [H, H] weight blocks.
Run:  python bench/dense_floor.py [--seqs 1,16,32,128] [--threads 1,2] [--ab 3]
"""
import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

H, FFN, LAYERS, CHAIN = 1024, 4096, 24, 600


def dense_stack(seq, blocks=False):
    """`blocks`: the same multiply-adds as [H, H] weight blocks (q, k, v apart; ffn column blocks times the
    matching ffn_output row blocks, summed), each block small enough for one core's L2."""
    import numpy as np
    import tensorflow as tf
    rng = np.random.default_rng(0)
    shapes = {"qkv": (H, 3 * H), "output": (H, H), "ffn": (H, FFN), "ffn_output": (FFN, H)}
    w = {k: tf.constant(rng.normal(0, 0.02, s).astype("float32")) for k, s in shapes.items()}
    b = {k: tf.constant(rng.normal(0, 0.02, s[1]).astype("float32")) for k, s in shapes.items()}
    if blocks:
        w["qkv"] = [tf.constant(w["qkv"].numpy()[:, i:i + H]) for i in range(0, 3 * H, H)]
        w["ffn"] = [tf.constant(w["ffn"].numpy()[:, i:i + H]) for i in range(0, FFN, H)]
        w["ffn_output"] = [tf.constant(w["ffn_output"].numpy()[i:i + H]) for i in range(0, FFN, H)]

    @tf.function(input_signature=[tf.TensorSpec([seq, H], tf.float32)])
    def f(x):
        for _ in range(LAYERS):
            if blocks:
                q, k, v = (tf.matmul(x, w["qkv"][i]) + b["qkv"][i * H:(i + 1) * H] for i in range(3))
                x = tf.matmul(q + k + v, w["output"]) + b["output"]
                y = b["ffn_output"]
                for i in range(FFN // H):
                    y = tf.matmul(tf.matmul(x, w["ffn"][i]) + b["ffn"][i * H:(i + 1) * H], w["ffn_output"][i]) + y
                x = y
                continue
            qkv = tf.matmul(x, w["qkv"]) + b["qkv"]
            x = tf.matmul(qkv[:, :H] + qkv[:, H:2 * H] + qkv[:, 2 * H:], w["output"]) + b["output"]
            x = tf.matmul(tf.matmul(x, w["ffn"]) + b["ffn"], w["ffn_output"]) + b["ffn_output"]
        return x
    return f, True


def elementwise_chain(seq):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([seq, H], tf.float32)] * 2)
    def f(x, y):
        for i in range(CHAIN):
            x = x * y if i % 2 else x + y
        return x
    return f, False


def to_tflite(fn, quantize):
    import tensorflow as tf
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def time_ms(content, seq, threads, runs=60, with_min=False):
    import numpy as np
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.cpu_options import CpuOptions
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    from ai_edge_litert.options import Options
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "model.tflite")
    with open(path, "wb") as f:
        f.write(content)
    cpu = CpuOptions(num_threads=threads, xnnpack_weight_cache_path=os.path.join(folder, "weights.xnn"))
    model = CompiledModel.from_file(path, options=Options(hardware_accelerators=HardwareAccelerator.CPU,
                                                          cpu_options=cpu))
    inputs, outputs = model.create_input_buffers(0), model.create_output_buffers(0)
    rng = np.random.default_rng(0)
    for buffer in inputs:  # values near 1: 600 chained adds and multiplies stay finite
        buffer.write(rng.uniform(0.99, 1.0, (seq, H)).astype("float32"))
    for _ in range(5):
        model.run_by_index(0, inputs, outputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.run_by_index(0, inputs, outputs)
        times.append((time.perf_counter() - start) * 1000)
    return (float(np.median(times)), float(np.min(times))) if with_min else float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seqs", default="1,16,32,128")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--ab", type=int, default=0,
                        help="N interleaved rounds of the whole-matrix floor vs the [H, H]-block floor instead")
    args = parser.parse_args()
    seqs, threads = [int(s) for s in args.seqs.split(",")], [int(t) for t in args.threads.split(",")]
    from keras_albert_export.cpu import cpu_kind
    print(f"{cpu_kind()}; load {os.getloadavg()}")
    if args.ab:
        return blocks_ab(seqs, threads, args.ab)
    print("| seq | threads | dense floor, 24 layers (ms) | GB/s of int8 weights | one small op (us) |")
    print("|---|---|---|---|---|")
    weight_gb = LAYERS * (3 * H * H + H * H + 2 * H * FFN) / 1e9
    for seq in seqs:
        dense, chain = to_tflite(*dense_stack(seq)), to_tflite(*elementwise_chain(seq))
        for t in threads:
            ms = time_ms(dense, seq, t)
            op_us = time_ms(chain, seq, t) * 1000 / CHAIN
            print(f"| {seq} | {t} | {ms:.2f} | {weight_gb / ms * 1000:.0f} | {op_us:.2f} |", flush=True)


def blocks_ab(seqs, threads, rounds):
    """Interleaved A/B: the same dense work as whole matrices ([H, 3H], [H, 4H], [4H, H]) or as [H, H] blocks."""
    import numpy as np
    files = {(seq, blocks): to_tflite(*dense_stack(seq, blocks)) for seq in seqs for blocks in (False, True)}
    ms = {}
    for _ in range(rounds):
        for (seq, blocks), content in files.items():
            for t in threads:
                ms.setdefault((seq, t, blocks), []).append(time_ms(content, seq, t, runs=30))
    print("| seq | threads | whole matrices (ms) | [H, H] blocks (ms) | blocks / whole |\n|---|---|---|---|---|")
    for seq in seqs:
        for t in threads:
            whole, block = np.median(ms[(seq, t, False)]), np.median(ms[(seq, t, True)])
            print(f"| {seq} | {t} | {whole:.2f} | {block:.2f} | {block / whole:.2f} |")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
