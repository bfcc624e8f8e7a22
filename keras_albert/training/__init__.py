"""Fit recipes: fine-tuning (`finetune`) and MLM + SOP pretraining (`pretrain`), resumable, under any strategy."""
from keras_albert.training.finetune import FinetuneResult, evaluate, finetune
from keras_albert.training.pretrain import pretrain
from keras_albert.training.optim import WarmupLinearDecay, make_optimizer
from keras_albert.training.strategies import get_strategy

__all__ = ["FinetuneResult", "finetune", "evaluate", "pretrain", "WarmupLinearDecay", "make_optimizer", "get_strategy"]
