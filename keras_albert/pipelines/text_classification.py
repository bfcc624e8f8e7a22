"""`text-classification`: labels and scores per text or text pair, as transformers returns them."""
import numpy as np

from keras_albert.pipelines.base import SCORES, _UNSET, Pipeline, _positive
from keras_albert.tasks.classification import resolve_problem_type

# the default scores by the classifier's problem, resolved as every exported file resolves it. transformers'
# pipeline shows a sigmoid for one output with the problem left open, a model it trains as regression: ours
# shows the raw score there, the answer its SavedModel and .tflite files (and their runtimes) give.
DEFAULT_FUNCTION = {"regression": "none", "multi_label_classification": "sigmoid",
                    "single_label_classification": "softmax"}


class TextClassificationPipeline(Pipeline):
    """[{"label", "score"}] per input as transformers returns it: the best label (a dict) by default, the top_k
    labels best first (a list; top_k=None: all) when top_k is given. An input is a string or a pair
    `{"text": A, "text_pair": B}` (packed `[CLS] A [SEP] B [SEP]`, segment ids 0 then 1, the longer text cut
    first). Scores: `function_to_apply` "softmax", "sigmoid" or "none"; by default none for regression,
    sigmoid for multi-label, softmax otherwise (one output with the problem left open is regression, as it
    trains and exports). Over-long input is cut like the exported models cut it unless truncation=False."""
    name, task, truncation = "text-classification", "classification", True
    needs = "a classifier (AlbertClassifier)"

    def sanitize(self, top_k=_UNSET, function_to_apply=None):
        if top_k is not _UNSET and top_k is not None:
            _positive("top_k", top_k)
        if function_to_apply is not None and str(function_to_apply).lower() not in SCORES:
            raise ValueError(f"function_to_apply must be one of {sorted(SCORES)}, got {function_to_apply!r}")
        return {"top_k": 1 if top_k is _UNSET else top_k, "legacy": top_k is _UNSET,
                "function_to_apply": function_to_apply and str(function_to_apply).lower()}

    def split(self, inputs):
        single = isinstance(inputs, (str, dict))
        items = [inputs] if single else list(inputs)
        for i, item in enumerate(items):
            if isinstance(item, dict) and (set(item) - {"text", "text_pair"} or not isinstance(item.get("text"), str)
                                           or not isinstance(item.get("text_pair", ""), str)):
                raise ValueError(f"input {i}: a text pair is a dict {{'text': str, 'text_pair': str}}, got "
                                 f"keys {sorted(item)}")
            if not isinstance(item, (str, dict)):
                raise ValueError("text-classification input must be a string, a {'text', 'text_pair'} dict or a "
                                 "non-empty list of them")
        if not items:
            raise ValueError("text-classification input must not be an empty list")
        return single, items

    def to_rows(self, i, item, opts):
        text, pair = (item, None) if isinstance(item, str) else (item["text"], item.get("text_pair"))
        return self.encode(i, text, opts, text_pair=pair)

    def postprocess(self, item, rows, outputs, top_k=1, legacy=True, function_to_apply=None):
        scores = outputs[0]
        names = self.labels or [f"LABEL_{i}" for i in range(scores.shape[-1])]
        default = DEFAULT_FUNCTION[resolve_problem_type(getattr(self.model, "problem_type", None), scores.shape[-1])]
        probs = SCORES[function_to_apply or default](scores)
        if legacy:
            return {"label": names[int(np.argmax(probs))], "score": float(np.max(probs))}
        order = np.argsort(-probs, kind="stable")[:top_k]
        return [{"label": names[i], "score": float(probs[i])} for i in order]

    def __call__(self, inputs, **kwargs):
        result = super().__call__(inputs, **kwargs)
        # transformers' quirk, kept so outputs compare: one string without a call-time top_k -> a list around it
        return [result] if isinstance(inputs, str) and "top_k" not in kwargs else result

