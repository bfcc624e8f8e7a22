"""Checkpoint converters: one weight table (table.py) walked for Hugging Face (hf.py) and TF1 (tf1.py)."""
from keras_albert.convert.hf import save_hf

__all__ = ["save_hf"]
