"""A fixed corpus of text that tokenizers get wrong, and a vocabulary trained the way the original ALBERT's was."""
import os

ODD_TEXTS = [
    # quotes: `` and '' become " (before NFKD: fullwidth apostrophes stay apart)
    "``quoted'' text and ''twice``", 'He said "hi", then \'\'bye\'\' and `` ` `` \'\'\'', "＇＇fullwidth＇＇ ｀｀x｀｀",
    # accents, precomposed and decomposed; uppercase, Greek final sigma, special casing
    "Café déjà vu, naïve ÉCOLE ÉLÉMENTAIRE!", "e\u0301 decomposed a\u0308 O\u0308\u0301", "ALL CAPS SHOUTING",
    "Ünïcödé ÀÉÎÕÜ ñ ç ø ł đ ß æ œ", "ΟΔΟΣ ΚΑΛΟΣ, Σ σ ς.", "İstanbul Straße ẞ ǅemal",
    # ligatures, full-width and other compatibility forms
    "ﬁne ﬂow ﬃ", "Ｆｕｌｌｗｉｄｔｈ １２３ ＡＢＣ", "ｶﾀｶﾅ ｶﾞ", "K Ω Å ½ ² ① ㈱ ㎏ ™ ℌ",
    # control and zero-width characters, runs of whitespace, tabs and newlines
    "ctrl\x01\x02\x7f\x1c\x1d\x1e\x1fend\x0b\x0c.",
    "zero\u200bwidth\u200cnon\u200djoin\ufeffbom\u00adsoft",
    "tabs\tand\nnewlines\r\n  runs   of    space\t\t", "a\u00a0b\u2003c\u3000d\u2028e\u2029f\u0085g\u1680h\u202fi\u205fj",
    "\u00a8 \u00b4 spacing accents \u02dc", "\u0301\u0308", "", "   ", " \t\n\u3000 ",
    # emoji (ZWJ sequences, skin tones, variation selectors), CJK and other scripts
    "emoji 👍🏽 😀😀 👨‍👩‍👧 ❤️ 🇫🇷", "日本語の映画 中文电影 한국어", "हिन्दी फ़िल्म বাংলা \u09c7\u09be русский",
    # lone surrogates (Python API) and undecodable bytes as argv gives them (surrogate escapes)
    "lone \ud800 high", "lone \udfff low", "argv caf\udcc3 \udcff\udcfe bytes", "\udce2\udc82a truncated", "x\ufffdy",
    # special-token literals typed by a user: text, like any other
    "a [MASK] b [CLS][SEP] [cls] [MASK]", "[CLS] a great film [SEP]",
    # SentencePiece's visible space typed in text: a space on every path
    "word\u2581", "\u2581", "\u2581a a \u2581 b\u2581\u2581c",
    # numbers and punctuation
    "It made $1,234,567.89 in 2024: rated 3.5/10, 1st of 10,000 (½ ² ① 4th)!", "Wow!!! Really?!... (no) [yes] <br />",
]

LONG_TEXT = "an absolutely unforgettable, heartbreaking and wonderfully acted film " * 40


def has_lone_surrogate(text):
    return any("\ud800" <= c <= "\udfff" for c in text)


def original_like_vocab(texts, path, vocab_size=1000):
    """A vocabulary trained as ALBERT's `30k-clean.model` was: SentencePiece unigram with its default nmt_nfkc
    normalization, `<pad>`/`<unk>`, [CLS]/[SEP]/[MASK] control symbols and the same user-defined symbols."""
    import sentencepiece as spm

    from keras_albert.tokenizer import normalize
    prefix = os.path.splitext(str(path))[0]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([normalize(t) for t in texts]), model_prefix=prefix, vocab_size=vocab_size,
        model_type="unigram", pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]", "[MASK]"],
        user_defined_symbols=["(", ")", '"', "-", ".", "–", "£", "€"], character_coverage=0.99995,
        shuffle_input_sentence=True, num_threads=2, minloglevel=2)
    return prefix + ".model"
