"""The documentation is true: every fenced Python block and every `keras-albert` line of the docs runs as
written, with tiny stand-ins for the checkpoints, folders and files the docs name (table below), so a doc that
stops being true fails the suite.

A doc is a session, as a reader follows it: its Python blocks run in order in one namespace, and its command
lines in order in one folder. Usage synopses (a line with `[--flag ...]`) and the cluster recipes of docs not
in CLI_DOCS are not run, but every flag of every command line must be one the command's `--help` lists. A
block fenced as ```` ```python no-run ```` (one that needs a cloud bucket) is compiled, not run.
"""
import os
import re
import shlex
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["README.md", "docs/pretrained.md", "docs/training.md", "docs/export.md", "docs/performance.md",
        "docs/pretraining_data.md", "docs/gpu.md", "android_demo/README.md", "docs/tasks.md"]
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)

# What a doc names -> the stand-in the test makes (hub ids would need the network; sizes would take hours).
STAND_INS = [
    (r'(?<!from_preset\()"albert-(base|large)-v2"', '"{hf}"'),  # a hub id: a tiny HF checkpoint instead
    (r"--init albert-base-v2", "--init {hf}"),
    (r"path/to/hf_dir", "{hf}"), (r"path/to/albert_base", "{tf1}"), (r"path/to/model_dir", "{model_dir}"),
    *((f"path/to/{name}_model", "{%s}" % name) for name in ("mnli", "ner", "qa", "race")),
    (r"\bMODEL_DIR\b", "{model_dir}"), (r"\bSRC\b", "{hf}"),
    (r"--steps \d+", "--steps 3"), (r"--vocab-size \d+", "--vocab-size 600"), (r"--epochs \d+", "--epochs 1"),
    (r"\bepochs=\d+", "epochs=1"), (r"\bworkers=\d+", "workers=1"), (r"\bnum_shards=\d+", "num_shards=2"),
    (r"\bvocab_size=30000", "vocab_size=600"),
    # sizes the lines leave to defaults: a fresh pretrain gets the tiny test shape, a finetune one epoch
    (r"^(keras-albert pretrain )(?!.*--init)(?!.*--hidden-size)",
     r"\1--hidden-size 32 --num-hidden-layers 2 --num-attention-heads 4 --intermediate-size 48 --embedding-size 16 "),
    (r"^(keras-albert finetune )(?!.*--epochs)", r"\1--epochs 1 "),
]
# Lines a CI step or another test runs already (the README's two commands are .ci/run itself).
RUN_ELSEWHERE = {"bash scripts/setup.sh": ".ci/run", ".venv/bin/python -m pytest -q": ".ci/run",
                 "keras-albert quickstart": "tests/test_quickstart.py"}
CLI_DOCS = ["docs/pretrained.md", "docs/training.md", "docs/export.md", "README.md", "docs/tasks.md"]


def blocks(doc):
    """[(language, code)] of the fenced blocks of one doc."""
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(f.read())]


def stand_in(text, places):
    for pattern, replacement in STAND_INS:
        text = re.sub(pattern, replacement.format(**places), text)
    return text


def command_lines(code):
    """The `keras-albert ...` lines of a shell block (continuations joined, comments dropped)."""
    joined = re.sub(r"\\\n\s*", " ", code)
    out = []
    for line in joined.splitlines():
        line = line.split("  #")[0].strip()
        for prefix in (".venv/bin/keras-albert ", "keras-albert "):
            if line.startswith(prefix):
                out.append("keras-albert " + line[len(prefix):])
    return out


def is_synopsis(line):
    return "[--" in line


@pytest.fixture(scope="module")
def places(tmp_path_factory, spiece_path):
    """Tiny versions of everything the docs name: an HF and a TF1 checkpoint, a classifier model directory
    with its held-out split, a CSV of your own, corpus files."""
    import transformers
    from conftest import tiny_config
    from test_convert_tf1 import make_tf1_dir

    import keras_albert
    from keras_albert.data import splits
    from keras_albert.tokenizer import AlbertTokenizer

    root = tmp_path_factory.mktemp("docs")
    tokenizer = AlbertTokenizer.from_file(spiece_path)
    hf_cfg = transformers.AlbertConfig(vocab_size=tokenizer.vocab_size, embedding_size=16, hidden_size=32,
                                       num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                                       max_position_embeddings=128)
    hf = root / "hf"
    transformers.AlbertForPreTraining(hf_cfg).save_pretrained(hf)
    shutil.copy(spiece_path, hf / "spiece.model")
    tf1 = root / "tf1"
    make_tf1_dir(tf1, hf_cfg, spiece_path, seed=0)
    model_dir = root / "model_dir"
    backbone = keras_albert.AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size, max_position_embeddings=128))
    model = keras_albert.AlbertClassifier(backbone, 2)
    from keras_albert.model_dir import save_model_dir
    save_model_dir(str(model_dir), model, tokenizer, ["negative", "positive"])
    _write_heldout(model_dir, splits()["test"])
    texts, labels = splits()["train"]
    with open(root / "reviews.csv", "w", encoding="utf-8") as f:
        f.write("review,stars\n" + "".join(f"\"{t.replace(chr(34), '')}\",{y + 1}\n"
                                           for t, y in zip(texts[:300], labels[:300])))
    corpus = "\n\n".join("\n".join(texts[i:i + 4]) for i in range(0, 400, 4)) + "\n"
    for name in ("books.txt", "wiki.txt", "my_reviews.txt"):
        (root / name).write_text(corpus, encoding="utf-8")
    heads = _task_checkpoints(root, hf_cfg, tokenizer, spiece_path)
    return {"root": root, "hf": str(hf), "tf1": str(tf1), "model_dir": str(model_dir), "spiece": spiece_path,
            **heads}


