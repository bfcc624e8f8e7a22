package org.kerasalbert.core;

/** Checks what the user typed before it reaches the model, with messages meant for the screen. */
public final class TextInput {
    /** Longer text is refused: the model reads at most its sequence length in pieces anyway. */
    public static final int DEFAULT_MAX_CHARS = 5000;

    private TextInput() {}

    /**
     * The trimmed text to classify, lone surrogates replaced by U+FFFD (MediaPipe's tokenizer takes only valid
     * UTF-8); throws IllegalArgumentException with the message to show otherwise.
     */
    public static String validate(String raw, int maxChars) {
        String text = raw == null ? "" : AlbertNormalizer.collapseWhitespace(AlbertNormalizer.validText(raw));
        if (text.isEmpty()) {
            throw new IllegalArgumentException("Type a sentence to classify.");
        }
        int length = text.codePointCount(0, text.length());
        if (length > maxChars) {
            throw new IllegalArgumentException(
                    "The text is too long: " + length + " characters (the limit is " + maxChars + ").");
        }
        return text;
    }

    public static String validate(String raw) {
        return validate(raw, DEFAULT_MAX_CHARS);
    }
}
