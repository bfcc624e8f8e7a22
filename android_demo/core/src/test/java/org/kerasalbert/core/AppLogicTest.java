package org.kerasalbert.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;

/** What the Activity does around the model: check the input, name and rank the classes, format the result. */
public class AppLogicTest {
    private static Labels labels(String text) throws IOException {
        return Labels.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    public void validatesInput() {
        assertEquals("a fine film", TextInput.validate("  a fine\n film "));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> TextInput.validate(" \u3000\n"));
        assertEquals("Type a sentence to classify.", empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TextInput.validate(null));
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> TextInput.validate("abcdef", 5));
        assertTrue(tooLong.getMessage(), tooLong.getMessage().contains("6 characters (the limit is 5)"));
        assertEquals("emoji count as one character each", "😀😀", TextInput.validate("😀😀", 2));
    }

    @Test
    public void readsLabelsAndNamesMissingOnes() throws IOException {
        Labels labels = labels("negative\npositive\n\n");
        assertEquals(2, labels.size());
        assertEquals("positive", labels.name(1));
        assertEquals("class 7", labels.name(7));
        assertEquals("très bien", labels("très bien\n").name(0));
    }

    @Test
    public void topKRanksByProbabilityThenIndex() throws IOException {
        Labels labels = labels("a\nb\nc\nd\n");
        List<Category> top = Category.topK(new float[] {0.1f, 0.4f, 0.1f, 0.4f}, labels, 3);
        assertEquals(3, top.size());
        assertEquals("b", top.get(0).label);
        assertEquals("d", top.get(1).label);
        assertEquals(0, top.get(2).index);
        assertEquals(2, Category.topK(new float[] {0.3f, 0.7f}, labels, 5).size());
        assertThrows(IllegalArgumentException.class, () -> Category.topK(new float[] {Float.NaN}, labels, 1));
    }

    @Test
    public void formatsLabelProbabilityAndTime() throws IOException {
        List<Category> top = Category.topK(new float[] {0.0625f, 0.9375f}, labels("negative\npositive"), 2);
        assertEquals("positive  93.8%\nnegative  6.3%\n\nInference: 12.3 ms on this device",
                ResultFormatter.format(top, 12.34));
        assertEquals("0.25 ms", ResultFormatter.millis(0.25));
        assertEquals("100.0%", ResultFormatter.percent(1f));
    }
}