def _task_checkpoints(root, hf_cfg, tokenizer, spiece_path):
    """Random transformers task heads with our vocabulary: what docs/tasks.md calls path/to/{name}_model."""
    import transformers
    made = {"mnli": (transformers.AlbertForSequenceClassification, ["contradiction", "neutral", "entailment"]),
            "ner": (transformers.AlbertForTokenClassification, ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]),
            "qa": (transformers.AlbertForQuestionAnswering, None),
            "race": (transformers.AlbertForMultipleChoice, None)}
    out = {}
    for name, (cls, labels) in made.items():
        cfg = transformers.AlbertConfig(**{**hf_cfg.to_dict(), **({"id2label": dict(enumerate(labels)),
                                                                  "label2id": {n: i for i, n in enumerate(labels)}}
                                                                 if labels else {})})
        path = root / f"{name}_model"
        cls(cfg).save_pretrained(path)
        shutil.copy(spiece_path, path / "spiece.model")
        tokenizer.save_tokenizer_json(str(path / "tokenizer.json"))
        out[name] = str(path)
    return out


def _write_heldout(model_dir, split):
    import json

    from keras_albert.model_dir import HELDOUT
    names = ("negative", "positive")
    with open(os.path.join(model_dir, HELDOUT), "w", encoding="utf-8") as f:
        for text, label in zip(*split):
            f.write(json.dumps({"text": text, "label": names[label]}) + "\n")


def _session(places, tmp_path, models=()):
    """A reader's working folder: the files the docs name, and `models` (folders the reader made earlier
    with a command) as model directories."""
    for name in ("reviews.csv", "books.txt", "wiki.txt", "my_reviews.txt"):
        shutil.copy(places["root"] / name, tmp_path / name)
    shutil.copy(places["spiece"], tmp_path / "spiece.model")
    for name in models:
        shutil.copytree(places["model_dir"], tmp_path / name)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("doc", [d for d in DOCS if any(lang.startswith("python") for lang, _ in blocks(d))])
def test_python_blocks_run_as_written(doc, places, tmp_path, monkeypatch):
    monkeypatch.chdir(_session(places, tmp_path, models=("runs/pre", "runs/rt")))
    namespace = {"__name__": "__doc__"}
    for i, (lang, code) in enumerate(blocks(doc)):
        if not lang.startswith("python"):
            continue
        try:
            compiled = compile(stand_in(code, places), f"{doc} python block {i + 1}", "exec")
            if "no-run" not in lang:
                exec(compiled, namespace)
        except Exception as e:
            pytest.fail(f"{doc}, python block {i + 1} fails: {type(e).__name__}: {e}\n{code}")


@pytest.mark.slow
@pytest.mark.parametrize("doc", CLI_DOCS)
def test_command_lines_run_as_written(doc, places, tmp_path, monkeypatch, capsys):
    """Each line through the command's own entry point, `keras_albert_cli.cli.main(argv)`, in the reader's
    folder. In this process, not a new one per line (~6 s of imports each): the tests built on
    tests/cli_common.py run the command in subprocesses as a user does (its output, exit codes, kills)."""
    from keras_albert_cli.cli import main
    monkeypatch.chdir(_session(places, tmp_path))
    lines = [line for lang, code in blocks(doc) if lang in ("", "bash", "sh") for line in command_lines(code)]
    for line in lines:
        if is_synopsis(line) or line.split("  ")[0].strip() in RUN_ELSEWHERE:
            continue
        argv = shlex.split(stand_in(line, places))[1:]
        code = main(argv)
        assert code == 0, f"{doc}: `{line}` exits {code}:\n{capsys.readouterr().err[-2000:]}"


def test_every_command_line_names_only_real_flags():
    from keras_albert_cli.cli import build_parser
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices
    checked = 0
    for doc in DOCS:
        for lang, code in blocks(doc):
            for line in command_lines(code):
                if line in RUN_ELSEWHERE:
                    continue
                command = line.split()[1]
                assert command in subcommands, f"{doc}: no command `keras-albert {command}`"
                known = {o for a in subcommands[command]._actions for o in a.option_strings}
                for flag in re.findall(r"--[\w-]+", line):
                    assert flag in known, f"{doc}: `keras-albert {command}` has no {flag}"
                    checked += 1
    assert checked


def test_lines_run_elsewhere_are_run_there():
    for line, where in RUN_ELSEWHERE.items():
        path = os.path.join(ROOT, where)
        assert os.path.isfile(path), f"{line!r} is said to run in {where}, which does not exist"
        with open(path, encoding="utf-8") as f:
            assert line.replace("keras-albert ", "") in f.read(), f"{where} does not run {line!r}"
