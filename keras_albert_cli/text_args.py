"""What the text-in commands (classify, tag, answer, choose, bench) share: reading sentences, checking the
arguments a user types, and showing text safely on one terminal line."""
import os
import sys
import unicodedata

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # controls, format (bidi, zero-width), lone surrogates


def shown(text):
    """`text` safe to print on one terminal line: backslash escapes for everything invisible or controlling."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif unicodedata.category(ch) in _INVISIBLE:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def read_sentences(path):
    """One sentence per line of `path` (`-`: stdin); undecodable bytes are kept as on the command line
    (lone surrogates, which the tokenizer replaces), blank lines skipped."""
    if path == "-":
        raw = sys.stdin.buffer.read()
    elif not os.path.isfile(path):
        raise FileNotFoundError(f"no sentence file at {path}")
    else:
        with open(path, "rb") as f:
            raw = f.read()
    return [line.rstrip("\r") for line in raw.decode("utf-8", "surrogateescape").split("\n") if line.strip()]


MAX_THREADS = 1024  # (LiteRT's thread pool crashes far above any core count: 100,000 is a segfault)


def check_threads(counts):
    """Thread counts a runtime takes: 1 to MAX_THREADS (the counts, for chaining)."""
    for n in counts:
        if not 1 <= n <= MAX_THREADS:
            raise ValueError(f"--threads must be from 1 to {MAX_THREADS}, got {n}")
    return counts


def check_not_blank(texts, what):
    """A blank text given as an argument is a mistake (a file's blank lines are skipped): one line naming it."""
    blank = next((i for i, t in enumerate(texts) if not t.strip()), None)
    if blank is not None:
        raise ValueError(f"{what} {blank + 1} is empty")
