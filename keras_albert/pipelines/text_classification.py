"""`text-classification`: labels and scores per text, as transformers returns them."""
import numpy as np

from keras_albert.pipelines.base import SCORES, _UNSET, Pipeline, _positive

class TextClassificationPipeline(Pipeline):
    """[{"label", "score"}] per text as transformers returns it: the best label (a dict) by default, the top_k
    labels best first (a list; top_k=None: all) when top_k is given. Scores: softmax, or sigmoid for one output,
    unless `function_to_apply` says "softmax", "sigmoid" or "none". Over-long text is cut like the exported
    models cut it (`[CLS]` + the first max_length - 2 pieces + `[SEP]`) unless truncation=False."""
    name, task, truncation = "text-classification", "classification", True
    needs = "a classifier (AlbertClassifier)"

    def sanitize(self, top_k=_UNSET, function_to_apply=None):
        if top_k is not _UNSET and top_k is not None:
            _positive("top_k", top_k)
        if function_to_apply is not None and str(function_to_apply).lower() not in SCORES:
            raise ValueError(f"function_to_apply must be one of {sorted(SCORES)}, got {function_to_apply!r}")
        return {"top_k": 1 if top_k is _UNSET else top_k, "legacy": top_k is _UNSET,
                "function_to_apply": function_to_apply and str(function_to_apply).lower()}

    def postprocess(self, logits, rows, top_k=1, legacy=True, function_to_apply=None):
        logits = np.asarray(logits, "float32")
        names = self.labels or [f"LABEL_{i}" for i in range(logits.shape[-1])]
        out = []
        for scores in logits:
            probs = SCORES[function_to_apply or ("sigmoid" if scores.shape[-1] == 1 else "softmax")](scores)
            if legacy:
                out.append({"label": names[int(np.argmax(probs))], "score": float(np.max(probs))})
                continue
            order = np.argsort(-probs, kind="stable")[:top_k]
            out.append([{"label": names[i], "score": float(probs[i])} for i in order])
        return out

    def __call__(self, inputs, **kwargs):
        result = super().__call__(inputs, **kwargs)
        # transformers' quirk, kept so outputs compare: one string without a call-time top_k -> a list around it
        return [result] if isinstance(inputs, str) and "top_k" not in kwargs else result
