"""The `keras-albert` command: each module in keras_albert_cli/commands adds one subcommand.

Only the command's own output reaches the terminal. TensorFlow, absl, CUDA and LiteRT log from C++ straight to
file descriptor 2 (absl's early lines ignore TF_CPP_MIN_LOG_LEVEL), so unless `--verbose` the command runs
with descriptor 2 pointed at /dev/null while Python's `sys.stderr` (our errors) writes to a copy of the real one.
"""
import argparse
import importlib
import logging
import os
import pkgutil
import signal
import sys
import warnings

import keras_albert_cli.commands as commands
from keras_albert.staging import check_not_interrupted, note_interrupt
from keras_albert_cli.commands import Failed

VERBOSE_HELP = "also show TensorFlow's, absl's and LiteRT's own log lines and Python warnings"


class UserError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-albert", description="ALBERT for Keras 3: from pretraining to a phone.")
    parser.add_argument("--verbose", dest="show_logs", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"keras_albert_cli.commands.{info.name}").register(sub)
    for p in sub.choices.values():  # `keras-albert CMD ... --verbose` too, where CMD has no --verbose of its own
        if "--verbose" not in p._option_string_actions:
            p.add_argument("--verbose", dest="show_logs", action="store_true", default=argparse.SUPPRESS,
                           help=VERBOSE_HELP)
    return parser


def quiet_native_logs():
    """Point descriptor 2 at /dev/null for the rest of the process; sys.stderr keeps the real stream.

    Python warnings and the tensorflow/absl Python loggers are silenced too (they are not ours either)."""
    sys.stderr.flush()
    real = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    sys.stderr = open(real, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="backslashreplace",
                      closefd=True)
    warnings.simplefilter("ignore")
    for name in ("tensorflow", "absl", "keras", "jax", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def quiet_swallowed_interrupt(unraisable, shows=sys.unraisablehook):
    """Python prints "Exception ignored in ..." with a traceback for a Ctrl-C it swallowed in a finalizer; the
    command ends with its one "interrupted" line instead (staging.note_interrupt remembered it)."""
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
        shows(unraisable)


def show_library_warnings(command):
    """The library's own warnings (keras_albert.notices) as one line each, `keras-albert CMD: warning: ...`, even
    where every other Python warning is silenced; the rest as Python shows them."""
    from keras_albert.notices import AlbertWarning
    python_shows = warnings.showwarning

    def show(message, category, *args, **kwargs):
        if issubclass(category, AlbertWarning):
            print(f"keras-albert {command}: warning: {message}", file=sys.stderr)
        else:
            python_shows(message, category, *args, **kwargs)
    warnings.simplefilter("always", AlbertWarning)
    warnings.showwarning = show


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # positionals after an option (`classify M.tflite --json "a" "b"`) where a command takes them
        dest = getattr(args, "more_positionals", None)
        options = [e for e in extra if e.startswith("-") and e != "-" and " " not in e]
        if dest is None or options:
            parser.error(f"unrecognized arguments: {' '.join(options or extra)}")
        getattr(args, dest).extend(extra)
    if argv is None:  # a real command line (in-process callers keep their streams and their Ctrl-C)
        signal.signal(signal.SIGINT, note_interrupt)
        sys.unraisablehook = quiet_swallowed_interrupt
        if not args.show_logs:
            quiet_native_logs()
    try:
        with warnings.catch_warnings():
            show_library_warnings(args.command)
            rc = args.run(args) or 0
        check_not_interrupted()  # (a Ctrl-C that Python swallowed mid-run: the run's result is not the answer)
        return rc
    except Failed as e:
        print(f"keras-albert {args.command}: {e}", file=sys.stderr)
        return 1
    except (UserError, ValueError, FileNotFoundError, FileExistsError, NotADirectoryError, KeyError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"keras-albert {args.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `keras-albert classify ... | head`: the reader left, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:  # a file the system refused (permissions, a full disk): its name and the reason
        if not e.filename:
            raise
        print(f"keras-albert {args.command}: error: {e.filename}: {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: what was written stays whole (staged outputs), no traceback
        print(f"keras-albert {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
