"""Token classification: output `logits` [1, length, labels], dynamic length (cut inside the graph at the
export's sequence length, keeping [SEP], as the classifier is).

`TFLiteTokenClassifier` packs rows as the `token-classification` pipeline does and groups entities with the
pipeline's own code (`EntityDecoder`), so a .tflite and the Keras model tag alike.

Gate: entity F1 (seqeval, keras_albert.metrics) on held-out tagged sentences (CoNLL text or .jsonl); each
sentence's words are joined by spaces and tagged through the `token-classification` pipeline (per piece, every
label kept), a word taking the label of its first piece as in training ("O" when cut off by the length);
agreement = the identical tag sequence as the Keras model's."""
from keras_albert_export.tasks.base import Endpoints, ExportTask, Gate, SignatureModel, check_known

OUTPUTS = ("logits",)
PROBE = 4096  # pieces: longer than any position table, so the graph's cut shows the export's sequence length


def _signature(model, inputs):
    return {"logits": model(inputs, training=False)}


def _savedmodel(model, tokenizer, labels, sequence_length, pairs):
    """`serving_default(text: string[batch])` -> `logits` [batch, seq, labels] (float32), `label` [batch, seq]
    (each piece's best label name), `token_ids` [batch, seq], `offsets` [batch, seq, 2] (int32): each piece's
    (start, end) in the ORIGINAL text, in code points (Python `str` indices, as
    `AlbertTokenizer.tokenize_with_offsets` gives them), (-1, -1) for [CLS], [SEP] and padding; and `label_names`
    [labels], the names of the logits' columns. `seq` is the batch's longest packed row; text longer than
    `sequence_length` is cut (one window; the Python runtime's `stride` slides windows)."""
    import tensorflow as tf

    from keras_albert_export.offsets_graph import OffsetTokenizer, pack
    if pairs:
        raise ValueError("text pairs are for classifiers; token classification takes one text")
    labels = [str(x) for x in (labels or [f"LABEL_{i}" for i in range(model.num_labels)])]
    if len(labels) != model.num_labels:
        raise ValueError(f"{len(labels)} labels for a model with {model.num_labels} token labels")
    offsets_tokenizer = OffsetTokenizer(tokenizer)
    names = tf.constant(labels)

    def tag(inputs):
        logits = model(inputs, training=False)
        return {"logits": logits, "label": tf.gather(names, tf.argmax(logits, axis=-1, output_type=tf.int32)),
                "label_names": tf.identity(names)}

    def serve(text):
        pieces = offsets_tokenizer(text)
        inputs, offsets = pack([pieces], [tf.minimum(pieces[0].row_lengths(), sequence_length - 2)], offsets_of=0)
        return {**tag(inputs), "token_ids": inputs["token_ids"], "offsets": offsets}
    return Endpoints(serve, ("text",), tag, resources=(offsets_tokenizer.sentencepiece,))


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


def _read(path, labels, default, text_columns, label_column):
    from keras_albert.readers import read_conll
    return check_known(path, read_conll(path), "tags", labels, "tag")


def word_tags(tokens, entities, outside="O"):
    """Per-piece entities of `" ".join(tokens)` -> one tag per word: its first piece's label."""
    tags, at, pieces = [], 0, sorted(entities, key=lambda e: e["start"])
    for token in tokens:
        begin, end = at, at + len(token)
        first = next((e for e in pieces if begin <= e["start"] < end), None)
        tags.append(first["entity"] if first else outside)
        at = end + 1
    return tags


def _tag(tagger, records, labels):
    outside = "O" if "O" in (labels or ()) else (labels or ["O"])[0]
    return [word_tags(r["tokens"], tagger(" ".join(r["tokens"])), outside) for r in records]


def _keras(model, tokenizer, labels, records, length):
    from keras_albert.pipelines import pipeline
    tagger = pipeline("token-classification", model, tokenizer, labels, max_length=length, ignore_labels=[])
    return _tag(tagger, records, labels)


def _tflite(path, tokenizer, labels, records, length):
    tagger = TFLiteTokenClassifier(model_path=path, tokenizer=tokenizer, labels=labels, num_threads=2,
                                   max_length=length)
    return _tag(lambda text: tagger(text, ignore_labels=[]), records, labels)


def _score(records, predictions):
    from keras_albert.metrics import entity_scores
    scores = entity_scores([r["tags"] for r in records], predictions)
    return {name: round(100.0 * scores[name], 2) for name in ("f1", "precision", "recall")}


TASK = ExportTask(
    name="token_classification", command="tag", outputs=OUTPUTS,
    signature=_signature, default_length=None, fixed_length=False,
    variants=("float32", "dynamic_int8", "full_int8"),
    runtime="keras_albert_export.tasks.token_classification:TFLiteTokenClassifier",
    measures="size and latency; entity F1 of every variant on held-out tagged sentences and its agreement with "
             "the Keras model (identical tag sequences)",
    labels=lambda model: [f"LABEL_{i}" for i in range(model.num_labels)],
    gate=Gate(metrics=("f1", "precision", "recall"), unit="sentences", heldout="heldout.jsonl",
              formats="CoNLL text or .jsonl of tokens and tags", read=_read, keras=_keras, tflite=_tflite,
              score=_score),
    savedmodel=_savedmodel)
