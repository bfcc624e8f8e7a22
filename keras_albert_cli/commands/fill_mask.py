"""`keras-albert fill-mask MODEL "text with [MASK]"`: the most likely tokens for each [MASK]."""
import json


def register(sub):
    p = sub.add_parser("fill-mask", help="predict the [MASK] tokens of a sentence")
    p.add_argument("model", help="model directory, HF directory or hub id, or TF1 checkpoint directory")
    p.add_argument("text", nargs="+", help="one or more texts, each with at least one [MASK]")
    p.add_argument("--top-k", type=int, default=5, help="pieces per [MASK], best first (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the raw list of predictions as JSON")
    p.set_defaults(run=run)


def run(args):
    from keras_albert.packing import pack
    from keras_albert.pipelines import pipeline
    if args.top_k < 1:
        raise ValueError(f"--top-k must be at least 1, got {args.top_k}")
    unmaskable = [i for i, text in enumerate(args.text) if "[MASK]" not in text]
    if unmaskable:  # every text checked before the model loads, not after the first answers
        raise ValueError(f"no [MASK] token in text {unmaskable[0] + 1}: {args.text[unmaskable[0]]!r}")
    unmasker = pipeline("fill-mask", model=args.model)
    limit = unmasker.model.config.max_position_embeddings
    for number, text in enumerate(args.text, 1):  # (the pipeline's own message names its truncation= keyword)
        [row] = pack(unmasker.tokenizer, text, max_length=2**31 - 1, special_tokens=True, offsets=False)
        length = len(row)
        if length > limit:
            raise ValueError(f"text {number} is {length} tokens long, more than the model's {limit} positions: "
                             "shorten it around its [MASK]")
    for text in args.text:
        result = unmasker(text, top_k=args.top_k)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
            continue
        print(text)
        for i, predictions in enumerate(result if isinstance(result[0], list) else [result]):
            if isinstance(result[0], list):
                print(f"  [MASK] #{i + 1}")
            for p in predictions:
                print(f"  {p['score']:.4f}  {p['token_str']:<16} {p['sequence']}")
