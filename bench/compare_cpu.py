"""One command for CPU int8 on THIS machine: ours vs keras-hub's export vs PyTorch int8 vs the dense floor.

Exports (child processes, cached in OUT) albert-large-v2 as `bench/cpu_infer.py` does: ours and keras-hub's
classifier, dynamic-range int8, realistic weights. Then one run, interleaved: every round times every contender
in turn (so load from other jobs hits all alike; the order within each thread count rotates from round to round,
so no contender is always the first after the switch), 1 and 2 threads, on the dynamic signature resized to
16/32/64/128 tokens and to real Rotten Tomatoes sentences, LiteRT CompiledModel with XNNPACK's weight cache.
Each contender lives in its own worker process (its own RSS, its weight cache packed once) that waits for the
next round. The table gives the CPU model (`lscpu`), the load average, the median over rounds of each round's
median, and the ratios ours / keras-hub and ours / dense floor (bench/dense_floor.py's four int8 dense layers
x 24, the least any int8 ALBERT graph can cost here) and dense floor / keras-hub (the least ratio any graph can reach).

Run:  python bench/compare_cpu.py OUT [--rounds 3] [--runs 15] [--threads 1,2] [--sentences 100] [--lengths 16,128]
          [--skip torch,floor] [--extra LABEL=FILE.tflite ...] [--graph separate]
      (--extra: another .tflite to A/B; --graph: ours traced with another q/k/v form, for A/B)
      writes OUT/compare_cpu.json and prints a markdown table
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from keras_albert_export.cpu import cpu_kind  # noqa: E402

LENGTHS = (16, 32, 64, 128)
PRESET = "albert-large-v2"


# ---------------------------------------------------------------- workers (one process per contender)

def worker(kind, target, threads, runs, sentences_file, cache_file, lengths):
    """Build the contender once, print READY, then one JSON line of timings per line read from stdin:
    {length: [median, min] ms, "real": mean ms per sentence}."""
    sentences = []
    if sentences_file != "-":
        with open(sentences_file) as f:
            sentences = json.load(f)
    if kind == "tflite":
        import weight_cache
        model = weight_cache.compiled(target, threads, cache_file)

        def measure():
            out = {n: weight_cache.time_length(model, n, runs, dynamic=True) for n in lengths}
            out["real"] = weight_cache.real_sentences_ms(model, sentences) if sentences else None
            return out
    elif kind == "torch":
        import cpu_infer
        model = cpu_infer.torch_model(target)

        def measure():
            lat, real = cpu_infer.time_torch(model, threads, runs, sentences, lengths)
            return {**{n: lat[n] for n in lengths}, "real": real if sentences else None}
    else:  # the dense floor: int8 dense layers only, no attention/LayerNorm/GELU
        import dense_floor
        floors = {n: dense_floor.to_tflite(*dense_floor.dense_stack(n)) for n in lengths}

        def measure():
            return {**{n: dense_floor.time_ms(floors[n], n, threads, runs, with_min=True) for n in lengths},
                    "real": None}
    print("READY", flush=True)
    for _ in sys.stdin:
        print("RESULT " + json.dumps(measure()), flush=True)


def rotated(workers, r):
    """Round r's order: within each thread count the contenders rotate by r, so the one that runs first after a
    thread-count switch (the second core idle for the whole 1-thread phase, slower to get going on a shared VM)
    is a different one every round instead of always ours."""
    order = []
    for t in dict.fromkeys(w.threads for w in workers):
        group = [w for w in workers if w.threads == t]
        k = r % len(group)
        order += group[k:] + group[:k]
    return order


class Worker:
    def __init__(self, label, kind, target, threads, args, cache_file=""):
        self.label, self.threads = label, threads
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, target, str(threads), str(args.runs),
             args.sentences_file, cache_file or "-", args.lengths],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read("READY")

    def _read(self, tag):
        for line in self.proc.stdout:
            if line.startswith(tag):
                return line[len(tag):].strip()
        raise RuntimeError(f"worker {self.label} ({self.threads} threads) exited: {self.proc.wait()}")

    def round(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return {k if k == "real" else int(k): v for k, v in json.loads(self._read("RESULT")).items()}

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


# ---------------------------------------------------------------- exports

def export_graph(form, path):
    """Ours with the q/k/v projection traced in another form (`keras_albert.layers.qkv_form`), for A/B."""
    import cpu_infer
    from keras_albert.layers import qkv_form
    with qkv_form(form):
        cpu_infer.export_ours(PRESET, path, "dynamic_int8")


def export_all(out, skip, extras, graphs):
    import cpu_infer
    files = {"ours": os.path.join(out, "ours_dynamic_int8.tflite")}
    for form in graphs:
        path = os.path.join(out, f"ours_qkv_{form}_dynamic_int8.tflite")
        if not os.path.exists(path):
            subprocess.run([sys.executable, __file__, "--export-graph", form, path], check=True)
        files[f"ours, q/k/v {form}"] = path
    if "kerashub" not in skip:
        files["keras-hub"] = os.path.join(out, "kerashub_dynamic_int8.tflite")
    for label, path in files.items():
        if not os.path.exists(path):
            kind = "ours" if label == "ours" else "kerashub"
            seconds, peak = cpu_infer.export_in_child(kind, PRESET, path, "dynamic_int8")
            print(f"exported {os.path.basename(path)}: {seconds} s, peak RSS {peak} MB", flush=True)
    for item in extras:
        label, path = item.split("=", 1)
        if not os.path.exists(path):
            raise ValueError(f"--extra {label}: no file {path}")
        files[label] = path
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per length per round")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--sentences", type=int, default=100, help="real test sentences per round (0: none)")
    parser.add_argument("--skip", default="", help="comma list of: kerashub, torch, floor")
    parser.add_argument("--report", action="store_true", help="only print the table of OUT/compare_cpu.json")
    parser.add_argument("--extra", action="append", default=[], help="LABEL=PATH: another .tflite to A/B")
    parser.add_argument("--graph", action="append", default=[],
                        help="also A/B ours traced with this q/k/v form (keras_albert.layers.QKV_FORMS)")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    parser.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    parser.add_argument("--export-graph", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_graph:
        return export_graph(*args.export_graph)
    if args.worker:
        kind, target, threads, runs, sentences, cache, lengths = args.worker
        return worker(kind, target, int(threads), int(runs), sentences, "" if cache == "-" else cache,
                      [int(n) for n in lengths.split(",")])
    if not args.out:
        parser.error("OUT is required")
    if args.report:
        with open(os.path.join(args.out, "compare_cpu.json")) as f:
            return print(to_markdown(json.load(f)))
    skip = set(filter(None, args.skip.split(",")))
    os.makedirs(args.out, exist_ok=True)
    files = export_all(args.out, skip, args.extra, args.graph)
    args.sentences_file = "-"
    if args.sentences:
        args.sentences_file = os.path.join(args.out, f"sentences_{args.sentences}.json")
        if not os.path.exists(args.sentences_file):
            import cpu_infer
            with open(args.sentences_file, "w") as f:
                json.dump(cpu_infer.real_sentences(args.sentences), f)
    threads = [int(t) for t in args.threads.split(",")]
    result = {"cpu": cpu_kind(), "lengths": [int(n) for n in args.lengths.split(",")], "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
              "load_before": os.getloadavg(), "rounds": args.rounds, "runs": args.runs,
              "sentences": args.sentences, "sizes_mb": {k: round(os.path.getsize(p) / 1e6, 2) for k, p in
                                                        files.items()}, "ms": {}}
    workers = []
    for t in threads:
        for label, path in files.items():
            cache = os.path.join(args.out, f"{os.path.basename(path)}.{t}.xnn")
            workers.append(Worker(label, "tflite", path, t, args, cache))
        if "torch" not in skip:
            workers.append(Worker("PyTorch int8", "torch", PRESET, t, args))
        if "floor" not in skip:
            workers.append(Worker("dense floor", "floor", "-", t, args))
    try:
        for r in range(args.rounds):
            order = rotated(workers, r)
            result.setdefault("order", []).append([f"{w.label}|{w.threads}" for w in order])
            for position, w in enumerate(order):  # interleaved: every contender in turn
                row = w.round()
                result["ms"].setdefault(f"{w.label}|{w.threads}", []).append(row)
                print(f"round {r + 1} #{position} {w.label} {w.threads}t: " + " ".join(
                    f"{k}={v if k == 'real' else v[0]:.1f}" for k, v in row.items() if v is not None), flush=True)
    finally:
        for w in workers:
            w.close()
    result["load_after"] = os.getloadavg()
    with open(os.path.join(args.out, "compare_cpu.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(to_markdown(result))


def paired_ratios(ours, ref, cols):
    """Per column, the median over rounds of ours / ref within each round: the two ran back to back, so a
    round slowed by another job on a shared machine slows both and cancels out of the ratio."""
    import numpy as np

    def ms(row, c):
        value = row.get(str(c), row.get(c))
        return value[0] if isinstance(value, list) else value
    out = {}
    for c in cols:
        pairs = [(ms(a, c), ms(b, c)) for a, b in zip(ours, ref)]
        timed = all(a is not None and b is not None for a, b in pairs)  # the floor has no real-sentence time
        out[c] = float(np.median([a / b for a, b in pairs])) if timed else None
    return out


def to_markdown(r):
    """Median over rounds of each round's median (and, in brackets, the minimum of all runs: on a shared
    machine the least disturbed figure); ratios paired within rounds (`paired_ratios`)."""
    import numpy as np
    lengths = r.get("lengths", LENGTHS)
    cols = list(lengths) + (["real"] if r["sentences"] else [])

    def summary(rows, c):
        if rows[0].get(c) is None:
            return None
        if c == "real":
            return float(np.median([row[c] for row in rows])), None
        return float(np.median([row[c][0] for row in rows])), float(min(row[c][1] for row in rows))
    med = {key: {c: summary([{k if k == "real" else int(k): v for k, v in row.items()} for row in rows], c)
                 for c in cols} for key, rows in r["ms"].items()}
    load = lambda v: "/".join(f"{x:.1f}" for x in v)  # noqa: E731
    cell = lambda v: "–" if v is None else f"{v[0]:.1f}" + ("" if v[1] is None else f" ({v[1]:.1f})")  # noqa: E731
    lines = [f"CPU: {r['cpu']}; {r['date']} UTC; load average {load(r['load_before'])} -> {load(r['load_after'])}; "
             f"{r['rounds']} interleaved rounds x {r['runs']} runs; median of round medians (min) in ms; dynamic "
             "signature, weight cache; ratios: median over rounds of the ratio within a round"
             + (f"; real = mean over {r['sentences']} Rotten Tomatoes test sentences"
               if r["sentences"] else ""), "",
             "| albert-large int8 | threads | " + " | ".join(f"seq {c}" if c != "real" else "real" for c in cols)
             + " |", "|---|---|" + "---|" * len(cols)]
    for key, row in med.items():
        label, t = key.split("|")
        lines.append(f"| {label} | {t} | " + " | ".join(cell(row[c]) for c in cols) + " |")
    for t in sorted({k.split("|")[1] for k in med}):
        graphs = [k.split("|")[0] for k in med if k.endswith(f"|{t}")
                  and k.split("|")[0] not in ("keras-hub", "dense floor", "PyTorch int8")]
        for graph in graphs:
            for other in ("keras-hub", "dense floor"):
                if f"{other}|{t}" in r["ms"]:
                    ratios = paired_ratios(r["ms"][f"{graph}|{t}"], r["ms"][f"{other}|{t}"], cols)
                    lines.append(f"| **{graph} / {other}** | {t} | " + " | ".join(
                        "–" if ratios[c] is None else f"**{ratios[c]:.2f}**" for c in cols) + " |")
        if f"dense floor|{t}" in r["ms"] and f"keras-hub|{t}" in r["ms"]:
            # The floor as a fraction of keras-hub: the least any int8 graph can score against it here.
            ratios = paired_ratios(r["ms"][f"dense floor|{t}"], r["ms"][f"keras-hub|{t}"], cols)
            lines.append(f"| dense floor / keras-hub (the least any graph can score) | {t} | " + " | ".join(
                "–" if ratios[c] is None else f"{ratios[c]:.2f}" for c in cols) + " |")
    lines.append("")
    lines.append("File sizes (MB): " + ", ".join(f"{k} {v}" for k, v in r["sizes_mb"].items()))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
