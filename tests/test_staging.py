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
