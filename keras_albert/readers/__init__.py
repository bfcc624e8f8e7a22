"""Task data readers: one module per format, each returning plain Python records (dicts).

Every reader raises `ValueError("FILE:LINE: problem")` (JSON files: the JSON path, `data[0].paragraphs[2].qas[1]`)
on the first bad record, or with `skip_bad_rows=True` counts it in `Records.skipped` instead.
"""


class Records(list):
    """The records of one file (a list) and how many bad ones were skipped."""

    def __init__(self, records=(), skipped=0):
        super().__init__(records)
        self.skipped = skipped
