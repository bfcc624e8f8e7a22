"""`keras-albert info [PRESET | MODEL_DIR | FILE.tflite]`: what a model is.

A preset is built and one sentence run through it (shapes); a model directory is loaded and described (task,
size, shape, vocabulary, labels, held-out split); an exported .tflite is described from the file alone (task,
size, int8 or float weights, where it cuts input, where its vocabulary and labels come from).
"""
import os


def register(sub):
    p = sub.add_parser("info", help="describe a preset (built, one sentence run), a model directory or a .tflite")
    p.add_argument("preset", nargs="?", default="albert-large-v2", metavar="PRESET|MODEL_DIR|FILE.tflite")
    p.add_argument("--text", default="ALBERT shares one transformer block across all of its layers.",
                   help="the sentence run through a preset")
    p.set_defaults(run=run)


def run(args):
    target = args.preset
    if os.path.isfile(target) and not target.endswith(".keras"):
        from keras_albert_export.describe import describe_tflite
        lines = describe_tflite(target)
    elif os.path.exists(target):
        lines = _model_dir(target)
    elif os.sep in target or target.endswith((".tflite", ".keras")):
        raise FileNotFoundError(f"no such file or directory: {target}")
    else:
        lines = _preset(target, args.text)
    print("\n".join(lines))


def _model_dir(path):
    from keras_albert import tasks
    from keras_albert.model_dir import HELDOUT, HELDOUT_SQUAD, load_model_dir

    model, tokenizer, labels = load_model_dir(path)
    c, folder = model.config, path if os.path.isdir(path) else os.path.dirname(path)
    held = [name for name in (HELDOUT, HELDOUT_SQUAD) if os.path.isfile(os.path.join(folder, name))]
    lines = [f"{path}: {type(model).__name__} ({tasks.of_model(model).name}), {model.count_params():,} parameters, "
             f"{c.num_hidden_layers} layers sharing {c.num_hidden_groups * c.inner_group_num} block(s), hidden size "
             f"{c.hidden_size}, position table {c.max_position_embeddings}",
             f"vocabulary: {tokenizer.vocab_size:,} pieces" if tokenizer else "vocabulary: none (no spiece.model)"]
    if labels:
        lines.append(f"labels: {', '.join(labels)}")
    lines.append(f"held-out split: {held[0]}" if held else
                 "held-out split: none (`keras-albert export` then needs --data FILE or --no-gate)")
    lines.append(_export_line(model))
    return lines


def _export_line(model):
    """How `keras-albert export` writes this model (its export entry and variants), or why it refuses."""
    from keras_albert_export import tasks as export_tasks
    try:
        entry = export_tasks.of_model(model)
    except ValueError as e:
        return f"export: none ({e})"
    return (f"export: {entry.name} ({', '.join(entry.variants)}; outputs {', '.join(entry.outputs)}"
            + ("" if entry.metadata is None else "; on-device metadata") + ")")


def _preset(name, text):
    from keras_albert import AlbertBackbone, get_preset
    from keras_albert.data import load_texts
    from keras_albert.preprocessor import AlbertPreprocessor
    from keras_albert.tokenizer import train_vocab

    config = get_preset(name)
    tokenizer = train_vocab(load_texts("rotten_tomatoes"), vocab_size=4000)
    inputs = AlbertPreprocessor(tokenizer, sequence_length=None)([text])
    backbone = AlbertBackbone(config)
    out = backbone({k: v.numpy() for k, v in inputs.items()})
    return [f"{name}: {backbone.count_params():,} parameters, {config.num_hidden_layers} layers sharing "
            f"{config.num_hidden_groups * config.inner_group_num} block(s)",
            f"tokens ({inputs['token_ids'].shape[1]}): {inputs['token_ids'].numpy()[0].tolist()}",
            f"sequence_output {tuple(out['sequence_output'].shape)}, pooled_output {tuple(out['pooled_output'].shape)}"]
