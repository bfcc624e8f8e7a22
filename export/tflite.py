"""TFLite task models for devices: float32, dynamic-range int8 (the default) and full-integer int8.

Inputs `ids`, `mask`, `segment_ids` (int32 [1, seq], seq dynamic so a short sentence costs less), output
`probabilities` [1, classes]: the contract of MediaPipe's TextClassifier. Other tasks' outputs (and whether their
length is fixed) come from the export task table, `keras_albert_export.tasks`. No tokenizer inside the model. Input
longer than the export's sequence length is cut inside the graph as `pack` and the SavedModel cut it: the first
tokens and the final [SEP], so MediaPipe, which passes a dynamic-length model the whole text, gives their answer.

The route matters: `keras.export.ExportArchive` writes a SavedModel and `TFLiteConverter.from_saved_model`
converts it. Saving a plain tf.Module or using `from_concrete_functions` with the model as trackable writes
uninitialised variables (a small file that outputs NaN), so the tests compare every variant with Keras.
"""
import os
import tempfile

VARIANTS = ("float32", "dynamic_int8", "full_int8")
COMPAT = ("tflite-2.14",)
INPUT_NAMES = {"ids": "token_ids", "mask": "padding_mask", "segment_ids": "segment_ids"}  # ours -> backbone's
SIGNATURE = "serving_default"
# Ops whose int8 kernels cost accuracy in a transformer; full_int8 keeps them in float.
FLOAT_OPS = ("MEAN", "SQUARED_DIFFERENCE", "RSQRT", "SOFTMAX", "TANH", "POW", "GELU")


def bucket_signature(length):
    return f"length_{length}"


def keep_sep(tensors, limit):
    """Cut [1, n] inputs to at most `limit` positions keeping the last one ([SEP]): positions 0..limit-2 and n-1,
    with builtin ops computed once per run (a gather), not per layer. A known length within `limit` is untouched."""
    import tensorflow as tf

    length = tensors[0].shape[1]
    if length is not None and length <= limit:
        return tensors
    n = tf.shape(tensors[0])[1]
    positions = tf.range(tf.minimum(n, limit))
    positions = tf.where(positions == limit - 1, n - 1, positions)
    return [tf.gather(t, positions, axis=1) for t in tensors]


def _write_savedmodel(model, path, buckets, limit, task):
    import keras
    import tensorflow as tf

    def serve(ids, mask, segment_ids):
        ids, mask, segment_ids = keep_sep([ids, mask, segment_ids], limit)
        return task.signature(model, {"token_ids": ids, "padding_mask": mask, "segment_ids": segment_ids})

    def spec(length):
        return [tf.TensorSpec([task.input_rows, length], tf.int32, name=n) for n in INPUT_NAMES]

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SIGNATURE, serve, input_signature=spec(limit if task.fixed_length else None))
    for length in buckets:
        archive.add_endpoint(bucket_signature(length), serve, input_signature=spec(length))
    archive.write_out(path, verbose=False)
    return [SIGNATURE] + [bucket_signature(n) for n in buckets]


def representative_inputs(tokenizer, texts, max_length=128, limit=200):
    """Calibration rows for full_int8 of a model a device runs unpadded (classifiers, taggers): real text, all of
    one length (TFLite's calibrator prepares its shapes once, on the first sample) and with NO padding. Padded
    rows once set the int8 range of the scores with the -1e9 attention bias and rounded every real score to the
    same value (uniform attention: 66% vs 74.6% float on the quickstart model); that ADD is now kept float
    (`attention_bias_adds`), but a device runs batch 1 unpadded, so calibration should too: each row is
    `[CLS] sentence [SEP]` followed by the next packed sentences, cut to the longest one. A task whose runtime
    pads (question answering's fixed window) supplies its own rows (`ExportTask.calibration`). An item of `texts`
    may be a (text, text_pair) tuple: a pair model calibrates on pairs, its second segment's ids included."""
    import numpy as np

    from keras_albert_export.runtime import pack
    packed = [pack(tokenizer, t, max_length) if isinstance(t, str) else pack(tokenizer, t[0], max_length, t[1])
              for t in list(texts)[:limit]]
    length = max(p["ids"].shape[1] for p in packed)
    # `[CLS] a [SEP] [CLS] b [SEP] ...` (and its segment ids), long enough for every row
    stream = {k: np.concatenate([p[k][0] for p in packed + packed]) for k in ("ids", "segment_ids")}
    starts = np.cumsum([0] + [p["ids"].shape[1] for p in packed[:-1]])
    for start in starts:
        ids, segments = (stream[k][None, start:start + length].astype(np.int32) for k in ("ids", "segment_ids"))
        ids[0, -1] = packed[0]["ids"][0, -1]  # every row ends with [SEP]
        yield {"ids": ids, "mask": np.ones_like(ids), "segment_ids": segments}


