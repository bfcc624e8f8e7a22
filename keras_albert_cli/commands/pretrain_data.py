"""`keras-albert pretrain-data --corpus FILES --out SHARDS`: MLM + SOP shards, streamed, on 1..N processes or Beam."""
import shlex


def register(sub):
    p = sub.add_parser("pretrain-data", help="write pretraining shards (MLM + SOP) from a corpus of any size")
    p.add_argument("--corpus", nargs="+", required=True,
                   help="text files (one sentence per line, blank line between documents), or imdb / rotten_tomatoes "
                        "(their seed-0 training split only: no validation or test sentence is pretrained on)")
    p.add_argument("--out", required=True, help="shard folder (train-*.tfrecord, eval-*.tfrecord, spiece.model, "
                                                "manifest.json) for `keras-albert pretrain --shards`")
    p.add_argument("--spiece", help="an existing spiece.model (default: train one on a sample of the corpus)")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--vocab-sample", type=int, default=1_000_000,
                   help="sentences sampled uniformly from the corpus to train the vocabulary")
    p.add_argument("--sequence-length", type=int, default=128)
    p.add_argument("--max-predictions", type=int, default=20)
    p.add_argument("--ngram", type=int, default=1, choices=(1, 2, 3), help="n-gram masking, n up to this")
    p.add_argument("--whole-word", action="store_true", help="mask whole words (SentencePiece boundaries)")
    p.add_argument("--dupe-factor", type=int, default=1, help="maskings per document")
    p.add_argument("--eval-fraction", type=float, default=0.02, help="documents held out (chosen by their hash)")
    p.add_argument("--num-shards", type=int, default=8, help="training shards")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="processes (with --runner DirectRunner: Beam workers)")
    p.add_argument("--runner", help="run on Apache Beam with this runner (DirectRunner, DataflowRunner, FlinkRunner, "
                                    "SparkRunner; needs keras-albert[beam])")
    p.add_argument("--beam-args", default="", help='more Beam pipeline options, e.g. "--project P --region R"')
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder as a whole")
    p.set_defaults(run=run)


def run(args):
    from keras_albert.pretraining_stream import ExampleOptions, prepare_shards, skipped_message
    from keras_albert.staging import check_output
    from keras_albert.tokenizer import AlbertTokenizer

    opts = ExampleOptions(sequence_length=args.sequence_length, max_predictions=args.max_predictions,
                          max_ngram=args.ngram, whole_word=args.whole_word, dupe_factor=args.dupe_factor,
                          eval_fraction=args.eval_fraction, num_shards=args.num_shards, seed=args.seed)
    if args.vocab_sample < 1:
        raise ValueError(f"--vocab-sample {args.vocab_sample} must be at least 1")
    if args.vocab_size < 1:  # (as `pretrain` checks it: before the corpus is read, not SentencePiece's INTERNAL)
        raise ValueError(f"--vocab-size must be at least 1, got {args.vocab_size}")
    check_output(args.out, args.overwrite, inputs=(*args.corpus, args.spiece))
    tokenizer = AlbertTokenizer.from_file(args.spiece) if args.spiece else None
    manifest = prepare_shards(args.corpus, args.out, tokenizer=tokenizer, vocab_size=args.vocab_size,
                              vocab_sample=args.vocab_sample, opts=opts, workers=args.workers, runner=args.runner,
                              beam_args=shlex.split(args.beam_args), overwrite=args.overwrite,
                              progress=not args.quiet)
    c = manifest["counts"]
    print(f"{c['documents']:,} documents -> {c['train_examples']:,} train / {c['eval_examples']:,} eval examples "
          f"in {args.out}")
    if skipped_message(c):
        print(skipped_message(c))
