package org.kerasalbert.core;

/** The three int32 model inputs, named as in the exported model's metadata: ids, mask, segment_ids. */
public final class AlbertInputs {
    public final int[] ids;
    public final int[] mask;
    public final int[] segmentIds;

    AlbertInputs(int[] ids, int[] mask, int[] segmentIds) {
        this.ids = ids;
        this.mask = mask;
        this.segmentIds = segmentIds;
    }

    /** How many positions hold real tokens ([CLS], pieces and [SEP]s). */
    public int length() {
        int n = 0;
        for (int m : mask) {
            n += m;
        }
        return n;
    }
}
