"""Fine-tune on Rotten Tomatoes from scratch and from the IMDB-pretrained small ALBERT; report test accuracy.

Both start from the same shape, the same IMDB-trained vocabulary, the same fixed splits
(keras_albert.data.splits: seed-0 permutation, 80/10/10) and the same recipe; only the initial weights differ.
Each starting point gets its own learning rate, chosen on VALIDATION accuracy with the first seed from
--lrs; the other seeds then run at that rate, and the test accuracy is reported as mean and spread over seeds
(the test split is never used to choose anything). Run after bench/learning_pretrain.py:
    python bench/learning_finetune.py PRETRAINED_DIR OUT_DIR [--lrs 1e-4,5e-4] [--seeds 0,1,2] [--epochs 3]
           [--starts from_scratch,pretrained_imdb]
(writes OUT_DIR/learning.json)
"""
import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FLAGS = ["--data", "rotten_tomatoes", "--batch-size", "32", "--sequence-length", "64", "--warmup-ratio", "0.1",
         "--verbose", "2", "--overwrite"]


def finetune(source, out, lr, seed, epochs):
    from keras_albert_cli.cli import main as cli
    start = time.time()
    argv = ["finetune", "--model", source, "--out", out, *FLAGS, "--epochs", str(epochs),
            "--learning-rate", lr, "--seed", str(seed)]
    if cli(argv):
        raise SystemExit(f"{out} failed")
    report = json.load(open(os.path.join(out, "report.json")))
    return {"lr": lr, "seed": seed, "validation_accuracy": report["accuracy"],
            "test_accuracy": report["test"]["accuracy"], "test_f1": report["test"]["f1"],
            "seconds": round(time.time() - start, 1), "command": "keras-albert " + " ".join(argv)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pretrained")
    parser.add_argument("out")
    parser.add_argument("--lrs", default="1e-4,5e-4")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--starts", default="from_scratch,pretrained_imdb", help="which starting points to run")
    args = parser.parse_args()
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.model_dir import load_model_dir, save_model_dir

    model, tokenizer, _ = load_model_dir(args.pretrained)
    scratch = os.path.join(args.out, "scratch-init")
    keras.utils.set_random_seed(0)
    save_model_dir(scratch, AlbertBackbone(model.config), tokenizer, overwrite=True)
    lrs, seeds = args.lrs.split(","), [int(s) for s in args.seeds.split(",")]
    results = {}
    starts = [(name, source) for name, source in (("from_scratch", scratch), ("pretrained_imdb", args.pretrained))
              if name in args.starts.split(",")]
    for name, source in starts:
        runs = [finetune(source, os.path.join(args.out, f"{name}-lr{lr}-s{seeds[0]}"), lr, seeds[0], args.epochs)
                for lr in lrs]
        best = max(runs, key=lambda r: r["validation_accuracy"])["lr"]
        runs += [finetune(source, os.path.join(args.out, f"{name}-lr{best}-s{s}"), best, s, args.epochs)
                 for s in seeds[1:]]
        test = [r["test_accuracy"] for r in runs if r["lr"] == best]
        results[name] = {"chosen_lr": best, "test_accuracy_mean": statistics.mean(test),
                         "test_accuracy_std": statistics.stdev(test) if len(test) > 1 else 0.0, "runs": runs}
        print(name, json.dumps({k: v for k, v in results[name].items() if k != "runs"}), flush=True)
        for r in runs:
            print("  ", {k: v for k, v in r.items() if k != "command"}, flush=True)
    with open(os.path.join(args.out, "learning.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
