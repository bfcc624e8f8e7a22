"""`keras-albert finetune [--task T] --model M --data D --out DIR`: fine-tune any task, report its test metric."""
import os

from keras_albert_cli.commands import add_training_verbose

# Every run splits its data the same way (README, docs/training.md): with --seed in the split, a second run (or one
# continuing a model, or on a vocabulary, trained on the seed-0 split) would test on sentences another run trained on.
SPLIT_SEED = 0


def register(sub):
    p = sub.add_parser("finetune", help="fine-tune ALBERT on a task (model.fit, resumable)")
    p.add_argument("--task", default="classification",
                   choices=("classification", "pair_classification", "regression", "token_classification",
                            "multiple_choice", "question_answering", "multi_label"),
                   help="classification: --text-column/--label-column table; pair_classification, regression: "
                        "GLUE-style pairs (MNLI, STS-B); token_classification: CoNLL text or .jsonl "
                        "{tokens, tags}; multiple_choice: RACE .jsonl; question_answering: SQuAD .json; "
                        "multi_label: .jsonl {text, labels: [...]} or .csv/.tsv text,labels with names joined by "
                        "'|' (default: classification)")
    p.add_argument("--model", required=True, help="a model directory (keras-albert pretrain/convert output) or a preset")
    p.add_argument("--data", required=True,
                   help="rotten_tomatoes, imdb, or a .csv/.tsv/.jsonl file (split 80/10/10 by one fixed seed-0 "
                        "permutation, whatever --seed: a test sentence never trains any run)")
    p.add_argument("--out", required=True,
                   help="output model directory (model.keras, labels.txt, report, heldout.jsonl or, question "
                        "answering, heldout.json: the test split); new or empty unless --overwrite")
    p.add_argument("--spiece", help="SentencePiece model (default: the model directory's spiece.model)")
    p.add_argument("--text-column", action="append", help="text column(s); twice for sentence pairs (default: text)")
    p.add_argument("--label-column", default="label", help="label column (default: %(default)s)")
    p.add_argument("--labels", metavar="A,B,...",
                   help="the class names, in id order (default: the training split's labels, sorted); any other "
                        "label in the data is then an error")
    p.add_argument("--skip-bad-rows", action="store_true", help="skip and count malformed rows instead of failing")
    p.add_argument("--sequence-length", type=int, default=128,
                   help="longest input in tokens, longer text cut (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=3, help="passes over the training split (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=32, help="global batch (default: %(default)s)")
    p.add_argument("--learning-rate", type=float, default=5e-5, help="peak learning rate (default: %(default)s)")
    p.add_argument("--warmup-ratio", type=float, default=0.1,
                   help="share of the steps spent warming up, then linear decay (default: %(default)s)")
    p.add_argument("--optimizer", default="adamw", choices=("adamw", "lamb"), help="(default: %(default)s)")
    p.add_argument("--strategy", default="default",
                   help="default | mirrored | multi_worker | tpu (TensorFlow), default | data_parallel (JAX)")
    p.add_argument("--mixed-precision", choices=("mixed_bfloat16", "mixed_float16"),
                   help="compute in 16 bits, weights in float32 (default: float32 throughout)")
    p.add_argument("--early-stopping", type=int, metavar="PATIENCE", help="stop after PATIENCE epochs without gain")
    p.add_argument("--no-bucket", action="store_true", help="pad every batch to --sequence-length")
    p.add_argument("--seed", type=int, default=0,
                   help="the new head, dropout and the batch order; not the split (default: %(default)s)")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic TensorFlow ops: a rerun (or a resumed run) gives bit-identical weights")
    add_training_verbose(p, "epoch")
    p.add_argument("--new-head", action="store_true",
                   help="a fine-tuned --model's own head is dropped and a new one drawn on its backbone (fine-tune a "
                        "classifier again on other labels)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder as a whole")
    p.set_defaults(run=run)


def run(args):
    from keras_albert.datasets import load_splits, parse_labels
    from keras_albert.staging import check_output
    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert.training import finetune, get_strategy
    from keras_albert.training.finetune import check_hyperparameters

    check_output(args.out, args.overwrite, inputs=(args.model, args.data, args.spiece))  # before any work
    check_hyperparameters(sequence_length=args.sequence_length, epochs=args.epochs, batch_size=args.batch_size,
                          learning_rate=args.learning_rate, warmup_ratio=args.warmup_ratio, seed=args.seed,
                          early_stopping=args.early_stopping)
    labels = parse_labels(args.labels) if args.labels is not None else None
    if not os.path.exists(args.model) and args.spiece is None:
        raise ValueError(f"{args.model} is not a model directory; a preset needs --spiece")
    if args.strategy in ("multi_worker", "tpu"):
        get_strategy(args.strategy)  # before TensorFlow runs anything
    if args.task != "classification":
        return _run_task(args, labels)
    splits, labels, skipped = load_splits(args.data, tuple(args.text_column or ["text"]), args.label_column,
                                          args.skip_bad_rows, SPLIT_SEED, labels)
    _check_split_sizes(args.data, {name: texts for name, (texts, _) in splits.items()})
    if skipped:
        print(f"skipped {skipped} malformed row(s) of {args.data}")
    tokenizer = AlbertTokenizer.from_file(args.spiece) if args.spiece else None
    baseline = _baseline("classification", splits["train"], splits["test"])
    result = finetune(args.model, tokenizer, splits["train"], splits["validation"], out_dir=args.out, labels=labels,
                      sequence_length=args.sequence_length, epochs=args.epochs, batch_size=args.batch_size,
                      learning_rate=args.learning_rate, warmup_ratio=args.warmup_ratio, optimizer=args.optimizer,
                      strategy=args.strategy, mixed_precision=args.mixed_precision, seed=args.seed,
                      verbose=args.verbose, early_stopping=args.early_stopping, bucket=not args.no_bucket,
                      deterministic=args.deterministic, overwrite=args.overwrite, new_head=args.new_head,
                      heldout=splits["test"],
                      report_extra={"skipped_rows": skipped, "data": args.data, "baseline": baseline})
    test = result.test
    print(f"validation accuracy {result.metrics['accuracy']:.4f}, test accuracy {test['accuracy']:.4f} "
          f"(F1 {test['f1']:.4f}) over {len(splits['test'][0])} examples; model in {args.out}")
    _print_baseline(baseline)


def _check_split_sizes(data, splits):
    """{split: examples}: one line, before the model loads, when the data is too small for every split to get one."""
    if not splits["validation"] or not splits["test"]:
        raise ValueError(f"{data}: {sum(map(len, splits.values()))} examples are too few for an 80/10/10 split")


def _run_task(args, labels):
    """Every task but single-text classification: the task's reader, split 80/10/10, the task's main metric."""
    from keras_albert import tasks
    from keras_albert.data import split_rows
    from keras_albert.metrics import MAIN_METRIC
    from keras_albert.tokenizer import AlbertTokenizer
    from keras_albert.training import finetune

    _, recipe = tasks.recipe(args.task)
    records = recipe.reader(args.data, skip_bad_rows=args.skip_bad_rows)
    if records.skipped:
        print(f"skipped {records.skipped} malformed row(s) of {args.data}")
    parts = split_rows(list(records), [0] * len(records), seed=SPLIT_SEED)
    splits = {name: texts for name, (texts, _) in parts.items()}
    _check_split_sizes(args.data, splits)
    tokenizer = AlbertTokenizer.from_file(args.spiece) if args.spiece else None
    baseline = _baseline(recipe.metric_task, *(_texts_and_labels(splits[name]) for name in ("train", "test")))
    result = finetune(args.model, tokenizer, splits["train"], splits["validation"], out_dir=args.out,
                      task=args.task, labels=labels, sequence_length=args.sequence_length, epochs=args.epochs,
                      batch_size=args.batch_size, learning_rate=args.learning_rate, warmup_ratio=args.warmup_ratio,
                      optimizer=args.optimizer, strategy=args.strategy, mixed_precision=args.mixed_precision,
                      seed=args.seed, verbose=args.verbose, early_stopping=args.early_stopping,
                      bucket=not args.no_bucket, deterministic=args.deterministic, overwrite=args.overwrite,
                      new_head=args.new_head, heldout=splits["test"],
                      report_extra={"skipped_rows": records.skipped, "data": args.data, "baseline": baseline})
    metric = MAIN_METRIC[recipe.metric_task]
    print(f"validation {metric} {result.metrics[metric]:.4f}, test {metric} {result.test[metric]:.4f} over "
          f"{len(splits['test'])} examples; model in {args.out}")
    _print_baseline(baseline)


def _baseline(metric_task, train, test):
    """The bag-of-words model trained on the same train split and scored on the same test split, for the tasks
    it covers (classes, pairs, regression): the number the transformer has to beat (None for other tasks)."""
    from keras_albert.training.baseline import MODELS, fit_baseline
    if metric_task not in MODELS:
        return None
    try:
        return fit_baseline(metric_task, train, test)
    except ValueError as e:  # e.g. a tiny train split with one class: the fine-tuning itself may still run
        return {"not_trained": str(e).splitlines()[0]}


def _texts_and_labels(records):
    """A task reader's records -> (texts or (text, text_pair) pairs, labels), for the baseline."""
    texts = [(r["text"], r["text_pair"]) if "text_pair" in r else r.get("text") for r in records]
    return texts, [r["labels"] if "labels" in r else r.get("label") for r in records]


def _print_baseline(baseline):
    if baseline and "not_trained" in baseline:
        print(f"baseline not trained: {baseline['not_trained']}")
    elif baseline:
        metric = baseline["main_metric"]
        print(f"baseline ({baseline['model']}): test {metric} {baseline[metric]:.4f} on the same split")
