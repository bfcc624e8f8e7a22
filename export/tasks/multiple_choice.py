"""Multiple choice (RACE, SWAG): inputs ids/mask/segment_ids [choices, length] (one row per choice, right-padded
to the longest with mask 0), output `choice_probabilities` [1, choices] (a softmax over the choices); the number
of choices and the length are dynamic, the length cut inside the graph at the export's sequence length (by
default the whole position table, where the `multiple-choice` pipeline cuts too: RACE passages are long).

`TFLiteMultipleChoice` packs each choice as fine-tuning and the `multiple-choice` pipeline pack it
(`keras_albert.features.choices.choice_segments`) and answers in the pipeline's format. No on-device metadata
(no MediaPipe or Task Library task takes several choices): spiece.model travels beside the file.

Gate: accuracy on held-out RACE-style questions (`finetune --task multiple_choice` records its test split as
RACE JSON lines); agreement = the same chosen option as the Keras model's pipeline."""
import numpy as np

from keras_albert_export.tasks.base import Endpoints, ExportTask, Gate, SignatureModel

OUTPUTS = ("choice_probabilities",)


def _signature(model, inputs):
    import tensorflow as tf
    logits = model({k: v[None] for k, v in inputs.items()}, training=False)  # [choices, n] -> [1, choices, n]
    return {OUTPUTS[0]: tf.nn.softmax(logits, axis=-1)}


class TFLiteMultipleChoice:
    """`chooser({"context", "question", "choices"})` -> [{"choice", "score"}] best first, as the pipeline gives.

    Each choice is cut to `max_length` pieces (the longer text first); by default the export's sequence length,
    read from the file."""

    def __init__(self, model_path=None, model_content=None, tokenizer=None, labels=None, num_threads=None,
                 max_length=None):
        from keras_albert_export.tflite import input_limit
        if tokenizer is None:
            raise ValueError("multiple choice needs the model's tokenizer (spiece.model)")
        self.model = SignatureModel(model_path, model_content, num_threads, OUTPUTS)
        self.tokenizer = tokenizer
        limit = input_limit(self.model.model_content)
        if max_length is not None and limit is not None and not 3 <= max_length <= limit:
            raise ValueError(f"max_length must be an integer from 3 to the file's cut, {limit} tokens, got "
                             f"{max_length}")  # (the graph would cut a longer row there anyway, as the pipeline)
        self.max_length = max_length or limit or 128

    def probabilities(self, item):
        """The softmax over `item`'s choices, in their order."""
        from keras_albert.features.choices import choice_segments
        from keras_albert.packing import pack, pad
        rows = [pack(self.tokenizer, *choice_segments(item.get("context"), item.get("question"), choice),
                     max_length=self.max_length, offsets=False)[0] for choice in item["choices"]]
        x = pad(rows)
        out = self.model.runner(ids=x["token_ids"], mask=x["padding_mask"], segment_ids=x["segment_ids"])
        return np.asarray(out[OUTPUTS[0]][0], np.float32)

    def __call__(self, item):
        from keras_albert.pipelines.multiple_choice import check_item
        check_item(0, item)
        scores = self.probabilities(item)
        return [{"choice": item["choices"][i], "score": float(scores[i])}
                for i in np.argsort(-scores, kind="stable")]


def _calibration(tokenizer, texts, length, limit=100, choices=4):
    """full_int8 calibration rows as `TFLiteMultipleChoice` packs them: [choices, n], each choice packed with its
    context (`choice_segments`), right-padded to the longest row of all (TFLite's calibrator fixes its shapes on
    the first sample; the padding's -1e9 bias is added in float, tflite.attention_bias_adds). The context: one to
    four real sentences; the question: another sentence's first words and "?"; the choices: the next sentences,
    which differ in length as real options do."""
    from keras_albert.features.choices import choice_segments
    from keras_albert.packing import pack, pad
    texts = [t for t in texts if t.strip()]
    items = []
    for i in range(min(limit, len(texts))):
        at = lambda j: texts[(i * (choices + 5) + j) % len(texts)]  # noqa: E731
        context = " ".join(at(j) for j in range(1 + i % 4))
        question = " ".join(at(4 + choices).split()[:8]) + " ?"
        items.append([pack(tokenizer, *choice_segments(context, question, at(4 + c)), max_length=length,
                           offsets=False)[0] for c in range(choices)])
    n = max(len(row) for rows in items for row in rows)
    for rows in items:
        x = pad(rows, n)
        yield {"ids": x["token_ids"], "mask": x["padding_mask"], "segment_ids": x["segment_ids"]}


