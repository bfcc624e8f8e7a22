"""`multiple-choice` (ours; transformers has no such pipeline): the best of several answers (RACE, SWAG)."""
import numpy as np

from keras_albert.features.choices import choice_segments
from keras_albert.pipelines.base import Pipeline, _softmax
from keras_albert.packing import pad


def check_item(i, item):
    """One multiple-choice input, checked as every runner of the task reads it (one ValueError naming input i)."""
    if not isinstance(item, dict) or set(item) - {"context", "question", "choices"}:
        raise ValueError(f"input {i}: expected a dict with 'choices' and a 'context' and/or 'question', "
                         f"got {item!r:.80}")
    if not any(isinstance(item.get(k), str) and item[k].strip() for k in ("context", "question")):
        raise ValueError(f"input {i} has no 'context' or 'question' text")
    choices = item.get("choices")
    if isinstance(choices, str) or not choices or not all(isinstance(c, str) and c.strip() for c in choices):
        raise ValueError(f"input {i}: 'choices' must be a non-empty list of non-empty strings, got {choices!r:.80}")


class MultipleChoicePipeline(Pipeline):
    """Input: {"context": passage, "question": q, "choices": [c1, c2, ...]}, with a context, a question or
    both. Each choice is one row `[CLS] first [SEP] second [SEP]` packed as fine-tuning packs it
    (`keras_albert.features.choices.choice_segments`): first = the context (the question when there is no
    context), second = the question with the choice in its blank `_` (RACE's cloze questions) or the question and
    the choice joined by a space (the choice alone when the question is already first, or absent); SWAG is
    {"context": sentence, "choices": endings}.
    The longer text is cut first. Output: [{"choice", "score"}] best first, scores a softmax over the choices."""
    name, task, truncation = "multiple-choice", "multiple_choice", True
    needs = "a multiple-choice model (AlbertMultipleChoice)"

    def split(self, inputs):
        single = isinstance(inputs, dict)
        items = [inputs] if single else list(inputs)
        if not items:
            raise ValueError("multiple-choice input must not be an empty list")
        for i, item in enumerate(items):
            check_item(i, item)
        return single, items

    def to_rows(self, i, item, opts):
        rows = []
        for choice in item["choices"]:
            first, second = choice_segments(item.get("context"), item.get("question"), choice)
            rows += self.encode(i, first, opts, text_pair=second)
        return [rows]  # one model row: [choices, seq]

    def batches(self, rows, size):
        """Inputs with the same number of choices share a batch (choices cannot be padded)."""
        batch = []
        for row in rows:
            if batch and (len(batch) == size or len(row) != len(batch[0])):
                yield batch
                batch = []
            batch.append(row)
        if batch:
            yield batch

    def forward(self, batch):
        length = max(len(e) for choices in batch for e in choices)
        flat = pad([e for choices in batch for e in choices], length)
        inputs = {k: v.reshape(len(batch), len(batch[0]), length) for k, v in flat.items()}
        return list(np.asarray(self.model(inputs), "float32"))

    def postprocess(self, item, rows, outputs):
        scores = _softmax(outputs[0])
        order = np.argsort(-scores, kind="stable")
        return [{"choice": item["choices"][i], "score": float(scores[i])} for i in order]
