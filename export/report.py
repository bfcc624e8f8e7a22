"""The export report: file sizes, CPU latency by sequence length and threads, float vs int8 on the task's metric.

The metric (accuracy, SQuAD F1 / exact match, entity F1) and the agreement are measured on held-out data by the
task's `Gate` (keras_albert_export.tasks), each TFLite variant run exactly as a device runs it (batch 1, unpadded
or at its fixed window) through its runtime; the Keras model through its pipeline is the float reference.
"""
import json
import os

LENGTHS, THREADS = (16, 32, 64, 128), (1, 2)


def lengths_up_to(limit, longest=None):
    """LENGTHS below `limit`, then `limit` itself (at most `longest`): never a length a file would cut (it would
    time `limit` tokens under another length's name), and each once."""
    last = min(limit, longest or limit)
    return [n for n in LENGTHS if n < last] + [last]


def _segments(texts):
    """texts (str or (first, second) pairs) -> the preprocessor's arguments."""
    texts = list(texts)
    if texts and isinstance(texts[0], (tuple, list)):
        return [t[0] for t in texts], [t[1] for t in texts]
    return texts, None


def keras_predictions(model, tokenizer, texts, max_length=128, batch_size=64):
    """Argmax of the Keras model over `texts` (the float reference)."""
    import numpy as np
    out = keras_outputs(model, tokenizer, texts, max_length, batch_size)
    return np.argmax(out, axis=-1) if len(out) else np.zeros(0, int)


def keras_outputs(model, tokenizer, texts, max_length=128, batch_size=64):
    """The Keras model's outputs (logits) over `texts` (strings or (first, second) pairs), [n, ...]."""
    import numpy as np

    from keras_albert.preprocessor import AlbertPreprocessor
    pre = AlbertPreprocessor(tokenizer, sequence_length=max_length, padding="longest")
    first, second = _segments(texts)
    out = []
    for i in range(0, len(first), batch_size):
        batch = pre(first[i:i + batch_size], None if second is None else second[i:i + batch_size])
        out.append(np.asarray(model.predict({k: v.numpy() for k, v in batch.items()}, verbose=0)))
    return np.concatenate(out) if out else np.zeros((0,))


def device_inputs(tokenizer, texts, max_length=128):
    """Batch-1 unpadded inputs as a device builds them: `pack` for one text, the preprocessor's packing
    (longest segment trimmed first) for pairs."""
    from keras_albert_export.runtime import pack
    first, second = _segments(texts)
    if second is None:
        return [pack(tokenizer, t, max_length) for t in first]
    from keras_albert.preprocessor import AlbertPreprocessor
    pre, rows = AlbertPreprocessor(tokenizer, sequence_length=max_length), []
    for a, b in zip(first, second):
        x = pre([a], [b])
        n = int(x["padding_mask"].numpy().sum())
        rows.append({"ids": x["token_ids"].numpy()[:, :n], "mask": x["padding_mask"].numpy()[:, :n],
                     "segment_ids": x["segment_ids"].numpy()[:, :n]})
    return rows


def tflite_predictions(path, tokenizer, texts, max_length=128):
    import numpy as np
    return np.asarray([int(np.argmax(x)) for x in tflite_outputs(path, tokenizer, texts, max_length)], int)


def tflite_outputs(path, tokenizer, texts, max_length=128, runtime=None):
    """A .tflite's output for each of `texts`, run one by one as a device runs it (`runtime`: the runtime class,
    default `TFLiteClassifier`)."""
    from keras_albert_export.runtime import TFLiteClassifier
    model = (runtime or TFLiteClassifier)(path, num_threads=2)
    return [model(x) for x in device_inputs(tokenizer, texts, max_length)]


def latencies(path, lengths=LENGTHS, threads=THREADS, runs=20, signature=None, weight_cache=False):
    """{threads: {length: median ms}} for one .tflite (dynamic signature, or one fixed signature per length)."""
    from keras_albert_export.runtime import SIGNATURE, TFLiteClassifier
    table = {}
    for n in threads:
        row = {}
        for length in lengths:
            sig = signature(length) if signature else SIGNATURE
            classifier = TFLiteClassifier(path, num_threads=n, signature=sig, weight_cache=weight_cache)
            row[length] = round(classifier.latency_ms(length, runs), 3)
        table[n] = row
    return table


def bucket_lengths(path):
    """The lengths a bucket file has fixed signatures for (`length_N`), shortest first: the only ones it runs."""
    from keras_albert_export.runtime import interpreter_class
    from keras_albert_export.tflite import bucket_signature
    prefix = bucket_signature("")
    keys = interpreter_class()(model_path=path).get_signature_list()
    return sorted(int(k[len(prefix):]) for k in keys if k.startswith(prefix) and k[len(prefix):].isdigit())


