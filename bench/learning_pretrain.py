"""Pretrain a small ALBERT on the IMDB review text (MLM + SOP), for the fine-tuning comparison in BENCHMARKS.md.

The vocabulary is trained on the IMDB text only; no Rotten Tomatoes sentence is seen before fine-tuning.
Run:  python bench/learning_pretrain.py OUT_DIR [--steps N] [any other `keras-albert pretrain` flag, which
      overrides the defaults below]   (writes OUT_DIR/pretrain_run.json)
"""
import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ARGS = ["--corpus", "imdb", "--vocab-size", "8000", "--hidden-size", "256", "--num-hidden-layers", "4",
        "--num-attention-heads", "4", "--intermediate-size", "1024", "--embedding-size", "128",
        "--sequence-length", "64", "--max-predictions", "10", "--ngram", "3", "--batch-size", "64",
        "--learning-rate", "2e-3", "--optimizer", "lamb", "--steps-per-log", "100", "--verbose", "2"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=1200)
    args, extra = parser.parse_known_args()
    from keras_albert.cli import main as cli
    argv = ["pretrain", *ARGS, "--steps", str(args.steps), *extra, "--out", args.out, "--overwrite"]
    start = time.time()
    status = cli(argv)
    record = {"command": "keras-albert " + " ".join(argv), "seconds": round(time.time() - start, 1),
              "backend": os.environ.get("KERAS_BACKEND", "tensorflow"), "machine": platform.processor() or
              platform.machine(), "status": status}
    with open(os.path.join(args.out, "pretrain_run.json"), "w") as f:
        json.dump(record, f, indent=2)
    print(json.dumps(record))
    return status


if __name__ == "__main__":
    sys.exit(main())
