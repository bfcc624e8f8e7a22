import keras
import numpy as np
import pytest
from conftest import random_inputs, tiny_config

from keras_albert import AlbertBackbone, AlbertClassifier, AlbertMaskedLM, AlbertPretrainer


def _outputs(model, x):
    out = model(x)
    return {k: np.asarray(v) for k, v in out.items()} if isinstance(out, dict) else {"out": np.asarray(out)}


@pytest.mark.parametrize("make", [
    lambda b: AlbertClassifier(b, num_classes=3),
    lambda b: AlbertMaskedLM(b),
    lambda b: AlbertPretrainer(b),
    lambda b: AlbertPretrainer(b, mask_positions=True),
])
def test_heads_save_and_load_with_identical_outputs(tmp_path, make):
    config = tiny_config(num_hidden_groups=2)
    model = make(AlbertBackbone(config))
    x = random_inputs(config)
    if "mask_positions" in [i.name for i in model.inputs]:
        x["mask_positions"] = np.array([[1, 2], [3, 1], [2, 2]], "int32")
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model) and loaded.config == config
    for key, value in _outputs(model, x).items():
        np.testing.assert_array_equal(value, _outputs(loaded, x)[key])


def test_masked_lm_decoder_is_tied_to_word_embeddings():
    config = tiny_config()
    backbone = AlbertBackbone(config)
    mlm = AlbertMaskedLM(backbone)
    assert mlm.get_layer("mlm_head").word_embeddings is backbone.word_embeddings
    # Tied: the head adds only dense (H -> E), LayerNorm (E) and the output bias (V).
    h, e, v = config.hidden_size, config.embedding_size, config.vocab_size
    assert mlm.count_params() - backbone.count_params() == h * e + e + 2 * e + v
    x = random_inputs(config)
    before = np.asarray(mlm(x))
    table = backbone.word_embeddings.embeddings
    table.assign(table.numpy() * 2.0)
    assert not np.allclose(before, np.asarray(mlm(x)))


def test_output_shapes():
    config = tiny_config()
    backbone = AlbertBackbone(config)
    x = random_inputs(config, batch=2, seq=9)
    assert AlbertClassifier(backbone, 4)(x).shape == (2, 4)
    assert AlbertMaskedLM(backbone)(x).shape == (2, 9, config.vocab_size)
    out = AlbertPretrainer(backbone, mask_positions=True)({**x, "mask_positions": np.zeros((2, 3), "int32")})
    assert out["mlm_logits"].shape == (2, 3, config.vocab_size) and out["sop_logits"].shape == (2, 2)


def test_mask_positions_gather_the_same_logits_as_the_full_sequence():
    config = tiny_config()
    backbone = AlbertBackbone(config)
    full = AlbertPretrainer(backbone)
    gathered = AlbertPretrainer(backbone, mask_positions=True)
    gathered.get_layer("mlm_head").set_weights(full.get_layer("mlm_head").get_weights())
    x = random_inputs(config, batch=2, seq=8)
    positions = np.array([[0, 5], [7, 2]], "int32")
    all_logits = np.asarray(full(x)["mlm_logits"])
    some = np.asarray(gathered({**x, "mask_positions": positions})["mlm_logits"])
    np.testing.assert_allclose(some, np.take_along_axis(all_logits, positions[..., None], axis=1), atol=1e-5)


