package org.kerasalbert.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class InputPackerTest {
    private static List<Integer> range(int from, int count) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(from + i);
        }
        return out;
    }

    @Test
    public void packsOneSegmentWithPadding() {
        AlbertInputs in = new InputPacker(6).pack(Arrays.asList(10, 11));
        assertArrayEquals(new int[] {2, 10, 11, 3, 0, 0}, in.ids);
        assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0}, in.mask);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0}, in.segmentIds);
        assertEquals(4, in.length());
    }

    @Test
    public void truncatesToTheSequenceLength() {
        AlbertInputs in = new InputPacker(5).pack(range(10, 9));
        assertArrayEquals(new int[] {2, 10, 11, 12, 3}, in.ids);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1}, in.mask);
    }

    @Test
    public void emptyTextIsClsSep() {
        assertArrayEquals(new int[] {2, 3, 0}, new InputPacker(3).pack(new ArrayList<>()).ids);
    }

    @Test
    public void pairsTrimTheLongerSegmentFirst() {
        AlbertInputs in = new InputPacker(10).pack(range(10, 8), range(50, 2));
        assertArrayEquals(new int[] {2, 10, 11, 12, 13, 14, 3, 50, 51, 3}, in.ids);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, in.segmentIds);
        AlbertInputs even = new InputPacker(10).pack(range(10, 8), range(50, 8));
        assertArrayEquals("equal lengths, odd budget: the extra token goes to the second segment, as transformers does", new int[] {2, 10, 11, 12, 3, 50, 51, 52, 53, 3}, even.ids);
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesTooShortSequences() {
        new InputPacker(2);
    }
}
