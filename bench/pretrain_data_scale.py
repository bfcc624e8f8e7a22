"""`keras-albert pretrain-data` at growing corpus sizes: peak RSS and time for 1x, 4x, 16x the IMDB text
(repeated), and throughput with 1 and 2 worker processes. Memory should stay flat while time grows linearly.

Each run is a fresh `keras-albert pretrain-data` process (peak RSS: the largest of it and its worker processes,
from getrusage). The vocabulary is trained once on the 1x text and passed with --spiece, so the runs measure
the streaming pass; the table also gives the compact rows' size against the dense rows of `write_shards`.
Run:  python bench/pretrain_data_scale.py [--fraction F] [--scales 1 4 16] [--workers 1 2] [--runner DirectRunner]
      [--keep DIR]
      (--fraction: the unit is this fraction of the IMDB reviews, for a quick run on a busy machine)
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_albert_export.cpu import cpu_kind  # noqa: E402
MEASURE = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)")
FLAGS = ["--sequence-length", "128", "--max-predictions", "20", "--ngram", "3", "--quiet", "--overwrite"]


def write_corpus(path, texts, times):
    from keras_albert.pretraining_data import split_sentences
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(times):
            for t in texts:
                f.write("\n".join(split_sentences(t)) + "\n\n")
    return os.path.getsize(path)


def run(corpus, out, spiece, workers, runner=None):
    cmd = [sys.executable, "-m", "keras_albert_cli.cli", "pretrain-data", "--corpus", corpus, "--out", out,
           "--spiece", spiece, "--workers", str(workers), *FLAGS, *(["--runner", runner] if runner else [])]
    start = time.time()
    p = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True)
    seconds = time.time() - start
    if p.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    with open(os.path.join(out, "manifest.json")) as f:
        counts = json.load(f)["counts"]
    return seconds, int(p.stdout.split()[-1]) / 1024, counts


def dense_bytes_per_example(folder, sequence_length=128, max_predictions=20):
    """Rewrite a sample of the compact rows as the dense rows of `write_shards`, for the size comparison."""
    import numpy as np
    import tensorflow as tf
    from keras_albert.pretraining_data import shard_dataset, write_shards
    x, y, w = next(iter(shard_dataset(os.path.join(folder, "train-00000-*"), sequence_length, max_predictions,
                                      2000, repeat=False)))
    n = len(y["sop_logits"])
    ex = {**x, "mask_ids": y["mlm_logits"], "mask_weights": w["mlm_logits"], "sop_label": y["sop_logits"]}
    ex = {k: v.numpy().astype(np.int64) for k, v in ex.items()}
    with tempfile.TemporaryDirectory() as tmp:
        dense = os.path.getsize(write_shards(ex, tmp, num_shards=1)[0]) / n
    compact = sum(len(r) + 16 for r in tf.data.TFRecordDataset(os.path.join(folder, "train-00000-of-00008.tfrecord"))
                  .take(n).as_numpy_iterator()) / n
    return compact, dense


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fraction", type=float, default=1.0)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runner", help="also time the first scale on this Beam runner (needs keras-albert[beam])")
    ap.add_argument("--keep", help="folder for the corpora and shards (default: a temporary one)")
    args = ap.parse_args()
    from keras_albert.data import load_texts
    from keras_albert.tokenizer import train_vocab
    texts = load_texts("imdb")
    texts = texts[:int(len(texts) * args.fraction)]
    root = args.keep or tempfile.mkdtemp(prefix="pretrain_data_scale.")
    os.makedirs(root, exist_ok=True)
    spiece = os.path.join(root, "spiece.model")
    train_vocab(texts[:20000], vocab_size=8000, output_path=spiece)
    rows = []
    for scale in args.scales:
        corpus = os.path.join(root, f"imdb_x{scale}.txt")
        size = write_corpus(corpus, texts, scale)
        first = scale == args.scales[0]
        runs = [(None, w) for w in (args.workers if first else args.workers[:1])]
        runs += [(args.runner, w) for w in args.workers] if first and args.runner else []
        for runner, workers in runs:
            out = os.path.join(root, f"shards_x{scale}_w{workers}{'_' + runner if runner else ''}")
            seconds, rss, counts = run(corpus, out, spiece, workers, runner)
            rows.append((scale, size / 1e6, counts["documents"], counts["train_examples"] + counts["eval_examples"],
                         runner or "processes", workers, seconds, rss))
            print(f"  x{scale} {runner or 'processes'} {workers}: {seconds:.0f} s, {rss:.0f} MB", file=sys.stderr,
                  flush=True)
        os.remove(corpus)
    compact, dense = dense_bytes_per_example(os.path.join(root, f"shards_x{args.scales[0]}_w{args.workers[0]}"))
    unit = "IMDB text" if args.fraction == 1 else f"{args.fraction:g} of the IMDB reviews"
    print(f"keras-albert pretrain-data, {datetime.date.today()}, {cpu_kind()}, "
          f"unit = {unit} ({len(texts):,} reviews), flags: {' '.join(FLAGS[:-2])}")
    print("| corpus | MB | documents | examples | engine | workers | time (s) | MB/s | examples/s | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for scale, mb, docs, n, engine, workers, seconds, rss in rows:
        print(f"| {scale}x | {mb:.1f} | {docs:,} | {n:,} | {engine} | {workers} | {seconds:.0f} | {mb / seconds:.2f} | "
              f"{n / seconds:,.0f} | {rss:.0f} |")
    print(f"on disk: {compact:.0f} bytes per example (compact rows) vs {dense:.0f} (dense int64 rows of "
          f"write_shards), sequence 128, 20 predictions")
    if not args.keep:
        import shutil
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
