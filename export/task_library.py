"""The TFLite Task Library's side of question answering: the metadata its `BertQuestionAnswerer` needs, written
into the exported file, and that BertQuestionAnswerer itself run on a file (the proof that the file works there).

BertQuestionAnswerer finds its tokenizer in the first input process unit (a SentencePiece model packed into the
file) and its tensors by the metadata names `ids`, `mask`, `segment_ids` and `end_logits`, `start_logits`, in the
order of the model's own tensors; it packs `[CLS] question [SEP] context [SEP]` to the input length itself.

tflite-support (the writer and the Task Library's Python binding) pins protobuf 3 and numpy 1, which TensorFlow
cannot share, so both run in their own environment, made on first use and cached beside MediaPipe's writer
(`keras_albert_export.metadata.writer_python`). Its wheel links libusb-1.0, which many machines lack: the
`libusb-package` wheel brings one, loaded before tflite_support is imported.

This file runs as a script in that environment: keep its top level free of TensorFlow and keras_albert.
"""
import json
import os
import subprocess
import sys
import tempfile

REQUIREMENTS = ("tflite-support==0.4.4", "numpy<2", "libusb-package")  # 0.4.4: the last release
INPUTS = ("ids", "mask", "segment_ids")
OUTPUTS = ("end_logits", "start_logits")
SPIECE = "spiece.model"  # the name the vocabulary is packed under (runtime.read_exported reads it)


def task_library_python():
    """The Python of the cached tflite-support environment (created on first use)."""
    from keras_albert_export.metadata import writer_python
    return writer_python(REQUIREMENTS)


def tensor_names(model_bytes):
    """{signature name: TFLite tensor name} of serving_default's inputs and outputs (the writer orders the
    metadata by the tensor names)."""
    from keras_albert_export.runtime import SIGNATURE, interpreter_class
    runner = interpreter_class()(model_content=model_bytes).get_signature_runner(SIGNATURE)
    details = {**runner.get_input_details(), **runner.get_output_details()}
    missing = [n for n in INPUTS + OUTPUTS if n not in details]
    if missing:
        raise ValueError(f"not a question-answering export: its signature lacks {missing}")
    return {n: details[n]["name"] for n in INPUTS + OUTPUTS}


def _run(job):
    """Run this file in the tflite-support environment with a JSON job on stdin; its JSON answer (one line of
    its stderr when it fails)."""
    from keras_albert_export.metadata import last_line
    done = subprocess.run([task_library_python(), os.path.abspath(__file__)], input=json.dumps(job), text=True,
                          capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"tflite-support ({job['job']}) failed: "
                           f"{last_line(done.stderr, f'exit status {done.returncode}')}")
    return json.loads(done.stdout)


def add_qa_metadata(model_bytes, spiece_path, labels=None):
    """Question-answering model bytes -> the same model with BertQuestionAnswerer metadata (the SentencePiece
    tokenizer and the tensor names). `labels` is unused: the signature matches `metadata.add_metadata`.

    The packed vocabulary carries ALBERT's normalization (`raw_text_model`), as for MediaPipe: the Task Library
    lowercases ASCII only and hands the rest of the raw text to SentencePiece."""
    from keras_albert.normalization import raw_text_model

    names = tensor_names(model_bytes)
    with open(spiece_path, "rb") as f:
        vocabulary = raw_text_model(f.read())
    with tempfile.TemporaryDirectory() as tmp:
        paths = {k: os.path.join(tmp, k) for k in ("in.tflite", "out.tflite", SPIECE)}
        for key, data in (("in.tflite", model_bytes), (SPIECE, vocabulary)):
            with open(paths[key], "wb") as f:
                f.write(data)
        _run({"job": "write", "model": paths["in.tflite"], "out": paths["out.tflite"], "spiece": paths[SPIECE],
              "names": names})
        with open(paths["out.tflite"], "rb") as f:
            return f.read()


def task_library_answers(model_path, pairs):
    """The Task Library's BertQuestionAnswerer on a file: [(context, question)] -> for each, its answers, best
    first, as {"text", "start", "end", "logit"} (start/end: positions in its packed input, the logit: start + end
    logit). Its decoding: the 5 best starts x the 5 best ends, spans of at most 32 pieces inside the context,
    the text being the whole space-separated context words they touch; the question is cut to 64 pieces."""
    return _run({"job": "answer", "model": os.path.abspath(model_path), "pairs": [list(p) for p in pairs]})


def read_metadata(model_path):
    """The file's metadata as tflite-support's MetadataDisplayer reads it: {"metadata": its JSON as a dict,
    "files": the packed files' names}."""
    return _run({"job": "read", "model": os.path.abspath(model_path)})


# ---- below: runs in the tflite-support environment ----

def _load_tflite_support():
    """Load the bundled libusb-1.0 (tflite_support's extension links it) before importing tflite_support."""
    import ctypes

    import libusb_package
    path = libusb_package.get_library_path()
    if path is not None:
        ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)


def _write(job):
    from tensorflow_lite_support.metadata.python.metadata_writers import metadata_info, metadata_writer, writer_utils
    names = job["names"]
    with open(job["model"], "rb") as f:
        model = bytearray(f.read())
    bert_inputs = metadata_info.BertInputTensorsMd(
        model, names["ids"], names["mask"], names["segment_ids"],
        tokenizer_md=metadata_info.SentencePieceTokenizerMd(job["spiece"]))
    outputs = {names["end_logits"]: metadata_info.TensorMd(name="end_logits", description="End logits of the span."),
               names["start_logits"]: metadata_info.TensorMd(name="start_logits",
                                                             description="Start logits of the span.")}
    general = metadata_info.GeneralMd(name="keras-albert question answering",
                                      description="ALBERT extractive question answering (keras-albert export).")
    units = bert_inputs.create_input_process_unit_metadata()
    for unit in units:  # pack and name the vocabulary by its file name, not the temporary path
        for file in unit.options.sentencePieceModel:
            file.name = os.path.basename(file.name)
    writer = metadata_writer.MetadataWriter.create_from_metadata(
        model, general.create_metadata(), bert_inputs.create_input_tesnor_metadata(),
        [outputs[n].create_metadata() for n in writer_utils.get_output_tensor_names(model)],
        associated_files=bert_inputs.get_tokenizer_associated_files(), input_process_units=units)
    with open(job["out"], "wb") as f:
        f.write(writer.populate())
    return {}


def _answer(job):
    from tflite_support.task.text import BertQuestionAnswerer
    answerer = BertQuestionAnswerer.create_from_file(job["model"])
    out = []
    for context, question in job["pairs"]:
        result = answerer.answer(context, question)
        out.append([{"text": a.text, "start": a.pos.start, "end": a.pos.end, "logit": a.pos.logit}
                    for a in result.answers])
    return out


def _read(job):
    from tensorflow_lite_support.metadata.python.metadata import MetadataDisplayer
    displayer = MetadataDisplayer.with_model_file(job["model"])
    return {"metadata": json.loads(displayer.get_metadata_json()), "files": displayer.get_packed_associated_file_list()}


def _main():
    job = json.load(sys.stdin)
    _load_tflite_support()
    json.dump({"write": _write, "answer": _answer, "read": _read}[job["job"]](job), sys.stdout)


if __name__ == "__main__":
    _main()
