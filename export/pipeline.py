"""The export pipeline behind `keras-albert export`: SavedModel, TFLite variants with on-device metadata,
the report and the int8 gate, staged so the output appears complete (and gated) or not at all."""
import os


def check_options(variants, sequence_length, limit, max_drop, buckets=()):
    """Every number and name, before any work (one line each)."""
    from keras_albert_export.gate import check_max_drop
    from keras_albert_export.tflite import VARIANTS
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ValueError(f"unknown TFLite variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    if sequence_length is not None and sequence_length < 3:
        raise ValueError(f"--sequence-length must be at least 3 ([CLS] a token [SEP]), got {sequence_length}")
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be at least 1 sentence, got {limit}")
    if max_drop is not None:
        check_max_drop(max_drop)
    if any(n < 3 for n in buckets) or len(set(buckets)) < len(buckets):
        raise ValueError(f"--buckets lengths must be at least 3, each once, got {list(buckets)}")


def calibration_texts(pairs=False):
    """full_int8's calibration text: Rotten Tomatoes' training sentences (real text, not the held-out data the
    gate scores on); for a pair model, consecutive sentences as (text, text_pair), so the second segment's
    embedding is calibrated too."""
    from keras_albert.data import splits
    texts = splits("rotten_tomatoes")["train"][0]
    return list(zip(texts[0::2], texts[1::2])) if pairs else texts


def export_all(model_dir, out, *, variants=("float32", "dynamic_int8"), compat=None, metadata="auto",
               buckets=(), sequence_length=None, data=None, text_columns=None, label_column="label", limit=None,
               max_drop=1.0, overwrite=False, reject=True, log=print):
    """Write everything into `out` (staged: it appears complete or not at all); returns the report dict.

    What is written depends on the model's task (`keras_albert_export.tasks`): every task gets its raw-string
    SavedModel (a pair classifier's takes two strings), TFLite variants, spiece.model (and labels.txt), the report
    and the int8 gate on its own metric (the task's `Gate`: accuracy, SQuAD F1, entity F1); a classifier gets
    MediaPipe's metadata, question answering the Task Library's (the task's `metadata` writer).

    `max_drop=None`: no gate. Otherwise int8 variants need held-out data (the model's held-out split or `data`, in
    the task's reader format; see keras_albert_export.gate.records), and one losing more than `max_drop` points of
    the main metric raises keras_albert_export.gate.GateFailed after moving the export to `out.rejected`
    (`reject=False`: written to `out` all the same, `report["gate"]["passed"]` False: the caller decides).
    """
    from keras_albert_export import gate
    from keras_albert_export import tasks
    from keras_albert_export.report import build_report, lengths_up_to, write_report
    from keras_albert_export.savedmodel import export_savedmodel, is_pair_model
    from keras_albert_export.tflite import check_builtin_only, convert, convert_variants
    from keras_albert.model_dir import LABELS, SPIECE, load_model_dir, vocabulary_path
    from keras_albert.staging import check_output, staged_output

    variants = list(variants)
    check_options(variants, sequence_length, limit, max_drop, buckets)
    check_output(out, overwrite, inputs=(model_dir, data))
    gate.check_rejected_path(out)
    try:  # the task, the vocabulary and the held-out data, read before the weights load
        task = tasks.of_model_dir(model_dir)
    except ValueError as e:
        raise ValueError(f"{model_dir}: {e}") from None
    if not os.path.isfile(vocabulary_path(model_dir)):
        raise FileNotFoundError(f"{model_dir} has no {SPIECE}: the export needs the model's vocabulary")
    unoffered = [v for v in variants if v not in task.variants]
    if unoffered:
        raise ValueError(f"{model_dir} holds a {task.name} model, exported as {', '.join(task.variants)}, "
                         f"not {', '.join(unoffered)}")
    if buckets and task.fixed_length:  # its runtimes pad every input to the window: a shorter signature runs nowhere
        raise ValueError(f"--buckets: {model_dir} holds a {task.name} model, exported at one fixed window; "
                         "length buckets are for dynamic-length exports")
    gated = task.gate is not None and max_drop is not None and any("int8" in v for v in variants)
    if gated:
        gate.check_heldout(task, model_dir, data)
    model, tokenizer, labels = load_model_dir(model_dir)
    table = model.config.max_position_embeddings
    if (sequence_length or 0) > table or any(n > table for n in buckets):
        raise ValueError(f"--sequence-length/--buckets longer than {model_dir}'s position table ({table} tokens)")
    sequence_length = task.length(table, sequence_length)
    if any(n > sequence_length for n in buckets):
        raise ValueError(f"--buckets {max(buckets)}: longer than the export's sequence length ({sequence_length} "
                         "tokens)")
    labels = labels or (task.labels(model) if task.labels else None)
    test = source = None
    if task.gate is not None and (gated or data is not None or gate.has_heldout(task, model_dir)):
        test, source = gate.records(task, model_dir, labels, data, text_columns, label_column, limit)
    if task.gate is None:
        max_drop = None
    if task.metadata is None:
        log(f"a {task.name} export: no on-device metadata for this task (spiece.model and labels.txt travel beside "
            "the .tflite)")
    elif metadata != "off":
        metadata = _metadata_writer_ready(task, sequence_length, metadata, log)

    pairs = is_pair_model(model_dir, text_columns)  # a pair classifier's SavedModel takes text_pair too

    with staged_output(out, overwrite) as tmp:
        if task.savedmodel is not None:  # the task's raw-string signature (a pair classifier: two strings)
            log(f"SavedModel -> {os.path.join(out, 'saved_model')}")
            export_savedmodel(model, tokenizer, labels, os.path.join(tmp, "saved_model"), sequence_length,
                              overwrite=True, pairs=pairs)
        tokenizer.save(os.path.join(tmp, SPIECE))
        if labels:
            with open(os.path.join(tmp, LABELS), "w", encoding="utf-8") as f:
                f.write("".join(f"{x}\n" for x in labels))
        files = {}
        for variant in variants:
            log(f"TFLite {variant} -> {os.path.join(out, f'model_{variant}.tflite')}")
        calibration = calibration_texts(pairs=pairs) if "full_int8" in variants else None
        converted = convert_variants(model, variants, compat=compat, tokenizer=tokenizer,
                                     calibration_texts=calibration, sequence_length=sequence_length)
        for variant, data_bytes in converted.items():
            name = f"model_{variant}.tflite"
            check_builtin_only(data_bytes)
            if task.metadata:
                data_bytes = _with_metadata(data_bytes, os.path.join(tmp, SPIECE), labels, metadata,
                                            task.metadata_writer(), log)
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data_bytes)
            files[variant] = os.path.join(tmp, name)
        bucket_file = None
        if buckets:
            bucket_file = os.path.join(tmp, "model_dynamic_int8_buckets.tflite")
            log(f"TFLite dynamic_int8 with length buckets {list(buckets)} -> "
                f"{os.path.join(out, os.path.basename(bucket_file))}")
            with open(bucket_file, "wb") as f:
                f.write(convert(model, "dynamic_int8", compat=compat, buckets=buckets, sequence_length=sequence_length))
        log("measuring latency" + (f" and {task.gate.metrics[0]} on {len(test)} held-out {task.gate.unit}"
                                   if test else ""))
        lengths = [sequence_length] if task.fixed_length else lengths_up_to(sequence_length)
        report = build_report(model, tokenizer, files, test, gate=task.gate, labels=labels,
                              max_length=sequence_length, bucket_file=bucket_file, source=source, lengths=lengths)
        failed = gate.failures(report, max_drop) if max_drop is not None else {}
        report.update(task=task.name, measures=task.measures, compat=compat,
                      gate={"max_drop": max_drop, "passed": not failed, "failed": sorted(failed)})
        log(write_report(report, tmp))
        if failed and reject:
            raise gate.reject(tmp, out, gate.failure_message(report))
    log(f"export complete: {out}")
    return report


def _metadata_writer_ready(task, sequence_length, mode, log):
    """Set up the metadata writer before any work, once: `--metadata on` fails here, `auto` warns once and exports
    without (not once per variant, after the conversions); -> the mode left. A fixed window other than the one
    the writer's runtime runs (the Task Library's 384) gets a warning: its metadata would not run there."""
    from keras_albert_export.metadata import ensure_writer
    if task.fixed_length and task.default_length and sequence_length != task.default_length:
        log(f"warning: a {task.name} file's metadata is for a runtime that runs a {task.default_length}-token window "
            f"only (the TFLite Task Library): this {sequence_length}-token export will not run there")
    try:
        ensure_writer(task.metadata)
    except RuntimeError as e:
        if mode == "on":
            raise ValueError(str(e)) from None
        log(f"warning: written without on-device metadata ({e})")
        return "off"
    return mode


def _with_metadata(data_bytes, spiece, labels, mode, add_metadata, log):
    if mode == "off":
        return data_bytes
    try:
        return add_metadata(data_bytes, spiece, labels)
    except RuntimeError as e:
        if mode == "on":
            raise ValueError(str(e)) from None
        log(f"warning: written without on-device metadata ({e})")
        return data_bytes
