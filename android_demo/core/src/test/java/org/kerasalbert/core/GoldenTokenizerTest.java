package org.kerasalbert.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * Every line of the golden file written by {@code export/android_golden.py} from the Python tokenizer and
 * packer must come out of the Java ones exactly. The files are read from the directory in the system property
 * {@code albert.golden.dir}, else from the copy in the test resources.
 */
@RunWith(Parameterized.class)
public class GoldenTokenizerTest {
    private static AlbertTokenizer tokenizer;

    private final String[] fields;

    public GoldenTokenizerTest(String name, String[] fields) {
        this.fields = fields;
    }

    @Parameters(name = "{0}")
    public static Collection<Object[]> cases() throws IOException {
        tokenizer = AlbertTokenizer.read(open("spiece_vocab.tsv"));
        List<Object[]> cases = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(open("tokenizer_golden.tsv"), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            String[] fields = line.split("\t", -1);
            cases.add(new Object[] {fields[0] + ":" + fields[1], fields});
        }
        if (cases.isEmpty()) {
            throw new IOException("the golden file is empty");
        }
        return cases;
    }

    @Test
    public void javaMatchesPython() {
        switch (fields[0]) {
            case "tokenize":
                assertEquals(ints(fields[3]), tokenizer.tokenize(unescape(fields[2])));
                assertEquals(ints(fields[3]), tokenizer.encode(unescape(fields[2])));
                break;
            case "special":
                assertEquals(ints(fields[3]), tokenizer.tokenize(unescape(fields[2]), true));
                break;
            case "pack1":
                assertPacked(new InputPacker(Integer.parseInt(fields[2])).pack(tokenizer.encode(unescape(fields[3]))), 4);
                break;
            case "pack2":
                InputPacker packer = new InputPacker(Integer.parseInt(fields[2]));
                assertPacked(packer.pack(tokenizer.encode(unescape(fields[3])), tokenizer.encode(unescape(fields[4]))), 5);
                break;
            default:
                throw new AssertionError("unknown golden line kind " + fields[0]);
        }
    }

    private void assertPacked(AlbertInputs inputs, int first) {
        assertArrayEquals("ids", toArray(ints(fields[first])), inputs.ids);
        assertArrayEquals("segment_ids", toArray(ints(fields[first + 1])), inputs.segmentIds);
        assertArrayEquals("mask", toArray(ints(fields[first + 2])), inputs.mask);
    }

    private static InputStream open(String name) throws IOException {
        String dir = System.getProperty("albert.golden.dir");
        if (dir != null) {
            return new FileInputStream(dir + "/" + name);
        }
        InputStream in = GoldenTokenizerTest.class.getResourceAsStream("/golden/" + name);
        if (in == null) {
            throw new IOException("no golden file " + name + ": set -Dalbert.golden.dir or run export/android_golden.py");
        }
        return in;
    }

    static List<Integer> ints(String field) {
        List<Integer> out = new ArrayList<>();
        for (String s : field.trim().split(" ")) {
            if (!s.isEmpty()) {
                out.add(Integer.parseInt(s));
            }
        }
        return out;
    }

    static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }

    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = field.charAt(++i);
            if (e == 'u') {  // a lone surrogate, which UTF-8 cannot hold
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 5), 16));
                i += 4;
                continue;
            }
            out.append(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e);
        }
        return out.toString();
    }
}
