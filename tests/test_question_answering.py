"""The question-answering pipeline: transformers 4.x's algorithm (windows, word alignment, answers merged across
windows, the null answer), held to that pipeline itself, run in its own environment on the same weights."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from test_convert_hf import hf_config, ours, random_model

import keras_albert

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE_ENV = os.path.join(ROOT, "build", "reference-envs", "transformers4")
ODD = "Ｔhe  CAFÉ in São Paulo   opened in 1998 😀, said Zoë; the ﬁnal menu had crêpes."


@pytest.fixture(scope="module")
def qa_dir(tmp_path_factory, tokenizer, rt_texts):
    """A random-init (checkpoint-like) AlbertQuestionAnswerer written as an HF directory."""
    config = ours(hf_config(vocab_size=tokenizer.vocab_size, num_hidden_groups=2, max_position_embeddings=64))
    model = random_model("question_answering", config, seed=21)
    path = tmp_path_factory.mktemp("qa") / "hf"
    keras_albert.save_hf(model, path, tokenizer=tokenizer)
    return str(path)


def cases(rt_texts):
    long_context = " ".join(rt_texts[0][:12])
    return [
        {"question": "what is it?", "context": rt_texts[0][3]},
        {"question": "who made the film?", "context": long_context},
        {"question": "why?", "context": long_context, "kwargs": {"top_k": 3, "doc_stride": 10, "max_seq_len": 40}},
        {"question": "where?", "context": rt_texts[0][7], "kwargs": {"handle_impossible_answer": True, "top_k": 2}},
        {"question": "when did it open?", "context": ODD, "kwargs": {"align_to_words": False, "top_k": 4}},
        {"question": "WHERE is the Café?", "context": ODD},
        {"question": "how long?", "context": long_context, "kwargs": {"max_answer_len": 3, "top_k": 2}},
    ]


def run_ours(path, case):
    qa = keras_albert.pipeline("question-answering", model=path)
    return qa(question=case["question"], context=case["context"], **case.get("kwargs", {}))


def test_answers_are_spans_of_the_original_context(qa_dir, rt_texts):
    for case in cases(rt_texts):
        result = run_ours(qa_dir, case)
        answers = result if isinstance(result, list) else [result]
        assert 1 <= len(answers) <= case.get("kwargs", {}).get("top_k", 1)
        assert [a["score"] for a in answers] == sorted((a["score"] for a in answers), reverse=True)
        for a in answers:
            assert case["context"][a["start"]:a["end"]] == a["answer"]
            assert 0.0 <= a["score"] <= 1.0 + 1e-6


def test_transformers_argument_forms(qa_dir, rt_texts):
    qa = keras_albert.pipeline("question-answering", model=qa_dir, top_k=1)
    one = qa(question="what?", context=rt_texts[0][1])
    assert qa("what?", rt_texts[0][1]) == one and qa({"question": "what?", "context": rt_texts[0][1]}) == one
    many = qa(question=["what?", "who?"], context=rt_texts[0][1])
    assert len(many) == 2 and many[0] == one
    assert qa(question=["what?", "who?"], context=[rt_texts[0][1], rt_texts[0][2]])[0] == one
    with pytest.raises(ValueError, match="2 questions but 1 contexts"):
        qa(question=["what?", "who?"], context=[rt_texts[0][1]])
    with pytest.raises(ValueError, match="`context` cannot be empty"):
        qa(question="what?", context="")
    with pytest.raises(ValueError, match=r"doc_stride \(50\) is larger than max_seq_len \(40\)"):
        qa(question="what?", context="a b c", doc_stride=50, max_seq_len=40)
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        keras_albert.pipeline("question-answering", model=qa_dir, top_k=0)
    with pytest.raises(ValueError, match="question-answering needs a question-answering model"):
        keras_albert.pipeline("question-answering", model=random_model("classification", ours(hf_config())),
                              tokenizer=qa.tokenizer)


def test_a_long_context_is_read_in_overlapping_windows(qa_dir, rt_texts):
    """Every window is read: a context cut into many small windows gives candidate answers from its start and
    from its second half alike (with one window only, nothing past the first ~20 pieces could be found)."""
    context = " ".join(rt_texts[0][:12])
    qa = keras_albert.pipeline("question-answering", model=qa_dir)
    found = {a["start"] for a in qa(question="who?", context=context, top_k=40, max_seq_len=24, doc_stride=4)}
    assert max(found) > len(context) // 2 and min(found) < len(context) // 4


def _reference_python():
    python = os.path.join(REFERENCE_ENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", REFERENCE_ENV], check=True)
    pip = subprocess.run([os.path.join(REFERENCE_ENV, "bin", "pip"), "install", "-q", "--disable-pip-version-check",
                          "transformers>=4.50,<5", "torch==2.13.0", "sentencepiece", "protobuf"],
                         capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-2000:]
    return python


@pytest.mark.slow
def test_same_answers_and_scores_as_transformers_4_pipeline(qa_dir, rt_texts):
    """transformers removed its question-answering pipeline in 5.3: the reference is 4.x's, in its own
    environment, on the directory our model was saved to."""
    job = {"model": qa_dir, "cases": cases(rt_texts)}
    done = subprocess.run([_reference_python(), os.path.join(ROOT, "tests", "reference_scripts",
                                                             "qa_transformers4.py")],
                          input=json.dumps(job), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    reference = json.loads(done.stdout.strip().splitlines()[-1])
    assert reference["transformers"].startswith("4.")
    for case, theirs in zip(job["cases"], reference["results"]):
        mine = run_ours(qa_dir, case)
        assert type(mine) is type(theirs), case
        mine, theirs = (mine, theirs) if isinstance(mine, list) else ([mine], [theirs])
        assert [(a["answer"], a["start"], a["end"]) for a in mine] == \
            [(a["answer"], a["start"], a["end"]) for a in theirs], case
        np.testing.assert_allclose([a["score"] for a in mine], [a["score"] for a in theirs], rtol=1e-3, atol=1e-6)


def test_cli_answer_prints_the_pipelines_answers(qa_dir, rt_texts, tmp_path, capsys):
    from keras_albert_cli.cli import main
    context = " ".join(rt_texts[0][:6])
    expected = run_ours(qa_dir, {"question": "who?", "context": context, "kwargs": {"top_k": 2}})
    assert main(["answer", qa_dir, "--question", "who?", "--context", context, "--top-k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1:] for line in lines] == [[str(a["start"]), str(a["end"]), a["answer"]]
                                                         for a in expected]
    (tmp_path / "context.txt").write_text(context, encoding="utf-8")
    (tmp_path / "qs.jsonl").write_text("\n".join(json.dumps({"question": q, "context": context})
                                                 for q in ("who?", "what?")), encoding="utf-8")
    assert main(["answer", qa_dir, "-q", "who?", "--context-file", str(tmp_path / "context.txt"), "--json"]) == 0
    best = run_ours(qa_dir, {"question": "who?", "context": context})  # (top_k changes the candidates merged)
    assert json.loads(capsys.readouterr().out)["answers"] == [best]
    assert main(["answer", qa_dir, "--file", str(tmp_path / "qs.jsonl"), "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["answer", qa_dir, "--question", "who?"]) == 2
    assert capsys.readouterr().err.strip() == ("keras-albert answer: error: give the context with --context C or "
                                               "--context-file FILE (one of them)")


def test_cli_answer_names_the_input_that_fails(qa_dir, tmp_path, capsys):
    """A blank question is refused like an empty context; a file that is not UTF-8, or a question too long for
    the window, is named (file, line or item), not a bare codec or packing message."""
    from keras_albert_cli.cli import main
    assert main(["answer", qa_dir, "-q", "  ", "-c", "Bob did it."]) == 2
    assert capsys.readouterr().err.strip() == "keras-albert answer: error: the question is empty"
    assert main(["answer", qa_dir, "-q", "who?", "-c", "Bob did it.", "--top-k", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("keras-albert answer: error: --top-k ") and "top_k" not in err
    (tmp_path / "ctx.txt").write_bytes(b"Bob \xff did it.\n")
    assert main(["answer", qa_dir, "-q", "who?", "--context-file", str(tmp_path / "ctx.txt")]) == 2
    assert capsys.readouterr().err.strip() == (f"keras-albert answer: error: {tmp_path / 'ctx.txt'}:1: byte 0xff at "
                                               "column 5 is not UTF-8 text; save the file as UTF-8")
    long_question = " ".join(["why"] * 40)
    (tmp_path / "qs.jsonl").write_text("\n".join(json.dumps({"question": q, "context": "Bob did it."})
                                                 for q in ("who?", long_question)), encoding="utf-8")
    assert main(["answer", qa_dir, "--file", str(tmp_path / "qs.jsonl"), "--max-seq-len", "16"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"keras-albert answer: error: {tmp_path / 'qs.jsonl'}: item 2: ")
    (tmp_path / "blank.jsonl").write_text(json.dumps({"question": " ", "context": "Bob did it."}), encoding="utf-8")
    assert main(["answer", qa_dir, "--file", str(tmp_path / "blank.jsonl")]) == 2
    assert "item 1 is not an object with a non-empty" in capsys.readouterr().err
