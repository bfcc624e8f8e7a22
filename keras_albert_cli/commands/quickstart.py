"""`keras-albert quickstart`: fine-tune on Rotten Tomatoes, export, print the report, classify through int8 TFLite.

Offline by default: a small ALBERT with its own SentencePiece vocabulary trained on the train split only.
`--model albert-base-v2` (or any checkpoint `from_pretrained` reads) fine-tunes pretrained weights instead.
Everything is built in a staging folder beside --out and moved into place only when the int8 gate passed; a
failed gate moves it to `OUT.rejected` and exits 1.
"""
import os
import shutil
import sys
import time

EXAMPLES = ("A gripping, beautifully acted film that stays with you.",
            "Dull, predictable and far too long; I nearly fell asleep.",
            "The plot is thin, but the performances are a joy to watch.")
# A small ALBERT that learns the task from scratch in a few minutes on 2 CPU cores.
SMALL = dict(embedding_size=64, hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512,
             max_position_embeddings=128, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
# Its peak learning rate: at 5e-4 one start in six never left chance (validation accuracy 50%), at 3e-4 none of
# four, that one included; BENCHMARKS.md ("quickstart from scratch") has the seeds and rates measured.
SCRATCH_LEARNING_RATE = 3e-4


def register(sub):
    p = sub.add_parser("quickstart", help="fine-tune, export and classify on Rotten Tomatoes, end to end")
    p.add_argument("--model", default=None,
                   help="pretrained checkpoint (e.g. albert-base-v2, needs the network or a local copy); "
                        "default: a small ALBERT trained from scratch, offline")
    p.add_argument("--out", default="quickstart", help="output directory (default ./quickstart)")
    p.add_argument("--epochs", type=int, default=None, help="default 4 from scratch, 2 for a pretrained model")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--sequence-length", type=int, default=128)
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N sentences of each split (a quick check that everything runs)")
    p.add_argument("--variants", default="float32,dynamic_int8", help="add full_int8 to also write (and gate) it")
    p.add_argument("--max-accuracy-drop", type=float, default=None,
                   help="fail when an int8 variant loses more accuracy points than this against float (default 1.0)")
    p.add_argument("--seed", type=int, default=0,
                   help="draws the new weights, dropout and the shuffling: the same command on the same machine "
                        "gives the same model (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier quickstart in --out as a whole")
    p.set_defaults(run=run)


def _model_and_tokenizer(args, train_texts):
    import keras

    from keras_albert import AlbertBackbone, AlbertClassifier, AlbertConfig
    from keras_albert.tokenizer import train_vocab
    keras.utils.set_random_seed(args.seed)  # the new weights (a pretrained model's head) come from --seed
    if args.model:
        from keras_albert.pretrained import load_pretrained
        model, tokenizer, _ = load_pretrained(args.model, task="classification", num_classes=2)
        if tokenizer is None:
            raise ValueError(f"{args.model} comes without a SentencePiece vocabulary (spiece.model)")
        return model, tokenizer, 3e-5, args.epochs or 2
    print(f"training a {args.vocab_size}-piece SentencePiece vocabulary on the train split")
    tokenizer = train_vocab(train_texts, vocab_size=args.vocab_size)
    config = AlbertConfig(vocab_size=tokenizer.vocab_size, **SMALL)
    return AlbertClassifier(AlbertBackbone(config), 2), tokenizer, SCRATCH_LEARNING_RATE, args.epochs or 4


def _check(args, variants):
    from keras_albert_export.gate import DEFAULT_MAX_DROP, check_rejected_path
    from keras_albert_export.pipeline import check_options
    from keras_albert.staging import check_output
    max_drop = DEFAULT_MAX_DROP if args.max_accuracy_drop is None else args.max_accuracy_drop
    check_options(variants, args.sequence_length, args.limit, max_drop)
    for flag in ("epochs", "vocab_size"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be at least 1, got {getattr(args, flag)}")
    if not 0 <= args.seed < 2**32:
        raise ValueError(f"--seed must be between 0 and {2**32 - 1}, got {args.seed}")
    if not args.model and args.sequence_length > SMALL["max_position_embeddings"]:
        raise ValueError(f"--sequence-length {args.sequence_length} is longer than the small model's position "
                         f"table ({SMALL['max_position_embeddings']})")
    check_output(args.out, args.overwrite, inputs=(args.model,))
    check_rejected_path(args.out)
    return max_drop


def self_command():
    """How the user can run this program again: the script they ran, or python -m."""
    prog = sys.argv[0] if sys.argv else ""
    if os.path.basename(prog) == "keras-albert":
        found = shutil.which("keras-albert")
        return "keras-albert" if found and os.path.realpath(found) == os.path.realpath(prog) else prog
    return f"{sys.executable} -m keras_albert_cli.cli"


def run(args):
    from keras_albert_export import gate
    from keras_albert_cli.commands import Failed
    from keras_albert_cli.commands.classify import load
    from keras_albert_cli.text_args import shown
    from keras_albert_export.pipeline import export_all
    from keras_albert.data import LABEL_NAMES, splits
    from keras_albert.staging import staged_output
    from keras_albert.training import finetune
    from keras_albert_export.runtime import pack

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    max_drop = _check(args, variants)
    start = time.time()
    data = {k: (texts[:args.limit], labels[:args.limit]) for k, (texts, labels) in splits("rotten_tomatoes").items()}
    shipped = "dynamic_int8" if "dynamic_int8" in variants else variants[-1]
    final = os.path.join(args.out, "export", f"model_{shipped}.tflite")
    with staged_output(args.out, args.overwrite) as tmp:
        model_dir, export_dir = os.path.join(tmp, "model"), os.path.join(tmp, "export")
        model, tokenizer, learning_rate, epochs = _model_and_tokenizer(args, data["train"][0])
        print(f"fine-tuning {model.backbone.count_params():,}-parameter ALBERT for {epochs} epochs "
              f"on {len(data['train'][0])} sentences")
        result = finetune(model, tokenizer, data["train"], data["validation"], out_dir=model_dir,
                          labels=LABEL_NAMES, sequence_length=args.sequence_length, epochs=epochs,
                          learning_rate=learning_rate, heldout=data["test"], overwrite=True, verbose=2,
                          seed=args.seed)
        print(f"fine-tuned in {time.time() - start:.0f} s ({result.steps} steps)")
        report = export_all(model_dir, export_dir, variants=variants, sequence_length=args.sequence_length,
                            max_drop=max_drop, reject=False, log=lambda line: print(line.replace(tmp, args.out)))
        if not report["gate"]["passed"]:
            raise Failed(str(gate.reject(tmp, args.out, gate.failure_message(report))))
        classifier, tok, labels = load(os.path.join(export_dir, f"model_{shipped}.tflite"))
        print(f"\nclassifying with {shipped} TFLite ({final}):")
        for sentence in EXAMPLES:
            probabilities = classifier(pack(tok, sentence, args.sequence_length))
            best = int(probabilities.argmax())
            print(f"  {labels[best] if labels else best:>8}  {probabilities[best]:.3f}  {shown(sentence)}")
    print(f"\ndone in {time.time() - start:.0f} s; try: {self_command()} classify {final} \"your sentence\"")
    return 0
