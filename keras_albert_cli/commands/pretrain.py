"""`keras-albert pretrain --corpus FILES --out DIR`: write MLM + SOP shards, then train an AlbertPretrainer
(or `--shards FOLDER`: train on what `keras-albert pretrain-data` streamed to disk).

DIR is built in a fixed hidden staging folder beside it (`.DIR.partial`) and moved into place when training is
complete: a killed run leaves DIR as it was, and the same command run again resumes from the staging folder.
`--recipe` (keras_albert.config.PRETRAIN_RECIPES) sets the training values; each flag given replaces one.
`--strategy multi_worker`: run the same command on every machine (TF_CONFIG names each one's task); the chief
publishes DIR, the other workers stage in `.DIR.partial-worker-N` and remove it when done.
"""
import json
import os
import shutil

from keras_albert_cli.commands import add_training_verbose

MODEL_FLAGS = {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024,
               "embedding_size": 128}


def register(sub):
    p = sub.add_parser("pretrain", help="pretrain ALBERT (MLM + sentence-order prediction) on your text")
    p.add_argument("--shards", help="train from a `keras-albert pretrain-data` folder instead of --corpus "
                                    "(streamed from disk; its spiece.model is the vocabulary)")
    p.add_argument("--corpus", nargs="+",
                   help="text files (one sentence per line, blank line between documents), or imdb / rotten_tomatoes "
                        "(their seed-0 training split only: no validation or test sentence is pretrained on)")
    p.add_argument("--out", required=True, help="output directory (shards/, model.keras, spiece.model, report)")
    p.add_argument("--spiece", help="an existing spiece.model (default: train one on the corpus)")
    p.add_argument("--init", help="continue pretraining a checkpoint (model directory, HF directory or hub id, "
                                  "TF1 checkpoint): its shape, weights and vocabulary; shape flags are ignored")
    p.add_argument("--vocab-size", type=int, default=8000,
                   help="pieces of the vocabulary trained on the corpus (default: %(default)s)")
    p.add_argument("--preset", help="model shape from a preset (default: a small ALBERT, see --hidden-size ...)")
    for name, value in MODEL_FLAGS.items():
        p.add_argument("--" + name.replace("_", "-"), type=int, default=value, help="(default: %(default)s)")
    from keras_albert.config import PRETRAIN_RECIPES
    p.add_argument("--recipe", default="default", choices=tuple(PRETRAIN_RECIPES),
                   help="; ".join(f"{k}: {r.describe()}" for k, r in PRETRAIN_RECIPES.items())
                   + ". Flags given below replace the recipe's value")
    p.add_argument("--sequence-length", type=int, help="(from --recipe)")
    p.add_argument("--max-predictions", type=int, help="masked positions per sequence (from --recipe)")
    p.add_argument("--ngram", type=int, choices=(1, 2, 3), help="n-gram masking, n up to this (from --recipe)")
    p.add_argument("--whole-word", action="store_true", help="mask whole words (SentencePiece boundaries)")
    p.add_argument("--dupe-factor", type=int, default=1, help="maskings per document")
    p.add_argument("--eval-fraction", type=float, default=0.02,
                   help="share of the documents held out to evaluate on (default: %(default)s)")
    p.add_argument("--steps", type=int, help="optimizer steps to train, exactly (from --recipe)")
    p.add_argument("--steps-per-log", type=int, default=200, help="evaluate and log every N steps (and at the end)")
    p.add_argument("--batch-size", type=int, help="global batch, over all devices and workers (from --recipe)")
    p.add_argument("--learning-rate", type=float, help="peak learning rate (from --recipe)")
    p.add_argument("--warmup-ratio", type=float, help="share of --steps spent warming up (from --recipe)")
    p.add_argument("--optimizer", choices=("lamb", "adamw"), help="(from --recipe)")
    p.add_argument("--strategy", default="default",
                   help="default, mirrored (all local GPUs), multi_worker (machines named by TF_CONFIG; needs "
                        "--shards on storage every worker reads), tpu; on JAX data_parallel")
    p.add_argument("--mixed-precision", choices=("mixed_bfloat16", "mixed_float16"),
                   help="compute in 16 bits, weights in float32 (default: float32 throughout)")
    p.add_argument("--seed", type=int, default=0,
                   help="masking, the split and the initial weights (default: %(default)s)")
    add_training_verbose(p, "log")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder as a whole")
    p.set_defaults(run=run)


