"""`keras-albert` run as a user runs it prints its own lines only: no TensorFlow, absl, CUDA or LiteRT log
lines, unless --verbose."""
import re

import pytest

from cli_common import NOISE, run_cli, tiny_model_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, spiece_path):
    return tiny_model_dir(tmp_path_factory.mktemp("out") / "model", spiece_path)


def test_convert_prints_one_line_and_nothing_else(model_dir, tmp_path):
    from keras_albert.model_dir import load_model_dir
    rc, out, err = run_cli("convert", model_dir, tmp_path / "converted")
    assert (rc, err) == (0, "")
    params = load_model_dir(model_dir)[0].count_params()
    assert out == f"wrote AlbertClassifier ({params:,} parameters) to {tmp_path / 'converted'}\n"


def test_the_librarys_warnings_are_one_line_of_ours(model_dir, tmp_path):
    """Python warnings are silenced on a command line, except the library's own: a new head starts from random
    weights, and the user hears it."""
    rc, out, err = run_cli("convert", model_dir, tmp_path / "qa", "--task", "question_answering")
    assert rc == 0 and out.startswith("wrote AlbertQuestionAnswerer")
    assert err == ("keras-albert convert: warning: the checkpoint has no question-answering head: it starts from "
                   "random weights\n")


def test_classify_prints_one_line_per_sentence_and_nothing_else(model_dir, tmp_path):
    from keras_albert_export.tflite import convert
    from keras_albert.model_dir import load_model_dir
    path = tmp_path / "m.tflite"
    path.write_bytes(convert(load_model_dir(model_dir)[0], "dynamic_int8"))
    (tmp_path / "spiece.model").write_bytes(open(f"{model_dir}/spiece.model", "rb").read())
    (tmp_path / "labels.txt").write_text("negative\npositive\n")
    rc, out, err = run_cli("classify", path, "a fine film", "dull")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert [re.fullmatch(r"(negative|positive)\t[01]\.\d{4}\t(.*)", line).group(2) for line in lines] == \
        ["a fine film", "dull"]
    assert not [line for line in lines if NOISE.search(line)]
    rc, out, err = run_cli("classify", path, "--sequence-length", "1", "x")  # an error: one line of ours
    assert (rc, out) == (2, "")
    assert err == "keras-albert classify: error: --sequence-length must be at least 3 ([CLS] a token [SEP]), got 1\n"


def test_verbose_is_a_global_flag():
    from keras_albert_cli.cli import build_parser
    parser = build_parser()
    assert parser.parse_args(["--verbose", "classify", "m.tflite", "x"]).show_logs
    assert parser.parse_args(["classify", "m.tflite", "x", "--verbose"]).show_logs
    assert not parser.parse_args(["classify", "m.tflite", "x"]).show_logs
    # finetune and pretrain keep their own --verbose N (Keras' progress output); a bare one is the global flag
    args = parser.parse_args(["--verbose", "pretrain", "--corpus", "c.txt", "--out", "o", "--verbose", "2"])
    assert args.show_logs and args.verbose == 2
    for command in (["pretrain", "--corpus", "c.txt"], ["finetune", "--model", "m", "--data", "d"]):
        args = parser.parse_args(command + ["--out", "o", "--verbose"])
        assert args.show_logs and args.verbose == 1, command
        args = parser.parse_args(command + ["--out", "o", "--verbose", "0"])
        assert not args.show_logs and args.verbose == 0, command


def test_a_reader_that_leaves_gets_no_traceback():
    """`keras-albert ... | head -1`: the pipe closes under the command; it stops quietly (128 + SIGPIPE)."""
    from cli_common import cli
    p = cli("info", "albert-base-v2")
    p.stdout.close()
    err = p.stderr.read()
    assert (p.wait(), err) == (141, "")


def test_a_ctrl_c_python_swallowed_still_stops_the_publish(tmp_path):
    """Python drops a KeyboardInterrupt raised inside a __del__ or gc callback (TensorFlow and JAX run both): the
    command line's SIGINT handler remembers it, so the staged output is never published and the run ends as
    interrupted instead of complete."""
    import gc

    from keras_albert import staging

    class RunsWhenCollected:
        def __del__(self):
            staging.note_interrupt()  # as the handler runs when the signal lands in a finalizer

    import types

    from keras_albert_cli.cli import quiet_swallowed_interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            with staging.staged_output(tmp_path / "out") as tmp:
                (tmp_path / "marker").write_text("work done")
                RunsWhenCollected()
                gc.collect()  # "Exception ignored in ... __del__": the work goes on
                open(f"{tmp}/result.txt", "w").write("complete")
        assert not (tmp_path / "out").exists()
        assert [p.name for p in tmp_path.iterdir()] == ["marker"]  # the staging folder is gone too
        shown = []  # and Python's "Exception ignored in ..." traceback for it is not printed on a command line
        for error in (KeyboardInterrupt(), ValueError("x")):
            unraisable = types.SimpleNamespace(exc_type=type(error), exc_value=error)
            quiet_swallowed_interrupt(unraisable, shows=shown.append)
        assert [u.exc_type for u in shown] == [ValueError]
    finally:
        staging._interrupted = False
