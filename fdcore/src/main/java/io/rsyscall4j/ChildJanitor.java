package io.rsyscall4j;

import java.lang.ref.Cleaner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Background work for child tasks that nobody waits for: reaping a child seen dead, and killing a
 * child whose {@link ChildTask} became unreachable while the process still ran its server.
 *
 * <p>Reaping can block (a child's child is reaped by a {@code waitid} that runs in its parent's
 * server, behind whatever that server is doing), so it runs on daemon threads of its own, never on
 * the thread whose syscall noticed the death, nor on the {@link Cleaner}'s thread.
 */
final class ChildJanitor {
    private static final System.Logger LOG = System.getLogger(ChildJanitor.class.getName());
    private static final Cleaner CLEANER = Cleaner.create(r -> daemon(r, "rsyscall4j-child-cleaner"));
    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> daemon(r, "rsyscall4j-child-reaper"));

    private ChildJanitor() {}

    /** Runs {@code work} in the background; failures are logged. */
    static void submit(String what, Work work) {
        WORKERS.execute(() -> {
            try {
                work.run();
            } catch (Exception | Error e) {
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: " + what + " failed", e);
            }
        });
    }

    /**
     * Runs {@code action} in the background once {@code owner} is unreachable. The action must not
     * refer to {@code owner}, or it never will be.
     */
    static Cleaner.Cleanable register(Object owner, String what, Work action) {
        return CLEANER.register(owner, () -> submit(what, action));
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        // Not the loader of whatever thread made the first child: the cleaner's thread outlives
        // everything here, and must not keep a class loader (fdcore's, or a caller's) from unloading.
        t.setContextClassLoader(null);
        return t;
    }
}
