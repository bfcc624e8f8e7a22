"""`keras-albert bench MODEL.tflite`: a latency table for the lengths and threads asked for."""
import pytest
from conftest import tiny_config

from keras_albert import AlbertBackbone, AlbertClassifier
from keras_albert_cli.cli import main


@pytest.fixture(scope="module")
def tflite_bytes():
    """One converted classifier (two groups, three classes) for both tests: a conversion costs seconds."""
    from keras_albert_export.tflite import convert
    return convert(AlbertClassifier(AlbertBackbone(tiny_config(num_hidden_groups=2)), 3), "dynamic_int8")


def test_bench_prints_one_row_per_thread_count(tmp_path, capsys, tflite_bytes):
    path = tmp_path / "m.tflite"
    path.write_bytes(tflite_bytes)
    assert main(["bench", str(path), "--lengths", "8,32", "--threads", "1,2", "--runs", "3"]) == 0
    from keras_albert_export.cpu import cpu_kind
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == f"CPU: {cpu_kind()}"  # int8 times mean nothing without the CPU kind
    assert lines[1].split("\t") == ["runtime", "threads", "seq 8 (ms)", "seq 32 (ms)"]
    rows = [line.split("\t") for line in lines[2:]]
    assert [r[:2] for r in rows] == [["interpreter", "1"], ["interpreter", "2"], ["weight-cache", "1"],
                                     ["weight-cache", "2"]]
    assert all(float(ms) > 0 for r in rows for ms in r[2:])


def test_weight_cache_runtime_gives_the_interpreters_numbers(tflite_bytes):
    import numpy as np

    from keras_albert_export.runtime import TFLiteClassifier
    data = tflite_bytes
    classic, cached = TFLiteClassifier(model_content=data), TFLiteClassifier(model_content=data, weight_cache=True)
    rng = np.random.default_rng(0)
    for length in (4, 19, 4, 40):  # resizing back and forth
        ids = rng.integers(5, 500, (1, length)).astype(np.int32)
        inputs = {"ids": ids, "mask": np.ones_like(ids), "segment_ids": np.zeros_like(ids)}
        np.testing.assert_allclose(cached(inputs), classic(inputs), atol=1e-6)


def test_bench_refuses_lengths_the_model_cuts(tmp_path, capsys, tflite_bytes):
    """The export cuts input at its sequence length (here the tiny model's 64 positions): a longer length would
    time 64 tokens under another name."""
    from keras_albert_export.tflite import input_limit
    assert input_limit(tflite_bytes) == 64 and input_limit(tflite_bytes, "length_16") is None
    path = tmp_path / "m.tflite"
    path.write_bytes(tflite_bytes)
    assert main(["bench", str(path), "--lengths", "16,65", "--runs", "1"]) == 2
    assert capsys.readouterr().err.strip().endswith("cuts its input at 64 tokens (its export's --sequence-length); "
                                                    "time lengths up to 64")


def test_bench_bad_input_is_one_line(tmp_path, capsys):
    not_tflite = tmp_path / "x.tflite"
    not_tflite.write_text("hello, not a model")
    assert main(["bench", str(not_tflite)]) == 2
    assert "is not a TFLite model" in capsys.readouterr().err
    assert main(["bench", str(tmp_path / "missing.tflite")]) == 2
    assert main(["bench", str(not_tflite), "--lengths", "a,b"]) == 2


def test_bench_refuses_before_its_table(tmp_path, capsys, tflite_bytes):
    """A truncated file, a fixed-window (question-answering) file at other lengths, no runs or absurd thread
    counts: one line each, before the CPU line and the header (a traceback or a table of nan before)."""
    from keras_albert import AlbertQuestionAnswerer
    from keras_albert_export.tflite import convert
    truncated = tmp_path / "t.tflite"
    truncated.write_bytes(tflite_bytes[:3000])
    qa = tmp_path / "qa.tflite"
    qa.write_bytes(convert(AlbertQuestionAnswerer(AlbertBackbone(tiny_config())), "float32", sequence_length=32))
    good = tmp_path / "m.tflite"
    good.write_bytes(tflite_bytes)
    for argv, message in (([str(truncated)], f"{truncated}: "),
                          ([str(qa), "--lengths", "16,32"], f"{qa} runs a fixed window of 32 tokens: time it with "
                                                            "--lengths 32"),
                          ([str(good), "--runs", "0"], "--runs must be at least 1, got 0"),
                          ([str(good), "--threads", "1,100000"], "--threads must be from 1 to 1024, got 100000")):
        assert main(["bench", *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and message in captured.err
    assert main(["bench", str(qa), "--lengths", "32", "--threads", "1", "--runs", "1"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("weight-cache\t1\t")


def test_bench_default_lengths_follow_the_file(tmp_path, capsys, tflite_bytes):
    """Without --lengths, bench times what the file runs: a fixed window at that window, a file cut at 64 tokens
    at 16/32/64 (the default 16,32,64,128 was checked as if typed: both refused)."""
    from keras_albert import AlbertQuestionAnswerer
    from keras_albert_export.tflite import convert
    qa = tmp_path / "qa.tflite"
    qa.write_bytes(convert(AlbertQuestionAnswerer(AlbertBackbone(tiny_config())), "float32", sequence_length=32))
    cut = tmp_path / "m.tflite"
    cut.write_bytes(tflite_bytes)
    for path, header in ((qa, ["seq 32 (ms)"]), (cut, ["seq 16 (ms)", "seq 32 (ms)", "seq 64 (ms)"])):
        assert main(["bench", str(path), "--threads", "1", "--runs", "1"]) == 0
        captured = capsys.readouterr()
        assert captured.err == "" and captured.out.splitlines()[1].split("\t") == ["runtime", "threads", *header]
