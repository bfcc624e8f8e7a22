"""kill -9 at any moment of a real `export` or `convert` leaves either the old folder or nothing under the
final name, never a mix: the work happens in a staging folder that is renamed into place when complete."""
import glob
import os
import signal
import time

import pytest

from cli_common import NOISE, cli, tiny_model_dir

OLD = {"report.md": b"the user's report", "labels.txt": b"old\nlabels\n", "spiece.model": b"old vocabulary",
       "config.json": b"{}", "sub/notes.txt": b"kept"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, spiece_path, rt_texts):
    return tiny_model_dir(tmp_path_factory.mktemp("kill") / "model", spiece_path, rt_texts[0][:20])


def snapshot(folder):
    """{relative path: bytes} of every file under `folder`, or None when it does not exist."""
    if not os.path.isdir(folder):
        return None
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = f.read()
    return found


def old_folder(path):
    for name, data in OLD.items():
        os.makedirs(os.path.dirname(path / name), exist_ok=True)
        (path / name).write_bytes(data)
    return path


def kill_when(proc, out, staged_file):
    """SIGKILL `proc` as soon as its staging folder beside `out` holds `staged_file` ("" = the folder exists)."""
    pattern = os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.partial-*", staged_file)
    while proc.poll() is None and not glob.glob(pattern.rstrip(os.sep)):
        time.sleep(0.02)
    proc.kill()
    proc.communicate()
    return proc.returncode


def check_old_or_nothing(out, rc, complete):
    assert rc in (0, -signal.SIGKILL)  # killed while working, or done: not stopped by an error
    state = snapshot(out)
    if rc == 0:  # it finished before the kill arrived: then it must be the whole new folder
        assert complete(state), sorted(state or ())
    else:
        assert state in (OLD, None), sorted(state or ())  # never a mix of old and new files


@pytest.mark.slow
@pytest.mark.parametrize("point", ["saved_model", "report.json"])  # the first file written, and the last
def test_killed_export_leaves_the_old_folder(model_dir, tmp_path, point):
    out = old_folder(tmp_path / "export")
    proc = cli("export", model_dir, "--out", out, "--variants", "float32", "--metadata", "off", "--overwrite")
    rc = kill_when(proc, str(out), point)
    check_old_or_nothing(out, rc, lambda s: s is not None and "report.md" in s and "sub/notes.txt" not in s)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["", "model.keras"])
def test_killed_convert_leaves_the_old_folder(model_dir, tmp_path, point):
    out = old_folder(tmp_path / "converted")
    proc = cli("convert", model_dir, out, "--overwrite")
    rc = kill_when(proc, str(out), point)
    check_old_or_nothing(out, rc, lambda s: s is not None and set(s) == {"model.keras", "config.json",
                                                                         "spiece.model", "labels.txt"})


def test_finished_export_replaces_the_folder_whole_and_prints_only_its_own_lines(model_dir, tmp_path):
    out = old_folder(tmp_path / "export")
    proc = cli("export", model_dir, "--out", out, "--variants", "float32", "--metadata", "off", "--overwrite")
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert stderr == ""
    assert not [line for line in stdout.splitlines() if NOISE.search(line)], stdout
    assert stdout.splitlines()[0] == f"SavedModel -> {out / 'saved_model'}"
    assert stdout.splitlines()[-1] == f"export complete: {out}"
    state = snapshot(out)
    assert "sub/notes.txt" not in state and state["labels.txt"] == b"negative\npositive\n"
    assert sorted(os.listdir(tmp_path)) == ["export"]  # no staging or old copy left behind
