package io.rsyscall4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stateful fuzzing across the local task, {@code FILES} children and children with their own
 * tables (nested): open, forTask, move, inherit, invalidate, close, drop, GC, unshareFiles,
 * clone, exit, in random order from a seed, each step checked against the kernel
 * ({@link FuzzSequence} holds the model and the checks).
 *
 * <p>CI runs {@value #DEFAULT_STEPS} steps, in sequences of {@value #STEPS_PER_SEQUENCE} (each
 * a dynamic test named for its seed; even seeds run over FFM, odd ones over JNA). Properties:
 * <ul>
 *   <li>{@code -Drsyscall4j.soak.steps=1000000}: a long soak run of that many steps;
 *   <li>{@code -Drsyscall4j.fuzz.seed=N} (with {@code -Drsyscall4j.fuzz.steps=S}): replays the one
 *       sequence a failure names;
 *   <li>{@code -Drsyscall4j.fuzz.baseSeed=N}: other seeds than CI's.
 * </ul>
 * A failure prints the seed, the provider and the whole step trace of its sequence.
 */
class StatefulFuzzTest {
    static final int DEFAULT_STEPS = 10_000;
    static final int STEPS_PER_SEQUENCE = 500;
    private static final Map<FuzzSequence.Op, Integer> TOTALS = new EnumMap<>(FuzzSequence.Op.class);
    private static final AtomicLong NANOS = new AtomicLong();
    private static final Map<FuzzSequence.Op, Long> OP_NANOS = new EnumMap<>(FuzzSequence.Op.class);
    private static final Map<String, Integer> OUTCOMES = new java.util.TreeMap<>();

    @TempDir
    static Path dir;

    @TestFactory
    Stream<DynamicTest> randomStepsAcrossTasksKeepEveryHandleOnItsFileAndLeaveNothingBehind() {
        Long replay = Long.getLong("rsyscall4j.fuzz.seed");
        if (replay != null) {
            int steps = Integer.getInteger("rsyscall4j.fuzz.steps", STEPS_PER_SEQUENCE);
            return Stream.of(sequence(replay, steps));
        }
        long total = Long.getLong("rsyscall4j.soak.steps", DEFAULT_STEPS);
        long base = Long.getLong("rsyscall4j.fuzz.baseSeed", 0x0f0e5eedL);
        long sequences = (total + STEPS_PER_SEQUENCE - 1) / STEPS_PER_SEQUENCE;
        return LongStream.range(0, sequences).mapToObj(i -> sequence(base + i, STEPS_PER_SEQUENCE));
    }

    private static DynamicTest sequence(long seed, int steps) {
        String provider = (seed & 1) == 0 ? "ffm" : "jna";
        return DynamicTest.dynamicTest("seed " + seed + ", " + steps + " steps, " + provider, () -> {
            Path seqDir = Files.createDirectories(dir.resolve("seed-" + seed));
            long start = System.nanoTime();
            FuzzSequence fuzz = new FuzzSequence(seed, seqDir, Rsyscall.local(provider), steps);
            Map<FuzzSequence.Op, Integer> counts = fuzz.run();
            NANOS.addAndGet(System.nanoTime() - start);
            synchronized (TOTALS) {
                counts.forEach((op, n) -> TOTALS.merge(op, n, Integer::sum));
                fuzz.nanos().forEach((op, n) -> OP_NANOS.merge(op, n, Long::sum));
                fuzz.outcomes().forEach((o, n) -> OUTCOMES.merge(o, n, Integer::sum));
            }
        });
    }

    @AfterAll
    static void report() {
        int steps;
        synchronized (TOTALS) {
            steps = TOTALS.values().stream().mapToInt(Integer::intValue).sum();
        }
        // The figures for the README and the report (surefire keeps stdout in the test's -output.txt).
        System.out.println("stateful fuzz: " + steps + " steps in " + NANOS.get() / 1_000_000 + " ms: " + TOTALS);
        Map<FuzzSequence.Op, Long> ms = new EnumMap<>(FuzzSequence.Op.class);
        OP_NANOS.forEach((op, n) -> ms.put(op, n / 1_000_000));
        System.out.println("stateful fuzz: ms per kind of step " + ms + "; outcomes " + OUTCOMES);
    }
}
