package org.kerasalbert.core;

import java.util.List;
import java.util.Locale;

/** What the screen shows: the top label and its probability, the runners-up, and the inference time. */
public final class ResultFormatter {
    private ResultFormatter() {}

    /** 0.9346f -> "93.5%" (one decimal, half up, always a dot). */
    public static String percent(float probability) {
        return String.format(Locale.ROOT, "%.1f%%", probability * 100.0);
    }

    /** 12.34 -> "12.3 ms"; under 1 ms keeps two decimals. */
    public static String millis(double ms) {
        return String.format(Locale.ROOT, ms < 1.0 ? "%.2f ms" : "%.1f ms", ms);
    }

    /** e.g. "positive  93.5%\nnegative  6.5%\n\nInference: 12.3 ms on this device". */
    public static String format(List<Category> ranked, double inferenceMs) {
        if (ranked.isEmpty()) {
            throw new IllegalArgumentException("the model returned no categories");
        }
        StringBuilder out = new StringBuilder();
        for (Category c : ranked) {
            out.append(c.label).append("  ").append(percent(c.score)).append('\n');
        }
        return out.append("\nInference: ").append(millis(inferenceMs)).append(" on this device").toString();
    }
}
