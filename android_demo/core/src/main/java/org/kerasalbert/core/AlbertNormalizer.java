package org.kerasalbert.core;

import java.text.Normalizer;
import java.util.Locale;

/**
 * ALBERT's text normalization, equal to Python's {@code keras_albert.tokenizer.normalize}, followed by
 * SentencePiece's own whitespace handling. Vocabularies made by {@code train_vocab} compile the same rules into
 * their charsmap, so this class stands in for it and the charsmap is never parsed. (A checkpoint's own
 * nmt_nfkc vocabulary adds rules of its own on top, which this class does not apply: ship such a model with
 * MediaPipe, whose packed vocabulary carries them.)
 */
public final class AlbertNormalizer {
    /** SentencePiece's visible space; a word's first piece starts with it. */
    public static final String SPACE = "\u2581";

    private AlbertNormalizer() {}

    /**
     * Python's {@code normalize}: lone surrogates to U+FFFD, a typed U+2581 to a space, collapse whitespace,
     * {@code ``} and {@code ''} to {@code "}, NFKD, drop combining marks (Mn, Mc, Me), lowercase each code point
     * (no final-sigma rule).
     */
    public static String normalize(String text) {
        String s = collapseWhitespace(validText(text).replace(SPACE, " ")).replace("``", "\"").replace("''", "\"");
        s = Normalizer.normalize(s, Normalizer.Form.NFKD);
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (!isMark(cp)) {
                out.appendCodePoint(Character.toLowerCase(cp));
            }
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /**
     * The text with every lone surrogate replaced by U+FFFD, as Python's tokenizer replaces them: what the app
     * hands MediaPipe, whose tokenizer takes only valid UTF-8.
     */
    public static String validText(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (Character.isSurrogate(c) && !pair) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append('\uFFFD');
                continue;
            }
            if (out != null) {
                out.append(c);
                if (pair) {
                    out.append(text.charAt(i + 1));
                }
            }
            if (pair) {
                i++;
            }
        }
        return out == null ? text : out.toString();
    }

    static boolean isMark(int cp) {
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK;
    }

    /**
     * What SentencePiece encodes for a normalized text: runs of spaces collapsed, ends trimmed, a dummy
     * prefix added and every space written as {@link #SPACE}. Empty text stays empty.
     */
    public static String escapeWhitespace(String normalized) {
        StringBuilder out = new StringBuilder(normalized.length() + 1);
        for (String word : normalized.split(" ")) {
            if (!word.isEmpty()) {
                out.append(SPACE).append(word);
            }
        }
        return out.toString();
    }

    /** Python's {@code " ".join(text.split())}. */
    static String collapseWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isPythonSpace(cp)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) {
                    out.append(' ');
                    pendingSpace = false;
                }
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    /** Python's {@code str.isspace}: bidirectional class WS, B or S, or general category Zs. */
    static boolean isPythonSpace(int cp) {
        byte direction = Character.getDirectionality(cp);
        return direction == Character.DIRECTIONALITY_WHITESPACE
                || direction == Character.DIRECTIONALITY_PARAGRAPH_SEPARATOR
                || direction == Character.DIRECTIONALITY_SEGMENT_SEPARATOR
                || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }
}
