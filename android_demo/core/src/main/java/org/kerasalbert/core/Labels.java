package org.kerasalbert.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Class names by index, read from a model directory's labels.txt (one per line, blank lines ignored). */
public final class Labels {
    private final List<String> names;

    public Labels(List<String> names) {
        this.names = Collections.unmodifiableList(new ArrayList<>(names));
    }

    public static Labels read(InputStream in) throws IOException {
        List<String> names = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            if (!line.trim().isEmpty()) {
                names.add(line);
            }
        }
        return new Labels(names);
    }

    public int size() {
        return names.size();
    }

    /** The name of class {@code index}, or "class N" when the file has no line for it. */
    public String name(int index) {
        return index >= 0 && index < names.size() ? names.get(index) : "class " + index;
    }
}
