"""Run transformers 4.x's question-answering pipeline (removed in 5.3) on a model directory: the reference our
`question-answering` pipeline is held to. Runs in its own environment (transformers<5, torch, sentencepiece).

    python qa_transformers4.py < {"model": DIR, "cases": [{"question": Q, "context": C, "kwargs": {...}}, ...]}
prints one JSON line: the pipeline's result for each case, and the transformers version.
"""
import json
import sys

import transformers


def main():
    job = json.load(sys.stdin)
    qa = transformers.pipeline("question-answering", model=job["model"], tokenizer=job["model"], device=-1)
    assert qa.tokenizer.is_fast, "the reference is the fast-tokenizer path"
    results = [qa(question=case["question"], context=case["context"], **case.get("kwargs", {}))
               for case in job["cases"]]
    print(json.dumps({"transformers": transformers.__version__, "results": results}))


if __name__ == "__main__":
    main()
