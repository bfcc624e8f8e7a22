"""The export pipeline: SavedModel for serving, TFLite variants for devices, metadata, and the report.

Uses keras_albert's public API only.
"""
