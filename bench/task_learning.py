"""Does a small ALBERT learn every task? Fine-tunes one on each file of bench/task_data.py and reports.

For each task: `keras-albert finetune --task TASK --data FILE` (a subprocess, the command line as a user runs
it), then the held-out (test split) main metric next to chance and, for pairs and regression, the TF-IDF
baseline (`keras_albert.training.baseline`) on the same split (the CLI's seed-0 80/10/10 permutation of the
file's records). With `--init DIR` (a pretraining checkpoint's model directory, or a fine-tuned task model's:
its backbone is then an intermediate-task start) every task runs twice: from DIR,
and from a random initialization of the same shape and vocabulary (seed 0), so the table says per task whether
pretraining helps. Without it: one random small ALBERT (E 64, H 128) with a vocabulary trained on IMDB reviews.
Writes OUT/task_learning.json and OUT/learning_every_task.md; `--benchmarks FILE` puts that section into FILE.
    python bench/task_learning.py OUT [--init DIR [--starts pretrained]] [--epochs N] [--tasks T,...] [--examples N]
        [--benchmarks BENCHMARKS.md]
"""
import argparse
import collections
import datetime
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_albert_export.cpu import cpu_kind  # noqa: E402
from bench.task_data import write_all  # noqa: E402

SHAPE = dict(embedding_size=64, hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512,
             max_position_embeddings=128)
VOCAB = 4000
# task -> (sequence length, at most this many examples (None: every one the builder makes), epochs): sized so
# the whole table takes about 70 minutes on 2 CPU cores (multiple choice packs 4 sequences per example)
PLAN = {"question_answering": (64, None, 3), "token_classification": (96, None, 8),
        "pair_classification": (64, 40000, 4), "regression": (80, 40000, 4), "multiple_choice": (96, None, 2)}
# learning rate by start: a pretrained backbone needs smaller steps than a random one (chosen up front, not tuned)
LEARNING_RATE = {"pretrained": 2e-4, "random": 1e-3}
HOW = {
    "pair_classification": "RTE/QNLI-like: a review sentence (8-30 words) and a 4-8 word phrase; `entailment` "
    "when the phrase is a contiguous piece of the sentence, `not_entailment` (half of the pairs) when it is a piece "
    "of another sentence of the same review or, half of those, the sentence's own piece with one word swapped for "
    "a word of that other sentence. Every phrase is real text of the same review, so only reading both texts tells "
    "the label; a near miss differs by one word.",
    "regression": "STS-B-like: sentence B is sentence A (8-30 words of a review) with a uniformly random share "
    "of its word positions replaced, in place, by words of another review's sentence (never itself an A); `score` "
    "= 5 x the share of A's words B keeps (STS-B's 0-5 scale). Only comparing the two texts position by position "
    "gives the score.",
    "token_classification": "repeated mentions: 2-4 consecutive sentences of a review (at most 60 words) as one "
    "CoNLL sentence; a content word (4+ letters, not a stop word) is tagged B-REP where the text has already used "
    "it, O at its first use and everywhere else. The same word is O in one place and B-REP in another of the same "
    "text: only the words before it decide, which the word-list reference (every word tagged with its most frequent "
    "training tag) cannot see.",
    "multiple_choice": "RACE-style reading: the article is 2 consecutive sentences of a review (at most 40 "
    "words); the question quotes 3 words that occur once in it (`what comes after \" ... \" ?`); the right option "
    "is the 3 words that follow them, the 3 wrong options other 3-word pieces of the same article that overlap "
    "neither the quote nor the answer. Every option is in the article, so the model must find the quote there and "
    "check which option comes right after it.",
    "question_answering": "SQuAD-style: the context is 1-2 consecutive sentences of a review (at most 40 words); "
    "the question quotes 3 words that occur once in the context (`what comes after \" ... \" ?`); the answer is "
    "the 3 words that follow them (words only, inside one sentence). The model must find the quoted words in the "
    "context, then mark the span right after them.",
}


