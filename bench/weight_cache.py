"""LiteRT CompiledModel with and without XNNPACK's weight cache file, on the fixed-length signatures.

Without the cache XNNPACK packs the int8 weights of every dense node separately: ALBERT's one shared block
becomes 24 packed copies per signature (1.5 GB RSS for albert-large with 5 signatures) and each layer streams
its weights from L3. `CpuOptions(xnnpack_weight_cache_path=FILE)` packs each source buffer once.

Run:  python bench/weight_cache.py MODEL.tflite [--threads 2] [--runs 25] [--cache-dir DIR] [--dynamic]
      (one child process per setting, so each RSS is its own)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def compiled(path, threads, cache_file):
    """A LiteRT CompiledModel on XNNPACK; `cache_file` ("" for none) is XNNPACK's weight cache."""
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.cpu_options import CpuOptions
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    from ai_edge_litert.options import Options
    cpu = CpuOptions(num_threads=threads, xnnpack_weight_cache_path=cache_file or "")
    return CompiledModel.from_file(path, options=Options(hardware_accelerators=HardwareAccelerator.CPU,
                                                         cpu_options=cpu))


def time_length(model, n, runs, dynamic=False):
    """(median, min) ms of one batch-1 run at length n on `length_n` (or `serving_default` resized to n)."""
    import numpy as np
    key = f"length_{n}" if not dynamic else "serving_default"
    index = model.get_signature_index(key)
    if dynamic:
        for name in model.get_signature_by_index(index)["inputs"]:
            model.resize_input_tensor_by_name(key, name, [1, n])
    inputs, outputs = model.create_input_buffers(index), model.create_output_buffers(index)
    ids = np.full((1, n), 5, np.int32)
    ids[0, 0], ids[0, -1] = 2, 3
    values = {"ids": ids, "mask": np.ones_like(ids), "segment_ids": np.zeros_like(ids)}
    for buffer, name in zip(inputs, model.get_signature_by_index(index)["inputs"]):
        buffer.write(values[name])
    for _ in range(3):
        model.run_by_index(index, inputs, outputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.run_by_index(index, inputs, outputs)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), float(np.min(times))


def run(path, threads, runs, cache_file, lengths, dynamic=False, real=0):
    model = compiled(path, threads, cache_file)
    for n in lengths:
        median, low = time_length(model, n, runs, dynamic)
        rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
        print(f"RESULT {n} {median:.2f} {low:.2f} {rss}", flush=True)
    if real:
        from cpu_infer import real_sentences
        print(f"REAL {real_sentences_ms(model, real_sentences(real)):.2f}", flush=True)


def real_sentences_ms(model, sentences, warmup=5):
    """Mean ms per sentence (id lists, e.g. cpu_infer.real_sentences) on the dynamic signature, resized to each."""
    import numpy as np

    key, index = "serving_default", model.get_signature_index("serving_default")
    names = list(model.get_signature_by_index(index)["inputs"])
    total = 0.0
    for i, ids in enumerate(sentences):
        ids = np.asarray([ids], np.int32)
        start = time.perf_counter()
        for name in names:
            model.resize_input_tensor_by_name(key, name, list(ids.shape))
        inputs, outputs = model.create_input_buffers(index), model.create_output_buffers(index)
        values = {"ids": ids, "mask": np.ones_like(ids), "segment_ids": np.zeros_like(ids)}
        for buffer, name in zip(inputs, names):
            buffer.write(values[name])
        model.run_by_index(index, inputs, outputs)
        if i >= warmup:
            total += (time.perf_counter() - start) * 1000
    return total / (len(sentences) - warmup)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--lengths", default="16,32,64,128")
    parser.add_argument("--cache-dir")
    parser.add_argument("--dynamic", action="store_true", help="time serving_default resized to each length")
    parser.add_argument("--real", type=int, default=0, help="also time N real Rotten Tomatoes test sentences")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    lengths = [int(n) for n in args.lengths.split(",")]
    if args.child is not None:
        return run(args.model, args.threads, args.runs, args.child, lengths, args.dynamic, args.real)
    cache_dir = args.cache_dir or tempfile.mkdtemp()
    from keras_albert_export.cpu import cpu_kind
    print(f"{cpu_kind()}; {os.path.basename(args.model)}, {args.threads} thread(s), load {os.getloadavg()}")
    print("| setting | " + " | ".join(f"seq {n} ms (min)" for n in lengths) + " | RSS MB |")
    print("|---|" + "---|" * (len(lengths) + 1))
    for label, cache in (("no weight cache", ""), ("weight cache", os.path.join(cache_dir, "weights.xnn"))):
        out = subprocess.run([sys.executable, __file__, args.model, "--threads", str(args.threads), "--runs",
                              str(args.runs), "--lengths", args.lengths, "--child", cache]
                             + (["--dynamic"] if args.dynamic else []) + ["--real", str(args.real)],
                             capture_output=True, text=True, check=True).stdout
        rows = [line.split()[1:] for line in out.splitlines() if line.startswith("RESULT")]
        real = [line.split()[1] for line in out.splitlines() if line.startswith("REAL")]
        print(f"| {label} | " + " | ".join(f"{m} ({lo})" for _, m, lo, _ in rows) + f" | {rows[-1][3]} |"
              + (f" real sentences: {real[0]} ms |" if real else ""), flush=True)


if __name__ == "__main__":
    sys.exit(main())
