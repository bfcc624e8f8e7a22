"""`pipeline("fill-mask" | "feature-extraction" | "text-classification")`: text in, transformers' output format out."""
import numpy as np

from keras_albert.tokenizer import CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS

TASKS = {"fill-mask": "masked_lm", "feature-extraction": None, "text-classification": "classification"}


def pipeline(task, model, tokenizer=None, labels=None):
    """`model`: a path or hub id (loaded with `load_pretrained` for the task) or a Keras model plus `tokenizer`."""
    if task not in TASKS:
        raise ValueError(f"unknown pipeline task {task!r}; expected one of {sorted(TASKS)}")
    if isinstance(model, str) or hasattr(model, "__fspath__"):
        from keras_albert.pretrained import load_pretrained
        loaded = load_pretrained(model, task=TASKS[task])
        model, tokenizer, labels = loaded.model, tokenizer or loaded.tokenizer, labels or loaded.labels
    if tokenizer is None:
        raise ValueError("this model has no tokenizer (spiece.model): pass tokenizer=AlbertTokenizer.from_file(...)")
    cls = {"fill-mask": FillMaskPipeline, "feature-extraction": FeatureExtractionPipeline,
           "text-classification": TextClassificationPipeline}[task]
    return cls(model, tokenizer, labels)


class Pipeline:
    def __init__(self, model, tokenizer, labels=None):
        self.model, self.tokenizer, self.labels = model, tokenizer, labels

    def encode(self, texts):
        """Texts -> padded backbone inputs plus each row's ids (`[CLS] text [SEP]`, literal [MASK] kept)."""
        rows = [[CLS_ID, *self.tokenizer.tokenize(t), SEP_ID] for t in texts]
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), PAD_ID, "int32")
        for i, r in enumerate(rows):
            ids[i, :len(r)] = r
        inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": (ids != PAD_ID).astype("int32")}
        return inputs, rows

    def __call__(self, inputs, batch_size=8, **kwargs):
        single = isinstance(inputs, str)
        texts = [inputs] if single else list(inputs)
        if not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError("pipeline input must be a string or a non-empty list of strings")
        results = []
        for start in range(0, len(texts), batch_size):
            batch, rows = self.encode(texts[start:start + batch_size])
            results += self.postprocess(self.model(batch), rows, **kwargs)
        return results[0] if single else results

    def decode(self, ids, skip_special_tokens=False):
        """Ids -> text as transformers' ALBERT tokenizer decodes (Metaspace: '▁' -> ' ', first one dropped)."""
        pieces = [self.tokenizer.id_to_piece(i) for i in ids
                  if not (skip_special_tokens and int(i) in SPECIAL_TOKENS.values())]
        text = "".join(p.replace("\u2581", " ") if i or not p.startswith("\u2581") else p[1:].replace("\u2581", " ")
                       for i, p in enumerate(pieces))
        return text


class FillMaskPipeline(Pipeline):
    """Per [MASK]: the top_k tokens as {"sequence", "score", "token", "token_str"}, best first."""

    def postprocess(self, logits, rows, top_k=5):
        logits = np.asarray(logits["mlm_logits"] if isinstance(logits, dict) else logits, "float32")
        out = []
        for b, row in enumerate(rows):
            positions = [i for i, t in enumerate(row) if t == MASK_ID]
            if not positions:
                raise ValueError(f"no [MASK] token in the input: {self.decode(row[1:-1])!r}")
            single = len(positions) == 1
            per_mask = []
            for pos in positions:
                probs = _softmax(logits[b, pos])
                best = np.argsort(-probs, kind="stable")[:top_k]
                per_mask.append([self._proposal(row, pos, int(t), float(probs[t]), single) for t in best])
            out.append(per_mask[0] if single else per_mask)
        return out

    def _proposal(self, row, pos, token, score, single):
        filled = list(row)
        filled[pos] = token
        return {"sequence": self.decode(filled, skip_special_tokens=single), "score": score, "token": token,
                "token_str": self.decode([token])}


class FeatureExtractionPipeline(Pipeline):
    """The sequence output of each text, [1, tokens, hidden] (special tokens included, no padding)."""

    def postprocess(self, outputs, rows):
        seq = np.asarray(outputs["sequence_output"] if isinstance(outputs, dict) else outputs, "float32")
        return [seq[b:b + 1, :len(row)] for b, row in enumerate(rows)]


class TextClassificationPipeline(Pipeline):
    """[{"label", "score"}] per text: the top_k labels by softmax probability (sigmoid for one output)."""

    def postprocess(self, logits, rows, top_k=1):
        logits = np.asarray(logits, "float32")
        names = self.labels or [f"LABEL_{i}" for i in range(logits.shape[-1])]
        out = []
        for scores in logits:
            probs = 1.0 / (1.0 + np.exp(-scores)) if scores.shape[-1] == 1 else _softmax(scores)
            order = np.argsort(-probs, kind="stable")[:top_k or len(probs)]
            ranked = [{"label": names[i], "score": float(probs[i])} for i in order]
            out.append(ranked[0] if top_k == 1 else ranked)
        return out

    def __call__(self, inputs, batch_size=8, top_k=1):
        result = super().__call__(inputs, batch_size=batch_size, top_k=top_k)
        return [result] if isinstance(inputs, str) and top_k == 1 else result


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
