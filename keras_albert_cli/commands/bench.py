"""`keras-albert bench MODEL.tflite`: latency of an exported classifier at several lengths and thread counts,
with the classic Interpreter and with LiteRT's CompiledModel plus XNNPACK's weight cache (ALBERT's shared block
packed once: the fast path for large models).

The full comparisons against other implementations are scripts under bench/ (results in BENCHMARKS.md).
"""
import os


def _ints(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"expected positive integers, got {text!r}")
    return values


def register(sub):
    p = sub.add_parser("bench", help="time an exported .tflite at several sequence lengths and thread counts")
    p.add_argument("model", help="a .tflite written by `keras-albert export`")
    p.add_argument("--lengths", default="16,32,64,128", help="comma-separated token counts (default: %(default)s)")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default: %(default)s)")
    p.add_argument("--runs", type=int, default=20,
                   help="timed runs per cell; the median is shown (default: %(default)s)")
    p.set_defaults(run=run)


def run(args):
    from keras_albert_export.cpu import cpu_kind
    from keras_albert_export.report import latencies
    from keras_albert_export.tflite import input_limit

    if not os.path.isfile(args.model):
        raise FileNotFoundError(f"no TFLite model at {args.model}")
    with open(args.model, "rb") as f:
        if f.read(8)[4:8] != b"TFL3":
            raise ValueError(f"{args.model} is not a TFLite model")
        f.seek(0)
        limit = input_limit(f.read())
    lengths, threads = _ints(args.lengths), _ints(args.threads)
    if limit is not None and max(lengths) > limit:  # it would time `limit` tokens under another length's name
        raise ValueError(f"--lengths {max(lengths)}: {args.model} cuts its input at {limit} tokens (its export's "
                         f"--sequence-length); time lengths up to {limit}")
    print(f"CPU: {cpu_kind()}")  # int8 speed differs a lot between CPU kinds: a time means nothing without it
    print("runtime\tthreads\t" + "\t".join(f"seq {n} (ms)" for n in lengths))
    for runtime, weight_cache in (("interpreter", False), ("weight-cache", True)):
        table = latencies(args.model, lengths=lengths, threads=threads, runs=args.runs, weight_cache=weight_cache)
        for n in threads:
            print(f"{runtime}\t{n}\t" + "\t".join(f"{table[n][length]:.2f}" for length in lengths))
