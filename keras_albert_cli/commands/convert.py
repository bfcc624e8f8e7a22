"""`keras-albert convert SRC OUT_DIR`: an HF directory / hub id, a TF1 checkpoint or a saved model -> a model
directory (model.keras, config.json, spiece.model, labels.txt for classifiers), or with --hf an HF directory.

OUT_DIR is written in a staging folder beside it and appears complete or not at all; an existing non-empty
OUT_DIR is refused unless --overwrite, which replaces it as a whole (no file of the old model survives).
"""
from keras_albert.tasks import NAMES


def register(sub):
    p = sub.add_parser("convert", help="convert an HF or TF1 ALBERT checkpoint to a Keras model directory")
    p.add_argument("src", help="HF directory or hub id, TF1 checkpoint directory, or a model directory")
    p.add_argument("out_dir")
    p.add_argument("--task", choices=["auto", *NAMES], default="auto",
                   help="model to build (default: the architecture config.json names, or the heads a TF1 "
                        "checkpoint holds)")
    p.add_argument("--num-classes", "--num-labels", type=int, default=None,
                   help="classes (labels) of a new classification or token-classification head")
    p.add_argument("--hf", action="store_true", help="write a Hugging Face directory (model.safetensors) instead")
    p.add_argument("--overwrite", action="store_true", help="replace an existing OUT_DIR as a whole")
    p.set_defaults(run=run)


def run(args):
    from keras_albert.convert.hf import save_hf
    from keras_albert.model_dir import save_model_dir
    from keras_albert.pretrained import load_pretrained
    from keras_albert.staging import check_output, staged_output

    if args.num_classes is not None and args.num_classes < 1:
        raise ValueError(f"--num-classes must be at least 1, got {args.num_classes}")
    check_output(args.out_dir, args.overwrite, inputs=(args.src,))  # before the (possibly large) checkpoint is read
    model, tokenizer, labels = load_pretrained(args.src, task=args.task, num_classes=args.num_classes)
    with staged_output(args.out_dir, args.overwrite) as tmp:
        if args.hf:
            save_hf(model, tmp, tokenizer=tokenizer, labels=labels, overwrite=True)
        else:
            save_model_dir(tmp, model, tokenizer=tokenizer, labels=labels, overwrite=True)
    print(f"wrote {type(model).__name__} ({model.count_params():,} parameters"
          f"{'' if tokenizer else ', no tokenizer'}) to {args.out_dir}")
