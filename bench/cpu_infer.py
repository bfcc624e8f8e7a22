"""CPU inference, batch 1: keras-albert's TFLite files vs the keras-hub export route vs PyTorch dynamic int8.

albert-large-v2 shape, random init (latency does not depend on the weights). Every converter runs in a child
process so its peak host memory (ru_maxrss) is measured on its own. Timings: ai_edge_litert, median of `--runs`
after warm-up, 1 and 2 threads, sequence 16/32/64/128 (dynamic signature and fixed-length bucket signatures),
plus the mean over real Rotten Tomatoes test sentences (their own length, or padded up to the next bucket).

Run:  python bench/cpu_infer.py OUT_DIR [--preset albert-large-v2] [--runs 30] [--skip torch,kerashub]
      (writes OUT_DIR/*.tflite, OUT_DIR/cpu_infer.json and prints a markdown table)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_albert_export.cpu import cpu_kind  # noqa: E402

LENGTHS, THREADS, BUCKETS = (16, 32, 64, 128), (1, 2), (16, 32, 64, 128)


# ---------------------------------------------------------------- export (child processes)

def like_a_checkpoint(model, seed=0):
    """Give every bias and LayerNorm scale/offset random values, as a trained checkpoint has: at their init
    values (0 and 1) the converter folds them away and the graph would be smaller than a real model's."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for w in model.weights:
        name = w.path.rsplit("/", 1)[-1]
        if name in ("bias", "beta", "gamma"):
            w.assign((1.0 if name == "gamma" else 0.0) + rng.normal(0, 0.05, w.shape).astype("float32"))


def export_ours(preset, path, variant):
    from keras_albert_export.tflite import convert
    from keras_albert.backbone import AlbertBackbone
    from keras_albert.heads import AlbertClassifier
    model = AlbertClassifier(AlbertBackbone.from_preset(preset), 2)
    like_a_checkpoint(model)
    data = convert(model, variant, buckets=BUCKETS if variant != "full_int8" else ())
    with open(path, "wb") as f:
        f.write(data)


def kerashub_backbone(preset):
    """keras-hub's AlbertBackbone of a preset's shape (random init, no dropout)."""
    import keras_hub

    from keras_albert.config import get_preset
    c = get_preset(preset)
    return keras_hub.models.AlbertBackbone(
        vocabulary_size=c.vocab_size, num_layers=c.num_hidden_layers, num_heads=c.num_attention_heads,
        num_groups=c.num_hidden_groups, num_inner_repetitions=c.inner_group_num, embedding_dim=c.embedding_size,
        hidden_dim=c.hidden_size, intermediate_dim=c.intermediate_size, dropout=0.0,
        max_sequence_length=c.max_position_embeddings)


def export_kerashub(preset, path, variant):
    """keras-hub's AlbertTextClassifier through keras' export archive (what `model.export` writes) and the
    TFLite converter, same signatures and input names as ours."""
    import keras
    import keras_hub
    import tensorflow as tf

    model = keras_hub.models.AlbertTextClassifier(backbone=kerashub_backbone(preset), num_classes=2,
                                                  preprocessor=None)
    like_a_checkpoint(model)

    def probabilities(ids, mask, segment_ids):
        logits = model({"token_ids": ids, "padding_mask": mask, "segment_ids": segment_ids}, training=False)
        return {"probabilities": tf.nn.softmax(logits, axis=-1)}

    def spec(n):
        return [tf.TensorSpec([1, n], tf.int32, name=k) for k in ("ids", "mask", "segment_ids")]

    sm = tempfile.mkdtemp()
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", probabilities, input_signature=spec(None))
    for n in BUCKETS:
        archive.add_endpoint(f"length_{n}", probabilities, input_signature=spec(n))
    archive.write_out(sm, verbose=False)
    converter = tf.lite.TFLiteConverter.from_saved_model(
        sm, signature_keys=["serving_default"] + [f"length_{n}" for n in BUCKETS])
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    data = converter.convert()
    shutil.rmtree(sm)
    with open(path, "wb") as f:
        f.write(data)


