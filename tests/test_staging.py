"""Output folders appear whole or not at all, and nothing the user had is overwritten without --overwrite."""
import os

import pytest

from keras_albert.staging import check_output, staged_output


def test_complete_work_moves_into_place(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as tmp:
        assert not out.exists()
        open(os.path.join(tmp, "a.txt"), "w").write("new")
    assert (out / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failed_work_leaves_the_old_folder_and_no_staging(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user's file")
    with pytest.raises(RuntimeError):
        with staged_output(out, overwrite=True) as tmp:
            open(os.path.join(tmp, "mine.txt"), "w").write("half-written")
            raise RuntimeError("killed")
    assert (out / "mine.txt").read_text() == "user's file"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_existing_folder_is_refused_before_work_and_replaced_whole_with_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("user's report")
    with pytest.raises(FileExistsError, match="--overwrite"):
        with staged_output(out):
            raise AssertionError("work must not start")
    with staged_output(out, overwrite=True) as tmp:
        open(os.path.join(tmp, "model.keras"), "w").write("m")
    assert sorted(p.name for p in out.iterdir()) == ["model.keras"]  # replaced as a whole, no stale file


def test_a_file_named_as_output_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        check_output(target, overwrite=True)
    with pytest.raises(ValueError, match="is a file"):
        check_output(target / "sub")


def test_an_output_that_is_or_holds_an_input_is_refused_even_with_overwrite(tmp_path, spiece_path, capsys):
    """`export MODEL --out MODEL --overwrite` (or --out its parent) replaced the model directory with the export:
    the model was gone. An output that is or holds a command's input is refused before any work; one inside
    the input (MODEL/export) is fine."""
    from cli_common import tiny_model_dir
    from keras_albert_cli.cli import main
    model_dir = tiny_model_dir(tmp_path / "models" / "m", spiece_path)
    before = sorted(os.listdir(model_dir))
    for out in (model_dir, str(tmp_path / "models")):
        with pytest.raises(ValueError, match="is or holds the input"):
            check_output(out, overwrite=True, inputs=(model_dir, "rotten_tomatoes"))
        for argv in (["export", model_dir, "--out", out, "--overwrite", "--no-gate"],
                     ["convert", model_dir, out, "--overwrite"],
                     ["finetune", "--model", model_dir, "--data", "rotten_tomatoes", "--out", out, "--overwrite"]):
            assert main(argv) == 2
            assert f"the output {out} is or holds the input {model_dir}" in capsys.readouterr().err
    assert sorted(os.listdir(model_dir)) == before
    assert check_output(os.path.join(model_dir, "export"), inputs=(model_dir,))  # inside the input: allowed


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc: a place no one may write")
def test_a_place_that_takes_no_folder_is_refused_before_work(tmp_path):
    """Permissions alone do not tell (root writes anywhere but into /proc): the check tries a folder there."""
    with pytest.raises(ValueError, match=r"cannot write the output /proc/out: /proc does not take new folders"):
        with staged_output("/proc/out"):
            raise AssertionError("work must not start")
    assert check_output(tmp_path / "new" / "deeper") == str(tmp_path / "new" / "deeper")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # the probe is gone, nothing made yet


def test_ctrl_c_and_refused_files_are_one_line(monkeypatch, capsys, tmp_path):
    import keras_albert_cli.commands.info as info
    from keras_albert_cli.cli import main

    def interrupted(args):
        raise KeyboardInterrupt

    def refused(args):
        open(tmp_path, "w")  # a folder: IsADirectoryError, an OSError with its file name

    for run, code, line in ((interrupted, 130, "keras-albert info: interrupted"),
                            (refused, 2, f"keras-albert info: error: {tmp_path}: Is a directory")):
        monkeypatch.setattr(info, "run", run)  # (what `info` registers as its run)
        assert main(["info", "x"]) == code
        assert capsys.readouterr().err.strip().splitlines() == [line]


def test_a_second_run_on_the_same_output_at_once_is_refused(tmp_path):
    """Two runs started at once with the same --out shared one staging folder (the second died on a file the
    first had removed). The second is refused in one line; the hold ends with its run, so the next one starts."""
    from keras_albert.staging import hold, staged_output, staging_path
    out = tmp_path / "out"
    first = hold(staging_path(out, "partial"), str(out))
    with pytest.raises(ValueError, match=rf"another run is writing {out} right now"):
        with staged_output(out, staging=staging_path(out, "partial")):
            pass
    first.release()
    with staged_output(out, staging=staging_path(out, "partial")) as tmp:
        open(os.path.join(tmp, "done"), "w").close()
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no lock file left beside it
