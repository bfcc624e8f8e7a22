"""`keras-albert answer MODEL --question Q --context C`: extractive question answering with the
`question-answering` pipeline (windows over long contexts, answers as spans of the context).

The context may come from a file (`--context-file FILE`, `-` for standard input), and many questions from a JSON
file (`--file FILE`: a list of {"question", "context"} objects, or JSON lines of them). Output: one line per
answer, `score<TAB>start<TAB>end<TAB>answer` (the answer escaped to stay on one line), best first; `--json`
prints the pipeline's own result per question. A MODEL ending in .tflite (written by `keras-albert export`) runs
in the TFLite runtime on the same windows, decoded by the pipeline's own code: the same output.
"""
import json
import os


def register(sub):
    p = sub.add_parser("answer", help="answer questions from a context with a question-answering model")
    p.add_argument("model", help="model directory, HF directory or hub id, TF1 checkpoint directory, or an exported "
                                        ".tflite (spiece.model beside it)")
    p.add_argument("-q", "--question", help="the question")
    p.add_argument("-c", "--context", help="the text the answer is taken from")
    p.add_argument("--context-file", help="read the context from FILE (`-`: standard input)")
    p.add_argument("-f", "--file", help='JSON list (or JSON lines) of {"question": ..., "context": ...}')
    p.add_argument("--top-k", type=int, default=1, help="answers per question, best first")
    p.add_argument("--max-answer-len", type=int, default=15, help="longest answer, in pieces")
    p.add_argument("--max-seq-len", type=int, help="window length in pieces (default: min(model, 384))")
    p.add_argument("--doc-stride", type=int, help="pieces shared by consecutive windows (default: window // 2, "
                                                   "at most 128)")
    p.add_argument("--handle-impossible-answer", action="store_true",
                   help="allow the empty answer (SQuAD 2.0 models)")
    p.add_argument("--json", action="store_true", help="print the pipeline's result per question as JSON")
    p.set_defaults(run=run)


def run(args):
    from keras_albert_cli.text_args import shown
    examples = _examples(args)
    options = dict(top_k=args.top_k, max_answer_len=args.max_answer_len,
                   handle_impossible_answer=args.handle_impossible_answer)
    options.update({k: v for k, v in (("max_seq_len", args.max_seq_len), ("doc_stride", args.doc_stride))
                    if v is not None})
    try:
        qa = _answerer(args.model, options)  # bad options fail before any answer
    except ValueError as e:  # the pipeline's words for them are its keyword names: say the flags
        message = str(e)
        for name in options:
            message = message.replace(name, "--" + name.replace("_", "-"))
        raise ValueError(message) from None
    for number, example in enumerate(examples, 1):
        try:
            result = qa(example["question"], example["context"])
        except ValueError as e:  # (a question too long for the window): which one, when there are many
            raise ValueError(f"{args.file}: item {number}: {e}" if args.file else e) from None
        if args.json:
            print(json.dumps({"question": example["question"], "answers": _as_list(result)}, ensure_ascii=False))
            continue
        for a in _as_list(result):
            print(f"{a['score']:.4f}\t{a['start']}\t{a['end']}\t{shown(a['answer'])}")


def _answerer(model, options):
    """(question, context) -> answers, from the Keras pipeline or, for a .tflite, the TFLite runtime."""
    if str(model).endswith(".tflite"):
        from keras_albert.pipelines.question_answering import answer_options
        from keras_albert_export.tasks import load_runtime
        runtime = load_runtime(model, "question_answering")
        answer_options(runtime.positions, **options)
        return lambda question, context: runtime(question, context, **options)
    from keras_albert.pipelines import pipeline
    qa = pipeline("question-answering", model=model, **options)
    return lambda question, context: qa(question=question, context=context)


def _as_list(result):
    return result if isinstance(result, list) else [result]


def _examples(args):
    """The questions asked, checked before the model loads."""
    if args.file:
        if args.question or args.context or args.context_file:
            raise ValueError("give --file, or --question with --context / --context-file, not both")
        return _read_examples(args.file)
    if args.question is None:
        raise ValueError("no question: give --question Q with --context C (or --context-file FILE), or --file")
    if not args.question.strip():
        raise ValueError("the question is empty")
    if (args.context is None) == (args.context_file is None):
        raise ValueError("give the context with --context C or --context-file FILE (one of them)")
    context = args.context if args.context is not None else _read_text(args.context_file)
    if not context.strip():
        raise ValueError("the context is empty")
    return [{"question": args.question, "context": context}]


def _read_text(path):
    """A file (`-`: standard input) as it is: answer offsets count its characters."""
    import sys
    if path == "-":
        return sys.stdin.read()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no context file at {path}")
    from keras_albert.datasets import utf8_lines
    return "".join(utf8_lines(path))  # (bytes that are not UTF-8: one line naming the file and line)


def _read_examples(path):
    from keras_albert_cli.json_items import read_json_items
    items = read_json_items(path)
    for i, item in enumerate(items):
        if not (isinstance(item, dict) and isinstance(item.get("question"), str)
                and isinstance(item.get("context"), str) and item["question"].strip() and item["context"].strip()):
            raise ValueError(f"{path}: item {i + 1} is not an object with a non-empty \"question\" and \"context\"")
    return items
