"""TFLite metadata for MediaPipe Tasks' TextClassifier: the SentencePiece model and the labels inside the file,
so raw text goes in and named categories come out (the Android demo's runtime).

The writer is MediaPipe's own (`text_classifier.MetadataWriter.create_for_bert_model`). Recent mediapipe wheels
(0.10.30 onwards) can read metadata but their writer fails to import a compiled module they do not ship, and the
releases whose writer works pin protobuf below what TensorFlow needs. So: the writer runs in this process when
an importable one is installed, and otherwise in its own virtual environment, made on first use and cached
(`KERAS_ALBERT_CACHE`, default ~/.cache/keras-albert), where the writer's own pins cannot clash with
TensorFlow's. `KERAS_ALBERT_METADATA_WRITER` names the pip requirement installed there.

This file runs as a script in that environment: keep its top level free of TensorFlow and keras_albert.
"""
import json
import os
import subprocess
import sys
import tempfile

WRITER_REQUIREMENT = "mediapipe==0.10.21"  # the last release whose wheel ships the writer's compiled module
_FAILED = {}  # environment -> why it could not be set up: tried once per process, not once per exported file


def _populate(model_bytes, spiece_path, labels, names):
    """MediaPipe's writer, in whatever process imports it: returns the model bytes with metadata."""
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, text_classifier
    writer = text_classifier.MetadataWriter.create_for_bert_model(
        bytearray(model_bytes), metadata_writer.SentencePieceTokenizer(spiece_path),
        metadata_writer.Labels().add(list(labels)), ids_name=names["ids"], mask_name=names["mask"],
        segment_name=names["segment_ids"])
    model, _ = writer.populate()
    return bytes(model)


def _writer_importable():
    try:
        from mediapipe.tasks.python.metadata.metadata_writers import text_classifier  # noqa: F401
        return True
    except Exception:  # ImportError of the missing compiled module, or an incompatible install
        return False


def writer_python(requirements=None):
    """The Python of a cached writer environment, created (pip install `requirements`, default MediaPipe's
    writer) on first use."""
    cache = os.environ.get("KERAS_ALBERT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "keras-albert")
    requirements = list(requirements or [os.environ.get("KERAS_ALBERT_METADATA_WRITER", WRITER_REQUIREMENT)])
    requirement = " ".join(requirements)
    tag = "".join(c if c.isalnum() or c in ".-" else "_" for c in "+".join(requirements))
    env = os.path.join(cache, f"metadata-writer-py{sys.version_info[0]}{sys.version_info[1]}-{tag}")
    python = os.path.join(env, "bin", "python")
    if os.path.isfile(os.path.join(env, ".ready")):
        return python
    if env in _FAILED:
        raise RuntimeError(_FAILED[env])
    import fcntl
    os.makedirs(cache, exist_ok=True)
    with open(env + ".lock", "w") as lock:  # two processes exporting at once build the environment once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(os.path.join(env, ".ready")):
            return python
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", env], check=True, capture_output=True, text=True)
            subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", *requirements],
                           check=True, capture_output=True, text=True)
        except (subprocess.CalledProcessError, OSError) as e:
            why = last_line(getattr(e, "stderr", None), e)
            _FAILED[env] = f"could not set up the metadata writer ({requirement}) in {env}: {why}"
            raise RuntimeError(_FAILED[env]) from None
        open(os.path.join(env, ".ready"), "w").close()
    return python


def last_line(stderr, fallback):
    """A failed subprocess's last non-empty line of stderr (pip's and a traceback's conclusion), else `fallback`:
    a warning or an error is one line."""
    lines = (stderr or "").strip().splitlines()
    return lines[-1].strip()[-300:] if lines else str(fallback)


def ensure_writer(writer):
    """Set up the environment of `writer` (an export task's "module:function" metadata writer) now, before any
    work: so `--metadata on` fails first, not after the conversions. A writer module naming REQUIREMENTS runs in
    that environment; none: MediaPipe's writer, in this process when importable. RuntimeError (one line) if not."""
    import importlib
    requirements = getattr(importlib.import_module(writer.split(":")[0]), "REQUIREMENTS", None)
    if requirements is None and _writer_importable():
        return None
    return writer_python(requirements)


def tensor_names(model_bytes):
    """The TFLite tensor names behind the signature inputs ids/mask/segment_ids (the writer wants those)."""
    from keras_albert_export.runtime import INPUTS, interpreter_class
    details = interpreter_class()(model_content=model_bytes).get_signature_runner().get_input_details()
    return {n: details[n]["name"] for n in INPUTS}


def add_metadata(model_bytes, spiece_path, labels):
    """Model bytes -> the same model with TextClassifier metadata (tokenizer + labels packed inside).

    The packed spiece.model is the vocabulary with ALBERT's normalization compiled in (`raw_text_model`):
    MediaPipe lowercases ASCII only and hands the rest of the raw text to SentencePiece, so a checkpoint's own
    vocabulary (nmt_nfkc) would otherwise see uppercase and accented letters the Python tokenizer never gives it."""
    from keras_albert.normalization import raw_text_model

    labels = [str(x) for x in labels]
    names = tensor_names(model_bytes)
    with open(spiece_path, "rb") as f:
        vocabulary = raw_text_model(f.read())
    with tempfile.TemporaryDirectory() as tmp:
        spiece = os.path.join(tmp, "spiece.model")  # the name the file is packed under
        with open(spiece, "wb") as f:
            f.write(vocabulary)
        if _writer_importable():
            return _populate(model_bytes, spiece, labels, names)
        source, target = os.path.join(tmp, "in.tflite"), os.path.join(tmp, "out.tflite")
        with open(source, "wb") as f:
            f.write(model_bytes)
        job = json.dumps({"model": source, "out": target, "spiece": spiece, "labels": labels, "names": names})
        done = subprocess.run([writer_python(), os.path.abspath(__file__)], input=job, text=True,
                              capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"the metadata writer failed: "
                               f"{last_line(done.stderr, f'exit status {done.returncode}')}")
        with open(target, "rb") as f:
            return f.read()


def _main():
    job = json.load(sys.stdin)
    with open(job["model"], "rb") as f:
        model = _populate(f.read(), job["spiece"], job["labels"], job["names"])
    with open(job["out"], "wb") as f:
        f.write(model)


if __name__ == "__main__":
    _main()
