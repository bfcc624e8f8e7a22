"""One module per `keras-albert` subcommand; each defines `register(subparsers)` and sets `run=`."""


class Failed(Exception):
    """The work ran but its result is refused (an int8 gate): `keras-albert` prints one line, exit status 1."""


def add_training_verbose(parser, per_line):
    """`--verbose N` of the training commands: Keras' progress output (0 quiet, 1 a progress bar, 2 one line per
    `per_line`). A bare `--verbose` keeps the meaning it has after every other command: TensorFlow's logs too."""
    import argparse

    class Verbose(argparse.Action):
        def __call__(self, parser, namespace, value, option_string=None):
            if value is None:
                namespace.show_logs = True
            else:
                setattr(namespace, self.dest, value)

    parser.add_argument("--verbose", type=int, nargs="?", default=1, choices=(0, 1, 2), action=Verbose,
                        metavar="0|1|2", help=f"0 quiet, 1 a progress bar (default), 2 one line per {per_line}; "
                                              "bare: also TensorFlow's, absl's and LiteRT's own log lines")