def resolve_recipe(args):
    """Fill the training flags not given on the command line from `--recipe`."""
    import dataclasses

    from keras_albert.config import PretrainRecipe, pretrain_recipe
    names = [f.name for f in dataclasses.fields(PretrainRecipe)]
    recipe = pretrain_recipe(args.recipe, **{k: getattr(args, k) for k in names})
    for k in names:
        setattr(args, k, getattr(recipe, k))
    return args


def run(args):
    import dataclasses

    from keras_albert.pretraining_data import read_corpus
    from keras_albert.staging import check_output, staged_output, staging_path
    from keras_albert.tokenizer import AlbertTokenizer, train_vocab

    resolve_recipe(args)
    if args.strategy == "multi_worker" and not args.shards:
        raise ValueError("--strategy multi_worker trains from --shards: make them once with keras-albert "
                         "pretrain-data on storage every worker reads")
    dist = None
    if args.strategy in ("multi_worker", "tpu"):
        from keras_albert.training import get_strategy
        dist = get_strategy(args.strategy)  # before TensorFlow runs anything
    for flag in ("steps", "steps_per_log", "batch_size", "max_predictions", "vocab_size", "dupe_factor"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be at least 1, got {getattr(args, flag)}")
    if args.sequence_length < 8:  # as pretrain-data: [CLS] A [SEP] B [SEP] leaves too little room for a pair
        raise ValueError(f"--sequence-length {args.sequence_length} is out of range: it must be at least 8")
    if not 0 <= args.warmup_ratio <= 1:
        raise ValueError(f"--warmup-ratio must be between 0 and 1, got {args.warmup_ratio}")
    if not 0 < args.learning_rate < float("inf"):
        raise ValueError(f"--learning-rate must be a number above 0, got {args.learning_rate}")
    if not 0 < args.eval_fraction < 1:
        raise ValueError(f"--eval-fraction must be between 0 and 1, got {args.eval_fraction}")
    if bool(args.corpus) == bool(args.shards):
        raise ValueError("give --corpus FILES or --shards FOLDER (made by keras-albert pretrain-data), not both")
    shape = None if args.init else _model_shape(args)  # --init's shape is checked once it is loaded
    check_output(args.out, args.overwrite, inputs=(*(args.corpus or ()), args.shards, args.init, args.spiece))
    documents = read_corpus(args.corpus) if args.corpus else None
    split = _held_out(documents, args) if documents else None  # (training, evaluation) documents
    start, tokenizer = None, None
    if args.init:
        from keras_albert.pretrained import load_pretrained
        start, tokenizer, _ = load_pretrained(args.init, task="pretraining")
        if args.sequence_length > start.config.max_position_embeddings:
            raise ValueError(f"--sequence-length {args.sequence_length} is longer than {args.init}'s position "
                             f"table ({start.config.max_position_embeddings})")
    if args.spiece:
        tokenizer = AlbertTokenizer.from_file(args.spiece)
    elif args.shards and start is None:
        tokenizer = AlbertTokenizer.from_file(os.path.join(args.shards, "spiece.model"))
    elif start is None:
        tokenizer = train_vocab([s for d in documents for s in d], vocab_size=args.vocab_size)  # warns if smaller
    if tokenizer is None:
        raise ValueError(f"{args.init} has no spiece.model; pass the checkpoint's vocabulary with --spiece")
    if args.shards:
        from keras_albert.pretraining_data import load_shards
        load_shards(args.shards, tokenizer, args.sequence_length)  # a wrong folder is refused before any work
    config = start.config if start is not None else dataclasses.replace(shape, vocab_size=tokenizer.vocab_size)
    from keras_albert.training.strategies import is_chief, task_id
    if not is_chief(dist):  # a multi-worker worker: trains beside the chief, publishes nothing
        tmp = staging_path(args.out, f"partial-worker-{task_id(dist)}")
        os.makedirs(tmp, exist_ok=True)
        history = _shards_and_training(args, split, tokenizer, config, start, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"worker {task_id(dist)}: trained {history['steps']} steps; the chief writes the model to {args.out}")
        return
    with staged_output(args.out, args.overwrite, staging=staging_path(args.out, "partial")) as tmp:
        history = _shards_and_training(args, split, tokenizer, config, start, tmp)
    prefix = "val_" if "val_mlm_logits_accuracy" in history else ""
    print(f"trained {history['steps']} steps; {'eval' if prefix else 'train'} MLM accuracy "
          f"{history[prefix + 'mlm_logits_accuracy'][-1]:.4f}, "
          f"SOP accuracy {history[prefix + 'sop_logits_accuracy'][-1]:.4f}; model in {args.out}")


def _shards_and_training(args, split, tokenizer, config, start, out):
    from keras_albert.training.pretrain import pretrain

    if args.shards:
        from keras_albert.pretraining_data import load_shards
        manifest = load_shards(args.shards, tokenizer, args.sequence_length)
        train, evals, max_predictions = manifest["train"], manifest["eval"], manifest["max_predictions"]
    else:
        train, evals = _corpus_shards(args, split, tokenizer, out)
        max_predictions = args.max_predictions
    _, history = pretrain(config, tokenizer, train, out_dir=out,
                          eval_shards=evals, sequence_length=args.sequence_length,
                          max_predictions=max_predictions, steps=args.steps, steps_per_log=args.steps_per_log,
                          batch_size=args.batch_size, learning_rate=args.learning_rate, optimizer=args.optimizer,
                          warmup_ratio=args.warmup_ratio,
                          strategy=args.strategy, mixed_precision=args.mixed_precision, seed=args.seed,
                          verbose=args.verbose, overwrite=True,
                          initial_weights=None if start is None else start.get_weights())
    with open(os.path.join(out, "pretrain_history.json"), "w") as f:
        json.dump(history, f, indent=2)
    return history


def _model_shape(args):
    """The model's config (its vocabulary size still a placeholder) from --preset or the shape flags, refused in
    the flags' terms before the vocabulary and shards are made: a sequence longer than the position table."""
    from keras_albert import AlbertConfig, get_preset
    if args.preset:
        shape = get_preset(args.preset)
        if args.sequence_length > shape.max_position_embeddings:
            raise ValueError(f"--sequence-length {args.sequence_length} is longer than --preset {args.preset}'s "
                             f"position table ({shape.max_position_embeddings})")
        return shape
    for flag in MODEL_FLAGS:
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be at least 1, got {getattr(args, flag)}")
    if args.hidden_size % args.num_attention_heads:
        raise ValueError(f"--hidden-size {args.hidden_size} is not divisible by --num-attention-heads "
                         f"{args.num_attention_heads}")
    return AlbertConfig(max_position_embeddings=max(args.sequence_length, 128),
                        **{k: getattr(args, k) for k in MODEL_FLAGS})


def _held_out(documents, args):
    """(training documents, evaluation documents): the first --eval-fraction of a seeded shuffle, at least one,
    held out; refused in one line, before any work, when no training document can make a sentence-order pair."""
    import numpy as np

    order = np.random.default_rng(args.seed).permutation(len(documents))
    n_eval = max(1, int(len(documents) * args.eval_fraction))
    train, evals = [documents[i] for i in order[n_eval:]], [documents[i] for i in order[:n_eval]]
    if not any(len(d) >= 2 for d in train):
        raise ValueError(f"no training examples in {len(documents):,} document(s) after holding out {n_eval:,} for "
                         "evaluation: a document needs two or more sentences (lines), documents split by a blank "
                         "line")
    return train, evals


def _corpus_shards(args, split, tokenizer, out):
    """The corpus's MLM + SOP examples as shards in `out/shards` (in memory: `pretrain-data` streams)."""
    from keras_albert.pretraining_data import make_examples, write_shards

    train_documents, eval_documents = split
    shards = os.path.join(out, "shards")
    opts = dict(sequence_length=args.sequence_length, max_predictions=args.max_predictions, max_ngram=args.ngram,
                whole_word=args.whole_word, seed=args.seed)
    train = make_examples(train_documents, tokenizer, dupe_factor=args.dupe_factor, **opts)
    evals = make_examples(eval_documents, tokenizer, **opts)
    if not len(train["sop_label"]):
        raise ValueError("no training examples: every sentence-order pair of the corpus was cut short")
    write_shards(train, shards, num_shards=8, prefix="train")
    write_shards(evals, shards, num_shards=1, prefix="eval")
    print(f"{len(train_documents) + len(eval_documents):,} documents -> {len(train['sop_label']):,} train / "
          f"{len(evals['sop_label']):,} eval examples in {os.path.join(args.out, 'shards')}")
    return os.path.join(shards, "train-*"), os.path.join(shards, "eval-*")
