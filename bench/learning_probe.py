"""Do the pretrained features carry sentiment? A linear probe on frozen features, pretrained vs random weights.

Each Rotten Tomatoes sentence (fixed splits of keras_albert.data.splits) becomes the mean of its backbone
sequence output over real tokens; a ridge-regression classifier (closed form, numpy) is fit on the train split,
its L2 strength chosen on validation, and the test accuracy reported. The random row uses the same shape,
vocabulary and seed-0 initialization as the from-scratch fine-tuning in bench/learning_finetune.py.
    python bench/learning_probe.py PRETRAINED_DIR [PRETRAINED_DIR ...]
"""
import argparse
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def features(backbone, preprocessor, texts, batch=256):
    rows = []
    for i in range(0, len(texts), batch):
        inputs = preprocessor(texts[i:i + batch])
        seq = np.asarray(backbone(inputs)["sequence_output"], dtype=np.float32)
        mask = np.asarray(inputs["padding_mask"], dtype=np.float32)[..., None]
        rows.append((seq * mask).sum(1) / mask.sum(1))
    return np.concatenate(rows)


def ridge_probe(splits):
    """Fit w on train for each L2 strength; -> {"validation", "test" accuracy, "l2"} of the best on validation."""
    mean, std = splits["train"][0].mean(0), splits["train"][0].std(0) + 1e-6
    x = {k: np.hstack([(f - mean) / std, np.ones((len(f), 1))]) for k, (f, _) in splits.items()}
    y = {k: np.asarray(labels) for k, (_, labels) in splits.items()}
    gram, target = x["train"].T @ x["train"], x["train"].T @ (2.0 * y["train"] - 1.0)
    best = None
    for l2 in (0.1, 1.0, 10.0, 100.0, 1000.0):
        w = np.linalg.solve(gram + l2 * np.eye(len(gram)), target)
        acc = {k: float(np.mean((x[k] @ w > 0) == (y[k] == 1))) for k in ("validation", "test")}
        if best is None or acc["validation"] > best["validation"]:
            best = dict(acc, l2=l2)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dirs", nargs="+", metavar="PRETRAINED_DIR",
                        help="a model directory (keras-albert pretrain's output); its backbone is probed, and a "
                             "random-init backbone of the same shape beside it")
    args = parser.parse_args()
    import keras

    from keras_albert import AlbertBackbone, data
    from keras_albert.model_dir import load_model_dir
    from keras_albert.preprocessor import AlbertPreprocessor

    rt = data.splits("rotten_tomatoes")
    for path in args.model_dirs:
        model, tokenizer, _ = load_model_dir(path)
        pretrained = getattr(model, "backbone", model)
        preprocessor = AlbertPreprocessor(tokenizer, sequence_length=64)
        keras.utils.set_random_seed(0)
        for name, backbone in (("random init", AlbertBackbone(pretrained.config)), ("pretrained", pretrained)):
            feats = {k: (features(backbone, preprocessor, texts), labels) for k, (texts, labels) in rt.items()}
            best = ridge_probe(feats)
            print(f"{path} {name}: validation {best['validation']:.3f} test {best['test']:.3f} (l2 {best['l2']})",
                  flush=True)


if __name__ == "__main__":
    sys.exit(main())
