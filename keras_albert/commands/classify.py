"""`keras-albert classify MODEL.tflite "a sentence" ...`: run an exported TFLite classifier in Python.

The vocabulary and labels come from the model's metadata, or from spiece.model / labels.txt beside it.
"""
import os


def register(sub):
    p = sub.add_parser("classify", help="classify sentences with an exported .tflite model")
    p.add_argument("model", help="a .tflite written by `keras-albert export`")
    p.add_argument("sentences", nargs="+")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sequence-length", type=int, default=128)
    p.add_argument("--weight-cache", action="store_true",
                   help="run with LiteRT's CompiledModel and XNNPACK's weight cache (faster, far less memory "
                        "for large models)")
    p.set_defaults(run=run)


def load(model_path, threads=2, weight_cache=False):
    """-> (TFLiteClassifier, AlbertTokenizer, labels) from a .tflite and its metadata or sibling files."""
    from export.runtime import TFLiteClassifier, associated_files
    from keras_albert.model_dir import LABELS, SPIECE
    from keras_albert.tokenizer import AlbertTokenizer

    if not os.path.isfile(model_path):
        raise FileNotFoundError(f"no TFLite model at {model_path}")
    with open(model_path, "rb") as f:
        content = f.read()
    if content[4:8] != b"TFL3":
        raise ValueError(f"{model_path} is not a TFLite model")
    classifier = TFLiteClassifier(model_content=content, num_threads=threads, weight_cache=weight_cache)
    packed = associated_files(content)
    folder = os.path.dirname(os.path.abspath(model_path))
    for name in (SPIECE, LABELS):
        if name not in packed and os.path.isfile(os.path.join(folder, name)):
            with open(os.path.join(folder, name), "rb") as f:
                packed[name] = f.read()
    if SPIECE not in packed:
        raise FileNotFoundError(f"{model_path} carries no vocabulary and there is no {SPIECE} beside it")
    tokenizer = AlbertTokenizer(packed[SPIECE])
    labels = packed[LABELS].decode("utf-8").split() if LABELS in packed else None
    return classifier, tokenizer, labels


def run(args):
    import numpy as np

    from export.runtime import pack
    classifier, tokenizer, labels = load(args.model, args.threads, args.weight_cache)
    for sentence in args.sentences:
        probabilities = classifier(pack(tokenizer, sentence, args.sequence_length))
        best = int(np.argmax(probabilities))
        name = labels[best] if labels and best < len(labels) else str(best)
        print(f"{name}\t{probabilities[best]:.4f}\t{sentence}")
