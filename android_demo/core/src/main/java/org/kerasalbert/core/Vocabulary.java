package org.kerasalbert.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The pieces of a SentencePiece model as written by {@code export/android_golden.py}: one line per id,
 * {@code piece<TAB>score<TAB>type} in UTF-8, type one of SentencePiece's piece types in lower case.
 */
public final class Vocabulary {
    /** SentencePiece's piece types ({@code ModelProto.SentencePiece.Type}). */
    public enum Type { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    private final List<String> pieces;
    private final float[] scores;
    private final Type[] types;
    private final Map<String, Integer> ids = new HashMap<>();

    public Vocabulary(List<String> pieces, float[] scores, Type[] types) {
        if (pieces.size() != scores.length || pieces.size() != types.length) {
            throw new IllegalArgumentException("pieces, scores and types differ in length");
        }
        this.pieces = Collections.unmodifiableList(new ArrayList<>(pieces));
        this.scores = scores.clone();
        this.types = types.clone();
        for (int i = 0; i < pieces.size(); i++) {
            if (ids.put(pieces.get(i), i) != null) {
                throw new IllegalArgumentException("piece listed twice: " + pieces.get(i));
            }
        }
    }

    public static Vocabulary read(InputStream in) throws IOException {
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            String[] fields = line.split("\t", -1);
            if (fields.length != 3) {
                throw new IOException("vocabulary line " + (pieces.size() + 1) + ": expected piece, score, type");
            }
            pieces.add(fields[0]);
            scores.add(Float.parseFloat(fields[1]));
            types.add(Type.valueOf(fields[2].toUpperCase(Locale.ROOT)));
        }
        float[] scoreArray = new float[scores.size()];
        for (int i = 0; i < scoreArray.length; i++) {
            scoreArray[i] = scores.get(i);
        }
        return new Vocabulary(pieces, scoreArray, types.toArray(new Type[0]));
    }

    public int size() {
        return pieces.size();
    }

    public String piece(int id) {
        return pieces.get(id);
    }

    public float score(int id) {
        return scores[id];
    }

    public Type type(int id) {
        return types[id];
    }

    /** The id of a piece, or -1. */
    public int id(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }
}
