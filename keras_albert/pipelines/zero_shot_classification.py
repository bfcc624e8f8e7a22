"""`zero-shot-classification`: any labels, scored by an NLI classifier (MNLI) as transformers scores them."""
import numpy as np

from keras_albert.pipelines.base import Pipeline, _softmax


class ZeroShotClassificationPipeline(Pipeline):
    """Each candidate label becomes a hypothesis (`hypothesis_template`, default "This example is {}.") read as
    the text pair of the sequence; the classifier's entailment logit scores it. Single-label: a softmax of the
    entailment logits across the labels (scores sum to 1); `multi_label=True` (or one label): per label a
    softmax over [contradiction, entailment]. Output per sequence {"sequence", "labels", "scores"}, best first.
    The entailment (and contradiction) class is the label whose name starts with "entail" ("contradict"); the
    sequence is cut (never the hypothesis) when the pair is longer than max_length."""
    name, task, truncation = "zero-shot-classification", "classification", True
    needs = "an NLI classifier (AlbertClassifier with entailment / contradiction labels)"

    def __init__(self, model, tokenizer, labels=None, **kwargs):
        super().__init__(model, tokenizer, labels, **kwargs)
        names = [str(n).lower() for n in labels or ()]
        self.entailment = next((i for i, n in enumerate(names) if n.startswith("entail")), None)
        if self.entailment is None:
            raise ValueError(f"zero-shot-classification needs an NLI classifier whose labels name an entailment "
                             f"class (a label starting with 'entail'); this model's labels are {labels}")
        # no label named so: transformers' choice, the first class (the last when entailment is the first)
        self.contradiction = next((i for i, n in enumerate(names) if n.startswith("contradict")),
                                  -1 if self.entailment == 0 else 0)

    def sanitize(self, candidate_labels=None, hypothesis_template="This example is {}.", multi_label=False):
        if isinstance(candidate_labels, str):
            candidate_labels = [label.strip() for label in candidate_labels.split(",") if label.strip()]
        if candidate_labels is not None and (not candidate_labels or
                                             not all(isinstance(x, str) for x in candidate_labels)):
            raise ValueError(f"candidate_labels must be a non-empty list of strings (or one comma-separated "
                             f"string), got {candidate_labels!r}")
        if not isinstance(hypothesis_template, str) or hypothesis_template.format("x") == hypothesis_template:
            raise ValueError(f"hypothesis_template must contain {{}} where the label goes, got {hypothesis_template!r}")
        if multi_label not in (True, False):
            raise ValueError(f"multi_label must be True or False, got {multi_label!r}")
        return {"candidate_labels": candidate_labels, "hypothesis_template": hypothesis_template,
                "multi_label": multi_label}

    def __call__(self, sequences, candidate_labels=None, **kwargs):
        if candidate_labels is not None:
            kwargs["candidate_labels"] = candidate_labels
        if "candidate_labels" not in {**self.defaults, **kwargs}:
            raise ValueError("zero-shot-classification needs candidate_labels (at construction or per call)")
        return super().__call__(sequences, **kwargs)

    def to_rows(self, i, text, opts):
        template = opts.post["hypothesis_template"]
        return [row for label in opts.post["candidate_labels"]
                for row in self.encode(i, text, opts, text_pair=template.format(label), truncation="only_first")]

    def postprocess(self, text, rows, outputs, candidate_labels=(), hypothesis_template=None, multi_label=False):
        logits = np.stack(outputs)  # [labels, classes]
        if multi_label or len(candidate_labels) == 1:
            scores = _softmax(logits[:, [self.contradiction, self.entailment]])[:, 1]
        else:
            scores = _softmax(logits[:, self.entailment])
        order = list(reversed(scores.argsort()))  # (transformers' order, ties included)
        return {"sequence": text, "labels": [candidate_labels[i] for i in order],
                "scores": [float(scores[i]) for i in order]}
