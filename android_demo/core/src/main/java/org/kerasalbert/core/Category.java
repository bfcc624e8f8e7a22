package org.kerasalbert.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One class with its probability; {@link #topK} turns a model's probabilities into the ranked list shown. */
public final class Category {
    public final int index;
    public final String label;
    public final float score;

    public Category(int index, String label, float score) {
        this.index = index;
        this.label = label;
        this.score = score;
    }

    /** The {@code k} most probable classes, highest first; equal scores keep the lower index first. */
    public static List<Category> topK(float[] probabilities, Labels labels, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        List<Category> all = new ArrayList<>();
        for (int i = 0; i < probabilities.length; i++) {
            if (Float.isNaN(probabilities[i])) {
                throw new IllegalArgumentException("the model returned NaN for class " + i);
            }
            all.add(new Category(i, labels.name(i), probabilities[i]));
        }
        Collections.sort(all, (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : a.index - b.index);
        return all.subList(0, Math.min(k, all.size()));
    }

    @Override
    public String toString() {
        return label + " " + ResultFormatter.percent(score);
    }
}
