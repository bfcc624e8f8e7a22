"""The pipeline base: inputs in, transformers' output format out; one subclass per pipeline name, one file each.

A call runs preprocess / forward / postprocess per input: `to_rows` turns one input into its model rows (one text;
a text and its windows; one pair per candidate label; one row of choices), `forward` runs them in batches of
`batch_size` rows, `postprocess` turns one input's outputs into its result. transformers' arguments work here
too, at construction (as defaults) or per call: `batch_size`, `truncation`, `max_length` (also inside
fill-mask's `tokenizer_kwargs` / feature-extraction's `tokenize_kwargs`) and each pipeline's own (`sanitize`).
Every input is tokenized and checked before the model runs, so one bad input costs no work.
"""
import collections

import numpy as np

from keras_albert.packing import Encoding, pack, pad
from keras_albert.tokenizer import SPECIAL_TOKENS

Options = collections.namedtuple("Options", "batch_size truncation max_length post")
_UNSET = object()


class Pipeline:
    name = needs = None     # the pipeline's name; what model it needs, in words
    task = None             # the `from_pretrained` task whose model this pipeline runs
    unused_heads = ()       # heads whose absence from a checkpoint does not matter here
    special_tokens = False  # user text is text: only fill-mask reads a typed [MASK]
    truncation = False      # over-long text is refused unless truncation=True

    def __init__(self, model, tokenizer, labels=None, **kwargs):
        self.model, self.tokenizer = self.runnable(model), tokenizer
        self.labels = labels or getattr(self.model, "labels", None)  # (a model from from_pretrained carries them)
        self.defaults = kwargs
        self.options(kwargs)  # bad arguments fail here, not at the first call

    def runnable(self, model):
        from keras_albert import tasks
        from keras_albert.backbone import ConfigModel
        if isinstance(model, ConfigModel) and self.name not in tasks.of_model(model).pipelines:
            raise ValueError(f"{self.name} needs {self.needs}, got {type(model).__name__}")
        return model

    def options(self, kwargs):
        """Defaults and call arguments -> validated Options (unknown keywords: TypeError, as in Python)."""
        kwargs = dict(kwargs)
        for nested in ("tokenizer_kwargs", "tokenize_kwargs"):
            kwargs.update(kwargs.pop(nested, None) or {})
        return self._options(**kwargs)

    def _options(self, batch_size=8, truncation=None, max_length=None, **post):
        limit = self.model.config.max_position_embeddings
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)
                                       or not 3 <= max_length <= limit):
            raise ValueError(f"max_length must be an integer from 3 to the model's {limit} positions, "
                             f"got {max_length!r}")
        if truncation not in (None, True, False):
            raise ValueError(f"truncation must be True or False, got {truncation!r}")
        if truncation is None:  # (as transformers' tokenizers: a max_length alone means cut to it)
            truncation = self.truncation or max_length is not None
        return Options(batch_size, truncation, max_length or limit, self.sanitize(**post))

    def sanitize(self):
        return {}

    def __call__(self, inputs, **kwargs):
        opts = self.options({**self.defaults, **kwargs})
        single, items = self.split(inputs)
        groups = [self.to_rows(i, item, opts) for i, item in enumerate(items)]  # each input -> its model rows
        flat = [row for group in groups for row in group]
        outputs = []
        for batch in self.batches(flat, opts.batch_size):
            outputs += self.forward(batch)
        results, at = [], 0
        for item, group in zip(items, groups):
            results.append(self.postprocess(item, group, outputs[at:at + len(group)], **opts.post))
            at += len(group)
        return results[0] if single else results

    def split(self, inputs):
        """The call's input -> (one input?, [inputs]); plain strings unless a pipeline reads more."""
        single = isinstance(inputs, str)
        texts = [inputs] if single else list(inputs)
        if not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError("pipeline input must be a string or a non-empty list of strings")
        return single, texts

    def to_rows(self, i, item, opts):
        """One input -> its rows for the model (one here; windows, hypotheses or choices elsewhere)."""
        return [self.row(i, item, opts)]

    def batches(self, rows, size):
        for start in range(0, len(rows), size):
            yield rows[start:start + size]

    def forward(self, batch):
        """Rows -> the model's outputs, one numpy array (or dict of arrays) per row, padding still on."""
        out = self.model(_pad(batch))
        if isinstance(out, dict):
            out = {k: np.asarray(v, "float32") for k, v in out.items()}
            return [{k: v[b] for k, v in out.items()} for b in range(len(batch))]
        return list(np.asarray(out, "float32"))

    def row(self, i, text, opts):
        """One text -> the ids of `[CLS] pieces [SEP]`, cut to max_length as the exported models cut (keeping
        [SEP])."""
        return self.encode(i, text, opts)[0].ids

    def encode(self, i, text, opts, text_pair=None, offsets=False, truncation="longest_first", **kwargs):
        """One text (and pair) -> `packing.pack`'s Encodings under this call's max_length and truncation (the
        strategy `truncation` when the call truncates; `kwargs` such as stride and return_overflowing go to
        `pack`). Over-long input without truncation is refused, naming the input."""
        rows = pack(self.tokenizer, text, text_pair, max_length=opts.max_length,
                    truncation=truncation if opts.truncation else False,
                    special_tokens=self.special_tokens, offsets=offsets, **kwargs)
        if len(rows[0]) > opts.max_length:
            raise ValueError(f"input {i} is {len(rows[0])} tokens long, more than max_length {opts.max_length}: "
                             f"pass truncation=True to keep its first {opts.max_length - 2 - (text_pair is not None)}")
        return rows

    def decode(self, ids, skip_special_tokens=False):
        """Ids -> text as transformers' ALBERT tokenizer decodes."""
        return decode_pieces([self.tokenizer.id_to_piece(i) for i in ids
                              if not (skip_special_tokens and int(i) in SPECIAL_TOKENS.values())])


def decode_pieces(pieces):
    """Pieces (or strings) joined as transformers' Metaspace decoder joins them: '▁' -> ' ', the first one's
    leading '▁' dropped."""
    return "".join(p.replace("\u2581", " ") if i or not p.startswith("\u2581") else p[1:].replace("\u2581", " ")
                   for i, p in enumerate(pieces))


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _pad(rows):
    """Rows (ids of one segment, or `packing.Encoding`s) -> the backbone's three inputs, right-padded to the
    longest row."""
    return pad([r if isinstance(r, Encoding) else Encoding(list(r), [0] * len(r), None, None) for r in rows])


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


SCORES = {"softmax": _softmax, "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "none": lambda x: x}
