"""One module per `keras-albert` subcommand; each defines `register(subparsers)` and sets `run=`."""