def make_model(out, texts):
    """A randomly initialized small ALBERT and its vocabulary as a model directory (seed 0)."""
    import keras

    from keras_albert import AlbertBackbone, AlbertConfig
    from keras_albert.model_dir import save_model_dir
    from keras_albert.tokenizer import train_vocab
    tokenizer = train_vocab(texts, vocab_size=VOCAB, output_path=os.path.join(out, "spiece.model"))
    keras.utils.set_random_seed(0)
    backbone = AlbertBackbone(AlbertConfig(vocab_size=VOCAB, **SHAPE))
    save_model_dir(os.path.join(out, "init"), backbone, tokenizer, overwrite=True)
    return os.path.join(out, "init"), backbone.count_params()


def make_random_like(out, init):
    """A random initialization (seed 0) of `init`'s shape, with `init`'s vocabulary, as a model directory."""
    import keras

    from keras_albert import AlbertBackbone
    from keras_albert.model_dir import load_model_dir, save_model_dir
    model, tokenizer, _ = load_model_dir(init)
    backbone = model if isinstance(model, AlbertBackbone) else model.backbone
    keras.utils.set_random_seed(0)
    fresh = AlbertBackbone(backbone.config)
    save_model_dir(os.path.join(out, "random_init"), fresh, tokenizer, overwrite=True)
    return os.path.join(out, "random_init"), backbone.count_params(), backbone.config


def pretraining(init):
    """`init` in words, so the table says what the trained start is: a task model by its report.json (task and
    test score), a checkpoint by the pretrain_run.json bench/learning_pretrain.py leaves beside it (command, time)."""
    report = os.path.join(init, "report.json")
    if os.path.exists(report):  # a fine-tuned task model: its backbone is an intermediate-task start
        run = json.load(open(report))
        metric = run["main_metric"]
        return (f"the backbone of a fine-tuned {run['task']} model (test {metric} {run['test'][metric]:.3f}), "
                "an intermediate-task start")
    path = os.path.join(init, "pretrain_run.json")
    if not os.path.exists(path):
        return f"the checkpoint `{init}`"
    run = json.load(open(path))
    return (f"the checkpoint `{init}` pretrained (MLM + SOP) by `{run['command']}` "
            f"({run['seconds'] / 60:.0f} minutes on {run.get('machine') or 'this machine'})")


def split(records):
    from keras_albert.data import split_rows
    parts = split_rows(list(records), [0] * len(records), seed=0)
    return {name: rows for name, (rows, _) in parts.items()}


def references(task, path):
    """(chance, TF-IDF baseline or None) on the test split the CLI uses."""
    from keras_albert import tasks
    from keras_albert.metrics import evaluate
    from keras_albert.metrics.squad import f1
    from keras_albert.training.baseline import fit_baseline
    parts = split(tasks.recipe(task)[1].reader(path))
    train, test = parts["train"], parts["test"]
    if task in ("pair_classification", "regression"):
        kind = "pairs" if task == "pair_classification" else "regression"
        xy = lambda rows: ([(r["text"], r["text_pair"]) for r in rows], [r["label"] for r in rows])  # noqa: E731
        base = fit_baseline(kind, xy(train), xy(test))["main"]
        if kind == "pairs":
            labels = [r["label"] for r in train]
            majority = max(set(labels), key=labels.count)
            return ("majority class", sum(r["label"] == majority for r in test) / len(test)), base
        return ("constant prediction (Pearson 0)", 0.0), base
    if task == "token_classification":  # a word list: each word's most frequent tag in the training split
        counts = collections.defaultdict(collections.Counter)
        for r in train:
            for w, t in zip(r["tokens"], r["tags"]):
                counts[w][t] += 1
        predicted = [[counts[w].most_common(1)[0][0] if w in counts else "O" for w in r["tokens"]] for r in test]
        return ("word list: each word's most frequent training tag", evaluate(
            task, [r["tags"] for r in test], predicted)["f1"]), None
    if task == "multiple_choice":
        return ("1 of 4 options", 0.25), None
    scores = []  # the expected F1 of answering with a random 3-word span of the context
    for r in test:
        words = r["context"].split()
        spans = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)]
        scores.append(sum(f1(r["answers"][0][0], s) for s in spans) / max(1, len(spans)))
    return ("a random 3-word span of the context", 100 * sum(scores) / len(scores)), None


