"""The lengths an export times and buckets: the report's latency up to the export's own length, the bucket file
at its own lengths only, and buckets an export cannot have refused before any work."""
import json

from conftest import tiny_config


def _model_dir(tmp_path, model, tokenizer, labels=None):
    from keras_albert.model_dir import save_model_dir
    return save_model_dir(str(tmp_path / "model"), model, tokenizer, labels)


def test_report_times_the_export_length_and_the_buckets_there_are(tmp_path, tokenizer):
    """A 160-token export is timed at 16/32/64/128 and 160 (128 came twice, 160 never); `--buckets 16,32` leaves
    out report lengths and is timed at 16 and 32 only (LiteRT's `Invalid signature_key "length_64"` before)."""
    from keras_albert import AlbertBackbone, AlbertClassifier
    from keras_albert_export.pipeline import export_all
    config = tiny_config(vocab_size=tokenizer.vocab_size, max_position_embeddings=160)
    model_dir = _model_dir(tmp_path, AlbertClassifier(AlbertBackbone(config), 2), tokenizer, ["neg", "pos"])
    out = tmp_path / "export"
    report = export_all(model_dir, str(out), variants=["float32"], metadata="off", buckets=(32, 16), max_drop=None,
                        log=lambda line: None)
    for threads in (1, 2):
        assert list(report["variants"]["float32"]["latency_ms"][threads]) == [16, 32, 64, 128, 160]
        assert list(report["buckets"]["latency_ms"][threads]) == [16, 32]
    saved = json.loads((out / "report.json").read_text())
    assert list(saved["buckets"]["latency_ms"]["1"]) == ["16", "32"]
    bucket_rows = [line for line in (out / "report.md").read_text().splitlines() if line.startswith("| fixed-length")]
    assert len(bucket_rows) == 2 and all(row.endswith("| n/a | n/a | n/a |") for row in bucket_rows)


def test_buckets_an_export_cannot_have_are_refused_before_work(tmp_path, tokenizer, capsys):
    """A fixed-window (question-answering) export has no use for length buckets, a bucket longer than the export's
    --sequence-length would be cut, and one named twice clashes: one line each, before anything is written (after
    ~20 s of work, in LiteRT's, the converter's or Keras' words, before)."""
    from keras_albert import AlbertBackbone, AlbertClassifier, AlbertQuestionAnswerer
    from keras_albert_cli.cli import main
    config = tiny_config(vocab_size=tokenizer.vocab_size)
    qa = _model_dir(tmp_path / "qa", AlbertQuestionAnswerer(AlbertBackbone(config)), tokenizer)
    cls = _model_dir(tmp_path / "cls", AlbertClassifier(AlbertBackbone(config), 2), tokenizer, ["neg", "pos"])
    for argv, message in (([qa, "--buckets", "16,32"], f"--buckets: {qa} holds a question_answering model, exported "
                                                       "at one fixed window"),
                          ([cls, "--sequence-length", "40", "--buckets", "16,64"],
                           "--buckets 64: longer than the export's sequence length (40 tokens)"),
                          ([cls, "--buckets", "16,32,16"], "--buckets lengths must be at least 3, each once")):
        out = tmp_path / "out"
        assert main(["export", *argv, "--out", str(out), "--no-gate", "--metadata", "off"]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and message in captured.err
        assert not out.exists() and not list(tmp_path.glob("out*"))


def test_convert_refuses_buckets_for_a_fixed_window(tokenizer):
    """The library's `convert` too: a question answerer's runtimes pad every input to its window."""
    import pytest

    from keras_albert import AlbertBackbone, AlbertQuestionAnswerer
    from keras_albert_export.tflite import convert
    with pytest.raises(ValueError, match="length buckets are for dynamic-length exports, not a question_answering"):
        convert(AlbertQuestionAnswerer(AlbertBackbone(tiny_config())), "float32", buckets=(16,))