def export_in_child(kind, preset, path, variant):
    """Run one export in a fresh process; returns (seconds, peak RSS of that process in MB)."""
    start = time.time()
    here = os.path.dirname(os.path.abspath(__file__))
    code = (f"import sys, resource; sys.argv=['x']; sys.path.insert(0, {here!r}); import cpu_infer; "
            f"cpu_infer.export_{kind}({preset!r}, {path!r}, {variant!r}); "
            "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    peak_kb = int(out.split("PEAK_KB")[-1].split()[0])
    return round(time.time() - start, 1), round(peak_kb / 1024, 1)


# ---------------------------------------------------------------- timing

def interpreter(path, threads, latest=False, xnnpack=True):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    return Interpreter(model_path=path, num_threads=threads, experimental_op_resolver_type=resolver,
                       experimental_default_delegate_latest_features=latest)


def inputs_of(length, real=None):
    import numpy as np
    ids = np.full((1, length), 5, np.int32) if real is None else np.asarray(real, np.int32)[None, :]
    ids[0, 0], ids[0, -1] = 2, 3
    return {"ids": ids, "mask": np.ones_like(ids), "segment_ids": np.zeros_like(ids)}


def median_ms(fn, runs, warmup=3):
    import numpy as np
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), float(np.min(times))


def time_tflite(path, threads, runs, lengths=LENGTHS, fixed=False, **options):
    """{length: (median, min) ms} on the dynamic signature or the fixed `length_N` ones."""
    interp = interpreter(path, threads, **options)
    out = {}
    for n in lengths:
        runner = interp.get_signature_runner(f"length_{n}" if fixed else "serving_default")
        x = inputs_of(n)
        out[n] = median_ms(lambda: runner(**x), runs)
    return out


def time_tflite_real(path, threads, sentences, bucketed):
    """Mean ms per real sentence: each at its own length (dynamic) or padded to the next bucket."""
    import numpy as np
    interp = interpreter(path, threads)
    dynamic = interp.get_signature_runner("serving_default")
    runners = {n: interp.get_signature_runner(f"length_{n}") for n in BUCKETS} if bucketed else {}
    calls = []
    for ids in sentences:
        if bucketed:
            n = next(b for b in BUCKETS if b >= len(ids))
            x = inputs_of(n)
            x["ids"][0, :len(ids)] = ids
            x["ids"][0, len(ids):] = 0
            x["mask"][0, len(ids):] = 0
            calls.append((runners[n], x))
        else:
            calls.append((dynamic, inputs_of(len(ids), ids)))
    for runner, x in calls[:5]:
        runner(**x)
    start = time.perf_counter()
    for runner, x in calls:
        runner(**x)
    return (time.perf_counter() - start) * 1000 / len(calls), float(np.mean([len(s) for s in sentences]))


def torch_model(preset):
    import torch
    from transformers import AlbertConfig as HFConfig, AlbertForSequenceClassification

    from keras_albert.config import get_preset
    torch.manual_seed(0)
    model = AlbertForSequenceClassification(HFConfig(**get_preset(preset).to_dict(), num_labels=2)).eval()
    return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def time_torch(model, threads, runs, sentences, lengths=LENGTHS):
    import torch
    torch.set_num_threads(threads)
    out = {}
    with torch.inference_mode():
        for n in lengths:
            x = {k: torch.from_numpy(v) for k, v in inputs_of(n).items()}
            out[n] = median_ms(lambda: model(input_ids=x["ids"], attention_mask=x["mask"],
                                             token_type_ids=x["segment_ids"]), runs)
        start = time.perf_counter()
        for ids in sentences:
            t = torch.tensor([ids])
            model(input_ids=t, attention_mask=torch.ones_like(t), token_type_ids=torch.zeros_like(t))
        real = (time.perf_counter() - start) * 1000 / max(1, len(sentences))
    return out, real


def real_sentences(limit):
    """Rotten Tomatoes test sentences as `[CLS] pieces [SEP]` id lists (an 8,000-piece vocab trained on the
    training split: lengths like a real ALBERT vocabulary's; the ids themselves do not matter for latency)."""
    from keras_albert.data import splits
    from keras_albert.tokenizer import AlbertTokenizer, train_vocab
    data = splits()
    with tempfile.TemporaryDirectory() as tmp:
        train_vocab(data["train"][0], 8000, os.path.join(tmp, "spiece.model"))
        tok = AlbertTokenizer.from_file(os.path.join(tmp, "spiece.model"))
        return [[2] + tok.tokenize(t)[:126] + [3] for t in data["test"][0][:limit]]


# ---------------------------------------------------------------- main

