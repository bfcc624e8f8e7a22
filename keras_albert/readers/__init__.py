"""Task data readers: one module per format, each returning plain Python records (dicts).

Every reader raises `ValueError("FILE:LINE: problem")` (JSON files: the JSON path, `data[0].paragraphs[2].qas[1]`)
on the first bad record, or with `skip_bad_rows=True` counts it in `Records.skipped` instead.
"""


class Records(list):
    """The records of one file (a list) and how many bad ones were skipped."""

    def __init__(self, records=(), skipped=0):
        super().__init__(records)
        self.skipped = skipped


from keras_albert.readers.conll import label_list, read_conll  # noqa: E402  (the readers use Records)
from keras_albert.readers.multi_label import read_multi_label  # noqa: E402
from keras_albert.readers.pairs import read_pairs  # noqa: E402
from keras_albert.readers.race import read_race  # noqa: E402
from keras_albert.readers.squad import read_squad, write_squad  # noqa: E402

READERS = {"squad": read_squad, "conll": read_conll, "pairs": read_pairs, "race": read_race,
           "multi_label": read_multi_label}

__all__ = ["Records", "READERS", "read_squad", "read_conll", "read_pairs", "read_race", "read_multi_label",
           "label_list", "write_squad"]
