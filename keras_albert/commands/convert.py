"""`keras-albert convert SRC OUT_DIR`: an HF directory / hub id, a TF1 checkpoint or a saved model -> a model
directory (model.keras, config.json, spiece.model, labels.txt), or with --hf an HF directory."""
TASKS = {"auto": "auto", "backbone": None, "masked_lm": "masked_lm", "pretraining": "pretraining",
         "classification": "classification"}


def register(sub):
    p = sub.add_parser("convert", help="convert an HF or TF1 ALBERT checkpoint to a Keras model directory")
    p.add_argument("src", help="HF directory or hub id, TF1 checkpoint directory, or a model directory")
    p.add_argument("out_dir")
    p.add_argument("--task", choices=sorted(TASKS), default="auto",
                   help="model to build (default: whatever heads the checkpoint holds)")
    p.add_argument("--num-classes", type=int, default=None, help="classes of a new classification head")
    p.add_argument("--hf", action="store_true", help="write a Hugging Face directory (model.safetensors) instead")
    p.add_argument("--overwrite", action="store_true", help="replace an existing model in OUT_DIR")
    p.set_defaults(run=run)


def run(args):
    from keras_albert.convert.hf import save_hf
    from keras_albert.model_dir import save_model_dir
    from keras_albert.pretrained import load_pretrained

    model, tokenizer, labels = load_pretrained(args.src, task=TASKS[args.task], num_classes=args.num_classes)
    if args.hf:
        save_hf(model, args.out_dir, tokenizer=tokenizer, labels=labels, overwrite=args.overwrite)
    else:
        save_model_dir(args.out_dir, model, tokenizer=tokenizer, labels=labels, overwrite=args.overwrite)
    print(f"wrote {type(model).__name__} ({model.count_params():,} parameters"
          f"{'' if tokenizer else ', no tokenizer'}) to {args.out_dir}")
