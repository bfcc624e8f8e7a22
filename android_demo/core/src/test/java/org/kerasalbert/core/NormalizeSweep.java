package org.kerasalbert.core;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Normalizes "a" + c + "b" for every code point c listed in a file written by Python
 * ({@code code point<TAB>normalized code points}, hex) and prints one {@code DIFF cp defined|undefined} line per
 * disagreement, then {@code checked N}. Where the JDK's Unicode tables are older than Python's, characters they
 * do not know yet cannot match; the pytest wrapper tells those apart.
 */
public final class NormalizeSweep {
    public static void main(String[] args) throws IOException {
        int checked = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(args[0]), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] fields = line.split("\t", -1);
                int cp = Integer.parseInt(fields[0], 16);
                String text = new StringBuilder("a").appendCodePoint(cp).append('b').toString();
                if (!hex(AlbertNormalizer.normalize(text)).equals(fields[1])) {
                    System.out.println("DIFF " + fields[0] + (Character.isDefined(cp) ? " defined" : " undefined"));
                }
                checked++;
            }
        }
        System.out.println("checked " + checked);
    }

    private static String hex(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().forEach(c -> out.append(out.length() > 0 ? " " : "").append(Integer.toHexString(c).toUpperCase()));
        return out.toString();
    }
}
