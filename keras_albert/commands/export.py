"""`keras-albert export MODEL --out DIR`: SavedModel, TFLite variants with on-device metadata, and the report.

Exits 1 when an int8 variant loses more than --max-accuracy-drop points of accuracy against the float model.
"""
import os
import sys


def register(sub):
    p = sub.add_parser("export", help="export a classifier: SavedModel, TFLite (float32/int8) and a report")
    p.add_argument("model", help="model directory (model.keras, spiece.model, labels.txt)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--variants", default="float32,dynamic_int8",
                   help="comma-separated TFLite variants: float32, dynamic_int8, full_int8 (opt-in: it still "
                        "loses accuracy, see docs/export.md)")
    p.add_argument("--compat", choices=["tflite-2.14"], default=None,
                   help="per-tensor int8 weights that old runtimes (tflite-runtime 2.14) can load")
    p.add_argument("--metadata", choices=["auto", "on", "off"], default="auto",
                   help="MediaPipe TextClassifier metadata (tokenizer + labels inside the .tflite); "
                        "auto: skip with a warning when the writer cannot be set up")
    p.add_argument("--buckets", default="", help="also write fixed-length signatures, e.g. 16,32,64,128")
    p.add_argument("--sequence-length", type=int, default=128, help="longest input (tokens), default 128")
    p.add_argument("--data", default="rotten_tomatoes", help="held-out set: the test split of this source")
    p.add_argument("--limit", type=int, default=None, help="use only the first N held-out sentences")
    p.add_argument("--max-accuracy-drop", type=float, default=1.0,
                   help="fail when int8 loses more accuracy points than this against float (default 1.0)")
    p.add_argument("--overwrite", action="store_true", help="replace files already in --out")
    p.set_defaults(run=run)


def _int_list(text, what):
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{what} must be comma-separated integers, got {text!r}") from None


def export_all(model_dir, out, *, variants=("float32", "dynamic_int8"), compat=None, metadata="auto",
               buckets=(), sequence_length=128, data="rotten_tomatoes", limit=None, overwrite=False, log=print):
    """Write everything into `out`; returns the report dict (see export.report)."""
    from export.metadata import add_metadata
    from export.report import build_report, write_report
    from export.savedmodel import export_savedmodel
    from export.tflite import VARIANTS, check_builtin_only, convert
    from keras_albert.data import splits
    from keras_albert.model_dir import LABELS, SPIECE, load_model_dir

    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ValueError(f"unknown TFLite variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    model, tokenizer, labels = load_model_dir(model_dir)
    if not hasattr(model, "num_classes"):
        raise ValueError(f"{model_dir} holds a {type(model).__name__}, not an AlbertClassifier")
    if tokenizer is None:
        raise FileNotFoundError(f"{model_dir} has no {SPIECE}: the export needs the model's vocabulary")
    labels = labels or [str(i) for i in range(model.num_classes)]
    split = splits(data)
    test = tuple(x[:limit] for x in split["test"])
    os.makedirs(out, exist_ok=True)
    targets = [os.path.join(out, "saved_model")] + [os.path.join(out, f"model_{v}.tflite") for v in variants]
    existing = [t for t in targets if os.path.exists(t)]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} already exists; pass --overwrite to replace it")

    log(f"SavedModel -> {targets[0]}")
    export_savedmodel(model, tokenizer, labels, targets[0], sequence_length, overwrite=True)
    tokenizer.save(os.path.join(out, SPIECE))
    with open(os.path.join(out, LABELS), "w", encoding="utf-8") as f:
        f.write("".join(f"{x}\n" for x in labels))
    files = {}
    for variant, path in zip(variants, targets[1:]):
        log(f"TFLite {variant} -> {path}")
        data_bytes = convert(model, variant, compat=compat, tokenizer=tokenizer, calibration_texts=split["train"][0])
        check_builtin_only(data_bytes)
        data_bytes = _with_metadata(data_bytes, os.path.join(out, SPIECE), labels, metadata, add_metadata, log)
        with open(path, "wb") as f:
            f.write(data_bytes)
        files[variant] = path
    bucket_file = None
    if buckets:
        bucket_file = os.path.join(out, "model_dynamic_int8_buckets.tflite")
        log(f"TFLite dynamic_int8 with length buckets {list(buckets)} -> {bucket_file}")
        with open(bucket_file, "wb") as f:
            f.write(convert(model, "dynamic_int8", compat=compat, buckets=buckets))
    log(f"measuring latency and accuracy on {len(test[0])} held-out sentences")
    report = build_report(model, tokenizer, files, test, max_length=sequence_length, bucket_file=bucket_file)
    report["compat"] = compat
    log(write_report(report, out))
    return report


def _with_metadata(data_bytes, spiece, labels, mode, add_metadata, log):
    if mode == "off":
        return data_bytes
    try:
        return add_metadata(data_bytes, spiece, labels)
    except RuntimeError as e:
        if mode == "on":
            raise ValueError(str(e)) from None
        log(f"warning: written without MediaPipe metadata ({e})")
        return data_bytes


def run(args):
    from export.report import accuracy_drops
    report = export_all(args.model, args.out, variants=[v.strip() for v in args.variants.split(",") if v.strip()],
                        compat=args.compat, metadata=args.metadata, buckets=_int_list(args.buckets, "--buckets"),
                        sequence_length=args.sequence_length, data=args.data, limit=args.limit,
                        overwrite=args.overwrite)
    failed = {v: d for v, d in accuracy_drops(report).items() if d > args.max_accuracy_drop}
    if failed:
        print(f"keras-albert export: int8 lost too much accuracy against float: "
              + ", ".join(f"{v} -{d:.2f} points" for v, d in failed.items())
              + f" (allowed {args.max_accuracy_drop})", file=sys.stderr)
        return 1
    return 0
