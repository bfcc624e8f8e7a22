"""A real fine-tuning run for the kill-and-resume test: tiny model with dropout, deterministic ops.

python tests/train_worker.py SPIECE OUT_DIR [SLEEP_PER_BATCH]
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(__file__))

import keras  # noqa: E402
from conftest import tiny_config  # noqa: E402

from keras_albert import AlbertBackbone, AlbertClassifier  # noqa: E402
from keras_albert.data import splits  # noqa: E402
from keras_albert.tokenizer import AlbertTokenizer  # noqa: E402
from keras_albert.training import finetune  # noqa: E402


class Slow(keras.callbacks.Callback):
    """Gives the test time to kill the run mid-epoch."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


def main(spiece, out_dir, sleep=0.0):
    tokenizer = AlbertTokenizer.from_file(spiece)
    s = splits()
    keras.utils.set_random_seed(1)
    config = tiny_config(vocab_size=tokenizer.vocab_size, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    model = AlbertClassifier(AlbertBackbone(config), 2)
    result = finetune(model, tokenizer, (s["train"][0][:256], s["train"][1][:256]),
                      (s["validation"][0][:64], s["validation"][1][:64]), out_dir=out_dir, epochs=2, batch_size=16,
                      sequence_length=48, learning_rate=1e-3, seed=0, deterministic=True, backup_every=3,
                      callbacks=[Slow(sleep)], verbose=1)
    print("STEPS", result.steps)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
