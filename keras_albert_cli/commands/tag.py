"""`keras-albert tag MODEL "text" ...`: named entities (or any token tags) with the `token-classification`
pipeline, as character spans of the text given.

Texts come from the command line and/or a file (`--file FILE`, `-` for standard input), one per line. Output: one
line per entity, `label<TAB>score<TAB>start<TAB>end<TAB>word`, then a blank line after each text; `--json`
prints the pipeline's list of entities per text. A MODEL ending in .tflite (written by `keras-albert export`) runs in
the TFLite runtime, its entities grouped by the pipeline's own code: the same output.
"""
import json

STRATEGIES = ("none", "simple", "first", "average", "max")


def register(sub):
    p = sub.add_parser("tag", help="tag the tokens of texts (named entities) with a token-classification model")
    p.add_argument("model", help="model directory, HF directory or hub id, TF1 checkpoint directory, or an exported "
                                        ".tflite (spiece.model and labels.txt beside it)")
    p.add_argument("texts", nargs="*", help="texts to tag; `-` reads standard input, one per line")
    p.add_argument("-f", "--file", help="read texts from FILE, one per line (`-`: standard input)")
    p.add_argument("--aggregation-strategy", default="simple", choices=STRATEGIES,
                   help="how pieces join into entities (transformers' names; default: simple)")
    p.add_argument("--ignore-labels", default="O", help="comma-separated labels not to print (default: O)")
    p.add_argument("--json", action="store_true", help="print the pipeline's entities per text as JSON")
    p.set_defaults(run=run, more_positionals="texts")


def run(args):
    from keras_albert_cli.text_args import check_not_blank, read_sentences, shown
    texts = [t for arg in args.texts for t in (read_sentences("-") if arg == "-" else [arg])]
    texts += read_sentences(args.file) if args.file else []
    if not texts:
        raise ValueError("no texts: give them as arguments or with --file FILE (`-` for standard input)")
    check_not_blank(texts, "text")
    ignore = [label for label in args.ignore_labels.split(",") if label]
    tagger = _tagger(args.model, dict(aggregation_strategy=args.aggregation_strategy, ignore_labels=ignore))
    for text in texts:
        entities = tagger(text)
        if args.json:
            print(json.dumps({"text": text, "entities": entities}, ensure_ascii=False))
            continue
        for e in entities:
            label = e.get("entity_group", e.get("entity"))
            print(f"{label}\t{e['score']:.4f}\t{e['start']}\t{e['end']}\t{shown(text[e['start']:e['end']])}")
        print()


def _tagger(model, options):
    """text -> entities, from the Keras pipeline or, for a .tflite, the TFLite runtime."""
    if str(model).endswith(".tflite"):
        from keras_albert.pipelines.token_classification import tag_options
        from keras_albert_export.tasks import load_runtime
        tag_options(**options)
        runtime = load_runtime(model, "token_classification")
        return lambda text: runtime(text, **options)
    from keras_albert.pipelines import pipeline
    return pipeline("token-classification", model=model, truncation=True, **options)
