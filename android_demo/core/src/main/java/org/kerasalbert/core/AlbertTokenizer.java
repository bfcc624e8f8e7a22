package org.kerasalbert.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text to ALBERT ids ({@code <pad>}=0 {@code <unk>}=1 {@code [CLS]}=2 {@code [SEP]}=3 {@code [MASK]}=4) in pure
 * Java: the fallback for runtimes without MediaPipe's own tokenizer (a plain LiteRT Interpreter).
 */
public final class AlbertTokenizer {
    public static final int PAD_ID = 0, UNK_ID = 1, CLS_ID = 2, SEP_ID = 3, MASK_ID = 4;
    private static final String[] SPECIAL_PIECES = {"<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"};
    private static final Pattern SPECIAL = Pattern.compile("\\[CLS\\]|\\[SEP\\]|\\[MASK\\]");

    private final UnigramModel model;

    public AlbertTokenizer(Vocabulary vocabulary) {
        for (int id = 0; id < SPECIAL_PIECES.length; id++) {
            if (vocabulary.id(SPECIAL_PIECES[id]) != id) {
                throw new IllegalArgumentException("not an ALBERT vocabulary: " + SPECIAL_PIECES[id]
                        + " has id " + vocabulary.id(SPECIAL_PIECES[id]) + ", expected " + id);
            }
        }
        this.model = new UnigramModel(vocabulary);
    }

    public static AlbertTokenizer read(InputStream vocabulary) throws IOException {
        return new AlbertTokenizer(Vocabulary.read(vocabulary));
    }

    public Vocabulary vocabulary() {
        return model.vocabulary();
    }

    /**
     * The model's input pipeline ({@code AlbertPreprocessor}): normalize, then SentencePiece. User text is text: a
     * literal "[MASK]" typed by the user is six characters, as on every other path.
     */
    public List<Integer> encode(String text) {
        return model.encode(AlbertNormalizer.escapeWhitespace(AlbertNormalizer.normalize(text)));
    }

    /** Python's {@code AlbertTokenizer.tokenize(text)}: the same as {@link #encode}. */
    public List<Integer> tokenize(String text) {
        return encode(text);
    }

    /**
     * Python's {@code AlbertTokenizer.tokenize(text, special_tokens)}: with {@code specialTokens} (fill-mask only),
     * literal [CLS]/[SEP]/[MASK] become their ids.
     */
    public List<Integer> tokenize(String text, boolean specialTokens) {
        if (!specialTokens) {
            return encode(text);
        }
        List<Integer> ids = new ArrayList<>();
        Matcher special = SPECIAL.matcher(text);
        int from = 0;
        while (special.find()) {
            ids.addAll(encode(text.substring(from, special.start())));
            ids.add(vocabulary().id(special.group()));
            from = special.end();
        }
        ids.addAll(encode(text.substring(from)));
        return ids;
    }
}
