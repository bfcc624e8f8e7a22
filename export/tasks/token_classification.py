"""Token classification: output `logits` [1, length, labels], dynamic length (cut inside the graph at the
export's sequence length, keeping [SEP], as the classifier is).

`TFLiteTokenClassifier` packs rows as the `token-classification` pipeline does and groups entities with the
pipeline's own code (`EntityDecoder`), so a .tflite and the Keras model tag alike."""
from keras_albert_export.tasks.base import ExportTask, SignatureModel

OUTPUTS = ("logits",)
PROBE = 4096  # pieces: longer than any position table, so the graph's cut shows the export's sequence length


def _signature(model, inputs):
    return {"logits": model(inputs, training=False)}


class TFLiteTokenClassifier:
    """`tagger(text, aggregation_strategy="none", ignore_labels=None, stride=None)` -> the pipeline's entities.

    Long text is cut (or with `stride`, windowed) at `max_length`; by default the export's sequence length,
    read once from the model itself (one run on an over-long input shows where the graph cuts)."""

    def __init__(self, model_path=None, model_content=None, tokenizer=None, labels=None, num_threads=None,
                 max_length=None):
        from keras_albert.packing import Encoding
        if tokenizer is None:
            raise ValueError("token classification needs the model's tokenizer (spiece.model)")
        self.model = SignatureModel(model_path, model_content, num_threads, OUTPUTS)
        self.tokenizer, self.labels = tokenizer, list(labels) if labels else None
        if max_length is None:
            length = self.model.fixed_length or PROBE
            max_length = len(self.model.run(Encoding([2] + [5] * (length - 2) + [3], [0] * length, None, None))
                             ["logits"])
        self.max_length = max_length

    def __call__(self, text, **options):
        from keras_albert.packing import pack
        from keras_albert.pipelines.token_classification import EntityDecoder, tag_options
        if not isinstance(text, str):
            raise ValueError(f"the text must be a string, got {type(text).__name__}")
        post = tag_options(**options)
        stride = post["stride"]
        rows = pack(self.tokenizer, text, max_length=self.max_length, stride=stride or 0,
                    return_overflowing=stride is not None)
        outputs = [self.model.run(r)["logits"] for r in rows]
        return EntityDecoder(self.tokenizer, self.labels).entities(text, rows, outputs, **post)


TASK = ExportTask(
    name="token_classification", outputs=OUTPUTS, signature=_signature, default_length=128, fixed_length=False,
    variants=("float32", "dynamic_int8"),
    runtime="keras_albert_export.tasks.token_classification:TFLiteTokenClassifier",
    measures="size and latency (the int8 gate on held-out tagged text is not written yet)",
    labels=lambda model: [f"LABEL_{i}" for i in range(model.num_labels)])
