"""Task data readers: SQuAD JSON, CoNLL / JSONL tags, GLUE-style pairs, RACE. Records as the files hold them;
every bad record named by file and line (JSON: its JSON path), or counted with skip_bad_rows."""
import json

import pytest

from keras_albert.datasets import label_names
from keras_albert.readers.conll import label_list, read_conll
from keras_albert.readers.pairs import detect_columns, read_pairs
from keras_albert.readers.race import read_race
from keras_albert.readers.squad import read_squad

CONTEXT = "Architecturally, the school has a Catholic character. Atop the Main Building is a golden statue."


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def _squad(tmp_path, qas, name="squad.json"):
    doc = {"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": CONTEXT, "qas": qas}]}]}
    return _write(tmp_path / name, json.dumps(doc, indent=1))


def _qa(qid, answers=(), impossible=None, **extra):
    qa = {"id": qid, "question": f"question {qid}?", "answers": [{"text": t, "answer_start": s} for t, s in answers]}
    if impossible is not None:
        qa["is_impossible"] = impossible
    return {**qa, **extra}


def test_squad_v1_and_v2(tmp_path):
    golden = CONTEXT.index("a golden statue")
    qas = [_qa("1", [("a golden statue", golden), ("golden statue", golden + 2)]),   # dev: several answers
           _qa("2", [], impossible=True, plausible_answers=[{"text": "school", "answer_start": 21}]),
           _qa("3", [("Catholic", CONTEXT.index("Catholic"))], impossible=False)]
    got = read_squad(_squad(tmp_path, qas))
    assert [r["id"] for r in got] == ["1", "2", "3"] and got.skipped == 0
    assert got[0] == {"id": "1", "question": "question 1?", "context": CONTEXT, "is_impossible": False,
                      "answers": [("a golden statue", golden), ("golden statue", golden + 2)]}
    assert got[1]["is_impossible"] and got[1]["answers"] == []                 # plausible_answers ignored
    for record in got:
        for text, start in record["answers"]:
            assert record["context"][start:start + len(text)] == text


@pytest.mark.parametrize("qa,why", [
    (_qa("x", [("golden", 3)]), r"qas\[1\].answers\[0\] \(id 'x'\): answer 'golden' does not start at character 3"),
    (_qa("x", []), r"qas\[1\] \(id 'x'\) has no answers and is not marked is_impossible"),
    (_qa("x", [("school", 21)], impossible=True), r"qas\[1\] \(id 'x'\) is_impossible but has 1 answer"),
    (_qa("", [("school", 21)]), r"qas\[1\].id is missing or empty"),
    (_qa("x", [("school", "21")]), r"qas\[1\].answers\[0\].answer_start is '21', not a character offset"),
    (_qa("ok", [("school", 21)]), r"qas\[1\]: id 'ok' is also data\[0\].paragraphs\[0\].qas\[0\]"),
])
def test_squad_errors_name_the_json_path(tmp_path, qa, why):
    path = _squad(tmp_path, [_qa("ok", [("school", 21)]), qa])
    with pytest.raises(ValueError, match=rf"squad\.json: data\[0\]\.paragraphs\[0\]\.{why}"):
        read_squad(path)
    got = read_squad(path, skip_bad_rows=True)
    assert [r["id"] for r in got] == ["ok"] and got.skipped == 1


