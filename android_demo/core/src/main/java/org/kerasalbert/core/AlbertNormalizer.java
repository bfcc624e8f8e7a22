package org.kerasalbert.core;

import java.text.Normalizer;
import java.util.Locale;

/**
 * ALBERT's text normalization, equal to Python's {@code keras_albert.tokenizer.normalize}, followed by
 * SentencePiece's own whitespace handling. Vocabularies made by {@code train_vocab} compile the same rules into
 * their charsmap, so this class stands in for it and the charsmap is never parsed.
 */
public final class AlbertNormalizer {
    /** SentencePiece's visible space; a word's first piece starts with it. */
    public static final String SPACE = "\u2581";

    private AlbertNormalizer() {}

    /** Collapse whitespace, {@code ``} and {@code ''} to {@code "}, NFKD, drop accents (Mn), lowercase. */
    public static String normalize(String text) {
        String s = collapseWhitespace(text).replace("``", "\"").replace("''", "\"");
        s = Normalizer.normalize(s, Normalizer.Form.NFKD);
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                out.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
        }
        return out.toString().toLowerCase(Locale.ROOT);
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
