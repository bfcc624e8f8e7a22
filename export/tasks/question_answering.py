"""Question answering: outputs `end_logits`, `start_logits` [1, length], inputs at a FIXED length (384 by
default): the TFLite Task Library's BertQuestionAnswerer reads its window length from the input shape.

`TFLiteQuestionAnswerer` packs the same windows as the `question-answering` pipeline and decodes them with the
pipeline's own code (`assemble_answers`), so a .tflite and the Keras model answer alike. The file carries the
metadata of the Task Library's BertQuestionAnswerer (`keras_albert_export.task_library`).

Gate: SQuAD F1 and exact match (the official normalization, keras_albert.metrics) on held-out questions in SQuAD
JSON; agreement = the same answer span (start, end, text) as the Keras model's `question-answering` pipeline,
both reading the same windows of `length` pieces (the export's fixed window)."""
from keras_albert_export.tasks.base import Endpoints, ExportTask, Gate, SignatureModel

OUTPUTS = ("end_logits", "start_logits")


def _signature(model, inputs):
    out = model(inputs, training=False)
    return {name: out[name] for name in OUTPUTS}


def _savedmodel(model, tokenizer, labels, sequence_length, pairs):
    """`serving_default(question, context: string[batch])` -> `start_logits`, `end_logits` [batch, seq] (float32),
    `token_ids` [batch, seq] and `offsets` [batch, seq, 2] (int32): each piece's (start, end) in the ORIGINAL
    context, in code points (Python `str` indices, as `AlbertTokenizer.tokenize_with_offsets` gives them), and
    (-1, -1) for [CLS], [SEP], the question's pieces and padding. `seq` is the batch's longest packed row.

    One window: `[CLS] question [SEP] context [SEP]` with the context cut to fit `sequence_length` (the question
    keeps at most `sequence_length - 4` pieces, so at least one context piece fits). The Python runtime and the
    pipeline slide windows over a long context; a server that needs that sends the context in parts."""
    import tensorflow as tf

    from keras_albert_export.offsets_graph import OffsetTokenizer, pack
    if pairs:
        raise ValueError("text pairs are for classifiers; question answering takes a question and a context")
    offsets_tokenizer = OffsetTokenizer(tokenizer)

    def answer(inputs):
        out = model(inputs, training=False)
        return {name: out[name] for name in OUTPUTS}

    def serve(question, context):
        q, c = offsets_tokenizer(question), offsets_tokenizer(context)
        q_keep = tf.minimum(q[0].row_lengths(), max(sequence_length - 4, 0))
        c_keep = tf.minimum(c[0].row_lengths(), sequence_length - 3 - q_keep)
        inputs, offsets = pack([q, c], [q_keep, c_keep], offsets_of=1)
        return {**answer(inputs), "token_ids": inputs["token_ids"], "offsets": offsets}
    return Endpoints(serve, ("question", "context"), answer, resources=(offsets_tokenizer.sentencepiece,))


def _calibration(tokenizer, texts, length, limit=100):
    """full_int8 calibration windows as the Task Library packs them, `[CLS] question [SEP] context [SEP]` padded
    to the window, with contexts from one sentence to more than the window holds: how much of the window is real
    sets the attention probabilities' range (a short context attends more sharply). The padding's -1e9 bias is
    added in float (tflite.attention_bias_adds). The question: a sentence's first words and "?"; the context:
    the sentences after it."""
    import numpy as np

    from keras_albert.packing import pack
    texts = [t for t in texts if t.strip()]
    for i in range(min(limit, len(texts))):
        question = " ".join(texts[i].split()[:10]) + " ?"
        context = " ".join(texts[(i + 1 + j) % len(texts)] for j in range(1 + i % 12))
        [row] = pack(tokenizer, question, context, max_length=length, truncation="only_second", offsets=False)
        ids, segments, mask = (np.zeros((1, length), np.int32) for _ in range(3))
        n = len(row.ids)
        ids[0, :n], segments[0, :n], mask[0, :n] = row.ids, row.segment_ids, 1
        yield {"ids": ids, "mask": mask, "segment_ids": segments}


