"""Entity-level precision / recall / F1 for tagging (CoNLL NER), computed by seqeval.

An entity counts only when its type and both ends match. IOB1 and IOB2 are scored as conlleval.pl scores
them (seqeval's default mode: an `I-X` after `O` starts an entity); IOBES needs seqeval's strict mode, where
the scheme's own rules decide which spans are entities (`strict=True` asks for it with IOB1/IOB2 too).
"""
import warnings

SCHEMES = ("IOB1", "IOB2", "IOBES")
_PREFIXES = {"IOB1": "BI", "IOB2": "BI", "IOBES": "BIES"}


def entity_scores(gold_tags, predicted_tags, scheme="IOB2", strict=None):
    """gold_tags, predicted_tags: one list of tags per sentence.

    -> {"precision", "recall", "f1", "support" (gold entities), "per_type": {type: {precision, recall, f1,
    support}}}, scores in 0-1 (micro-averaged over entities, as CoNLL reports them).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tagging scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    strict = scheme == "IOBES" if strict is None else strict
    if scheme == "IOBES" and not strict:
        raise ValueError("IOBES is scored in strict mode only (conlleval does not know E- and S- tags)")
    gold, predicted = [list(s) for s in gold_tags], [list(s) for s in predicted_tags]
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
        for side, tags in (("gold", g), ("predicted", p)):
            for j, tag in enumerate(tags):
                if not _valid(tag, scheme):
                    raise ValueError(f"sentence {i}, token {j}: {side} tag {tag!r} is not an {scheme} tag "
                                     f"(O or {'/'.join(_PREFIXES[scheme])}-TYPE)")
    from seqeval import scheme as schemes  # imports scikit-learn: only when scoring
    from seqeval.metrics import classification_report
    options = {"mode": "strict", "scheme": getattr(schemes, scheme)} if strict else {}
    with warnings.catch_warnings():  # no entity at all: seqeval averages an empty list (0 is the answer)
        warnings.simplefilter("ignore", RuntimeWarning)
        report = classification_report(gold, predicted, output_dict=True, zero_division=0, **options)
    micro = report.pop("micro avg")
    for name in ("macro avg", "weighted avg"):
        report.pop(name, None)
    return {**_row(micro), "per_type": {name: _row(row) for name, row in sorted(report.items())}}


def _valid(tag, scheme):
    if tag == "O":
        return True
    prefix, dash, kind = tag.partition("-")
    return bool(dash) and bool(kind) and len(prefix) == 1 and prefix in _PREFIXES[scheme]


def _row(row):
    return {"precision": float(row["precision"]), "recall": float(row["recall"]), "f1": float(row["f1-score"]),
            "support": int(row["support"])}
