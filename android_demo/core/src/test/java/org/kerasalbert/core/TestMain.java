package org.kerasalbert.core;

import org.junit.runner.JUnitCore;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;

/** Runs every test class of the core with JUnit 4 and ends with the line "N passed, N failed". */
public final class TestMain {
    static final Class<?>[] TESTS = {
        AlbertNormalizerTest.class, UnigramModelTest.class, InputPackerTest.class, AppLogicTest.class,
        GoldenTokenizerTest.class,
    };

    public static void main(String[] args) {
        Result result = new JUnitCore().run(TESTS);
        for (Failure failure : result.getFailures()) {
            System.out.println("FAILED " + failure.getTestHeader() + ": " + failure.getMessage());
        }
        int failed = result.getFailureCount();
        System.out.println((result.getRunCount() - failed) + " passed, " + failed + " failed");
        System.exit(result.wasSuccessful() && result.getRunCount() > 0 ? 0 : 1);
    }
}
