"""Question answering (at the Task Library's 384-token window) and token classification (128 tokens) on a CPU,
batch 1, int8: keras-albert's export vs the same architecture exported from keras-hub, with PyTorch dynamic int8
of transformers' model as a reference.

Same shapes for all: albert-base-v2 and albert-large-v2 (random init with checkpoint-like biases and LayerNorm
scales, see cpu_infer.like_a_checkpoint) and the task's head (a Dense on the sequence output: 2 for start/end
logits, 9 CoNLL-2003 tags for token classification).
 - ours: `keras_albert_export.tflite.convert(model, "dynamic_int8")`, what `keras-albert export` writes for that
   task (question answering: inputs fixed at [1, 384]; token classification: dynamic length);
 - keras-hub: `keras_hub.models.AlbertBackbone` + the same head, through keras' ExportArchive and the TFLite
   converter with dynamic-range quantization, the same input shapes (keras-hub has no ALBERT task for either;
   transformers has no TFLite route);
 - PyTorch: transformers' `AlbertForQuestionAnswering` / `AlbertForTokenClassification` with
   `torch.ao.quantization.quantize_dynamic` (not a file a phone runs: the CPU reference a server would use).
Each export runs in its own process. Timing: LiteRT (XNNPACK), 1 and 2 threads, `--rounds` interleaved rounds
(each round times every file in turn, so load on a shared machine hits all alike), median of `--runs` each.

Run:  python bench/task_latency.py OUT_DIR [--task question_answering|token_classification]
          [--presets albert-base-v2,albert-large-v2] [--runs 10] [--rounds 2]
      (writes OUT_DIR/*.tflite, OUT_DIR/TASK_latency.json and prints a markdown table with the CPU model)
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_albert_export.cpu import cpu_kind  # noqa: E402

THREADS = (1, 2)
# per task: the length timed, whether the export fixes it, the head's width, the outputs, transformers' class
TASKS = {
    "question_answering": dict(length=384, fixed=True, head=2, outputs=("start_logits", "end_logits"),
                               hf="AlbertForQuestionAnswering"),
    "token_classification": dict(length=128, fixed=False, head=9, outputs=("logits",),
                                 hf="AlbertForTokenClassification"),
}


def task_model(task, backbone):
    from keras_albert.tasks.question_answering import AlbertQuestionAnswerer
    from keras_albert.tasks.token_classification import AlbertTokenClassifier
    if task == "question_answering":
        return AlbertQuestionAnswerer(backbone)
    return AlbertTokenClassifier(backbone, TASKS[task]["head"])


def export_ours(task, preset, path):
    from cpu_infer import like_a_checkpoint

    from keras_albert.backbone import AlbertBackbone
    from keras_albert_export.tflite import convert
    model = task_model(task, AlbertBackbone.from_preset(preset))
    like_a_checkpoint(model)
    with open(path, "wb") as f:
        f.write(convert(model, "dynamic_int8", sequence_length=TASKS[task]["length"]))


def export_kerashub(task, preset, path):
    import keras
    import tensorflow as tf
    from cpu_infer import kerashub_backbone, like_a_checkpoint

    from keras_albert.config import get_preset
    c, spec_of = get_preset(preset), TASKS[task]
    backbone = kerashub_backbone(preset)
    head = keras.layers.Dense(spec_of["head"], name="head")
    head.build((None, None, c.hidden_size))
    like_a_checkpoint(backbone)
    like_a_checkpoint(head)

    def outputs(ids, mask, segment_ids):
        x = head(backbone({"token_ids": ids, "padding_mask": mask, "segment_ids": segment_ids},
                          training=False)["sequence_output"])
        if task == "question_answering":
            start, end = tf.unstack(x, 2, axis=-1)
            return {"start_logits": start, "end_logits": end}
        return {"logits": x}

    length = spec_of["length"] if spec_of["fixed"] else None
    spec = [tf.TensorSpec([1, length], tf.int32, name=k) for k in ("ids", "mask", "segment_ids")]
    with tempfile.TemporaryDirectory() as sm:
        archive = keras.export.ExportArchive()
        archive.track(backbone)
        archive.track(head)
        archive.add_endpoint("serving_default", outputs, input_signature=spec)
        archive.write_out(sm, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(sm, signature_keys=["serving_default"])
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        data = converter.convert()
    with open(path, "wb") as f:
        f.write(data)


def export_in_child(kind, task, preset, path):
    """(seconds, peak RSS in MB) of one export in a fresh process."""
    start = time.time()
    code = (f"import sys, resource; sys.argv=['x']; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r});"
            f" import task_latency; task_latency.export_{kind}({task!r}, {preset!r}, {path!r}); "
            "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return round(time.time() - start, 1), round(int(out.split("PEAK_KB")[-1].split()[0]) / 1024, 1)


def torch_model(task, preset):
    import torch
    import transformers

    from keras_albert.config import get_preset
    torch.manual_seed(0)
    config = transformers.AlbertConfig(**get_preset(preset).to_dict(), num_labels=TASKS[task]["head"])
    model = getattr(transformers, TASKS[task]["hf"])(config).eval()
    return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def inputs(task, question=16):
    """The task's length, all real tokens; question answering: a window as the Task Library packs one,
    [CLS] question [SEP] context [SEP]."""
    import numpy as np
    ids = np.full((1, TASKS[task]["length"]), 5, np.int32)
    ids[0, 0], ids[0, question + 1], ids[0, -1] = 2, 3, 3
    segments = np.zeros_like(ids)
    if task == "question_answering":
        segments[0, question + 2:] = 1
    return {"ids": ids, "mask": np.ones_like(ids), "segment_ids": segments}


def timer(task, kind, target, threads):
    """A zero-argument call of one inference."""
    x = inputs(task)
    if kind == "torch":
        import torch
        t = {k: torch.from_numpy(v) for k, v in x.items()}

        def call():
            torch.set_num_threads(threads)
            with torch.inference_mode():
                target(input_ids=t["ids"], attention_mask=t["mask"], token_type_ids=t["segment_ids"])
        return call
    from cpu_infer import interpreter
    runner = interpreter(target, threads).get_signature_runner("serving_default")
    out = runner(**x)
    name = TASKS[task]["outputs"][0]
    assert set(out) == set(TASKS[task]["outputs"]) and out[name].shape[:2] == x["ids"].shape, out
    return lambda: runner(**x)


def main():
    from cpu_infer import median_ms
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--task", default="question_answering", choices=sorted(TASKS))
    parser.add_argument("--presets", default="albert-base-v2,albert-large-v2")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip", default="", help="comma-separated: kerashub, torch")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    os.makedirs(args.out, exist_ok=True)
    task = args.task
    result = {"cpu": cpu_kind(), "date": datetime.date.today().isoformat(), "task": task,
              "length": TASKS[task]["length"], "runs": args.runs, "rounds": args.rounds,
              "command": "python bench/task_latency.py OUT " + " ".join(sys.argv[2:]), "presets": {}}
    print(result["cpu"], flush=True)
    for preset in args.presets.split(","):
        entry = result["presets"][preset] = {"exports": {}, "ms": {}}
        files = {}
        for kind in ("ours", "kerashub"):
            if kind in skip:
                continue
            path = os.path.join(args.out, f"{preset}_{task}_{kind}_dynamic_int8.tflite")
            if not os.path.isfile(path):
                seconds, peak = export_in_child(kind, task, preset, path)
                entry["exports"][kind] = {"seconds": seconds, "peak_rss_mb": peak}
            files[kind] = path
            entry["exports"].setdefault(kind, {})["mb"] = round(os.path.getsize(path) / 2 ** 20, 2)
            print(preset, kind, entry["exports"][kind], flush=True)
        targets = dict(files)
        if "torch" not in skip:
            targets["torch"] = torch_model(task, preset)
        samples = {(k, t): [] for k in targets for t in THREADS}
        for _ in range(args.rounds):
            for threads in THREADS:
                for kind, target in targets.items():
                    samples[kind, threads].append(median_ms(timer(task, kind, target, threads), args.runs)[0])
        entry["ms"] = {f"{k} {t}": [round(v, 1) for v in vs] for (k, t), vs in samples.items()}
        print(preset, json.dumps(entry["ms"]), flush=True)
        json.dump(result, open(os.path.join(args.out, f"{task}_latency.json"), "w"), indent=1)
    print(to_markdown(result))


def to_markdown(result):
    lines = [f"{result['cpu']}, {result['date']}, `{result['command']}`; median ms of {result['runs']} runs per "
             f"round, {result['rounds']} interleaved rounds (range over rounds), {result['task']} at sequence "
             f"{result['length']}.", "",
             "| model | export | file MB | 1 thread ms | 2 threads ms | ours / keras-hub (2 threads) |",
             "|---|---|---|---|---|---|"]
    names = {"ours": "keras-albert dynamic_int8", "kerashub": "keras-hub + same head, dynamic int8",
             "torch": "transformers + PyTorch quantize_dynamic"}
    for preset, entry in result["presets"].items():
        ms = entry["ms"]

        def span(kind, threads):
            v = ms.get(f"{kind} {threads}")
            return "–" if not v else f"{min(v):.1f}" if len(set(v)) == 1 else f"{min(v):.1f}-{max(v):.1f}"
        best = {k: min(ms[f"{k} 2"]) for k in ("ours", "kerashub") if ms.get(f"{k} 2")}
        for kind in ("ours", "kerashub", "torch"):
            if f"{kind} 1" not in ms:
                continue
            ratio = f"{best['ours'] / best['kerashub']:.2f}" if kind == "ours" and len(best) == 2 else ""
            size = entry["exports"].get(kind, {}).get("mb", "–")
            lines.append(f"| {preset} | {names[kind]} | {size} | {span(kind, 1)} | {span(kind, 2)} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
