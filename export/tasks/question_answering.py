"""Question answering: outputs `end_logits`, `start_logits` [1, length], inputs at a FIXED length (384 by
default): the TFLite Task Library's BertQuestionAnswerer reads its window length from the input shape.

`TFLiteQuestionAnswerer` packs the same windows as the `question-answering` pipeline and decodes them with the
pipeline's own code (`assemble_answers`), so a .tflite and the Keras model answer alike. The file carries the
metadata of the Task Library's BertQuestionAnswerer (`keras_albert_export.task_library`)."""
from keras_albert_export.tasks.base import ExportTask, SignatureModel

OUTPUTS = ("end_logits", "start_logits")


def _signature(model, inputs):
    out = model(inputs, training=False)
    return {name: out[name] for name in OUTPUTS}


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


TASK = ExportTask(
    name="question_answering", outputs=OUTPUTS, signature=_signature, default_length=384, fixed_length=True,
    variants=("float32", "dynamic_int8"), runtime="keras_albert_export.tasks.question_answering:TFLiteQuestionAnswerer",
    measures="size and latency at the fixed window (the int8 gate on held-out questions is not written yet)",
    metadata="keras_albert_export.task_library:add_qa_metadata")
