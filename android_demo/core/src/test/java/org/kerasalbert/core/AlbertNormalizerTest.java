package org.kerasalbert.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class AlbertNormalizerTest {
    @Test
    public void collapsesPythonWhitespaceIncludingUnicodeSpaces() {
        assertEquals("a b c d e", AlbertNormalizer.normalize(" a\u00a0b\u3000\u2003c\n\td\u0085\u2029e \u1680"));
        assertTrue(AlbertNormalizer.isPythonSpace(0x1c));
        assertFalse("zero-width space is not whitespace in Python", AlbertNormalizer.isPythonSpace(0x200b));
    }

    @Test
    public void latexQuotesBecomeDoubleQuotes() {
        assertEquals("\"hi\" it's", AlbertNormalizer.normalize("``Hi'' it's"));
    }

    @Test
    public void dropsAccentsAndLowercases() {
        assertEquals("cafe deja vu naive", AlbertNormalizer.normalize("Café DÉJÀ vu naïve"));
        assertEquals("fine 123", AlbertNormalizer.normalize("ﬁne １２３"));
    }

    @Test
    public void dropsEveryCombiningMarkAndLowercasesEachCodePoint() {
        assertEquals("spacing (Mc) and enclosing (Me) marks go too", "ab", AlbertNormalizer.normalize("a\u093e\u20ddb"));
        assertEquals("no final-sigma rule, as in a character map", "οδοσ σ", AlbertNormalizer.normalize("ΟΔΟΣ Σ"));
    }

    @Test
    public void loneSurrogatesBecomeReplacementCharacters() {
        assertEquals("a\ufffdb\ufffd", AlbertNormalizer.validText("a\ud800b\udfff"));
        assertEquals("\ud83d\ude00 pairs stay", AlbertNormalizer.validText("\ud83d\ude00 pairs stay"));
        assertEquals("\ufffd\ud83d\ude00\ufffd", AlbertNormalizer.validText("\ude00\ud83d\ude00\ud83d"));
        assertEquals("x \ufffd", TextInput.validate(" x \ud800 "));
    }

    @Test
    public void escapeWhitespaceAddsDummyPrefixAndCollapsesSpaces() {
        String s = AlbertNormalizer.SPACE;
        assertEquals(s + "a" + s + "b", AlbertNormalizer.escapeWhitespace("a \u00b4 b".replace("\u00b4", " ")));
        assertEquals("", AlbertNormalizer.escapeWhitespace(""));
        assertEquals("", AlbertNormalizer.escapeWhitespace("   "));
    }
}
