"""The `keras-albert` command: each module in keras_albert/commands adds one subcommand."""
import argparse
import importlib
import os
import pkgutil
import sys

import keras_albert.commands as commands


class UserError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-albert", description="ALBERT for Keras 3: from pretraining to a phone.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"keras_albert.commands.{info.name}").register(sub)
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except (UserError, ValueError, FileNotFoundError, FileExistsError, KeyError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"keras-albert {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
