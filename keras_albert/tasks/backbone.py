"""No head: the encoder itself (feature extraction), transformers' AlbertModel."""
from keras_albert.tasks.base import Task

TASK = Task(name="backbone", head=None, architecture="AlbertModel", pipelines=("feature-extraction",))
