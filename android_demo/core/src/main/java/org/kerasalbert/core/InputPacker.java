package org.kerasalbert.core;

import java.util.List;

/**
 * ALBERT input packing as {@code AlbertPreprocessor}: {@code [CLS] A [SEP]} or {@code [CLS] A [SEP] B [SEP]},
 * the longer segment trimmed first (original ALBERT's {@code _truncate_seq_pair}), padded to a fixed length.
 */
public final class InputPacker {
    private final int sequenceLength;

    public InputPacker(int sequenceLength) {
        if (sequenceLength < 3) {
            throw new IllegalArgumentException("sequence length must be at least 3, got " + sequenceLength);
        }
        this.sequenceLength = sequenceLength;
    }

    public int sequenceLength() {
        return sequenceLength;
    }

    public AlbertInputs pack(List<Integer> first) {
        int keep = Math.min(first.size(), sequenceLength - 2);
        return build(first, keep, null, 0);
    }

    public AlbertInputs pack(List<Integer> first, List<Integer> second) {
        int budget = sequenceLength - 3;
        int la = first.size(), lb = second.size();
        if (la + lb <= budget) {
            return build(first, la, second, lb);
        }
        // transformers' longest-first rule (as keras_albert.packing): the shorter segment keeps all it can up to
        // half the room, the other the rest; on a tie the second segment gets the odd piece.
        int half = budget / 2;
        int a = la > lb ? budget - Math.min(lb, half) : Math.min(la, half);
        return build(first, a, second, budget - a);
    }

    private AlbertInputs build(List<Integer> first, int keepFirst, List<Integer> second, int keepSecond) {
        int[] ids = new int[sequenceLength];
        int[] mask = new int[sequenceLength];
        int[] segments = new int[sequenceLength];
        int at = 0;
        ids[at++] = AlbertTokenizer.CLS_ID;
        for (int i = 0; i < keepFirst; i++) {
            ids[at++] = first.get(i);
        }
        ids[at++] = AlbertTokenizer.SEP_ID;
        if (second != null) {
            int secondStart = at;
            for (int i = 0; i < keepSecond; i++) {
                ids[at++] = second.get(i);
            }
            ids[at++] = AlbertTokenizer.SEP_ID;
            java.util.Arrays.fill(segments, secondStart, at, 1);
        }
        java.util.Arrays.fill(mask, 0, at, 1);
        return new AlbertInputs(ids, mask, segments);
    }
}
