package io.rsyscall4j;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every fd of this JVM refers to, for tests that promise "no side effect": the snapshot
 * before must equal the snapshot after. Background work of other tests (the reaper closing their
 * garbage) could change the table meanwhile, so taking a snapshot first lets that settle.
 */
final class FdSnapshot {
    private FdSnapshot() {}

    /** Fd number -> link target of the JVM's fds, once two readings a moment apart agree. */
    static Map<Integer, String> take() {
        Map<Integer, String>[] last = new Map[] {read()};
        Kernel.await("the JVM's fd table to settle", Duration.ofSeconds(10), () -> {
            Map<Integer, String> now = read();
            boolean same = now.equals(last[0]);
            last[0] = now;
            return same;
        });
        return last[0];
    }

    /** Fails unless the JVM's fds are as in {@code before}, naming what was added or is gone. */
    static void assertUnchanged(Map<Integer, String> before, String when) {
        Map<Integer, String> after = read();
        if (!after.equals(before)) {
            Map<Integer, String> added = new TreeMap<>(after);
            added.entrySet().removeAll(before.entrySet());
            Map<Integer, String> gone = new TreeMap<>(before);
            gone.entrySet().removeAll(after.entrySet());
            throw new AssertionError(when + ": the JVM's fds changed: added " + added + ", gone " + gone);
        }
    }

    /** Fd number -> link target of the JVM's fds now (without the listing's own directory fd). */
    static Map<Integer, String> read() {
        Map<Integer, String> fds = Kernel.fds("/proc/self/fd");
        fds.values().removeIf(t -> t.startsWith("/proc/")); // the listing's own directory fd
        return fds;
    }
}
