"""`feature-extraction`: the backbone's sequence output per text."""
from keras_albert.pipelines.base import Pipeline

class FeatureExtractionPipeline(Pipeline):
    """The sequence output of each text, [1, tokens, hidden] (special tokens included, no padding).

    Any ALBERT model gives its backbone's features (never a head's logits); a checkpoint without a pooler
    (AlbertForMaskedLM) is fine, since the pooled output is not returned."""
    name, task, unused_heads = "feature-extraction", None, ("pooler",)

    def runnable(self, model):
        return getattr(model, "backbone", model)

    def postprocess(self, text, rows, outputs):
        seq = outputs[0]["sequence_output"] if isinstance(outputs[0], dict) else outputs[0]
        return seq[None, :len(rows[0])]
