"""`pipeline(name, model=...)`: one registry from pipeline names to pipeline classes, each in its own module.

A pipeline class names the task table entry whose model it runs (`task`); adding a pipeline is one module here
and one line in `PIPELINES`.
"""
import warnings

from keras_albert.pipelines.feature_extraction import FeatureExtractionPipeline
from keras_albert.pipelines.fill_mask import FillMaskPipeline
from keras_albert.pipelines.multiple_choice import MultipleChoicePipeline
from keras_albert.pipelines.question_answering import QuestionAnsweringPipeline
from keras_albert.pipelines.text_classification import TextClassificationPipeline
from keras_albert.pipelines.token_classification import TokenClassificationPipeline
from keras_albert.pipelines.zero_shot_classification import ZeroShotClassificationPipeline

PIPELINES = {p.name: p for p in (FillMaskPipeline, FeatureExtractionPipeline, TextClassificationPipeline,
                                 ZeroShotClassificationPipeline, TokenClassificationPipeline, MultipleChoicePipeline,
                                 QuestionAnsweringPipeline)}


def pipeline(task, model, tokenizer=None, labels=None, **kwargs):
    """`model`: a path or hub id (loaded with `load_pretrained` for the task) or a Keras model plus `tokenizer`."""
    if task not in PIPELINES:
        raise ValueError(f"unknown pipeline task {task!r}; expected one of {sorted(PIPELINES)}")
    cls = PIPELINES[task]
    if isinstance(model, str) or hasattr(model, "__fspath__"):
        from keras_albert.pretrained import load_pretrained
        with warnings.catch_warnings():
            for unused in cls.unused_heads:  # a head this pipeline never reads may well be absent
                warnings.filterwarnings("ignore", message=f"the checkpoint has no {unused}:")
            loaded = load_pretrained(model, task=cls.task, trained_head=True)  # never a random head
        model, tokenizer, labels = loaded.model, tokenizer or loaded.tokenizer, labels or loaded.labels
    if tokenizer is None:
        raise ValueError("this model has no tokenizer (spiece.model): pass tokenizer=AlbertTokenizer.from_file(...)")
    return cls(model, tokenizer, labels, **kwargs)
