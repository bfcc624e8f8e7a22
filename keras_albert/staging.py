"""Output folders that appear whole or not at all.

Every command writes into a staging folder beside its `--out` and renames it into place when the work is
complete, so a crash or a kill -9 at any moment leaves either the old folder or nothing under the final name
(a hidden `.NAME.partial-*` sibling may stay behind). An existing non-empty `--out` is refused before any work
starts unless `overwrite`, which replaces the folder as a whole (never file by file).
"""
import contextlib
import os
import shutil
import uuid

_interrupted = False  # set by `note_interrupt`, the command line's SIGINT handler


def note_interrupt(*_):
    """A SIGINT handler: remember the Ctrl-C, then raise it as Python's own handler does. Python swallows a
    KeyboardInterrupt raised inside a `__del__` or a garbage-collector callback (TensorFlow and JAX run both),
    and the work would then go on to publish as if nothing had been pressed: the flag stops the publish."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def check_not_interrupted():
    """A Ctrl-C seen at any moment, even one Python swallowed, as a KeyboardInterrupt now."""
    if _interrupted:
        raise KeyboardInterrupt


def check_output(out, overwrite=False, inputs=()):
    """Refuse, before any work, an output that is a file or a non-empty folder (unless `overwrite`), or one that
    is or holds one of the command's `inputs` (paths; names that are no path are ignored): replacing it as a
    whole would delete what the command reads, --overwrite or not."""
    out = os.fspath(out)
    if not out:
        raise ValueError("the output folder name is empty")
    target = os.path.realpath(out)
    for source in inputs:
        if source and os.path.exists(source):
            path = os.path.realpath(source)
            if path == target or path.startswith(target.rstrip(os.sep) + os.sep):
                raise ValueError(f"the output {out} is or holds the input {source}: writing it would delete what is "
                                 "read; give another output folder")
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"{out} is a file, not a folder: give a folder name for the output")
    parent = os.path.dirname(os.path.abspath(out))
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise ValueError(f"{parent} is a file, not a folder")
    if os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise FileExistsError(f"{out} already exists and is not empty; pass --overwrite (in Python overwrite=True) "
                              "to replace it as a whole")
    _check_writable(out, parent)
    return out


def _check_writable(out, parent):
    """Where the staging folder will go must take a new folder: tried now (a probe folder, removed at once), since
    permissions alone do not tell (root, read-only mounts, /proc)."""
    import tempfile
    existing = parent
    while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".write-probe-", dir=existing))
    except OSError as e:
        raise ValueError(f"cannot write the output {out}: {existing} does not take new folders "
                         f"({e.strerror or e})") from None


class Held:
    """A run's hold on its fixed staging folder (`hold`): released by `release()` or when the process dies."""

    def __init__(self, path, f):
        self.path, self.file = path, f

    def release(self):
        if not self.file.closed:
            with contextlib.suppress(OSError):
                os.remove(self.path)
            self.file.close()


def hold(staging, out):
    """Lock the fixed staging folder of a resumable run (`.NAME.partial`): a second run on the same output at the
    same time (two terminals, a double start) is refused in one line instead of both writing one folder. The
    kernel drops the lock when the process dies, kill -9 included, so a killed run never blocks its resume."""
    import fcntl
    path = staging.rstrip(os.sep) + ".lock"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    f = open(path, "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise ValueError(f"another run is writing {out} right now (it holds {path}); wait for it to end") from None
    return Held(path, f)


def staging_path(out, tag=None):
    """A hidden sibling of `out` on the same file system (so the final rename is atomic)."""
    parent, name = os.path.split(os.path.abspath(os.fspath(out)))
    return os.path.join(parent, f".{name}.{tag or 'partial-' + uuid.uuid4().hex[:8]}")


@contextlib.contextmanager
def staged_output(out, overwrite=False, staging=None):
    """Yield a fresh folder to write into; on success it becomes `out`, on any error it is removed.

    `staging`: a fixed staging folder to use instead (a resumable run keeps it across kills; it is not
    removed on error then).
    """
    check_output(out, overwrite)
    tmp = staging or staging_path(out)
    held = hold(tmp, out) if staging else None  # (a random staging folder is this run's alone)
    os.makedirs(tmp, exist_ok=True)
    try:
        try:
            yield tmp
            check_not_interrupted()
        except BaseException:
            if staging is None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        publish(tmp, out, overwrite)
    finally:
        if held:
            held.release()


def publish(tmp, out, overwrite=False):
    """Move the complete folder `tmp` into place as `out` (replacing an existing one only if `overwrite`)."""
    check_not_interrupted()
    check_output(out, overwrite)  # again: something may have been written there meanwhile
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if os.path.isdir(out):
        old = staging_path(out, "old-" + uuid.uuid4().hex[:8])
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)
    return out
