package org.kerasalbert.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * SentencePiece's unigram segmentation: the Viterbi path of highest total piece score, as in
 * {@code unigram_model.cc} (same candidate order, strict improvement, float sums), so ties break the same way.
 * A character no piece covers becomes {@code <unk>} at the lowest score minus 10, and a run of them one
 * {@code <unk>}. Control and unknown pieces are never matched from text; unused pieces are skipped.
 */
public final class UnigramModel {
    private static final float UNK_PENALTY = 10.0f;

    private final Vocabulary vocabulary;
    private final int unkId;
    private final float unkScore;
    private final float maxScore;
    private final int maxPieceLength;

    public UnigramModel(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
        int unk = -1;
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        int longest = 1;
        for (int id = 0; id < vocabulary.size(); id++) {
            Vocabulary.Type type = vocabulary.type(id);
            if (type == Vocabulary.Type.UNKNOWN) {
                unk = id;
            } else if (type == Vocabulary.Type.NORMAL) {
                min = Math.min(min, vocabulary.score(id));
                max = Math.max(max, vocabulary.score(id));
            }
            String piece = vocabulary.piece(id);
            longest = Math.max(longest, piece.codePointCount(0, piece.length()));
        }
        if (unk < 0) {
            throw new IllegalArgumentException("the vocabulary has no unknown piece");
        }
        this.unkId = unk;
        this.unkScore = min - UNK_PENALTY;
        this.maxScore = max;
        this.maxPieceLength = longest;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /** Ids of an already escaped text (see {@link AlbertNormalizer#escapeWhitespace}). */
    public List<Integer> encode(String escaped) {
        int[] cps = escaped.codePoints().toArray();
        int n = cps.length;
        float[] best = new float[n + 1];
        int[] startsAt = new int[n + 1];
        int[] idAt = new int[n + 1];
        java.util.Arrays.fill(startsAt, -1);
        for (int start = 0; start < n; start++) {
            float scoreHere = best[start];
            boolean coversOneChar = false;
            for (int length = 1; length <= maxPieceLength && start + length <= n; length++) {
                int id = vocabulary.id(new String(cps, start, length));
                if (id < 0 || !matchable(vocabulary.type(id))) {
                    continue;
                }
                float candidate = (float) (pieceScore(id, cps, start, length) + scoreHere);
                relax(best, startsAt, idAt, start + length, start, id, candidate);
                coversOneChar |= length == 1;
            }
            if (!coversOneChar) {
                relax(best, startsAt, idAt, start + 1, start, unkId, unkScore + scoreHere);
            }
        }
        List<Integer> ids = new ArrayList<>();
        for (int end = n; end > 0; end = startsAt[end]) {
            boolean mergesWithNext = idAt[end] == unkId && !ids.isEmpty() && ids.get(ids.size() - 1) == unkId;
            if (!mergesWithNext) {
                ids.add(idAt[end]);
            }
        }
        Collections.reverse(ids);
        return ids;
    }

    private static boolean matchable(Vocabulary.Type type) {
        return type == Vocabulary.Type.NORMAL || type == Vocabulary.Type.USER_DEFINED;
    }

    /** A user-defined piece scores by its UTF-8 length so it always wins, as in SentencePiece. */
    private double pieceScore(int id, int[] cps, int start, int length) {
        if (vocabulary.type(id) != Vocabulary.Type.USER_DEFINED) {
            return vocabulary.score(id);
        }
        int bytes = new String(cps, start, length).getBytes(StandardCharsets.UTF_8).length;
        return bytes * maxScore - 0.1;
    }

    private static void relax(float[] best, int[] startsAt, int[] idAt, int end, int start, int id, float score) {
        if (startsAt[end] == -1 || score > best[end]) {
            best[end] = score;
            startsAt[end] = start;
            idAt[end] = id;
        }
    }
}
