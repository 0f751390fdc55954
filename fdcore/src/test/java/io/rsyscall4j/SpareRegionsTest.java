package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The memory of a child's stack and of an exec's arguments is reused by later spawns
 * ({@link SpareRegions}) only once the child is done with it: spawns from several threads at once,
 * directly and through child tasks, with images of several sizes (one too large to be kept), each
 * get their own arguments and environment.
 */
class SpareRegionsTest {
    private static final int THREADS = 4;
    private static final int SPAWNS = 40;

    @BothProviders
    void everySpawnGetsItsOwnArgumentsWhileRegionsAreReused(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < SPAWNS; i++) {
                        spawnAndCheck(local, thread + "-" + i, i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS); // fails rather than hangs
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(SpareRegions.release() > 0, "the regions of the spawns were kept for reuse");
        spawnAndCheck(local, "after release", 0); // mapped afresh
    }

    /**
     * Runs {@code sh -c 'echo "$0 $V"' name} with {@code V} of a size that varies with {@code i}
     * (every fifth image too large to be kept), through a child task every third time.
     */
    private static void spawnAndCheck(Task local, String name, int i) throws Exception {
        String value = "v".repeat(i % 5 == 4 ? (int) SpareRegions.MAX_REGION : 100 * (i % 5));
        Command c = Command.of("sh", "-c", "echo \"$0 $V\"", name);
        c.environment().put("V", value);
        if (i % 3 == 2) {
            c.noNewPrivs(); // not a direct spawn: a child task execs it
        }
        ProcessOutput out = c.output(local);
        assertEquals(0, out.status());
        assertEquals(name + " " + value + "\n", new String(out.stdout(), StandardCharsets.UTF_8), name);
    }
}