def finetune(task, path, model, out, epochs, seq, lr=5e-4, shown="INIT"):
    """One `keras-albert finetune` run (skipped when OUT already has its report); `shown` names `model` in the
    recorded command."""
    argv = [sys.executable, "-m", "keras_albert_cli", "finetune", "--task", task, "--data", path, "--model",
            model, "--out", out, "--epochs", str(epochs), "--sequence-length", str(seq), "--batch-size", "32",
            "--learning-rate", f"{lr:g}", "--warmup-ratio", "0.1", "--seed", "0", "--verbose", "2", "--overwrite"]
    start = time.time()
    timing = os.path.join(out, "bench_seconds.json")
    if not os.path.exists(os.path.join(out, "report.json")):  # a finished task is not rerun
        subprocess.run(argv, check=True)
        json.dump({"seconds": round(time.time() - start)}, open(timing, "w"))
    report = json.load(open(os.path.join(out, "report.json")))
    metric = report["main_metric"]
    command = "keras-albert " + " ".join(a if a != path else os.path.basename(path) for a in argv[3:])
    return {"metric": metric, "test": report["test"][metric], "validation": report["validation"][metric],
            "history": report["history"].get(f"val_{metric}"), "seconds": json.load(open(timing))["seconds"],
            "command": command.replace(out, "OUT").replace(model, shown)}


def markdown(results, model, cpu, when, command):
    """The section: one row per task, a test-score column per start (pretrained / random), then each task's
    paragraph and commands. `model` describes the starts in words."""
    starts = list(next(iter(results.values()))["runs"])
    total = sum(r["seconds"] for t in results.values() for r in t["runs"].values())
    lines = ["## Learning every task",
             f"Does a small ALBERT learn every fine-tuning task? `{command}`: bench/task_data.py builds one file "
             "per task, in its real format, from the IMDB reviews (no SQuAD/CoNLL/MNLI/RACE/STS-B offline; "
             "every sentence is used in at most one example per file, so no test sentence is seen in training); "
             f"the first N examples of each are cut 80/10/10 (the CLI's seed-0 split). {model} Each run is "
             f"`keras-albert finetune --task TASK` (AdamW, warm-up 0.1, batch 32, seed 0; best "
             "epoch by the validation main metric); scores are on the test split. "
             f"{cpu}, 2 cores, {when}; {total / 60:.0f} minutes for the whole table.", "",
             "| task | N | seq | epochs | main metric | " + " | ".join(f"{s} test" for s in starts) + " | " +
             " | ".join(f"{s} val" for s in starts) + " | chance or simple reference | TF-IDF baseline | time (s) |",
             "|---|---|---|---|---|" + "---|" * (2 * len(starts)) + "---|---|---|"]
    for task, r in results.items():
        base = "–" if r["baseline"] is None else f"{r['baseline']:.3f}"
        runs = r["runs"]
        metric = next(iter(runs.values()))["metric"]
        lines.append(f"| {task} | {r['examples']} | {r['seq']} | {r['epochs']} | {metric} | " +
                     " | ".join(f"**{x['test']:.3f}**" for x in runs.values()) + " | " +
                     " | ".join(f"{x['validation']:.3f}" for x in runs.values()) +
                     f" | {r['chance']:.3f} ({r['chance_is']}) | {base} | " +
                     " + ".join(str(x["seconds"]) for x in runs.values()) + " |")
    lines += ["", "(Question-answering F1 is the official script's, in percent; the others are 0-1.) Per epoch "
              "validation main metric: " + "; ".join(
                  f"{t} {s} " + " / ".join(f"{v:.3f}" for v in (x["history"] or []))
                  for t, r in results.items() for s, x in r["runs"].items()), ""]
    for task, r in results.items():
        commands = "; ".join(f"`{x['command']}`" for x in r["runs"].values())
        lines += [f"**{task}** (`{os.path.basename(r['data'])}`): {HOW[task]} Commands: {commands}.", ""]
    return "\n".join(lines)


