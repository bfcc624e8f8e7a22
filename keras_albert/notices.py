"""The library's own warnings to its users (a head that starts from random weights, a vocabulary smaller than
asked for), under one category: the command line shows these while it silences TensorFlow's and Keras's."""


class AlbertWarning(UserWarning):
    pass
