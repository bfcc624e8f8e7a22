"""`keras-albert quickstart`: fine-tune on Rotten Tomatoes, export, print the report, classify through int8 TFLite.

Offline by default: a small ALBERT with its own SentencePiece vocabulary trained on the train split only.
`--model albert-base-v2` (or any checkpoint `from_pretrained` reads) fine-tunes pretrained weights instead.
"""
import os
import time

EXAMPLES = ("A gripping, beautifully acted film that stays with you.",
            "Dull, predictable and far too long; I nearly fell asleep.",
            "The plot is thin, but the performances are a joy to watch.")
# A small ALBERT that learns the task from scratch in a few minutes on 2 CPU cores.
SMALL = dict(embedding_size=64, hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512,
             max_position_embeddings=128, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


def register(sub):
    p = sub.add_parser("quickstart", help="fine-tune, export and classify on Rotten Tomatoes, end to end")
    p.add_argument("--model", default=None,
                   help="pretrained checkpoint (e.g. albert-base-v2, needs the network or a local copy); "
                        "default: a small ALBERT trained from scratch, offline")
    p.add_argument("--out", default="quickstart", help="output directory (default ./quickstart)")
    p.add_argument("--epochs", type=int, default=None, help="default 4 from scratch, 2 for a pretrained model")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--sequence-length", type=int, default=128)
    p.add_argument("--variants", default="float32,dynamic_int8", help="add full_int8 to also write (and gate) it")
    p.add_argument("--max-accuracy-drop", type=float, default=1.0)
    p.add_argument("--overwrite", action="store_true", help="replace an earlier quickstart in --out")
    p.set_defaults(run=run)


def _model_and_tokenizer(args, train_texts):
    from keras_albert import AlbertBackbone, AlbertClassifier, AlbertConfig
    from keras_albert.tokenizer import train_vocab
    if args.model:
        from keras_albert.pretrained import load_pretrained
        model, tokenizer, _ = load_pretrained(args.model, task="classification", num_classes=2)
        if tokenizer is None:
            raise ValueError(f"{args.model} comes without a SentencePiece vocabulary (spiece.model)")
        return model, tokenizer, 3e-5, args.epochs or 2
    print(f"training a {args.vocab_size}-piece SentencePiece vocabulary on the train split")
    tokenizer = train_vocab(train_texts, vocab_size=args.vocab_size)
    config = AlbertConfig(vocab_size=tokenizer.vocab_size, **SMALL)
    return AlbertClassifier(AlbertBackbone(config), 2), tokenizer, 5e-4, args.epochs or 4


def run(args):
    from keras_albert.commands.classify import load
    from keras_albert.commands.export import export_all
    from keras_albert.data import LABEL_NAMES, splits
    from keras_albert.training import finetune
    from export.report import accuracy_drops
    from export.runtime import pack

    start = time.time()
    model_dir, export_dir = os.path.join(args.out, "model"), os.path.join(args.out, "export")
    if os.path.exists(os.path.join(model_dir, "model.keras")) and not args.overwrite:
        raise FileExistsError(f"{args.out} already holds a quickstart; pass --overwrite to run it again")
    data = splits("rotten_tomatoes")
    model, tokenizer, learning_rate, epochs = _model_and_tokenizer(args, data["train"][0])
    print(f"fine-tuning {model.backbone.count_params():,}-parameter ALBERT for {epochs} epochs "
          f"on {len(data['train'][0])} sentences")
    result = finetune(model, tokenizer, data["train"], data["validation"], out_dir=model_dir, labels=LABEL_NAMES,
                      sequence_length=args.sequence_length, epochs=epochs, learning_rate=learning_rate,
                      overwrite=True, verbose=2)
    print(f"fine-tuned in {time.time() - start:.0f} s ({result.steps} steps)")

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    report = export_all(model_dir, export_dir, variants=variants, sequence_length=args.sequence_length,
                        overwrite=True)
    shipped = "dynamic_int8" if "dynamic_int8" in variants else variants[-1]
    classifier, tok, labels = load(os.path.join(export_dir, f"model_{shipped}.tflite"))
    print(f"\nclassifying with {shipped} TFLite ({os.path.join(export_dir, f'model_{shipped}.tflite')}):")
    for sentence in EXAMPLES:
        probabilities = classifier(pack(tok, sentence, args.sequence_length))
        best = int(probabilities.argmax())
        print(f"  {labels[best] if labels else best:>8}  {probabilities[best]:.3f}  {sentence}")
    print(f"\ndone in {time.time() - start:.0f} s; try: keras-albert classify "
          f"{os.path.join(export_dir, f'model_{shipped}.tflite')} \"your sentence\"")
    failed = {v: d for v, d in accuracy_drops(report).items() if d > args.max_accuracy_drop}
    if failed:
        print(f"int8 lost more than {args.max_accuracy_drop} accuracy points: {failed}")
        return 1
    return 0
