package io.rsyscall4j;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What every fd of this JVM refers to, for tests that promise "no side effect": the snapshot
 * before must equal the snapshot after. Background work of other tests (the reaper closing their
 * garbage) could change the table meanwhile, so taking a snapshot first lets that settle.
 */
final class FdSnapshot {
    private FdSnapshot() {}

    /** Fd number -> link target of the JVM's fds ({@link #read}), once two readings a moment apart agree. */
    static Map<Integer, String> take() {
        AtomicReference<Map<Integer, String>> last = new AtomicReference<>(read());
        Kernel.await("the JVM's fd table to settle", Duration.ofSeconds(10), () -> {
            Map<Integer, String> now = read();
            return now.equals(last.getAndSet(now));
        });
        return last.get();
    }

    /**
     * Fails unless the JVM's fds are as in {@code before}, naming what was added or is gone; only
     * the {@link #childConnections} of earlier tests' child tasks may go meanwhile, as the janitor
     * closes them whenever a GC finds those tasks unreachable.
     */
    static void assertUnchanged(Map<Integer, String> before, String when) {
        assertUnchanged(before, childConnections(before), when);
    }

    /**
     * As {@link #assertUnchanged(Map, String)}, but entries of {@code mayGo} may be gone: fds
     * someone else owns and may release meanwhile (see {@link #childConnections}).
     */
    static void assertUnchanged(Map<Integer, String> before, Map<Integer, String> mayGo, String when) {
        Map<Integer, String> after = read();
        Map<Integer, String> added = new TreeMap<>(after);
        added.entrySet().removeAll(before.entrySet());
        Map<Integer, String> gone = new TreeMap<>(before);
        gone.entrySet().removeAll(after.entrySet());
        gone.entrySet().removeAll(mayGo.entrySet());
        if (!added.isEmpty() || !gone.isEmpty()) {
            throw new AssertionError(when + ": the JVM's fds changed: added " + added + ", gone " + gone);
        }
    }

    /**
     * The pipes, eventfds and pidfds among {@code fds}: what child tasks of earlier tests hold in the
     * JVM's table (their connections' eventfds, their pidfds, pipes of theirs), which the janitor closes in the
     * background once a GC finds those tasks unreachable (a test that calls {@code System.gc()}
     * triggers that itself). Everything else must stay.
     */
    static Map<Integer, String> childConnections(Map<Integer, String> fds) {
        Map<Integer, String> out = new TreeMap<>(fds);
        out.values().removeIf(t -> !t.startsWith("pipe:") && !t.startsWith("anon_inode:[pidfd]")
                && !t.startsWith("anon_inode:[eventfd]"));
        return out;
    }

    /**
     * Fd number -> link target of the JVM's fds now (without the listing's own directory fd), an
     * eventfd's with its id ({@link ChildTestSupport#identified}): a number closed and reused
     * for another eventfd is a change.
     */
    static Map<Integer, String> read() {
        Map<Integer, String> fds = Kernel.fds("/proc/self/fd");
        fds.values().removeIf(t -> t.startsWith("/proc/")); // the listing's own directory fd
        fds.replaceAll(ChildTestSupport::identified);
        return fds;
    }
}
