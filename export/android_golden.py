"""Files for the Android demo's pure-Java tokenizer: its vocabulary and a golden file of Python's ids.

`write_vocabulary` exports a spiece.model's pieces as `piece<TAB>score<TAB>type` lines (id = line number),
so the Java side needs no protobuf. `write_golden` runs real sentences (Rotten Tomatoes, IMDB) and hard cases
(accents, numbers, punctuation, Unicode whitespace, empty, longer than the sequence length) through the Python
`AlbertTokenizer.tokenize` and `AlbertPreprocessor`, whose ids the Java tests must reproduce exactly.

    python -m keras_albert_export.android_golden MODEL_DIR_OR_SPIECE OUT_DIR [--sequence-length 32]
"""
import argparse
import os

from sentencepiece import sentencepiece_model_pb2

from keras_albert.tokenizer import AlbertTokenizer

VOCAB_FILE, GOLDEN_FILE = "spiece_vocab.tsv", "tokenizer_golden.tsv"
PIECE_TYPES = {1: "normal", 2: "unknown", 3: "control", 4: "user_defined", 5: "unused", 6: "byte"}

HARD_CASES = [
    ("accents", "Café déjà vu: a naïve façade, Ångström, Žižek and São Paulo — ÉCOLE ÉLÉMENTAIRE."),
    ("greek_final_sigma", "ΟΔΟΣ ΚΑΛΟΣ, Σ σ ς."),
    ("special_casing", "İstanbul, Straße ẞ, ǅemal, ﬁne ﬂow, Ｆｕｌｌｗｉｄｔｈ １２３, K Ω Å"),
    ("scripts", "हिन्दी फ़िल्म, 한국어 영화, 日本語の映画, русский фильм"),
    ("emoji", "great 👍🏽 film 😀😀 ok 👨‍👩‍👧"),
    ("numbers", "It made $1,234,567.89 in 2024: rated 3.5/10, 1st of 10,000 (½ ² ① 4th)."),
    ("punctuation", "Wow!!! Really?!... (no) [yes] {maybe} <br /> -- ;: 'quoted' \"double\" ``tex'' #1 @you"),
    ("unicode_whitespace", "a\u00a0b\u2003c\u3000d\u2028e\u2029f\u0085g\u1680h\u200bi\u202fj\u205fk\tl\nm\x1cn\x0bo"),
    ("leading_trailing_space", "  \t spaced   out \n "),
    ("spacing_accents", "a \u00b4 b \u00a8 c"),
    ("combining_only", "\u0301\u0308"),
    ("control_chars", "a\x01b\ufeffc\x7f"),
    ("unknown_run", "ŧŧŧ ŧ xŧŧy"),
    ("special_literals", "a [MASK] b [CLS][SEP] [cls] [MASK]"),
    ("visible_space", "word\u2581 \u2581a a \u2581 b\u2581\u2581c \u2581"),
    ("latex_quotes", "``quoted'' and ''twice`` ＇＇fullwidth＇＇"),
    ("marks", "हिन्दी বাংলা \u09c7\u09be e\u0301 ΟΔΟΣ"),
    ("zero_width", "zero\u200bwidth\u200cnon\u200djoin\ufeffbom\u00adsoft"),
    ("lone_surrogates", "lone \ud800 high \udfff low \ud83d"),
    ("empty", ""),
    ("blank", " \t\n\u3000 "),
    ("very_long", "an absolutely unforgettable, heartbreaking and wonderfully acted film " * 40),
]
PAIRS = [
    ("pair_short", "a gorgeous film.", "the plot drags."),
    ("pair_long_first", "the story " * 30, "is fine"),
    ("pair_long_both", "first segment words " * 20, "second segment is long too " * 20),
]


def write_vocabulary(spiece_path, out_path):
    """Export the pieces of `spiece_path` for the Java `Vocabulary`; refuses what the Java model does not do."""
    proto = sentencepiece_model_pb2.ModelProto()
    with open(spiece_path, "rb") as f:
        proto.ParseFromString(f.read())
    if proto.trainer_spec.model_type != sentencepiece_model_pb2.TrainerSpec.UNIGRAM:
        raise ValueError(f"{spiece_path}: only unigram SentencePiece models are supported")
    if proto.trainer_spec.byte_fallback:
        raise ValueError(f"{spiece_path}: byte fallback is not supported by the Java tokenizer")
    norm = proto.normalizer_spec
    if not (norm.add_dummy_prefix and norm.remove_extra_whitespaces and norm.escape_whitespaces):
        raise ValueError(f"{spiece_path}: the Java tokenizer expects SentencePiece's default whitespace handling")
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        for p in proto.pieces:
            if any(c in p.piece for c in "\t\n\r"):
                raise ValueError(f"{spiece_path}: piece {p.piece!r} holds a tab or newline")
            f.write(f"{p.piece}\t{p.score!r}\t{PIECE_TYPES[p.type]}\n")


