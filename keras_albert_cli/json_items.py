"""Questions from a file for `answer` and `choose`: a JSON list (or one object), or JSON lines."""
import json
import os


def read_json_items(path):
    """-> the file's objects, unchecked (each command checks its own fields); a missing file, a line that is not
    JSON or no items at all is one ValueError naming the file (and line)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no question file at {path}")
    from keras_albert.datasets import utf8_lines
    text = "".join(utf8_lines(path))  # (bytes that are not UTF-8: one line naming the file and line)
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{number}: not JSON ({e.msg})") from None
    items = items if isinstance(items, list) else [items]
    if not items:
        raise ValueError(f"{path}: no questions")
    return items
