"""The Android demo's pure-Java core (tokenizer, packing, app logic): compiled with javac 17 and run with Debian's
JUnit 4 against a golden file that the Python tokenizer writes here, from the vocabulary trained for the tests."""
import os
import subprocess
import unicodedata

import pytest
import sentencepiece as spm
from java_core import run_junit

from keras_albert_export import android_golden
from keras_albert.tokenizer import normalize


@pytest.fixture(scope="module")
def compiled(java_classpath):
    return java_classpath


@pytest.fixture(scope="module")
def golden_dir(spiece_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("golden")
    android_golden.write_all(spiece_path, str(out))
    return str(out)


def test_java_core_matches_python_tokenizer(compiled, golden_dir):
    passed, failed, done = run_junit(compiled, f"-Dalbert.golden.dir={golden_dir}")
    with open(os.path.join(golden_dir, android_golden.GOLDEN_FILE), encoding="utf-8") as f:
        golden_lines = sum(1 for _ in f)
    assert failed == 0 and done.returncode == 0, done.stdout
    assert passed > golden_lines > 100


def test_committed_golden_copy_passes(compiled):
    """The snapshot in the test resources (what `gradle :core:test` reads) agrees with the Java code too."""
    passed, failed, done = run_junit(compiled)
    assert failed == 0 and done.returncode == 0 and passed > 100, done.stdout


def test_vocabulary_file_is_the_sentencepiece_model(spiece_path, golden_dir):
    sp = spm.SentencePieceProcessor(model_file=spiece_path)
    with open(os.path.join(golden_dir, android_golden.VOCAB_FILE), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    assert len(rows) == sp.get_piece_size()
    for i, (piece, score, kind) in enumerate(rows):
        assert piece == sp.id_to_piece(i) and float(score) == sp.get_score(i)
        assert (kind == "control") == sp.is_control(i) and (kind == "unknown") == sp.is_unknown(i)


def test_golden_covers_the_hard_cases(golden_dir, tokenizer):
    with open(os.path.join(golden_dir, android_golden.GOLDEN_FILE), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    tokenized = {r[1]: r[3] for r in rows if r[0] == "tokenize"}
    assert tokenized["empty"] == tokenized["blank"] == ""
    assert len(tokenized["very_long"].split()) > 32
    assert " 1 " in f" {tokenized['unknown_run']} " and not {"2", "3", "4"} & set(tokenized["special_literals"].split())
    special = {r[1]: r[3] for r in rows if r[0] == "special"}
    assert " 4 " in f" {special['special_literals']} " and tokenized["lone_surrogates"]
    assert sum(name.startswith("rotten_tomatoes_") for name in tokenized) >= 40
    assert any(name.startswith("imdb_") for name in tokenized)
    packed = [r for r in rows if r[0] == "pack1" and r[1] == "very_long"][0]
    assert packed[4].split()[-1] == "3" and len(packed[4].split()) == int(packed[2])


def test_refuses_models_the_java_tokenizer_cannot_run(rt_texts, tmp_path):
    prefix = str(tmp_path / "bpe")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(rt_texts[0][:2000]), model_prefix=prefix, vocab_size=300,
                                   model_type="bpe", minloglevel=2)
    with pytest.raises(ValueError, match="only unigram"):
        android_golden.write_vocabulary(prefix + ".model", str(tmp_path / "v.tsv"))


def test_java_normalization_equals_python_on_every_code_point(compiled, tmp_path):
    """`AlbertNormalizer.normalize` against `keras_albert.tokenizer.normalize` on "a" + c + "b" for every assigned
    code point below U+30000: the only differences allowed are characters the JDK's Unicode tables do not know.
    (Marks of every kind are dropped, so a mark moving between Mn and Mc across Unicode versions, as U+1734 did
    in Unicode 14, no longer matters.)"""
    path = tmp_path / "normalize.tsv"
    with open(path, "w", encoding="utf-8") as f:
        for cp in range(0x20, 0x30000):
            if unicodedata.category(chr(cp)) not in ("Cs", "Co", "Cn"):
                f.write(f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in normalize(f'a{chr(cp)}b'))}\n")
    done = subprocess.run(["java", "-cp", compiled, "org.kerasalbert.core.NormalizeSweep", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "checked " + str(sum(1 for _ in open(path, encoding="utf-8")))
    known = [int(line.split()[1], 16) for line in lines if line.endswith(" defined")]
    assert known == [], [hex(cp) for cp in known]


def test_golden_writer_keeps_existing_files(spiece_path, golden_dir):
    with pytest.raises(FileExistsError, match="--overwrite"):
        android_golden.write_all(spiece_path, golden_dir)
