"""The `keras-albert` command line: above both the library (keras_albert) and the export pipeline
(keras_albert_export, the repository's export/ folder); neither of them imports it."""
