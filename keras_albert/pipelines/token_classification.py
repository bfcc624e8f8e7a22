"""`token-classification` (NER, POS): one label per piece, or entities grouped from them, as transformers does.

Offsets are characters of the ORIGINAL text (the packer's). Word boundaries follow transformers' rule for
ALBERT: its Unigram vocabulary has no continuing-subword prefix, so transformers uses its fallback heuristic --
a piece continues a word when it does not start the text and neither the character before it nor its own first
character is a space -- and so do we, so that entities compare one to one.
"""
import numpy as np

from keras_albert.pipelines.base import Pipeline, _softmax, decode_pieces
from keras_albert.tokenizer import UNK_ID

STRATEGIES = ("none", "simple", "first", "average", "max")


class TokenClassificationPipeline(Pipeline):
    """Per text a list of dicts. aggregation_strategy="none": one per piece, {entity, score, index, word, start,
    end}; "simple": adjacent pieces of one entity grouped ({entity_group, score, word, start, end}; B- starts a
    new group); "first" / "average" / "max": each word's pieces take one label first (the first piece's, the
    averaged scores', the most confident piece's), then words group as in "simple". Labels in `ignore_labels`
    (default ["O"]) are dropped. `stride`: long text is read in overlapping windows of max_length (not with
    "none"), overlapping entities resolved as transformers does (the longer, then the more confident, wins)."""
    name, task, truncation = "token-classification", "token_classification", True
    needs = "a token classifier (AlbertTokenClassifier)"

    def sanitize(self, **options):
        return tag_options(**options)

    def to_rows(self, i, text, opts):
        stride = opts.post["stride"]
        return self.encode(i, text, opts, offsets=True, stride=stride or 0, return_overflowing=stride is not None)

    def postprocess(self, text, rows, outputs, **post):
        return EntityDecoder(self.tokenizer, self.labels).entities(text, rows, outputs, **post)


def tag_options(aggregation_strategy="none", ignore_labels=None, stride=None):
    """The call's options checked (the pipeline's and the exported models' runtime's)."""
    strategy = str(getattr(aggregation_strategy, "value", aggregation_strategy)).lower()
    if strategy not in STRATEGIES:
        raise ValueError(f"aggregation_strategy must be one of {list(STRATEGIES)}, got {aggregation_strategy!r}")
    if ignore_labels is not None and (isinstance(ignore_labels, str)
                                      or not all(isinstance(x, str) for x in ignore_labels)):
        raise ValueError(f"ignore_labels must be a list of label names, got {ignore_labels!r}")
    if stride is not None:
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 0:
            raise ValueError(f"stride must be a non-negative integer, got {stride!r}")
        if strategy == "none":
            raise ValueError('stride reads the text in windows, which needs aggregation_strategy other than '
                             '"none"')
    return {"aggregation_strategy": strategy, "ignore_labels": ["O"] if ignore_labels is None
            else list(ignore_labels), "stride": stride}


class EntityDecoder:
    """Per-piece logits of one text's rows -> transformers' entities; shared by the pipeline and the exported
    models' runtime, so both tag alike."""

    def __init__(self, tokenizer, labels=None):
        self.tokenizer, self.labels = tokenizer, labels

    def entities(self, text, rows, outputs, aggregation_strategy="none", ignore_labels=("O",), stride=None):
        entities = []
        for row, logits in zip(rows, outputs):
            scores = _softmax(logits[:len(row)])
            pieces = self._pieces(text, row, scores)
            grouped = self._aggregate(pieces, aggregation_strategy)
            entities += [e for e in grouped if e.get("entity", e.get("entity_group")) not in ignore_labels]
        return _resolve_overlaps(entities) if len(rows) > 1 else entities

    def _label(self, i):
        return self.labels[i] if self.labels else f"LABEL_{i}"

    def _pieces(self, text, row, scores):
        """Every non-special piece: its string, scores, offsets, position, and whether it continues a word."""
        pieces = []
        for index, (token, (start, end), seq) in enumerate(zip(row.ids, row.offsets, row.sequence_ids)):
            if seq is None:
                continue
            word = self.tokenizer.id_to_piece(token)
            subword = start > 0 and " " not in text[start - 1:start + 1]
            if token == UNK_ID:  # the original characters say more than "<unk>"
                word, subword = text[start:end], False
            pieces.append({"word": word, "scores": scores[index], "start": start, "end": end, "index": index,
                           "is_subword": subword})
        return pieces

    def _aggregate(self, pieces, strategy):
        if strategy in ("none", "simple"):
            labelled = [{"entity": self._label(int(p["scores"].argmax())), "score": float(p["scores"].max()),
                         "index": p["index"], "word": p["word"], "start": p["start"], "end": p["end"]}
                        for p in pieces]
        else:
            labelled = [self._word(w, strategy) for w in _words(pieces)]
        return labelled if strategy == "none" else self._group(labelled)

    def _word(self, pieces, strategy):
        """A word's pieces -> one labelled word."""
        if strategy == "first":
            scores = pieces[0]["scores"]
        elif strategy == "max":
            scores = max(pieces, key=lambda p: p["scores"].max())["scores"]
        else:
            scores = np.nanmean(np.stack([p["scores"] for p in pieces]), axis=0)
        best = int(scores.argmax())
        return {"entity": self._label(best), "score": float(scores[best]),
                "word": decode_pieces([p["word"] for p in pieces]),
                "start": pieces[0]["start"], "end": pieces[-1]["end"]}

    def _group(self, labelled):
        """Adjacent items of one entity type -> one group; a B- tag always starts a new one."""
        groups, current = [], []
        for item in labelled:
            bi, tag = _tag(item["entity"])
            if current and (tag != _tag(current[-1]["entity"])[1] or bi == "B"):
                groups.append(self._entity_group(current))
                current = []
            current.append(item)
        if current:
            groups.append(self._entity_group(current))
        return groups

    def _entity_group(self, items):
        return {"entity_group": items[0]["entity"].split("-", 1)[-1],
                "score": float(np.nanmean([i["score"] for i in items])),
                "word": decode_pieces([i["word"] for i in items]),
                "start": items[0]["start"], "end": items[-1]["end"]}


def _words(pieces):
    words = []
    for p in pieces:
        if words and p["is_subword"]:
            words[-1].append(p)
        else:
            words.append([p])
    return words


def _tag(label):
    """'B-PER' -> ('B', 'PER'); 'I-PER' -> ('I', 'PER'); a label without a prefix continues: ('I', label)."""
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


def _resolve_overlaps(entities):
    """Entities from overlapping windows, by start: of two overlapping, the longer (then the surer) is kept."""
    if not entities:
        return entities
    entities = sorted(entities, key=lambda e: e["start"])
    kept, previous = [], entities[0]
    for e in entities:
        if previous["start"] <= e["start"] < previous["end"]:
            length, previous_length = e["end"] - e["start"], previous["end"] - previous["start"]
            if length > previous_length or length == previous_length and e["score"] > previous["score"]:
                previous = e
        else:
            kept.append(previous)
            previous = e
    kept.append(previous)
    return kept
