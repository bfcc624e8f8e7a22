"""`keras-albert tag MODEL "text" ...`: named entities (or any token tags) with the `token-classification`
pipeline, as character spans of the text given.

Texts come from the command line and/or a file (`--file FILE`, `-` for standard input), one per line. Output: one
line per entity, `label<TAB>score<TAB>start<TAB>end<TAB>word`, then a blank line after each text; `--json`
prints the pipeline's list of entities per text.
"""
import json

STRATEGIES = ("none", "simple", "first", "average", "max")


def register(sub):
    p = sub.add_parser("tag", help="tag the tokens of texts (named entities) with a token-classification model")
    p.add_argument("model", help="model directory, HF directory or hub id, or TF1 checkpoint directory")
    p.add_argument("texts", nargs="*", help="texts to tag; `-` reads standard input, one per line")
    p.add_argument("-f", "--file", help="read texts from FILE, one per line (`-`: standard input)")
    p.add_argument("--aggregation-strategy", default="simple", choices=STRATEGIES,
                   help="how pieces join into entities (transformers' names; default: simple)")
    p.add_argument("--ignore-labels", default="O", help="comma-separated labels not to print (default: O)")
    p.add_argument("--json", action="store_true", help="print the pipeline's entities per text as JSON")
    p.set_defaults(run=run, more_positionals="texts")


def run(args):
    from keras_albert.pipelines import pipeline
    from keras_albert_cli.commands.classify import read_sentences, shown
    texts = [t for arg in args.texts for t in (read_sentences("-") if arg == "-" else [arg])]
    texts += read_sentences(args.file) if args.file else []
    if not texts:
        raise ValueError("no texts: give them as arguments or with --file FILE (`-` for standard input)")
    ignore = [label for label in args.ignore_labels.split(",") if label]
    tagger = pipeline("token-classification", model=args.model, aggregation_strategy=args.aggregation_strategy,
                      ignore_labels=ignore, truncation=True)
    for text in texts:
        entities = tagger(text)
        if args.json:
            print(json.dumps({"text": text, "entities": entities}, ensure_ascii=False))
            continue
        for e in entities:
            label = e.get("entity_group", e.get("entity"))
            print(f"{label}\t{e['score']:.4f}\t{e['start']}\t{e['end']}\t{shown(text[e['start']:e['end']])}")
        print()