def test_classifier_fits_with_model_fit():
    config = tiny_config()
    model = AlbertClassifier(AlbertBackbone(config), num_classes=2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = random_inputs(config, batch=8, seq=6, pad=False)
    y = (x["token_ids"][:, 1] % 2).astype("int32")
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_invalid_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        AlbertClassifier(AlbertBackbone(tiny_config()), num_classes=0)


@pytest.mark.parametrize("name", ["token_classification", "question_answering", "multiple_choice"])
def test_task_heads_save_and_load_with_identical_outputs(tmp_path, name):
    from keras_albert import tasks
    config = tiny_config(num_hidden_groups=2)
    task = tasks.get(name)
    model = task.build(AlbertBackbone(config), 3 if task.size_arg else None)
    x = random_inputs(config)
    if name == "multiple_choice":
        x = {k: np.stack([v, v[::-1]], axis=1) for k, v in x.items()}  # [b, 2 choices, s]
    model.save(str(tmp_path / "m.keras"))
    loaded = keras.models.load_model(str(tmp_path / "m.keras"))
    assert type(loaded) is type(model) and loaded.config == config
    for key, value in _outputs(model, x).items():
        np.testing.assert_array_equal(value, _outputs(loaded, x)[key])


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_every_head_gives_float32_outputs_under_mixed_precision(policy):
    """docs/training.md: weights and logits float32 (the softmax over choices too), the encoder in 16 bits."""
    from keras_albert import tasks
    keras.config.set_dtype_policy(policy)
    try:
        config = tiny_config()
        for task in tasks.TASKS.values():
            model = task.build(AlbertBackbone(config), 3 if task.size_arg else None)
            x = random_inputs(config, batch=2, seq=6)
            if task.name == "multiple_choice":
                x = {k: np.stack([v, v[::-1]], axis=1) for k, v in x.items()}
            outputs = model(x)
            outputs = outputs if isinstance(outputs, dict) else {"logits": outputs}
            for key, value in outputs.items():
                expected = policy.split("_")[1] if task.head is None else "float32"
                assert keras.backend.standardize_dtype(value.dtype) == expected, (task.name, key, value.dtype)
    finally:
        keras.config.set_dtype_policy("float32")


def test_multiple_choice_checks_tensors_as_it_checks_arrays():
    import tensorflow as tf
    from keras_albert import AlbertMultipleChoice
    config = tiny_config()
    model = AlbertMultipleChoice(AlbertBackbone(config))
    x = random_inputs(config)
    with pytest.raises(ValueError, match=r"`token_ids` must have rank 3 \[batch, choices, seq\]"):
        model({k: tf.constant(v) for k, v in x.items()})
    three = {k: tf.constant(np.stack([v, v], axis=1)) for k, v in x.items()}
    with pytest.raises(ValueError, match=r"`token_ids` values must be in \[0, 500\)"):
        model(dict(three, token_ids=three["token_ids"] + 600))
    assert model(three).shape == (len(x["token_ids"]), 2)


def test_compile_with_no_loss_trains_with_the_tasks_own(tmp_path):
    """keras-hub's per-task compile: `compile()` picks the loss transformers' head computes (integer class ids,
    -100 ignored for tags and MLM, the mean of the span boundaries' cross-entropies); the value equals that loss
    given explicitly, and a fit moves it."""
    import keras

    from keras_albert import tasks
    from keras_albert.tasks.question_answering import HalfSpanLoss
    config = tiny_config()
    x = random_inputs(config, batch=4, seq=8, pad=False)
    sparse = keras.losses.SparseCategoricalCrossentropy
    cases = {
        "classification": (3, np.array([0, 2, 1, 0]), sparse(from_logits=True)),
        "token_classification": (3, np.where(np.arange(8) % 3 == 0, -100, np.arange(8) % 3)[None].repeat(4, 0),
                                 sparse(from_logits=True, ignore_class=-100)),
        "question_answering": (None, {"start_logits": np.array([1, 2, 0, 3]), "end_logits": np.array([2, 4, 0, 3])},
                               {"start_logits": HalfSpanLoss(from_logits=True),
                                "end_logits": HalfSpanLoss(from_logits=True)}),
        "masked_lm": (None, np.where(np.arange(8) == 3, 7, -100)[None].repeat(4, 0),
                      sparse(from_logits=True, ignore_class=-100)),
    }
    for name, (size, y, explicit) in cases.items():
        keras.utils.set_random_seed(1)
        model = tasks.get(name).build(AlbertBackbone(config), size)
        model.compile()
        default = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
        model.compile(optimizer="adam", loss=explicit)
        assert default == pytest.approx(model.evaluate(x, y, verbose=0, return_dict=True)["loss"], rel=1e-6), name
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        history = model.fit(x, y, epochs=4, verbose=0).history["loss"]
        assert np.isfinite(history).all() and history[-1] < history[0], (name, history)


def test_heads_that_never_read_the_pooler_train_without_it():
    """Tags, answers and fill-mask read no pooled [CLS] (transformers builds them without a pooler): their fit
    leaves the pooler as it was and says nothing about its missing gradients (Keras warned on every fit), while
    a classifier sharing the same backbone still trains it."""
    import warnings

    from keras_albert import tasks
    config = tiny_config()
    x = random_inputs(config, batch=4, seq=8, pad=False)
    labels = {"token_classification": (3, np.arange(32).reshape(4, 8) % 3),
              "question_answering": (None, {"start_logits": np.array([1, 2, 0, 3]),
                                            "end_logits": np.array([2, 4, 0, 3])}),
              "masked_lm": (None, np.where(np.arange(8) == 3, 7, -100)[None].repeat(4, 0))}
    for name, (size, y) in labels.items():
        backbone = AlbertBackbone(config)
        model = tasks.get(name).build(backbone, size)
        pooler = [np.asarray(v) for v in backbone.pooler.weights]
        block = np.asarray(backbone.groups[0][0].weights[0])
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, epochs=1, verbose=0)
        assert not [w for w in caught if "Gradients do not exist" in str(w.message)], name
        assert all(np.array_equal(a, np.asarray(v)) for a, v in zip(pooler, backbone.pooler.weights)), name
        assert not np.array_equal(block, np.asarray(backbone.groups[0][0].weights[0])), name
        assert len(model.trainable_weights) + len(model.non_trainable_weights) == len(model.weights), name
        classifier = AlbertClassifier(backbone, num_classes=2)
        classifier.compile(optimizer=keras.optimizers.Adam(1e-2))
        classifier.fit(x, np.array([0, 1, 1, 0]), epochs=1, verbose=0)
        assert not np.array_equal(pooler[0], np.asarray(backbone.pooler.weights[0])), name