def _segments_graph(context, question, choices):
    """`choice_segments` in the graph: context, question [batch] and choices [batch, choices] -> (first, second)
    [batch * choices]; an empty context or question is an absent one."""
    import tensorflow as tf
    count = tf.shape(choices)[1]
    flat_choice = tf.reshape(choices, [-1])
    flat_context, flat_question = (tf.reshape(tf.repeat(x[:, None], count, axis=1), [-1]) for x in (context, question))
    parts = tf.strings.split(flat_question, "_")  # the blank of a cloze question takes the choice, every time
    rows = parts.value_rowids()
    last = tf.range(tf.size(parts.flat_values, out_type=tf.int64)) == tf.gather(parts.row_limits() - 1, rows)
    filled = tf.strings.reduce_join(parts.with_flat_values(
        tf.where(last, parts.flat_values, parts.flat_values + tf.gather(flat_choice, rows))), axis=1)
    blank = tf.strings.regex_full_match(flat_question, "(?s).*_.*")
    second = tf.where(blank, filled, flat_question + " " + flat_choice)
    has_context = flat_context != ""
    second = tf.where(has_context & (flat_question != ""), second, flat_choice)
    return tf.where(has_context, flat_context, flat_question), second


def _savedmodel(model, tokenizer, labels, sequence_length, pairs):
    """`serving_default(context: string[batch], question: string[batch], choices: string[batch, choices])` ->
    `probabilities` [batch, choices] (a softmax over the choices) and `choice` [batch] (the best one's index),
    each choice packed as fine-tuning packs it; an empty context (SWAG: the question is the sentence to continue)
    or question is an absent one."""
    import tensorflow as tf

    from keras_albert.preprocessor import AlbertPreprocessor
    if pairs:
        raise ValueError("text pairs are for classifiers; multiple choice takes a context, a question and choices")
    preprocessor = AlbertPreprocessor(type(tokenizer)(tokenizer.raw_text_proto), sequence_length, padding="longest")

    def choose(inputs):
        probabilities = tf.nn.softmax(model(inputs, training=False), axis=-1)
        return {"probabilities": probabilities, "choice": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

    def serve(context, question, choices):
        first, second = _segments_graph(context, question, choices)
        packed = preprocessor(first, second)
        shape = tf.concat([tf.shape(choices), [-1]], 0)
        return choose({k: tf.reshape(v, shape) for k, v in packed.items()})
    return Endpoints(serve, ("context", "question", "choices"), choose, raw_shapes={"choices": [None, None]},
                     ids_shape=(None, None, None))


def _read(path, labels, default, text_columns, label_column):
    from keras_albert.readers import read_race
    return read_race(path)


def _items(records):
    from keras_albert.readers.race import race_item
    return [race_item(r) for r in records]


def _best(results, records):
    return [r["options"].index(result[0]["choice"]) for result, r in zip(results, records)]


def _keras(model, tokenizer, labels, records, length):
    from keras_albert.pipelines import pipeline
    chooser = pipeline("multiple-choice", model, tokenizer, max_length=length)
    return _best([chooser(item) for item in _items(records)], records)


def _tflite(path, tokenizer, labels, records, length):
    chooser = TFLiteMultipleChoice(model_path=path, tokenizer=tokenizer, num_threads=2, max_length=length)
    return _best([chooser(item) for item in _items(records)], records)


def _score(records, predictions):
    from keras_albert.metrics import accuracy
    return {"accuracy": round(100.0 * accuracy([r["label"] for r in records], predictions), 2)}


TASK = ExportTask(
    name="multiple_choice", command="choose", outputs=OUTPUTS,
    signature=_signature, default_length=None, fixed_length=False,
    input_rows=None, variants=("float32", "dynamic_int8", "full_int8"), calibration=_calibration,
    # rows padded to the longest choice: int8 attention matmuls calibrated on them left a learned model at chance
    # (full_int8 accuracy 23.9% against 35.1% float, 25.8% agreement; float matmuls: 31.0 against 31.7, 87.3% on
    # 300 questions; BENCHMARKS.md), as question answering's padded windows lost logit precision
    full_int8_float_ops=("BATCH_MATMUL",),
    runtime="keras_albert_export.tasks.multiple_choice:TFLiteMultipleChoice",
    measures="accuracy of every variant and its agreement with the Keras model (the same option) on held-out "
             "RACE-style questions",
    gate=Gate(metrics=("accuracy",), unit="questions", heldout="heldout.jsonl",
              formats="RACE-style .jsonl: article, question, options, answer", read=_read, keras=_keras,
              tflite=_tflite, score=_score),
    savedmodel=_savedmodel)
