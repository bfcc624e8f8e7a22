"""`keras-albert classify MODEL.tflite "a sentence" ...`: run an exported TFLite classifier in Python.

The vocabulary and labels come from the model's metadata, or from spiece.model / labels.txt beside it.
Sentences come from the command line and/or a file (`--file FILE`; `-` reads stdin), one per line. The output
is one line per sentence, `label<TAB>probability<TAB>sentence`, with the sentence escaped (tabs, newlines,
terminal escape sequences and other invisible characters as `\\t`, `\\n`, `\\x1b`, ...) so every sentence stays
on its own line and nothing reaches the terminal as a command; `--json` prints one JSON object per line.
A sentence-pair model (`finetune --task pair_classification`) takes each sentence's second text with `--pair`
(once per sentence, in order); its lines add `<TAB>pair`. A multi-label classifier's line starts with the labels
above 0.5 and their probabilities (comma-separated, `-` for none), a regression model's with its score.
"""
import json

from keras_albert_cli.text_args import check_not_blank, check_threads, read_sentences, shown

def register(sub):
    p = sub.add_parser("classify", help="classify sentences with an exported .tflite model")
    p.add_argument("model", help="a .tflite written by `keras-albert export`")
    p.add_argument("sentences", nargs="*", help="sentences to classify; `-` reads standard input, one per line")
    p.add_argument("-f", "--file", help="read sentences from FILE, one per line (`-`: standard input)")
    p.add_argument("--pair", action="append", default=None, metavar="TEXT",
                   help="the second text of a sentence pair, once per sentence in order (pair classifiers)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per sentence: text, label, score, probabilities by label")
    p.add_argument("--threads", type=int, default=2, help="CPU threads of the runtime (default: %(default)s)")
    p.add_argument("--sequence-length", type=int, default=None,
                   help="longest input in tokens (at least 3; default: where the file cuts, its export's length)")
    p.add_argument("--weight-cache", action="store_true",
                   help="run with LiteRT's CompiledModel and XNNPACK's weight cache (faster, far less memory "
                        "for large models)")
    p.set_defaults(run=run, more_positionals="sentences")  # sentences may also follow options


def load(model_path, threads=2, weight_cache=False):
    """-> (runtime, AlbertTokenizer, labels) from a .tflite and its metadata or sibling files: the runtime of the
    classifier problem the file's outputs name (single-label, multi-label or regression)."""
    from keras_albert_export import tasks
    from keras_albert_export.runtime import TFLiteClassifier, read_exported, signature_outputs
    content, tokenizer, labels = read_exported(model_path)
    task = tasks.of_outputs(signature_outputs(content))
    runtime = task.runtime_class() if task else TFLiteClassifier
    if not issubclass(runtime, TFLiteClassifier):
        raise ValueError(f"{model_path} is a {task.name} model: run it with `keras-albert {task.command}` "
                         "(classify runs classifiers: single-label, multi-label, regression)")
    return runtime(model_content=content, num_threads=threads, weight_cache=weight_cache), tokenizer, labels


def run(args):
    from keras_albert_export.runtime import pack
    if args.sequence_length is not None and args.sequence_length < 3:
        raise ValueError(f"--sequence-length must be at least 3 ([CLS] a token [SEP]), got {args.sequence_length}")
    check_threads([args.threads])
    sentences = [s for arg in args.sentences for s in (read_sentences("-") if arg == "-" else [arg])]
    sentences += read_sentences(args.file) if args.file else []
    if not sentences:
        raise ValueError("no sentences: give them as arguments or with --file FILE (`-` for standard input)")
    pairs = args.pair if args.pair is not None else [None] * len(sentences)
    if len(pairs) != len(sentences):
        raise ValueError(f"{len(sentences)} sentences but {len(pairs)} --pair texts: give one --pair per sentence")
    check_not_blank([s + " " + (p or "") for s, p in zip(sentences, pairs)], "sentence")  # (one side may be empty)
    classifier, tokenizer, labels = load(args.model, args.threads, args.weight_cache)
    length = args.sequence_length or classifier.input_limit or 128  # the file's own cut: MediaPipe's answer
    for sentence, pair in zip(sentences, pairs):
        result = classifier.result(classifier(pack(tokenizer, sentence, length, text_pair=pair)), labels)
        if args.json:  # ensure_ascii: control characters and lone surrogates as \\u escapes, valid JSON
            print(json.dumps({"text": sentence, **({} if pair is None else {"text_pair": pair}), **result}))
        else:
            print("\t".join(classifier.columns(result) + [shown(sentence)] + ([] if pair is None else [shown(pair)])))
