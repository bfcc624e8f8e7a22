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
    public void escapeWhitespaceAddsDummyPrefixAndCollapsesSpaces() {
        String s = AlbertNormalizer.SPACE;
        assertEquals(s + "a" + s + "b", AlbertNormalizer.escapeWhitespace("a \u00b4 b".replace("\u00b4", " ")));
        assertEquals("", AlbertNormalizer.escapeWhitespace(""));
        assertEquals("", AlbertNormalizer.escapeWhitespace("   "));
    }
}