def convert(model, variant="dynamic_int8", *, compat=None, tokenizer=None, calibration_texts=None, buckets=(),
            sequence_length=None):
    """A Keras task model -> .tflite bytes (builtin ops only), its signature from the export task table
    (`keras_albert_export.tasks`: classifier probabilities, question-answering logits, token logits).

    `sequence_length` (default: the position table) is where longer input is cut, keeping [SEP]: give the
    export's, so a runtime passing the whole text gets the answer of the SavedModel and `pack` at that length.

    `compat="tflite-2.14"` writes per-tensor int8 weights for dense layers (FULLY_CONNECTED version < 12),
    which old runtimes such as tflite-runtime 2.14 can load. `buckets` adds fixed-length signatures
    (`length_16`, ...) next to the dynamic `serving_default`, for runtimes where fixed shapes run faster.
    """
    return convert_variants(model, [variant], compat=compat, tokenizer=tokenizer, calibration_texts=calibration_texts,
                            buckets=buckets, sequence_length=sequence_length)[variant]


def convert_variants(model, variants, *, compat=None, tokenizer=None, calibration_texts=None, buckets=(),
                     sequence_length=None):
    """{variant: .tflite bytes}: `convert` of each variant, every argument checked before any work, and the
    SavedModel the converter reads written once per traced form (float32 and dynamic_int8 trace the same graph,
    full_int8 its own LayerNorm form), not once per variant."""
    import tensorflow as tf

    task, limit = _check(model, variants, compat, tokenizer, calibration_texts, buckets, sequence_length)
    out = {}
    for full in (False, True):
        group = [v for v in variants if (v == "full_int8") == full]
        if not group:
            continue
        with tempfile.TemporaryDirectory() as tmp, _layer_norm_for(group[0]):
            path = os.path.join(tmp, "sm")
            signatures = _write_savedmodel(model, path, [int(n) for n in buckets], limit, task)
            for variant in group:
                converter = tf.lite.TFLiteConverter.from_saved_model(path, signature_keys=signatures)
                out[variant] = _convert(converter, variant, compat, task, tokenizer, calibration_texts, limit)
    return {v: out[v] for v in variants}


def _check(model, variants, compat, tokenizer, calibration_texts, buckets, sequence_length):
    """-> (the model's export task, the length where input is cut), or ValueError naming the bad argument."""
    from keras_albert_export import tasks
    task = tasks.of_model(model)
    for variant in variants:
        if variant not in VARIANTS:
            raise ValueError(f"unknown TFLite variant {variant!r}; choose from {', '.join(VARIANTS)}")
        if variant not in task.variants:
            raise ValueError(f"a {task.name} model is exported as {', '.join(task.variants)}, not {variant}")
    if compat is not None and compat not in COMPAT:
        raise ValueError(f"unknown compatibility target {compat!r}; known: {', '.join(COMPAT)}")
    if "full_int8" in variants and (tokenizer is None or not calibration_texts):
        raise ValueError("full_int8 needs a tokenizer and calibration sentences (real text)")
    if "full_int8" in variants and buckets:
        raise ValueError("length buckets are offered for float32 and dynamic_int8, not full_int8")
    if buckets and task.fixed_length:
        raise ValueError(f"length buckets are for dynamic-length exports, not a {task.name} model's fixed window")
    table = model.config.max_position_embeddings
    if sequence_length is not None and not 3 <= int(sequence_length):
        raise ValueError(f"sequence_length must be at least 3, got {sequence_length}")
    limit = task.length(table, sequence_length)
    if any(not 3 <= int(n) <= limit for n in buckets):
        raise ValueError(f"length buckets must be between 3 and {limit} (the sequence length), got {list(buckets)}")
    return task, limit