def test_squad_bad_files(tmp_path):
    with pytest.raises(ValueError, match=r"broken\.json:3: invalid JSON"):
        read_squad(_write(tmp_path / "broken.json", '{"data": [\n  {"paragraphs": []},\n  oops\n]}'))
    with pytest.raises(ValueError, match=r"rows\.csv:1: invalid JSON .*\(question answering reads SQuAD JSON\)$"):
        read_squad(_write(tmp_path / "rows.csv", "question,context\nwho?,anna did\n"))
    with pytest.raises(ValueError, match='an object with a list "data"'):
        read_squad(_write(tmp_path / "list.json", "[]"))
    with pytest.raises(ValueError, match=r"data\[0\]\.paragraphs\[0\]\.context is missing or not a str"):
        read_squad(_write(tmp_path / "p.json", json.dumps({"data": [{"paragraphs": [{"qas": []}]}]})))
    (tmp_path / "latin.json").write_bytes('{"data": [\n"caf\u00e9"]}'.encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.json:2: byte 0xe9"):
        read_squad(str(tmp_path / "latin.json"))


CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

"""


def test_conll_text_and_jsonl(tmp_path):
    got = read_conll(_write(tmp_path / "train.txt", CONLL))
    assert got == [{"tokens": ["EU", "rejects", "German"], "tags": ["B-ORG", "O", "B-MISC"], "line": 3},
                   {"tokens": ["Peter", "Blackburn"], "tags": ["B-PER", "I-PER"], "line": 7}]
    assert label_list(got) == ["O", "B-MISC", "B-ORG", "B-PER", "I-PER"]
    # no trailing blank line, tab separated, two columns: the last sentence is still read
    got = read_conll(_write(tmp_path / "two.conll", "a\tO\nb\tB-X\n\nc\tI-X"))
    assert [r["tags"] for r in got] == [["O", "B-X"], ["I-X"]]
    rows = [{"tokens": ["Peter", "Blackburn"], "tags": ["B-PER", "I-PER"]}, {"tokens": ["x"], "tags": ["O"]}]
    path = _write(tmp_path / "t.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    assert read_conll(path) == [{**rows[0], "line": 1}, {**rows[1], "line": 2}]


@pytest.mark.parametrize("name,content,where", [
    ("bad.txt", "EU B-ORG\nrejects\n\nok O\n", r"bad\.txt:2: 'rejects' alone: expected a token and its tag"),
    ("bad.jsonl", '{"tokens": ["a", "b"], "tags": ["O"]}\n{"tokens": ["ok"], "tags": ["O"]}\n',
     r"bad\.jsonl:1: 2 tokens but 1 tags"),
    ("ids.jsonl", '{"tokens": ["a"], "tags": [3]}\n{"tokens": ["ok"], "tags": ["O"]}\n',
     r"ids\.jsonl:1: 'tags' must hold non-empty strings"),
])
def test_conll_errors(tmp_path, name, content, where):
    path = _write(tmp_path / name, content)
    with pytest.raises(ValueError, match=where):
        read_conll(path)
    got = read_conll(path, skip_bad_rows=True)
    assert got.skipped == 1 and [r["tokens"] for r in got] == [["ok"]]


MNLI_HEADER = ("index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
               "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n")


def test_pairs_glue_files(tmp_path):
    # MNLI: a sentence that begins with a quote is text (GLUE's TSVs are not quoted)
    mnli = MNLI_HEADER + ('0\t1\t1n\tfiction\t(x)\t(y)\t(X)\t(Y)\t"Yes," he said.\tHe agreed.\tentailment\t'
                          'entailment\n1\t2\t2c\tslate\t(x)\t(y)\t(X)\t(Y)\tA cat.\tNo animal.\tcontradiction\t'
                          'contradiction\n')
    path = _write(tmp_path / "dev_matched.tsv", mnli)
    assert detect_columns(path, quoting=False) == (("sentence1", "sentence2"), "gold_label")
    got = read_pairs(path)
    assert got == [{"text": '"Yes," he said.', "text_pair": "He agreed.", "label": "entailment", "line": 2},
                   {"text": "A cat.", "text_pair": "No animal.", "label": "contradiction", "line": 3}]
    qnli = _write(tmp_path / "qnli.tsv", "index\tquestion\tsentence\tlabel\n0\tWho?\tHim.\tentailment\n")
    assert read_pairs(qnli)[0]["text"] == "Who?"
    hf = _write(tmp_path / "mnli.jsonl", json.dumps({"premise": "p", "hypothesis": "h", "label": 2}) + "\n")
    assert read_pairs(hf) == [{"text": "p", "text_pair": "h", "label": "2", "line": 1}]
    named = _write(tmp_path / "mine.csv", 'left,right,y\n"a, b",c,yes\n')    # a CSV keeps its quoting
    assert read_pairs(named, ("left", "right"), "y")[0] == {"text": "a, b", "text_pair": "c", "label": "yes",
                                                            "line": 2}
    assert label_names([r["label"] for r in got]) == ["contradiction", "entailment"]


def test_pairs_regression_and_errors(tmp_path):
    stsb = ("index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
            "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane is taking off.\tA plane takes off.\t5.000\n"
            "1\tmain-captions\tMSRvid\t2012test\t0004\tnone\tnone\tA man plays.\tA man sings.\thigh\n")
    path = _write(tmp_path / "sts.tsv", stsb)
    with pytest.raises(ValueError, match=r"sts\.tsv:3: label column 'score' is 'high', not a number"):
        read_pairs(path)
    got = read_pairs(path, skip_bad_rows=True)
    assert got.skipped == 1 and got[0]["label"] == 5.0 and isinstance(got[0]["label"], float)
    nan = _write(tmp_path / "nan.csv", "sentence1,sentence2,score\na,b,nan\n")
    with pytest.raises(ValueError, match=r"nan\.csv:2: .*not a finite number"):
        read_pairs(nan)
    odd = _write(tmp_path / "odd.csv", "first,second,label\na,b,1\n")
    with pytest.raises(ValueError, match=r"odd\.csv: cannot tell the text columns from 'first', 'second', "
                                         r"'label'; name them"):
        read_pairs(odd)
    assert read_pairs(odd, text_columns=("first", "second"))[0]["label"] == "1"
    short = _write(tmp_path / "short.tsv", "sentence1\tsentence2\tlabel\na\tb\n")
    with pytest.raises(ValueError, match=r"short\.tsv:2: 2 fields, the header has 3"):
        read_pairs(short)


def test_package_exports_every_reader():
    from keras_albert import readers
    from keras_albert.readers.multi_label import read_multi_label
    assert readers.READERS == {"squad": read_squad, "conll": read_conll, "pairs": read_pairs, "race": read_race,
                               "multi_label": read_multi_label}
    assert all(hasattr(readers, name) for name in readers.__all__)


def test_race(tmp_path):
    rows = [{"article": "Tom had a dog.", "question": "What did Tom have?", "options": ["a cat", "a dog", "x", "y"],
             "answer": "B"},
            {"article": "Sky.", "question": "Colour?", "options": ["red", "blue", "green", "grey"], "answer": "d"}]
    path = _write(tmp_path / "race.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    got = read_race(path)
    assert [r["label"] for r in got] == [1, 3] and got[0]["options"] == rows[0]["options"]
    assert got[1]["line"] == 2
    bad = dict(rows[0], answer="E")
    path = _write(tmp_path / "bad.jsonl", "".join(json.dumps(r) + "\n" for r in (rows[0], bad)))
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: answer 'E' is not one of the letters A, B, C, D"):
        read_race(path)
    assert read_race(path, skip_bad_rows=True).skipped == 1
    ragged = dict(rows[1], options=["red", "blue", "green"], answer="A")
    path = _write(tmp_path / "ragged.jsonl", "".join(json.dumps(r) + "\n" for r in (rows[0], ragged)))
    with pytest.raises(ValueError, match=r"ragged\.jsonl:2: 3 options, but line 1 has 4"):
        read_race(path)
    with pytest.raises(ValueError, match=r"rows\.csv: multiple choice reads RACE-style JSON lines"):
        read_race(_write(tmp_path / "rows.csv", "article,question,answer\nsky,colour?,A\n"))
