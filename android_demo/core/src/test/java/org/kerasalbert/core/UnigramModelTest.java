package org.kerasalbert.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.util.Arrays;
import java.util.List;
import org.junit.Test;

/** The Viterbi rules on a vocabulary small enough to work the answers out by hand. */
public class UnigramModelTest {
    private static final String S = AlbertNormalizer.SPACE;
    private static final Vocabulary.Type N = Vocabulary.Type.NORMAL, C = Vocabulary.Type.CONTROL;

    static Vocabulary vocabulary() {
        List<String> pieces = Arrays.asList(
                "<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]",
                S, "a", "b", "ab", S + "ab", "c", "cc", "x", "y", "xy", "[", "]", "m");
        float[] scores = {0, 0, 0, 0, 0, -1f, -2f, -2f, -3f, -2.5f, -3f, 0f, -1f, -1f, -2f, -4f, -4f, -4f};
        Vocabulary.Type[] types = {C, Vocabulary.Type.UNKNOWN, C, C, C,
                N, N, N, N, N, N, Vocabulary.Type.UNUSED, N, N, N, N, N, N};
        return new Vocabulary(pieces, scores, types);
    }

    private final UnigramModel model = new UnigramModel(vocabulary());

    private List<Integer> encode(String escaped) {
        return model.encode(escaped);
    }

    @Test
    public void picksTheHighestScoringPath() {
        assertEquals(Arrays.asList(9), encode(S + "ab"));          // -2.5 beats S + ab (-4) and S + a + b (-5)
        assertEquals(Arrays.asList(9, 10), encode(S + "abc"));
    }

    @Test
    public void equalScoresKeepTheEarlierStartingPiece() {
        assertEquals("xy (-2) ties x + y (-2): SentencePiece keeps the first candidate", Arrays.asList(14), encode("xy"));
    }

    @Test
    public void unknownCharactersMergeIntoOneUnk() {
        assertEquals(Arrays.asList(5, 1), encode(S + "qqq"));
        assertEquals(Arrays.asList(5, 1, 6, 1), encode(S + "qaq"));
        assertEquals(Arrays.asList(5, 1, 5, 1), encode(S + "q" + S + "q"));
    }

    @Test
    public void unusedPiecesAreNeverProduced() {
        assertEquals(Arrays.asList(10, 10), encode("cc"));
    }

    @Test
    public void controlSymbolsAreNeverProducedFromText() {
        AlbertTokenizer tokenizer = new AlbertTokenizer(vocabulary());
        List<Integer> ids = tokenizer.encode("[MASK]");
        assertEquals(Arrays.asList(5, 15, 17, 6, 1, 16), ids);
        assertFalse(ids.contains(AlbertTokenizer.MASK_ID));
        assertEquals("user text is text", tokenizer.encode("AB[MASK] ab"), tokenizer.tokenize("AB[MASK] ab"));
        assertEquals("fill-mask reads literal specials, like Python's special_tokens=True",
                Arrays.asList(9, AlbertTokenizer.MASK_ID, 9), tokenizer.tokenize("AB[MASK] ab", true));
    }

    @Test
    public void emptyTextHasNoIds() {
        assertEquals(Arrays.asList(), new AlbertTokenizer(vocabulary()).encode(" \t\u3000"));
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesANonAlbertVocabulary() {
        new AlbertTokenizer(new Vocabulary(Arrays.asList("<unk>", "a"), new float[] {0, -1}, new Vocabulary.Type[] {
            Vocabulary.Type.UNKNOWN, N}));
    }
}
