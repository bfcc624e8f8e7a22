"""Where the CPU time of a .tflite goes, by XNNPACK kernel: `perf record` over LiteRT runs, grouped by kind.

LiteRT's Python API exposes no per-op profiler, but the wheel keeps XNNPACK's symbol names, so sampling the
process with Linux `perf` names the micro-kernel each node runs (which GEMM tile and ISA: avx512vnni, avx512amx,
...) and how much of the run it takes. Shares are turned into ms with the run's own median time.

Run:  python bench/perf_kernels.py MODEL.tflite [MODEL2.tflite ...] [--length 16] [--threads 2] [--seconds 8]
      (needs `perf` and perf_event_paranoid <= 2; the files are profiled one after the other)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# (group, regex on the symbol): first match wins
GROUPS = (
    ("int8 GEMM (dense layers)", r"qd8_f32_qc8w_gemm|qd8_f32_qc8w_igemm|qs8.*gemm|qp8.*gemm"),
    ("quantize activations (f32->int8 per row)", r"f32_qd8_vcvt|qd8|f32_qs8_vcvt|rminmax|f32_qdu8"),
    ("float GEMM (attention QK^T, PV)", r"f32_gemm|f32_igemm|f32_ppmm|f16_gemm|bf16_gemm|pf32_gemm"),
    ("transpose / copy", r"transpose|copy|memcpy|memmove|x32_pack|x8_pack|packw|zip"),
    ("softmax", r"raddstoreexpminusmax|rmax|softmax|vscaleexpminusmax|f32_raddextexp"),
    ("GELU / tanh", r"vtanh|gelu|tanh"),  # xnn_f32_vgelu_*, xnn_f32_vapproxgelu_*
    ("reductions (LayerNorm mean/var)", r"rsum|rdsum|reduce|rd_sum"),
    ("elementwise (add, mul, sub, rsqrt, square)", r"vbinary|vadd|vmul|vsub|vsqrdiff|vrsqrt|vsqr|vunary|vop|vcopysign|vsqrt"),
    ("threadpool / runtime", r"pthreadpool|thread_main|futex|sched|xnn_run|litert|tflite|Subgraph|Interpreter"),
)


def child(path, length, threads, seconds):
    import weight_cache
    model = weight_cache.compiled(path, threads, os.path.join(tempfile.mkdtemp(), "w.xnn"))
    weight_cache.time_length(model, length, 5, dynamic=True)
    print("READY", flush=True)
    end, times = time.time() + seconds, []
    while time.time() < end:
        times.append(weight_cache.time_length(model, length, 10, dynamic=True)[0])
    print(f"MS {sorted(times)[len(times) // 2]:.3f}", flush=True)


def profile(path, length, threads, seconds):
    """{symbol: percent of samples}, median ms of one run while sampled. Only the timed runs are sampled (perf
    attaches after the model is built and warm), not imports or weight packing."""
    data = tempfile.mktemp(suffix=".perf")
    cmd = [sys.executable, __file__, path, "--child", "--length", str(length), "--threads", str(threads),
           "--seconds", str(seconds + 2)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if line.startswith("READY"):
            break
    rec = subprocess.run(["perf", "record", "-F", "1999", "-q", "-o", data, "-p", str(proc.pid), "--",
                          "sleep", str(seconds)], capture_output=True, text=True)
    out = proc.stdout.read()
    if rec.returncode or proc.wait():
        raise RuntimeError(f"perf record failed: {rec.stderr.strip()[-300:]}")
    ms = float(out.split("MS")[-1].split()[0])
    report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "sym",
                             "--percent-limit", "0.05"], capture_output=True, text=True).stdout
    os.remove(data)
    symbols = {}
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[[.kH]\]\s+(.+)$", line)
        if m:
            symbols[m.group(2).strip()] = symbols.get(m.group(2).strip(), 0.0) + float(m.group(1))
    return symbols, ms


def group_of(symbol):
    for name, pattern in GROUPS:
        if re.search(pattern, symbol, re.IGNORECASE):
            return name
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--length", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.models[0], args.length, args.threads, args.seconds)
    from keras_albert_export.cpu import cpu_kind
    print(f"{cpu_kind()}; seq {args.length}, {args.threads} thread(s), dynamic signature, weight cache; load {os.getloadavg()}")
    for path in args.models:
        symbols, ms = profile(path, args.length, args.threads, args.seconds)
        total = sum(symbols.values()) or 1.0
        groups = {}
        for sym, pct in symbols.items():
            groups[group_of(sym)] = groups.get(group_of(sym), 0.0) + pct
        print(f"\n{os.path.basename(path)}: {ms:.2f} ms per run while sampled")
        print("| kernel group | share | ms per run |\n|---|---|---|")
        for name, pct in sorted(groups.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {pct / total * 100:.1f}% | {pct / total * ms:.2f} |")
        print("top symbols: " + "; ".join(f"{s} {p / total * 100:.1f}%" for s, p in
                                          sorted(symbols.items(), key=lambda kv: -kv[1])[:args.top]))


if __name__ == "__main__":
    sys.exit(main())
