import sys

from keras_albert_cli.cli import main

sys.exit(main())