def _convert(converter, variant, compat, task, tokenizer, calibration_texts, limit):
    import tensorflow as tf

    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if compat == "tflite-2.14":
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    if variant == "full_int8":
        def rows():  # the task's own input shape (a fixed window: all of it), or single sentences
            if task.calibration is not None:
                return task.calibration(tokenizer, calibration_texts, limit)
            return representative_inputs(tokenizer, calibration_texts, min(128, limit))
        return _full_int8(converter, rows, FLOAT_OPS + task.full_int8_float_ops, task.full_int8_float_head)
    return converter.convert()


def _layer_norm_for(variant):
    """Trace LayerNorm in the form that quantizes well for this variant (see keras_albert.layers.LayerNorm)."""
    from keras_albert.layers import gamma_on_rows
    return gamma_on_rows(variant == "full_int8")


def _full_int8(converter, dataset, float_ops, float_head=False):
    """Integer kernels where they keep accuracy; `float_ops` (LayerNorm, softmax, GELU, tanh and what the task
    adds), the attention-bias ADDs and, with `float_head`, the dense layer writing the outputs stay float
    (selective quantization through TensorFlow's QuantizationDebugger, its documented route). `dataset()`
    yields the calibration rows."""
    import tensorflow as tf

    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=list(float_ops))
    debugger = tf.lite.experimental.QuantizationDebugger(converter=converter, debug_dataset=dataset,
                                                         debug_options=options)
    debugger.options = tf.lite.experimental.QuantizationDebugOptions(
        denylisted_ops=list(float_ops), denylisted_nodes=attention_bias_adds(debugger.calibrated_model) +
        (output_heads(debugger.calibrated_model) if float_head else []))
    return debugger.get_nondebug_quantized_model()


def attention_bias_adds(tflite_bytes):
    """Output tensor names of the ADDs of attention scores [b, heads, s, s] and the padding bias [b, 1, 1, s]
    (the only 4-D ADDs: residual and dense-layer adds are 2-D). Kept float in full_int8: calibrated on unpadded
    rows, an int8 ADD would clamp a padded key's -1e9 to the least score it saw, and the (float) softmax would
    still attend to padding; calibrated on padded rows, -1e9 would set the range and round every real score
    alike. In float, padding gets no attention and the real scores keep their precision."""
    found = []
    for graph, op, kind in _operators(tflite_bytes):
        if kind != "ADD":
            continue
        shapes = [list(graph.tensors[i].shape if graph.tensors[i].shape is not None else []) for i in op.inputs]
        if all(len(shape) == 4 for shape in shapes) and any(shape[1:3] == [1, 1] for shape in shapes):
            found.append(_tensor_name(graph, op.outputs[0]))
    return found


# ops that only cut or reshape their data input (index of that input): between the head and the outputs
_PASS_THROUGH = {"RESHAPE": 0, "SQUEEZE": 0, "UNPACK": 0, "STRIDED_SLICE": 0, "SPLIT": 1, "SPLIT_V": 0,
                 "DEQUANTIZE": 0}


def output_heads(tflite_bytes):
    """Output tensor names of the FULLY_CONNECTED ops whose result reaches a model output through reshapes and
    splits only (a question answerer's span head), and of those reshapes and splits. Kept float in full_int8
    when the task asks: int8 logits come in steps (0.06 on a tiny model), ties between candidate spans follow,
    and two decoders (the Task Library's, the pipeline's) break ties differently: the same file gave two
    answers."""
    producer, found, operators = {}, [], list(_operators(tflite_bytes))
    for graph, op, kind in operators:
        producer.update({(id(graph), t): (op, kind) for t in op.outputs})
    graphs = {id(graph): graph for graph, _, _ in operators}
    for key, graph in graphs.items():
        for tensor in graph.outputs:
            op, kind = producer.get((key, tensor), (None, None))
            path = []
            while kind in _PASS_THROUGH:
                path.append(op)
                op, kind = producer.get((key, op.inputs[_PASS_THROUGH[kind]]), (None, None))
            if kind == "FULLY_CONNECTED":
                found += [_tensor_name(graph, t) for o in path + [op] for t in o.outputs
                          if _tensor_name(graph, t) not in found]
    return found