def put_section(path, section):
    """Replace the "Learning every task" section of `path` where it stands (or append it): other sections and
    their order stay as they are."""
    text = open(path, encoding="utf-8").read()
    start = text.find("## Learning every task")
    section = section.rstrip("\n") + "\n"
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--init", help="a pretraining checkpoint's (or a task model's) directory: run it and a random "
                        "initialization of its shape")
    parser.add_argument("--starts", help="with --init: pretrained,random (the default), or either alone")
    parser.add_argument("--epochs", type=int, help="train every task this many epochs instead of PLAN's")
    parser.add_argument("--tasks", default=",".join(PLAN))
    parser.add_argument("--examples", type=int, help="use this many examples of every task instead of PLAN's "
                        "(0: all the file builder makes)")
    parser.add_argument("--benchmarks", help="a BENCHMARKS.md to put the section into")
    parser.add_argument("--notes", help="a markdown file of conclusions (written after reading the numbers), "
                        "appended to the section")
    args = parser.parse_args()
    if args.starts and (not args.init or not set(args.starts.split(",")) <= {"pretrained", "random"}):
        parser.error("--starts needs --init and takes pretrained, random or pretrained,random")
    from keras_albert import tasks
    os.makedirs(args.out, exist_ok=True)
    if args.init:
        random_dir, params, config = make_random_like(args.out, args.init)
        chosen = (args.starts or "pretrained,random").split(",")
        starts = {s: d for s, d in (("pretrained", args.init), ("random", random_dir)) if s in chosen}
        model = (f"{'Two starts' if len(starts) > 1 else 'One start'} of the same shape (E {config.embedding_size}, "
                 f"H {config.hidden_size}, {config.num_hidden_layers} layers sharing one block, "
                 f"{config.num_attention_heads} heads, FFN {config.intermediate_size}, {config.vocab_size:,}-piece "
                 f"vocabulary; {params:,} backbone parameters): **pretrained** is {pretraining(args.init)} "
                 f"(fine-tuned at learning rate {LEARNING_RATE['pretrained']:g})")
        model += (f", **random** the same architecture and vocabulary randomly initialized (seed 0, learning rate "
                  f"{LEARNING_RATE['random']:g})." if "random" in starts else ".")
        command = f"python bench/task_learning.py OUT --init {args.init}"
        if args.starts:
            command += f" --starts {args.starts}"
    else:
        from keras_albert.data import load_texts
        random_dir, params = make_model(args.out, load_texts("imdb")[:5000])
        starts = {"random": random_dir}
        model = (f"One randomly initialized small ALBERT (E 64, H 128, 4 layers sharing one block, 4 heads, FFN "
                 f"512, {VOCAB:,}-piece vocabulary trained on 5,000 IMDB reviews; {params:,} backbone "
                 f"parameters; learning rate {LEARNING_RATE['random']:g}).")
        command = "python bench/task_learning.py OUT"
    if args.epochs is not None:
        command += f" --epochs {args.epochs}"
    if args.examples is not None:
        command += f" --examples {args.examples}"
    cpu = cpu_kind()
    results = {}
    for task in args.tasks.split(","):
        seq, limit, epochs = PLAN[task]
        epochs = args.epochs or epochs
        limit = limit if args.examples is None else args.examples or None
        path = write_all(os.path.join(args.out, f"data-{limit}"), seed=0, limit=limit)[task]
        (chance_is, chance), baseline = references(task, path)
        runs = {}
        for start, model_dir in starts.items():
            lr = LEARNING_RATE["pretrained" if start == "pretrained" else "random"]
            shown = model_dir if start == "pretrained" else "INIT"
            runs[start] = finetune(task, path, model_dir, os.path.join(args.out, start, task), epochs, seq,
                                   lr, shown)
            print(task, start, json.dumps(runs[start]), flush=True)
        results[task] = {"runs": runs, "examples": len(tasks.recipe(task)[1].reader(path)), "seq": seq,
                         "epochs": epochs, "data": path, "chance": chance, "chance_is": chance_is, "baseline": baseline}
        json.dump(results, open(os.path.join(args.out, "task_learning.json"), "w"), indent=1)
    section = markdown(results, model, cpu, datetime.date.today().isoformat(), command)
    if args.notes:
        section += "\n" + open(args.notes, encoding="utf-8").read()
    open(os.path.join(args.out, "learning_every_task.md"), "w").write(section)
    if args.benchmarks:
        put_section(args.benchmarks, section)
    print(section)


if __name__ == "__main__":
    main()
