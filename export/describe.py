"""What an exported .tflite is, read from the file alone (`keras-albert info FILE.tflite`): its task by the
signature's outputs, its size, whether its weights are int8, where it cuts input, and where its vocabulary and
labels come from (or that it has no vocabulary: every command that runs it needs one)."""
import os


def describe_tflite(path):
    """-> lines of text about a .tflite written by `keras-albert export`; ValueError for another kind of file."""
    from keras_albert.model_dir import LABELS, SPIECE, parse_labels
    from keras_albert_export import tasks
    from keras_albert_export.runtime import SIGNATURE, interpreter_class, read_with_files, tokenizer_of, \
        where_is
    from keras_albert_export.tflite import input_limit, weight_types

    content, files, packed = read_with_files(path)
    interpreter = interpreter_class()(model_content=content)
    signatures = interpreter.get_signature_list()
    outputs = set(signatures.get(SIGNATURE, {}).get("outputs", ()))
    task = tasks.of_outputs(outputs)
    if task is None:
        raise ValueError(f"{path} is not a file `keras-albert export` writes (its {SIGNATURE} outputs "
                         f"{sorted(outputs)} are no task's)")
    details = interpreter.get_signature_runner(SIGNATURE).get_input_details()
    fixed = int(details["ids"]["shape_signature"][1])
    limit = input_limit(content)
    length = (f"a fixed window of {fixed} tokens" if fixed > 0 else
              f"any length, cut at {limit} tokens" if limit else "any length")
    weights = "int8" if "int8" in weight_types(content) else "float32"
    where = {name: "in the file" if name in packed else f"{name} beside it" for name in (SPIECE, LABELS)}
    rows = "" if task.input_rows else " (one row per choice)"
    lines = [f"{path}: {task.name} model, {os.path.getsize(path) / 1e6:.2f} MB, {weights} weights",
             f"input: ids, mask, segment_ids{rows}; {length}; signatures: {', '.join(sorted(signatures, key=_order))}",
             f"vocabulary: {tokenizer_of(path, files, packed).vocab_size:,} pieces ({where[SPIECE]})" if SPIECE in files
             else f"vocabulary: none (not in the file and no {SPIECE} beside it: put the model's {SPIECE} there "
                  f"to run it)"]
    if LABELS in files:
        names = parse_labels(files[LABELS].decode('utf-8', 'replace'), where_is(path, LABELS, packed))
        lines.append(f"labels: {', '.join(names)} ({where[LABELS]})")
    lines.append(f"run: keras-albert {task.command} {path} ...")
    return lines


def _order(signature):
    """serving_default first, then the length buckets by length."""
    from keras_albert_export.runtime import SIGNATURE
    return (signature != SIGNATURE, len(signature), signature)
