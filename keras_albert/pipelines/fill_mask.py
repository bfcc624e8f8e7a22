"""`fill-mask`: the likeliest tokens for each [MASK], as transformers returns them."""
import numpy as np

from keras_albert.pipelines.base import Pipeline, _positive, _softmax
from keras_albert.tokenizer import MASK_ID

class FillMaskPipeline(Pipeline):
    """Per [MASK]: the top_k tokens as {"sequence", "score", "token", "token_str"}, best first."""
    name, task, special_tokens = "fill-mask", "masked_lm", True
    needs = "a model with a masked-LM head (AlbertMaskedLM or AlbertPretrainer)"

    def sanitize(self, top_k=5):
        return {"top_k": _positive("top_k", top_k)}

    def row(self, i, text, opts):
        ids = super().row(i, text, opts)
        if MASK_ID not in ids:
            raise ValueError(f"no [MASK] token in input {i}: {text!r}" + (" (after truncation to max_length "
                             f"{opts.max_length})" if "[MASK]" in text else ""))
        return ids

    def postprocess(self, text, rows, outputs, top_k=5):
        row, logits = rows[0], outputs[0]
        logits = logits["mlm_logits"] if isinstance(logits, dict) else logits
        positions = [i for i, t in enumerate(row) if t == MASK_ID]
        single = len(positions) == 1
        per_mask = []
        for pos in positions:
            probs = _softmax(logits[pos])
            best = np.argsort(-probs, kind="stable")[:top_k]
            per_mask.append([self._proposal(row, pos, int(t), float(probs[t]), single) for t in best])
        return per_mask[0] if single else per_mask

    def _proposal(self, row, pos, token, score, single):
        filled = list(row)
        filled[pos] = token
        return {"sequence": self.decode(filled, skip_special_tokens=single), "score": score, "token": token,
                "token_str": self.decode([token])}
