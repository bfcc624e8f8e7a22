"""The export report: file sizes, CPU latency by sequence length and threads, float vs int8 accuracy.

Accuracy and agreement are measured on a held-out labelled set, each TFLite variant run exactly as a device
runs it (batch 1, `[CLS] text [SEP]`, dynamic length); the Keras model is the float reference.
"""
import json
import os

LENGTHS, THREADS = (16, 32, 64, 128), (1, 2)


def keras_predictions(model, tokenizer, texts, max_length=128, batch_size=64):
    """Argmax of the Keras model over `texts` (the float reference)."""
    import numpy as np

    from keras_albert.preprocessor import AlbertPreprocessor
    pre = AlbertPreprocessor(tokenizer, sequence_length=max_length)
    out = []
    for i in range(0, len(texts), batch_size):
        inputs = {k: v.numpy() for k, v in pre(list(texts[i:i + batch_size])).items()}
        out.append(np.argmax(model.predict(inputs, verbose=0), axis=-1))
    return np.concatenate(out) if out else np.zeros(0, int)


def tflite_predictions(path, tokenizer, texts, max_length=128):
    import numpy as np

    from export.runtime import TFLiteClassifier, pack
    classifier = TFLiteClassifier(path, num_threads=2)
    return np.asarray([int(np.argmax(classifier(pack(tokenizer, t, max_length)))) for t in texts])


def latencies(path, lengths=LENGTHS, threads=THREADS, runs=20, signature=None, weight_cache=False):
    """{threads: {length: median ms}} for one .tflite (dynamic signature, or one fixed signature per length)."""
    from export.runtime import SIGNATURE, TFLiteClassifier
    table = {}
    for n in threads:
        row = {}
        for length in lengths:
            sig = signature(length) if signature else SIGNATURE
            classifier = TFLiteClassifier(path, num_threads=n, signature=sig, weight_cache=weight_cache)
            row[length] = round(classifier.latency_ms(length, runs), 3)
        table[n] = row
    return table


def build_report(model, tokenizer, files, test, *, lengths=LENGTHS, threads=THREADS, max_length=128, runs=20,
                 bucket_file=None):
    """files: {variant: path}; test: (texts, labels). Returns a JSON-able dict."""
    import numpy as np

    from export.tflite import bucket_signature
    texts, gold = list(test[0]), np.asarray(test[1])
    max_length = min(max_length, model.config.max_position_embeddings)
    lengths = [n for n in lengths if n <= model.config.max_position_embeddings]
    reference = keras_predictions(model, tokenizer, texts, max_length)
    report = {"test_sentences": len(texts), "max_length": max_length,
              "keras": {"accuracy": _pct(reference == gold)}, "variants": {}}
    for variant, path in files.items():
        predicted = tflite_predictions(path, tokenizer, texts, max_length)
        report["variants"][variant] = {
            "file": os.path.basename(path), "size_mb": round(os.path.getsize(path) / 2**20, 3),
            "accuracy": _pct(predicted == gold), "agreement_with_keras": _pct(predicted == reference),
            "latency_ms": latencies(path, lengths, threads, runs)}
    if bucket_file:
        report["buckets"] = {"file": os.path.basename(bucket_file),
                             "latency_ms": latencies(bucket_file, lengths, threads, runs, bucket_signature)}
    return report


def _pct(hits):
    return round(100.0 * float(hits.mean()), 2) if len(hits) else float("nan")


def accuracy_drops(report):
    """{int8 variant: accuracy points lost against the Keras float model}."""
    base = report["keras"]["accuracy"]
    return {v: round(base - r["accuracy"], 2) for v, r in report["variants"].items() if "int8" in v}


def to_markdown(report):
    v = report["variants"]
    lines = ["# Export report", "",
             f"Held-out set: {report['test_sentences']} sentences; Keras float accuracy "
             f"{report['keras']['accuracy']:.2f}%.", "",
             "| variant | size (MB) | accuracy (%) | agreement with Keras (%) |", "|---|---|---|---|"]
    lines += [f"| {k} | {r['size_mb']:.2f} | {r['accuracy']:.2f} | {r['agreement_with_keras']:.2f} |"
              for k, r in v.items()]
    rows = [(k, r["latency_ms"]) for k, r in v.items()]
    if "buckets" in report:
        rows.append((f"fixed-length buckets ({report['buckets']['file']})", report["buckets"]["latency_ms"]))
    if rows:
        threads = list(rows[0][1])
        lengths = list(rows[0][1][threads[0]])
        lines += ["", "Latency (ms, median, batch 1, ai_edge_litert):", "",
                  "| variant | threads | " + " | ".join(f"seq {n}" for n in lengths) + " |",
                  "|---|---|" + "---|" * len(lengths)]
        lines += [f"| {k} | {t} | " + " | ".join(f"{table[t][n]:.2f}" for n in lengths) + " |"
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
