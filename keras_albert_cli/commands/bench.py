"""`keras-albert bench MODEL.tflite`: latency of an exported classifier at several lengths and thread counts,
with the classic Interpreter and with LiteRT's CompiledModel plus XNNPACK's weight cache (ALBERT's shared block
packed once: the fast path for large models).

The full comparisons against other implementations are scripts under bench/ (results in BENCHMARKS.md).
"""
from keras_albert_cli.text_args import check_threads


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
    p.add_argument("--lengths", default=None,
                   help="comma-separated token counts (default: 16,32,64,128 up to where the file cuts its input; a "
                        "fixed-window file: its window)")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default: %(default)s)")
    p.add_argument("--runs", type=int, default=20,
                   help="timed runs per cell; the median is shown (default: %(default)s)")
    p.set_defaults(run=run)


def run(args):
    from keras_albert_export.cpu import cpu_kind
    from keras_albert_export.report import latencies, lengths_up_to
    from keras_albert_export.tflite import input_limit

    from keras_albert_export.runtime import read_with_files, window

    lengths = None if args.lengths is None else _ints(args.lengths)
    threads = check_threads(_ints(args.threads))
    if args.runs < 1:
        raise ValueError(f"--runs must be at least 1, got {args.runs}")
    content, _, _ = read_with_files(args.model)
    fixed, limit = window(content, args.model), input_limit(content)
    if lengths is None:  # no --lengths: the ones the file runs (its window; the default ones up to its cut)
        lengths = [fixed] if fixed else lengths_up_to(limit or 128, 128)
    if fixed and lengths != [fixed]:  # a question-answering file: one window length is all it runs
        raise ValueError(f"{args.model} runs a fixed window of {fixed} tokens: time it with --lengths {fixed}")
    if limit is not None and max(lengths) > limit:  # it would time `limit` tokens under another length's name
        raise ValueError(f"--lengths {max(lengths)}: {args.model} cuts its input at {limit} tokens (its export's "
                         f"--sequence-length); time lengths up to {limit}")
    print(f"CPU: {cpu_kind()}")  # int8 speed differs a lot between CPU kinds: a time means nothing without it
    print("runtime\tthreads\t" + "\t".join(f"seq {n} (ms)" for n in lengths))
    for runtime, weight_cache in (("interpreter", False), ("weight-cache", True)):
        table = latencies(args.model, lengths=lengths, threads=threads, runs=args.runs, weight_cache=weight_cache)
        for n in threads:
            print(f"{runtime}\t{n}\t" + "\t".join(f"{table[n][length]:.2f}" for length in lengths))