def test_keras_load_model_finds_every_class_and_loads_compiled(tmp_path):
    """`keras.saving.load_model` in a fresh process: with `import keras_albert` after keras (or once any of its
    names is used) every head is found, and a compiled head comes back compiled with its optimizer's state and
    the task's loss (Keras skipped compiling, with a warning, for a model whose compile() is its own)."""
    import json
    import os
    import subprocess
    import sys

    from keras_albert import tasks
    config = tiny_config()
    x = random_inputs(config, batch=4, seq=8, pad=False)
    np.savez(tmp_path / "x.npz", **x)
    y = {"start_logits": np.array([1, 2, 0, 3]), "end_logits": np.array([2, 4, 0, 3])}
    answerer = tasks.get("question_answering").build(AlbertBackbone(config))
    answerer.compile()
    answerer.fit(x, y, epochs=2, verbose=0)
    answerer.save(tmp_path / "qa.keras")
    loss = answerer.evaluate(x, y, verbose=0)
    tasks.get("token_classification").build(AlbertBackbone(config), 3).save(tmp_path / "tags.keras")
    script = ("import sys, warnings, numpy as np\n{imports}\nwarnings.simplefilter('always')\n"
              "with warnings.catch_warnings(record=True) as w:\n"
              "    m = keras.saving.load_model(sys.argv[1])\n"
              "print(type(m).__name__, m.compiled, [str(i.message)[:80] for i in w if 'compile' in str(i.message)])\n"
              "if m.compiled:\n    x = dict(np.load(sys.argv[2]))\n"
              "    print(int(m.optimizer.iterations), m.evaluate(x, {{'start_logits': np.array([1, 2, 0, 3]), "
              "'end_logits': np.array([2, 4, 0, 3])}}, verbose=0))\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

    def load(imports, name):
        return subprocess.run([sys.executable, "-c", script.format(imports=imports), str(tmp_path / name),
                               str(tmp_path / "x.npz")], env=env, check=True, capture_output=True,
                              text=True).stdout.splitlines()

    first, second = load("import keras, keras_albert", "qa.keras")
    assert first == "AlbertQuestionAnswerer True []"
    steps, reloaded = second.split(" ", 1)
    assert int(steps) == 2 and json.loads(reloaded) == pytest.approx(loss, rel=1e-5)
    assert load("import keras_albert; keras_albert.AlbertBackbone; import keras", "tags.keras") == [
        "AlbertTokenClassifier False []"]