def main():
    from keras_albert_export.tflite import op_histogram
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--preset", default="albert-large-v2")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sentences", type=int, default=200, help="real test sentences timed per variant")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--skip", default="", help="comma list of: kerashub, torch, float32, real, options")
    parser.add_argument("--extra", action="append", default=[], help="LABEL=PATH: another .tflite to time")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    threads = [int(t) for t in args.threads.split(",")]
    os.makedirs(args.out, exist_ok=True)
    result = {"preset": args.preset, "date": time.strftime("%Y-%m-%d", time.gmtime()),
              "machine": cpu_kind(), "load_before": os.getloadavg(),
              "exports": {}, "ops": {}, "latency_ms": {}, "real_ms": {}}

    files = {("ours", "dynamic_int8"): "ours_dynamic_int8.tflite"}
    if "float32" not in skip:
        files[("ours", "float32")] = "ours_float32.tflite"
    if "kerashub" not in skip:
        files[("kerashub", "dynamic_int8")] = "kerashub_dynamic_int8.tflite"
    for (kind, variant), name in list(files.items()):
        path = os.path.join(args.out, name)
        if not os.path.exists(path):
            seconds, peak = export_in_child(kind, args.preset, path, variant)
            result["exports"][name] = {"seconds": seconds, "peak_rss_mb": peak,
                                       "size_mb": round(os.path.getsize(path) / 2**20, 2)}
            print(f"exported {name}: {seconds} s, peak RSS {peak} MB", flush=True)
        with open(path, "rb") as f:
            data = f.read()
        result["ops"][name] = {sig: op_histogram(data, sig) for sig in ("serving_default", "length_128")}

    for item in args.extra:
        label, path = item.split("=", 1)
        files[(label, "dynamic_int8")] = os.path.relpath(path, args.out)
    sentences = real_sentences(args.sentences) if "real" not in skip else []
    for (kind, variant), name in files.items():
        path = os.path.join(args.out, name)
        for t in threads:
            for fixed in (False, True):
                label = f"{kind} {variant} {'fixed' if fixed else 'dynamic'}"
                result["latency_ms"].setdefault(label, {})[t] = time_tflite(path, t, args.runs, fixed=fixed)
                print(label, t, result["latency_ms"][label][t], flush=True)
            if sentences:
                for bucketed in (False, True):
                    label = f"{kind} {variant} {'buckets' if bucketed else 'dynamic'}"
                    result["real_ms"].setdefault(label, {})[t] = time_tflite_real(path, t, sentences, bucketed)
    if "options" not in skip:  # interpreter settings on our int8 file, fixed shapes, 2 threads
        path = os.path.join(args.out, files[("ours", "dynamic_int8")])
        for label, opts in (("no XNNPACK", {"xnnpack": False}), ("XNNPACK latest features", {"latest": True})):
            result["latency_ms"][f"ours dynamic_int8 fixed, {label}"] = {
                2: time_tflite(path, 2, args.runs, fixed=True, **opts)}
    if "torch" not in skip:
        model = torch_model(args.preset)
        for t in threads:
            lat, real = time_torch(model, t, args.runs, sentences)
            result["latency_ms"].setdefault("torch quantize_dynamic int8", {})[t] = lat
            if sentences:
                result["real_ms"].setdefault("torch quantize_dynamic int8", {})[t] = (real, None)
    result["load_after"] = os.getloadavg()
    with open(os.path.join(args.out, "cpu_infer.json"), "w") as f:
        json.dump(result, f, indent=1, default=str)
    print(to_markdown(result))


def to_markdown(r):
    lines = [f"{r['preset']}, batch 1, median ms (min) over runs; load {r['load_before']} -> {r['load_after']}", "",
             "| variant | threads | " + " | ".join(f"seq {n}" for n in LENGTHS) + " |",
             "|---|---|" + "---|" * len(LENGTHS)]
    for label, by_t in r["latency_ms"].items():
        for t, row in by_t.items():
            lines.append(f"| {label} | {t} | " + " | ".join(
                f"{row[n][0]:.1f} ({row[n][1]:.1f})" for n in LENGTHS) + " |")
    if r["real_ms"]:
        lines += ["", "Real Rotten Tomatoes test sentences, mean ms per sentence:", "",
                  "| variant | threads | ms |", "|---|---|---|"]
        lines += [f"| {label} | {t} | {v[0]:.1f} |" for label, by_t in r["real_ms"].items() for t, v in by_t.items()]
    lines += ["", "Ops (dynamic / fixed-128 signature):"]
    for name, sigs in r["ops"].items():
        top = [", ".join(f"{k} {v}" for k, v in list(h.items())[:8]) for h in sigs.values()]
        lines.append(f"- {name}: " + " / ".join(f"{sum(h.values())} ({t})" for h, t in zip(sigs.values(), top)))
    for name, e in r["exports"].items():
        lines.append(f"- export {name}: {e['seconds']} s, peak RSS {e['peak_rss_mb']} MB, {e['size_mb']} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
