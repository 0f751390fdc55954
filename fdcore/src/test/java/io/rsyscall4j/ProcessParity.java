package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs one scenario on a program started by {@code ProcessBuilder} and on the same program
 * started by rsyscall4j, and asserts both gave the same observations.
 */
final class ProcessParity {
    private ProcessParity() {}

    /** A scenario: drives {@code p}, writing down what it observes. */
    @FunctionalInterface
    interface Scenario {
        void run(Process p, List<Object> seen) throws Exception;
    }

    /** Starts a program (the JDK's or ours). */
    @FunctionalInterface
    interface Starter {
        Process start() throws Exception;
    }

    /** The observations of {@code scenario} on each, compared; returns ours. */
    static List<Object> same(String what, Starter jdk, Starter ours, Scenario scenario) throws Exception {
        List<Object> expected = observe(jdk, scenario);
        List<Object> actual = observe(ours, scenario);
        assertEquals(expected, actual, what + ": ProcessBuilder observed " + expected + ", rsyscall4j " + actual);
        return actual;
    }

    private static List<Object> observe(Starter starter, Scenario scenario) throws Exception {
        Process p = starter.start();
        List<Object> seen = new ArrayList<>();
        try {
            scenario.run(p, seen);
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        return seen;
    }

    /** {@code exitValue()} now: the value, or the name of what it threw. */
    static Object exitValue(Process p) {
        try {
            return p.exitValue();
        } catch (IllegalThreadStateException e) {
            return "IllegalThreadStateException";
        }
    }
}