def build_report(model, tokenizer, files, records=None, *, gate=None, labels=None, lengths=LENGTHS,
                 threads=THREADS, max_length=128, runs=20, bucket_file=None, source=None):
    """files: {variant: path}; records: the held-out records of the task's `Gate` (default: classification's,
    (text, label id) pairs), or None (sizes and latency only). The Keras model is the float reference. JSON-able:
    `keras` and each variant hold every metric of the gate (points), `main_metric` names the one gated."""
    from keras_albert_export.cpu import cpu_kind
    from keras_albert_export.tflite import bucket_signature
    if gate is None:
        from keras_albert_export.tasks import get
        gate = get("classification").gate
    if records is not None and not len(records):
        raise ValueError(f"the held-out set is empty: the int8 gate needs at least one of its {gate.unit}")
    max_length = min(max_length, model.config.max_position_embeddings)
    lengths = [n for n in lengths if n <= model.config.max_position_embeddings]
    empty = dict.fromkeys(gate.metrics)
    report = {"test_sentences": 0, "test_examples": 0, "unit": gate.unit, "heldout": source,
              "max_length": max_length, "main_metric": gate.metrics[0], "metrics": list(gate.metrics),
              "keras": dict(empty), "variants": {}, "cpu": cpu_kind()}
    if records is not None:
        records = list(records)
        reference = gate.keras(model, tokenizer, labels, records, max_length)
        report.update(test_sentences=len(records), test_examples=len(records),
                      keras=_scores(gate, records, reference))
    for variant, path in files.items():
        r = report["variants"][variant] = {"file": os.path.basename(path),
                                           "size_mb": round(os.path.getsize(path) / 2**20, 3),
                                           **empty, "agreement_with_keras": None}
        if records is not None:
            predicted = gate.tflite(path, tokenizer, labels, records, max_length)
            same = [gate.agree(a, b) for a, b in zip(predicted, reference)]
            r.update(_scores(gate, records, predicted), agreement_with_keras=round(100.0 * sum(same) / len(same), 2))
        r["latency_ms"] = latencies(path, lengths, threads, runs)
    if bucket_file:
        report["buckets"] = {"file": os.path.basename(bucket_file),
                             "latency_ms": latencies(bucket_file, bucket_lengths(bucket_file), threads, runs,
                                                     bucket_signature)}
    return report


def _scores(gate, records, predictions):
    scores = gate.score(records, predictions)
    return {name: scores[name] for name in gate.metrics}


def _num(x):
    return "n/a" if x is None else f"{x:.2f}"


def gate_lines(report):
    """What the gate measured and decided, in words (the report's and the command's summary)."""
    from keras_albert_export.gate import describe, drops
    gate = report.get("gate")
    main = report.get("main_metric", "accuracy")
    if report["keras"].get(main) is None:
        off = gate is not None and gate["max_drop"] is None
        return [f"{main.capitalize()} not measured: no held-out data" + (" (exported with --no-gate)." if off else ".")]
    scores = ", ".join(f"{m} {report['keras'][m]:.2f}%" for m in report.get("metrics", [main]))
    lines = [f"Held-out set: {report['test_sentences']} {report.get('unit', 'sentences')} from "
             f"{report.get('heldout') or 'the held-out data'}; Keras float {scores}."]
    found = drops(report)
    if found:
        lines.append(f"Against float ({main}): " + "; ".join(describe(v, d) for v, d in found.items()) + ".")
    if gate is not None and gate["max_drop"] is None:
        lines.append("Gate: off (--no-gate).")
    elif gate is not None and found:
        lines.append(f"Gate (at most {gate['max_drop']:g} points lost): "
                     + ("passed." if gate["passed"] else "FAILED: " + ", ".join(gate["failed"]) + "."))
    return lines


def to_markdown(report):
    v = report["variants"]
    metrics = report.get("metrics", ["accuracy"])
    task = [f"Task: {report['task']}; measured: {report['measures']}.", ""] if "task" in report else []
    lines = ["# Export report", ""] + task + gate_lines(report) + ["",
             "| variant | size (MB) | " + " | ".join(f"{m} (%)" for m in metrics) + " | agreement with Keras (%) |",
             "|---|---|" + "---|" * len(metrics) + "---|"]
    lines += [f"| {k} | {r['size_mb']:.2f} | " + " | ".join(_num(r.get(m)) for m in metrics)
              + f" | {_num(r['agreement_with_keras'])} |" for k, r in v.items()]
    rows = [(k, r["latency_ms"]) for k, r in v.items()]
    if "buckets" in report:
        rows.append((f"fixed-length buckets ({report['buckets']['file']})", report["buckets"]["latency_ms"]))
    if rows:  # the bucket file is timed at its own lengths only: "n/a" at the others
        threads = list(rows[0][1])
        lengths = sorted({n for _, table in rows for n in table[threads[0]]}, key=int)
        on = f" on {report['cpu']}" if report.get("cpu") else ""  # (a report written before it was recorded)
        lines += ["", f"Latency (ms, median, batch 1, ai_edge_litert){on}:", "",
                  "| variant | threads | " + " | ".join(f"seq {n}" for n in lengths) + " |",
                  "|---|---|" + "---|" * len(lengths)]
        lines += [f"| {k} | {t} | " + " | ".join(_num(table[t].get(n)) for n in lengths) + " |"
                  for k, table in rows for t in threads]
    return "\n".join(lines) + "\n"


def plot_latency(report, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for variant, r in report["variants"].items():
        for t, row in r["latency_ms"].items():
            ax.plot([int(n) for n in row], list(row.values()), marker="o", label=f"{variant}, {t} thread(s)")
    ax.set_xlabel("sequence length")
    ax.set_ylabel("latency (ms, batch 1)")
    ax.set_title("TFLite CPU latency")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(report, out_dir):
    """report.json, report.md and latency.png in `out_dir`; returns the markdown."""
    text = to_markdown(report)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(text)
    plot_latency(report, os.path.join(out_dir, "latency.png"))
    return text
