"""`keras-albert choose MODEL --question Q --context C --choice A --choice B ...`: multiple choice (RACE, SWAG)
with the `multiple-choice` pipeline, or with an exported .tflite in the TFLite runtime (the same packing).

Many questions come from a file (`--file FILE`: JSON lines, or a JSON list, of {"context", "question",
"choices"} objects, or RACE lines {"article", "question", "options"} as `finetune` reads them). Output: per
question, one line per choice, best first, `score<TAB>choice` (the choice escaped to stay on one line), and a
blank line between questions; `--json` prints one object per question.
"""
import json


def register(sub):
    p = sub.add_parser("choose", help="pick the best of several choices with a multiple-choice model")
    p.add_argument("model", help="model directory, HF directory or hub id, or an exported .tflite (spiece.model "
                                 "beside it)")
    p.add_argument("-q", "--question", help="the question (with a blank `_` for a cloze question)")
    p.add_argument("-c", "--context", help="the passage (SWAG: the sentence the choices continue)")
    p.add_argument("--choice", action="append", default=None, metavar="TEXT", help="one choice; repeat for each")
    p.add_argument("-f", "--file",
                   help='JSON lines (or a JSON list) of {"context", "question", "choices"}, or RACE lines')
    p.add_argument("--sequence-length", type=int, help="longest row in pieces (default: the model's position "
                                                        "table; a .tflite: where the file cuts)")
    p.add_argument("--json", action="store_true", help="one JSON object per question: its input and the choices "
                                                       "best first with their scores")
    p.set_defaults(run=run)


def run(args):
    from keras_albert_cli.text_args import shown
    if args.sequence_length is not None and args.sequence_length < 3:
        raise ValueError(f"--sequence-length must be at least 3, got {args.sequence_length}")
    items = _items(args)
    chooser = _chooser(args.model, args.sequence_length)
    for n, item in enumerate(items):
        result = chooser(item)
        if args.json:
            print(json.dumps({**item, "result": result}, ensure_ascii=False))
            continue
        if n:
            print()
        for r in result:
            print(f"{r['score']:.4f}\t{shown(r['choice'])}")


def _chooser(model, sequence_length):
    """item -> [{"choice", "score"}] best first, from the Keras pipeline or, for a .tflite, the TFLite runtime."""
    options = {} if sequence_length is None else {"max_length": sequence_length}
    if str(model).endswith(".tflite"):
        from keras_albert_export.runtime import read_with_files
        from keras_albert_export.tasks import load_runtime
        from keras_albert_export.tflite import input_limit
        limit = input_limit(read_with_files(model)[0])
        if sequence_length is not None and limit is not None and sequence_length > limit:  # as for a model dir
            raise ValueError(f"--sequence-length {sequence_length}: {model} cuts its input at {limit} tokens (its "
                             "export's --sequence-length)")
        return load_runtime(model, "multiple_choice", **options)
    from keras_albert.pipelines import pipeline
    return pipeline("multiple-choice", model=model, **options)


def _items(args):
    """The questions asked, checked before the model loads."""
    from keras_albert.pipelines.multiple_choice import check_item
    if args.file:
        if args.question or args.context or args.choice:
            raise ValueError("give --file, or --question / --context with --choice, not both")
        from keras_albert_cli.json_items import read_json_items
        items = [_from_race(item) for item in read_json_items(args.file)]
    else:
        if not args.choice or len(args.choice) < 2:
            raise ValueError("give at least two choices: --choice A --choice B (or --file FILE)")
        if args.question is None and args.context is None:
            raise ValueError("give the --question, the --context, or both")
        items = [{**({} if args.context is None else {"context": args.context}),
                  **({} if args.question is None else {"question": args.question}), "choices": args.choice}]
    for i, item in enumerate(items):
        try:
            check_item(i, item)
        except ValueError as e:
            raise ValueError(f"{args.file or 'the command line'}: {e}") from None
    return items


def _from_race(item):
    """A RACE line ({"article", "question", "options", "answer"}, what `finetune --task multiple_choice` reads)
    as the pipeline's input; any other object as it is."""
    from keras_albert.readers.race import race_item
    return race_item(item) if isinstance(item, dict) and "options" in item and "choices" not in item else item