class TFLiteQuestionAnswerer:
    """`qa(question, context, top_k=1, ...)` -> the pipeline's answers ({score, start, end, answer}, or a list
    when top_k > 1), with the pipeline's options; the window length defaults to the model's fixed length."""

    def __init__(self, model_path=None, model_content=None, tokenizer=None, num_threads=None, labels=None):
        if tokenizer is None:
            raise ValueError("question answering needs the model's tokenizer (spiece.model)")
        self.model = SignatureModel(model_path, model_content, num_threads, OUTPUTS)
        self.tokenizer = tokenizer

    @property
    def positions(self):
        return self.model.fixed_length or 512

    def __call__(self, question, context, **options):
        from keras_albert.pipelines.question_answering import answer_options, assemble_answers, question_windows
        for key, value in (("question", question), ("context", context)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"`{key}` must be a non-empty string")
        post = answer_options(self.positions, **options)
        windows = question_windows(self.tokenizer, question, context, post)
        outputs = [self.model.run(w) for w in windows]
        return assemble_answers(self.tokenizer, context, [(w, (o["start_logits"], o["end_logits"]))
                                                          for w, o in zip(windows, outputs)], post)


def _read(path, labels, default, text_columns, label_column):
    from keras_albert.readers import read_squad
    return read_squad(path)


def _options(records, length):
    """The pipeline's options for these questions: `length`-piece windows; v2.0 data may answer nothing."""
    return {"max_seq_len": length, "handle_impossible_answer": any(r["is_impossible"] for r in records)}


def _span(answer):
    return {"answer": answer["answer"], "start": int(answer["start"]), "end": int(answer["end"])}


def _keras(model, tokenizer, labels, records, length):
    from keras_albert.pipelines import pipeline
    qa = pipeline("question-answering", model, tokenizer, **_options(records, length))
    return [_span(qa(question=r["question"], context=r["context"])) for r in records]


def _tflite(path, tokenizer, labels, records, length):
    qa = TFLiteQuestionAnswerer(model_path=path, tokenizer=tokenizer, num_threads=2)
    return [_span(qa(r["question"], r["context"], **_options(records, length))) for r in records]


def _score(records, predictions):
    """{f1, exact_match} in points: v1.1's keys; a v2.0 set's `exact` is reported as exact_match."""
    from keras_albert.metrics import squad_scores
    scores = squad_scores(records, {r["id"]: p["answer"] for r, p in zip(records, predictions)})
    return {"f1": round(scores["f1"], 2), "exact_match": round(scores.get("exact_match", scores.get("exact")), 2)}


TASK = ExportTask(
    name="question_answering", command="answer", outputs=OUTPUTS,
    signature=_signature, default_length=384, fixed_length=True,
    variants=("float32", "dynamic_int8", "full_int8"), calibration=_calibration,
    # padded windows: int8 attention matmuls, calibrated on them, lost 4x the logit precision (0.18 vs 0.04 of
    # the largest logit on a tiny model); the span head and the UNPACK into start/end stay float so the logits
    # are not in int8 steps (ties that decoders break differently); the encoder's dense layers stay int8
    full_int8_float_ops=("BATCH_MATMUL", "UNPACK"), full_int8_float_head=True,
    runtime="keras_albert_export.tasks.question_answering:TFLiteQuestionAnswerer",
    measures="size and latency at the fixed window; SQuAD F1 / exact match of every variant on held-out questions "
             "and its agreement with the Keras model (the same answer span)",
    gate=Gate(metrics=("f1", "exact_match"), unit="questions", heldout="heldout.json", formats="SQuAD v1.1/v2.0 JSON",
              read=_read, keras=_keras, tflite=_tflite,
              score=_score),
    savedmodel=_savedmodel,
    metadata="keras_albert_export.task_library:add_qa_metadata")
