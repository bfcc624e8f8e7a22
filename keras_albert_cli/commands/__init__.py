"""One module per `keras-albert` subcommand; each defines `register(subparsers)` and sets `run=`."""


class Failed(Exception):
    """The work ran but its result is refused (an int8 gate): `keras-albert` prints one line, exit status 1."""
