"""`keras-albert info PRESET`: build a preset, run a sentence through tokenizer and backbone, print shapes."""


def register(sub):
    p = sub.add_parser("info", help="build a preset and run one sentence through it")
    p.add_argument("preset", nargs="?", default="albert-large-v2")
    p.add_argument("--text", default="ALBERT shares one transformer block across all of its layers.")
    p.set_defaults(run=run)


def run(args):
    from keras_albert import AlbertBackbone, get_preset
    from keras_albert.data import load_texts
    from keras_albert.preprocessor import AlbertPreprocessor
    from keras_albert.tokenizer import train_vocab

    config = get_preset(args.preset)
    tokenizer = train_vocab(load_texts("rotten_tomatoes"), vocab_size=4000)
    inputs = AlbertPreprocessor(tokenizer, sequence_length=None)([args.text])
    backbone = AlbertBackbone(config)
    out = backbone({k: v.numpy() for k, v in inputs.items()})
    print(f"{args.preset}: {backbone.count_params():,} parameters, {config.num_hidden_layers} layers sharing "
          f"{config.num_hidden_groups * config.inner_group_num} block(s)")
    print(f"tokens ({inputs['token_ids'].shape[1]}): {inputs['token_ids'].numpy()[0].tolist()}")
    print(f"sequence_output {tuple(out['sequence_output'].shape)}, pooled_output {tuple(out['pooled_output'].shape)}")
