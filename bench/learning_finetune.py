"""Fine-tune on Rotten Tomatoes from scratch and from the IMDB-pretrained small ALBERT; report test accuracy.

Both runs use the same shape, the same IMDB-trained vocabulary, the same fixed splits
(keras_albert.data.splits: seed-0 permutation, 80/10/10) and the same hyperparameters; only the initial
weights differ. Run after bench/learning_pretrain.py:
    python bench/learning_finetune.py PRETRAINED_DIR OUT_DIR      (writes OUT_DIR/learning.json)
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FLAGS = ["--data", "rotten_tomatoes", "--epochs", "3", "--batch-size", "32", "--sequence-length", "64",
         "--learning-rate", "1e-4", "--warmup-ratio", "0.1", "--seed", "0", "--verbose", "2", "--overwrite"]


def main(pretrained, out):
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.cli import main as cli
    from keras_albert.model_dir import load_model_dir, save_model_dir

    model, tokenizer, _ = load_model_dir(pretrained)
    scratch = os.path.join(out, "scratch-init")
    keras.utils.set_random_seed(0)
    save_model_dir(scratch, AlbertBackbone(model.config), tokenizer, overwrite=True)
    results = {}
    for name, source in (("from_scratch", scratch), ("pretrained_imdb", pretrained)):
        start = time.time()
        argv = ["finetune", "--model", source, "--out", os.path.join(out, name), *FLAGS]
        if cli(argv):
            raise SystemExit(f"{name} failed")
        report = json.load(open(os.path.join(out, name, "report.json")))
        results[name] = {"test_accuracy": report["test"]["accuracy"], "test_f1": report["test"]["f1"],
                         "validation_accuracy": report["accuracy"], "seconds": round(time.time() - start, 1),
                         "command": "keras-albert " + " ".join(argv)}
        print(name, results[name], flush=True)
    with open(os.path.join(out, "learning.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:3])
