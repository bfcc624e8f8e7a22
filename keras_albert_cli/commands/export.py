"""`keras-albert export MODEL --out DIR`: SavedModel, TFLite variants with on-device metadata, and the report.

A classifier gets all of it; a question answerer, token classifier or multiple-choice model gets its SavedModel,
TFLite variants (the question answerer at a fixed window, 384 pieces by default), spiece.model, labels.txt and
the report (`keras_albert_export.tasks` says what each task's export holds).

Everything is written into a staging folder beside DIR and moved into place only when complete and gated:
each int8 variant is scored against the float model on the model's own held-out data (its `heldout.jsonl`,
question answering's `heldout.json`, or --data FILE) by the task's metric (accuracy, SQuAD F1, entity F1), and
one that loses more than --max-metric-drop points sends the whole export to `DIR.rejected` instead, with exit
status 1.
"""
def register(sub):
    p = sub.add_parser("export", help="export a classifier (single-label, multi-label, regression), question "
                                      "answerer, token classifier or multiple-choice model: TFLite (float32/int8), "
                                      "SavedModel and a report")
    p.add_argument("model", help="model directory (model.keras, spiece.model, labels.txt, heldout.jsonl)")
    p.add_argument("--out", required=True, help="output directory (must not exist or be empty, see --overwrite)")
    p.add_argument("--variants", default="float32,dynamic_int8",
                   help="comma-separated TFLite variants: float32, dynamic_int8, full_int8 (opt-in, see docs/export.md)")
    p.add_argument("--compat", choices=["tflite-2.14"], default=None,
                   help="per-tensor int8 weights that old runtimes (tflite-runtime 2.14) can load")
    p.add_argument("--metadata", choices=["auto", "on", "off"], default="auto",
                   help="MediaPipe TextClassifier metadata (tokenizer + labels inside the .tflite); "
                        "auto: skip with a warning when the writer cannot be set up")
    p.add_argument("--buckets", default="", help="also write fixed-length signatures, e.g. 16,32,64,128")
    p.add_argument("--sequence-length", type=int, default=None,
                   help="longest input in tokens (default: the model's position table, where the pipelines cut "
                        "too; question answering: a fixed window of 384)")
    p.add_argument("--data", default=None,
                   help="held-out data for the int8 gate, in the task's format: classification a .csv/.tsv/.jsonl "
                        "file labelled with the model's label names, or rotten_tomatoes / imdb (test split); question "
                        "answering SQuAD JSON; token classification CoNLL text or .jsonl of tokens and tags; "
                        "default: the model's heldout.jsonl (question answering: heldout.json)")
    p.add_argument("--text-column", action="append", help="text column(s) of --data; twice for pairs (default: text)")
    p.add_argument("--label-column", default="label", help="label column of --data (default: label)")
    p.add_argument("--limit", type=int, default=None,
                   help="gate on only the first N held-out examples (sentences, questions; N >= 1)")
    p.add_argument("--max-metric-drop", "--max-accuracy-drop", dest="max_metric_drop", type=float, default=None,
                   help="fail (exit 1, the export moved to OUT.rejected) when an int8 variant loses more points of "
                        "the task's main metric (accuracy, SQuAD F1, entity F1, multi-label micro F1, regression "
                        "Pearson x100) than this against float (0-100, default 1.0); --max-accuracy-drop is the same "
                        "option under its older name")
    p.add_argument("--no-gate", action="store_true",
                   help="do not fail on the int8 metric (still measured and reported when held-out data exists)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder as a whole")
    p.set_defaults(run=run)


def _int_list(text, what):
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{what} must be comma-separated integers, got {text!r}") from None


def max_drop_of(args):
    """--max-metric-drop (alias --max-accuracy-drop) / --no-gate -> the gate's margin (None: no gate); they
    contradict each other."""
    from keras_albert_export.gate import DEFAULT_MAX_DROP
    if args.no_gate and args.max_metric_drop is not None:
        raise ValueError("--no-gate and --max-metric-drop (--max-accuracy-drop) contradict each other: give one")
    return None if args.no_gate else DEFAULT_MAX_DROP if args.max_metric_drop is None else args.max_metric_drop


def run(args):
    from keras_albert_export.gate import GateFailed
    from keras_albert_export.pipeline import export_all
    from keras_albert_cli.commands import Failed
    try:
        export_all(args.model, args.out, variants=[v.strip() for v in args.variants.split(",") if v.strip()],
                   compat=args.compat, metadata=args.metadata, buckets=_int_list(args.buckets, "--buckets"),
                   sequence_length=args.sequence_length, data=args.data, text_columns=args.text_column,
                   label_column=args.label_column, limit=args.limit, max_drop=max_drop_of(args),
                   overwrite=args.overwrite)
    except GateFailed as e:
        raise Failed(str(e)) from None