def golden_cases(n_rotten_tomatoes=40, n_imdb=6):
    """(name, text) pairs: held-out Rotten Tomatoes sentences, IMDB reviews, then the hard cases."""
    from keras_albert.data import load_texts, splits
    rt = splits("rotten_tomatoes")["test"][0][:n_rotten_tomatoes]
    imdb = load_texts("imdb")[:n_imdb]
    return ([(f"rotten_tomatoes_{i}", t) for i, t in enumerate(rt)]
            + [(f"imdb_{i}", t) for i, t in enumerate(imdb)] + HARD_CASES)


def _escape(text):
    """Backslash, tab, newline and carriage return escaped; lone surrogates (not UTF-8) as \\uXXXX."""
    text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return "".join(f"\\u{ord(c):04X}" if "\ud800" <= c <= "\udfff" else c for c in text)


def _ids(values):
    return " ".join(str(int(v)) for v in values)


def write_golden(tokenizer, out_path, sequence_length=32, cases=None):
    """Write one line per check:
    `tokenize<TAB>name<TAB>text<TAB>ids` (AlbertTokenizer.tokenize: user text is text),
    `special<TAB>name<TAB>text<TAB>ids` (`tokenize(text, special_tokens=True)`, what fill-mask reads) and
    `pack<TAB>name<TAB>length<TAB>first<TAB>second<TAB>token_ids<TAB>segment_ids<TAB>mask` (AlbertPreprocessor;
    `pack1` with no second field for one segment). Text escapes backslash, tab, newline, carriage return and lone
    surrogates (\\uD800).
    """
    from keras_albert.preprocessor import AlbertPreprocessor
    cases = golden_cases() if cases is None else cases
    packer = AlbertPreprocessor(tokenizer, sequence_length=sequence_length)
    single = packer([t for _, t in cases])
    pairs = packer([a for _, a, _ in PAIRS], [b for _, _, b in PAIRS])
    lines = [f"tokenize\t{name}\t{_escape(text)}\t{_ids(tokenizer.tokenize(text))}" for name, text in cases]
    lines += [f"special\t{name}\t{_escape(text)}\t{_ids(tokenizer.tokenize(text, special_tokens=True))}"
              for name, text in cases if "[" in text]
    for i, (name, text) in enumerate(cases):
        lines.append(f"pack1\t{name}\t{sequence_length}\t{_escape(text)}\t" + "\t".join(
            _ids(single[key].numpy()[i]) for key in ("token_ids", "segment_ids", "padding_mask")))
    for i, (name, a, b) in enumerate(PAIRS):
        lines.append(f"pack2\t{name}\t{sequence_length}\t{_escape(a)}\t{_escape(b)}\t" + "\t".join(
            _ids(pairs[key].numpy()[i]) for key in ("token_ids", "segment_ids", "padding_mask")))
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def write_all(spiece_path, out_dir, sequence_length=32, overwrite=False):
    """Both files into `out_dir`; returns their paths. Existing files are kept unless `overwrite`."""
    os.makedirs(out_dir, exist_ok=True)
    vocab, golden = os.path.join(out_dir, VOCAB_FILE), os.path.join(out_dir, GOLDEN_FILE)
    existing = [p for p in (vocab, golden) if os.path.exists(p)]
    if existing and not overwrite:
        raise FileExistsError(f"already there: {', '.join(existing)}; pass --overwrite to replace")
    write_vocabulary(spiece_path, vocab)
    write_golden(AlbertTokenizer.from_file(spiece_path), golden, sequence_length)
    return vocab, golden


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a model directory (with spiece.model) or a spiece.model file")
    parser.add_argument("out_dir")
    parser.add_argument("--sequence-length", type=int, default=32)
    parser.add_argument("--overwrite", action="store_true", help="replace files already in OUT_DIR")
    args = parser.parse_args(argv)
    spiece = os.path.join(args.model, "spiece.model") if os.path.isdir(args.model) else args.model
    if not os.path.isfile(spiece):
        parser.error(f"no SentencePiece model at {spiece}")
    try:
        paths = write_all(spiece, args.out_dir, args.sequence_length, args.overwrite)
    except (ValueError, FileExistsError) as e:
        parser.error(str(e))
    print("\n".join(paths))


if __name__ == "__main__":
    main()