def _operators(tflite_bytes, model=None):
    """(subgraph, operator, op name) of every operator of the flatbuffer (or of `model`, (names, parsed) as
    `_parse` returns them, to read its buffers too)."""
    names, model = model or _parse(tflite_bytes)
    codes = model.operatorCodes
    for graph in model.subgraphs:
        for op in graph.operators:
            code = codes[op.opcodeIndex]
            yield graph, op, names.get(max(code.builtinCode, code.deprecatedBuiltinCode))


def _tensor_name(graph, index):
    name = graph.tensors[index].name
    return name.decode() if isinstance(name, bytes) else name


def _parse(tflite_bytes):
    """({builtin code: op name}, the flatbuffer as TFLite's schema object): LiteRT's copy of the schema, so reading
    a file needs no TensorFlow (the command line's runtime paths do not load it)."""
    from ai_edge_litert import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    return names, schema.ModelT.InitFromPackedBuf(bytearray(tflite_bytes), 0)


def op_codes(tflite_bytes):
    """[(op name, version)] of every operator code in the flatbuffer; custom and Flex ops by their custom name."""
    names, model = _parse(tflite_bytes)
    out = []
    for code in model.operatorCodes:
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        name = names.get(builtin, str(builtin))
        if name == "CUSTOM":
            name = f"CUSTOM:{code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode}"
        out.append((name, code.version))
    return out


def input_limit(tflite_bytes, signature=SIGNATURE):
    """The length where a file written here cuts longer input (`keep_sep`'s constant, the graph's one MINIMUM of
    the input length), or None where the signature has none (a fixed length, or a file from elsewhere)."""
    import numpy as np

    parsed = _parse(tflite_bytes)
    model = parsed[1]
    found = [s for s in model.signatureDefs or [] if s.signatureKey.decode() == signature]
    if not found:
        return None
    for graph, op, kind in _operators(None, parsed):
        if graph is not model.subgraphs[found[0].subgraphIndex] or kind != "MINIMUM":
            continue
        for index in op.inputs:
            data = model.buffers[graph.tensors[index].buffer].data
            if data is not None and len(data) == 4:  # the int32 scalar constant
                return int(np.frombuffer(bytes(bytearray(data)), np.int32)[0])
    return None


def weight_types(tflite_bytes):
    """The element types (names, e.g. "int8", "float32") of the constant tensors the dense layers multiply by."""
    from ai_edge_litert import schema_py_generated as schema

    parsed = _parse(tflite_bytes)
    type_names = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    found = set()
    for graph, op, kind in _operators(None, parsed):
        weights = graph.tensors[op.inputs[1]] if kind == "FULLY_CONNECTED" else None
        if weights is not None and parsed[1].buffers[weights.buffer].data is not None:
            found.add(type_names.get(weights.type, str(weights.type)))
    return found


def check_builtin_only(tflite_bytes):
    """Raise ValueError naming any Flex or custom op (they do not run on stock LiteRT)."""
    bad = sorted({name for name, _ in op_codes(tflite_bytes) if name.startswith("CUSTOM") or "Flex" in name})
    if bad:
        raise ValueError(f"the TFLite model uses non-builtin ops: {', '.join(bad)}")
    return True


def op_histogram(tflite_bytes, signature="serving_default"):
    """{op name: count} of the subgraph behind one signature (for op profiles and graph-size checks)."""
    import collections

    names, model = _parse(tflite_bytes)
    index = 0
    for sig in model.signatureDefs or []:
        key = sig.signatureKey.decode() if isinstance(sig.signatureKey, bytes) else sig.signatureKey
        if key == signature:
            index = sig.subgraphIndex
    codes = model.operatorCodes
    count = collections.Counter(
        names.get(max(codes[op.opcodeIndex].builtinCode, codes[op.opcodeIndex].deprecatedBuiltinCode), "?")
        for op in model.subgraphs[index].operators)
    return dict(count.most_common())
